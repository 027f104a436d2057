/*
 * The check (docs/design.md, "A check, step by step"): validated input, the
 * tool rules, an RCU read of the cache, a verdict from a fresh entry. On a
 * hit: no lock, no allocation, no write to a shared cache line. Anything
 * else goes to the miss path (miss.c).
 */
#include <string.h>

#include "decision.h"
#include "error.h"
#include "gate.h"
#include "input.h"

/* Sets every flag: call before tg__fill_link. */
static inline void tg__fill_status(tg_decision *d, tg_status status, tg_source source)
{
    d->flags = tg__decision_status_flags(status, source);
}

static inline __attribute__((always_inline)) int
tg__gate_decide(tg_gate *g, const tg__conn *conn, const char *id, size_t id_len, uint64_t id_hash,
                tg_decision *d, int cached_only)
{
    tg__reader *r = tg__rcu_reader();
    tg__cache_view v;
    tg__key k;
    int64_t now;

    if (!r)
        return tg__fail(TG_ENOMEM, "gate: out of memory registering the thread");
    d->connection = conn->name;
    k.conn = conn;
    k.id = id;
    k.id_len = id_len;
    k.id_hash = id_hash;
    k.hash = tg__key_hash(conn, id_hash);
    now = tg__gate_now(g);

    tg__rcu_enter(r);
    if (tg__cache_read(&g->cache, conn, id, id_len, k.hash, &v) && now < v.expires) {
        if (v.status == TG_STATUS_ACTIVE) {
            tg__cache_hit(&v);
            tg__rcu_exit(r);
            tg__fill_status(d, TG_STATUS_ACTIVE, TG_SOURCE_CACHE);
            tg__count_verdict(&g->stats, r, TG_VERDICT_ALLOW);
            return TG_OK;
        }
        const tg__link *l = tg__cache_view_link(&v);
        if (l && now < l->refresh_mono) {
            tg__fill_status(d, v.status, TG_SOURCE_CACHE);
            memcpy(d->link, l->url, (size_t)l->len + 1);
            d->has_link = 1;
            d->link_expires_at = l->expires_at_ms;
            tg__cache_hit(&v);
            tg__rcu_exit(r);
            tg__count_verdict(&g->stats, r, TG_VERDICT_NEEDS_AUTHORIZATION);
            return TG_OK;
        }
    }
    tg__rcu_exit(r);
    /* Equal to a cached identifier means valid; anything else is checked
     * before it can reach the provider or the cache. */
    if (!tg__valid_identifier(id, NULL))
        return tg__invalid_input("identifier", id);
    if (cached_only)
        return TG_EWOULDBLOCK;
    return tg__gate_miss(g, r, &k, d, 0);
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
        /* tool_len is the length when within the limit: check its bytes. */
        if (tool_len == 0 || tool_len > TG_TOOL_MAX || !tg__valid_tool_chars(tool, tool_len))
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
            tg__count_verdict(&g->stats, r, d->verdict);
            tg__count_unmapped(&g->stats, r);
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

int tg__gate_key(tg_gate *g, const char *connection, const char *identifier, tg__key *k)
{
    const tg__conn *conn;
    size_t conn_len, id_len;
    int err = TG_OK;

    if (!tg__valid_connection(connection, &conn_len))
        return tg__invalid_input("connection", connection);
    if (!tg__valid_identifier(identifier, &id_len))
        return tg__invalid_input("identifier", identifier);
    conn = tg__conns_intern(&g->conns, connection, conn_len, &err);
    if (!conn)
        return err;
    tg__gate_key_of(g, conn, identifier, id_len, k);
    return TG_OK;
}

int tg_gate_check_connection(tg_gate *g, const char *connection, const char *identifier,
                             tg_decision *d)
{
    tg__key k;
    int rc;

    if (!g || !d)
        return tg__fail(TG_EINVAL, "tg_gate_check_connection: NULL gate or decision");
    rc = tg__gate_key(g, connection, identifier, &k);
    if (rc != TG_OK)
        return rc;
    tg__decision_begin(d);
    return tg__gate_decide(g, k.conn, identifier, k.id_len,
                           tg__hash_copy(d->identifier, identifier, k.id_len, g->seed), d, 0);
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
