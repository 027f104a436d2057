/*
 * A fleet when Redis misbehaves, at the level of the gates in their worker
 * processes: Redis down when the gates start, killed and restarted, paused
 * with SIGSTOP, its connections reset (CLIENT KILL), and a wrong password.
 * Checks go on through the provider, each bounded by the tier's
 * timeout_ms plus the provider's time (asserted with a generous margin); an
 * account the provider says is not ACTIVE is never allowed; the
 * subscription comes back and webhooks fan out again; while it is lost an
 * ACTIVE entry is trusted no longer than degraded_ttl_ms. The harness
 * checks that no output of any worker shows the Redis password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "toolgate/toolgate.h"

#define WORKERS 3
/* The tier's timeout_ms; what the provider may take for a check (two
 * requests on loopback: a few milliseconds, more under valgrind); and what
 * a check may take past both, against loaded machines. All times the
 * fleet's slowness. Less than timeout_ms together, so that a check waiting
 * twice on Redis would fail. */
#define TIMEOUT_MS 1000
#define PROVIDER_MS 250
#define SLACK_MS 500
#define DEGRADED_MS 1500
/* How long the subscriber may take to come back after a fault: its
 * backoff grows to 5 s. */
#define RESUBSCRIBE_MS 15000
#define PROMPT_MS 5000
#define SUBSCRIBED "shared tier: subscribed to the fleet's changes"
#define UNSUBSCRIBED "shared tier: not subscribed"

/* Gates in every worker; @p password_env NULL: the right one. */
static void open_all(const char *prefix, const char *password_env)
{
    char cfg[2048];
    fl_opts o = { 0 };
    o.prefix = prefix;
    o.timeout_ms = TIMEOUT_MS * fleet.slow;
    o.degraded_ttl_ms = DEGRADED_MS * fleet.slow;
    o.password_env = password_env;
    fl_config(&fleet, &o, cfg, sizeof cfg);
    assert_int_equal(fl_open(&fleet, 0, WORKERS, cfg), 0);
}

static void subscribed(int count)
{
    assert_int_equal(fl_waitlog(&fleet, 0, WORKERS, SUBSCRIBED, count, RESUBSCRIBE_MS), 0);
}

static void account(const char *conn, const char *id, const char *status)
{
    assert_int_equal(tg_dev_set_account(&fleet.dev, conn, id, status), 200);
}

/* The most a check may take with Redis failing: one call to Redis, up to
 * timeout_ms, the provider, and the margin. */
static double bound_ms(void)
{
    return (double)(TIMEOUT_MS + PROVIDER_MS + SLACK_MS) * fleet.slow;
}

/* Every worker checks @p ok (ACTIVE at the provider) and @p no (not) from
 * two threads, three times each: the provider's verdicts, never ALLOW for
 * @p no, each check bounded. */
static void checks_go_on(const char *what, const char *ok, const char *no)
{
    char ids[256];
    double slowest = 0;
    int i;

    snprintf(ids, sizeof ids, "%s,%s", ok, no);
    assert_int_equal(fl_burst(&fleet, 0, WORKERS, 2, 3, "gmail_send", ids), 0);
    for (i = 0; i < WORKERS; i++) {
        unsigned v = 0, s = 0, src = 0;
        double ms = atof(fl_field(&fleet.w[i], 1)) / 1000.0;
        assert_string_equal(fl_field(&fleet.w[i], 2), "0");
        assert_int_equal(fl_burst_seen(&fleet.w[i], ok, &v, &s, &src), 0);
        assert_int_equal(v, 1u << TG_VERDICT_ALLOW);
        assert_int_equal(fl_burst_seen(&fleet.w[i], no, &v, &s, &src), 0);
        if (v != 1u << TG_VERDICT_NEEDS_AUTHORIZATION)
            fail_msg("worker %d: %s (not ACTIVE at the provider): verdicts %#x", i, no, v);
        if (ms > slowest)
            slowest = ms;
    }
    print_message("    %s: slowest check %.0f ms (timeout_ms %d)\n", what, slowest,
                  TIMEOUT_MS * fleet.slow);
    assert_true(slowest <= bound_ms());
}

