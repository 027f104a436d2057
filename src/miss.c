/*
 * The miss path: a check the cache could not answer (docs/design.md, "A
 * check, step by step", steps 3–5).
 *
 * One round per key asks the provider (flight.h); the others wait for it.
 * A round fetches what is missing — the status, the link, or both — with no
 * lock held, then stores the answer unless a change for the key came
 * meanwhile.
 *
 * What a failure becomes: a status the gate knows (from the provider in this
 * round, or from a fresh entry) decides by itself, and a non-ACTIVE one is
 * never ALLOW — when only its link could not be fetched, the verdict is
 * UNAVAILABLE with that status. Only when the status itself is unknown does
 * on_provider_error choose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "error.h"
#include "gate.h"
#include "log.h"

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

/* What the cache holds for the key, read for the miss path. */
typedef struct tg__cached {
    int found;
    int fresh;             /* the status is within its TTL */
    tg_status status;
    int64_t expires;
    int have_link;         /* a link still to be reused */
    int64_t link_expires_at;
    char link[TG_LINK_MAX + 1];
} tg__cached;

static void tg__read_cached(tg_gate *g, const tg__reader *r, const tg__key *k, int64_t now,
                            tg__cached *c)
{
    tg__cache_view v;

    c->found = c->fresh = c->have_link = 0;
    tg__rcu_enter((tg__reader *)r);
    if (tg__cache_read(&g->cache, k->conn, k->id, k->id_len, k->hash, &v)) {
        const tg__link *l = tg__cache_view_link(&v);
        c->found = 1;
        c->status = v.status;
        c->expires = v.expires;
        c->fresh = now < v.expires;
        if (l && now < l->refresh_mono) {
            memcpy(c->link, l->url, l->len + 1);
            c->link_expires_at = l->expires_at_ms;
            c->have_link = 1;
        }
    }
    tg__rcu_exit((tg__reader *)r);
}

/* A complete answer from the cache (another round has just stored it). */
static int tg__fill_from_cached(const tg__cached *c, tg_decision *d)
{
    if (!c->fresh || (c->status != TG_STATUS_ACTIVE && !c->have_link))
        return 0;
    tg__fill_status(d, c->status, TG_SOURCE_CACHE);
    if (c->status != TG_STATUS_ACTIVE)
        tg__fill_link(d, c->link, strlen(c->link), c->link_expires_at);
    return 1;
}

/* Keep a failed round's code and message for every caller of the round. A
 * configuration the provider refuses (e.g. rejected client credentials)
 * stays TG_ECONFIG: an error for the caller, not a verdict. */
static void tg__flight_failed(tg__flight *f)
{
    if (f->rc != TG_ECONFIG && f->rc != TG_ETIMEOUT && f->rc != TG_ENOMEM)
        f->rc = TG_EPROVIDER;
    snprintf(f->error, sizeof f->error, "%s", tg_error_message());
}

/* The leader's provider round, with no lock held. */
static void tg__flight_run(tg_gate *g, tg__flight *f)
{
    if (f->need_status && g->fleet.vt && tg__fleet_before_provider(g, f)) {
        f->rc = TG_OK;
        f->have_status = 1;
    } else if (f->need_status) {
        tg_status st = TG_STATUS_UNKNOWN;
        f->rc = tg__provider_status(g, f->key.conn, f->key.id, &st);
        if (f->rc != TG_OK) {
            tg__flight_failed(f);
            return;
        }
        f->status = st;
        f->have_status = 1;
    }
    if (f->status == TG_STATUS_ACTIVE || f->have_link)
        return;
    f->rc = tg__provider_link(g, f->key.conn, f->key.id, f->link, sizeof f->link,
                              &f->link_expires_at);
    if (f->rc != TG_OK) {
        tg__flight_failed(f);
        return;
    }
    f->have_link = 1;
}

