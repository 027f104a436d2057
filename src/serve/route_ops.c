/* For the operator: GET /metrics, GET /healthz (the process serves) and GET
 * /readyz (the gate is built and the provider's last answer, if any in the
 * last minute, was not a failure). No API token: they tell nothing about
 * any account. */
#include <stdio.h>
#include <time.h>

#include "server.h"

#define SERVE_READY_WINDOW_MS 60000

void serve_route_metrics(serve_call *c)
{
    size_t len = 0;
    char *text = serve_metrics_render(c->srv, &len);

    serve_reply_take(&c->reply, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                     text ? len : 1);
}

void serve_route_healthz(serve_call *c)
{
    serve_reply_text(&c->reply, 200, SERVE_TYPE_TEXT, "ok");
}

void serve_route_readyz(serve_call *c)
{
    tg_stats total = TG_STATS_INIT, current = TG_STATS_INIT;
    struct timespec ts;
    int64_t now_ms, last_error;
    char why[160];

    serve_gates_stats(&c->srv->gates, &total, &current);
    clock_gettime(CLOCK_REALTIME, &ts);
    now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    last_error = current.provider_last_error_ms;
    if (last_error > current.provider_last_ok_ms && now_ms - last_error < SERVE_READY_WINDOW_MS) {
        snprintf(why, sizeof why,
                 "not ready: the provider's last answer, %lld ms ago, was a failure",
                 (long long)(now_ms - last_error));
        serve_reply_text(&c->reply, 503, SERVE_TYPE_TEXT, why);
        return;
    }
    serve_reply_text(&c->reply, 200, SERVE_TYPE_TEXT, "ok");
}
