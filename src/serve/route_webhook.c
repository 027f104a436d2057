/* POST /v1/webhooks/scalekit: where Scalekit's deliveries land. The raw body
 * and the Standard Webhooks headers (webhook-id, webhook-timestamp,
 * webhook-signature) are verified with the secret of --webhook-secret-env
 * and the event applied to the gate — to every live gate, so a long poll on
 * a gate a reload replaced wakes too. 204 for an event applied, stale,
 * duplicate or ignored; 401 for a bad signature or timestamp; 400 for a
 * malformed delivery; 404 when no secret was configured (checked before the
 * body is read, in the router's caller). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "server.h"

static const char *serve_header(serve_call *c, const char *name)
{
    const char *value = NULL;
    size_t len = 0;

    if (MHD_lookup_connection_value_n(c->conn, MHD_HEADER_KIND, name, strlen(name), &value,
                                      &len) != MHD_YES ||
        !value || strlen(value) != len)
        return NULL;
    return value;
}

void serve_route_webhook(serve_call *c)
{
    static const char *const names[3] = { "webhook-id", "webhook-timestamp",
                                          "webhook-signature" };
    const char *h[3];
    serve_gate **all;
    int64_t now = (int64_t)time(NULL);
    size_t i;
    int rc;

    for (i = 0; i < 3; i++) {
        h[i] = serve_header(c, names[i]);
        if (!h[i]) {
            serve_metrics_webhook(&c->srv->metrics, SERVE_WH_MALFORMED);
            serve_reply_error(&c->reply, 400, "EINVAL", "missing %s header", names[i]);
            return;
        }
    }
    all = serve_gates_acquire_all(&c->srv->gates);
    if (!all) {
        serve_reply_failure(&c->reply, TG_ENOMEM);
        return;
    }
    /* all[0] is the current gate: its answer is the delivery's outcome. A
     * signature that holds for one gate holds for the others. */
    rc = tg_gate_apply_webhook(all[0]->gate, c->srv->webhook_secret, h[0], h[1], h[2], c->body,
                               c->body_len, now);
    if (rc < 0)
        serve_reply_failure(&c->reply, rc); /* before anything else sets the message */
    for (i = 1; rc >= 0 && all[i]; i++) {
        int older = tg_gate_apply_webhook(all[i]->gate, c->srv->webhook_secret, h[0], h[1],
                                          h[2], c->body, c->body_len, now);
        (void)older;
    }
    for (i = 0; all[i]; i++)
        serve_gates_release(&c->srv->gates, all[i]);
    free(all);

    switch (rc) {
    case TG_EVENT_APPLIED:
    case TG_EVENT_STALE:
    case TG_EVENT_DUPLICATE:
    case TG_EVENT_IGNORED:
        serve_metrics_webhook(&c->srv->metrics, (serve_webhook_outcome)rc);
        c->reply.status = 204;
        return;
    case TG_ESIGNATURE:
        serve_metrics_webhook(&c->srv->metrics, SERVE_WH_BAD_SIGNATURE);
        c->reply.status = 401;
        return;
    case TG_ETIMESTAMP:
        serve_metrics_webhook(&c->srv->metrics, SERVE_WH_BAD_TIMESTAMP);
        c->reply.status = 401;
        return;
    case TG_EINVAL:
        serve_metrics_webhook(&c->srv->metrics, SERVE_WH_MALFORMED);
        return; /* 400, set above */
    default:
        return; /* 500, set above */
    }
}
