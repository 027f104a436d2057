/*
 * `toolgate serve` with the scalekit provider against the dev server
 * (scalekit-dev), which counts every request: one gate shared by every
 * client, so 50 concurrent checks of a new account make one provider
 * request, repeated blocked checks one link request; webhooks verified and
 * applied, a long poll woken by one at once; waits that time out. Both
 * servers are started on free loopback ports and always stopped.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "dev_server.h"
#include "harness.h"
#include "webhook_sign.h"

#define DEV_ID "dev_client"
#define DEV_SECRET "serve-test-s3cr3t"
#define DETAILS "GET /api/v1/connected_accounts/details"
#define CREATE "POST /api/v1/connected_accounts"
#define MAGIC "POST /api/v1/connected_accounts/magic_link"

static const unsigned char KEY[32] = "serve-webhook-test-key-32-bytes!";

static char dir[64];
static tg_dev dev = { 0, -1, "" };
static sv_server srv;
static char secret[128];

static int group_setup(void **state)
{
    char config[512], secret_env[160];
    (void)state;

    webhook_secret(KEY, sizeof KEY, secret, sizeof secret);
    snprintf(secret_env, sizeof secret_env, "TG_TEST_WEBHOOK_SECRET=%s", secret);
    if (sv_tmpdir(dir, sizeof dir) != 0 || tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID,
                                                        DEV_SECRET) != 0)
        return -1;
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"timeout_ms\":2000},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             dev.url);
    if (sv_write(dir, "toolgate.json", config, NULL) != 0)
        return -1;
    return sv_start(&srv, dir,
                    SV_ARGS("serve", "--listen", "127.0.0.1:0", "--webhook-secret-env",
                            "TG_TEST_WEBHOOK_SECRET"),
                    SV_ARGS("SCALEKIT_CLIENT_SECRET=" DEV_SECRET, secret_env));
}

static int group_teardown(void **state)
{
    int rc = sv_stop(&srv);
    char *log = sv_read(srv.err_path);
    (void)state;
    /* Never a secret in the log. */
    if (log && (strstr(log, DEV_SECRET) || strstr(log, secret) || strstr(log, "skdev_")))
        rc = -1;
    free(log);
    tg_dev_stop(&dev);
    sv_rmdir(dir);
    return rc == 0 ? 0 : -1;
}

static long long stat_of(const char *field, const char *sub)
{
    return tg_dev_stat(&dev, field, sub);
}

static long long key_count(const char *identifier)
{
    char key[128];
    snprintf(key, sizeof key, "gmail|%s", identifier);
    return stat_of("keys", key);
}

static void check(const char *identifier, const char *format, sv_answer *a)
{
    char body[256];
    snprintf(body, sizeof body, "{\"tool\":\"gmail_send_email\",\"identifier\":\"%s\"%s%s%s}",
             identifier, format ? ",\"format\":\"" : "", format ? format : "",
             format ? "\"" : "");
    assert_int_equal(sv_http(&srv, "POST", "/v1/check", body, NULL, a), 0);
    if (a->status != 200)
        fail_msg("check %s: HTTP %ld %s", identifier, a->status, a->body);
}

/* ---- single flight through HTTP ------------------------------------------------ */

enum { FLIGHT = 50 };

typedef struct flight_arg {
    const char *identifier;
    pthread_barrier_t *barrier;
    char verdict[32];
    long status;
} flight_arg;

static void *flight_run(void *p)
{
    flight_arg *f = p;
    sv_client *c = sv_client_new(&srv);
    char body[256];
    sv_answer a;

    snprintf(body, sizeof body, "{\"tool\":\"gmail_send_email\",\"identifier\":\"%s\"}",
             f->identifier);
    /* Connected before the barrier, so that all the checks leave at once
     * (also when this runs slowly, under valgrind). */
    if (c && sv_client_request(c, "GET", "/healthz", NULL, &a) == 0)
        sv_answer_free(&a);
    pthread_barrier_wait(f->barrier);
    if (c && sv_client_request(c, "POST", "/v1/check", body, &a) == 0) {
        f->status = a.status;
        sv_header(&a, "Toolgate-Verdict", f->verdict, sizeof f->verdict);
        sv_answer_free(&a);
    }
    sv_client_free(c);
    return NULL;
}

/* FLIGHT clients check @p identifier at once, each on its own connection,
 * while the dev server holds its answer; every one gets @p verdict. */
