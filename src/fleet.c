/* The gate in a fleet (fleet.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "gate.h"
#include "input.h"
#include "log.h"

/* A gate waiting for another's answer looks at the fleet's record at least
 * this often (and at once when a change arrives). */
#define TG__FLEET_WAIT_SLICE_MS 20
/* The provider's timeout when its configuration does not say. */
#define TG__FLEET_DEFAULT_LOCK_MS 5000

static const tg__shared_tier *tg__fleet_override;

void tg__fleet_use_tier(const tg__shared_tier *vt)
{
    tg__fleet_override = vt;
}

static void tg__fleet_count(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

int64_t tg__fleet_ttl(const tg_gate *g, tg_status status)
{
    int64_t ttl = status == TG_STATUS_ACTIVE ? g->active_ttl_ms : g->inactive_ttl_ms;
    if (status == TG_STATUS_ACTIVE && g->fleet.vt &&
        !atomic_load_explicit(&g->fleet.subscribed, memory_order_acquire) &&
        g->fleet.degraded_ttl_ms < ttl)
        ttl = g->fleet.degraded_ttl_ms;
    return ttl;
}

/* ---- what other gates publish ---------------------------------------------- */

/* The key of a change from the tier: outside input, so checked like any. */
static int tg__fleet_key(tg_gate *g, const char *connection, const char *identifier, tg__key *k)
{
    if (tg__gate_key(g, connection, identifier, k) != TG_OK) {
        tg__log(TG_LOG_WARN, "shared tier: a change names an invalid account; ignored");
        return -1;
    }
    return 0;
}

static void tg__fleet_on_change(void *ctx, const tg__shared_change *c)
{
    tg_gate *g = ctx;
    const tg__shared_record *r = &c->record;
    tg__key k;

    tg__fleet_count(&g->fleet.received);
    memset(&k, 0, sizeof k);
    switch (c->kind) {
    case TG__CHANGE_ANSWER:
        if (!r->has_status || (unsigned)r->status > TG_STATUS_NOT_FOUND ||
            tg__fleet_key(g, c->connection, c->identifier, &k) != 0)
            return;
        pthread_mutex_lock(&g->cache.lock);
        {
            int64_t ttl = tg__fleet_ttl(g, r->status), left = r->expires_ms - tg__wall_ms();
            if (left < ttl)
                ttl = left;
            if (ttl > 0 && tg__cache_take_answer_locked(&g->cache, &k, r->status,
                                                        tg__gate_now(g) + ttl, r->asof_ms))
                tg__gate_changed_locked(g);
        }
        pthread_mutex_unlock(&g->cache.lock);
        return;
    case TG__CHANGE_EVENT:
    case TG__CHANGE_TOMBSTONE:
        if ((c->kind == TG__CHANGE_EVENT &&
             (!r->has_status || (unsigned)r->status > TG_STATUS_NOT_FOUND)) ||
            tg__fleet_key(g, c->connection, c->identifier, &k) != 0)
            return;
        pthread_mutex_lock(&g->cache.lock);
        if (tg__apply_account_locked(g, &k, c->kind == TG__CHANGE_TOMBSTONE, r->status,
                                     r->event_ms) < 0)
            tg__log(TG_LOG_WARN, "shared tier: a change could not be applied: %s",
                    tg_error_message());
        pthread_mutex_unlock(&g->cache.lock);
        return;
    case TG__CHANGE_IDENTIFIER:
        if (!tg__valid_identifier(c->identifier, &k.id_len))
            return;
        k.id = c->identifier;
        k.id_hash = tg__hash_bytes(k.id, k.id_len, g->seed);
        pthread_mutex_lock(&g->cache.lock);
        if (tg__apply_identifier_locked(g, &k, r->event_ms) < 0)
            tg__log(TG_LOG_WARN, "shared tier: a change could not be applied: %s",
                    tg_error_message());
        pthread_mutex_unlock(&g->cache.lock);
        return;
    case TG__CHANGE_INVALIDATE:
        if (!c->connection[0]) {
            pthread_mutex_lock(&g->cache.lock);
            tg__invalidate_locked(g, NULL);
            pthread_mutex_unlock(&g->cache.lock);
            return;
        }
        if (!c->identifier[0]) {
            size_t n;
            if (!tg__valid_connection(c->connection, &n))
                return;
            k.conn = tg__conns_find(&g->conns, c->connection, n);
            if (!k.conn)
                return; /* never cached here */
        } else if (tg__fleet_key(g, c->connection, c->identifier, &k) != 0) {
            return;
        }
        pthread_mutex_lock(&g->cache.lock);
        tg__invalidate_locked(g, &k);
        pthread_mutex_unlock(&g->cache.lock);
        return;
    }
}

static void tg__fleet_on_subscribed(void *ctx, int up)
{
    tg_gate *g = ctx;

    atomic_store_explicit(&g->fleet.subscribed, up ? 1 : 0, memory_order_release);
    if (up) {
        tg__log(TG_LOG_INFO, "shared tier: subscribed to the fleet's changes");
        return;
    }
    tg__log(TG_LOG_WARN, "shared tier: not subscribed: ACTIVE entries are trusted %lld ms at most",
            (long long)g->fleet.degraded_ttl_ms);
    /* Changes may be missed from now on: what is cached may not hear of a
     * revocation, so it is trusted only briefly. */
    pthread_mutex_lock(&g->cache.lock);
    tg__cache_cap_active_locked(&g->cache, tg__gate_now(g) + g->fleet.degraded_ttl_ms);
    pthread_mutex_unlock(&g->cache.lock);
}

/* ---- life cycle -------------------------------------------------------------- */

int tg__fleet_open(tg_gate *g, const tg__config *cfg)
{
    tg__shared_sink sink;
    const tg__shared_tier *vt;
    const char *known = "none";
    char ex[128];
    int rc;

    memset(&g->fleet, 0, sizeof g->fleet);
    if (!cfg->shared_type)
        return TG_OK;
    vt = tg__fleet_override ? tg__fleet_override : tg__shared_tier_find(cfg->shared_type, &known);
    if (!vt) {
        tg__excerpt(cfg->shared_type, strnlen(cfg->shared_type, 65), 64, ex, sizeof ex);
        return tg__fail(TG_ECONFIG,
                        "config: \"shared.type\" is \"%s\", which this build does not have "
                        "(it has: %s)",
                        ex, known);
    }
    if (vt->abi_version != TG__SHARED_ABI_VERSION ||
        vt->struct_size < offsetof(tg__shared_tier, subscribed) + sizeof vt->subscribed)
        return tg__fail(TG_ECONFIG, "shared tier \"%s\": incompatible method table", vt->name);
    g->fleet.degraded_ttl_ms = cfg->degraded_ttl_ms;
    g->fleet.lock_ms = cfg->provider_timeout_ms ? cfg->provider_timeout_ms
                                                : TG__FLEET_DEFAULT_LOCK_MS;
    sink.change = tg__fleet_on_change;
    sink.subscribed = tg__fleet_on_subscribed;
    sink.ctx = g;
    /* Before create: the tier's subscriber thread, started there, reads it
     * (tg__fleet_ttl) as soon as a change comes. */
    g->fleet.vt = vt;
    rc = vt->create(tg__host(), cfg->shared_json ? cfg->shared_json : "{}", &sink,
                    &g->fleet.state);
    if (rc != TG_OK) {
        g->fleet.vt = NULL;
        return rc == TG_ENOMEM ? rc : TG_ECONFIG;
    }
    return TG_OK;
}

void tg__fleet_close(tg_gate *g)
{
    if (!g->fleet.vt)
        return;
    g->fleet.vt->destroy(g->fleet.state);
    g->fleet.vt = NULL;
    g->fleet.state = NULL;
}

void tg__fleet_stats(const tg_gate *g, tg_stats *out)
{
    out->shared_hits = atomic_load_explicit(&g->fleet.hits, memory_order_relaxed);
    out->shared_misses = atomic_load_explicit(&g->fleet.misses, memory_order_relaxed);
    out->shared_errors = atomic_load_explicit(&g->fleet.errors, memory_order_relaxed);
    out->shared_publishes = atomic_load_explicit(&g->fleet.publishes, memory_order_relaxed);
    out->shared_received = atomic_load_explicit(&g->fleet.received, memory_order_relaxed);
}

/* ---- the miss path ------------------------------------------------------------ */

/* A tier call failed: count it and say what, at WARN; the gate goes on. */
static void tg__fleet_failed(tg_gate *g, const char *what)
{
    tg__fleet_count(&g->fleet.errors);
    tg__log(TG_LOG_WARN, "shared tier: %s failed: %s", what, tg_error_message());
}

/* Take the fleet's record into the round when it answers: 1, else 0. */
static int tg__fleet_take(tg__flight *f, const tg__shared_record *r, int64_t wall)
{
    if (!r->has_status || (unsigned)r->status > TG_STATUS_NOT_FOUND || r->expires_ms <= wall)
        return 0;
    f->status = r->status;
    f->from_fleet = 1;
    f->asof_ms = r->asof_ms ? r->asof_ms : r->event_ms;
    f->fleet_expires_ms = r->expires_ms;
    f->fleet_event_ms = r->event_ms;
    /* Its link, while it has some life left (the gate reuses it only until
     * shortly before it expires, link.c). */
    if (r->status != TG_STATUS_ACTIVE && r->link[0] &&
        (r->link_expires_ms == 0 || r->link_expires_ms > wall)) {
        memcpy(f->link, r->link, strnlen(r->link, TG_LINK_MAX) + 1);
        f->link[TG_LINK_MAX] = '\0';
        f->link_expires_at = r->link_expires_ms;
        f->have_link = 1;
        f->fleet_link = 1;
    }
    return 1;
}

/* Read the fleet's record: 1 answered, 0 not, -1 the tier failed. */
static int tg__fleet_read(tg_gate *g, tg__flight *f)
{
    tg__shared_record r;
    int found = 0;

    int rc = g->fleet.vt->read(g->fleet.state, f->key.conn->name, f->key.id, &r, &found);

    if (rc != TG_OK) {
        tg__fleet_failed(g, "read");
        f->fleet_failed = rc;
        return -1;
    }
    return found && tg__fleet_take(f, &r, tg__wall_ms());
}

int tg__fleet_before_provider(tg_gate *g, tg__flight *f)
{
    int64_t deadline;
    int got, rc, acquired = 0;

    got = tg__fleet_read(g, f);
    if (got != 0) {
        if (got > 0)
            tg__fleet_count(&g->fleet.hits);
        return got > 0;
    }
    tg__fleet_count(&g->fleet.misses);
    rc = g->fleet.vt->lock(g->fleet.state, f->key.conn->name, f->key.id, g->fleet.lock_ms,
                           &acquired);
    if (rc != TG_OK) {
        tg__fleet_failed(g, "lock");
        f->fleet_failed = rc;
        return 0;
    }
    if (acquired) {
        /* Another gate may have answered, written and let go of the lock
         * between the read above and this lock: read once more, now that
         * the lock keeps the others out, before asking the provider again. */
        got = tg__fleet_read(g, f);
        if (got > 0) {
            tg__fleet_count(&g->fleet.hits);
            g->fleet.vt->unlock(g->fleet.state, f->key.conn->name, f->key.id);
            return 1;
        }
        f->fleet_locked = 1;
        return 0;
    }
    /* Another gate is asking the provider for the fleet: wait for its answer,
     * no longer than its round may take. */
    deadline = tg__mono_ms() + g->fleet.lock_ms;
    while (tg__mono_ms() < deadline) {
        struct timespec ts = { 0, TG__FLEET_WAIT_SLICE_MS * 1000000L };
        nanosleep(&ts, NULL);
        got = tg__fleet_read(g, f);
        if (got > 0) {
            tg__fleet_count(&g->fleet.hits);
            return 1;
        }
        if (got < 0)
            return 0;
    }
    return 0;
}

/* A record of the round's answer. */
static void tg__fleet_record_of(const tg_gate *g, const tg__flight *f, tg__shared_record *r,
                                int64_t *ttl)
{
    memset(r, 0, sizeof *r);
    r->has_status = 1;
    r->status = f->status;
    r->asof_ms = f->asof_ms;
    r->event_ms = f->from_fleet ? f->fleet_event_ms : TG__NO_EVENT;
    *ttl = tg__fleet_ttl(g, f->status);
    r->expires_ms = f->from_fleet ? f->fleet_expires_ms : tg__wall_ms() + *ttl;
    if (f->from_fleet)
        *ttl = f->fleet_expires_ms - tg__wall_ms();
    if (f->have_link && f->status != TG_STATUS_ACTIVE) {
        snprintf(r->link, sizeof r->link, "%s", f->link);
        r->link_expires_ms = f->link_expires_at;
    }
}

void tg__fleet_after_provider(tg_gate *g, tg__flight *f, int publish)
{
    const char *conn = f->key.conn->name;

    /* After a call that failed (Redis down, or paused: a timeout), a write
     * would fail as well — after as long again, when Redis does not
     * answer: the check that leads the round waits on the tier once at
     * most. The lock is still let go unless a call timed out (its own
     * call would too); else it expires by itself after lock_ms. */
    if (publish && !f->fleet_failed) {
        tg__shared_record r;
        int64_t ttl;
        int applied = 0, rc;
        tg__fleet_record_of(g, f, &r, &ttl);
        if (ttl > 0) {
            rc = g->fleet.vt->write(g->fleet.state, TG__SHARED_ANSWER, conn, f->key.id, &r, ttl,
                                    &applied);
            if (rc != TG_OK) {
                tg__fleet_failed(g, "write");
                f->fleet_failed = rc;
            } else if (applied) {
                tg__fleet_count(&g->fleet.publishes);
            }
        }
    }
    if (f->fleet_locked && f->fleet_failed != TG_ETIMEOUT)
        g->fleet.vt->unlock(g->fleet.state, conn, f->key.id);
    f->fleet_locked = 0;
}

/* ---- changes made here ----------------------------------------------------------- */

void tg__fleet_publish_event(tg_gate *g, const tg__key *k, int deleted, tg_status status,
                             int64_t event_ms)
{
    tg__shared_record r;
    int applied = 0;

    memset(&r, 0, sizeof r);
    r.has_status = !deleted;
    r.status = deleted ? TG_STATUS_UNKNOWN : status;
    r.event_ms = event_ms;
    r.expires_ms = tg__wall_ms() + tg__fleet_ttl(g, status);
    if (g->fleet.vt->write(g->fleet.state, deleted ? TG__SHARED_TOMBSTONE : TG__SHARED_EVENT,
                           k->conn->name, k->id, &r, tg__fleet_ttl(g, status),
                           &applied) != TG_OK)
        tg__fleet_failed(g, "write of an event");
    else if (applied)
        tg__fleet_count(&g->fleet.publishes);
}

void tg__fleet_publish_identifier(tg_gate *g, const tg__key *k, int64_t event_ms)
{
    tg__shared_change c;

    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_IDENTIFIER;
    snprintf(c.identifier, sizeof c.identifier, "%.*s", (int)k->id_len, k->id);
    c.record.event_ms = event_ms;
    if (g->fleet.vt->publish(g->fleet.state, &c) != TG_OK)
        tg__fleet_failed(g, "publish of an event");
    else
        tg__fleet_count(&g->fleet.publishes);
}

void tg__fleet_publish_invalidate(tg_gate *g, const char *connection, const char *identifier)
{
    tg__shared_change c;

    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_INVALIDATE;
    snprintf(c.connection, sizeof c.connection, "%s", connection ? connection : "");
    snprintf(c.identifier, sizeof c.identifier, "%s", identifier ? identifier : "");
    if (g->fleet.vt->publish(g->fleet.state, &c) != TG_OK)
        tg__fleet_failed(g, "publish of an invalidation");
    else
        tg__fleet_count(&g->fleet.publishes);
}
