/*
 * The gate: a check, step by step (DESIGN §3).
 *
 * Fast path (tg__gate_decide): validated input, tool rules, an RCU read of the
 * cache, a verdict from a fresh entry. No lock, no allocation, no shared write.
 * Slow path (tg__gate_miss): under the cache lock, join or start the single
 * flight for the key; the leader asks the provider with no lock held, stores
 * the answer and wakes the others.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "cache.h"
#include "config.h"
#include "conns.h"
#include "decision.h"
#include "error.h"
#include "event.h"
#include "hash.h"
#include "input.h"
#include "log.h"
#include "plugin.h"
#include "rcu.h"
#include "rules.h"
#include "tool_memo.h"

/* A cached link is replaced this long before it expires… */
#define TG__LINK_MARGIN_MS 30000
/* …and reused this long when the provider gave no expiry. */
#define TG__LINK_DEFAULT_REUSE_MS 300000
/* Largest configuration file read. */
#define TG__CONFIG_MAX_BYTES (1024 * 1024)
/* Hit counters per thread: a thread with a reader id below this count owns a
 * shard and increments it without an atomic read-modify-write. */
#define TG__SHARDS 64
/* Event ids remembered to recognise a replay. */
#define TG__SEEN_EVENTS 4096

/* A hit counts only its verdict; hits = verdicts - misses - unmapped. */
typedef struct tg__shard {
    _Alignas(TG__CACHE_LINE) _Atomic uint64_t verdicts[4];
    _Atomic uint64_t misses;
    _Atomic uint64_t unmapped;
} tg__shard;

/* One provider round for one key; the callers that miss on the key while it
 * runs wait for its result instead of sending their own request. */
typedef struct tg__flight {
    struct tg__flight *next;
    const tg__conn *conn;
    uint64_t hash;
    char *id;
    size_t id_len;
    unsigned refs;
    int done;
    int superseded;         /* an invalidation or event came after it began */
    /* What the leader must fetch, decided under the lock. */
    int need_status;
    int have_link;          /* link below is valid already */
    /* Result. */
    int rc;                 /* TG_OK or the provider's error */
    int have_status;
    tg_status status;
    int64_t link_expires_at;
    char link[TG_LINK_MAX + 1];
    char error[256];        /* the provider's message when rc != TG_OK */
} tg__flight;

struct tg_gate {
    /* Read on every check. */
    const tg__rules *rules;
    tg__tool_memo tools;
    tg_clock_fn clock;
    void *clock_ctx;
    uint64_t seed;
    int64_t active_ttl_ms;
    int64_t inactive_ttl_ms;
    int64_t stale_grace_ms;
    tg__policy policy;
    int unmapped_deny;

    tg__cache cache;       /* cache.lock also guards the flights and events */
    pthread_cond_t flight_done;
    tg__flight *flights;
    uint64_t seen_events[TG__SEEN_EVENTS]; /* hashes of recent event ids, a ring */
    size_t seen_next;

    tg__conns conns;
    tg__rules *rules_owned;
    tg__plugin plugin;
    _Atomic uint64_t provider_calls;
    _Atomic uint64_t provider_errors;
    _Atomic uint64_t provider_latency[TG_STATS_LATENCY_BUCKETS];
    _Atomic uint64_t provider_latency_us;
    _Atomic int64_t provider_last_ok_ms;
    _Atomic int64_t provider_last_error_ms;
    _Atomic uint64_t events[4];
    /* Bumped, under cache.lock, by every invalidation and applied event;
     * tg_gate_wait sleeps on `changed` until it moves. */
    uint64_t change_gen;
    pthread_cond_t changed;
    tg__shard shards[TG__SHARDS];
};

/* ---- clock and counters ------------------------------------------------ */

static int64_t tg__default_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)((uint64_t)ts.tv_nsec / 1000000u);
}

static inline int64_t tg__gate_now(const tg_gate *g)
{
    if (__builtin_expect(g->clock != NULL, 0))
        return g->clock(g->clock_ctx);
    return tg__default_clock();
}

static int64_t tg__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The thread owns its shard unless more than TG__SHARDS threads have ever
 * checked at once; then two may share one and a count can be lost. */