static void flight(const char *identifier, const char *verdict)
{
    pthread_t th[FLIGHT];
    flight_arg args[FLIGHT];
    pthread_barrier_t barrier;
    int i;

    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"latency_ms\":1000,\"count\":1,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    pthread_barrier_init(&barrier, NULL, FLIGHT);
    for (i = 0; i < FLIGHT; i++) {
        args[i] = (flight_arg){ identifier, &barrier, "", 0 };
        assert_int_equal(pthread_create(&th[i], NULL, flight_run, &args[i]), 0);
    }
    for (i = 0; i < FLIGHT; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (i = 0; i < FLIGHT; i++) {
        if (args[i].status != 200 || strcmp(args[i].verdict, verdict) != 0)
            fail_msg("client %d: HTTP %ld, verdict %s (expected %s)", i, args[i].status,
                     args[i].verdict, verdict);
    }
}

static void test_single_flight(void **state)
{
    sv_answer a;
    (void)state;

    /* The token first, on another account: only the status requests remain. */
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "warm_user", "ACTIVE"), 200);
    check("warm_user", NULL, &a);
    sv_answer_free(&a);

    /* An account the provider knows, new to the gate. */
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "flight_user", "ACTIVE"), 200);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    flight("flight_user", "ALLOW");
    print_message("    %d concurrent checks: %lld status requests, %lld for the key\n", FLIGHT,
                  stat_of("routes", DETAILS), key_count("flight_user"));
    assert_int_equal(stat_of("routes", DETAILS), 1);
    assert_int_equal(key_count("flight_user"), 1);

    /* An account nobody has yet: one read, one create, one link for all. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    flight("flight_new", "NEEDS_AUTHORIZATION");
    assert_int_equal(stat_of("routes", DETAILS), 1);
    assert_int_equal(stat_of("routes", CREATE), 1);
    assert_int_equal(stat_of("routes", MAGIC), 1);
    assert_int_equal(stat_of("token_requests", NULL), 0);
}

/* ---- link reuse ------------------------------------------------------------------- */

/* The MCP answer's elicitation: its id and url. */
static void elicitation_of(const char *body, char *id, char *url, size_t cap)
{
    json_object *root = json_tokener_parse(body), *v;
    const char *path[] = { "data", "elicitations" };

    /* {"code":-32042,"message":…,"data":{"elicitations":[{…}]}} */
    assert_non_null(root);
    v = root;
    assert_true(json_object_object_get_ex(v, path[0], &v));
    assert_true(json_object_object_get_ex(v, path[1], &v));
    v = json_object_array_get_idx(v, 0);
    assert_non_null(v);
    snprintf(id, cap, "%s",
             json_object_get_string(json_object_object_get(v, "elicitationId")));
    snprintf(url, cap, "%s", json_object_get_string(json_object_object_get(v, "url")));
    json_object_put(root);
}

static void test_link_reuse(void **state)
{
    char first_id[256], first_url[512], id[256], url[512];
    sv_answer a;
    int i;
    (void)state;

    assert_int_equal(tg_dev_set_account(&dev, "gmail", "reuse_user", "EXPIRED"), 200);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    for (i = 0; i < 8; i++) {
        check("reuse_user", "mcp", &a);
        elicitation_of(a.body, id, url, sizeof url);
        if (i == 0) {
            snprintf(first_id, sizeof first_id, "%s", id);
            snprintf(first_url, sizeof first_url, "%s", url);
        }
        assert_string_equal(id, first_id);
        assert_string_equal(url, first_url);
        sv_answer_free(&a);
        /* Past the cache's life for a blocked status: the status is asked
         * again, the link is not. */
        if (i == 3)
            sv_sleep_ms(5100);
    }
    print_message("    8 blocked checks: %lld link requests, %lld status requests\n",
                  stat_of("routes", MAGIC), stat_of("routes", DETAILS));
    assert_int_equal(stat_of("routes", MAGIC), 1);
    assert_int_equal(stat_of("routes", DETAILS), 2);
}

/* ---- webhooks ---------------------------------------------------------------------- */

/* POST a delivery: @p ts NULL is now; @p key NULL signs with KEY. */
static long deliver(const char *msg_id, const char *ts, const char *body, const unsigned char *key,
                    sv_answer *a)
{
    assert_int_equal(sv_deliver(&srv, key ? key : KEY, sizeof KEY, msg_id, ts, body, a), 0);
    return a->status;
}