/* Store the leader's answer. Cache lock and flight lock held. */
static void tg__flight_store(tg_gate *g, tg__flight *f, int fetched_link, int64_t now)
{
    tg__link *link = NULL;

    /* An invalidation or an event for the key came while the provider was
     * asked: what it answered may be older than that, so it is not kept. */
    if (f->superseded)
        return;
    if (fetched_link && f->have_link)
        /* Out of memory: the answer is still good, only not reusable. */
        link = tg__gate_link_for_cache(g, f->link, strlen(f->link), f->link_expires_at, now);
    if (f->need_status && f->have_status) {
        int64_t ttl = tg__fleet_ttl(g, f->status);
        /* A fleet's record is trusted no longer than the fleet said. */
        if (f->from_fleet && f->fleet_expires_ms - tg__wall_ms() < ttl)
            ttl = f->fleet_expires_ms - tg__wall_ms();
        /* Out of memory the answer is only not kept: it still goes to the
         * callers of the round. */
        if (tg__cache_put_locked(&g->cache, &f->key, f->status, now + ttl, link,
                                 f->status == TG_STATUS_ACTIVE, f->asof_ms,
                                 f->from_fleet ? f->fleet_event_ms : TG__NO_EVENT,
                                 tg__mono_ms()) != TG_OK)
            tg__log(TG_LOG_WARN, "gate: an answer could not be cached: %s",
                    tg_error_message());
    } else if (link) {
        tg__cache_set_link_locked(&g->cache, &f->key, link);
    }
}

static tg_source tg__flight_source(const tg__flight *f)
{
    return !f->need_status ? TG_SOURCE_CACHE : f->from_fleet ? TG_SOURCE_SHARED
                                                             : TG_SOURCE_PROVIDER;
}

/* The decision for a failed round. */
static void tg__fill_failure(tg_gate *g, const tg__reader *r, tg__flight *f, int64_t now,
                             tg_decision *d)
{
    tg__decision_cause(d, f->error);
    if (f->have_status) {
        /* The status is known; only its link is missing. Never ALLOW. */
        tg__fill_status(d, f->status, tg__flight_source(f));
        d->verdict = TG_VERDICT_UNAVAILABLE;
        d->why = TG__WHY_UNAVAILABLE;
        return;
    }
    d->flags = 0;
    if (g->policy == TG__POLICY_OPEN) {
        d->verdict = TG_VERDICT_ALLOW;
        d->why = TG__WHY_OPEN;
        return;
    }
    if (g->policy == TG__POLICY_STALE) {
        tg__cached c;
        tg__read_cached(g, r, &f->key, now, &c);
        if (c.found && c.status == TG_STATUS_ACTIVE && now - c.expires < g->stale_grace_ms) {
            tg__fill_status(d, TG_STATUS_ACTIVE, TG_SOURCE_CACHE);
            d->why = TG__WHY_STALE;
            d->stale = 1;
            return;
        }
    }
    d->verdict = TG_VERDICT_UNAVAILABLE;
    d->why = TG__WHY_UNAVAILABLE;
}

static void tg__fill_from_flight(tg__flight *f, tg_decision *d)
{
    tg__fill_status(d, f->status, tg__flight_source(f));
    if (f->status != TG_STATUS_ACTIVE)
        tg__fill_link(d, f->link, strlen(f->link), f->link_expires_at);
}

/* Lead a new round: ask the provider, store, end the round. Flight lock
 * held on entry and on return. */