static inline void tg__count(_Atomic uint64_t *counter, const tg__reader *r)
{
    (void)r;
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline tg__shard *tg__shard_of(tg_gate *g, const tg__reader *r)
{
    return &g->shards[r->id % TG__SHARDS];
}

static inline void tg__count_verdict(tg_gate *g, const tg__reader *r, tg_verdict v)
{
    tg__count(&tg__shard_of(g, r)->verdicts[v], r);
}

/* ---- decisions from statuses ------------------------------------------ */

/* Sets every flag: call before tg__fill_link. */
static inline void tg__fill_status(tg_decision *d, tg_status status, tg_source source)
{
    d->flags = tg__decision_status_flags(status, source);
}

static inline void tg__fill_link(tg_decision *d, const char *url, size_t len, int64_t expires_at)
{
    memcpy(d->link, url, len + 1);
    d->has_link = 1;
    d->link_expires_at = expires_at;
}

/* When to stop reusing a link: a margin before its expiry (half its life when
 * that is shorter). */
static int64_t tg__link_refresh_at(int64_t now_mono, int64_t expires_at_ms)
{
    int64_t left, margin;
    if (expires_at_ms <= 0)
        return now_mono + TG__LINK_DEFAULT_REUSE_MS;
    left = expires_at_ms - tg__wall_ms();
    if (left <= 0)
        return now_mono; /* already expired: usable for this answer only */
    margin = left / 2 < TG__LINK_MARGIN_MS ? left / 2 : TG__LINK_MARGIN_MS;
    return now_mono + (left - margin);
}

/* Wake the waits: something about some account changed. Lock held. */
static void tg__gate_changed(tg_gate *g)
{
    g->change_gen++;
    pthread_cond_broadcast(&g->changed);
}

/* ---- provider calls ------------------------------------------------------ */

/* A link from a provider: printable, bounded, NUL-terminated in its buffer. */
static int tg__link_ok(const char *buf, size_t cap, size_t *len)
{
    size_t i;
    for (i = 0; i < cap && buf[i]; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7F)
            return 0;
    if (i == 0 || i >= cap || i > TG_LINK_MAX)
        return 0;
    *len = i;
    return 1;
}


static int64_t tg__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Count a provider call that took @p us microseconds and returned @p rc. */
static void tg__provider_done(tg_gate *g, int64_t us, int rc)
{
    static const double bounds[] = TG_STATS_LATENCY_BOUNDS;
    double s = (double)us / 1e6;
    size_t b = 0;

    while (b < sizeof bounds / sizeof bounds[0] && s > bounds[b])
        b++;
    atomic_fetch_add_explicit(&g->provider_calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->provider_latency[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->provider_latency_us, (uint64_t)(us > 0 ? us : 0),
                              memory_order_relaxed);
    if (rc == TG_OK) {
        atomic_store_explicit(&g->provider_last_ok_ms, tg__wall_ms(), memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&g->provider_errors, 1, memory_order_relaxed);
        atomic_store_explicit(&g->provider_last_error_ms, tg__wall_ms(), memory_order_relaxed);
    }
}

static int tg__provider_status(tg_gate *g, const tg__conn *conn, const char *id, tg_status *st)
{
    int64_t t0 = tg__mono_us();
    int rc = g->plugin.vt->get_status(g->plugin.state, conn->name, id, st);
    if (rc == TG_OK && (unsigned)*st > TG_STATUS_NOT_FOUND)
        rc = tg__fail(TG_EPROVIDER, "provider %s returned an invalid status %d",
                      g->plugin.vt->name, (int)*st);
    tg__provider_done(g, tg__mono_us() - t0, rc);
    return rc;
}

static int tg__provider_link(tg_gate *g, const tg__conn *conn, const char *id, char *buf,
                             size_t len, int64_t *expires_at_ms)
{
    int64_t t0 = tg__mono_us();
    int rc = g->plugin.vt->get_link(g->plugin.state, conn->name, id, buf, len, expires_at_ms);
    size_t n;
    if (rc == TG_OK && !tg__link_ok(buf, len, &n))
        rc = tg__fail(TG_EPROVIDER, "provider %s returned an invalid authorization link",
                      g->plugin.vt->name);
    tg__provider_done(g, tg__mono_us() - t0, rc);
    return rc;
}

/* ---- the slow path ------------------------------------------------------ */

static tg__flight *tg__flight_find(tg_gate *g, const tg__conn *conn, const char *id,
                                   size_t id_len, uint64_t hash)
{
    tg__flight *f;
    for (f = g->flights; f; f = f->next)
        if (f->hash == hash && f->conn == conn && f->id_len == id_len &&
            memcmp(f->id, id, id_len) == 0)
            return f;
    return NULL;
}

static void tg__flight_unlink(tg_gate *g, tg__flight *f)
{
    tg__flight **pp;
    for (pp = &g->flights; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            return;
        }
}

/* Flights that began before an invalidation or an applied event for their
 * key: their answer still goes to the callers already waiting on them, but
 * is not stored, and later checks start a fresh round. conn NULL and id
 * NULL: every flight; id NULL: every flight of conn; conn NULL: every
 * flight of the identifier. Lock held. */
static void tg__flights_supersede(tg_gate *g, const tg__conn *conn, const char *id,
                                  size_t id_len)
{
    tg__flight **pp = &g->flights, *f;
    while ((f = *pp) != NULL) {
        if ((!conn || f->conn == conn) &&
            (!id || (f->id_len == id_len && memcmp(f->id, id, id_len) == 0))) {
            f->superseded = 1;
            *pp = f->next;
        } else {
            pp = &f->next;
        }
    }
}

static void tg__flight_release(tg__flight *f)
{
    if (--f->refs == 0) {
        free(f->id);
        free(f);
    }
}

/* Keep a failed round's code and message for every caller of the flight.
 * A configuration the provider refuses (e.g. rejected client credentials)
 * stays TG_ECONFIG: an error for the caller, not a verdict. */
static void tg__flight_failed(tg_gate *g, tg__flight *f)
{
    if (f->rc != TG_ECONFIG && f->rc != TG_ETIMEOUT && f->rc != TG_ENOMEM)
        f->rc = TG_EPROVIDER;
    (void)g;
    snprintf(f->error, sizeof f->error, "%s", tg_error_message());
}

/* The leader's provider round, with no lock held. */
static void tg__flight_run(tg_gate *g, tg__flight *f)
{
    if (f->need_status) {
        tg_status st = TG_STATUS_UNKNOWN;
        f->rc = tg__provider_status(g, f->conn, f->id, &st);
        if (f->rc != TG_OK) {
            tg__flight_failed(g, f);
            return;
        }
        f->status = st;
        f->have_status = 1;
    }
    if (f->status == TG_STATUS_ACTIVE || f->have_link)
        return;

    f->link[0] = '\0';
    f->link_expires_at = 0;
    f->rc = tg__provider_link(g, f->conn, f->id, f->link, sizeof f->link, &f->link_expires_at);
    if (f->rc != TG_OK) {
        tg__flight_failed(g, f);
        return;
    }
    f->have_link = 1;
}

/* Store the leader's answer in the cache. Lock held. */
static void tg__flight_store(tg_gate *g, tg__flight *f, int fetched_link, int64_t now)
{
    tg__link *link = NULL;

    /* An invalidation or an event for the key came while the provider was
     * asked: what it answered may be older than that, so it is not kept. */
    if (f->superseded)
        return;
    if (fetched_link && f->have_link) {
        size_t len = strlen(f->link);
        link = tg__link_new(f->link, len, f->link_expires_at,
                            tg__link_refresh_at(now, f->link_expires_at));
        /* Out of memory: the answer is still good, only not reusable. */
    }
    if (f->need_status && f->have_status) {
        int64_t ttl = f->status == TG_STATUS_ACTIVE ? g->active_ttl_ms : g->inactive_ttl_ms;
        (void)tg__cache_put_locked(&g->cache, f->conn, f->id, f->id_len, f->hash, f->status,
                                   now + ttl, link, f->status == TG_STATUS_ACTIVE);
    } else if (link) {
        tg__cache_set_link_locked(&g->cache, f->conn, f->id, f->id_len, f->hash, link);
    }
}

/* The decision for a provider failure, by on_provider_error. Lock held. */
static void tg__fill_failure(tg_gate *g, tg__flight *f, int64_t now, tg_decision *d)
{
    d->source = TG_SOURCE_NONE;
    d->has_status = (uint8_t)f->have_status;
    d->status = f->have_status ? f->status : TG_STATUS_UNKNOWN;
    if (f->have_status)
        d->source = TG_SOURCE_PROVIDER;

    if (g->policy == TG__POLICY_OPEN) {
        d->verdict = TG_VERDICT_ALLOW;
        d->why = TG__WHY_OPEN;
        return;
    }
    if (g->policy == TG__POLICY_STALE && !f->have_status) {
        tg__entry *e = tg__cache_find(&g->cache, f->conn, f->id, f->id_len, f->hash);
        if (e) {
            uint64_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
            if (TG__STATE_STATUS(st) == TG_STATUS_ACTIVE &&
                now - TG__STATE_EXPIRES(st) < g->stale_grace_ms) {
                d->verdict = TG_VERDICT_ALLOW;
                d->why = TG__WHY_STALE;
                d->status = TG_STATUS_ACTIVE;
                d->has_status = 1;
                d->source = TG_SOURCE_CACHE;
                d->stale = 1;
                return;
            }
        }
    }
    d->verdict = TG_VERDICT_UNAVAILABLE;
    d->why = TG__WHY_UNAVAILABLE;
}

static void tg__fill_from_flight(tg_gate *g, tg__flight *f, int64_t now, tg_decision *d)
{
    if (f->rc != TG_OK) {
        tg__fill_failure(g, f, now, d);
        return;
    }
    tg__fill_status(d, f->status, f->need_status ? TG_SOURCE_PROVIDER : TG_SOURCE_CACHE);
    if (f->status != TG_STATUS_ACTIVE)
        tg__fill_link(d, f->link, strlen(f->link), f->link_expires_at);
}

/* @p refresh: ask the provider for the status even when a fresh entry holds
 * one (tg_gate_wait), and count nothing as a check. */
static int tg__gate_miss(tg_gate *g, const tg__reader *r, const tg__conn *conn,
                         const char *id, size_t id_len, uint64_t hash, tg_decision *d,
                         int refresh)
{
    tg__flight *f;
    tg__entry *e;
    int64_t now;
    int status_fresh = 0, fetched_link, rc;
    tg_status cached = TG_STATUS_UNKNOWN;
    tg__link *link = NULL;

    pthread_mutex_lock(&g->cache.lock);
again:
    status_fresh = 0;
    cached = TG_STATUS_UNKNOWN;
    link = NULL;
    now = tg__gate_now(g);
    /* Under the lock no entry or link is freed: read the cache directly. */
    e = tg__cache_find(&g->cache, conn, id, id_len, hash);
    if (e) {
        uint64_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
        cached = TG__STATE_STATUS(st);
        status_fresh = !refresh && now < TG__STATE_EXPIRES(st);
        link = atomic_load_explicit(&e->link, memory_order_relaxed);
        if (link && now >= link->refresh_mono)
            link = NULL;
        if (status_fresh && (cached == TG_STATUS_ACTIVE || link)) {
            /* Another thread has just stored it. */
            tg__fill_status(d, cached, TG_SOURCE_CACHE);
            if (cached != TG_STATUS_ACTIVE)
                tg__fill_link(d, link->url, link->len, link->expires_at_ms);
            pthread_mutex_unlock(&g->cache.lock);
            if (!refresh)
                tg__count_verdict(g, r, d->verdict);
            return TG_OK;
        }
    }

    f = tg__flight_find(g, conn, id, id_len, hash);
    if (f && refresh && !f->need_status) {
        /* It fetches only a link: let it finish, then ask for the status. */
        f->refs++;
        while (!f->done)
            pthread_cond_wait(&g->flight_done, &g->cache.lock);
        tg__flight_release(f);
        goto again;
    }
    if (f) {
        f->refs++;
        while (!f->done)
            pthread_cond_wait(&g->flight_done, &g->cache.lock);
    } else {
        f = calloc(1, sizeof *f);
        if (f)
            f->id = malloc(id_len + 1);
        if (!f || !f->id) {
            pthread_mutex_unlock(&g->cache.lock);
            if (f)
                free(f);
            return tg__fail(TG_ENOMEM, "gate: out of memory");
        }
        memcpy(f->id, id, id_len + 1);
        f->id_len = id_len;
        f->conn = conn;
        f->hash = hash;
        f->refs = 1;
        f->need_status = !status_fresh;
        if (status_fresh) {
            f->status = cached;
            f->have_status = 1;
        }
        if (link) {
            memcpy(f->link, link->url, link->len + 1);
            f->link_expires_at = link->expires_at_ms;
            f->have_link = 1;
        }
        f->next = g->flights;
        g->flights = f;
        pthread_mutex_unlock(&g->cache.lock);

        fetched_link = !f->have_link;
        tg__plugin_check_begin();
        tg__flight_run(g, f);
        tg__plugin_check_end();

        pthread_mutex_lock(&g->cache.lock);
        now = tg__gate_now(g);
        tg__flight_store(g, f, fetched_link, now);
        f->done = 1;
        tg__flight_unlink(g, f);
        pthread_cond_broadcast(&g->flight_done);
    }
    rc = f->rc == TG_ECONFIG ? TG_ECONFIG : TG_OK;
    if (rc == TG_OK)
        tg__fill_from_flight(g, f, now, d);
    if (f->rc != TG_OK)
        tg__set_error("%s", f->error); /* for waiters too: the detail is per thread */
    tg__flight_release(f);
    pthread_mutex_unlock(&g->cache.lock);
    if (rc != TG_OK || refresh)
        return rc;
    tg__count_verdict(g, r, d->verdict);
    tg__count(&tg__shard_of(g, r)->misses, r);
    return TG_OK;
}

/* ---- the check ---------------------------------------------------------- */

static inline __attribute__((always_inline)) int
tg__gate_decide(tg_gate *g, const tg__conn *conn, const char *id, size_t id_len, uint64_t id_hash,
                tg_decision *d, int cached_only)
{
    tg__reader *r = tg__rcu_reader();
    uint64_t hash;
    int64_t now;
    tg__entry *e;

    if (!r)
        return tg__fail(TG_ENOMEM, "gate: out of memory registering the thread");
    d->connection = conn->name;
    hash = tg__key_hash(conn, id_hash);
    now = tg__gate_now(g);

    tg__rcu_enter(r);
    e = tg__cache_find(&g->cache, conn, id, id_len, hash);
    if (e) {
        uint64_t st = atomic_load_explicit(&e->state, memory_order_acquire);
        if (now < TG__STATE_EXPIRES(st)) {
            tg_status status = TG__STATE_STATUS(st);
            if (status == TG_STATUS_ACTIVE) {
                tg__cache_touch(e);
                tg__rcu_exit(r);
                tg__fill_status(d, status, TG_SOURCE_CACHE);
                tg__count_verdict(g, r, TG_VERDICT_ALLOW);
                return TG_OK;
            }
            tg__link *l = atomic_load_explicit(&e->link, memory_order_acquire);
            if (l && now < l->refresh_mono) {
                tg__fill_status(d, status, TG_SOURCE_CACHE);
                tg__fill_link(d, l->url, l->len, l->expires_at_ms);
                tg__cache_touch(e);
                tg__rcu_exit(r);
                tg__count_verdict(g, r, TG_VERDICT_NEEDS_AUTHORIZATION);
                return TG_OK;
            }
        }
    }
    tg__rcu_exit(r);
    /* Equal to a cached identifier means valid; anything else is checked
     * before it can reach the provider or the cache. */
    if (!tg__valid_identifier(id, NULL))
        return tg__invalid_input("identifier", id);
    if (cached_only)
        return TG_EWOULDBLOCK;
    return tg__gate_miss(g, r, conn, id, id_len, hash, d, 0);
}

static inline __attribute__((always_inline)) int
tg__gate_check(tg_gate *g, const char *tool, const char *identifier, tg_decision *d,
               int cached_only)
{
    size_t tool_len, id_len;
    const tg__tool *t = NULL;
    const tg__conn *conn;
    uint64_t tool_hash;

    if (!g || !d)
        return tg__fail(TG_EINVAL, "tg_gate_check: NULL gate or decision");
    if (!tool)
        return tg__invalid_input("tool", tool);
    /* A tool name equal to one resolved before is valid: skip the rules. */
    tool_len = strnlen(tool, TG_TOOL_MAX + 1);
    tool_hash = tg__tool_hash(&g->tools, tool, tool_len);
    if (tool_len <= TG_TOOL_MAX)
        t = tg__tool_memo_find(&g->tools, tool, tool_len, tool_hash);
    if (t) {
        conn = t->conn;
    } else {
        if (!tg__valid_tool(tool, &tool_len))
            return tg__invalid_input("tool", tool);
        conn = tg__rules_resolve(g->rules, tool, tool_len);
        t = tg__tool_memo_add(&g->tools, tool, tool_len, tool_hash, conn);
    }

    if (!identifier)
        return tg__invalid_input("identifier", identifier);
    id_len = strnlen(identifier, TG_IDENTIFIER_MAX + 1);
    if (id_len == 0 || id_len > TG_IDENTIFIER_MAX)
        return tg__invalid_input("identifier", identifier);
    if (!conn) {
        tg__reader *r;
        if (!tg__valid_identifier(identifier, &id_len))
            return tg__invalid_input("identifier", identifier);
        tg__decision_begin(d);
        tg__copy_cstr(d->identifier, identifier, id_len);
        tg__decision_tool(d, t ? t->name : NULL, tool, tool_len);
        d->verdict = g->unmapped_deny ? TG_VERDICT_DENY : TG_VERDICT_ALLOW;
        d->why = g->unmapped_deny ? TG__WHY_UNMAPPED_DENY : TG__WHY_UNMAPPED_ALLOW;
        r = tg__rcu_reader();
        if (r) {
            tg__count_verdict(g, r, d->verdict);
            tg__count(&tg__shard_of(g, r)->unmapped, r);
        }
        return TG_OK;
    }
    tg__decision_begin(d);
    tg__decision_tool(d, t ? t->name : NULL, tool, tool_len);
    return tg__gate_decide(g, conn, identifier, id_len,
                           tg__hash_copy(d->identifier, identifier, id_len, g->seed), d,
                           cached_only);
}

int tg_gate_check(tg_gate *g, const char *tool, const char *identifier, tg_decision *d)
{
    return tg__gate_check(g, tool, identifier, d, 0);
}

int tg_gate_try_check(tg_gate *g, const char *tool, const char *identifier, tg_decision *d)
{
    return tg__gate_check(g, tool, identifier, d, 1);
}

/* Validate a (connection, identifier) pair and find or add the connection. */
static int tg__gate_key(tg_gate *g, const char *connection, const char *identifier,
                        const tg__conn **conn, size_t *id_len)
{
    size_t conn_len;
    int err = TG_OK;

    if (!tg__valid_connection(connection, &conn_len))
        return tg__invalid_input("connection", connection);
    if (!tg__valid_identifier(identifier, id_len))
        return tg__invalid_input("identifier", identifier);
    *conn = tg__conns_intern(&g->conns, connection, conn_len, &err);
    return *conn ? TG_OK : err;
}

int tg_gate_check_connection(tg_gate *g, const char *connection, const char *identifier,
                             tg_decision *d)
{
    const tg__conn *conn;
    size_t id_len;
    int rc;

    if (!g || !d)
        return tg__fail(TG_EINVAL, "tg_gate_check_connection: NULL gate or decision");
    rc = tg__gate_key(g, connection, identifier, &conn, &id_len);
    if (rc != TG_OK)
        return rc;
    tg__decision_begin(d);
    return tg__gate_decide(g, conn, identifier, id_len,
                           tg__hash_copy(d->identifier, identifier, id_len, g->seed), d, 0);
}

static int tg__copy_out(const char *s, size_t n, char *buf, size_t len, size_t *needed)
{
    if (needed)
        *needed = n + 1;
    if (!buf || len < n + 1) {
        if (buf && len > 0)
            buf[0] = '\0';
        return tg__fail(TG_EBUFS, "buffer of %zu bytes, %zu needed", len, n + 1);
    }
    memcpy(buf, s, n + 1);
    return TG_OK;
}

int tg_gate_link(tg_gate *g, const char *connection, const char *identifier, char *buf,
                 size_t len, size_t *needed, int64_t *expires_at_ms)
{
    const tg__conn *conn;
    size_t id_len, n = 0;
    uint64_t hash;
    int64_t now, expires = 0;
    tg__reader *r;
    tg__entry *e;
    char *fresh;
    int rc;

    if (!g || (!buf && len > 0))
        return tg__fail(TG_EINVAL, "tg_gate_link: NULL argument");
    rc = tg__gate_key(g, connection, identifier, &conn, &id_len);
    if (rc != TG_OK)
        return rc;
    r = tg__rcu_reader();
    if (!r)
        return tg__fail(TG_ENOMEM, "gate: out of memory registering the thread");
    hash = tg__key_hash(conn, tg__hash_bytes(identifier, id_len, g->seed));
    now = tg__gate_now(g);

    tg__rcu_enter(r);
    e = tg__cache_find(&g->cache, conn, identifier, id_len, hash);
    if (e) {
        tg__link *l = atomic_load_explicit(&e->link, memory_order_acquire);
        if (l && now < l->refresh_mono) {
            rc = tg__copy_out(l->url, l->len, buf, len, needed);
            if (expires_at_ms)
                *expires_at_ms = l->expires_at_ms;
            tg__rcu_exit(r);
            return rc;
        }
    }
    tg__rcu_exit(r);

    fresh = malloc(TG_LINK_MAX + 1);
    if (!fresh)
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    fresh[0] = '\0';
    tg__plugin_check_begin();
    rc = tg__provider_link(g, conn, identifier, fresh, TG_LINK_MAX + 1, &expires);
    tg__plugin_check_end();
    if (rc != TG_OK) {
        free(fresh);
        return rc < 0 && rc != TG_EINVAL && rc != TG_EBUFS ? rc : TG_EPROVIDER;
    }
    n = strlen(fresh);
    pthread_mutex_lock(&g->cache.lock);
    now = tg__gate_now(g);
    tg__link *l = tg__link_new(fresh, n, expires, tg__link_refresh_at(now, expires));
    if (l)
        tg__cache_set_link_locked(&g->cache, conn, identifier, id_len, hash, l);
    pthread_mutex_unlock(&g->cache.lock);

    rc = tg__copy_out(fresh, n, buf, len, needed);
    if (expires_at_ms)
        *expires_at_ms = expires;
    free(fresh);
    return rc;
}

/* ---- waiting ------------------------------------------------------------ */

#define TG__WAIT_FIRST_POLL_MS 250
#define TG__WAIT_MAX_POLL_MS 5000
/* A cancellation is noticed within this long. */
#define TG__WAIT_CANCEL_SLICE_MS 100

static int64_t tg__mono_ms(void)
{
    return tg__mono_us() / 1000;
}

/* A fresh ACTIVE entry for the key: fill @p d and return 1. */
static int tg__gate_peek_active(tg_gate *g, const tg__conn *conn, const char *id, size_t id_len,
                                uint64_t hash, tg_decision *d)
{
    tg__entry *e;
    int active = 0;

    pthread_mutex_lock(&g->cache.lock);
    e = tg__cache_find(&g->cache, conn, id, id_len, hash);
    if (e) {
        uint64_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
        active = TG__STATE_STATUS(st) == TG_STATUS_ACTIVE &&
                 tg__gate_now(g) < TG__STATE_EXPIRES(st);
    }
    pthread_mutex_unlock(&g->cache.lock);
    if (active)
        tg__fill_status(d, TG_STATUS_ACTIVE, TG_SOURCE_CACHE);
    return active;
}

/* Sleep until @p until_ms (monotonic), a change to the gate after @p gen,
 * or a cancellation slice. */
static void tg__gate_sleep(tg_gate *g, uint64_t gen, int64_t until_ms)
{
    struct timespec ts;
    int64_t now = tg__mono_ms(), to = until_ms;

    if (to > now + TG__WAIT_CANCEL_SLICE_MS)
        to = now + TG__WAIT_CANCEL_SLICE_MS;
    ts.tv_sec = (time_t)(to / 1000);
    ts.tv_nsec = (long)(to % 1000) * 1000000L;
    pthread_mutex_lock(&g->cache.lock);
    while (g->change_gen == gen) {
        if (pthread_cond_timedwait(&g->changed, &g->cache.lock, &ts) != 0)
            break;
    }
    pthread_mutex_unlock(&g->cache.lock);
}

int tg_gate_wait(tg_gate *g, const char *connection, const char *identifier,
                 const tg_wait_options *opts, tg_decision *d)
{
    static const tg_wait_options defaults = TG_WAIT_OPTIONS_INIT;
    const tg__conn *conn;
    tg_decision *look;
    tg__reader *r;
    size_t id_len;
    uint64_t hash, gen;
    int64_t deadline, next_poll, delay, max_delay;
    int rc, answered = 0;
    char last_msg[512] = "";

    if (!g || !d)
        return tg__fail(TG_EINVAL, "tg_gate_wait: NULL gate or decision");
    if (!opts)
        opts = &defaults;
    if (opts->version != TG_WAIT_OPTIONS_VERSION)
        return tg__fail(TG_EINVAL, "tg_gate_wait: options version %u, expected %u",
                        (unsigned)opts->version, (unsigned)TG_WAIT_OPTIONS_VERSION);
    if (opts->timeout_ms < 0 || opts->poll_ms < 0 || opts->max_poll_ms < 0)
        return tg__fail(TG_EINVAL, "tg_gate_wait: negative timeout or poll interval");
    rc = tg__gate_key(g, connection, identifier, &conn, &id_len);
    if (rc != TG_OK)
        return rc;
    r = tg__rcu_reader();
    look = tg_decision_new();
    if (!r || !look) {
        tg_decision_free(look);
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    }
    delay = opts->poll_ms ? opts->poll_ms : TG__WAIT_FIRST_POLL_MS;
    max_delay = opts->max_poll_ms ? opts->max_poll_ms : TG__WAIT_MAX_POLL_MS;
    if (delay > max_delay)
        delay = max_delay;
    next_poll = tg__mono_ms();
    deadline = next_poll + (opts->timeout_ms > INT64_MAX / 4 ? INT64_MAX / 4 : opts->timeout_ms);

    for (;;) {
        int64_t now = tg__mono_ms();

        if (opts->cancel && *opts->cancel) {
            rc = tg__fail(TG_ECANCELED, "wait for the %s account: cancelled", conn->name);
            break;
        }
        pthread_mutex_lock(&g->cache.lock);
        gen = g->change_gen;
        pthread_mutex_unlock(&g->cache.lock);

        tg__decision_begin(look);
        tg__copy_cstr(look->identifier, identifier, id_len);
        look->connection = conn->name;
        if (now >= next_poll) {
            hash = tg__key_hash(conn, tg__hash_bytes(identifier, id_len, g->seed));
            rc = tg__gate_miss(g, r, conn, identifier, id_len, hash, look, 1);
            if (rc != TG_OK)
                break;
            next_poll = now + delay;
            delay = delay + delay / 2 > max_delay ? max_delay : delay + delay / 2;
            if (!look->has_status || look->stale) {
                /* No answer from the provider: whatever the policy made of
                 * that for a check, a wait reports it as such. */
                look->flags = 0;
                look->verdict = TG_VERDICT_UNAVAILABLE;
                look->why = TG__WHY_UNAVAILABLE;
            }
            if (opts->on_poll)
                opts->on_poll(opts->ctx, look, deadline > now ? deadline - now : 0);
            if (look->has_status) {
                *d = *look;
                answered = 1;
                if (look->status == TG_STATUS_ACTIVE)
                    break;
            } else if (!answered) {
                *d = *look;
                snprintf(last_msg, sizeof last_msg, "%s", tg_error_message());
            }
        } else {
            hash = tg__key_hash(conn, tg__hash_bytes(identifier, id_len, g->seed));
            if (tg__gate_peek_active(g, conn, identifier, id_len, hash, look)) {
                *d = *look;
                answered = 1;
                rc = TG_OK;
                break;
            }
        }
        if (now >= deadline) {
            rc = answered ? TG_OK : tg__fail(TG_EPROVIDER, "%s", last_msg);
            break;
        }
        tg__gate_sleep(g, gen, next_poll < deadline ? next_poll : deadline);
        pthread_mutex_lock(&g->cache.lock);
        /* Woken by a change that dropped the account's entry: ask now. */
        if (g->change_gen != gen) {
            tg__entry *e;
            hash = tg__key_hash(conn, tg__hash_bytes(identifier, id_len, g->seed));
            e = tg__cache_find(&g->cache, conn, identifier, id_len, hash);
            if (!e)
                next_poll = 0;
        }
        pthread_mutex_unlock(&g->cache.lock);
    }
    tg_decision_free(look);
    return rc;
}

int tg_gate_invalidate(tg_gate *g, const char *connection, const char *identifier)
{
    const tg__conn *conn = NULL;
    size_t conn_len = 0, id_len = 0;
    uint64_t hash = 0;

    if (!g)
        return tg__fail(TG_EINVAL, "tg_gate_invalidate: NULL gate");
    if (!connection && identifier)
        return tg__fail(TG_EINVAL, "tg_gate_invalidate: an identifier needs a connection");
    if (connection) {
        if (!tg__valid_connection(connection, &conn_len))
            return tg__invalid_input("connection", connection);
        if (identifier && !tg__valid_identifier(identifier, &id_len))
            return tg__invalid_input("identifier", identifier);
        conn = tg__conns_find(&g->conns, connection, conn_len);
        if (!conn)
            return TG_OK; /* never cached */
        if (identifier)
            hash = tg__key_hash(conn, tg__hash_bytes(identifier, id_len, g->seed));
    }
    pthread_mutex_lock(&g->cache.lock);
    tg__cache_drop_locked(&g->cache, conn, identifier, id_len, hash);
    tg__flights_supersede(g, conn, identifier, id_len);
    tg__gate_changed(g);
    pthread_mutex_unlock(&g->cache.lock);
    return TG_OK;
}

void tg_gate_set_clock(tg_gate *g, tg_clock_fn fn, void *ctx)
{
    if (!g)
        return;
    g->clock = fn;
    g->clock_ctx = fn ? ctx : NULL;
}

int tg_gate_stats(const tg_gate *g, tg_stats *out)
{
    size_t i, v;
    uint32_t version;
    uint64_t checks = 0, unmapped = 0;
    tg_gate *m = (tg_gate *)g; /* the cache lock is taken for the entry count */

    if (!g || !out)
        return tg__fail(TG_EINVAL, "tg_gate_stats: NULL argument");
    if (out->version == 0 || out->version > TG_STATS_VERSION)
        return tg__fail(TG_EINVAL, "tg_gate_stats: stats version %u, expected 1 to %u",
                        (unsigned)out->version, (unsigned)TG_STATS_VERSION);
    version = out->version;
    /* A caller built for version 1 has only the version-1 fields. */
    memset(out, 0, version == 1 ? offsetof(tg_stats, provider_latency_buckets) : sizeof *out);
    out->version = version;
    for (i = 0; i < TG__SHARDS; i++) {
        const tg__shard *s = &g->shards[i];
        out->misses += atomic_load_explicit(&s->misses, memory_order_relaxed);
        unmapped += atomic_load_explicit(&s->unmapped, memory_order_relaxed);
        for (v = 0; v < 4; v++)
            out->verdicts[v] += atomic_load_explicit(&s->verdicts[v], memory_order_relaxed);
    }
    for (v = 0; v < 4; v++)
        checks += out->verdicts[v];
    /* Counted verdict first: a concurrent miss cannot make this negative,
     * but clamp anyway. */
    out->hits = checks > out->misses + unmapped ? checks - out->misses - unmapped : 0;
    out->provider_calls = atomic_load_explicit(&g->provider_calls, memory_order_relaxed);
    out->provider_errors = atomic_load_explicit(&g->provider_errors, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&g->cache.evictions, memory_order_relaxed);
    pthread_mutex_lock(&m->cache.lock);
    out->entries = g->cache.count;
    pthread_mutex_unlock(&m->cache.lock);
    if (version < 2)
        return TG_OK;
    for (i = 0; i < TG_STATS_LATENCY_BUCKETS; i++)
        out->provider_latency_buckets[i] =
            atomic_load_explicit(&g->provider_latency[i], memory_order_relaxed);
    out->provider_latency_seconds_sum =
        (double)atomic_load_explicit(&g->provider_latency_us, memory_order_relaxed) / 1e6;
    out->provider_last_ok_ms = atomic_load_explicit(&g->provider_last_ok_ms, memory_order_relaxed);
    out->provider_last_error_ms =
        atomic_load_explicit(&g->provider_last_error_ms, memory_order_relaxed);
    for (v = 0; v < 4; v++)
        out->events[v] = atomic_load_explicit(&g->events[v], memory_order_relaxed);
    return TG_OK;
}

/* ---- events -------------------------------------------------------------- */

/* Remember an event id; 1 when it was seen already. Lock held. */
static int tg__event_seen(tg_gate *g, const char *id)
{
    uint64_t h = tg__hash_bytes(id, strlen(id), g->seed) | 1; /* 0 marks a free slot */
    size_t i;
    for (i = 0; i < TG__SEEN_EVENTS; i++)
        if (g->seen_events[i] == h)
            return 1;
    g->seen_events[g->seen_next] = h;
    g->seen_next = (g->seen_next + 1) % TG__SEEN_EVENTS;
    return 0;
}

/* Apply a status or a deletion to one entry (NULL: none cached). Lock held. */
static int tg__event_apply_entry(tg_gate *g, const tg__event *ev, tg__entry *e,
                                 const tg__conn *conn, size_t id_len, uint64_t hash, int64_t now)
{
    int64_t ttl = ev->status == TG_STATUS_ACTIVE ? g->active_ttl_ms : g->inactive_ttl_ms;

    if (e && ev->occurred_at_ms <= tg__entry_tail_of(e)->event_ms)
        return TG_EVENT_STALE;
    if (ev->kind == TG__EVENT_DELETED) {
        if (e)
            tg__cache_drop_entry_locked(&g->cache, e);
        return TG_EVENT_APPLIED;
    }
    if (e) {
        tg__cache_update_locked(&g->cache, e, ev->status, now + ttl, NULL,
                                ev->status == TG_STATUS_ACTIVE);
    } else {
        int rc = tg__cache_put_locked(&g->cache, conn, ev->identifier, id_len, hash, ev->status,
                                      now + ttl, NULL, 0);
        if (rc != TG_OK)
            return rc;
        e = tg__cache_find(&g->cache, conn, ev->identifier, id_len, hash);
        if (!e)
            return TG_EVENT_APPLIED;
    }
    tg__entry_tail_of(e)->event_ms = ev->occurred_at_ms;
    return TG_EVENT_APPLIED;
}

int tg_gate_apply_event(tg_gate *g, const char *body, size_t len)
{
    tg__event ev;
    const tg__conn *conn = NULL;
    size_t id_len = 0;
    int rc, err = TG_OK;
    int64_t now;

    if (!g || !body)
        return tg__fail(TG_EINVAL, "tg_gate_apply_event: NULL argument");
    rc = tg__event_parse(body, len, &ev);
    if (rc != TG_OK)
        return rc;
    if (ev.kind != TG__EVENT_OTHER) {
        id_len = strlen(ev.identifier);
        if (ev.connection[0]) {
            conn = tg__conns_intern(&g->conns, ev.connection, strlen(ev.connection), &err);
            if (!conn)
                return err;
        }
    }

    pthread_mutex_lock(&g->cache.lock);
    now = tg__gate_now(g);
    if (tg__event_seen(g, ev.id)) {
        rc = TG_EVENT_DUPLICATE;
    } else if (ev.kind == TG__EVENT_OTHER) {
        rc = TG_EVENT_IGNORED;
    } else if (conn) {
        uint64_t hash = tg__key_hash(conn, tg__hash_bytes(ev.identifier, id_len, g->seed));
        tg__entry *e = tg__cache_find(&g->cache, conn, ev.identifier, id_len, hash);
        rc = tg__event_apply_entry(g, &ev, e, conn, id_len, hash, now);
        if (rc == TG_EVENT_APPLIED)
            tg__flights_supersede(g, conn, ev.identifier, id_len);
    } else {
        /* No connection name in the event: every cached connection of the
         * identifier follows it (nothing is created). */
        tg__entry *found[64];
        size_t n = tg__cache_find_identifier_locked(&g->cache, ev.identifier, id_len, found,
                                                    sizeof found / sizeof found[0]), i;
        int any = 0, stale = 0;
        for (i = 0; i < n; i++) {
            int r = tg__event_apply_entry(g, &ev, found[i], found[i]->conn, id_len,
                                          found[i]->hash, now);
            any |= r == TG_EVENT_APPLIED;
            stale |= r == TG_EVENT_STALE;
        }
        rc = !any && stale ? TG_EVENT_STALE : TG_EVENT_APPLIED;
        if (rc == TG_EVENT_APPLIED)
            tg__flights_supersede(g, NULL, ev.identifier, id_len);
    }
    if (rc == TG_EVENT_APPLIED)
        tg__gate_changed(g);
    pthread_mutex_unlock(&g->cache.lock);
    if (rc >= 0 && rc < 4)
        atomic_fetch_add_explicit(&g->events[rc], 1, memory_order_relaxed);
    return rc;
}

int tg_gate_apply_webhook(tg_gate *g, const char *secret, const char *webhook_id,
                          const char *webhook_timestamp, const char *webhook_signature,
                          const char *body, size_t len, int64_t now_unix)
{
    int rc = tg_webhook_verify(secret, webhook_id, webhook_timestamp, webhook_signature, body,
                               len, now_unix);
    if (rc != TG_OK)
        return rc;
    return tg_gate_apply_event(g, body, len);
}

/* ---- wrapping a dispatcher ----------------------------------------------- */

int tg_gate_invoke(tg_gate *g, const char *tool, const char *identifier, const char *args_json,
                   tg_dispatch_fn dispatch, void *user_ctx, tg_decision *d, int *dispatch_rc)
{
    int rc, drc;

    if (!dispatch)
        return tg__fail(TG_EINVAL, "tg_gate_invoke: NULL dispatch function");
    rc = tg_gate_check(g, tool, identifier, d);
    if (rc != TG_OK || d->verdict != TG_VERDICT_ALLOW)
        return rc;
    drc = dispatch(user_ctx, tool, identifier, args_json);
    if (dispatch_rc)
        *dispatch_rc = drc;
    if (drc != TG_DISPATCH_CREDENTIALS_REJECTED || !d->connection)
        return TG_OK;
    /* The upstream API refused the account's credentials: what the cache
     * said is out of date. Ask the provider again. */
    rc = tg_gate_invalidate(g, d->connection, identifier);
    if (rc != TG_OK)
        return rc;
    return tg_gate_check(g, tool, identifier, d);
}

/* ---- life cycle --------------------------------------------------------- */

static int tg__cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

static uint64_t tg__random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)tg__wall_ms() ^ (uint64_t)(uintptr_t)&seed;
    return seed;
}