static void status_event(char *out, size_t cap, const char *evt_id, const char *identifier,
                         const char *status)
{
    char when[40];
    sv_utc_now(when, sizeof when, 0);
    snprintf(out, cap,
             "{\"spec_version\":\"1\",\"id\":\"%s\",\"type\":\"connected_account.status_updated\","
             "\"occurred_at\":\"%s\",\"data\":{\"connection_name\":\"gmail\","
             "\"identifier\":\"%s\",\"status\":\"%s\"}}",
             evt_id, when, identifier, status);
}

typedef struct waiter {
    char target[256];
    sv_answer a;
    int64_t done_ms;
} waiter;

static void *wait_run(void *p)
{
    waiter *w = p;
    sv_http(&srv, "GET", w->target, NULL, NULL, &w->a);
    w->done_ms = sv_now_ms();
    return NULL;
}

/* A user authorizes while a long poll waits: the webhook ends the wait at
 * once — the provider still says EXPIRED, so only the event can — and the
 * next check passes from the cache without a provider request. */
static void test_webhook_wakes_wait(void **state)
{
    char body[512], verdict[32];
    waiter w;
    pthread_t t;
    sv_answer a;
    long long before;
    int64_t sent, deadline;
    (void)state;

    assert_int_equal(tg_dev_set_account(&dev, "gmail", "wake_user", "EXPIRED"), 200);
    check("wake_user", NULL, &a);
    sv_header(&a, "Toolgate-Verdict", verdict, sizeof verdict);
    assert_string_equal(verdict, "NEEDS_AUTHORIZATION");
    sv_answer_free(&a);

    memset(&w, 0, sizeof w);
    snprintf(w.target, sizeof w.target,
             "/v1/wait?connection=gmail&identifier=wake_user&timeout_ms=120000");
    before = key_count("wake_user");
    assert_int_equal(pthread_create(&t, NULL, wait_run, &w), 0);
    /* The wait has started once it asked the provider (its first look). */
    deadline = sv_now_ms() + 30000;
    while (key_count("wake_user") == before && sv_now_ms() < deadline)
        sv_sleep_ms(20);
    assert_true(key_count("wake_user") > before);
    assert_int_equal(sv_metric(&srv, "toolgate_waits"), 1);

    status_event(body, sizeof body, "evt_wake_1", "wake_user", "ACTIVE");
    sent = sv_now_ms();
    assert_int_equal(deliver("msg_wake_1", NULL, body, NULL, &a), 204);
    assert_int_equal(a.len, 0);
    sv_answer_free(&a);
    pthread_join(t, NULL);
    print_message("    the wait answered %lld ms after the webhook\n",
                  (long long)(w.done_ms - sent));
    assert_int_equal(w.a.status, 200);
    assert_string_equal(w.a.body,
                        "{\"connection\":\"gmail\",\"identifier\":\"wake_user\",\"status\":\"ACTIVE\"}\n");
    sv_header(&w.a, "Toolgate-Verdict", verdict, sizeof verdict);
    assert_string_equal(verdict, "ALLOW");
    /* Well before the 120 s timeout; the provider never said ACTIVE. */
    assert_true(w.done_ms - sent < 60000);
    sv_answer_free(&w.a);

    before = stat_of("requests", NULL);
    check("wake_user", NULL, &a);
    sv_header(&a, "Toolgate-Verdict", verdict, sizeof verdict);
    assert_string_equal(verdict, "ALLOW");
    assert_non_null(strstr(a.body, "\"source\":\"cache\""));
    sv_answer_free(&a);
    assert_int_equal(stat_of("requests", NULL), before);
    assert_int_equal(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"applied\"}"), 1);
}

static void expect_webhook_error(sv_answer *a, long status, const char *code)
{
    if (a->status != status || !strstr(a->body, code))
        fail_msg("webhook: HTTP %ld %s, expected %ld %s", a->status, a->body, status, code);
    sv_answer_free(a);
}

