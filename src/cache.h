/*
 * The status cache: (connection, identifier) → status, expiry, link.
 *
 * An open-addressing table of entry pointers. Readers (inside an RCU read
 * section, see rcu.h) probe it with atomic loads only: no lock, no write to a
 * shared line except an entry's CLOCK bit when it is clear. Writers hold the
 * cache's lock; they replace an entry's state atomically, unlink entries by
 * leaving a tombstone, and retire what they unlink. Growth builds a new slot
 * array and publishes it; entries never move.
 */
#ifndef TG_SRC_CACHE_H
#define TG_SRC_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "toolgate/toolgate.h"
#include "bytes.h"
#include "conns.h"
#include "horizon.h"
#include "rcu.h"

typedef struct tg__link {
    tg__rcu_head rcu;
    int64_t expires_at_ms;  /* wall clock, Unix ms; 0 when the provider gave none */
    int64_t refresh_mono;   /* gate clock: fetch a new link from this time on */
    uint32_t len;
    char url[];
} tg__link;

/* state = expiry (gate clock, ms) << 4 | status: one atomic word, so a reader
 * never sees a status with another status's expiry. */
#define TG__STATE_STATUS(s) ((tg_status)((s) & 0xF))
#define TG__STATE_EXPIRES(s) ((int64_t)((s) >> 4))
#define TG__STATE_MAX_EXPIRY ((int64_t)(UINT64_MAX >> 5))

/* What a check reads comes first, the identifier right after it, so a short
 * key and its state share a cache line; what only writers touch trails the
 * identifier (tg__entry_tail). */
typedef struct tg__entry {
    uint64_t hash;
    const tg__conn *conn;
    _Atomic uint64_t state;
    tg__link *_Atomic link;
    uint32_t id_len;
    _Atomic uint8_t ref;  /* CLOCK reference bit */
    char id[];
} tg__entry;

/* Writer-only state of an entry (under the cache lock). */
typedef struct tg__entry_tail {
    tg__rcu_head rcu;
    int64_t event_ms;    /* occurred_at of the last event applied; TG__NO_EVENT: none */
    int64_t asof_ms;     /* wall clock when the provider was asked; 0: not asked */
} tg__entry_tail;

static inline size_t tg__entry_tail_offset(size_t id_len)
{
    size_t a = _Alignof(tg__entry_tail);
    return (offsetof(tg__entry, id) + id_len + 1 + a - 1) / a * a;
}

static inline tg__entry_tail *tg__entry_tail_of(tg__entry *e)
{
    return (tg__entry_tail *)(void *)((char *)e + tg__entry_tail_offset(e->id_len));
}

typedef struct tg__slots {
    tg__rcu_head rcu;
    size_t mask;
    tg__entry *_Atomic slot[];
} tg__slots;

typedef struct tg__cache {
    /* Read by every check: alone in its cache line, away from writer state. */
    _Alignas(TG__CACHE_LINE) tg__slots *_Atomic slots;
    _Alignas(TG__CACHE_LINE) pthread_mutex_t lock; /* writers only */
    size_t count;            /* live entries */
    size_t used;             /* live entries + tombstones */
    size_t max_entries;
    size_t hand;             /* CLOCK hand */
    tg__limbo limbo;
    tg__horizons horizons;   /* event times of dropped entries */
    _Atomic uint64_t evictions;
} tg__cache;

extern tg__entry tg__tombstone;
#define TG__TOMBSTONE (&tg__tombstone)

static inline uint64_t tg__state_pack(tg_status s, int64_t expires)
{
    if (expires < 0)
        expires = 0;
    if (expires > TG__STATE_MAX_EXPIRY)
        expires = TG__STATE_MAX_EXPIRY;
    return ((uint64_t)expires << 4) | (uint64_t)s;
}

/* Key hash of (connection, identifier bytes). */
static inline uint64_t tg__key_hash(const tg__conn *c, uint64_t id_hash)
{
    return id_hash ^ c->hash;
}

/* Reader lookup; call inside an RCU read section (or under the lock). NULL
 * when absent. */
static inline __attribute__((always_inline)) tg__entry *
tg__cache_find(tg__cache *c, const tg__conn *conn, const char *id, size_t id_len, uint64_t hash)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_acquire);
    size_t i = (size_t)hash & s->mask;
    for (;;) {
        tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_acquire);
        if (!e)
            return NULL;
        if (e->hash == hash && e->conn == conn && e->id_len == id_len &&
            tg__bytes_equal(e->id, id, id_len))
            return e;
        i = (i + 1) & s->mask;
    }
}

static inline void tg__cache_touch(tg__entry *e)
{
    if (!atomic_load_explicit(&e->ref, memory_order_relaxed))
        atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
}

/* What a reader sees of an entry: one consistent snapshot of its status and
 * expiry; its link is read after them (tg__cache_view_link). Valid inside
 * the read section (or while the lock is held). */
typedef struct tg__cache_view {
    tg_status status;
    int64_t expires;          /* gate clock */
    tg__entry *entry;
} tg__cache_view;

/* Snapshot the entry for the key into @p v; 0 when there is none. Inside an
 * RCU read section, or under the lock. */
