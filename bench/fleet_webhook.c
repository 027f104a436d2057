/* A webhook applied in one process, seen by every other: 4 processes (fork),
 * each with its own gate on one Redis and the same account cached. Process 0
 * applies a signed event (tg_gate_apply_webhook) that flips the account
 * between ACTIVE and EXPIRED; processes 1-3, woken as each event goes out (a
 * futex), check it every 200 us until it flips (tg_gate_try_check: a cache
 * hit, never the provider) and note when. CLOCK_MONOTONIC is one clock for
 * every process on the host, so the time from just before the call in
 * process 0 to the flip in another is the propagation: the signature, the
 * local apply, Redis's write script and its publish, the subscriber's read
 * and apply, and up to one polling interval. The next event goes out 2 ms
 * after every process has seen the last.
 * The baseline, in process 0 once every process has seen the event: the same
 * delivery applied to a gate without a shared tier, until that gate's own
 * check has flipped. */
#define _GNU_SOURCE /* PR_SET_TIMERSLACK */
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fleet.h"

#define PROCS 4
#define WATCHERS (PROCS - 1)
#define MAX_WARM 30
#define MAX_ROUNDS (MAX_WARM + 1000)
#define POLL_NS 200000L /* finer polling slows the machine more than it sharpens the figure */

typedef struct hook_shared {
    int rounds;                   /* measured events */
    _Atomic int cached;           /* processes with the account in their cache */
    _Atomic int round;            /* the event out now (0: none yet) */
    _Atomic int stop;
    _Atomic int seen[WATCHERS];   /* the last event each watcher has seen */
    int first_measured;           /* the first round after the warm-up */
    int lost;                     /* measured events a watcher did not see within 2 s */
    double t0_ns[MAX_ROUNDS + 1]; /* just before the event is applied */
    double seen_ns[MAX_ROUNDS + 1][WATCHERS]; /* when a watcher saw it; -1: not measured */
    double apply_ns[MAX_ROUNDS + 1], local_ns[MAX_ROUNDS + 1];
} hook_shared;

typedef struct hook_arg {
    const fleet_env *e;
    hook_shared *sh;
    char prefix[32];
} hook_arg;

static const unsigned char hook_key[32] = "toolgate-bench-webhook-key-01234";

static void b64(const unsigned char *in, int n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, n);
}

/* A Scalekit delivery of a status change at wall-clock @p at_ms. */
typedef struct delivery {
    char id[32], ts[24], sig[80], body[1024];
} delivery;

