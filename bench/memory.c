/* Figure 9: resident memory per cached account at 1,000,000 accounts. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_MEMORY_ACCOUNTS 1000000

static long bench_rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        bench_die("/proc/self/statm");
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

void bench_memory_figure(const bench_opts *o, bench_results *res)
{
    bench_provider_state ps = { TG_STATUS_ACTIVE };
    tg_decision *d = tg_decision_new();
    tg_stats s = TG_STATS_INIT;
    char id[32];
    long before, after, i;
    tg_gate *g;

    (void)o;
    if (!d || tg_gate_new_with_provider(&g,
                                        "{\"cache\":{\"active_ttl_ms\":86400000,"
                                        "\"max_entries\":2000000}}",
                                        NULL, &bench_provider, &ps) != TG_OK)
        bench_die("gate");
    if (tg_gate_check_connection(g, "gmail", "warm", d) != TG_OK)
        bench_die("check");
    before = bench_rss_bytes();
    for (i = 0; i < BENCH_MEMORY_ACCOUNTS; i++) {
        snprintf(id, sizeof id, "user_%07ld@example.com", i);
        if (tg_gate_check_connection(g, "gmail", id, d) != TG_OK)
            bench_die("check");
    }
    after = bench_rss_bytes();
    if (tg_gate_stats(g, &s) != TG_OK || s.entries != BENCH_MEMORY_ACCOUNTS + 1)
        bench_die("not every account was cached");
    res->bytes_per_entry_1m = (double)(after - before) / BENCH_MEMORY_ACCOUNTS;
    tg_decision_free(d);
    tg_gate_free(g);
}
