/* Gate logic against a counting in-process provider and an injected clock. */
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
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "hash.h"
#include "event_body.h"
#include "pct.h"
#include "when.h"

/* ---- the counting provider --------------------------------------------- */

#define FAKE_ACCOUNTS 1024

typedef struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const tg_host *host;
    struct {
        char conn[TG_CONNECTION_MAX + 1];
        char id[TG_IDENTIFIER_MAX + 1];
        tg_status status;
    } accounts[FAKE_ACCOUNTS];
    int n;
    int status_calls;
    int link_calls;
    int fail_status;     /* rc to return from get_status, 0 = answer */
    int fail_link;       /* rc to return from get_link, 0 = answer */
    int bad_status;      /* answer an out-of-range status */
    int blocked;         /* get_status waits until released */
    int in_call;         /* threads inside get_status */
    int64_t link_ttl_ms; /* link expiry from now, wall clock; 0 = none */
    tg_status missing;   /* status of an unlisted account */
} fake;

static int fake_create(const tg_host *host, const char *config_json, const char *base_dir,
                       void *arg, void **state)
{
    fake *f = arg;
    (void)config_json;
    (void)base_dir;
    f->host = host;
    *state = f;
    return TG_OK;
}

static void fake_destroy(void *state)
{
    (void)state;
}

static int fake_find(fake *f, const char *conn, const char *id)
{
    int i;
    for (i = 0; i < f->n; i++)
        if (strcmp(f->accounts[i].conn, conn) == 0 && strcmp(f->accounts[i].id, id) == 0)
            return i;
    return -1;
}

static void fake_set(fake *f, const char *conn, const char *id, tg_status s)
{
    int i;
    pthread_mutex_lock(&f->lock);
    i = fake_find(f, conn, id);
    if (i < 0) {
        assert_true(f->n < FAKE_ACCOUNTS);
        i = f->n++;
        snprintf(f->accounts[i].conn, sizeof f->accounts[i].conn, "%s", conn);
        snprintf(f->accounts[i].id, sizeof f->accounts[i].id, "%s", id);
    }
    f->accounts[i].status = s;
    pthread_mutex_unlock(&f->lock);
}

