/* The status cache; see cache.h for the concurrency design. */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "error.h"

tg__entry tg__tombstone;

/* Retired objects are reclaimed in batches: each reclaim costs a barrier. */
#define TG__RECLAIM_BATCH 64
#define TG__MIN_SLOTS 64

static void tg__entry_free(void *obj)
{
    tg__entry *e = obj;
    tg__link *l = atomic_load_explicit(&e->link, memory_order_relaxed);
    if (l)
        tg__link_free(l);
    free(e);
}

tg__link *tg__link_new(const char *url, size_t len, int64_t expires_at_ms, int64_t refresh_mono)
{
    tg__link *l = malloc(sizeof *l + len + 1);
    if (!l)
        return NULL;
    l->expires_at_ms = expires_at_ms;
    l->refresh_mono = refresh_mono;
    l->len = (uint32_t)len;
    memcpy(l->url, url, len);
    l->url[len] = '\0';
    return l;
}

void tg__link_free(tg__link *l)
{
    free(l);
}

static tg__slots *tg__slots_new(size_t n)
{
    tg__slots *s = calloc(1, sizeof *s + n * sizeof s->slot[0]);
    if (s)
        s->mask = n - 1;
    return s;
}

int tg__cache_init(tg__cache *c, size_t max_entries)
{
    memset(c, 0, sizeof *c);
    c->max_entries = max_entries ? max_entries : 1;
    tg__slots *s = tg__slots_new(TG__MIN_SLOTS);
    if (!s)
        return tg__fail(TG_ENOMEM, "cache: out of memory");
    atomic_init(&c->slots, s);
    tg__horizons_init(&c->horizons);
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(s);
        return tg__fail(TG_ENOMEM, "cache: cannot create a mutex");
    }
    return TG_OK;
}

void tg__cache_destroy(tg__cache *c)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    size_t i;

    tg__rcu_reclaim(&c->limbo, 1);
    if (s) {
        for (i = 0; i <= s->mask; i++) {
            tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
            if (e && e != TG__TOMBSTONE)
                tg__entry_free(e);
        }
        free(s);
    }
    tg__horizons_destroy(&c->horizons);
    pthread_mutex_destroy(&c->lock);
}

void tg__cache_reclaim_locked(tg__cache *c)
{
    if (c->limbo.count >= TG__RECLAIM_BATCH)
        tg__rcu_reclaim(&c->limbo, 0);
}

/* Slot index of the entry for the key, or of the first free slot (NULL or
 * tombstone) where it would go when absent (*found = 0). */
static size_t tg__probe(tg__slots *s, const tg__conn *conn, const char *id, size_t id_len,
                        uint64_t hash, int *found)
{
    size_t i = (size_t)hash & s->mask, free_at = SIZE_MAX;
    for (;;) {
        tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
        if (!e) {
            *found = 0;
            return free_at != SIZE_MAX ? free_at : i;
        }
        if (e == TG__TOMBSTONE) {
            if (free_at == SIZE_MAX)
                free_at = i;
        } else if (e->hash == hash && e->conn == conn && e->id_len == id_len &&
                   tg__bytes_equal(e->id, id, id_len)) {
            *found = 1;
            return i;
        }
        i = (i + 1) & s->mask;
    }
}

/* Keep live entries + tombstones at most half the slots: rebuild (bigger when
 * the live entries need it) into a new array and publish it. */
static int tg__cache_make_room(tg__cache *c)
{
    tg__slots *old = atomic_load_explicit(&c->slots, memory_order_relaxed), *s;
    size_t n = old->mask + 1, i;

    if ((c->used + 1) * 2 <= n)
        return TG_OK;
    while ((c->count + 1) * 4 > n)
        n *= 2;
    s = tg__slots_new(n);
    if (!s)
        return tg__fail(TG_ENOMEM, "cache: out of memory growing to %zu slots", n);
    for (i = 0; i <= old->mask; i++) {
        tg__entry *e = atomic_load_explicit(&old->slot[i], memory_order_relaxed);
        size_t j;
        if (!e || e == TG__TOMBSTONE)
            continue;
        j = (size_t)e->hash & s->mask;
        while (atomic_load_explicit(&s->slot[j], memory_order_relaxed))
            j = (j + 1) & s->mask;
        atomic_store_explicit(&s->slot[j], e, memory_order_relaxed);
    }
    atomic_store_explicit(&c->slots, s, memory_order_release);
    c->used = c->count;
    c->hand = 0;
    tg__rcu_retire(&c->limbo, &old->rcu, free, old);
    return TG_OK;
}

/* Unlink the entry at slot @p i. The time of the last event applied to it
 * stays as the key's horizon (out of memory, it is lost: the entry is
 * dropped anyway, which only sends the next check to the provider, and a
 * later event older than that provider answer is caught by its as-of time). */
