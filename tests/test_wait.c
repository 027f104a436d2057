/* tg_gate_wait, version-2 statistics and the log sink, over the counting
 * in-process provider (fake_provider.c). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
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
#include "when.h"

typedef struct env {
    fake f;
    tg_gate *g;
    tg_decision *d;
} env;

static env *env_with(const char *policy)
{
    char cfg[256];
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_int_equal(fake_init(&e->f, 64, TG_STATUS_PENDING, 1), 0);
    snprintf(cfg, sizeof cfg,
             "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},\"on_provider_error\":\"%s\"}",
             policy);
    int rc = tg_gate_new_with_provider(&e->g, cfg, NULL, &fake_provider, &e->f);
    if (rc != TG_OK)
        fail_msg("gate: %s", tg_error_message());
    e->d = tg_decision_new();
    assert_non_null(e->d);
    return e;
}

static env *env_new(void)
{
    return env_with("closed");
}

static void env_free(env *e)
{
    tg_decision_free(e->d);
    tg_gate_free(e->g);
    fake_destroy(&e->f);
    free(e);
}

static long status_calls(env *e, const char *id)
{
    return fake_get(&e->f, "gmail", id).status_calls;
}

static tg_wait_options opts_of(int64_t timeout_ms, int64_t poll_ms)
{
    tg_wait_options o = TG_WAIT_OPTIONS_INIT;
    o.timeout_ms = timeout_ms;
    o.poll_ms = poll_ms;
    return o;
}

/* Apply a status event for gmail/@p id, occurred a second from now (after
 * the provider's answer in the entry); its result. */
static int apply_event_rc(env *e, const char *evt_id, const char *id, const char *status)
{
    char body[512], when[WHEN_MAX];

    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"type\":\"connected_account.status_updated\","
             "\"occurred_at\":\"%s\",\"data\":{\"connection_name\":\"gmail\","
             "\"identifier\":\"%s\",\"status\":\"%s\"}}",
             evt_id, when_rfc3339(when, 1000), id, status);
    return tg_gate_apply_event(e->g, body, strlen(body));
}

static void apply_status_event(env *e, const char *evt_id, const char *id, const char *status)
{
    assert_int_equal(apply_event_rc(e, evt_id, id, status), TG_EVENT_APPLIED);
}

/* ---- tests --------------------------------------------------------------- */

/* A fresh cached PENDING is not trusted: the first look asks the provider. */
static void test_wait_asks_the_provider_first(void **state)
{
    env *e = env_new();
    tg_wait_options o = opts_of(5000, 50);
    (void)state;

    fake_set(&e->f, "gmail", "u1", TG_STATUS_PENDING);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "u1", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);
    fake_set(&e->f, "gmail", "u1", TG_STATUS_ACTIVE);

    assert_int_equal(tg_gate_wait(e->g, "gmail", "u1", &o, e->d), TG_OK);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_ACTIVE);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);
    assert_int_equal(status_calls(e, "u1"), 2);
    /* The wait's answer is cached: the next check is a hit. */
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "u1", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);
    assert_int_equal(status_calls(e, "u1"), 2);
    env_free(e);
}

/* The time runs out while the provider answers: TG_OK with the last status
 * and its link; the link is fetched once, not on every look. */
static void test_wait_timeout_keeps_last_status(void **state)
{
    env *e = env_new();
    tg_wait_options o = opts_of(300, 20);
    (void)state;

    fake_set(&e->f, "gmail", "u2", TG_STATUS_EXPIRED);
    assert_int_equal(tg_gate_wait(e->g, "gmail", "u2", &o, e->d), TG_OK);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_EXPIRED);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_non_null(tg_decision_link(e->d));
    assert_true(status_calls(e, "u2") >= 2);
    assert_int_equal(fake_get(&e->f, "gmail", "u2").link_calls, 1);
    env_free(e);
}