static int fake_get_status(void *state, const char *conn, const char *id, tg_status *out)
{
    fake *f = state;
    int i, rc = TG_OK;

    pthread_mutex_lock(&f->lock);
    f->status_calls++;
    /* The answer is read when the request arrives; a blocked call returns
     * it later, like a slow network. */
    i = fake_find(f, conn, id);
    *out = i >= 0 ? f->accounts[i].status : f->missing;
    f->in_call++;
    while (f->blocked)
        pthread_cond_wait(&f->cond, &f->lock);
    f->in_call--;
    if (f->fail_status) {
        rc = f->fail_status;
        f->host->set_error("fake provider: failing on purpose");
    } else if (f->bad_status) {
        *out = (tg_status)42;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int fake_get_link(void *state, const char *conn, const char *id, char *buf, size_t len,
                         int64_t *expires)
{
    fake *f = state;
    int rc = TG_OK;

    pthread_mutex_lock(&f->lock);
    f->link_calls++;
    if (f->fail_link) {
        rc = f->fail_link;
    } else {
        /* The identifier percent-encoded, as a real provider's link has it. */
        char enc[3 * TG_IDENTIFIER_MAX + 1];
        pct_encode(enc, sizeof enc, id);
        snprintf(buf, len, "https://auth.example/%s/%s?n=%d", conn, enc, f->link_calls);
        *expires = f->link_ttl_ms ? f->host->wall_ms() + f->link_ttl_ms : 0;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static const tg_provider fake_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fake", fake_create, fake_destroy,
    fake_get_status, fake_get_link,
};

/* ---- fixtures ------------------------------------------------------------ */

typedef struct env {
    fake f;
    int64_t now;
    tg_gate *g;
    tg_decision *d;
} env;

static int64_t env_clock(void *ctx)
{
    return ((env *)ctx)->now;
}

static env *env_new(const char *extra_json)
{
    char cfg[2048];
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    pthread_mutex_init(&e->f.lock, NULL);
    pthread_cond_init(&e->f.cond, NULL);
    e->f.link_ttl_ms = 600000;
    e->f.missing = TG_STATUS_PENDING;
    e->now = 1000000;
    snprintf(cfg, sizeof cfg,
             "{\"provider\":{},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\",\"calendar\":\"gcal\"},"
             "\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\",\"gmail_admin_\":\"gadmin\"}"
             "%s}}",
             extra_json ? extra_json : "");
    int rc = tg_gate_new_with_provider(&e->g, cfg, NULL, &fake_provider, &e->f);
    if (rc != TG_OK)
        fail_msg("gate: %s: %s", tg_strerror(rc), tg_error_message());
    tg_gate_set_clock(e->g, env_clock, e);
    e->d = tg_decision_new();
    assert_non_null(e->d);
    return e;
}

static void env_free(env *e)
{
    tg_decision_free(e->d);
    tg_gate_free(e->g);
    pthread_cond_destroy(&e->f.cond);
    pthread_mutex_destroy(&e->f.lock);
    free(e);
}

static tg_stats env_stats(env *e)
{
    tg_stats s = TG_STATS_INIT;
    assert_int_equal(tg_gate_stats(e->g, &s), TG_OK);
    return s;
}

static tg_verdict check(env *e, const char *tool, const char *id)
{
    int rc = tg_gate_check(e->g, tool, id, e->d);
    if (rc != TG_OK)
        fail_msg("check %s %s: %s", tool, id, tg_error_message());
    return tg_decision_verdict(e->d);
}

/* ---- tests --------------------------------------------------------------- */

static void test_hit_and_miss_counts(void **state)
{
    env *e = env_new(NULL);
    tg_stats s;
    (void)state;

    fake_set(&e->f, "gmail", "user_123", TG_STATUS_ACTIVE);
    assert_int_equal(check(e, "gmail_send_email", "user_123"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);
    assert_int_equal(e->f.status_calls, 1);
    assert_int_equal(check(e, "gmail_send_email", "user_123"), TG_VERDICT_ALLOW);
    assert_int_equal(check(e, "gmail_read", "user_123"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);
    assert_int_equal(e->f.status_calls, 1);
    assert_int_equal(e->f.link_calls, 0);
    assert_null(tg_decision_link(e->d));
    assert_string_equal(tg_decision_connection(e->d), "gmail");
    assert_string_equal(tg_decision_tool(e->d), "gmail_read");
    assert_string_equal(tg_decision_identifier(e->d), "user_123");

    s = env_stats(e);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.provider_calls, 1);
    assert_int_equal(s.provider_errors, 0);
    assert_int_equal(s.entries, 1);
    assert_int_equal(s.verdicts[TG_VERDICT_ALLOW], 3);
    env_free(e);
}

static void test_keys_do_not_collide(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "gmail", "user_1", TG_STATUS_ACTIVE);
    fake_set(&e->f, "slack", "user_1", TG_STATUS_EXPIRED);
    fake_set(&e->f, "gmail", "user_12", TG_STATUS_REVOKED);
    assert_int_equal(check(e, "gmail_send", "user_1"), TG_VERDICT_ALLOW);
    assert_int_equal(check(e, "slack_post", "user_1"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(check(e, "gmail_send", "user_12"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
    /* All cached now: the answers stay apart. */
    assert_int_equal(check(e, "gmail_send", "user_1"), TG_VERDICT_ALLOW);
    assert_int_equal(check(e, "slack_post", "user_1"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_EXPIRED);
    assert_int_equal(e->f.status_calls, 3);
    env_free(e);
}

static void test_tool_rules_and_unmapped(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    fake_set(&e->f, "gadmin", "u", TG_STATUS_EXPIRED);
    fake_set(&e->f, "gcal", "u", TG_STATUS_ACTIVE);

    assert_int_equal(check(e, "gmail_admin_reset", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_string_equal(tg_decision_connection(e->d), "gadmin"); /* longest prefix */
    assert_int_equal(check(e, "calendar", "u"), TG_VERDICT_ALLOW);
    assert_string_equal(tg_decision_connection(e->d), "gcal"); /* exact name */

    assert_int_equal(check(e, "weather_lookup", "u"), TG_VERDICT_ALLOW);
    assert_null(tg_decision_connection(e->d));
    assert_null(tg_decision_link(e->d));
    assert_int_equal(tg_decision_has_status(e->d), 0);
    assert_non_null(strstr(tg_decision_reason(e->d), "not mapped"));
    env_free(e);

    e = env_new(",\"unmapped\":\"deny\"");
    assert_int_equal(check(e, "weather_lookup", "u"), TG_VERDICT_DENY);
    assert_null(tg_decision_connection(e->d));
    assert_int_equal(e->f.status_calls, 0);
    assert_int_equal(env_stats(e).verdicts[TG_VERDICT_DENY], 1);
    env_free(e);
}

static void test_active_ttl_expiry(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    check(e, "gmail_send", "u");
    e->now += 59999;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(e->f.status_calls, 1);
    e->now += 1;
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.status_calls, 2);
    assert_int_equal(e->f.link_calls, 1);
    env_free(e);
}

static void test_inactive_ttl_and_link_reuse(void **state)
{
    env *e = env_new(NULL);
    const char *link;
    (void)state;
    e->f.link_ttl_ms = 120000;
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);

    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    link = tg_decision_link(e->d);
    assert_non_null(link);
    assert_string_equal(link, "https://auth.example/gmail/u?n=1");
    assert_true(tg_decision_link_expires_at(e->d) > 0);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);

    /* Fresh inactive entry: a hit, with the cached link. */
    e->now += 4999;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_string_equal(tg_decision_link(e->d), "https://auth.example/gmail/u?n=1");
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);
    assert_int_equal(e->f.status_calls, 1);

    /* Inactive TTL over: the status is asked again, the link is reused. */
    e->now += 1;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.status_calls, 2);
    assert_int_equal(e->f.link_calls, 1);
    assert_string_equal(tg_decision_link(e->d), "https://auth.example/gmail/u?n=1");

    /* Shortly (30 s) before the link expires, a new one is fetched. */
    e->now = 1000000 + 89000;
    check(e, "gmail_send", "u");
    assert_int_equal(e->f.link_calls, 1);
    e->now = 1000000 + 91000;
    check(e, "gmail_send", "u");
    assert_int_equal(e->f.link_calls, 2);
    assert_string_equal(tg_decision_link(e->d), "https://auth.example/gmail/u?n=2");

    /* Once ACTIVE, no link. */
    e->now += 5000;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_null(tg_decision_link(e->d));
    assert_int_equal(tg_decision_link_expires_at(e->d), 0);
    env_free(e);
}

static void test_every_non_active_status_blocks(void **state)
{
    static const tg_status st[] = { TG_STATUS_UNKNOWN, TG_STATUS_EXPIRED, TG_STATUS_PENDING,
                                    TG_STATUS_PENDING_VERIFICATION, TG_STATUS_REVOKED,
                                    TG_STATUS_NOT_FOUND };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof st / sizeof st[0]; i++) {
        env *e = env_new(NULL);
        fake_set(&e->f, "gmail", "u", st[i]);
        assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
        assert_int_equal(tg_decision_status(e->d), st[i]);
        assert_int_equal(tg_decision_has_status(e->d), 1);
        assert_non_null(tg_decision_link(e->d));
        assert_non_null(strstr(tg_decision_reason(e->d), "gmail account of u"));
        env_free(e);
    }
}

static void test_invalidation(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "gmail", "a", TG_STATUS_ACTIVE);
    fake_set(&e->f, "gmail", "b", TG_STATUS_ACTIVE);
    fake_set(&e->f, "slack", "a", TG_STATUS_ACTIVE);
    check(e, "gmail_x", "a");
    check(e, "gmail_x", "b");
    check(e, "slack_x", "a");
    assert_int_equal(e->f.status_calls, 3);
    assert_int_equal(env_stats(e).entries, 3);

    assert_int_equal(tg_gate_invalidate(e->g, "gmail", "a"), TG_OK);
    assert_int_equal(env_stats(e).entries, 2);
    check(e, "gmail_x", "a");
    check(e, "gmail_x", "b");
    assert_int_equal(e->f.status_calls, 4);

    assert_int_equal(tg_gate_invalidate(e->g, "gmail", NULL), TG_OK);
    assert_int_equal(env_stats(e).entries, 1);
    check(e, "slack_x", "a");
    assert_int_equal(e->f.status_calls, 4);
    assert_int_equal(tg_gate_invalidate(e->g, NULL, NULL), TG_OK);
    assert_int_equal(env_stats(e).entries, 0);
    check(e, "slack_x", "a");
    assert_int_equal(e->f.status_calls, 5);

    /* Unknown names are fine (nothing cached), bad ones are not. */
    assert_int_equal(tg_gate_invalidate(e->g, "never_seen", "a"), TG_OK);
    assert_int_equal(tg_gate_invalidate(e->g, NULL, "a"), TG_EINVAL);
    assert_int_equal(tg_gate_invalidate(e->g, "bad/conn", NULL), TG_EINVAL);
    assert_int_equal(tg_gate_invalidate(e->g, "gmail", ""), TG_EINVAL);
    assert_int_equal(tg_gate_invalidate(NULL, NULL, NULL), TG_EINVAL);
    env_free(e);
}

static void test_eviction_keeps_hot_entries(void **state)
{
    env *e;
    char id[32];
    int i;
    tg_stats s;
    (void)state;

    e = calloc(1, sizeof *e);
    assert_non_null(e);
    pthread_mutex_init(&e->f.lock, NULL);
    pthread_cond_init(&e->f.cond, NULL);
    e->f.missing = TG_STATUS_ACTIVE;
    e->now = 1000;
    assert_int_equal(tg_gate_new_with_provider(&e->g,
                                               "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},"
                                               "\"cache\":{\"max_entries\":100}}",
                                               NULL, &fake_provider, &e->f),
                     TG_OK);
    tg_gate_set_clock(e->g, env_clock, e);
    e->d = tg_decision_new();

    check(e, "gmail_send", "hot");
    for (i = 0; i < 250; i++) {
        snprintf(id, sizeof id, "user_%d", i);
        check(e, "gmail_send", id);
        check(e, "gmail_send", "hot");
        s = env_stats(e);
        assert_true(s.entries <= 100);
    }
    s = env_stats(e);
    assert_int_equal(s.entries, 100);
    assert_int_equal(s.evictions, 151);
    /* "hot" was used between every insertion: CLOCK kept it. */
    assert_int_equal(e->f.status_calls, 251);
    env_free(e);
}

/* Wait until a check is inside the (blocked) provider. */
static void wait_for_provider_call(env *e)
{
    int in_call;
    do {
        pthread_mutex_lock(&e->f.lock);
        in_call = e->f.in_call;
        pthread_mutex_unlock(&e->f.lock);
        if (!in_call)
            usleep(1000);
    } while (!in_call);
}

/* Let the blocked provider answer. */
static void release_provider(env *e)
{
    pthread_mutex_lock(&e->f.lock);
    e->f.blocked = 0;
    pthread_cond_broadcast(&e->f.cond);
    pthread_mutex_unlock(&e->f.lock);
}

/* ---- single flight ----------------------------------------------------- */

typedef struct worker {
    env *e;
    const char *id;
    tg_verdict verdict;
    int rc;
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;
    tg_decision *d = tg_decision_new();
    w->rc = tg_gate_check(w->e->g, "gmail_send", w->id, d);
    w->verdict = tg_decision_verdict(d);
    tg_decision_free(d);
    return NULL;
}

static void test_single_flight(void **state)
{
    enum { N = 16 };
    env *e = env_new(NULL);
    pthread_t th[N];
    worker w[N];
    int i;
    tg_stats s;
    (void)state;

    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    e->f.blocked = 1;
    for (i = 0; i < N; i++) {
        w[i] = (worker){ e, "u", TG_VERDICT_DENY, -100 };
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    /* Wait for the leader to be inside the provider, give the rest time to
     * queue behind it, then let it answer. */
    wait_for_provider_call(e);
    usleep(100000);
    release_provider(e);
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, TG_OK);
        assert_int_equal(w[i].verdict, TG_VERDICT_ALLOW);
    }
    assert_int_equal(e->f.status_calls, 1);
    s = env_stats(e);
    assert_int_equal(s.hits + s.misses, N);
    assert_int_equal(s.provider_calls, 1);
    env_free(e);
}

static void test_single_flight_failure_shared(void **state)
{
    enum { N = 8 };
    env *e = env_new(NULL);
    pthread_t th[N];
    worker w[N];
    int i;
    (void)state;

    e->f.blocked = 1;
    e->f.fail_status = TG_ETIMEOUT;
    for (i = 0; i < N; i++) {
        w[i] = (worker){ e, "u", TG_VERDICT_ALLOW, -100 };
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    wait_for_provider_call(e);
    usleep(50000);
    release_provider(e);
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, TG_OK);
        assert_int_equal(w[i].verdict, TG_VERDICT_UNAVAILABLE);
    }
    /* The waiters shared the failed round; a later check may try again. */
    assert_true(e->f.status_calls >= 1 && e->f.status_calls <= N);
    assert_int_equal(env_stats(e).entries, 0);
    env_free(e);
}

/* ---- failure policies ----------------------------------------------------- */

static void test_policy_closed(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    e->f.fail_status = TG_EPROVIDER;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    assert_null(tg_decision_link(e->d));
    assert_int_equal(tg_decision_has_status(e->d), 0);
    assert_non_null(strstr(tg_decision_reason(e->d), "could not be reached"));
    /* Failures are not cached. */
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(e->f.status_calls, 2);
    assert_int_equal(env_stats(e).provider_errors, 2);
    assert_int_equal(env_stats(e).entries, 0);
    e->f.fail_status = 0;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    env_free(e);
}

static void test_provider_config_error_is_an_error(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    e->f.fail_status = TG_ECONFIG;
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "u", e->d), TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "failing on purpose"));
    assert_int_equal(env_stats(e).provider_errors, 1);
    assert_int_equal(env_stats(e).entries, 0);
    env_free(e);
}

