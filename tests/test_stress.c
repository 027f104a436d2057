/*
 * Concurrency stress: checker threads check many keys while other threads
 * flip statuses in the provider, apply webhook events, invalidate (one key,
 * a connection, everything), fetch links and read the statistics, on gates
 * small enough that CLOCK evicts all the time. Meant to run under
 * ThreadSanitizer as well as plainly; no crash, no report, and no decision
 * the model forbids:
 *
 * Identifiers come in three classes (index % 3), for every connection:
 *  - NEVER: the provider never says ACTIVE and no event says ACTIVE, so the
 *    key is never ALLOW (except "check skipped" under an open policy);
 *  - ALWAYS: the provider always says ACTIVE and events say ACTIVE or delete,
 *    so the key is never NEEDS_AUTHORIZATION;
 *  - FLIP: anything, at any time.
 * For every decision: the identifier and connection asked for; ALLOW says
 * ACTIVE (or stale / skipped under those policies, after a failure);
 * NEEDS_AUTHORIZATION has a known non-ACTIVE status and a link to this very
 * key; no UNAVAILABLE in a phase where the provider never fails.
 * After each phase: the gate's counters agree with the checks made and the
 * provider calls seen; stats.entries never exceeded max_entries.
 *
 * Three phases, each a new gate: closed with no provider failures, stale and
 * open with failures switched on and off. TG_STRESS_SECONDS (default 3) is
 * the total time.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "fake_provider.h"
#include "rcu.h"

#define CHECKERS 4
#define N_IDS 300
#define N_CONNS 4

enum { NEVER = 0, ALWAYS = 1, FLIP = 2 };

static const char *const conns[N_CONNS] = { "gmail", "slack", "gcal", "notion" };
/* A tool per connection; notion has none (checked by connection). */
static const char *const tools_of[N_CONNS][2] = {
    { "gmail_send_email", "gmail_read" }, { "slack_post", "slack_" }, { "calendar", "calendar" },
    { NULL, NULL },
};
static const char config_fmt[] =
    "{\"on_provider_error\":\"%s\",\"stale_grace_ms\":50,"
    "\"cache\":{\"max_entries\":%d,\"active_ttl_ms\":30,\"inactive_ttl_ms\":10},"
    "\"tools\":{\"map\":{\"calendar\":\"gcal\"},\"prefixes\":{\"gmail_\":\"gmail\","
    "\"slack_\":\"slack\"}}}";

static const tg_status non_active[] = { TG_STATUS_UNKNOWN, TG_STATUS_EXPIRED, TG_STATUS_PENDING,
                                        TG_STATUS_PENDING_VERIFICATION, TG_STATUS_REVOKED,
                                        TG_STATUS_NOT_FOUND };
static const char *const non_active_wire[] = { "CONNECTION_STATUS_UNSPECIFIED", "EXPIRED",
                                               "PENDING_AUTH", "PENDING_VERIFICATION",
                                               "DISCONNECTED", "NOT_FOUND" };

typedef struct phase {
    const char *policy;
    int max_entries;
    int failures;          /* the provider fails now and then */
    double seconds;
} phase;

typedef struct shared {
    const phase *ph;
    fake f;
    tg_gate *g;
    char ids[N_IDS][16];
    atomic_int stop;
    /* results */
    atomic_long checks, allow, needs_auth, unavailable, stale, skipped, unmapped;
    atomic_long events, invalidations, links, stats_reads, flips;
    /* Links that had expired by the time the gate looked at them: a slow
     * run (valgrind) can take longer than a link's life between the fake
     * minting one and the gate checking it, which the gate counts as a
     * provider error the fake never returned. */
    atomic_long expired_on_arrival;
    atomic_int bad;
    pthread_mutex_t msg_lock;
    char msg[512];
} shared;