static void test_webhook_refusals(void **state)
{
    static const unsigned char other[32] = "another-key-another-key-another!";
    char body[512], old[32];
    const char *no_sig[] = { "webhook-id: msg_x", "webhook-timestamp: 1", NULL };
    size_t big = 1024 * 1024 + 1;
    char *huge;
    sv_answer a;
    (void)state;

    status_event(body, sizeof body, "evt_r1", "refused_user", "ACTIVE");
    deliver("msg_r1", NULL, body, other, &a);
    expect_webhook_error(&a, 401, "ESIGNATURE");
    snprintf(old, sizeof old, "%lld", (long long)time(NULL) - 3600);
    deliver("msg_r2", old, body, NULL, &a);
    expect_webhook_error(&a, 401, "ETIMESTAMP");
    assert_int_equal(sv_http(&srv, "POST", "/v1/webhooks/scalekit", body, no_sig, &a), 0);
    expect_webhook_error(&a, 400, "webhook-signature");
    deliver("msg_r3", NULL, "{\"not\":\"an event\"", NULL, &a);
    expect_webhook_error(&a, 400, "EINVAL");
    deliver("msg_r4", "12x", body, NULL, &a);
    expect_webhook_error(&a, 400, "EINVAL");

    /* Well-formed and signed, but nothing to change: 204 all the same. */
    assert_int_equal(deliver("msg_r5", NULL,
                             "{\"id\":\"evt_r5\",\"type\":\"connection.created\","
                             "\"occurred_at\":\"2026-01-15T10:05:00Z\",\"data\":{}}",
                             NULL, &a),
                     204);
    sv_answer_free(&a);
    status_event(body, sizeof body, "evt_dup", "refused_user", "ACTIVE");
    assert_int_equal(deliver("msg_dup", NULL, body, NULL, &a), 204);
    sv_answer_free(&a);
    assert_int_equal(deliver("msg_dup", NULL, body, NULL, &a), 204);
    sv_answer_free(&a);

    huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[big] = '\0';
    /* The server answers 413 and closes as soon as the body passes the
     * limit; a client still sending then may see the connection reset
     * instead (a slow run, under TSan). Either way the body was refused,
     * which the too_large count below shows. */
    if (sv_deliver(&srv, KEY, sizeof KEY, "msg_big", NULL, huge, &a) == 0)
        expect_webhook_error(&a, 413, "ETOOLARGE");
    else
        sv_answer_free(&a);
    free(huge);

    assert_int_equal(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"bad_signature\"}"),
                     1);
    assert_int_equal(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"bad_timestamp\"}"),
                     1);
    assert_int_equal(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"malformed\"}"), 3);
    assert_true(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"ignored\"}") >= 1);
    assert_true(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"duplicate\"}") +
                    sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"ignored\"}") >=
                2);
    assert_int_equal(sv_metric(&srv, "toolgate_webhook_events_total{outcome=\"too_large\"}"), 1);
}

/* ---- waits that end at their timeout ---------------------------------------------- */

static void test_wait_times_out(void **state)
{
    char verdict[32], status[32];
    sv_answer a;
    (void)state;

    assert_int_equal(tg_dev_set_account(&dev, "gmail", "slow_user", "EXPIRED"), 200);
    assert_int_equal(
        sv_http(&srv, "GET", "/v1/wait?connection=gmail&identifier=slow_user&timeout_ms=700",
                NULL, NULL, &a),
        0);
    assert_int_equal(a.status, 200);
    assert_true(a.ms >= 690);
    assert_string_equal(a.body,
                        "{\"connection\":\"gmail\",\"identifier\":\"slow_user\",\"status\":\"EXPIRED\"}\n");
    sv_header(&a, "Toolgate-Verdict", verdict, sizeof verdict);
    sv_header(&a, "Toolgate-Status", status, sizeof status);
    assert_string_equal(verdict, "NEEDS_AUTHORIZATION");
    assert_string_equal(status, "EXPIRED");
    sv_answer_free(&a);

    /* The provider never answers: the status is null and a header says why. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"status\":503,\"count\":100000,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    assert_int_equal(
        sv_http(&srv, "GET",
                "/v1/wait?connection=gmail&identifier=down_user&timeout_ms=500&format=text",
                NULL, NULL, &a),
        0);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "UNAVAILABLE: the authorization service could not be reached"));
    assert_false(sv_header(&a, "Toolgate-Status", status, sizeof status));
    sv_header(&a, "Toolgate-Verdict", verdict, sizeof verdict);
    assert_string_equal(verdict, "UNAVAILABLE");
    assert_true(sv_header(&a, "Toolgate-Error", status, sizeof status));
    assert_non_null(strstr(a.body, "down_user"));
    sv_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_flight),
        cmocka_unit_test(test_link_reuse),
        cmocka_unit_test(test_webhook_wakes_wait),
        cmocka_unit_test(test_webhook_refusals),
        cmocka_unit_test(test_wait_times_out),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
