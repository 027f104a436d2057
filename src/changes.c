/*
 * What changes the cache from outside a check: webhook events and
 * invalidations, and the order of things (docs/design.md, "Events").
 *
 * - An event changes the status of the one account it names; one without a
 *   connection name drops every entry of its identifier and sets nothing.
 * - Events never create entries: they update or drop existing ones.
 * - Every key keeps the time of its latest event, through drops and
 *   evictions (horizon.h): an event that occurred before it is STALE.
 * - An event that occurred before the provider's answer now in the entry
 *   (its as-of time) does not overwrite that answer: the entry is dropped
 *   and the next check asks again.
 * - An event id is recorded as seen only once its event is applied.
 * - Every applied change supersedes the rounds in flight for its keys and
 *   wakes the waits.
 */
#include <string.h>

#include "error.h"
#include "event.h"
#include "gate.h"
#include "input.h"

void tg__gate_changed_locked(tg_gate *g)
{
    g->change_gen++;
    pthread_cond_broadcast(&g->changed);
}

int tg_gate_invalidate(tg_gate *g, const char *connection, const char *identifier)
{
    tg__key k;
    size_t conn_len = 0, id_len = 0;

    if (!g)
        return tg__fail(TG_EINVAL, "tg_gate_invalidate: NULL gate");
    if (!connection && identifier)
        return tg__fail(TG_EINVAL, "tg_gate_invalidate: an identifier needs a connection");
    memset(&k, 0, sizeof k);
    if (connection) {
        if (!tg__valid_connection(connection, &conn_len))
            return tg__invalid_input("connection", connection);
        if (identifier && !tg__valid_identifier(identifier, &id_len))
            return tg__invalid_input("identifier", identifier);
        k.conn = tg__conns_find(&g->conns, connection, conn_len);
        if (!k.conn)
            return TG_OK; /* never cached */
        if (identifier)
            tg__gate_key_of(g, k.conn, identifier, id_len, &k);
    }
    pthread_mutex_lock(&g->cache.lock);
    tg__invalidate_locked(g, connection ? &k : NULL);
    pthread_mutex_unlock(&g->cache.lock);
    if (g->fleet.vt)
        tg__fleet_publish_invalidate(g, connection, identifier);
    return TG_OK;
}

int tg__apply_account_locked(tg_gate *g, const tg__key *k, int deleted, tg_status status,
                             int64_t event_ms)
{
    int64_t entry_event_ms = 0, asof_ms = 0;
    int found;

    if (event_ms <= tg__cache_horizon_locked(&g->cache, k))
        return TG_EVENT_STALE;
    found = tg__cache_times_locked(&g->cache, k, &entry_event_ms, &asof_ms);
    if (deleted || (found && event_ms <= asof_ms)) {
        /* A deletion leaves a tombstone. So does an event older than the
         * provider's answer in the entry: which of the two is newer cannot
         * be told, so neither is kept and the next check asks. */
        int rc = tg__cache_tombstone_locked(&g->cache, k, event_ms, tg__mono_ms());
        if (rc != TG_OK)
            return rc;
    } else if (found) {
        int64_t ttl = tg__fleet_ttl(g, status);
        found = tg__cache_apply_status_locked(&g->cache, k, status, tg__gate_now(g) + ttl,
                                              event_ms);
    }
    /* Not cached: nothing to update (events never create entries). */
    tg__flights_supersede(&g->flights, k);
    tg__gate_changed_locked(g);
    return TG_EVENT_APPLIED;
}

int tg__apply_identifier_locked(tg_gate *g, const tg__key *k, int64_t event_ms)
{
    tg__key any = *k;
    int rc;

    any.conn = NULL;
    if (event_ms <= tg__cache_identifier_horizon_locked(&g->cache, k))
        return TG_EVENT_STALE;
    rc = tg__cache_tombstone_identifier_locked(&g->cache, k, event_ms, tg__mono_ms());
    if (rc != TG_OK)
        return rc;
    tg__flights_supersede(&g->flights, &any);
    tg__gate_changed_locked(g);
    return TG_EVENT_APPLIED;
}

void tg__invalidate_locked(tg_gate *g, const tg__key *k)
{
    tg__cache_drop_locked(&g->cache, k, tg__mono_ms());
    tg__flights_supersede(&g->flights, k);
    tg__gate_changed_locked(g);
}

int tg_gate_apply_event(tg_gate *g, const char *body, size_t len)
{
    tg__event ev;
    tg__key k;
    uint64_t seen;
    int rc, err = TG_OK;

    if (!g || !body)
        return tg__fail(TG_EINVAL, "tg_gate_apply_event: NULL argument");
    rc = tg__event_parse(body, len, &ev);
    if (rc != TG_OK)
        return rc;
    memset(&k, 0, sizeof k);
    if (ev.kind != TG__EVENT_OTHER) {
        size_t id_len = strlen(ev.identifier);
        const tg__conn *conn = NULL;
        if (ev.connection[0]) {
            conn = tg__conns_intern(&g->conns, ev.connection, strlen(ev.connection), &err);
            if (!conn)
                return err;
        }
        k.id = ev.identifier;
        k.id_len = id_len;
        k.id_hash = tg__hash_bytes(ev.identifier, id_len, g->seed);
        k.conn = conn;
        k.hash = conn ? tg__key_hash(conn, k.id_hash) : 0;
    }

    pthread_mutex_lock(&g->cache.lock);
    seen = tg__seen_hash(&g->seen, ev.id, strlen(ev.id));
    if (tg__seen_has(&g->seen, seen))
        rc = TG_EVENT_DUPLICATE;
    else if (ev.kind == TG__EVENT_OTHER)
        rc = TG_EVENT_IGNORED;
    else if (k.conn)
        rc = tg__apply_account_locked(g, &k, ev.kind == TG__EVENT_DELETED, ev.status,
                                      ev.occurred_at_ms);
    else
        rc = tg__apply_identifier_locked(g, &k, ev.occurred_at_ms);
    /* Seen only once done with: a failure above leaves the retry free to
     * apply it. */
    if (rc >= 0 && rc != TG_EVENT_DUPLICATE)
        tg__seen_add(&g->seen, seen);
    pthread_mutex_unlock(&g->cache.lock);
    tg__stats_event(&g->stats, rc);
    /* The rest of the fleet learns it too (no lock held: this talks to the
     * shared tier, bounded by its timeout). */
    if (rc == TG_EVENT_APPLIED && g->fleet.vt) {
        if (k.conn)
            tg__fleet_publish_event(g, &k, ev.kind == TG__EVENT_DELETED, ev.status,
                                    ev.occurred_at_ms);
        else
            tg__fleet_publish_identifier(g, &k, ev.occurred_at_ms);
    }
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