/* Record the first violation; the main thread fails the test. */
static void violation(shared *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(shared *s, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&s->msg_lock);
    if (!atomic_load(&s->bad)) {
        va_start(ap, fmt);
        vsnprintf(s->msg, sizeof s->msg, fmt, ap);
        va_end(ap);
    }
    atomic_store(&s->bad, 1);
    pthread_mutex_unlock(&s->msg_lock);
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- checkers ----------------------------------------------------------------- */

static void judge(shared *s, tg_decision *d, int ci, int ii)
{
    int cls = ii % 3, failures = s->ph->failures;
    tg_verdict v = tg_decision_verdict(d);
    const char *link = tg_decision_link(d), *reason = tg_decision_reason(d);
    char prefix[64];
    int n;

    if (strcmp(tg_decision_identifier(d), s->ids[ii]) != 0 || !tg_decision_connection(d) ||
        strcmp(tg_decision_connection(d), conns[ci]) != 0) {
        violation(s, "decision for %s/%s names %s/%s", conns[ci], s->ids[ii],
                  tg_decision_connection(d) ? tg_decision_connection(d) : "(null)",
                  tg_decision_identifier(d));
        return;
    }
    switch (v) {
    case TG_VERDICT_ALLOW:
        atomic_fetch_add_explicit(&s->allow, 1, memory_order_relaxed);
        if (link)
            violation(s, "ALLOW with a link for %s/%s", conns[ci], s->ids[ii]);
        if (strstr(reason, "was skipped")) {
            atomic_fetch_add_explicit(&s->skipped, 1, memory_order_relaxed);
            if (strcmp(s->ph->policy, "open") != 0 || !failures)
                violation(s, "ALLOW (check skipped) outside an open policy with failures");
            return;
        }
        if (tg_decision_stale(d)) {
            atomic_fetch_add_explicit(&s->stale, 1, memory_order_relaxed);
            if (strcmp(s->ph->policy, "stale") != 0 || !failures)
                violation(s, "stale ALLOW outside a stale policy with failures");
        }
        if (!tg_decision_has_status(d) || tg_decision_status(d) != TG_STATUS_ACTIVE)
            violation(s, "ALLOW with status %s for %s/%s", tg_status_name(tg_decision_status(d)),
                      conns[ci], s->ids[ii]);
        if (cls == NEVER)
            violation(s, "ALLOW for %s/%s, which was never ACTIVE", conns[ci], s->ids[ii]);
        break;
    case TG_VERDICT_NEEDS_AUTHORIZATION:
        atomic_fetch_add_explicit(&s->needs_auth, 1, memory_order_relaxed);
        if (!link) {
            violation(s, "NEEDS_AUTHORIZATION without a link for %s/%s", conns[ci], s->ids[ii]);
            return;
        }
        fake_link_prefix(prefix, sizeof prefix, conns[ci], s->ids[ii]);
        n = (int)strlen(prefix);
        if (strncmp(link, prefix, (size_t)n) != 0)
            violation(s, "link %s handed out for %s/%s", link, conns[ci], s->ids[ii]);
        if (!tg_decision_has_status(d) || tg_decision_status(d) == TG_STATUS_ACTIVE)
            violation(s, "NEEDS_AUTHORIZATION with status %s",
                      tg_status_name(tg_decision_status(d)));
        if (cls == ALWAYS)
            violation(s, "NEEDS_AUTHORIZATION for %s/%s, which is always ACTIVE", conns[ci],
                      s->ids[ii]);
        break;
    case TG_VERDICT_UNAVAILABLE:
        atomic_fetch_add_explicit(&s->unavailable, 1, memory_order_relaxed);
        if (!failures && !strstr(reason, "has already expired"))
            violation(s, "UNAVAILABLE for %s/%s but the provider never fails: %s", conns[ci],
                      s->ids[ii], reason);
        /* Under an open policy only a known status whose link could not be
         * fetched is UNAVAILABLE; such a status is never ACTIVE. */
        if (strcmp(s->ph->policy, "open") == 0 && !tg_decision_has_status(d))
            violation(s, "UNAVAILABLE without a status under an open policy");
        if (tg_decision_has_status(d) && tg_decision_status(d) == TG_STATUS_ACTIVE)
            violation(s, "UNAVAILABLE with status ACTIVE for %s/%s", conns[ci], s->ids[ii]);
        if (link)
            violation(s, "UNAVAILABLE with a link");
        break;
    default:
        violation(s, "verdict %s for %s/%s", tg_verdict_name(v), conns[ci], s->ids[ii]);
    }
}

typedef struct checker {
    shared *s;
    uint64_t rng;
    long checks;
} checker;

static void *checker_run(void *arg)
{
    checker *c = arg;
    shared *s = c->s;
    tg_decision *d = tg_decision_new();
    if (!d) {
        violation(s, "tg_decision_new failed");
        return NULL;
    }
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&c->rng);
        /* Half the checks on a small hot set, so there are hits too. */
        int ii = (int)(r % 8 < 4 ? (r >> 8) % 12 : (r >> 8) % N_IDS);
        int ci = (int)((r >> 24) % N_CONNS);
        const char *tool = tools_of[ci][(r >> 32) & 1];
        int rc;
        if ((r >> 40) % 64 == 0) { /* an unmapped tool */
            rc = tg_gate_check(s->g, "weather_lookup", s->ids[ii], d);
            if (rc != TG_OK || tg_decision_verdict(d) != TG_VERDICT_ALLOW ||
                tg_decision_connection(d))
                violation(s, "unmapped tool: rc %d verdict %s", rc,
                          tg_verdict_name(tg_decision_verdict(d)));
            atomic_fetch_add_explicit(&s->unmapped, 1, memory_order_relaxed);
            c->checks++;
            continue;
        }
        rc = tool ? tg_gate_check(s->g, tool, s->ids[ii], d)
                  : tg_gate_check_connection(s->g, conns[ci], s->ids[ii], d);
        c->checks++;
        if (rc != TG_OK) {
            violation(s, "check %s/%s: rc %d: %s", conns[ci], s->ids[ii], rc, tg_error_message());
            continue;
        }
        judge(s, d, ci, ii);
    }
    atomic_fetch_add(&s->checks, c->checks);
    tg_decision_free(d);
    return NULL;
}

