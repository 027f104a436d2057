/* Figures 1, 2, 3 and 5: the hit path, a bare uthash lookup of the same keys,
 * a blocked hit, and allocations per hit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "bench.h"

typedef struct bench_item {
    const char *key;
    size_t len;
    UT_hash_handle hh;
} bench_item;

static volatile unsigned long bench_sink;

/* A gate whose provider answers @p status, with every key cached. */
tg_gate *bench_gate(const bench_keys *k, bench_provider_state *ps, tg_status status)
{
    char cfg[2048];
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    int i;

    ps->status = status;
    snprintf(cfg, sizeof cfg,
             "{%s,\"cache\":{\"active_ttl_ms\":86400000,\"inactive_ttl_ms\":86400000,"
             "\"max_entries\":100000}}",
             bench_rules_json);
    if (!d || tg_gate_new_with_provider(&g, cfg, NULL, &bench_provider, ps) != TG_OK)
        bench_die("gate");
    for (i = 0; i < BENCH_ACCOUNTS; i++)
        if (tg_gate_check_connection(g, k->connection[i], k->identifier[i], d) != TG_OK)
            bench_die("warm-up");
    tg_decision_free(d);
    return g;
}

/* ns per check over @p rounds passes of the shuffled keys; every verdict
 * must be @p expect. */
double bench_time_checks(tg_gate *g, const bench_keys *k, tg_decision *d, int rounds,
                         tg_verdict expect)
{
    double t0 = bench_now_ns(), t1;
    unsigned long wrong = 0;
    int r, i;

    for (r = 0; r < rounds; r++)
        for (i = 0; i < BENCH_ACCOUNTS; i++) {
            int j = k->order[i];
            if (tg_gate_check(g, k->tool[j], k->identifier[j], d) != TG_OK)
                bench_die("check");
            wrong += tg_decision_verdict(d) != expect;
        }
    t1 = bench_now_ns();
    if (wrong)
        bench_die("a check gave an unexpected verdict");
    return (t1 - t0) / ((double)rounds * BENCH_ACCOUNTS);
}

static double bench_time_find(bench_item *head, const bench_keys *k, int rounds)
{
    double t0 = bench_now_ns(), t1;
    unsigned long found = 0;
    bench_item *it;
    int r, i;

    for (r = 0; r < rounds; r++)
        for (i = 0; i < BENCH_ACCOUNTS; i++) {
            int j = k->order[i];
            HASH_FIND(hh, head, k->composite[j], k->composite_len[j], it);
            found += it != NULL;
        }
    t1 = bench_now_ns();
    bench_sink += found;
    if (found != (unsigned long)rounds * BENCH_ACCOUNTS)
        bench_die("baseline lookup missed");
    return (t1 - t0) / ((double)rounds * BENCH_ACCOUNTS);
}

void bench_hit_figures(const bench_opts *o, const bench_keys *k, bench_results *res)
{
    enum { MAX_REPS = 9 };
    int reps = o->quick ? 5 : 9, rounds = o->quick ? 20 : 100, rep, i;
    double hit[MAX_REPS], find[MAX_REPS], blocked[MAX_REPS];
    bench_provider_state active_state, blocked_state;
    tg_gate *active = bench_gate(k, &active_state, TG_STATUS_ACTIVE);
    tg_gate *expired = bench_gate(k, &blocked_state, TG_STATUS_EXPIRED);
    tg_decision *d = tg_decision_new();
    bench_item *head = NULL, *items = calloc(BENCH_ACCOUNTS, sizeof *items), *it, *tmp;
    tg_stats before = TG_STATS_INIT, after = TG_STATS_INIT;
    uint64_t allocs;

    if (!d || !items)
        bench_die("out of memory");
    for (i = 0; i < BENCH_ACCOUNTS; i++) {
        items[i].key = k->composite[i];
        items[i].len = k->composite_len[i];
        HASH_ADD_KEYPTR(hh, head, items[i].key, items[i].len, &items[i]);
    }

    /* Warm-up: caches, branch predictors, the tool memo. */
    bench_time_checks(active, k, d, 2, TG_VERDICT_ALLOW);
    bench_time_checks(expired, k, d, 2, TG_VERDICT_NEEDS_AUTHORIZATION);
    bench_time_find(head, k, 2);

    if (tg_gate_stats(active, &before) != TG_OK)
        bench_die("stats");
    for (rep = 0; rep < reps; rep++) {
        hit[rep] = bench_time_checks(active, k, d, rounds, TG_VERDICT_ALLOW);
        find[rep] = bench_time_find(head, k, rounds);
        blocked[rep] = bench_time_checks(expired, k, d, rounds, TG_VERDICT_NEEDS_AUTHORIZATION);
    }
    if (tg_gate_stats(active, &after) != TG_OK)
        bench_die("stats");
    if (after.misses != before.misses)
        bench_die("the hit figure included misses");

    bench_alloc_count_start();
    bench_time_checks(active, k, d, 10, TG_VERDICT_ALLOW);
    bench_time_checks(expired, k, d, 10, TG_VERDICT_NEEDS_AUTHORIZATION);
    allocs = bench_alloc_count_stop();
    res->allocs_per_hit = allocs == UINT64_MAX ? -1 : (double)allocs / (20.0 * BENCH_ACCOUNTS);

    res->hit_ns = bench_summarise(hit, reps);
    res->baseline_ns = bench_summarise(find, reps);
    res->blocked_ns = bench_summarise(blocked, reps);

    HASH_ITER(hh, head, it, tmp) HASH_DEL(head, it);
    free(items);
    tg_decision_free(d);
    tg_gate_free(active);
    tg_gate_free(expired);
}

/* For callgrind: warm the cache through tg_gate_check_connection, then make
 * exactly @p n hits through tg_gate_check (count with --toggle-collect). */
void bench_hit_loop(long n)
{
    static bench_keys k;
    bench_provider_state ps;
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    long i;

    bench_keys_init(&k);
    g = bench_gate(&k, &ps, TG_STATUS_ACTIVE);
    for (i = 0; i < n; i++) {
        int j = k.order[i % BENCH_ACCOUNTS];
        if (tg_gate_check(g, k.tool[j], k.identifier[j], d) != TG_OK)
            bench_die("check");
        bench_sink += tg_decision_verdict(d);
    }
    printf("%ld hits\n", n);
    tg_decision_free(d);
    tg_gate_free(g);
}
