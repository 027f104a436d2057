/* Provider requests per account per TTL: 4 processes (fork) of 2 threads
 * each check the same N accounts from cold — every thread the accounts in
 * the same order, so the processes miss on the same account at about the
 * same time, the case the fleet lock is for — all within one TTL. The dev
 * server counts the API requests per account. Once with the 4 gates on one
 * Redis, once without (each process asks for itself), the baseline. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define PROCS 4
#define THREADS 2
#define TTL_MS 60000L

typedef struct req_shared {
    pthread_barrier_t start; /* every thread of every process */
} req_shared;

typedef struct req_arg {
    const fleet_env *e;
    req_shared *sh;
    const char *prefix;      /* NULL: no shared tier */
    int accounts;
    tg_gate *g;
} req_arg;

static void *req_thread(void *p)
{
    req_arg *a = p;
    tg_decision *d = tg_decision_new();
    char id[32];
    int i;

    if (!d)
        bench_die("out of memory");
    pthread_barrier_wait(&a->sh->start);
    for (i = 0; i < a->accounts; i++) {
        fleet_identifier(i, id, sizeof id);
        if (tg_gate_check(a->g, "gmail_send_email", id, d) != TG_OK ||
            tg_decision_verdict(d) != TG_VERDICT_ALLOW)
            bench_die("fleet: a check was not ALLOW");
    }
    tg_decision_free(d);
    return NULL;
}

static int req_child(int index, void *arg)
{
    req_arg a = *(req_arg *)arg;
    pthread_t th[THREADS];
    int t;

    (void)index;
    a.g = fleet_gate(a.e, a.prefix, TTL_MS);
    for (t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, req_thread, &a) != 0)
            bench_die("pthread_create");
    for (t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    tg_gate_free(a.g);
    return 0;
}

/* Run the processes; the mean and the most requests per account, and how
 * many accounts were asked for more than once. */
static void requests_per_account(const fleet_env *e, const char *prefix, int accounts,
                                 double *mean, double *most, int *over_one)
{
    req_shared *sh = fleet_share(sizeof *sh);
    pthread_barrierattr_t attr;
    req_arg a = { e, sh, prefix, accounts, NULL };
    json_object *stats, *keys, *count, *o;
    long total = 0, top = 0;
    double t0;
    int i, over = 0;

    o = bench_dev_call(&e->dev, "POST", "/_dev/reset", NULL); /* counters to zero */
    if (!o)
        bench_die("dev server: reset");
    json_object_put(o);
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->start, &attr, PROCS * THREADS);
    pthread_barrierattr_destroy(&attr);
    t0 = bench_now_ns();
    if (fleet_fork(PROCS, req_child, &a, 120) != 0)
        bench_die("fleet: the requests figure failed");
    if (bench_now_ns() - t0 > TTL_MS * 1e6 / 2)
        bench_die("fleet: the requests figure took longer than half the TTL");
    pthread_barrier_destroy(&sh->start);
    fleet_unshare(sh, sizeof *sh);

    stats = bench_dev_call(&e->dev, "GET", "/_dev/stats", NULL);
    if (!stats || !json_object_object_get_ex(stats, "keys", &keys))
        bench_die("dev server: no stats");
    for (i = 0; i < accounts; i++) {
        char id[32], key[48];
        long n = 0;
        fleet_identifier(i, id, sizeof id);
        snprintf(key, sizeof key, "gmail|%s", id);
        if (json_object_object_get_ex(keys, key, &count))
            n = (long)json_object_get_int64(count);
        if (n == 0)
            bench_die("fleet: an account was never asked for");
        total += n;
        over += n > 1;
        if (n > top)
            top = n;
    }
    json_object_put(stats);
    *mean = (double)total / accounts;
    *most = (double)top;
    *over_one = over;
}

void fleet_request_figures(const fleet_env *e, bench_results *r)
{
    int accounts = e->o->quick ? 100 : 300, alone_over;

    requests_per_account(e, "tgbench:requests:", accounts, &r->requests_per_account,
                         &r->requests_per_account_max, &r->request_accounts_over_one);
    requests_per_account(e, NULL, accounts, &r->requests_per_account_alone,
                         &r->requests_per_account_alone_max, &alone_over);
    r->request_accounts = accounts;
}
