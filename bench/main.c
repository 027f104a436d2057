/*
 * toolgate-bench: the figures of docs/design.md §16 side by side with their baselines,
 * in one run. Prints a table, or one JSON object with --json.
 *
 *   toolgate-bench [--json] [--quick] [--dev-server PATH] [--no-http]
 *                  [--toolgate PATH] [--no-serve] [--no-fleet]
 *   toolgate-bench --hit-loop N     (for callgrind: exactly N cache hits)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef TG_BENCH_DEV_SERVER
#define TG_BENCH_DEV_SERVER NULL
#endif
#ifndef TG_BENCH_TOOLGATE
#define TG_BENCH_TOOLGATE NULL
#define TG_BENCH_MCP_SERVER NULL
#endif

static void usage(FILE *out)
{
    fputs("usage: toolgate-bench [--json] [--quick] [--dev-server PATH | --no-http] [--no-mcp]\n"
          "                      [--no-serve] [--no-fleet]\n"
          "       toolgate-bench --hit-loop N\n"
          "\n"
          "Measures the check's hit path against a bare uthash lookup, blocked hits,\n"
          "two-thread scaling, allocations per hit, memory per cached account and,\n"
          "with the Scalekit dev server, misses, single flight and a peer-style\n"
          "uncached check, an allowed tools/call through `toolgate mcp-proxy`\n"
          "against the same MCP server called directly (p50 and p99), and a check\n"
          "through `toolgate serve` over loopback against a `toolgate check` process\n"
          "per call. With a redis-server of its own (found on PATH): a miss served\n"
          "from Redis against a provider miss (p50 and p99), a webhook applied in one\n"
          "of 4 processes until every other sees it, and provider requests per\n"
          "account with 4 processes on one Redis against 4 without. Each other timed\n"
          "figure is the median of several repetitions after a warm-up, with min and\n"
          "max.\n"
          "\n"
          "  --json            one JSON object instead of a table\n"
          "  --quick           fewer and shorter repetitions\n"
          "  --dev-server PATH scalekit-dev binary (default: the one built with this)\n"
          "  --no-http         skip the figures that need the dev server\n"
          "  --no-mcp          skip the mcp-proxy figure\n"
          "  --no-serve        skip the figures of toolgate serve\n"
          "  --no-fleet        skip the figures of a fleet on Redis\n"
          "  --hit-loop N      warm the cache, then make N hits and exit (for callgrind)\n",
          out);
}

static void json_figure(const char *name, double v, int last)
{
    printf("  \"%s\": %.4g%s\n", name, v, last ? "" : ",");
}

static const char *const fleet_keys[] = {
    "redis_miss_p50_us", "redis_miss_p99_us", "provider_miss_p50_us", "provider_miss_p99_us",
    "redis_miss_ratio_p50", "fleet_cold_miss_p50_us", "fleet_cold_miss_p99_us",
    "webhook_every_process_p50_us", "webhook_every_process_p99_us",
    "webhook_one_process_p50_us", "webhook_one_process_p99_us", "webhook_apply_p50_us",
    "webhook_local_p50_us", "webhook_local_p99_us", "webhook_events", "webhook_lost",
    "requests_per_account", "requests_per_account_max", "requests_per_account_alone",
    "requests_per_account_alone_max", "request_accounts", "request_accounts_over_one"
};

static void print_json_fleet(const bench_results *r)
{
    size_t i;
    if (!r->have_fleet) {
        for (i = 0; i < sizeof fleet_keys / sizeof *fleet_keys; i++)
            printf("  \"%s\": null,\n", fleet_keys[i]);
        return;
    }
    {
        const double v[] = {
            r->redis_miss_p50_us.median, r->redis_miss_p99_us.median,
            r->provider_miss_p50_us.median, r->provider_miss_p99_us.median,
            r->redis_miss_p50_us.median / r->provider_miss_p50_us.median,
            r->fleet_cold_p50_us.median, r->fleet_cold_p99_us.median,
            r->webhook_all_p50_us, r->webhook_all_p99_us, r->webhook_each_p50_us,
            r->webhook_each_p99_us, r->webhook_apply_p50_us, r->webhook_local_p50_us,
            r->webhook_local_p99_us, r->webhook_events, r->webhook_lost,
            r->requests_per_account, r->requests_per_account_max,
            r->requests_per_account_alone, r->requests_per_account_alone_max,
            r->request_accounts, r->request_accounts_over_one
        };
        _Static_assert(sizeof v / sizeof *v == sizeof fleet_keys / sizeof *fleet_keys,
                       "one value per key");
        for (i = 0; i < sizeof fleet_keys / sizeof *fleet_keys; i++)
            json_figure(fleet_keys[i], v[i], 0);
    }
}

static void print_json(const bench_results *r)
{
    puts("{");
    json_figure("hit_ns", r->hit_ns.median, 0);
    json_figure("hit_ns_min", r->hit_ns.min, 0);
    json_figure("hit_ns_max", r->hit_ns.max, 0);
    json_figure("baseline_find_ns", r->baseline_ns.median, 0);
    json_figure("hit_ratio", r->hit_ns.median / r->baseline_ns.median, 0);
    json_figure("blocked_hit_ns", r->blocked_ns.median, 0);
    json_figure("checks_per_s_1t", r->cps_1t.median, 0);
    json_figure("checks_per_s_2t", r->cps_2t.median, 0);
    json_figure("scaling_2t", r->cps_2t.median / r->cps_1t.median, 0);
    json_figure("allocs_per_hit", r->allocs_per_hit, 0);
    json_figure("hit_after_crafted_tools_ns", r->crafted_after_ns.median, 0);
    json_figure("crafted_tools_ratio", r->crafted_after_ns.median / r->crafted_before_ns.median,
                0);
    json_figure("tools_met_after_crafted_ns", r->crafted_late_ns.median, 0);
    json_figure("tools_met_after_crafted_ratio",
                r->crafted_late_ns.median / r->crafted_before_ns.median, 0);
    if (r->have_http) {
        json_figure("miss_ns", r->miss_ns.median, 0);
        json_figure("http_requests_per_miss", r->http_requests_per_miss, 0);
        json_figure("singleflight_provider_calls", (double)r->singleflight_provider_calls, 0);
        json_figure("peer_style_ns", r->peer_ns.median, 0);
        json_figure("peer_style_ratio", r->peer_ns.median / r->hit_ns.median, 0);
    } else {
        puts("  \"miss_ns\": null,\n  \"http_requests_per_miss\": null,\n"
             "  \"singleflight_provider_calls\": null,\n  \"peer_style_ns\": null,\n"
             "  \"peer_style_ratio\": null,");
    }
    if (r->have_mcp) {
        json_figure("mcp_direct_p50_us", r->mcp_direct_p50_us, 0);
        json_figure("mcp_direct_p99_us", r->mcp_direct_p99_us, 0);
        json_figure("mcp_proxy_p50_us", r->mcp_proxy_p50_us, 0);
        json_figure("mcp_proxy_p99_us", r->mcp_proxy_p99_us, 0);
        json_figure("mcp_added_p50_us", r->mcp_proxy_p50_us - r->mcp_direct_p50_us, 0);
        json_figure("mcp_added_p99_us", r->mcp_proxy_p99_us - r->mcp_direct_p99_us, 0);
    } else {
        puts("  \"mcp_direct_p50_us\": null,\n  \"mcp_direct_p99_us\": null,\n"
             "  \"mcp_proxy_p50_us\": null,\n  \"mcp_proxy_p99_us\": null,\n"
             "  \"mcp_added_p50_us\": null,\n  \"mcp_added_p99_us\": null,");
    }
    if (r->have_serve) {
        json_figure("serve_check_p50_us", r->serve_p50_us.median, 0);
        json_figure("serve_check_p99_us", r->serve_p99_us.median, 0);
        json_figure("serve_checks_per_s_2t", r->serve_cps_2t.median, 0);
        json_figure("process_check_p50_us", r->process_p50_us.median, 0);
        json_figure("process_checks_per_s_2t", r->process_cps_2t.median, 0);
        json_figure("serve_speedup_p50", r->process_p50_us.median / r->serve_p50_us.median, 0);
    } else {
        puts("  \"serve_check_p50_us\": null,\n  \"serve_check_p99_us\": null,\n"
             "  \"serve_checks_per_s_2t\": null,\n  \"process_check_p50_us\": null,\n"
             "  \"process_checks_per_s_2t\": null,\n  \"serve_speedup_p50\": null,");
    }
    print_json_fleet(r);
    json_figure("bytes_per_entry_1m", r->bytes_per_entry_1m, 1);
    puts("}");
}

static void row(const char *what, const bench_figure *f, const char *unit, const char *note)
{
    printf("%-34s %12.1f %12.1f %12.1f  %-6s %s\n", what, f->median, f->min, f->max, unit,
           note);
}

static void print_table_fleet(const bench_results *r)
{
    char note[64];
    if (!r->have_fleet) {
        printf("(fleet figures skipped: %s)\n", r->fleet_skipped ? r->fleet_skipped : "--no-fleet");
        return;
    }
    printf("%-34s %12s %12s %12s\n", "a fleet on Redis (us)", "p50", "p99", "");
    snprintf(note, sizeof note, "(p50 <= 200; %.2fx the provider's)",
             r->redis_miss_p50_us.median / r->provider_miss_p50_us.median);
    printf("%-34s %12.1f %12.1f %12s  %s\n", "  miss served from Redis", r->redis_miss_p50_us.median,
           r->redis_miss_p99_us.median, "", note);
    printf("%-34s %12.1f %12.1f %12s  (%d checks each, median of %d)\n",
           "  baseline: provider miss, HTTP", r->provider_miss_p50_us.median,
           r->provider_miss_p99_us.median, "", r->fleet_miss_checks, r->redis_miss_p50_us.reps);
    printf("%-34s %12.1f %12.1f\n", "  fleet cold miss: lock, provider", r->fleet_cold_p50_us.median,
           r->fleet_cold_p99_us.median);
    printf("%-34s %12.1f %12.1f %12s  (p99 <= 10000; %d events, %d lost)\n",
           "  webhook seen by all 3 others", r->webhook_all_p50_us, r->webhook_all_p99_us, "",
           r->webhook_events, r->webhook_lost);
    printf("%-34s %12.1f %12.1f\n", "  webhook seen by one other", r->webhook_each_p50_us,
           r->webhook_each_p99_us);
    printf("%-34s %12.1f %12s\n", "  webhook call, Redis write incl.", r->webhook_apply_p50_us, "");
    printf("%-34s %12.1f %12.1f\n", "  baseline: one process, no Redis", r->webhook_local_p50_us,
           r->webhook_local_p99_us);
    printf("%-34s %12s %12s %12s\n", "provider requests per account", "mean", "most", "");
    printf("%-34s %12.3f %12.0f %12s  (= 1; %d of %d accounts asked more than once)\n",
           "  4 processes x 2 threads, Redis", r->requests_per_account, r->requests_per_account_max,
           "", r->request_accounts_over_one, r->request_accounts);
    printf("%-34s %12.3f %12.0f\n", "  baseline: the same, no Redis", r->requests_per_account_alone,
           r->requests_per_account_alone_max);
}

static void print_table(const bench_results *r)
{
    char note[64];
    printf("%-34s %12s %12s %12s  %-6s %s\n", "figure", "median", "min", "max", "unit",
           "target");
    snprintf(note, sizeof note, "ratio %.2f (<= 1.0)", r->hit_ns.median / r->baseline_ns.median);
    row("hit: tg_gate_check, ALLOW", &r->hit_ns, "ns", note);
    row("baseline: uthash HASH_FIND", &r->baseline_ns, "ns", "");
    row("blocked hit: NEEDS_AUTHORIZATION", &r->blocked_ns, "ns", "");
    row("checks/s, 1 thread", &r->cps_1t, "1/s", "");
    snprintf(note, sizeof note, "scaling %.2f (>= 1.9)", r->cps_2t.median / r->cps_1t.median);
    row("checks/s, 2 threads", &r->cps_2t, "1/s", note);
    printf("%-34s %12.3f %38s (= 0)\n", "allocations per hit", r->allocs_per_hit, "");
    snprintf(note, sizeof note, "ratio %.2f to before (<= 2)",
             r->crafted_after_ns.median / r->crafted_before_ns.median);
    row("hit after 10,000 crafted tools", &r->crafted_after_ns, "ns", note);
    snprintf(note, sizeof note, "ratio %.2f (memo full: rules)",
             r->crafted_late_ns.median / r->crafted_before_ns.median);
    row("tool first met after the flood", &r->crafted_late_ns, "ns", note);
    if (r->have_http) {
        snprintf(note, sizeof note, "%.3f requests/miss (<= 1.05)", r->http_requests_per_miss);
        row("miss: expired entry, dev server", &r->miss_ns, "ns", note);
        snprintf(note, sizeof note, "ratio to hit %.0f", r->peer_ns.median / r->hit_ns.median);
        row("peer-style: 1 HTTP request/check", &r->peer_ns, "ns", note);
        printf("%-34s %12ld %38s (= 1)\n", "single flight: provider requests",
               r->singleflight_provider_calls, "");
    } else {
        puts("(HTTP figures skipped: no dev server)");
    }
    if (r->have_serve) {
        row("serve: check, keep-alive, p50", &r->serve_p50_us, "us", "(<= 50)");
        row("serve: check, keep-alive, p99", &r->serve_p99_us, "us", "");
        row("serve: checks/s, 2 client threads", &r->serve_cps_2t, "1/s", "(>= 20000)");
        snprintf(note, sizeof note, "serve is %.0fx faster",
                 r->process_p50_us.median / r->serve_p50_us.median);
        row("baseline: process per check, p50", &r->process_p50_us, "us", note);
        row("baseline: processes/s, 2 threads", &r->process_cps_2t, "1/s", "");
    } else {
        puts("(serve figures skipped: no toolgate command)");
    }
    printf("%-34s %12.1f %38s (<= 256)\n", "bytes per cached account at 1M", r->bytes_per_entry_1m,
           "");
    print_table_fleet(r);
    if (r->have_mcp) {
        printf("%-34s %12s %12s %12s\n", "tools/call round trip (us)", "p50", "p99", "");
        printf("%-34s %12.1f %12.1f\n", "  MCP server called directly", r->mcp_direct_p50_us,
               r->mcp_direct_p99_us);
        printf("%-34s %12.1f %12.1f\n", "  through toolgate mcp-proxy", r->mcp_proxy_p50_us,
               r->mcp_proxy_p99_us);
        printf("%-34s %12.1f %12.1f %12s  (p50 <= 50, %d calls each)\n", "  added by the proxy",
               r->mcp_proxy_p50_us - r->mcp_direct_p50_us,
               r->mcp_proxy_p99_us - r->mcp_direct_p99_us, "", r->mcp_calls);
    } else {
        puts("(mcp-proxy figure skipped)");
    }
}

int main(int argc, char **argv)
{
    static bench_keys keys;
    bench_opts o = { 0, 0, TG_BENCH_DEV_SERVER, TG_BENCH_TOOLGATE, TG_BENCH_MCP_SERVER, 0, 0, 0 };
    bench_results r;
    int i;

    memset(&r, 0, sizeof r);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            o.json = 1;
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(argv[i], "--no-http") == 0) {
            o.dev_server = NULL;
        } else if (strcmp(argv[i], "--no-mcp") == 0) {
            o.no_mcp = 1;
        } else if (strcmp(argv[i], "--dev-server") == 0 && i + 1 < argc) {
            o.dev_server = argv[++i];
        } else if (strcmp(argv[i], "--no-serve") == 0) {
            o.no_serve = 1;
        } else if (strcmp(argv[i], "--no-fleet") == 0) {
            o.no_fleet = 1;
        } else if (strcmp(argv[i], "--hit-loop") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n <= 0) {
                fprintf(stderr, "toolgate-bench: --hit-loop needs a positive count\n");
                return 2;
            }
            bench_hit_loop(n);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "toolgate-bench: unknown argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    bench_keys_init(&keys);
    if (!o.json)
        fprintf(stderr, "measuring the hit path...\n");
    bench_hit_figures(&o, &keys, &r);
    bench_crafted_figure(&o, &keys, &r);
    if (!o.json)
        fprintf(stderr, "measuring threads...\n");
    bench_thread_figures(&o, &keys, &r);
    if (o.dev_server) {
        if (!o.json)
            fprintf(stderr, "measuring misses against the dev server...\n");
        r.have_http = bench_http_figures(&o, &r) == 0;
    }
    if (o.toolgate && !o.no_mcp) {
        if (!o.json)
            fprintf(stderr, "measuring tools/call through mcp-proxy...\n");
        bench_mcp_figures(&o, &r);
    }
    if (o.toolgate && !o.no_serve) {
        if (!o.json)
            fprintf(stderr, "measuring toolgate serve against a process per check...\n");
        r.have_serve = bench_serve_figures(&o, &r) == 0;
    }
    if (!o.no_fleet) {
        if (!o.json)
            fprintf(stderr, "measuring a fleet on Redis...\n");
        bench_fleet_figures(&o, &r);
    }
    if (!o.json)
        fprintf(stderr, "measuring memory at 1,000,000 accounts...\n");
    bench_memory_figure(&o, &r);

    if (o.json)
        print_json(&r);
    else
        print_table(&r);
    return 0;
}