static void tg__unlink_at(tg__cache *c, tg__slots *s, size_t i, int64_t now_mono)
{
    tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
    tg__entry_tail *t = tg__entry_tail_of(e);
    /* Out of memory the tombstone is lost (see above). */
    if (t->event_ms != TG__NO_EVENT &&
        tg__horizon_raise(&c->horizons, e->conn, e->id, e->id_len, e->hash, t->event_ms,
                          now_mono) != TG_OK)
        t->event_ms = TG__NO_EVENT;
    atomic_store_explicit(&s->slot[i], TG__TOMBSTONE, memory_order_release);
    c->count--;
    tg__rcu_retire(&c->limbo, &tg__entry_tail_of(e)->rcu, tg__entry_free, e);
}

/* CLOCK: clear reference bits until an unreferenced entry comes up. */
static void tg__cache_evict_one(tg__cache *c, int64_t now_mono)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    size_t steps, n = s->mask + 1;

    for (steps = 0; steps < 2 * n + 1; steps++) {
        size_t i = c->hand;
        tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
        c->hand = (i + 1) & s->mask;
        if (!e || e == TG__TOMBSTONE)
            continue;
        if (atomic_load_explicit(&e->ref, memory_order_relaxed)) {
            atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
            continue;
        }
        tg__unlink_at(c, s, i, now_mono);
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
        return;
    }
}

static void tg__entry_set_link(tg__cache *c, tg__entry *e, tg__link *link)
{
    tg__link *old = atomic_exchange_explicit(&e->link, link, memory_order_acq_rel);
    if (old)
        tg__rcu_retire(&c->limbo, &old->rcu, free, old);
}

static void tg__cache_update(tg__cache *c, tg__entry *e, tg_status status, int64_t expires,
                             tg__link *link, int drop_link)
{
    /* Link first, then state: a reader that sees the new state sees the new
     * link too. */
    if (link || drop_link)
        tg__entry_set_link(c, e, link);
    atomic_store_explicit(&e->state, tg__state_pack(status, expires), memory_order_release);
    tg__cache_reclaim_locked(c);
}

/* The entry of the key under the lock, and its slot index; NULL if absent. */
static tg__entry *tg__cache_locate(tg__cache *c, const tg__key *k, size_t *at)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    int found;
    size_t i = tg__probe(s, k->conn, k->id, k->id_len, k->hash, &found);
    if (at)
        *at = i;
    return found ? atomic_load_explicit(&s->slot[i], memory_order_relaxed) : NULL;
}

int tg__cache_put_locked(tg__cache *c, const tg__key *k, tg_status status, int64_t expires,
                         tg__link *link, int drop_link, int64_t asof_ms, int64_t event_ms,
                         int64_t now_mono)
{
    tg__slots *s;
    tg__entry *e = tg__cache_locate(c, k, NULL);
    tg__entry_tail *t;
    size_t i;
    int found, rc;

    if (e) {
        t = tg__entry_tail_of(e);
        t->asof_ms = asof_ms;
        if (event_ms > t->event_ms)
            t->event_ms = event_ms;
        tg__cache_update(c, e, status, expires, link, drop_link);
        return TG_OK;
    }

    if (c->count >= c->max_entries)
        tg__cache_evict_one(c, now_mono);
    rc = tg__cache_make_room(c);
    if (rc != TG_OK) {
        tg__link_free(link);
        return rc;
    }
    e = malloc(tg__entry_tail_offset(k->id_len) + sizeof(tg__entry_tail));
    if (!e) {
        tg__link_free(link);
        return tg__fail(TG_ENOMEM, "cache: out of memory");
    }
    atomic_init(&e->state, tg__state_pack(status, expires));
    atomic_init(&e->link, link);
    e->hash = k->hash;
    e->conn = k->conn;
    e->id_len = (uint32_t)k->id_len;
    atomic_init(&e->ref, 0);
    memcpy(e->id, k->id, k->id_len);
    e->id[k->id_len] = '\0';
    t = tg__entry_tail_of(e);
    t->event_ms = tg__horizon_get(&c->horizons, k->conn, k->id, k->id_len, k->hash);
    if (event_ms > t->event_ms)
        t->event_ms = event_ms;
    t->asof_ms = asof_ms;

    s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    i = tg__probe(s, k->conn, k->id, k->id_len, k->hash, &found);
    if (atomic_load_explicit(&s->slot[i], memory_order_relaxed) == NULL)
        c->used++;
    atomic_store_explicit(&s->slot[i], e, memory_order_release);
    c->count++;
    tg__cache_reclaim_locked(c);
    return TG_OK;
}

int tg__cache_apply_status_locked(tg__cache *c, const tg__key *k, tg_status status,
                                  int64_t expires, int64_t event_ms)
{
    tg__entry *e = tg__cache_locate(c, k, NULL);
    if (!e)
        return 0;
    tg__entry_tail_of(e)->event_ms = event_ms;
    tg__cache_update(c, e, status, expires, NULL, status == TG_STATUS_ACTIVE);
    return 1;
}

