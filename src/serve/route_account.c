/* One account, by connection and identifier: GET /v1/status and GET
 * /v1/link answer the lines `toolgate status` and `toolgate link` print
 * (format=text for their text form); POST /v1/invalidate drops the cached
 * entry so the next check asks the provider. */
#include <stdlib.h>

#include "cli.h"
#include "server.h"

static const char *const serve_account_args[] = { "connection", "identifier", "format", NULL };

/* connection, identifier (both required) and format from the query. */
static int serve_account_query(serve_call *c, const char **connection, const char **identifier,
                               tg_format *format)
{
    const char *v[3];

    if (serve_query(c, serve_account_args, v) != 0)
        return -1;
    if (!v[0] || !v[1]) {
        serve_reply_error(&c->reply, 400, "EINVAL", "missing query argument \"%s\"",
                          v[0] ? "identifier" : "connection");
        return -1;
    }
    *connection = v[0];
    *identifier = v[1];
    return serve_query_format(c, v[2], format);
}

void serve_route_status(serve_call *c)
{
    const char *connection, *identifier;
    tg_format format;
    serve_gate *g;
    int rc;

    if (serve_account_query(c, &connection, &identifier, &format) != 0)
        return;
    g = serve_gates_acquire(&c->srv->gates);
    rc = tg_gate_check_connection(g->gate, connection, identifier, c->sc->decision);
    if (rc != TG_OK) {
        serve_reply_failure(&c->reply, rc);
    } else {
        if (tg_decision_verdict(c->sc->decision) == TG_VERDICT_UNAVAILABLE)
            serve_reply_why(&c->reply, tg_error_message());
        serve_reply_line(&c->reply, format == TG_FORMAT_TEXT ? SERVE_TYPE_TEXT : SERVE_TYPE_JSON,
                         cli_render_status(connection, identifier, c->sc->decision, format));
        serve_reply_decision_headers(&c->reply, c->sc->decision);
    }
    serve_gates_release(&c->srv->gates, g);
}

void serve_route_link(serve_call *c)
{
    const char *connection, *identifier;
    char small[TG_LINK_MAX + 1];
    char *buf = small, *grown = NULL;
    size_t len = sizeof small, needed = 0;
    int64_t expires_at_ms = 0;
    tg_format format;
    serve_gate *g;
    int rc;

    if (serve_account_query(c, &connection, &identifier, &format) != 0)
        return;
    g = serve_gates_acquire(&c->srv->gates);
    for (;;) {
        rc = tg_gate_link(g->gate, connection, identifier, buf, len, &needed, &expires_at_ms);
        if (rc != TG_EBUFS || needed <= len)
            break;
        free(grown);
        grown = malloc(needed);
        if (!grown) {
            rc = TG_ENOMEM;
            break;
        }
        buf = grown;
        len = needed;
    }
    if (rc == TG_OK)
        serve_reply_line(&c->reply, format == TG_FORMAT_TEXT ? SERVE_TYPE_TEXT : SERVE_TYPE_JSON,
                         cli_render_link(buf, expires_at_ms, format));
    else
        serve_reply_failure(&c->reply, rc); /* before anything else sets the message */
    serve_gates_release(&c->srv->gates, g);
    free(grown);
}

static const char *const serve_invalidate_keys[] = { "connection", "identifier", NULL };

void serve_route_invalidate(serve_call *c)
{
    const char *connection, *identifier;
    serve_gate **all;
    json_object *body;
    size_t i;
    int rc = TG_OK;

    body = serve_body_object(c, serve_invalidate_keys);
    if (!body)
        return;
    connection = serve_body_string(c, body, "connection", 1);
    identifier = connection ? serve_body_string(c, body, "identifier", 0) : NULL;
    if (!connection || c->reply.status)
        goto out;
    /* Every live gate: a wait on a gate a reload replaced wakes too. */
    all = serve_gates_acquire_all(&c->srv->gates);
    if (!all) {
        serve_reply_failure(&c->reply, TG_ENOMEM);
        goto out;
    }
    for (i = 0; all[i]; i++) {
        if (rc == TG_OK) {
            rc = tg_gate_invalidate(all[i]->gate, connection, identifier);
            if (rc != TG_OK)
                serve_reply_failure(&c->reply, rc);
        }
        serve_gates_release(&c->srv->gates, all[i]);
    }
    free(all);
    if (rc == TG_OK)
        c->reply.status = 204;
out:
    json_object_put(body);
}
