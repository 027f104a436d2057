/*
 * Two `toolgate serve` processes on one real redis-server (the shared tier)
 * with scalekit-dev as the provider: the second answers from Redis what the
 * first asked the provider (source "shared", no second status request), a
 * webhook delivered to the first blocks the account in the second, and the
 * shared tier's counters in /metrics move as that happens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev_server.h"
#include "harness.h"
#include "redis_server.h"
#include "webhook_sign.h"

#define DEV_ID "shared_client"
#define DEV_SECRET "shared-dev-secret-0123456789"

static const unsigned char KEY[32] = "serve-shared-test-key-32-bytes!!";

static char dir[64];
static tg_dev dev = { 0, -1, "" };
static tg_redis redis;
static sv_server a_srv, b_srv;
static char secret[128];

static int group_setup(void **state)
{
    char config[768], secret_env[160];
    const char *const *env;
    (void)state;

    webhook_secret(KEY, sizeof KEY, secret, sizeof secret);
    snprintf(secret_env, sizeof secret_env, "TG_TEST_WEBHOOK_SECRET=%s", secret);
    if (sv_tmpdir(dir, sizeof dir) != 0 || tg_redis_start(&redis, NULL) != 0 ||
        tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, DEV_SECRET) != 0)
        return -1;
    /* Generous Redis timeouts: the servers may run under valgrind. */
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"timeout_ms\":5000},"
             "\"shared\":{\"type\":\"redis\",\"url\":\"%s\",\"prefix\":\"serve-test:\","
             "\"timeout_ms\":2000},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             dev.url, redis.url);
    if (sv_write(dir, "toolgate.json", config, NULL) != 0)
        return -1;
    env = SV_ARGS("SCALEKIT_CLIENT_SECRET=" DEV_SECRET, secret_env);
    if (sv_start(&a_srv, dir,
                 SV_ARGS("serve", "--listen", "127.0.0.1:0", "--webhook-secret-env",
                         "TG_TEST_WEBHOOK_SECRET"),
                 env) != 0)
        return -1;
    return sv_start(&b_srv, dir,
                    SV_ARGS("serve", "--listen", "127.0.0.1:0", "--webhook-secret-env",
                            "TG_TEST_WEBHOOK_SECRET"),
                    env);
}

static int stop_clean(sv_server *s)
{
    int rc = sv_stop(s);
    char *log = sv_read(s->err_path);
    /* Never a secret in the log. */
    if (log && (strstr(log, DEV_SECRET) || strstr(log, secret) || strstr(log, "skdev_")))
        rc = -1;
    free(log);
    return rc;
}

static int group_teardown(void **state)
{
    int rc_a = stop_clean(&a_srv), rc_b = stop_clean(&b_srv);
    (void)state;
    tg_dev_stop(&dev);
    tg_redis_stop(&redis);
    sv_rmdir(dir);
    return rc_a == 0 && rc_b == 0 ? 0 : -1;
}

static double metric(const sv_server *s, const char *series)
{
    double v = sv_metric(s, series);
    if (v < 0)
        fail_msg("no sample %s in /metrics", series);
    return v;
}

/* Status requests the provider has had (this file's only account). */
static long long status_requests(void)
{
    return tg_dev_stat(&dev, "routes", "GET /api/v1/connected_accounts/details");
}

/* POST /v1/check; the verdict header into @p verdict, the body kept in @p a. */
static void check(const sv_server *s, const char *identifier, char *verdict, size_t cap,
                  sv_answer *a)
{
    char body[256];
    snprintf(body, sizeof body, "{\"tool\":\"gmail_send_email\",\"identifier\":\"%s\"}",
             identifier);
    assert_int_equal(sv_http(s, "POST", "/v1/check", body, NULL, a), 0);
    if (a->status != 200)
        fail_msg("check %s: HTTP %ld %s", identifier, a->status, a->body);
    assert_true(sv_header(a, "Toolgate-Verdict", verdict, cap));
}

#define SHARED(name) "toolgate_shared_" name "_total"

static void test_fleet_of_two_servers(void **state)
{
    char verdict[32], body[512], when[40];
    long long requests;
    int64_t deadline;
    sv_answer a;
    (void)state;

    assert_int_equal(tg_dev_set_account(&dev, "gmail", "fleet_user", "ACTIVE"), 200);

    /* The first server: not in Redis, so it asks the provider and publishes. */
    check(&a_srv, "fleet_user", verdict, sizeof verdict, &a);
    assert_string_equal(verdict, "ALLOW");
    assert_non_null(strstr(a.body, "\"source\":\"provider\""));
    sv_answer_free(&a);
    requests = status_requests();
    assert_true(requests >= 1);
    assert_true(metric(&a_srv, SHARED("misses")) >= 1);
    assert_true(metric(&a_srv, SHARED("publishes")) >= 1);
    assert_int_equal(metric(&a_srv, SHARED("errors")), 0);

    /* The second: from Redis, with no request of its own. */
    assert_int_equal(metric(&b_srv, SHARED("hits")), 0);
    check(&b_srv, "fleet_user", verdict, sizeof verdict, &a);
    assert_string_equal(verdict, "ALLOW");
    if (!strstr(a.body, "\"source\":\"shared\""))
        fail_msg("the second server did not answer from Redis: %s", a.body);
    sv_answer_free(&a);
    assert_int_equal(status_requests(), requests);
    assert_int_equal(metric(&b_srv, SHARED("hits")), 1);
    assert_int_equal(metric(&b_srv, "toolgate_provider_requests_total"), 0);

    /* The user revokes; Scalekit tells the first server. The second hears
     * it through Redis and blocks the account on its next check. */
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "fleet_user", "REVOKED"), 200);
    sv_utc_now(when, sizeof when, 0);
    snprintf(body, sizeof body,
             "{\"spec_version\":\"1\",\"id\":\"evt_fleet_1\","
             "\"type\":\"connected_account.status_updated\",\"occurred_at\":\"%s\","
             "\"data\":{\"connection_name\":\"gmail\",\"identifier\":\"fleet_user\","
             "\"status\":\"REVOKED\"}}",
             when);
    assert_int_equal(sv_deliver(&a_srv, KEY, sizeof KEY, "msg_fleet_1", NULL, body, &a), 0);
    assert_int_equal(a.status, 204);
    sv_answer_free(&a);
    assert_true(metric(&a_srv, SHARED("publishes")) >= 2);

    deadline = sv_now_ms() + 20000;
    while (metric(&b_srv, SHARED("received")) < 1 && sv_now_ms() < deadline)
        sv_sleep_ms(5);
    assert_true(metric(&b_srv, SHARED("received")) >= 1);
    check(&b_srv, "fleet_user", verdict, sizeof verdict, &a);
    if (strcmp(verdict, "ALLOW") == 0)
        fail_msg("the second server still allows a revoked account: %s", a.body);
    assert_string_equal(verdict, "NEEDS_AUTHORIZATION");
    assert_non_null(strstr(a.body, "\"status\":\"REVOKED\""));
    sv_answer_free(&a);
    /* The event carried the status: no status request, only the link's. */
    assert_int_equal(status_requests(), requests);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet_of_two_servers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