int tg__cache_take_answer_locked(tg__cache *c, const tg__key *k, tg_status status,
                                 int64_t expires, int64_t asof_ms)
{
    tg__entry *e = tg__cache_locate(c, k, NULL);
    tg__entry_tail *t;

    if (!e)
        return 0;
    t = tg__entry_tail_of(e);
    if (asof_ms <= t->asof_ms || asof_ms <= t->event_ms)
        return 0;
    t->asof_ms = asof_ms;
    tg__cache_update(c, e, status, expires, NULL, status == TG_STATUS_ACTIVE);
    return 1;
}

void tg__cache_cap_active_locked(tg__cache *c, int64_t expires_max)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    size_t i;

    for (i = 0; i <= s->mask; i++) {
        tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
        uint64_t st;
        if (!e || e == TG__TOMBSTONE)
            continue;
        st = atomic_load_explicit(&e->state, memory_order_relaxed);
        if (TG__STATE_STATUS(st) == TG_STATUS_ACTIVE && TG__STATE_EXPIRES(st) > expires_max)
            atomic_store_explicit(&e->state, tg__state_pack(TG_STATUS_ACTIVE, expires_max),
                                  memory_order_release);
    }
}

int tg__cache_times_locked(tg__cache *c, const tg__key *k, int64_t *event_ms, int64_t *asof_ms)
{
    tg__entry *e = tg__cache_locate(c, k, NULL);
    if (!e)
        return 0;
    *event_ms = tg__entry_tail_of(e)->event_ms;
    *asof_ms = tg__entry_tail_of(e)->asof_ms;
    return 1;
}

int64_t tg__cache_horizon_locked(tg__cache *c, const tg__key *k)
{
    tg__entry *e = tg__cache_locate(c, k, NULL);
    int64_t key_ms = e ? tg__entry_tail_of(e)->event_ms
                       : tg__horizon_get(&c->horizons, k->conn, k->id, k->id_len, k->hash);
    int64_t id_ms = tg__cache_identifier_horizon_locked(c, k);
    return key_ms > id_ms ? key_ms : id_ms;
}

int64_t tg__cache_identifier_horizon_locked(tg__cache *c, const tg__key *k)
{
    return tg__horizon_get(&c->horizons, NULL, k->id, k->id_len, k->id_hash);
}

int tg__cache_tombstone_locked(tg__cache *c, const tg__key *k, int64_t event_ms,
                               int64_t now_mono)
{
    size_t at;
    tg__entry *e = tg__cache_locate(c, k, &at);
    int rc;

    if (e && tg__entry_tail_of(e)->event_ms > event_ms)
        event_ms = tg__entry_tail_of(e)->event_ms;
    rc = tg__horizon_raise(&c->horizons, k->conn, k->id, k->id_len, k->hash, event_ms, now_mono);
    if (rc != TG_OK)
        return rc;
    if (e) {
        tg__unlink_at(c, atomic_load_explicit(&c->slots, memory_order_relaxed), at, now_mono);
        tg__cache_reclaim_locked(c);
    }
    return TG_OK;
}

int tg__cache_tombstone_identifier_locked(tg__cache *c, const tg__key *k, int64_t event_ms,
                                          int64_t now_mono)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    size_t i;
    int rc = tg__horizon_raise(&c->horizons, NULL, k->id, k->id_len, k->id_hash, event_ms,
                               now_mono);

    if (rc != TG_OK)
        return rc;
    for (i = 0; i <= s->mask; i++) {
        tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
        if (e && e != TG__TOMBSTONE && e->id_len == k->id_len &&
            tg__bytes_equal(e->id, k->id, k->id_len))
            tg__unlink_at(c, s, i, now_mono);
    }
    tg__cache_reclaim_locked(c);
    return TG_OK;
}

void tg__cache_set_link_locked(tg__cache *c, const tg__key *k, tg__link *link)
{
    tg__entry *e = tg__cache_locate(c, k, NULL);

    if (!e) {
        tg__link_free(link);
        return;
    }
    tg__entry_set_link(c, e, link);
    tg__cache_reclaim_locked(c);
}

void tg__cache_drop_locked(tg__cache *c, const tg__key *k, int64_t now_mono)
{
    tg__slots *s = atomic_load_explicit(&c->slots, memory_order_relaxed);
    size_t i;

    if (k && k->id) {
        if (tg__cache_locate(c, k, &i))
            tg__unlink_at(c, s, i, now_mono);
    } else {
        for (i = 0; i <= s->mask; i++) {
            tg__entry *e = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
            if (e && e != TG__TOMBSTONE && (!k || e->conn == k->conn))
                tg__unlink_at(c, s, i, now_mono);
        }
    }
    tg__cache_reclaim_locked(c);
}

size_t tg__cache_count_locked(const tg__cache *c)
{
    return c->count;
}