/* The shared-tier errors each worker has counted. */
static void errors_counted(void)
{
    int i;
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(fl_do(&fleet, &fleet.w[i], 20000, "stats"), 0);
        if (fl_named(&fleet.w[i], "shared_errors") <= 0)
            fail_msg("worker %d counted no shared-tier error", i);
    }
}

/* Check @p id in worker @p i: the verdict and where it came from. */
static void expect(int i, const char *id, const char *verdict, const char *source)
{
    fl_worker *w = &fleet.w[i];
    assert_int_equal(fl_do(&fleet, w, 20000, "check\tgmail_send\t%s", id), 0);
    if (strcmp(fl_field(w, 1), verdict) != 0 || (source && strcmp(fl_field(w, 3), source) != 0))
        fail_msg("worker %d: %s: %s from %s; want %s from %s", i, id, fl_field(w, 1),
                 fl_field(w, 3), verdict, source ? source : "anywhere");
}

/* After a fault: a new account is asked once for the fleet (the pool of
 * connections works again), and a revocation fans out (so does the
 * subscription). */
static void fleet_works_again(const char *id, const char *event_id)
{
    int i;
    account("gmail", id, "ACTIVE");
    expect(0, id, "ALLOW", "provider");
    for (i = 1; i < WORKERS; i++)
        expect(i, id, "ALLOW", "shared");
    /* The provider still says ACTIVE: only the fleet can tell the others. */
    assert_int_equal(fl_fanout(&fleet, "then a revocation", 0, event_id, "gmail", id, "REVOKED",
                               "gmail_send", "NEEDS_AUTHORIZATION", PROMPT_MS, NULL),
                     0);
}

static void down_at_start(void **state)
{
    int64_t t0;
    (void)state;

    tg_redis_kill(&fleet.redis);
    account("gmail", "down-ok", "ACTIVE");
    account("gmail", "down-no", "REVOKED");
    t0 = fl_now_us();
    open_all("flt-down:", NULL);
    print_message("    3 gates created with Redis down in %.0f ms\n",
                  (double)(fl_now_us() - t0) / 1000);
    checks_go_on("Redis down", "down-ok", "down-no");
    errors_counted();
    assert_int_equal(tg_redis_restart(&fleet.redis), 0);
    subscribed(1);
    fleet_works_again("down-later", "evt_down_1");
}

/* Gates subscribed, checking @p ok (ACTIVE) and @p no (REVOKED) as they
 * should; their logs marked, for what the fault makes them say. */
static void up_and_checking(const char *prefix, const char *ok, const char *no)
{
    open_all(prefix, NULL);
    subscribed(1);
    account("gmail", ok, "ACTIVE");
    account("gmail", no, "REVOKED");
    checks_go_on("Redis up", ok, no);
    assert_int_equal(fl_mark_all(&fleet), 0);
}

static void killed_and_restarted(void **state)
{
    (void)state;

    up_and_checking("flt-kill:", "kill-ok", "kill-no");
    tg_redis_kill(&fleet.redis);
    assert_int_equal(fl_waitlog(&fleet, 0, WORKERS, UNSUBSCRIBED, 1, PROMPT_MS), 0);
    account("gmail", "kill-new", "ACTIVE");
    checks_go_on("Redis killed", "kill-new", "kill-no");
    errors_counted();
    assert_int_equal(tg_redis_restart(&fleet.redis), 0);
    subscribed(1);
    fleet_works_again("kill-later", "evt_kill_1");
}

/* Paused: every call to Redis times out. The provider revokes an account
 * the gates hold as ACTIVE (60 s TTL), and no webhook comes: once the
 * subscription is given up, the entry is trusted degraded_ttl_ms more. */
