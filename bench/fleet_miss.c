/* A miss served from Redis against a provider miss, p50 and p99 of each, in
 * one process. Each repetition takes a fresh key prefix, so Redis holds
 * nothing yet, and:
 *  - a first gate on Redis checks N accounts: each a miss in its cache and in
 *    Redis, so it reads Redis, takes the fleet lock, asks the dev server,
 *    writes and publishes the answer, and releases the lock (the fleet's cold
 *    miss);
 *  - a second gate on Redis, fresh, checks the same accounts: each a miss in
 *    its cache answered by one read of Redis (source "shared");
 *  - beside it, check for check, a gate without Redis: each a miss that asks
 *    the dev server over HTTP (keep-alive, token cached) — the baseline.
 * Every gate first checks another account, so that connections and the
 * token are there before the timing starts. */
#include <stdio.h>
#include <stdlib.h>

#include "fleet.h"

#define MAX_REPS 7

static double time_check(tg_gate *g, tg_decision *d, int i, tg_source source)
{
    double t0 = bench_now_ns();
    fleet_check(g, d, i, source);
    return (bench_now_ns() - t0) / 1e3;
}

void fleet_miss_figures(const fleet_env *e, bench_results *r)
{
    int reps = e->o->quick ? 3 : 5, n = e->o->quick ? 300 : 1000, rep, i;
    double *cold = malloc(sizeof *cold * (size_t)n), *shared = malloc(sizeof *shared * (size_t)n),
           *provider = malloc(sizeof *provider * (size_t)n);
    double p50[3][MAX_REPS], p99[3][MAX_REPS];
    tg_decision *d = tg_decision_new();

    if (!cold || !shared || !provider || !d)
        bench_die("out of memory");
    for (rep = 0; rep < reps; rep++) {
        char prefix[32];
        tg_gate *first, *second, *alone;

        snprintf(prefix, sizeof prefix, "tgbench:miss%d:", rep);
        first = fleet_gate(e, prefix, FLEET_LONG_TTL_MS);
        fleet_check(first, d, FLEET_WARM_ACCOUNT, TG_SOURCE_PROVIDER);
        for (i = 0; i < n; i++)
            cold[i] = time_check(first, d, i, TG_SOURCE_PROVIDER);
        tg_gate_free(first);

        second = fleet_gate(e, prefix, FLEET_LONG_TTL_MS);
        alone = fleet_gate(e, NULL, FLEET_LONG_TTL_MS);
        fleet_check(second, d, FLEET_WARM_ACCOUNT, TG_SOURCE_SHARED);
        fleet_check(alone, d, FLEET_WARM_ACCOUNT, TG_SOURCE_PROVIDER);
        for (i = 0; i < n; i++) { /* each first in turn */
            if (i % 2) {
                shared[i] = time_check(second, d, i, TG_SOURCE_SHARED);
                provider[i] = time_check(alone, d, i, TG_SOURCE_PROVIDER);
            } else {
                provider[i] = time_check(alone, d, i, TG_SOURCE_PROVIDER);
                shared[i] = time_check(second, d, i, TG_SOURCE_SHARED);
            }
        }
        tg_gate_free(second);
        tg_gate_free(alone);

        p50[0][rep] = bench_percentile(shared, n, 0.50);
        p99[0][rep] = bench_percentile(shared, n, 0.99);
        p50[1][rep] = bench_percentile(provider, n, 0.50);
        p99[1][rep] = bench_percentile(provider, n, 0.99);
        p50[2][rep] = bench_percentile(cold, n, 0.50);
        p99[2][rep] = bench_percentile(cold, n, 0.99);
    }
    r->redis_miss_p50_us = bench_summarise(p50[0], reps);
    r->redis_miss_p99_us = bench_summarise(p99[0], reps);
    r->provider_miss_p50_us = bench_summarise(p50[1], reps);
    r->provider_miss_p99_us = bench_summarise(p99[1], reps);
    r->fleet_cold_p50_us = bench_summarise(p50[2], reps);
    r->fleet_cold_p99_us = bench_summarise(p99[2], reps);
    r->fleet_miss_checks = n;
    tg_decision_free(d);
    free(cold);
    free(shared);
    free(provider);
}
