/*
 * GET /metrics: the Prometheus text format, checked by `promtool check
 * metrics` (Debian's prometheus package) at every step, with the names of
 * the contract and values that move as checks hit, miss and fail against
 * the dev server — and never go down across a reload.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_server.h"
#include "harness.h"

static char dir[64];
static tg_dev dev = { 0, -1, "" };
static sv_server srv;

static int group_setup(void **state)
{
    char config[512];
    (void)state;
    if (sv_tmpdir(dir, sizeof dir) != 0 ||
        tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, "dev_client", "dev_secret") != 0)
        return -1;
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"dev_client\",\"client_secret\":\"dev_secret\","
             "\"timeout_ms\":1000},\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             dev.url);
    if (sv_write(dir, "toolgate.json", config, NULL) != 0)
        return -1;
    return sv_start(&srv, dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    tg_dev_stop(&dev);
    return sv_teardown(&srv, dir);
}

/* Scrape, keep the text in dir/metrics.txt and have promtool judge it. */
static void scrape_and_lint(void)
{
    char path[256], cmd[512], type[128];
    sv_answer a;
    int status;

    assert_int_equal(sv_http(&srv, "GET", "/metrics", NULL, NULL, &a), 0);
    assert_int_equal(a.status, 200);
    sv_header(&a, "Content-Type", type, sizeof type);
    assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
    assert_int_equal(sv_write(dir, "metrics.txt", a.body, path), 0);
    sv_answer_free(&a);
    snprintf(cmd, sizeof cmd, "%s check metrics < %s 2>&1", TG_PROMTOOL, path);
    status = system(cmd);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
        fail_msg("cannot run %s: install Debian's prometheus package "
                 "(scripts/lib/deps.sh does)", TG_PROMTOOL);
    if (WEXITSTATUS(status) != 0) {
        char *text = sv_read(path);
        fail_msg("promtool check metrics failed (exit %d) on:\n%s", WEXITSTATUS(status),
                 text ? text : "");
    }
}

static double m(const char *series)
{
    double v = sv_metric(&srv, series);
    if (v < 0)
        fail_msg("no sample %s in /metrics", series);
    return v;
}

static void check(const char *identifier)
{
    char body[256];
    sv_answer a;

    snprintf(body, sizeof body, "{\"tool\":\"gmail_send\",\"identifier\":\"%s\"}", identifier);
    assert_int_equal(sv_http(&srv, "POST", "/v1/check", body, NULL, &a), 0);
    assert_int_equal(a.status, 200);
    sv_answer_free(&a);
}

#define HITS "toolgate_cache_hits_total"
#define MISSES "toolgate_cache_misses_total"
#define CALLS "toolgate_provider_requests_total"
#define ERRORS "toolgate_provider_errors_total"
#define ALLOW "toolgate_decisions_total{verdict=\"ALLOW\"}"
#define BLOCKED "toolgate_decisions_total{verdict=\"NEEDS_AUTHORIZATION\"}"
#define UNAVAILABLE "toolgate_decisions_total{verdict=\"UNAVAILABLE\"}"
#define HIST "toolgate_provider_request_duration_seconds"

static void test_names_and_format(void **state)
{
    static const char *const series[] = {
        HITS, MISSES, CALLS, ERRORS, ALLOW, BLOCKED, UNAVAILABLE,
        "toolgate_decisions_total{verdict=\"DENY\"}",
        "toolgate_cache_entries",
        HIST "_bucket{le=\"0.001\"}", HIST "_bucket{le=\"+Inf\"}", HIST "_sum", HIST "_count",
        "toolgate_webhook_events_total{outcome=\"applied\"}",
        "toolgate_webhook_events_total{outcome=\"bad_signature\"}",
        "toolgate_webhook_events_total{outcome=\"malformed\"}",
        "toolgate_shared_hits_total", "toolgate_shared_misses_total",
        "toolgate_shared_errors_total", "toolgate_shared_publishes_total",
        "toolgate_shared_received_total",
    };
    size_t i;
    (void)state;

    scrape_and_lint();
    for (i = 0; i < sizeof series / sizeof series[0]; i++)
        m(series[i]);
    /* No shared tier: its counters stay 0. */
    assert_int_equal(m("toolgate_shared_hits_total"), 0);
    /* The scrape itself is counted by route and code. */
    assert_true(m("toolgate_http_requests_total{route=\"/metrics\",code=\"200\"}") >= 1);
}