static void test_link_failure_is_not_needs_authorization(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    e->f.fail_link = TG_ETIMEOUT;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    assert_null(tg_decision_link(e->d));
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_EXPIRED);
    /* The status was stored; only the link is asked for again. */
    e->f.fail_link = 0;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.status_calls, 1);
    assert_int_equal(e->f.link_calls, 2);
    env_free(e);
}

static void test_invalid_status_from_provider(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    e->f.bad_status = 1;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(env_stats(e).provider_errors, 1);
    env_free(e);
}

static env *env_policy(const char *policy)
{
    char cfg[512];
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    pthread_mutex_init(&e->f.lock, NULL);
    pthread_cond_init(&e->f.cond, NULL);
    e->f.missing = TG_STATUS_PENDING;
    e->f.link_ttl_ms = 600000;
    e->now = 1000000;
    snprintf(cfg, sizeof cfg,
             "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},\"on_provider_error\":\"%s\","
             "\"stale_grace_ms\":10000}",
             policy);
    assert_int_equal(tg_gate_new_with_provider(&e->g, cfg, NULL, &fake_provider, &e->f), TG_OK);
    tg_gate_set_clock(e->g, env_clock, e);
    e->d = tg_decision_new();
    return e;
}

static void test_policy_stale_grace(void **state)
{
    env *e = env_policy("stale");
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_stale(e->d), 0);

    e->f.fail_status = TG_EPROVIDER;
    e->now += 60000 + 9999; /* expired 9.999 s ago: inside the grace */
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_stale(e->d), 1);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_ACTIVE);
    {
        char buf[1024];
        assert_int_equal(tg_decision_to_json(e->d, buf, sizeof buf, NULL), TG_OK);
        assert_non_null(strstr(buf, "\"stale\":true"));
    }
    e->now += 1; /* 10 s: grace over */
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(tg_decision_stale(e->d), 0);

    /* Never seen: nothing stale to serve. */
    assert_int_equal(check(e, "gmail_send", "other"), TG_VERDICT_UNAVAILABLE);
    env_free(e);

    /* A stale non-ACTIVE entry is never served as ALLOW. */
    e = env_policy("stale");
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    e->f.fail_status = TG_EPROVIDER;
    e->now += 5000;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_UNAVAILABLE);
    env_free(e);
}

