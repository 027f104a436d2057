/* Figure 4: aggregate checks per second with 1 and 2 checking threads on one
 * gate, while another thread invalidates one entry every 10,000 checks. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

#define CHECKS_PER_INVALIDATION 10000
#define BATCH 1024

typedef struct checker {
    _Alignas(64) atomic_long done;   /* published every BATCH checks */
    tg_gate *g;
    const bench_keys *k;
    int start;
    atomic_int *go, *stop;
    pthread_t th;
} checker;

static void *checker_run(void *arg)
{
    checker *c = arg;
    tg_decision *d = tg_decision_new();
    long done = 0;
    int i = c->start;

    if (!d)
        bench_die("out of memory");
    while (!atomic_load_explicit(c->go, memory_order_acquire))
        ;
    while (!atomic_load_explicit(c->stop, memory_order_relaxed)) {
        int b;
        for (b = 0; b < BATCH; b++) {
            int j = c->k->order[i];
            if (++i == BENCH_ACCOUNTS)
                i = 0;
            if (tg_gate_check(c->g, c->k->tool[j], c->k->identifier[j], d) != TG_OK)
                bench_die("check");
        }
        done += BATCH;
        atomic_store_explicit(&c->done, done, memory_order_relaxed);
    }
    tg_decision_free(d);
    return NULL;
}

/* Checks per second with @p n checkers for @p ms milliseconds. */
static double bench_run_threads(tg_gate *g, const bench_keys *k, int n, int ms)
{
    checker *c = aligned_alloc(64, sizeof(checker) * 2);
    atomic_int go = 0, stop = 0;
    long total = 0, next = CHECKS_PER_INVALIDATION, invalidations = 0;
    unsigned seed = 7;
    double t0, t1;
    int i;

    if (!c)
        bench_die("out of memory");
    for (i = 0; i < n; i++) {
        atomic_init(&c[i].done, 0);
        c[i].g = g;
        c[i].k = k;
        c[i].start = i * (BENCH_ACCOUNTS / 2);
        c[i].go = &go;
        c[i].stop = &stop;
        if (pthread_create(&c[i].th, NULL, checker_run, &c[i]) != 0)
            bench_die("pthread_create");
    }
    t0 = bench_now_ns();
    atomic_store_explicit(&go, 1, memory_order_release);
    /* This thread is the invalidator: it sleeps a millisecond between looks
     * at the checkers' progress (so it barely competes for a core with two
     * checkers on two cores), then makes up the invalidations due: one per
     * 10,000 checks on average. */
    for (;;) {
        struct timespec nap = { 0, 1000000 };
        nanosleep(&nap, NULL);
        total = 0;
        for (i = 0; i < n; i++)
            total += atomic_load_explicit(&c[i].done, memory_order_relaxed);
        while (total >= next) {
            int j;
            seed = seed * 1103515245u + 12345u;
            j = (int)((seed >> 8) % BENCH_ACCOUNTS);
            if (tg_gate_invalidate(g, k->connection[j], k->identifier[j]) != TG_OK)
                bench_die("invalidate");
            invalidations++;
            next += CHECKS_PER_INVALIDATION;
        }
        if (bench_now_ns() - t0 >= ms * 1e6)
            break;
    }
    atomic_store(&stop, 1);
    for (i = 0; i < n; i++)
        pthread_join(c[i].th, NULL);
    t1 = bench_now_ns();
    total = 0;
    for (i = 0; i < n; i++)
        total += atomic_load(&c[i].done);
    free(c);
    if (invalidations == 0)
        bench_die("no invalidation happened");
    return (double)total / ((t1 - t0) / 1e9);
}

void bench_thread_figures(const bench_opts *o, const bench_keys *k, bench_results *res)
{
    enum { MAX_REPS = 9 };
    int reps = o->quick ? 3 : 7, ms = o->quick ? 150 : 400, rep, i;
    double one[MAX_REPS], two[MAX_REPS];
    bench_provider_state ps = { TG_STATUS_ACTIVE };
    tg_decision *d = tg_decision_new();
    tg_gate *g;
    char cfg[2048];

    snprintf(cfg, sizeof cfg,
             "{%s,\"cache\":{\"active_ttl_ms\":86400000,\"max_entries\":100000}}",
             bench_rules_json);
    if (!d || tg_gate_new_with_provider(&g, cfg, NULL, &bench_provider, &ps) != TG_OK)
        bench_die("gate");
    for (i = 0; i < BENCH_ACCOUNTS; i++)
        if (tg_gate_check(g, k->tool[i], k->identifier[i], d) != TG_OK)
            bench_die("warm-up");
    (void)bench_run_threads(g, k, 2, 50); /* warm-up */
    for (rep = 0; rep < reps; rep++) {
        one[rep] = bench_run_threads(g, k, 1, ms);
        two[rep] = bench_run_threads(g, k, 2, ms);
    }
    res->cps_1t = bench_summarise(one, reps);
    res->cps_2t = bench_summarise(two, reps);
    tg_decision_free(d);
    tg_gate_free(g);
}