static void test_values_move(void **state)
{
    double hits, misses, calls, errors, allow, blocked, unavailable, count, inf, sum, entries;
    char bucket[96];
    double prev = 0;
    size_t i;
    static const char *const bounds[] = { "0.001", "0.0025", "0.005", "0.01", "0.025",
                                          "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                          "2.5",   "5",      "10",    "+Inf" };
    (void)state;

    assert_int_equal(tg_dev_set_account(&dev, "gmail", "m_active", "ACTIVE"), 200);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "m_expired", "EXPIRED"), 200);
    hits = m(HITS);
    misses = m(MISSES);
    calls = m(CALLS);
    allow = m(ALLOW);
    blocked = m(BLOCKED);
    entries = m("toolgate_cache_entries");

    check("m_active"); /* miss: token + status */
    check("m_active"); /* hit */
    check("m_active"); /* hit */
    check("m_expired"); /* miss: status + link */
    assert_int_equal(m(HITS), hits + 2);
    assert_int_equal(m(MISSES), misses + 2);
    assert_int_equal(m(ALLOW), allow + 3);
    assert_int_equal(m(BLOCKED), blocked + 1);
    assert_true(m(CALLS) >= calls + 3);
    assert_int_equal(m("toolgate_cache_entries"), entries + 2);

    /* Failures: the provider answers 503. */
    errors = m(ERRORS);
    unavailable = m(UNAVAILABLE);
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"status\":503,\"count\":100000,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    check("m_down");
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    assert_int_equal(m(UNAVAILABLE), unavailable + 1);
    assert_true(m(ERRORS) >= errors + 1);

    /* The histogram: cumulative, and as many as the requests. */
    for (i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        double v;
        snprintf(bucket, sizeof bucket, HIST "_bucket{le=\"%s\"}", bounds[i]);
        v = m(bucket);
        assert_true(v >= prev);
        prev = v;
    }
    inf = m(HIST "_bucket{le=\"+Inf\"}");
    count = m(HIST "_count");
    sum = m(HIST "_sum");
    assert_int_equal(inf, count);
    assert_int_equal(count, m(CALLS));
    assert_true(sum > 0);
    scrape_and_lint();
}

static void test_reload_keeps_counters(void **state)
{
    double hits, calls, allow;
    int64_t deadline;
    char *log = NULL;
    (void)state;

    check("m_active");
    check("m_active");
    hits = m(HITS);
    calls = m(CALLS);
    allow = m(ALLOW);
    kill(srv.pid, SIGHUP);
    deadline = sv_now_ms() + 30000;
    do {
        free(log);
        sv_sleep_ms(20);
        log = sv_server_log(&srv);
    } while (!strstr(log, "reloaded") && sv_now_ms() < deadline);
    assert_non_null(strstr(log, "reloaded"));
    free(log);
    /* A new gate, an empty cache: the counters still only go up. */
    assert_int_equal(m("toolgate_cache_entries"), 0);
    assert_true(m(HITS) >= hits);
    assert_true(m(CALLS) >= calls);
    assert_true(m(ALLOW) >= allow);
    check("m_active"); /* a miss on the new gate */
    check("m_active"); /* a hit */
    assert_int_equal(m(HITS), hits + 1);
    assert_int_equal(m(ALLOW), allow + 2);
    assert_int_equal(m("toolgate_config_reloads_total{result=\"ok\"}"), 1);
    scrape_and_lint();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_format),
        cmocka_unit_test(test_values_move),
        cmocka_unit_test(test_reload_keeps_counters),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