static void test_policy_open(void **state)
{
    env *e = env_policy("open");
    (void)state;
    e->f.fail_status = TG_ETIMEOUT;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_non_null(strstr(tg_decision_reason(e->d), "skipped"));
    assert_null(tg_decision_link(e->d));
    assert_int_equal(env_stats(e).entries, 0);
    env_free(e);
}

/* ---- inputs, decisions, links --------------------------------------------- */

static void test_bad_input_is_an_error(void **state)
{
    env *e = env_new(NULL);
    char longid[TG_IDENTIFIER_MAX + 2];
    (void)state;
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';

    assert_int_equal(tg_gate_check(e->g, "gmail_send", "", e->d), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "identifier"));
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "a\nb", e->d), TG_EINVAL);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", longid, e->d), TG_EINVAL);
    longid[TG_IDENTIFIER_MAX] = '\0';
    assert_int_equal(tg_gate_check(e->g, "gmail_send", longid, e->d), TG_OK);
    assert_int_equal(tg_gate_check(e->g, "gmail send", "u", e->d), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "tool"));
    assert_int_equal(tg_gate_check(e->g, NULL, "u", e->d), TG_EINVAL);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", NULL, e->d), TG_EINVAL);
    assert_int_equal(tg_gate_check(NULL, "gmail_send", "u", e->d), TG_EINVAL);
    assert_int_equal(tg_gate_check(e->g, "gmail_send", "u", NULL), TG_EINVAL);
    assert_int_equal(tg_gate_check_connection(e->g, "gm/ail", "u", e->d), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "connection"));
    assert_int_equal(e->f.status_calls, 1);
    env_free(e);
}

static void test_check_connection(void **state)
{
    env *e = env_new(NULL);
    (void)state;
    fake_set(&e->f, "notion", "u@example.com", TG_STATUS_PENDING_VERIFICATION);
    assert_int_equal(tg_gate_check_connection(e->g, "notion", "u@example.com", e->d), TG_OK);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_null(tg_decision_tool(e->d));
    assert_string_equal(tg_decision_connection(e->d), "notion");
    assert_int_equal(tg_gate_check_connection(e->g, "notion", "u@example.com", e->d), TG_OK);
    assert_int_equal(e->f.status_calls, 1);
    env_free(e);
}

static void test_link_call(void **state)
{
    env *e = env_new(NULL);
    char buf[TG_LINK_MAX + 1], small[8];
    size_t needed = 0;
    int64_t exp = 0;
    (void)state;

    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    assert_int_equal(tg_gate_link(e->g, "gmail", "u", buf, sizeof buf, &needed, &exp), TG_OK);
    assert_string_equal(buf, "https://auth.example/gmail/u?n=1");
    assert_int_equal(needed, strlen(buf) + 1);
    assert_true(exp > 0);
    /* No entry yet, so the link could not be kept: asked again. */
    assert_int_equal(tg_gate_link(e->g, "gmail", "u", small, sizeof small, &needed, NULL),
                     TG_EBUFS);
    assert_int_equal(needed, strlen("https://auth.example/gmail/u?n=2") + 1);

    /* With an entry, the link is cached and reused by checks. */
    fake_set(&e->f, "gmail", "v", TG_STATUS_EXPIRED);
    check(e, "gmail_send", "v");
    assert_int_equal(e->f.link_calls, 3);
    assert_int_equal(tg_gate_link(e->g, "gmail", "v", buf, sizeof buf, NULL, NULL), TG_OK);
    assert_int_equal(e->f.link_calls, 3);
    assert_string_equal(buf, tg_decision_link(e->d));

    e->f.fail_link = TG_EPROVIDER;
    assert_int_equal(tg_gate_link(e->g, "gmail", "w", buf, sizeof buf, NULL, NULL),
                     TG_EPROVIDER);
    e->f.fail_link = TG_ENOTSUP;
    assert_int_equal(tg_gate_link(e->g, "gmail", "w", buf, sizeof buf, NULL, NULL),
                     TG_ENOTSUP);
    env_free(e);
}