/* A provider that never answers: TG_EPROVIDER with its message, and an
 * UNAVAILABLE decision — even under the open policy. */
static void test_wait_provider_down(void **state)
{
    env *e = env_with("open");
    tg_wait_options o = opts_of(200, 20);
    (void)state;

    fake_fail(&e->f, TG_EPROVIDER, 0);
    assert_int_equal(tg_gate_wait(e->g, "gmail", "u3", &o, e->d), TG_EPROVIDER);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(tg_decision_has_status(e->d), 0);
    assert_true(status_calls(e, "u3") >= 2);
    env_free(e);
}

typedef struct waiter {
    env *e;
    const char *id;
    tg_wait_options o;
    volatile int cancel;
    int rc;
    tg_status status;
    int started;
    pthread_mutex_t lock;
} waiter;

static void waiter_polled(void *ctx, const tg_decision *d, int64_t left_ms)
{
    waiter *w = ctx;
    (void)d;
    (void)left_ms;
    pthread_mutex_lock(&w->lock);
    w->started = 1;
    pthread_mutex_unlock(&w->lock);
}

static void *waiter_run(void *arg)
{
    waiter *w = arg;
    tg_decision *d = tg_decision_new();
    w->o.on_poll = waiter_polled;
    w->o.ctx = w;
    w->o.cancel = &w->cancel;
    w->rc = tg_gate_wait(w->e->g, "gmail", w->id, &w->o, d);
    w->status = tg_decision_status(d);
    tg_decision_free(d);
    return NULL;
}

static void waiter_start(waiter *w, pthread_t *t)
{
    int started = 0;
    pthread_mutex_init(&w->lock, NULL);
    assert_int_equal(pthread_create(t, NULL, waiter_run, w), 0);
    while (!started) {
        usleep(1000);
        pthread_mutex_lock(&w->lock);
        started = w->started;
        pthread_mutex_unlock(&w->lock);
    }
}

/* An event that makes the account ACTIVE ends the wait at once, with no
 * further provider request: the provider still says PENDING, and the next
 * look would come after the deadline. */
static void test_wait_woken_by_event(void **state)
{
    env *e = env_new();
    waiter w = { .e = e, .id = "u4", .o = opts_of(3000, 10000) };
    pthread_t t;
    (void)state;

    fake_set(&e->f, "gmail", "u4", TG_STATUS_PENDING);
    waiter_start(&w, &t);
    apply_status_event(e, "evt_wake_1", "u4", "ACTIVE");
    pthread_join(t, NULL);
    assert_int_equal(w.rc, TG_OK);
    assert_int_equal(w.status, TG_STATUS_ACTIVE);
    assert_int_equal(status_calls(e, "u4"), 1);
    pthread_mutex_destroy(&w.lock);
    env_free(e);
}

/* An invalidation makes the wait ask the provider again at once. */
static void test_wait_woken_by_invalidation(void **state)
{
    env *e = env_new();
    waiter w = { .e = e, .id = "u5", .o = opts_of(3000, 10000) };
    pthread_t t;
    (void)state;

    fake_set(&e->f, "gmail", "u5", TG_STATUS_PENDING);
    waiter_start(&w, &t);
    fake_set(&e->f, "gmail", "u5", TG_STATUS_ACTIVE);
    assert_int_equal(tg_gate_invalidate(e->g, "gmail", "u5"), TG_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, TG_OK);
    assert_int_equal(w.status, TG_STATUS_ACTIVE);
    assert_int_equal(status_calls(e, "u5"), 2);
    pthread_mutex_destroy(&w.lock);
    env_free(e);
}

