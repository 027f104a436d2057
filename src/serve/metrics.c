/* /metrics: Prometheus text format 0.0.4. The gate's counters are the
 * running totals of every gate since the start (gates.c), so a reload never
 * makes a counter go down; the server adds its own: HTTP requests by route
 * and status, webhook deliveries by outcome, reloads, connections. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

static const int serve_codes[SERVE_N_CODES - 1] = { 200, 204, 400, 401, 404,
                                                     405, 413, 500, 501, 503 };

static const char *const serve_webhook_names[SERVE_N_WEBHOOK_OUTCOMES] = {
    "applied",       "stale",         "duplicate", "ignored",
    "bad_signature", "bad_timestamp", "malformed", "too_large",
};

static const char *const serve_verdict_names[4] = { "ALLOW", "NEEDS_AUTHORIZATION",
                                                     "UNAVAILABLE", "DENY" };

void serve_metrics_http(serve_metrics *m, serve_route_id route, int http_status)
{
    size_t i;

    for (i = 0; i < SERVE_N_CODES - 1; i++)
        if (serve_codes[i] == http_status)
            break;
    atomic_fetch_add_explicit(&m->http[route][i], 1, memory_order_relaxed);
}

void serve_metrics_webhook(serve_metrics *m, serve_webhook_outcome outcome)
{
    atomic_fetch_add_explicit(&m->webhooks[outcome], 1, memory_order_relaxed);
}

static uint64_t serve_load(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void serve_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void serve_counter(FILE *f, const char *name, const char *help, uint64_t value)
{
    serve_family(f, name, "counter", help);
    fprintf(f, "%s %llu\n", name, (unsigned long long)value);
}

static void serve_gauge(FILE *f, const char *name, const char *help, double value)
{
    serve_family(f, name, "gauge", help);
    fprintf(f, "%s %.17g\n", name, value);
}

static void serve_render_gate(FILE *f, const tg_stats *t, const tg_stats *cur)
{
    static const double bounds[] = TG_STATS_LATENCY_BOUNDS;
    uint64_t cumulative = 0;
    size_t i;

    serve_family(f, "toolgate_decisions_total", "counter", "Checks answered, by verdict.");
    for (i = 0; i < 4; i++)
        fprintf(f, "toolgate_decisions_total{verdict=\"%s\"} %llu\n", serve_verdict_names[i],
                (unsigned long long)t->verdicts[i]);
    serve_counter(f, "toolgate_cache_hits_total", "Checks answered from a fresh cache entry.",
                  t->hits);
    serve_counter(f, "toolgate_cache_misses_total", "Checks that needed the provider's answer.",
                  t->misses);
    serve_counter(f, "toolgate_cache_evictions_total",
                  "Cache entries dropped to respect cache.max_entries.", t->evictions);
    serve_gauge(f, "toolgate_cache_entries", "Accounts in the cache now.", (double)cur->entries);
    serve_counter(f, "toolgate_provider_requests_total",
                  "Status and link requests sent to the provider.", t->provider_calls);
    serve_counter(f, "toolgate_provider_errors_total", "Provider requests that failed.",
                  t->provider_errors);

    /* Ours are per bucket; Prometheus buckets count everything up to their bound. */
    serve_family(f, "toolgate_provider_request_duration_seconds", "histogram",
                 "Time of each status or link request to the provider.");
    for (i = 0; i < TG_STATS_LATENCY_BUCKETS; i++) {
        cumulative += t->provider_latency_buckets[i];
        if (i < sizeof bounds / sizeof bounds[0])
            fprintf(f, "toolgate_provider_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    bounds[i], (unsigned long long)cumulative);
        else
            fprintf(f, "toolgate_provider_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)cumulative);
    }
    fprintf(f, "toolgate_provider_request_duration_seconds_sum %.9g\n",
            t->provider_latency_seconds_sum);
    fprintf(f, "toolgate_provider_request_duration_seconds_count %llu\n",
            (unsigned long long)cumulative);

    serve_counter(f, "toolgate_shared_hits_total", "Misses answered from the shared tier.",
                  t->shared_hits);
    serve_counter(f, "toolgate_shared_misses_total", "Misses the shared tier could not answer.",
                  t->shared_misses);
    serve_counter(f, "toolgate_shared_errors_total",
                  "Shared-tier operations that failed or timed out.", t->shared_errors);
    serve_counter(f, "toolgate_shared_publishes_total",
                  "Changes written and published to the other processes.", t->shared_publishes);
    serve_counter(f, "toolgate_shared_received_total",
                  "Changes received from the other processes.", t->shared_received);
}

static void serve_render_server(FILE *f, serve_server *srv)
{
    serve_metrics *m = &srv->metrics;
    size_t r, i;

    serve_family(f, "toolgate_webhook_events_total", "counter",
                 "Webhook deliveries, by what became of them.");
    for (i = 0; i < SERVE_N_WEBHOOK_OUTCOMES; i++)
        fprintf(f, "toolgate_webhook_events_total{outcome=\"%s\"} %llu\n",
                serve_webhook_names[i], (unsigned long long)serve_load(&m->webhooks[i]));

    serve_family(f, "toolgate_http_requests_total", "counter",
                 "HTTP requests answered, by route and status code.");
    for (r = 0; r < SERVE_N_ROUTES; r++) {
        for (i = 0; i < SERVE_N_CODES; i++) {
            uint64_t n = serve_load(&m->http[r][i]);
            if (n == 0)
                continue;
            if (i < SERVE_N_CODES - 1)
                fprintf(f, "toolgate_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                        serve_route_name((serve_route_id)r), serve_codes[i],
                        (unsigned long long)n);
            else
                fprintf(f, "toolgate_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                        serve_route_name((serve_route_id)r), (unsigned long long)n);
        }
    }
    serve_gauge(f, "toolgate_http_connections", "HTTP connections open now.",
                (double)serve_conns_count(&srv->conns));
    serve_gauge(f, "toolgate_waits", "Long polls (GET /v1/wait) running now.",
                (double)serve_waits_count(&srv->waits));
    serve_counter(f, "toolgate_http_clients_timed_out_total",
                  "Connections closed because the client was too slow or idle.",
                  serve_load(&m->clients_timed_out));
    serve_family(f, "toolgate_config_reloads_total", "counter",
                 "Configuration reloads (SIGHUP), by result.");
    fprintf(f, "toolgate_config_reloads_total{result=\"ok\"} %llu\n",
            (unsigned long long)serve_load(&m->reloads_ok));
    fprintf(f, "toolgate_config_reloads_total{result=\"failed\"} %llu\n",
            (unsigned long long)serve_load(&m->reloads_failed));
}

char *serve_metrics_render(serve_server *srv, size_t *len)
{
    tg_stats total = TG_STATS_INIT, current = TG_STATS_INIT;
    char *text = NULL;
    FILE *f;

    f = open_memstream(&text, len);
    if (!f)
        return NULL;
    serve_gates_stats(&srv->gates, &total, &current);
    serve_render_gate(f, &total, &current);
    serve_render_server(f, srv);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