static void test_decision_json(void **state)
{
    env *e = env_new(NULL);
    char buf[4096], tiny[16];
    size_t needed = 0;
    json_object *o, *v;
    const char *id = "a\"b\\c d\xc3\xa9\xf0\x9f\x98\x80";
    static const char *keys[] = { "verdict", "tool", "connection", "identifier", "status",
                                  "link", "link_expires_at", "reason", "source", "stale" };
    size_t i;
    (void)state;

    fake_set(&e->f, "gmail", id, TG_STATUS_EXPIRED);
    assert_int_equal(check(e, "gmail_send_email", id), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_to_json(e->d, buf, sizeof buf, &needed), TG_OK);
    assert_int_equal(needed, strlen(buf) + 1);
    o = json_tokener_parse(buf);
    assert_non_null(o);
    assert_int_equal(json_object_object_length(o), 10);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(json_object_object_get_ex(o, keys[i], NULL));
    json_object_object_get_ex(o, "identifier", &v);
    assert_string_equal(json_object_get_string(v), id);
    json_object_object_get_ex(o, "verdict", &v);
    assert_string_equal(json_object_get_string(v), "NEEDS_AUTHORIZATION");
    json_object_object_get_ex(o, "status", &v);
    assert_string_equal(json_object_get_string(v), "EXPIRED");
    json_object_object_get_ex(o, "connection", &v);
    assert_string_equal(json_object_get_string(v), "gmail");
    json_object_object_get_ex(o, "source", &v);
    assert_string_equal(json_object_get_string(v), "provider");
    json_object_object_get_ex(o, "link_expires_at", &v);
    assert_int_equal(json_object_get_string_len(v), 20); /* 2026-11-25T15:10:00Z */
    json_object_object_get_ex(o, "stale", &v);
    assert_true(json_object_is_type(v, json_type_boolean));
    json_object_put(o);

    /* Too small: TG_EBUFS, the size needed, a terminated prefix. */
    assert_int_equal(tg_decision_to_json(e->d, tiny, sizeof tiny, &needed), TG_EBUFS);
    assert_int_equal(needed, strlen(buf) + 1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(tg_decision_to_json(e->d, NULL, 0, &needed), TG_EBUFS);

    /* Unmapped: nulls, never missing. */
    check(e, "weather", "u");
    assert_int_equal(tg_decision_to_json(e->d, buf, sizeof buf, NULL), TG_OK);
    o = json_tokener_parse(buf);
    assert_non_null(o);
    assert_int_equal(json_object_object_length(o), 10);
    json_object_object_get_ex(o, "connection", &v);
    assert_null(v);
    json_object_object_get_ex(o, "status", &v);
    assert_null(v);
    json_object_object_get_ex(o, "link", &v);
    assert_null(v);
    json_object_put(o);
    env_free(e);
}

static void test_config_errors_reach_caller(void **state)
{
    fake f;
    static char sentinel;
    tg_gate *g = (tg_gate *)(void *)&sentinel;
    (void)state;
    memset(&f, 0, sizeof f);
    assert_int_equal(tg_gate_new_with_provider(&g, "{\"cache\":{\"nope\":1}}", NULL,
                                               &fake_provider, &f),
                     TG_ECONFIG);
    assert_null(g);
    assert_non_null(strstr(tg_error_message(), "cache.nope"));
    assert_int_equal(tg_gate_new_with_provider(&g, "{}", NULL, NULL, NULL), TG_EINVAL);
    assert_int_equal(tg_gate_new_from_file(&g, "/nonexistent/toolgate.json"), TG_EIO);
    assert_non_null(strstr(tg_error_message(), "/nonexistent/toolgate.json"));
}

/* ---- concurrency ------------------------------------------------------------ */

typedef struct stress {
    env *e;
    int stop;
    int bad;
    long checks;
} stress;

static void *stress_checker(void *arg)
{
    stress *s = arg;
    tg_decision *d = tg_decision_new();
    char id[32];
    long n = 0;
    int i = 0;
    while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
        snprintf(id, sizeof id, "user_%d", i++ % 500);
        if (tg_gate_check(s->e->g, "gmail_send", id, d) != TG_OK)
            __atomic_store_n(&s->bad, 1, __ATOMIC_RELAXED);
        else if (tg_decision_verdict(d) == TG_VERDICT_NEEDS_AUTHORIZATION &&
                 !tg_decision_link(d))
            __atomic_store_n(&s->bad, 2, __ATOMIC_RELAXED);
        else if (tg_decision_verdict(d) == TG_VERDICT_UNAVAILABLE ||
                 tg_decision_verdict(d) == TG_VERDICT_DENY)
            __atomic_store_n(&s->bad, 3, __ATOMIC_RELAXED);
        n++;
    }
    __atomic_fetch_add(&s->checks, n, __ATOMIC_RELAXED);
    tg_decision_free(d);
    return NULL;
}