static inline __attribute__((always_inline)) int
tg__cache_read(tg__cache *c, const tg__conn *conn, const char *id, size_t id_len, uint64_t hash,
               tg__cache_view *v)
{
    tg__entry *e = tg__cache_find(c, conn, id, id_len, hash);
    uint64_t st;
    if (!e)
        return 0;
    st = atomic_load_explicit(&e->state, memory_order_acquire);
    v->status = TG__STATE_STATUS(st);
    v->expires = TG__STATE_EXPIRES(st);
    v->entry = e;
    return 1;
}

/* The entry's link (NULL: none). Read after the state, with acquire: a
 * reader that saw a state sees the link stored before it. */
static inline const tg__link *tg__cache_view_link(const tg__cache_view *v)
{
    return atomic_load_explicit(&v->entry->link, memory_order_acquire);
}

/* Count a hit for the eviction policy. */
static inline void tg__cache_hit(const tg__cache_view *v)
{
    tg__cache_touch(v->entry);
}

TG_WARN_UNUSED int tg__cache_init(tg__cache *c, size_t max_entries);
void tg__cache_destroy(tg__cache *c);

/* Writers: the caller holds c->lock. */

/* The key of an entry: (connection, identifier) and its hash. */
typedef struct tg__key {
    const tg__conn *conn;
    const char *id;
    size_t id_len;
    uint64_t hash;      /* tg__key_hash(conn, id_hash) */
    uint64_t id_hash;   /* the identifier's own hash (for per-identifier horizons) */
} tg__key;

/* Store a provider's answer: a status (and, when @p link is given, a link —
 * the cache takes it; link NULL with @p drop_link drops the cached one),
 * asked for at wall time @p asof_ms, the latest event behind it at
 * @p event_ms (TG__NO_EVENT: none). Creates the entry if needed — its event
 * time is then the later of that and the key's horizon — evicting one when
 * at the bound.
 * @p now_mono (here and below): CLOCK_MONOTONIC ms, by which tombstones are
 * kept. TG_OK or TG_ENOMEM. */
TG_WARN_UNUSED int tg__cache_put_locked(tg__cache *c, const tg__key *k, tg_status status, int64_t expires,
                         tg__link *link, int drop_link, int64_t asof_ms, int64_t event_ms,
                         int64_t now_mono);
/* Another gate's provider answer (asof_ms): taken into an existing entry when
 * later than its own answer and than its last event; never creates one. 1
 * when taken. */
TG_WARN_UNUSED int tg__cache_take_answer_locked(tg__cache *c, const tg__key *k, tg_status status,
                                 int64_t expires, int64_t asof_ms);
/* Every ACTIVE entry expires by @p expires_max at the latest. */
void tg__cache_cap_active_locked(tg__cache *c, int64_t expires_max);
/* Set an existing entry's status from an event that occurred at @p event_ms
 * (its link stays unless the status is ACTIVE). 0 when there is no entry. */
TG_WARN_UNUSED int tg__cache_apply_status_locked(tg__cache *c, const tg__key *k, tg_status status,
                                  int64_t expires, int64_t event_ms);
/* The entry's writer-side times; 0 when there is no entry. */
TG_WARN_UNUSED int tg__cache_times_locked(tg__cache *c, const tg__key *k, int64_t *event_ms, int64_t *asof_ms);
/* The latest event time known for the key: its entry's or its tombstone's,
 * and its identifier's (an event without connection). TG__NO_EVENT: none. */
int64_t tg__cache_horizon_locked(tg__cache *c, const tg__key *k);
/* The identifier's own horizon (events without connection). TG__NO_EVENT:
 * none. */
int64_t tg__cache_identifier_horizon_locked(tg__cache *c, const tg__key *k);
/* Leave a tombstone for the key at @p event_ms and drop its entry, if any.
 * TG_OK, or TG_ENOMEM with nothing changed. */
TG_WARN_UNUSED int tg__cache_tombstone_locked(tg__cache *c, const tg__key *k, int64_t event_ms,
                               int64_t now_mono);
/* The same for every entry of the identifier (k->conn is ignored). */
TG_WARN_UNUSED int tg__cache_tombstone_identifier_locked(tg__cache *c, const tg__key *k, int64_t event_ms,
                                          int64_t now_mono);
/* Attach a link to an existing entry (the cache takes it); frees it if the
 * entry is gone. */
void tg__cache_set_link_locked(tg__cache *c, const tg__key *k, tg__link *link);
/* Drop one entry (k->id set), every entry of k->conn (k->id NULL), or all
 * (k NULL). Entries' event times stay as tombstones. */
void tg__cache_drop_locked(tg__cache *c, const tg__key *k, int64_t now_mono);
/* Live entries now. */
size_t tg__cache_count_locked(const tg__cache *c);
/* Free what no reader can see any more (batched). */
void tg__cache_reclaim_locked(tg__cache *c);

tg__link *tg__link_new(const char *url, size_t len, int64_t expires_at_ms,
                       int64_t refresh_mono);
void tg__link_free(tg__link *l);

#endif
