/*
 * tg_gate_wait: until the account is ACTIVE. The first look asks the
 * provider; later looks follow with backoff. Between looks the wait sleeps
 * on the gate's `changed` condition, so an event or invalidation that
 * reaches the gate wakes it at once: a fresh ACTIVE entry ends it with no
 * provider request, a dropped entry makes it ask now.
 */
#include <stdio.h>
#include <stdlib.h>

#include "decision.h"
#include "error.h"
#include "gate.h"

#define TG__WAIT_FIRST_POLL_MS 250
#define TG__WAIT_MAX_POLL_MS 5000
/* A cancellation is noticed within this long. */
#define TG__WAIT_CANCEL_SLICE_MS 100

/* Looks at the cache only (after a change): 1 when a fresh ACTIVE entry
 * answers, 0 when the account has an entry that does not, -1 when it has
 * none (dropped: ask the provider now). */
static int tg__wait_peek(tg_gate *g, const tg__key *k, tg_decision *d)
{
    tg__cache_view v;
    tg__reader *r = tg__rcu_reader();
    int found, active = 0;

    if (!r)
        return 0;
    tg__rcu_enter(r);
    found = tg__cache_read(&g->cache, k->conn, k->id, k->id_len, k->hash, &v);
    if (found)
        active = v.status == TG_STATUS_ACTIVE && tg__gate_now(g) < v.expires;
    tg__rcu_exit(r);
    if (active)
        d->flags = tg__decision_status_flags(TG_STATUS_ACTIVE, TG_SOURCE_CACHE);
    return active ? 1 : found ? 0 : -1;
}

/* Sleep until @p until_ms (monotonic), a change to the gate after @p gen,
 * or the end of a cancellation slice. */
static void tg__wait_sleep(tg_gate *g, uint64_t gen, int64_t until_ms)
{
    struct timespec ts;
    int64_t now = tg__mono_ms(), to = until_ms;

    if (to > now + TG__WAIT_CANCEL_SLICE_MS)
        to = now + TG__WAIT_CANCEL_SLICE_MS;
    ts.tv_sec = (time_t)(to / 1000);
    ts.tv_nsec = (long)(to % 1000) * 1000000L;
    pthread_mutex_lock(&g->cache.lock);
    while (g->change_gen == gen)
        if (pthread_cond_timedwait(&g->changed, &g->cache.lock, &ts) != 0)
            break;
    pthread_mutex_unlock(&g->cache.lock);
}

static uint64_t tg__wait_gen(tg_gate *g)
{
    uint64_t gen;
    pthread_mutex_lock(&g->cache.lock);
    gen = g->change_gen;
    pthread_mutex_unlock(&g->cache.lock);
    return gen;
}

/* Prepare @p d for a look at the key. */
static void tg__wait_begin(tg_decision *d, const tg__key *k)
{
    tg__decision_begin(d);
    tg__copy_cstr(d->identifier, k->id, k->id_len);
    d->connection = k->conn->name;
}

int tg_gate_wait(tg_gate *g, const char *connection, const char *identifier,
                 const tg_wait_options *opts, tg_decision *d)
{
    static const tg_wait_options defaults = TG_WAIT_OPTIONS_INIT;
    tg_decision *look;
    tg__reader *r;
    tg__key k;
    int64_t deadline, next_poll, delay, max_delay;
    int rc, answered = 0;
    char last_msg[TG__FLIGHT_ERROR_MAX] = "";

    if (!g || !d)
        return tg__fail(TG_EINVAL, "tg_gate_wait: NULL gate or decision");
    if (!opts)
        opts = &defaults;
    if (opts->version != TG_WAIT_OPTIONS_VERSION)
        return tg__fail(TG_EINVAL, "tg_gate_wait: options version %u, expected %u",
                        (unsigned)opts->version, (unsigned)TG_WAIT_OPTIONS_VERSION);
    if (opts->timeout_ms < 0 || opts->poll_ms < 0 || opts->max_poll_ms < 0)
        return tg__fail(TG_EINVAL, "tg_gate_wait: negative timeout or poll interval");
    rc = tg__gate_key(g, connection, identifier, &k);
    if (rc != TG_OK)
        return rc;
    r = tg__rcu_reader();
    look = tg_decision_new();
    if (!r || !look) {
        tg_decision_free(look);
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    }
    max_delay = opts->max_poll_ms ? opts->max_poll_ms : TG__WAIT_MAX_POLL_MS;
    delay = opts->poll_ms ? opts->poll_ms : TG__WAIT_FIRST_POLL_MS;
    if (delay > max_delay)
        delay = max_delay;
    next_poll = tg__mono_ms();
    deadline = next_poll + (opts->timeout_ms > INT64_MAX / 4 ? INT64_MAX / 4 : opts->timeout_ms);

    for (;;) {
        int64_t now = tg__mono_ms();
        uint64_t gen;

        /* Read atomically: another thread (or a signal handler) sets it. */
        if (opts->cancel && __atomic_load_n(opts->cancel, __ATOMIC_ACQUIRE)) {
            rc = tg__fail(TG_ECANCELED, "wait for the %s account: cancelled", k.conn->name);
            break;
        }
        /* Read before looking: a change during the look wakes the sleep. */
        gen = tg__wait_gen(g);
        tg__wait_begin(look, &k);
        if (now >= next_poll) {
            rc = tg__gate_miss(g, r, &k, look, 1);
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
            int seen = tg__wait_peek(g, &k, look);
            if (seen > 0) {
                *d = *look;
                answered = 1;
                rc = TG_OK;
                break;
            }
            if (seen < 0)
                next_poll = now; /* dropped: ask now */
        }
        if (now >= deadline) {
            rc = answered ? TG_OK : tg__fail(TG_EPROVIDER, "%s", last_msg);
            break;
        }
        if (next_poll > now)
            tg__wait_sleep(g, gen, next_poll < deadline ? next_poll : deadline);
    }
    tg_decision_free(look);
    return rc;
}