static void paused(void **state)
{
    int64_t paused_at;
    int i;
    (void)state;

    up_and_checking("flt-pause:", "pause-ok", "pause-no");
    assert_int_equal(tg_redis_pause(&fleet.redis), 0);
    paused_at = fl_now_us();
    account("gmail", "pause-ok", "REVOKED");
    account("gmail", "pause-new", "ACTIVE");
    checks_go_on("Redis paused", "pause-new", "pause-no");
    for (i = 0; i < WORKERS; i++)
        assert_int_equal(fl_send(&fleet.w[i], "until\tgmail_send\tpause-ok\t"
                                              "NEEDS_AUTHORIZATION\t%d",
                                 20000 * fleet.slow),
                         0);
    print_message("    the revocation, seen without Redis, after");
    for (i = 0; i < WORKERS; i++) {
        fl_worker *w = &fleet.w[i];
        double seen_ms, longest_ms;
        assert_int_equal(fl_recv(&fleet, w, 30000), 0);
        if (strcmp(fl_field(w, 0), "ok") != 0)
            fail_msg("worker %d: pause-ok still %s after 20 s", i, fl_field(w, 1));
        seen_ms = (double)(atoll(fl_field(w, 1)) - paused_at) / 1000;
        longest_ms = atof(fl_field(w, 4)) / 1000;
        print_message(" %.0f ms (longest check %.0f ms)", seen_ms, longest_ms);
        assert_string_equal(fl_field(w, 5), "0");
        /* The subscriber gives up after a second of silence and
         * max(timeout_ms, 1 s) more; then degraded_ttl_ms. */
        assert_true(seen_ms <= 1000.0 + (TIMEOUT_MS + DEGRADED_MS + 3000.0) * fleet.slow);
        assert_true(longest_ms <= bound_ms());
    }
    print_message("\n");
    assert_int_equal(fl_waitlog(&fleet, 0, WORKERS, UNSUBSCRIBED, 1, PROMPT_MS), 0);
    errors_counted();
    assert_int_equal(tg_redis_resume(&fleet.redis), 0);
    subscribed(1);
    for (i = 0; i < WORKERS; i++)
        expect(i, "pause-ok", "NEEDS_AUTHORIZATION", NULL);
    fleet_works_again("pause-later", "evt_pause_1");
}

/* Every connection of every gate reset by Redis. */
static void connections_reset(void **state)
{
    (void)state;

    up_and_checking("flt-reset:", "reset-ok", "reset-no");
    assert_int_equal(fl_redis(&fleet, "CLIENT KILL TYPE normal"), 0);
    assert_int_equal(fl_redis(&fleet, "CLIENT KILL TYPE pubsub"), 0);
    /* Misses at once, on pooled connections Redis has closed. */
    account("gmail", "reset-new", "ACTIVE");
    account("gmail", "reset-no2", "REVOKED");
    checks_go_on("Redis reset", "reset-new", "reset-no2");
    assert_int_equal(fl_waitlog(&fleet, 0, WORKERS, UNSUBSCRIBED, 1, PROMPT_MS), 0);
    subscribed(1);
    fleet_works_again("reset-later", "evt_reset_1");
}

/* A wrong password: Redis refuses every call; the gates go on with the
 * provider, say why (without either password), and count the errors. */
static void wrong_password(void **state)
{
    int i;
    (void)state;

    open_all("flt-auth:", FL_WRONG_PASSWORD_ENV);
    account("gmail", "auth-ok", "ACTIVE");
    account("gmail", "auth-no", "EXPIRED");
    checks_go_on("wrong password", "auth-ok", "auth-no");
    for (i = 0; i < WORKERS; i++)
        expect(i, "auth-ok", "ALLOW", NULL);
    errors_counted();
    assert_int_equal(fl_waitlog(&fleet, 0, WORKERS, "AUTH refused", 1, PROMPT_MS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FL_TEST(down_at_start),
        FL_TEST(killed_and_restarted),
        FL_TEST(paused),
        FL_TEST(connections_reset),
        FL_TEST(wrong_password),
        FL_LAST,
    };
    fl_workers = WORKERS;
    return cmocka_run_group_tests(tests, fl_group_setup, fl_group_teardown);
}
