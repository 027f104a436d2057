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
    int64_t event_ms;    /* occurred_at of the last event applied; 0: none */
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

/* Reader lookup; call inside an RCU read section. NULL when absent. */
static inline __attribute__((always_inline)) tg__entry *tg__cache_find(tg__cache *c, const tg__conn *conn, const char *id,
                                        size_t id_len, uint64_t hash)
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

int tg__cache_init(tg__cache *c, size_t max_entries);
void tg__cache_destroy(tg__cache *c);

/* Writers: the caller holds c->lock. */

/* Store a status (and, when @p link is given, a link — the cache takes it;
 * link NULL with @p drop_link drops the cached one). Creates the entry if
 * needed, evicting one when at the bound. TG_OK or TG_ENOMEM. */
int tg__cache_put_locked(tg__cache *c, const tg__conn *conn, const char *id, size_t id_len,
                         uint64_t hash, tg_status status, int64_t expires, tg__link *link,
                         int drop_link);
/* Replace a found entry's status (and link, as tg__cache_put_locked). */
void tg__cache_update_locked(tg__cache *c, tg__entry *e, tg_status status, int64_t expires,
                             tg__link *link, int drop_link);
/* Drop a found entry. */
void tg__cache_drop_entry_locked(tg__cache *c, tg__entry *e);
/* Up to @p max live entries whose identifier is @p id, any connection. */
size_t tg__cache_find_identifier_locked(tg__cache *c, const char *id, size_t id_len,
                                        tg__entry **out, size_t max);
/* Attach a link to an existing entry (the cache takes it); frees it if the
 * entry is gone. */
void tg__cache_set_link_locked(tg__cache *c, const tg__conn *conn, const char *id,
                               size_t id_len, uint64_t hash, tg__link *link);
/* Drop one entry, every entry of @p conn (id NULL), or all (conn NULL). */
void tg__cache_drop_locked(tg__cache *c, const tg__conn *conn, const char *id, size_t id_len,
                           uint64_t hash);
/* Free what no reader can see any more (batched). */
void tg__cache_reclaim_locked(tg__cache *c);

tg__link *tg__link_new(const char *url, size_t len, int64_t expires_at_ms,
                       int64_t refresh_mono);
void tg__link_free(tg__link *l);

#endif