static int tg__gate_create(tg_gate **out, const char *json, const char *base_dir,
                           const tg_provider *vt, void *arg)
{
    tg__config cfg;
    tg_gate *g;
    char cwd[PATH_MAX];
    int rc;

    if (!out)
        return tg__fail(TG_EINVAL, "gate: NULL out pointer");
    *out = NULL;
    if (!json)
        return tg__fail(TG_EINVAL, "gate: NULL configuration");
    if (!base_dir) {
        if (!getcwd(cwd, sizeof cwd))
            return tg__fail(TG_EIO, "gate: cannot get the current directory: %s",
                            strerror(errno));
        base_dir = cwd;
    }
    rc = tg__config_parse(json, strlen(json), &cfg);
    if (rc != TG_OK)
        return rc;

    g = aligned_alloc(TG__CACHE_LINE,
                      (sizeof *g + TG__CACHE_LINE - 1) / TG__CACHE_LINE * TG__CACHE_LINE);
    if (!g) {
        tg__config_free(&cfg);
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    }
    memset(g, 0, sizeof *g);
    g->seed = tg__random_seed();
    g->active_ttl_ms = cfg.active_ttl_ms;
    g->inactive_ttl_ms = cfg.inactive_ttl_ms;
    g->stale_grace_ms = cfg.stale_grace_ms;
    g->policy = cfg.on_provider_error;
    g->unmapped_deny = cfg.unmapped_deny;

    rc = tg__tool_memo_init(&g->tools, tg__random_seed());
    if (rc != TG_OK)
        goto fail_memo;
    rc = tg__conns_init(&g->conns);
    if (rc != TG_OK)
        goto fail_conns;
    rc = tg__rules_build(&cfg, &g->conns, &g->rules_owned);
    if (rc != TG_OK)
        goto fail_rules;
    g->rules = g->rules_owned;
    rc = tg__cache_init(&g->cache, (size_t)cfg.max_entries);
    if (rc != TG_OK)
        goto fail_cache;
    if (pthread_cond_init(&g->flight_done, NULL) != 0) {
        rc = tg__fail(TG_ENOMEM, "gate: cannot create a condition variable");
        goto fail_cond;
    }
    if (tg__cond_init_monotonic(&g->changed) != 0) {
        rc = tg__fail(TG_ENOMEM, "gate: cannot create a condition variable");
        pthread_cond_destroy(&g->flight_done);
        goto fail_cond;
    }
    if (vt)
        rc = tg__plugin_open_table(&g->plugin, vt, cfg.provider_json, base_dir, arg);
    else
        rc = tg__plugin_open(&g->plugin, cfg.provider_type, cfg.provider_json, base_dir);
    if (rc != TG_OK)
        goto fail_plugin;
    tg__config_free(&cfg);
    *out = g;
    return TG_OK;

fail_plugin:
    pthread_cond_destroy(&g->changed);
    pthread_cond_destroy(&g->flight_done);
fail_cond:
    tg__cache_destroy(&g->cache);
fail_cache:
    tg__rules_free(g->rules_owned);
fail_rules:
    tg__conns_destroy(&g->conns);
fail_conns:
    tg__tool_memo_destroy(&g->tools);
fail_memo:
    free(g);
    tg__config_free(&cfg);
    return rc;
}