static void test_concurrent_checks_and_invalidations(void **state)
{
    enum { T = 4 };
    env *e = calloc(1, sizeof *e);
    pthread_t th[T];
    stress s = { 0 };
    char id[32];
    int i, round;
    (void)state;

    pthread_mutex_init(&e->f.lock, NULL);
    pthread_cond_init(&e->f.cond, NULL);
    e->f.missing = TG_STATUS_EXPIRED;
    e->f.link_ttl_ms = 600000;
    assert_int_equal(tg_gate_new_with_provider(&e->g,
                                               "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},"
                                               "\"cache\":{\"max_entries\":300,"
                                               "\"active_ttl_ms\":50,\"inactive_ttl_ms\":20}}",
                                               NULL, &fake_provider, &e->f),
                     TG_OK);
    s.e = e;
    for (i = 0; i < T; i++)
        pthread_create(&th[i], NULL, stress_checker, &s);
    for (round = 0; round < 300; round++) {
        snprintf(id, sizeof id, "user_%d", (round * 7) % 500);
        fake_set(&e->f, "gmail", id, round % 2 ? TG_STATUS_ACTIVE : TG_STATUS_REVOKED);
        assert_int_equal(tg_gate_invalidate(e->g, "gmail", id), TG_OK);
        if (round % 50 == 0)
            assert_int_equal(tg_gate_invalidate(e->g, "gmail", NULL), TG_OK);
        usleep(1000);
    }
    __atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(s.bad, 0);
    assert_true(s.checks > 0);
    assert_true(env_stats(e).entries <= 300);
    e->d = tg_decision_new();
    env_free(e);
}

/* ---- webhook events ------------------------------------------------------- */

static int apply(env *e, const char *id, const char *type, const char *occurred,
                 const char *conn, const char *ident, const char *status)
{
    return event_apply(e->g, id, type, occurred, conn, ident, status);
}