/* An event for another account does not end the wait. */
static void test_wait_ignores_other_accounts(void **state)
{
    env *e = env_new();
    waiter w = { .e = e, .id = "u6", .o = opts_of(400, 10000) };
    pthread_t t;
    (void)state;

    fake_set(&e->f, "gmail", "u6", TG_STATUS_PENDING);
    fake_set(&e->f, "gmail", "other", TG_STATUS_PENDING);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "other", e->d), TG_OK);
    waiter_start(&w, &t);
    apply_status_event(e, "evt_other_1", "other", "ACTIVE");
    pthread_join(t, NULL);
    assert_int_equal(w.rc, TG_OK);
    assert_int_equal(w.status, TG_STATUS_PENDING);
    pthread_mutex_destroy(&w.lock);
    env_free(e);
}

static void test_wait_cancel(void **state)
{
    env *e = env_new();
    waiter w = { .e = e, .id = "u7", .o = opts_of(60000, 10000) };
    pthread_t t;
    (void)state;

    waiter_start(&w, &t);
    __atomic_store_n(&w.cancel, 1, __ATOMIC_RELEASE); /* as the header asks */
    pthread_join(t, NULL);
    assert_int_equal(w.rc, TG_ECANCELED);
    pthread_mutex_destroy(&w.lock);
    env_free(e);
}

static void test_wait_bad_arguments(void **state)
{
    env *e = env_new();
    tg_wait_options o = opts_of(100, 10);
    (void)state;

    assert_int_equal(tg_gate_wait(NULL, "gmail", "u", &o, e->d), TG_EINVAL);
    assert_int_equal(tg_gate_wait(e->g, "gmail", "u", &o, NULL), TG_EINVAL);
    assert_int_equal(tg_gate_wait(e->g, "gm@il", "u", &o, e->d), TG_EINVAL);
    assert_int_equal(tg_gate_wait(e->g, "gmail", "a\nb", &o, e->d), TG_EINVAL);
    o.version = 99;
    assert_int_equal(tg_gate_wait(e->g, "gmail", "u", &o, e->d), TG_EINVAL);
    o = opts_of(-1, 10);
    assert_int_equal(tg_gate_wait(e->g, "gmail", "u", &o, e->d), TG_EINVAL);
    assert_int_equal(e->f.status_calls, 0);
    env_free(e);
}

/* ---- checks that never block -------------------------------------------- */

/* tg_gate_try_check answers from the cache only: a miss is TG_EWOULDBLOCK
 * without a provider call; once a check has filled the entry, it answers. */