/* ---- the others ----------------------------------------------------------------- */

static tg_status status_for(int cls, uint64_t r)
{
    if (cls == ALWAYS)
        return TG_STATUS_ACTIVE;
    if (cls == NEVER || r % 2)
        return non_active[r / 2 % 6];
    return TG_STATUS_ACTIVE;
}

/* The provider changes its mind, and (with failures) fails now and then. */
static void *provider_run(void *arg)
{
    shared *s = arg;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    long n = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&rng);
        int ii = (int)(r % N_IDS), ci = (int)((r >> 16) % N_CONNS);
        fake_set(&s->f, conns[ci], s->ids[ii], status_for(ii % 3, r >> 24));
        n++;
        if (s->ph->failures && n % 200 == 0) {
            static const int modes[] = { 0, 0, 0, 0, 0, 0, TG_EPROVIDER, TG_ETIMEOUT, FAKE_BAD };
            fake_fail(&s->f, modes[(r >> 40) % 9], modes[(r >> 44) % 9]);
        }
        if (n % 16 == 0)
            usleep(200);
    }
    fake_fail(&s->f, 0, 0);
    atomic_fetch_add(&s->flips, n);
    return NULL;
}

static void *events_run(void *arg)
{
    shared *s = arg;
    uint64_t rng = 0xD1B54A32D192ED03ull;
    int64_t at = wall_ms();
    long serial = 0, n = 0;
    char body[1024], when[64];
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&rng);
        int ii = (int)(r % N_IDS), ci = (int)((r >> 16) % N_CONNS), cls = ii % 3, rc;
        int deleted = (r >> 24) % 8 == 0, with_conn = (r >> 28) % 4 != 0;
        tg_status st = status_for(cls, r >> 32);
        int64_t t = (r >> 40) % 4 == 0 ? at - (int64_t)((r >> 44) % 5000)
                                       : (at += 1 + (int64_t)((r >> 44) % 50));
        long id = (r >> 50) % 16 == 0 && serial > 0 ? serial - (long)((r >> 54) % 8) : ++serial;
        time_t secs = (time_t)(t / 1000);
        struct tm tm;
        char connpart[64] = "", statuspart[64] = "";

        if (id < 1)
            id = 1;
        gmtime_r(&secs, &tm);
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t % 1000));
        if (with_conn)
            snprintf(connpart, sizeof connpart, "\"connection_name\":\"%s\",", conns[ci]);
        if (!deleted)
            snprintf(statuspart, sizeof statuspart, ",\"status\":\"%s\"",
                     st == TG_STATUS_ACTIVE ? "ACTIVE" : non_active_wire[(r >> 33) % 6]);
        /* A replayed id carries whatever body: it must be ignored. Bodies with
         * a non-ACTIVE status for an ALWAYS key are never sent (not even as
         * replays), nor ACTIVE for a NEVER key. */
        if (!deleted && cls != FLIP &&
            (st == TG_STATUS_ACTIVE) != (cls == ALWAYS))
            continue;
        snprintf(body, sizeof body,
                 "{\"id\":\"evt_%ld\",\"type\":\"%s\",\"occurred_at\":\"%s\","
                 "\"data\":{%s\"identifier\":\"%s\"%s}}",
                 id, deleted ? "connected_account.deleted" : "connected_account.status_updated",
                 when, connpart, s->ids[ii], statuspart);
        rc = tg_gate_apply_event(s->g, body, strlen(body));
        if (rc < 0 || rc > TG_EVENT_IGNORED)
            violation(s, "event %s: rc %d: %s", body, rc, tg_error_message());
        n++;
        if (n % 8 == 0)
            usleep(200);
    }
    atomic_fetch_add(&s->events, n);
    return NULL;
}

