/* Hits after a flood of crafted tool names. A model can be talked into
 * calling tools by any name; 10,000 names alike in their first and last 8
 * bytes and their length must not slow the checks of the tools the agent
 * uses (the tool memo hashes whole names, seeded). Target: within 2x of the
 * same hits before the flood. Also measured: tools the gate meets only after
 * the flood, which the full memo no longer takes, so each check of them
 * goes through the rules. */
#include <stdio.h>

#include "bench.h"

#define BENCH_CRAFTED 10000

void bench_crafted_figure(const bench_opts *o, const bench_keys *k, bench_results *res)
{
    enum { MAX_REPS = 9 };
    int reps = o->quick ? 5 : 9, rounds = o->quick ? 20 : 50, rep, i;
    double before[MAX_REPS], after[MAX_REPS], late[MAX_REPS];
    bench_provider_state ps;
    tg_gate *g = bench_gate(k, &ps, TG_STATUS_ACTIVE);
    tg_decision *d = tg_decision_new();
    char name[64];

    if (!d)
        bench_die("out of memory");
    tg_gate *fresh = bench_gate(k, &ps, TG_STATUS_ACTIVE);

    /* Before: the agent's tools are known to the gate. */
    bench_time_checks(g, k, d, 2, TG_VERDICT_ALLOW);
    for (rep = 0; rep < reps; rep++)
        before[rep] = bench_time_checks(g, k, d, rounds, TG_VERDICT_ALLOW);
    /* The flood, on both gates; the second meets the real tools only after. */
    for (i = 0; i < BENCH_CRAFTED; i++) {
        snprintf(name, sizeof name, "gmail_se%06d_email_01", i);
        if (tg_gate_check(g, name, k->identifier[0], d) != TG_OK ||
            tg_gate_check(fresh, name, k->identifier[0], d) != TG_OK)
            bench_die("crafted check");
    }
    for (rep = 0; rep < reps; rep++)
        after[rep] = bench_time_checks(g, k, d, rounds, TG_VERDICT_ALLOW);
    bench_time_checks(fresh, k, d, 2, TG_VERDICT_ALLOW);
    for (rep = 0; rep < reps; rep++)
        late[rep] = bench_time_checks(fresh, k, d, rounds, TG_VERDICT_ALLOW);
    res->crafted_late_ns = bench_summarise(late, reps);
    tg_gate_free(fresh);
    res->crafted_before_ns = bench_summarise(before, reps);
    res->crafted_after_ns = bench_summarise(after, reps);
    tg_decision_free(d);
    tg_gate_free(g);
}