static void test_event_makes_blocked_account_allowed(void **state)
{
    env *e = env_new(NULL);
    char t1[WHEN_MAX], t2[WHEN_MAX];
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(apply(e, "evt_1", "connected_account.status_updated",
                           when_rfc3339(t1, 1000), "gmail", "u", "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);
    assert_int_equal(e->f.status_calls, 1);

    /* And a revocation blocks at once (a link is fetched, no status call). */
    assert_int_equal(apply(e, "evt_2", "connected_account.status_updated",
                           when_rfc3339(t2, 2000), "gmail", "u", "DISCONNECTED"),
                     TG_EVENT_APPLIED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
    assert_int_equal(e->f.status_calls, 1);
    env_free(e);
}

static void test_event_order_and_replay(void **state)
{
    env *e = env_new(NULL);
    char t[WHEN_MAX];
    (void)state;
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION); /* PENDING */
    assert_int_equal(apply(e, "evt_b", "connected_account.status_updated", when_rfc3339(t, 5000),
                           "gmail", "u", "ACTIVE"),
                     TG_EVENT_APPLIED);
    /* Older than what the cache knows: ignored. */
    assert_int_equal(apply(e, "evt_a", "connected_account.status_updated", when_rfc3339(t, 4000),
                           "gmail", "u", "EXPIRED"),
                     TG_EVENT_STALE);
    /* The same id again: ignored, even with a newer time. */
    assert_int_equal(apply(e, "evt_b", "connected_account.status_updated", when_rfc3339(t, 9000),
                           "gmail", "u", "EXPIRED"),
                     TG_EVENT_DUPLICATE);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(e->f.status_calls, 1);
    /* Types that carry no status change nothing. */
    assert_int_equal(apply(e, "evt_c", "connected_account.magic_link_generated",
                           "2026-11-25T10:00:10Z", "gmail", "u", NULL),
                     TG_EVENT_IGNORED);
    assert_int_equal(apply(e, "evt_d", "organization.created", "2026-11-25T10:00:10Z", NULL, "x",
                           NULL),
                     TG_EVENT_IGNORED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    env_free(e);
}

static void test_event_deleted_and_no_connection(void **state)
{
    env *e = env_new(NULL);
    char t[WHEN_MAX];
    (void)state;
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    fake_set(&e->f, "slack", "u", TG_STATUS_ACTIVE);
    check(e, "gmail_send", "u");
    check(e, "slack_post", "u");
    assert_int_equal(e->f.status_calls, 2);

    /* No connection_name: it cannot say which account changed, so every
     * cached connection of the identifier is dropped and asked again. */
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    assert_int_equal(apply(e, "evt_1", "connected_account.status_updated", when_rfc3339(t, 1000),
                           NULL, "u", "EXPIRED"),
                     TG_EVENT_APPLIED);
    assert_int_equal(env_stats(e).entries, 0);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(check(e, "slack_post", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(e->f.status_calls, 4);

    assert_int_equal(apply(e, "evt_2", "connected_account.deleted", when_rfc3339(t, 2000),
                           "gmail", "u", NULL),
                     TG_EVENT_APPLIED);
    assert_int_equal(env_stats(e).entries, 1);
    check(e, "gmail_send", "u");
    assert_int_equal(e->f.status_calls, 5);

    assert_int_equal(tg_gate_apply_event(e->g, "{not json", 9), TG_EINVAL);
    assert_int_equal(tg_gate_apply_event(e->g, NULL, 0), TG_EINVAL);
    assert_int_equal(apply(e, "evt_3", "connected_account.status_updated", "yesterday", "gmail",
                           "u", "ACTIVE"),
                     TG_EINVAL);
    assert_int_equal(apply(e, "evt_4", "connected_account.status_updated",
                           when_rfc3339(t, 3000), "gmail", "u", "SORT_OF_ACTIVE"),
                     TG_EINVAL);
    env_free(e);
}

/* Sign like Scalekit: HMAC-SHA256 of "id.timestamp.body" keyed with the
 * base64-decoded part of the secret after "whsec_", base64 of the MAC. */
static void sign(const char *key, size_t key_len, const char *id, const char *ts,
                 const char *body, char *out, size_t cap)
{
    char msg[2048];
    unsigned char mac[32];
    unsigned int mac_len = 0;
    int n = snprintf(msg, sizeof msg, "%s.%s.%s", id, ts, body);
    unsigned char b64[64];
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
                         (size_t)n, mac, &mac_len));
    EVP_EncodeBlock(b64, mac, (int)mac_len);
    snprintf(out, cap, "v1,%s", (const char *)b64);
}

static void test_signed_event_through_the_gate(void **state)
{
    /* whsec_ + base64("toolgate-webhook-key") */
    static const char secret[] = "whsec_dG9vbGdhdGUtd2ViaG9vay1rZXk=";
    static const char key[] = "toolgate-webhook-key";
    char body[1024], when[WHEN_MAX], sig[128], bad[sizeof body];
    env *e = env_new(NULL);
    (void)state;
    /* Occurred a second from now: after the provider's answer below. */
    snprintf(body, sizeof body,
             "{\"spec_version\":\"1\",\"id\":\"evt_s1\",\"type\":\"connected_account.status_updated\","
             "\"object\":\"ConnectedAccount\",\"occurred_at\":\"%s\","
             "\"environment_id\":\"env_1\",\"data\":{\"id\":\"ca_1\",\"identifier\":\"u\","
             "\"connection_id\":\"conn_1\",\"connection_name\":\"gmail\",\"provider\":\"GMAIL\","
             "\"status\":\"ACTIVE\",\"old_status\":\"EXPIRED\"}}",
             when_rfc3339(when, 1000));

    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    sign(key, strlen(key), "msg_1", "1764669600", body, sig, sizeof sig);

    /* A tampered body, a wrong time or a wrong signature change nothing. */
    memcpy(bad, body, sizeof body);
    bad[strlen(bad) - 30] ^= 1;
    assert_int_equal(tg_gate_apply_webhook(e->g, secret, "msg_1", "1764669600", sig, bad,
                                           strlen(bad), 1764669600),
                     TG_ESIGNATURE);
    assert_int_equal(tg_gate_apply_webhook(e->g, secret, "msg_1", "1764669600", sig, body,
                                           strlen(body), 1764669600 + 301),
                     TG_ETIMESTAMP);
    assert_int_equal(tg_gate_apply_webhook(e->g, secret, "msg_2", "1764669600", sig, body,
                                           strlen(body), 1764669600),
                     TG_ESIGNATURE);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);

    /* Signed: the blocked account is allowed on the next call, no provider call. */
    assert_int_equal(tg_gate_apply_webhook(e->g, secret, "msg_1", "1764669600", sig, body,
                                           strlen(body), 1764669600 + 300),
                     TG_EVENT_APPLIED);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(e->f.status_calls, 1);
    /* Delivered twice (webhooks retry): recognised. */
    assert_int_equal(tg_gate_apply_webhook(e->g, secret, "msg_1", "1764669600", sig, body,
                                           strlen(body), 1764669600),
                     TG_EVENT_DUPLICATE);
    env_free(e);
}

typedef struct event_race {
    env *e;
    tg_verdict verdict;
} event_race;

static void *event_race_check(void *arg)
{
    event_race *r = arg;
    tg_decision *d = tg_decision_new();
    if (tg_gate_check(r->e->g, "gmail_send", "u", d) == TG_OK)
        r->verdict = tg_decision_verdict(d);
    tg_decision_free(d);
    return NULL;
}

/* Start a check that blocks inside the provider; returns when it is there. */
static void start_blocked_check(env *e, event_race *r, pthread_t *th)
{
    e->f.blocked = 1;
    pthread_create(th, NULL, event_race_check, r);
    wait_for_provider_call(e);
}

static void release_blocked_check(env *e, pthread_t th)
{
    release_provider(e);
    pthread_join(th, NULL);
}

static void test_event_newer_than_inflight_answer(void **state)
{
    env *e = env_new(NULL);
    event_race r = { e, TG_VERDICT_DENY };
    pthread_t th;
    char t[WHEN_MAX];
    (void)state;

    /* The provider is asked while the account is still EXPIRED… */
    fake_set(&e->f, "gmail", "u", TG_STATUS_EXPIRED);
    start_blocked_check(e, &r, &th);
    /* …the user authorizes, the event arrives, then the old answer. */
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    assert_int_equal(apply(e, "evt_1", "connected_account.status_updated", when_rfc3339(t, 1000),
                           "gmail", "u", "ACTIVE"),
                     TG_EVENT_APPLIED);
    release_blocked_check(e, th);
    assert_int_equal(r.verdict, TG_VERDICT_NEEDS_AUTHORIZATION);
    /* The old answer was not kept: the next check asks again. (The event
     * created no entry: events only change what is cached.) */
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);
    assert_int_equal(e->f.status_calls, 2);
    env_free(e);
}

static void test_drop_during_provider_call_wins(void **state)
{
    env *e = env_new(NULL);
    event_race r = { e, TG_VERDICT_DENY };
    pthread_t th;
    (void)state;

    /* The provider is asked while the account is ACTIVE; the account is
     * deleted before the answer comes back: the answer is not kept. */
    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    start_blocked_check(e, &r, &th);
    assert_int_equal(apply(e, "evt_del", "connected_account.deleted", "2026-11-25T10:00:00Z",
                           "gmail", "u", NULL),
                     TG_EVENT_APPLIED);
    fake_set(&e->f, "gmail", "u", TG_STATUS_NOT_FOUND);
    release_blocked_check(e, th);
    assert_int_equal(r.verdict, TG_VERDICT_ALLOW); /* that check began before */
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_NOT_FOUND);
    assert_int_equal(e->f.status_calls, 2);
    env_free(e);
}