static void *invalidator_run(void *arg)
{
    shared *s = arg;
    uint64_t rng = 0xA0761D6478BD642Full;
    long n = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&rng);
        int ii = (int)(r % N_IDS), ci = (int)((r >> 16) % N_CONNS), scope = (int)((r >> 24) % 100);
        int rc = scope < 80   ? tg_gate_invalidate(s->g, conns[ci], s->ids[ii])
                 : scope < 97 ? tg_gate_invalidate(s->g, conns[ci], NULL)
                              : tg_gate_invalidate(s->g, NULL, NULL);
        if (rc != TG_OK)
            violation(s, "invalidate: rc %d", rc);
        n++;
        usleep(300);
    }
    atomic_fetch_add(&s->invalidations, n);
    return NULL;
}

/* Links on demand, and the statistics, which never show more entries than
 * max_entries. */
static void *links_stats_run(void *arg)
{
    shared *s = arg;
    uint64_t rng = 0xE7037ED1A0B428DBull;
    long n = 0, reads = 0;
    char buf[TG_LINK_MAX + 1], prefix[64];
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&rng);
        int ii = (int)(r % N_IDS), ci = (int)((r >> 16) % N_CONNS), len;
        int rc = tg_gate_link(s->g, conns[ci], s->ids[ii], buf, sizeof buf, NULL, NULL);
        tg_stats st = TG_STATS_INIT;
        if (rc == TG_OK) {
            fake_link_prefix(prefix, sizeof prefix, conns[ci], s->ids[ii]);
            len = (int)strlen(prefix);
            if (strncmp(buf, prefix, (size_t)len) != 0)
                violation(s, "tg_gate_link for %s/%s gave %s", conns[ci], s->ids[ii], buf);
        } else if (!s->ph->failures || (rc != TG_EPROVIDER && rc != TG_ETIMEOUT)) {
            violation(s, "tg_gate_link: rc %d: %s", rc, tg_error_message());
        }
        n++;
        if (tg_gate_stats(s->g, &st) != TG_OK)
            violation(s, "tg_gate_stats failed");
        else if (st.entries > (uint64_t)s->ph->max_entries)
            violation(s, "stats.entries %" PRIu64 " > max_entries %d", st.entries,
                      s->ph->max_entries);
        reads++;
        usleep(500);
    }
    atomic_fetch_add(&s->links, n);
    atomic_fetch_add(&s->stats_reads, reads);
    return NULL;
}