int tg_gate_new_from_json(tg_gate **out, const char *config_json, const char *base_dir)
{
    return tg__gate_create(out, config_json, base_dir, NULL, NULL);
}

int tg_gate_new_with_provider(tg_gate **out, const char *config_json, const char *base_dir,
                              const struct tg_provider *provider, void *arg)
{
    if (!provider) {
        if (out)
            *out = NULL;
        return tg__fail(TG_EINVAL, "tg_gate_new_with_provider: NULL provider");
    }
    return tg__gate_create(out, config_json, base_dir, provider, arg);
}

/* Read a whole (bounded) file into a NUL-terminated buffer. */
static int tg__read_config_file(const char *path, char **text)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    size_t n;

    *text = NULL;
    if (!fp)
        return tg__fail(TG_EIO, "cannot open config file \"%s\": %s", path, strerror(errno));
    buf = malloc(TG__CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(fp);
        return tg__fail(TG_ENOMEM, "out of memory reading \"%s\"", path);
    }
    n = fread(buf, 1, TG__CONFIG_MAX_BYTES + 1, fp);
    if (ferror(fp)) {
        fclose(fp);
        free(buf);
        return tg__fail(TG_EIO, "cannot read config file \"%s\"", path);
    }
    fclose(fp);
    if (n > TG__CONFIG_MAX_BYTES) {
        free(buf);
        return tg__fail(TG_ECONFIG, "config file \"%s\" is larger than %d bytes", path,
                        TG__CONFIG_MAX_BYTES);
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        return tg__fail(TG_ECONFIG, "config file \"%s\" contains a NUL byte", path);
    }
    buf[n] = '\0';
    *text = buf;
    return TG_OK;
}

int tg_gate_new_from_file(tg_gate **out, const char *config_path)
{
    char dir[PATH_MAX], *text, *slash;
    int rc;

    if (out)
        *out = NULL;
    if (!out || !config_path)
        return tg__fail(TG_EINVAL, "tg_gate_new_from_file: NULL argument");
    if (!realpath(config_path, dir))
        return tg__fail(TG_EIO, "cannot open config file \"%s\": %s", config_path,
                        strerror(errno));
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    rc = tg__read_config_file(config_path, &text);
    if (rc != TG_OK)
        return rc;
    rc = tg__gate_create(out, text, dir, NULL, NULL);
    free(text);
    return rc;
}

void tg_gate_free(tg_gate *g)
{
    tg__flight *f, *next;

    if (!g)
        return;
    tg__plugin_close(&g->plugin);
    for (f = g->flights; f; f = next) {
        next = f->next;
        free(f->id);
        free(f);
    }
    pthread_cond_destroy(&g->changed);
    pthread_cond_destroy(&g->flight_done);
    tg__cache_destroy(&g->cache);
    tg__rules_free(g->rules_owned);
    tg__conns_destroy(&g->conns);
    tg__tool_memo_destroy(&g->tools);
    free(g);
}