static void test_invalidate_during_provider_call_wins(void **state)
{
    env *e = env_new(NULL);
    event_race r = { e, TG_VERDICT_DENY };
    pthread_t th;
    (void)state;

    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    start_blocked_check(e, &r, &th);
    fake_set(&e->f, "gmail", "u", TG_STATUS_REVOKED);
    assert_int_equal(tg_gate_invalidate(e->g, "gmail", "u"), TG_OK);
    release_blocked_check(e, th);
    assert_int_equal(r.verdict, TG_VERDICT_ALLOW);
    assert_int_equal(check(e, "gmail_send", "u"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
    assert_int_equal(e->f.status_calls, 2);
    env_free(e);
}

/* ---- the key hash -------------------------------------------------------- */

static void test_hash_copy_matches_hash(void **state)
{
    char src[160], dst[161];
    size_t n, i;
    unsigned x = 1;
    (void)state;
    for (n = 0; n < 150; n++) {
        for (i = 0; i < sizeof src; i++) {
            x = x * 1103515245u + 12345u;
            src[i] = (char)(x >> 16);
        }
        memset(dst, 0x55, sizeof dst);
        assert_true(tg__hash_copy(dst, src, n, 42 + n) == tg__hash_bytes(src, n, 42 + n));
        assert_memory_equal(dst, src, n);
        assert_int_equal(dst[n], '\0');
        assert_int_equal((unsigned char)dst[n + 1], 0x55); /* nothing past the NUL */
        /* Every byte matters. */
        if (n > 0) {
            uint64_t h = tg__hash_bytes(src, n, 7);
            for (i = 0; i < n; i++) {
                src[i] ^= 1;
                assert_true(tg__hash_bytes(src, n, 7) != h);
                src[i] ^= 1;
            }
        }
    }
}

/* ---- tg_gate_invoke ---------------------------------------------------------- */

typedef struct dispatcher {
    env *e;
    int calls;
    int reply;
    char last_args[64];
} dispatcher;

static int dispatch_tool(void *ctx, const char *tool, const char *identifier, const char *args)
{
    dispatcher *p = ctx;
    (void)tool;
    (void)identifier;
    p->calls++;
    snprintf(p->last_args, sizeof p->last_args, "%s", args ? args : "");
    if (p->reply == TG_DISPATCH_CREDENTIALS_REJECTED) /* the upstream revoked the token */
        fake_set(&p->e->f, "gmail", "u", TG_STATUS_REVOKED);
    return p->reply;
}

static void test_invoke(void **state)
{
    env *e = env_new(NULL);
    dispatcher p = { e, 0, 0, "" };
    int drc = 12345;
    (void)state;

    fake_set(&e->f, "gmail", "u", TG_STATUS_ACTIVE);
    fake_set(&e->f, "gmail", "blocked", TG_STATUS_EXPIRED);
    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "u", "{\"to\":\"a\"}", dispatch_tool, &p,
                                    e->d, &drc),
                     TG_OK);
    assert_int_equal(p.calls, 1);
    assert_int_equal(drc, 0);
    assert_string_equal(p.last_args, "{\"to\":\"a\"}");
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);

    /* Not ALLOW: never dispatched, dispatch_rc untouched. */
    drc = 12345;
    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "blocked", NULL, dispatch_tool, &p, e->d,
                                    &drc),
                     TG_OK);
    assert_int_equal(p.calls, 1);
    assert_int_equal(drc, 12345);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);

    /* A tool error other than rejected credentials is passed back as is. */
    p.reply = 7;
    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "u", NULL, dispatch_tool, &p, e->d, &drc),
                     TG_OK);
    assert_int_equal(drc, 7);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_ALLOW);
    assert_int_equal(e->f.status_calls, 2);

    /* Rejected credentials: the entry is dropped and checked fresh. */
    p.reply = TG_DISPATCH_CREDENTIALS_REJECTED;
    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "u", NULL, dispatch_tool, &p, e->d, &drc),
                     TG_OK);
    assert_int_equal(drc, TG_DISPATCH_CREDENTIALS_REJECTED);
    assert_int_equal(p.calls, 3);
    assert_int_equal(e->f.status_calls, 3);
    assert_int_equal(tg_decision_verdict(e->d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
    assert_non_null(tg_decision_link(e->d));

    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "u", NULL, NULL, &p, e->d, &drc),
                     TG_EINVAL);
    assert_int_equal(tg_gate_invoke(e->g, "gmail_send", "", NULL, dispatch_tool, &p, e->d, &drc),
                     TG_EINVAL);
    assert_int_equal(p.calls, 3);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss_counts),
        cmocka_unit_test(test_keys_do_not_collide),
        cmocka_unit_test(test_tool_rules_and_unmapped),
        cmocka_unit_test(test_active_ttl_expiry),
        cmocka_unit_test(test_inactive_ttl_and_link_reuse),
        cmocka_unit_test(test_every_non_active_status_blocks),
        cmocka_unit_test(test_invalidation),
        cmocka_unit_test(test_eviction_keeps_hot_entries),
        cmocka_unit_test(test_single_flight),
        cmocka_unit_test(test_single_flight_failure_shared),
        cmocka_unit_test(test_policy_closed),
        cmocka_unit_test(test_provider_config_error_is_an_error),
        cmocka_unit_test(test_link_failure_is_not_needs_authorization),
        cmocka_unit_test(test_invalid_status_from_provider),
        cmocka_unit_test(test_policy_stale_grace),
        cmocka_unit_test(test_policy_open),
        cmocka_unit_test(test_bad_input_is_an_error),
        cmocka_unit_test(test_check_connection),
        cmocka_unit_test(test_link_call),
        cmocka_unit_test(test_decision_json),
        cmocka_unit_test(test_config_errors_reach_caller),
        cmocka_unit_test(test_concurrent_checks_and_invalidations),
        cmocka_unit_test(test_event_makes_blocked_account_allowed),
        cmocka_unit_test(test_event_order_and_replay),
        cmocka_unit_test(test_signed_event_through_the_gate),
        cmocka_unit_test(test_event_deleted_and_no_connection),
        cmocka_unit_test(test_event_newer_than_inflight_answer),
        cmocka_unit_test(test_invoke),
        cmocka_unit_test(test_drop_during_provider_call_wins),
        cmocka_unit_test(test_invalidate_during_provider_call_wins),
        cmocka_unit_test(test_hash_copy_matches_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
