/*
 * A fleet asks the provider once: worker processes, each with its own gate
 * and several threads, checking the same accounts from cold through a real
 * Redis send one status request per account per TTL to scalekit-dev (which
 * counts them), agree on every decision, and a process that comes later is
 * answered by the fleet (source "shared") without a provider request.
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

#define WORKERS 4
#define DETAILS "GET /api/v1/connected_accounts/details"
#define MAGIC "POST /api/v1/connected_accounts/magic_link"

/* Set the accounts at the provider and zero its counters. */
static void accounts(const char *const *ids, int n, const char *status)
{
    int i;
    for (i = 0; i < n; i++)
        assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", ids[i], status), 200);
}

static void join_ids(const char *const *ids, int n, char *out, size_t len)
{
    size_t used = 0;
    int i;
    out[0] = '\0';
    for (i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", ids[i]);
}

/* Every worker of [from, to) saw one verdict and one status for @p id, the
 * ones given; returns how many of them saw it from the provider. */
static int agreed(int from, int to, const char *id, tg_verdict verdict, tg_status status)
{
    int i, providers = 0;
    for (i = from; i < to; i++) {
        unsigned v = 0, s = 0, src = 0;
        if (fl_burst_seen(&fleet.w[i], id, &v, &s, &src) != 0)
            fail_msg("worker %d: no result for %s", i, id);
        if (v != 1u << verdict || s != 1u << status)
            fail_msg("worker %d: %s: verdicts %#x, statuses %#x; want only %s and %s", i, id, v,
                     s, tg_verdict_name(verdict), tg_status_name(status));
        if (src & 1u << TG_SOURCE_PROVIDER)
            providers++;
    }
    return providers;
}

/* The longest check of the last burst in [from, to), in ms. */
static double slowest(int from, int to)
{
    double most = 0;
    int i;
    for (i = from; i < to; i++) {
        double ms = atof(fl_field(&fleet.w[i], 1)) / 1000.0;
        if (atoi(fl_field(&fleet.w[i], 2)) != 0)
            fail_msg("worker %d: %s checks failed", i, fl_field(&fleet.w[i], 2));
        if (ms > most)
            most = ms;
    }
    return most;
}

static void cold_fleet_asks_once(void **state)
{
    static const char *const active[] = { "cold-a1", "cold-a2", "cold-a3",
                                          "cold-a4", "cold-a5", "cold-a6" };
    static const char *const expired[] = { "cold-e1", "cold-e2" };
    const char *all[8];
    char cfg[2048], ids[256], link[TG_LINK_MAX + 1];
    fl_opts o = { 0 };
    int i, n_all = 0;
    long long details0, magic0, calls;
    char *keys;
    (void)state;

    accounts(active, 6, "ACTIVE");
    accounts(expired, 2, "EXPIRED");
    for (i = 0; i < 6; i++)
        all[n_all++] = active[i];
    for (i = 0; i < 2; i++)
        all[n_all++] = expired[i];
    join_ids(all, n_all, ids, sizeof ids);
    assert_int_equal(tg_dev_post(&fleet.dev, "/_dev/reset", NULL), 200);

    o.prefix = "share-cold:";
    fl_config(&fleet, &o, cfg, sizeof cfg);
    assert_int_equal(fl_open(&fleet, 0, 3, cfg), 0);
    /* Three processes, four threads each, every account ten times, from
     * cold and at once. */
    assert_int_equal(fl_burst(&fleet, 0, 3, 4, 10, "gmail_send", ids), 0);
    print_message("    3 processes x 4 threads x 8 accounts x 10: slowest check %.1f ms\n",
                  slowest(0, 3));
    for (i = 0; i < 6; i++) {
        assert_int_equal(agreed(0, 3, active[i], TG_VERDICT_ALLOW, TG_STATUS_ACTIVE), 1);
        assert_int_equal(fl_provider_requests(&fleet, "gmail", active[i]), 1);
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(
            agreed(0, 3, expired[i], TG_VERDICT_NEEDS_AUTHORIZATION, TG_STATUS_EXPIRED), 1);
        /* Its status and its link, each once for the fleet. */
        assert_int_equal(fl_provider_requests(&fleet, "gmail", expired[i]), 2);
    }
    details0 = tg_dev_stat(&fleet.dev, "routes", DETAILS);
    magic0 = tg_dev_stat(&fleet.dev, "routes", MAGIC);
    assert_int_equal(details0, 8);
    assert_int_equal(magic0, 2);

    /* A process that starts later: the fleet answers every account. */
    assert_int_equal(fl_open(&fleet, 3, 4, cfg), 0);
    for (i = 0; i < n_all; i++) {
        fl_worker *w = &fleet.w[3];
        assert_int_equal(fl_do(&fleet, w, 20000, "check\tgmail_send\t%s", all[i]), 0);
        assert_string_equal(fl_field(w, 1), i < 6 ? "ALLOW" : "NEEDS_AUTHORIZATION");
        assert_string_equal(fl_field(w, 3), "shared");
    }
    assert_int_equal(fl_do(&fleet, &fleet.w[3], 20000, "stats"), 0);
    assert_int_equal(fl_named(&fleet.w[3], "provider_calls"), 0);
    assert_int_equal(fl_named(&fleet.w[3], "shared_hits"), n_all);
    assert_int_equal(tg_dev_stat(&fleet.dev, "routes", DETAILS), details0);
    assert_int_equal(tg_dev_stat(&fleet.dev, "routes", MAGIC), magic0);

    /* One link for the fleet: every process hands out the same one. */
    link[0] = '\0';
    for (i = 0; i < WORKERS; i++) {
        fl_worker *w = &fleet.w[i];
        assert_int_equal(fl_do(&fleet, w, 20000, "check\tgmail_send\t%s", expired[0]), 0);
        assert_string_equal(fl_field(w, 1), "NEEDS_AUTHORIZATION");
        assert_string_equal(fl_field(w, 2), "EXPIRED");
        assert_true(strncmp(fl_field(w, 5), "http", 4) == 0);
        if (!link[0])
            snprintf(link, sizeof link, "%s", fl_field(w, 5));
        assert_string_equal(fl_field(w, 5), link);
    }
    /* Redis's key names hide who and what they are about. */
    keys = fl_redis_keys(&fleet, "share-cold:*");
    assert_non_null(keys);
    assert_true(strncmp(keys, "share-cold:", 11) == 0);
    print_message("    Redis holds keys such as %.*s\n", (int)strcspn(keys, "\n"), keys);
    assert_null(strstr(keys, "cold-"));
    assert_null(strstr(keys, "gmail"));
    free(keys);

    /* Hits, in every process and thread: not one command reaches Redis. */
    calls = fl_redis_data_calls(&fleet);
    assert_true(calls > 0);
    assert_int_equal(fl_burst(&fleet, 0, WORKERS, 2, 50, "gmail_send", ids), 0);
    for (i = 0; i < WORKERS; i++) {
        unsigned v = 0, s = 0, src = 0;
        assert_int_equal(fl_burst_seen(&fleet.w[i], all[0], &v, &s, &src), 0);
        assert_int_equal(src, 1u << TG_SOURCE_CACHE);
    }
    assert_int_equal(fl_redis_data_calls(&fleet), calls);

    /* And a hit reads nothing from Redis: no shared-tier counter moves. */
    for (i = 0; i < WORKERS; i++) {
        fl_worker *w = &fleet.w[i];
        long long reads;
        assert_int_equal(fl_do(&fleet, w, 20000, "stats"), 0);
        reads = fl_named(w, "shared_hits") + fl_named(w, "shared_misses") +
                fl_named(w, "shared_errors");
        assert_int_equal(fl_do(&fleet, w, 20000, "check\tgmail_send\t%s", active[0]), 0);
        assert_string_equal(fl_field(w, 3), "cache");
        assert_int_equal(fl_do(&fleet, w, 20000, "stats"), 0);
        assert_int_equal(fl_named(w, "shared_hits") + fl_named(w, "shared_misses") +
                             fl_named(w, "shared_errors"),
                         reads);
        assert_int_equal(fl_named(w, "shared_errors"), 0);
    }
}

/* When the TTL has passed, the fleet asks again — once. */
static void once_per_ttl(void **state)
{
    static const char *const ids[] = { "ttl-1", "ttl-2", "ttl-3", "ttl-4" };
    char cfg[2048], list[128];
    fl_opts o = { 0 };
    int i, round;
    (void)state;

    accounts(ids, 4, "ACTIVE");
    join_ids(ids, 4, list, sizeof list);
    assert_int_equal(tg_dev_post(&fleet.dev, "/_dev/reset", NULL), 200);
    o.prefix = "share-ttl:";
    o.active_ttl_ms = 1500 * fleet.slow;
    fl_config(&fleet, &o, cfg, sizeof cfg);
    assert_int_equal(fl_open(&fleet, 0, WORKERS, cfg), 0);
    for (round = 1; round <= 2; round++) {
        if (round == 2)
            usleep((useconds_t)(o.active_ttl_ms + 200) * 1000);
        assert_int_equal(fl_burst(&fleet, 0, WORKERS, 3, 3, "gmail_send", list), 0);
        print_message("    round %d: slowest check %.1f ms\n", round, slowest(0, WORKERS));
        for (i = 0; i < 4; i++) {
            assert_int_equal(agreed(0, WORKERS, ids[i], TG_VERDICT_ALLOW, TG_STATUS_ACTIVE), 1);
            assert_int_equal(fl_provider_requests(&fleet, "gmail", ids[i]), round);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FL_TEST(cold_fleet_asks_once),
        FL_TEST(once_per_ttl),
        FL_LAST,
    };
    fl_workers = WORKERS;
    return cmocka_run_group_tests(tests, fl_group_setup, fl_group_teardown);
}