/* ---- a phase ---------------------------------------------------------------------- */

static void count_expired_links(void *ctx, tg_log_level level, const char *message)
{
    shared *s = ctx;
    (void)level;
    if (strstr(message, "has already expired"))
        atomic_fetch_add(&s->expired_on_arrival, 1);
}

static void run_phase(const phase *ph)
{
    shared *s = calloc(1, sizeof *s);
    pthread_t th[CHECKERS + 4];
    checker ck[CHECKERS];
    char cfg[1024];
    int i, ci;
    double t0;
    tg_stats st = TG_STATS_INIT;
    long status_calls, link_calls, errors;

    assert_non_null(s);
    s->ph = ph;
    pthread_mutex_init(&s->msg_lock, NULL);
    assert_int_equal(fake_init(&s->f, N_IDS * N_CONNS, TG_STATUS_NOT_FOUND, 0), 0);
    s->f.link_ttl_ms = 60; /* links are reused for about 30 ms */
    for (i = 0; i < N_IDS; i++) {
        snprintf(s->ids[i], sizeof s->ids[i], "u%d", i);
        for (ci = 0; ci < N_CONNS; ci++)
            fake_set(&s->f, conns[ci], s->ids[i],
                     status_for(i % 3, (uint64_t)i * 7 + (uint64_t)ci));
    }
    snprintf(cfg, sizeof cfg, config_fmt, ph->policy, ph->max_entries);
    tg_log_set(TG_LOG_DEBUG, count_expired_links, s);
    if (tg_gate_new_with_provider(&s->g, cfg, NULL, &fake_provider, &s->f) != TG_OK)
        fail_msg("gate: %s", tg_error_message());

    t0 = mono_s();
    for (i = 0; i < CHECKERS; i++) {
        ck[i].s = s;
        ck[i].rng = 0x853C49E6748FEA9Bull * (uint64_t)(i + 1);
        ck[i].checks = 0;
        assert_int_equal(pthread_create(&th[i], NULL, checker_run, &ck[i]), 0);
    }
    assert_int_equal(pthread_create(&th[CHECKERS], NULL, provider_run, s), 0);
    assert_int_equal(pthread_create(&th[CHECKERS + 1], NULL, events_run, s), 0);
    assert_int_equal(pthread_create(&th[CHECKERS + 2], NULL, invalidator_run, s), 0);
    assert_int_equal(pthread_create(&th[CHECKERS + 3], NULL, links_stats_run, s), 0);
    while (mono_s() - t0 < ph->seconds && !atomic_load(&s->bad))
        usleep(10000);
    atomic_store(&s->stop, 1);
    for (i = 0; i < CHECKERS + 4; i++)
        pthread_join(th[i], NULL);
    tg_log_set(TG_LOG_ERROR, NULL, NULL);

    if (atomic_load(&s->bad))
        fail_msg("phase %s: %s", ph->policy, s->msg);

    /* Every thread has returned: the counters are complete. */
    assert_int_equal(tg_gate_stats(s->g, &st), TG_OK);
    fake_totals(&s->f, &status_calls, &link_calls, &errors);
    print_message("%-6s max_entries %3d failures %s: %.1f s, %d checker threads: %ld checks "
                  "(%" PRIu64 " hits, %" PRIu64 " misses), ALLOW %ld (stale %ld, skipped %ld), "
                  "NEEDS_AUTHORIZATION %ld, UNAVAILABLE %ld; %ld provider flips, %ld events, "
                  "%ld invalidations, %ld links (%ld expired on arrival), %" PRIu64
                  " evictions, %ld status calls\n",
                  ph->policy, ph->max_entries, ph->failures ? "on " : "off", mono_s() - t0,
                  CHECKERS, atomic_load(&s->checks), st.hits, st.misses, atomic_load(&s->allow),
                  atomic_load(&s->stale), atomic_load(&s->skipped), atomic_load(&s->needs_auth),
                  atomic_load(&s->unavailable), atomic_load(&s->flips), atomic_load(&s->events),
                  atomic_load(&s->invalidations), atomic_load(&s->links),
                  atomic_load(&s->expired_on_arrival), st.evictions,
                  status_calls);
    assert_int_equal(st.verdicts[0] + st.verdicts[1] + st.verdicts[2] + st.verdicts[3],
                     atomic_load(&s->checks));
    assert_int_equal(st.verdicts[TG_VERDICT_DENY], 0);
    assert_int_equal(st.verdicts[TG_VERDICT_ALLOW],
                     atomic_load(&s->allow) + atomic_load(&s->unmapped));
    assert_int_equal(st.verdicts[TG_VERDICT_NEEDS_AUTHORIZATION], atomic_load(&s->needs_auth));
    assert_int_equal(st.verdicts[TG_VERDICT_UNAVAILABLE], atomic_load(&s->unavailable));
    assert_int_equal(st.hits + st.misses + (uint64_t)atomic_load(&s->unmapped),
                     atomic_load(&s->checks));
    assert_int_equal(st.provider_calls, (uint64_t)(status_calls + link_calls));
    assert_int_equal(st.provider_errors,
                     (uint64_t)errors + (uint64_t)atomic_load(&s->expired_on_arrival));
    /* Single flight: a miss sends at most one status request. */
    assert_true((uint64_t)status_calls <= st.misses);
    assert_true(st.entries <= (uint64_t)ph->max_entries);
    /* The run exercised what it is about. */
    assert_true(st.hits > 0 && st.misses > 0);
    assert_true(st.evictions > 0);
    assert_true(atomic_load(&s->needs_auth) > 0 && atomic_load(&s->allow) > 0);
    if (ph->failures && strcmp(ph->policy, "open") == 0)
        assert_true(atomic_load(&s->skipped) > 0);
    if (ph->failures && strcmp(ph->policy, "open") != 0)
        assert_true(atomic_load(&s->unavailable) > 0);

    tg_gate_free(s->g);
    fake_destroy(&s->f);
    pthread_mutex_destroy(&s->msg_lock);
    free(s);
}

static double total_seconds(void)
{
    const char *v = getenv("TG_STRESS_SECONDS");
    double x = v && *v ? strtod(v, NULL) : 3.0;
    return x > 0.3 ? x : 0.3;
}

static void test_closed_no_failures(void **state)
{
    phase ph = { "closed", 64, 0, total_seconds() * 0.4 };
    (void)state;
    run_phase(&ph);
}

static void test_stale_with_failures(void **state)
{
    phase ph = { "stale", 256, 1, total_seconds() * 0.3 };
    (void)state;
    run_phase(&ph);
}

static void test_open_with_failures(void **state)
{
    phase ph = { "open", 16, 1, total_seconds() * 0.3 };
    (void)state;
    run_phase(&ph);
}

/* The read protocol without membarrier (a reader's fence instead), as on a
 * kernel that lacks it. Last: it switches the process over. */
static void test_closed_with_fences(void **state)
{
    phase ph = { "closed", 64, 1, total_seconds() * 0.3 };
    (void)state;
    tg__rcu_use_fences();
    run_phase(&ph);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_no_failures),
        cmocka_unit_test(test_stale_with_failures),
        cmocka_unit_test(test_open_with_failures),
        cmocka_unit_test(test_closed_with_fences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