static void make_delivery(delivery *dl, int round, int64_t at_ms, const char *identifier,
                          int active)
{
    time_t secs = (time_t)(at_ms / 1000);
    struct tm tm;
    char when[40], *msg;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    size_t n;

    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(dl->id, sizeof dl->id, "evt_bench_%d", round);
    snprintf(dl->ts, sizeof dl->ts, "%lld", (long long)time(NULL));
    snprintf(dl->body, sizeof dl->body,
             "{\"spec_version\":\"1\",\"id\":\"%s\",\"type\":\"connected_account.status_updated\","
             "\"object\":\"ConnectedAccount\",\"occurred_at\":\"%s.%03dZ\","
             "\"environment_id\":\"env_bench\",\"data\":{\"id\":\"ca_bench\","
             "\"connection_name\":\"gmail\",\"identifier\":\"%s\",\"connection_id\":\"conn_bench\","
             "\"provider\":\"GMAIL\",\"status\":\"%s\"}}",
             dl->id, when, (int)(at_ms % 1000), identifier, active ? "ACTIVE" : "EXPIRED");
    n = strlen(dl->id) + strlen(dl->ts) + strlen(dl->body) + 3;
    if (!(msg = malloc(n)))
        bench_die("out of memory");
    snprintf(msg, n, "%s.%s.%s", dl->id, dl->ts, dl->body);
    if (!HMAC(EVP_sha256(), hook_key, sizeof hook_key, (unsigned char *)msg, strlen(msg), mac,
              &mac_len))
        bench_die("HMAC");
    free(msg);
    memcpy(dl->sig, "v1,", 3);
    b64(mac, (int)mac_len, dl->sig + 3);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int allowed(tg_gate *g, tg_decision *d, const char *identifier)
{
    return tg_gate_try_check(g, "gmail_send_email", identifier, d) == TG_OK &&
           tg_decision_verdict(d) == TG_VERDICT_ALLOW;
}

static void apply(tg_gate *g, const char *secret, const delivery *dl)
{
    if (tg_gate_apply_webhook(g, secret, dl->id, dl->ts, dl->sig, dl->body, strlen(dl->body),
                              time(NULL)) != TG_EVENT_APPLIED)
        bench_die("fleet: the webhook was not applied");
}

/* The watchers sleep on sh->round between events. */
static void round_wake(hook_shared *sh)
{
    syscall(SYS_futex, (int *)&sh->round, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void round_wait(hook_shared *sh, int seen)
{
    struct timespec limit = { 0, 100000000L }; /* and look at sh->stop */
    syscall(SYS_futex, (int *)&sh->round, FUTEX_WAIT, seen, &limit, NULL, 0);
}

/* Wait until every watcher has seen @p round: 0, or -1 after @p limit_ns. */
static int wait_seen(hook_shared *sh, int round, double limit_ns)
{
    double until = bench_now_ns() + limit_ns;
    int w;

    for (w = 0; w < WATCHERS; w++) {
        while (atomic_load_explicit(&sh->seen[w], memory_order_acquire) < round) {
            if (bench_now_ns() > until)
                return -1;
            usleep(100);
        }
    }
    return 0;
}

/* Process 0: one event per round; the first rounds warm up until three in a
 * row reach every watcher (each subscribed). */
static int applier(hook_arg *a, tg_gate *g, tg_decision *d, const char *identifier)
{
    hook_shared *sh = a->sh;
    tg_gate *local = fleet_gate(a->e, NULL, FLEET_LONG_TTL_MS);
    char secret[64] = "whsec_";
    int64_t last_ms = 0;
    int round, in_a_row = 0;

    b64(hook_key, sizeof hook_key, secret + 6);
    fleet_check(local, d, FLEET_HOOK_ACCOUNT, TG_SOURCE_PROVIDER);
    while (atomic_load(&sh->cached) < PROCS)
        usleep(1000);
    for (round = 1; round <= MAX_ROUNDS; round++) {
        int measured = sh->first_measured && round >= sh->first_measured;
        int64_t at = wall_ms(); /* each event after the last, to the ms */
        delivery dl;
        double t0;

        if (measured && round >= sh->first_measured + sh->rounds)
            break;
        if (at <= last_ms)
            at = last_ms + 1;
        make_delivery(&dl, round, at, identifier, round % 2 == 0);
        last_ms = at;
        atomic_store_explicit(&sh->round, round, memory_order_release);
        round_wake(sh);
        t0 = bench_now_ns();
        sh->t0_ns[round] = t0;
        apply(g, secret, &dl);
        sh->apply_ns[round] = bench_now_ns() - t0;
        if (wait_seen(sh, round, measured ? 2e9 : 1e9) != 0) {
            in_a_row = 0;
            if (measured)
                sh->lost++;
        } else if (!sh->first_measured && ++in_a_row == 3) {
            sh->first_measured = round + 1;
        }
        if (!sh->first_measured && round == MAX_WARM)
            break;
        /* The baseline: the same delivery, one process, no tier. */
        t0 = bench_now_ns();
        apply(local, secret, &dl);
        if (allowed(local, d, identifier) != (round % 2 == 0))
            bench_die("fleet: the baseline's check did not flip");
        sh->local_ns[round] = bench_now_ns() - t0;
        usleep(2000);
    }
    atomic_store(&sh->stop, 1);
    round_wake(sh);
    tg_gate_free(local);
    return sh->first_measured ? 0 : 1;
}

/* Processes 1-3: poll the check; note when it shows the event out now. */
static int watcher(hook_arg *a, int w, tg_gate *g, tg_decision *d, const char *identifier)
{
    hook_shared *sh = a->sh;
    struct timespec pause = { 0, POLL_NS };
    int last = 0;

    prctl(PR_SET_TIMERSLACK, 1000UL); /* sleep POLL_NS, not POLL_NS plus 50 µs of slack */
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        int round = atomic_load_explicit(&sh->round, memory_order_acquire);
        if (round == last) {
            round_wait(sh, last);
            continue;
        }
        if (allowed(g, d, identifier) == (round % 2 == 0)) {
            /* A watcher that missed the event before has nothing to time. */
            sh->seen_ns[round][w] = last == round - 1 ? bench_now_ns() : -1;
            atomic_store_explicit(&sh->seen[w], round, memory_order_release);
            last = round;
            continue;
        }
        nanosleep(&pause, NULL);
    }
    return 0;
}

static int hook_child(int index, void *arg)
{
    hook_arg *a = arg;
    tg_gate *g = fleet_gate(a->e, a->prefix, FLEET_LONG_TTL_MS);
    tg_decision *d = tg_decision_new();
    char id[32];
    int rc;

    if (!d)
        bench_die("out of memory");
    fleet_identifier(FLEET_HOOK_ACCOUNT, id, sizeof id);
    /* From the provider in one process, from Redis in the others: ACTIVE. */
    if (tg_gate_check(g, "gmail_send_email", id, d) != TG_OK ||
        tg_decision_verdict(d) != TG_VERDICT_ALLOW)
        bench_die("fleet: the webhook account is not ALLOW");
    atomic_fetch_add(&a->sh->cached, 1);
    rc = index == 0 ? applier(a, g, d, id) : watcher(a, index - 1, g, d, id);
    tg_decision_free(d);
    tg_gate_free(g);
    return rc;
}

void fleet_webhook_figures(const fleet_env *e, bench_results *r)
{
    hook_shared *sh = fleet_share(sizeof *sh);
    hook_arg a = { e, sh, "tgbench:hook:" };
    double *all = malloc(sizeof *all * MAX_ROUNDS), *each = malloc(sizeof *each * MAX_ROUNDS * WATCHERS),
           *apply_us = malloc(sizeof *apply_us * MAX_ROUNDS), *local = malloc(sizeof *local * MAX_ROUNDS);
    int n_all = 0, n_each = 0, n = 0, i, w;

    if (!all || !each || !apply_us || !local)
        bench_die("out of memory");
    sh->rounds = e->o->quick ? 200 : 1000;
    if (fleet_fork(PROCS, hook_child, &a, 120) != 0 || !sh->first_measured)
        bench_die("fleet: the webhook figure failed");
    for (i = sh->first_measured; i < sh->first_measured + sh->rounds; i++) {
        double worst = 0;
        int complete = 1;
        for (w = 0; w < WATCHERS; w++) {
            double t = sh->seen_ns[i][w] - sh->t0_ns[i];
            if (sh->seen_ns[i][w] <= 0) {
                complete = 0;
                continue;
            }
            each[n_each++] = t / 1e3;
            if (t > worst)
                worst = t;
        }
        if (complete)
            all[n_all++] = worst / 1e3;
        apply_us[n] = sh->apply_ns[i] / 1e3;
        local[n++] = sh->local_ns[i] / 1e3;
    }
    if (n_all == 0)
        bench_die("fleet: no webhook reached every process");
    r->webhook_all_p50_us = bench_percentile(all, n_all, 0.50);
    r->webhook_all_p99_us = bench_percentile(all, n_all, 0.99);
    r->webhook_each_p50_us = bench_percentile(each, n_each, 0.50);
    r->webhook_each_p99_us = bench_percentile(each, n_each, 0.99);
    r->webhook_apply_p50_us = bench_percentile(apply_us, n, 0.50);
    r->webhook_local_p50_us = bench_percentile(local, n, 0.50);
    r->webhook_local_p99_us = bench_percentile(local, n, 0.99);
    r->webhook_events = sh->rounds;
    r->webhook_lost = sh->lost;
    free(all);
    free(each);
    free(apply_us);
    free(local);
    fleet_unshare(sh, sizeof *sh);
}