static void tg__flight_lead(tg_gate *g, tg__flight *f)
{
    int fetched_link = !f->have_link, publish;
    int64_t now;

    pthread_mutex_unlock(&g->flights.lock);
    tg__plugin_check_begin();
    tg__flight_run(g, f);
    tg__plugin_check_end();

    pthread_mutex_lock(&g->cache.lock);
    pthread_mutex_lock(&g->flights.lock);
    now = tg__gate_now(g);
    tg__flight_store(g, f, fetched_link, now);
    pthread_mutex_unlock(&g->cache.lock);
    /* What the fleet gets: an answer this round learned from the provider
     * (a status, or a link for the fleet's status), unless a change made it
     * out of date meanwhile — never what it read from the fleet, nor a
     * status it held already (a round for a link only): that may be older
     * than what the fleet learned since, and would be published as new. */
    publish = !f->superseded && f->need_status && f->have_status &&
              (!f->from_fleet || (fetched_link && f->have_link && !f->fleet_link));
    tg__flight_finish_locked(&g->flights, f);
    if (g->fleet.vt && (f->fleet_locked || publish)) {
        pthread_mutex_unlock(&g->flights.lock);
        tg__fleet_after_provider(g, f, publish);
        pthread_mutex_lock(&g->flights.lock);
    }
}

int tg__gate_miss(tg_gate *g, const tg__reader *r, const tg__key *k, tg_decision *d,
                  int refresh)
{
    tg__cached c;
    tg__flight *f;
    int rc;

    for (;;) {
        int64_t now = tg__gate_now(g);
        tg__read_cached(g, r, k, now, &c);
        if (refresh)
            c.fresh = 0;
        else if (tg__fill_from_cached(&c, d))
            goto counted;

        /* The cache's lock too (cache, then flights: the order of every
         * writer), so that the read below never sees a change half-applied:
         * a blocked status whose link is already gone while its new status
         * is not stored yet would start a round for a link nobody needs. */
        pthread_mutex_lock(&g->cache.lock);
        pthread_mutex_lock(&g->flights.lock);
        f = tg__flight_find_locked(&g->flights, k);
        if (f)
            pthread_mutex_unlock(&g->cache.lock);
        if (f && refresh && !f->need_status) {
            /* It fetches only a link: let it end, then ask for the status. */
            tg__flight_join_locked(&g->flights, f);
            tg__flight_release_locked(f);
            pthread_mutex_unlock(&g->flights.lock);
            continue;
        }
        if (f) {
            tg__flight_join_locked(&g->flights, f);
            break;
        }
        /* No round: one that ended since the read above has stored its
         * answer before it ended, so read again before starting one. */
        tg__read_cached(g, r, k, now, &c);
        if (refresh)
            c.fresh = 0;
        else if (tg__fill_from_cached(&c, d)) {
            pthread_mutex_unlock(&g->flights.lock);
            pthread_mutex_unlock(&g->cache.lock);
            goto counted;
        }
        f = tg__flight_start_locked(&g->flights, k);
        if (!f) {
            pthread_mutex_unlock(&g->flights.lock);
            pthread_mutex_unlock(&g->cache.lock);
            return tg__fail(TG_ENOMEM, "gate: out of memory");
        }
        f->need_status = !c.fresh;
        if (c.fresh) {
            f->status = c.status;
            f->have_status = 1;
        }
        if (c.have_link) {
            memcpy(f->link, c.link, strlen(c.link) + 1);
            f->link_expires_at = c.link_expires_at;
            f->have_link = 1;
        }
        f->asof_ms = tg__wall_ms();
        pthread_mutex_unlock(&g->cache.lock);
        tg__flight_lead(g, f);
        break;
    }

    /* Flight lock held; the round has ended. */
    rc = f->rc == TG_ECONFIG || f->rc == TG_ENOMEM ? f->rc : TG_OK;
    if (f->rc != TG_OK)
        tg__set_error("%s", f->error); /* for waiters too: the detail is per thread */
    if (rc == TG_OK) {
        if (f->rc == TG_OK)
            tg__fill_from_flight(f, d);
        else
            tg__fill_failure(g, r, f, tg__gate_now(g), d);
    }
    tg__flight_release_locked(f);
    pthread_mutex_unlock(&g->flights.lock);
    if (rc != TG_OK || refresh)
        return rc;
    tg__count_miss(&g->stats, r);
counted:
    if (!refresh)
        tg__count_verdict(&g->stats, r, d->verdict);
    return TG_OK;
}