static void test_try_check(void **state)
{
    env *e = env_new();
    (void)state;

    fake_set(&e->f, "gmail", "t1", TG_STATUS_ACTIVE);
    fake_set(&e->f, "gmail", "t2", TG_STATUS_EXPIRED);
    assert_int_equal(tg_gate_try_check(e->g, "gmail_send", "t1", e->d), TG_EWOULDBLOCK);
    assert_int_equal(e->f.status_calls, 0);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "t1", e->d), TG_OK);
    assert_int_equal(tg_gate_try_check(e->g, "gmail_send", "t1", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);

    assert_int_equal(tg_gate_check(e->g, "gmail_send", "t2", e->d), TG_OK);
    assert_int_equal(tg_gate_try_check(e->g, "gmail_send", "t2", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_non_null(tg_decision_link(e->d));
    /* A tool with no rule needs no provider. */
    assert_int_equal(tg_gate_try_check(e->g, "calendar_read", "t3", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);
    /* Bad input is still bad input. */
    assert_int_equal(tg_gate_try_check(e->g, "gmail_send", "a\x01b", e->d), TG_EINVAL);
    assert_int_equal(e->f.status_calls, 2);
    env_free(e);
}

/* ---- statistics, version 2 --------------------------------------------- */

static void test_stats_v2(void **state)
{
    env *e = env_new();
    tg_stats s = TG_STATS_INIT;
    uint64_t sum = 0;
    size_t i;
    (void)state;

    fake_set(&e->f, "gmail", "a", TG_STATUS_ACTIVE);
    assert_int_equal(tg_gate_check(e->g, "gmail_x", "a", e->d), TG_OK);
    assert_int_equal(tg_gate_check(e->g, "gmail_x", "b", e->d), TG_OK); /* status + link */
    fake_fail(&e->f, TG_EPROVIDER, 0);
    assert_int_equal(tg_gate_check(e->g, "gmail_x", "c", e->d), TG_OK);
    apply_status_event(e, "evt_s1", "a", "EXPIRED");
    assert_int_equal(apply_event_rc(e, "evt_s1", "a", "EXPIRED"), TG_EVENT_DUPLICATE);

    assert_int_equal(tg_gate_stats(e->g, &s), TG_OK);
    assert_int_equal(s.version, TG_STATS_VERSION);
    assert_int_equal(s.provider_calls, 4);
    assert_int_equal(s.provider_errors, 1);
    for (i = 0; i < TG_STATS_LATENCY_BUCKETS; i++)
        sum += s.provider_latency_buckets[i];
    assert_int_equal(sum, s.provider_calls);
    assert_true(s.provider_latency_seconds_sum >= 0.0);
    assert_true(s.provider_last_ok_ms > 0);
    assert_true(s.provider_last_error_ms >= s.provider_last_ok_ms);
    assert_int_equal(s.events[TG_EVENT_APPLIED], 1);
    assert_int_equal(s.events[TG_EVENT_DUPLICATE], 1);
    assert_int_equal(s.shared_hits + s.shared_misses + s.shared_errors, 0);
    env_free(e);
}

/* A caller built for version 1 passes a shorter struct: nothing past it is
 * written. */
static void test_stats_v1_caller(void **state)
{
    env *e = env_new();
    size_t v1 = offsetof(tg_stats, provider_latency_buckets);
    unsigned char *buf = malloc(sizeof(tg_stats));
    tg_stats *s = (tg_stats *)(void *)buf;
    size_t i;
    (void)state;

    assert_non_null(buf);
    memset(buf, 0xAB, sizeof(tg_stats));
    s->version = 1;
    assert_int_equal(tg_gate_check(e->g, "gmail_x", "a", e->d), TG_OK);
    assert_int_equal(tg_gate_stats(e->g, s), TG_OK);
    assert_int_equal(s->version, 1);
    assert_int_equal(s->misses, 1);
    for (i = v1; i < sizeof(tg_stats); i++)
        assert_int_equal(buf[i], 0xAB);
    s->version = 0;
    assert_int_equal(tg_gate_stats(e->g, s), TG_EINVAL);
    s->version = TG_STATS_VERSION + 1;
    assert_int_equal(tg_gate_stats(e->g, s), TG_EINVAL);
    free(buf);
    env_free(e);
}

/* ---- the log sink -------------------------------------------------------- */

typedef struct logged {
    int n;
    tg_log_level level;
    char last[256];
} logged;

static void log_sink(void *ctx, tg_log_level level, const char *message)
{
    logged *l = ctx;
    l->n++;
    l->level = level;
    snprintf(l->last, sizeof l->last, "%s", message);
}

static void test_log_levels(void **state)
{
    env *e = env_new();
    const tg_host *host = e->f.host;
    logged l = { 0 };
    (void)state;

    assert_true(host->struct_size >= offsetof(tg_host, parse_rfc3339) + sizeof host->parse_rfc3339);
    /* Off by default. */
    host->log(TG_LOG_ERROR, "dropped %d", 1);
    assert_int_equal(host->log_enabled(TG_LOG_ERROR), 0);

    tg_log_set(TG_LOG_INFO, log_sink, &l);
    assert_int_equal(host->log_enabled(TG_LOG_INFO), 1);
    assert_int_equal(host->log_enabled(TG_LOG_DEBUG), 0);
    host->log(TG_LOG_DEBUG, "too fine %d", 2);
    assert_int_equal(l.n, 0);
    host->log(TG_LOG_WARN, "provider said %s\nsecond line", "hello");
    assert_int_equal(l.n, 1);
    assert_int_equal(l.level, TG_LOG_WARN);
    /* One line, whatever the text held. */
    assert_string_equal(l.last, "provider said hello?second line");

    tg_log_set(TG_LOG_DEBUG, NULL, &l);
    host->log(TG_LOG_ERROR, "off again");
    assert_int_equal(l.n, 1);
    assert_string_equal(tg_log_level_name(TG_LOG_DEBUG), "DEBUG");
    assert_string_equal(tg_log_level_name((tg_log_level)9), "UNKNOWN");
    env_free(e);
}

/* The provider learns when the check began, so status and link share one
 * deadline. */
static tg_status started_status;
static int64_t started_seen[2];
static int started_calls;
static const tg_host *started_host;

static int started_create(const tg_host *host, const char *c, const char *b, void *arg,
                          void **state)
{
    (void)c;
    (void)b;
    (void)arg;
    started_host = host;
    *state = NULL;
    return TG_OK;
}

static void started_destroy(void *state)
{
    (void)state;
}

static int started_get_status(void *state, const char *conn, const char *id, tg_status *st)
{
    (void)state;
    (void)conn;
    (void)id;
    started_seen[started_calls++ % 2] = started_host->check_started_ms();
    usleep(20000);
    *st = started_status;
    return TG_OK;
}

static int started_get_link(void *state, const char *conn, const char *id, char *buf, size_t len,
                            int64_t *expires)
{
    (void)state;
    (void)conn;
    (void)id;
    started_seen[started_calls++ % 2] = started_host->check_started_ms();
    snprintf(buf, len, "https://auth.example/x");
    *expires = 0;
    return TG_OK;
}

static void test_host_check_started(void **state)
{
    static const tg_provider vt = { TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "started",
                                    started_create, started_destroy, started_get_status,
                                    started_get_link };
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    int64_t before;
    (void)state;

    assert_int_equal(tg_gate_new_with_provider(&g, "{}", NULL, &vt, NULL), TG_OK);
    assert_int_equal(started_host->check_started_ms(), 0);
    started_status = TG_STATUS_EXPIRED;
    before = started_host->mono_ms();
    assert_int_equal(tg_gate_check_connection(g, "gmail", "u", d), TG_OK);
    assert_int_equal(started_calls, 2);
    /* Both calls saw the same start, taken before the first of them. */
    assert_true(started_seen[0] >= before);
    assert_int_equal(started_seen[1], started_seen[0]);
    assert_int_equal(started_host->check_started_ms(), 0);
    tg_decision_free(d);
    tg_gate_free(g);
}

static void test_host_parses_rfc3339(void **state)
{
    env *e = env_new();
    const tg_host *host = e->f.host;
    int64_t ms = 0;
    (void)state;

    assert_int_equal(host->parse_rfc3339("2026-11-25T15:10:00.5Z", 22, &ms), TG_OK);
    assert_int_equal(ms, 1795619400500LL);
    assert_int_equal(host->parse_rfc3339("2026-02-30T00:00:00Z", 20, &ms), TG_EINVAL);
    assert_int_equal(host->parse_rfc3339(NULL, 0, &ms), TG_EINVAL);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_asks_the_provider_first),
        cmocka_unit_test(test_wait_timeout_keeps_last_status),
        cmocka_unit_test(test_wait_provider_down),
        cmocka_unit_test(test_wait_woken_by_event),
        cmocka_unit_test(test_wait_woken_by_invalidation),
        cmocka_unit_test(test_wait_ignores_other_accounts),
        cmocka_unit_test(test_wait_cancel),
        cmocka_unit_test(test_wait_bad_arguments),
        cmocka_unit_test(test_try_check),
        cmocka_unit_test(test_stats_v2),
        cmocka_unit_test(test_stats_v1_caller),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_host_parses_rfc3339),
        cmocka_unit_test(test_host_check_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
