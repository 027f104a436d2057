/* The gate in a fleet (src/fleet.c) over the in-process shared tier
 * (fake_shared.c): several gates, each with its own counting provider, as
 * separate processes would be. Redis itself is tested in test_redis_*. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "event_body.h"
#include "fake_provider.h"
#include "fake_shared.h"
#include "fleet.h"
#include "gate.h"
#include "when.h"

typedef struct member {
    fake f;
    tg_gate *g;
    tg_decision *d;
    int64_t now;
} member;

static int64_t member_clock(void *ctx)
{
    return ((member *)ctx)->now;
}

static member *member_new(const char *extra)
{
    char cfg[512];
    member *m = calloc(1, sizeof *m);
    int rc;

    assert_non_null(m);
    assert_int_equal(fake_init(&m->f, 64, TG_STATUS_PENDING, 1), 0);
    m->f.link_ttl_ms = 600000;
    m->now = 1000000;
    snprintf(cfg, sizeof cfg,
             "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"}},"
             "\"shared\":{\"type\":\"fake\",\"degraded_ttl_ms\":2000}%s%s}",
             extra ? "," : "", extra ? extra : "");
    rc = tg_gate_new_with_provider(&m->g, cfg, NULL, &fake_provider, &m->f);
    if (rc != TG_OK)
        fail_msg("gate: %s", tg_error_message());
    tg_gate_set_clock(m->g, member_clock, m);
    m->d = tg_decision_new();
    assert_non_null(m->d);
    return m;
}

static void member_free(member *m)
{
    tg_decision_free(m->d);
    tg_gate_free(m->g);
    fake_destroy(&m->f);
    free(m);
}

static tg_verdict check(member *m, const char *tool, const char *id)
{
    int rc = tg_gate_check(m->g, tool, id, m->d);
    if (rc != TG_OK)
        fail_msg("check: %s", tg_error_message());
    return tg_decision_verdict(m->d);
}

static tg_stats stats(member *m)
{
    tg_stats s = TG_STATS_INIT;
    assert_int_equal(tg_gate_stats(m->g, &s), TG_OK);
    return s;
}

static int setup(void **state)
{
    (void)state;
    fake_shared_reset();
    tg__fleet_use_tier(&fake_shared_tier);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tg__fleet_use_tier(NULL);
    return 0;
}

/* One provider request for the fleet: the second gate reads the answer. */
static void test_one_provider_request_for_the_fleet(void **state)
{
    member *a = member_new(NULL), *b = member_new(NULL);
    (void)state;

    fake_set(&a->f, "gmail", "alice", TG_STATUS_ACTIVE);
    fake_set(&b->f, "gmail", "alice", TG_STATUS_ACTIVE);
    assert_int_equal(check(a, "gmail_send", "alice"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_PROVIDER);
    assert_int_equal(check(b, "gmail_send", "alice"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(b->d), TG_SOURCE_SHARED);
    {
        char json[1024];
        assert_int_equal(tg_decision_to_json(b->d, json, sizeof json, NULL), TG_OK);
        assert_non_null(strstr(json, "\"source\":\"shared\""));
    }
    assert_int_equal(b->f.status_calls, 0);
    /* Then a hit, with no tier call. */
    {
        long reads = fake_shared_counted().reads;
        assert_int_equal(check(b, "gmail_send", "alice"), TG_VERDICT_ALLOW);
        assert_int_equal(tg_decision_source(b->d), TG_SOURCE_CACHE);
        assert_int_equal(fake_shared_counted().reads, reads);
    }
    assert_int_equal(stats(a).shared_misses, 1);
    assert_int_equal(stats(a).shared_publishes, 1);
    assert_int_equal(stats(b).shared_hits, 1);
    member_free(a);
    member_free(b);
}

/* A blocked account: the fleet's record carries the link, reused by all. */
static void test_link_shared(void **state)
{
    member *a = member_new(NULL), *b = member_new(NULL);
    char link[TG_LINK_MAX + 1];
    (void)state;

    fake_set(&a->f, "gmail", "bob", TG_STATUS_EXPIRED);
    assert_int_equal(check(a, "gmail_send", "bob"), TG_VERDICT_NEEDS_AUTHORIZATION);
    snprintf(link, sizeof link, "%s", tg_decision_link(a->d));
    assert_int_equal(check(b, "gmail_send", "bob"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_string_equal(tg_decision_link(b->d), link);
    assert_int_equal(tg_decision_source(b->d), TG_SOURCE_SHARED);
    assert_int_equal(b->f.status_calls + b->f.link_calls, 0);
    /* What b read from the fleet, it does not write back. */
    assert_int_equal(fake_shared_counted().writes, 1);
    assert_int_equal(stats(b).shared_publishes, 0);
    member_free(a);
    member_free(b);
}

/* A webhook applied in one gate reaches the others at once. */
static void test_event_fans_out(void **state)
{
    member *a = member_new(NULL), *b = member_new(NULL), *c = member_new(NULL);
    char t[WHEN_MAX];
    (void)state;

    fake_set(&a->f, "gmail", "carol", TG_STATUS_ACTIVE);
    fake_set(&c->f, "gmail", "carol", TG_STATUS_ACTIVE);
    check(a, "gmail_send", "carol");
    check(b, "gmail_send", "carol");
    assert_int_equal(check(c, "gmail_send", "carol"), TG_VERDICT_ALLOW);
    assert_int_equal(event_apply(a->g, "evt_r", "connected_account.status_updated",
                                 when_rfc3339(t, 1000), "gmail", "carol", "REVOKED"),
                     TG_EVENT_APPLIED);
    /* b and c hold REVOKED now, without asking anyone for the status. */
    assert_int_equal(check(b, "gmail_send", "carol"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(b->d), TG_STATUS_REVOKED);
    assert_int_equal(check(c, "gmail_send", "carol"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(c->f.status_calls, 0);
    assert_true(stats(b).shared_received >= 1);
    /* An older event, anywhere, changes nothing. */
    assert_int_equal(event_apply(b->g, "evt_old", "connected_account.status_updated",
                                 when_rfc3339(t, 500), "gmail", "carol", "ACTIVE"),
                     TG_EVENT_STALE);
    assert_int_equal(check(a, "gmail_send", "carol"), TG_VERDICT_NEEDS_AUTHORIZATION);
    member_free(a);
    member_free(b);
    member_free(c);
}

/* A gate that asks the provider only for a link (the status it holds came
 * from an event) publishes no status: what it holds may be older than what
 * the fleet learned meanwhile. Here b holds REVOKED from an event and has
 * not yet heard of the later activation that a and the fleet hold; b's
 * link must not make the fleet REVOKED again. */
static void test_link_round_publishes_no_status(void **state)
{
    member *a = member_new(NULL), *b = member_new(NULL);
    tg__shared_record r;
    char t[WHEN_MAX];
    int applied = 0;
    (void)state;

    fake_set(&a->f, "gmail", "zed", TG_STATUS_ACTIVE);
    fake_set(&b->f, "gmail", "zed", TG_STATUS_ACTIVE);
    assert_int_equal(check(a, "gmail_send", "zed"), TG_VERDICT_ALLOW);
    assert_int_equal(check(b, "gmail_send", "zed"), TG_VERDICT_ALLOW);
    /* Each later than the last, to the millisecond: the answers, the
     * revocation, the activation, b's round. */
    usleep(5000);
    assert_int_equal(event_apply(a->g, "evt_z1", "connected_account.status_updated",
                                 when_rfc3339(t, 0), "gmail", "zed", "REVOKED"),
                     TG_EVENT_APPLIED);
    usleep(5000);
    /* The activation, as another gate writes it; b's subscription lags. */
    memset(&r, 0, sizeof r);
    r.has_status = 1;
    r.status = TG_STATUS_ACTIVE;
    r.event_ms = when_ms(0);
    r.expires_ms = when_ms(60000);
    assert_int_equal(fake_shared_tier.write(b->g->fleet.state, TG__SHARED_EVENT, "gmail", "zed",
                                            &r, 60000, &applied),
                     TG_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(check(a, "gmail_send", "zed"), TG_VERDICT_ALLOW);
    usleep(5000);
    /* b, still REVOKED, fetches a link for it. */
    assert_int_equal(check(b, "gmail_send", "zed"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(b->f.link_calls, 1);
    assert_int_equal(check(a, "gmail_send", "zed"), TG_VERDICT_ALLOW);
    assert_int_equal(fake_shared_get("gmail", "zed", &r), 1);
    assert_int_equal(r.status, TG_STATUS_ACTIVE);
    member_free(a);
    member_free(b);
}

/* Invalidations and events without a connection reach every gate too. */
static void test_invalidation_and_identifier_fan_out(void **state)
{
    member *a = member_new(NULL), *b = member_new(NULL);
    char t[WHEN_MAX];
    (void)state;

    fake_set(&a->f, "gmail", "dave", TG_STATUS_ACTIVE);
    fake_set(&a->f, "slack", "dave", TG_STATUS_ACTIVE);
    check(a, "gmail_send", "dave");
    check(a, "slack_post", "dave");
    check(b, "gmail_send", "dave");
    check(b, "slack_post", "dave");
    assert_int_equal(stats(b).entries, 2);
    assert_int_equal(tg_gate_invalidate(a->g, "gmail", "dave"), TG_OK);
    assert_int_equal(stats(b).entries, 1);
    assert_int_equal(event_apply(a->g, "evt_i", "connected_account.status_updated",
                                 when_rfc3339(t, 1000), NULL, "dave", "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(stats(b).entries, 0);
    /* And the fleet's records of dave are no longer trusted. */
    fake_set(&b->f, "slack", "dave", TG_STATUS_REVOKED);
    assert_int_equal(check(b, "slack_post", "dave"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_source(b->d), TG_SOURCE_PROVIDER);
    member_free(a);
    member_free(b);
}

/* The tier down: the provider is asked directly, errors are counted, and the
 * verdicts are the provider's — never an ALLOW the provider did not give. */
static void test_tier_down(void **state)
{
    member *a = member_new(NULL);
    (void)state;

    fake_shared_set_down(1);
    fake_set(&a->f, "gmail", "erin", TG_STATUS_REVOKED);
    assert_int_equal(check(a, "gmail_send", "erin"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_PROVIDER);
    fake_set(&a->f, "gmail", "frank", TG_STATUS_ACTIVE);
    assert_int_equal(check(a, "gmail_send", "frank"), TG_VERDICT_ALLOW);
    assert_true(stats(a).shared_errors >= 2);
    /* Provider and tier both down: UNAVAILABLE (closed). */
    fake_fail(&a->f, TG_EPROVIDER, 0);
    assert_int_equal(check(a, "gmail_send", "gina"), TG_VERDICT_UNAVAILABLE);
    member_free(a);
}

static void go_down(void *arg)
{
    (void)arg;
    fake_shared_set_down(1);
}

/* A call to the tier that fails (times out, when Redis is paused) ends the
 * round's use of it: no write or unlock follows to wait as long again, so a
 * check waits on the tier once at most. Whether the read fails or, after it,
 * the lock. */
static void test_one_failed_call_per_round(void **state)
{
    member *a = member_new(NULL);
    fake_shared_counts n;
    int lock_fails;
    (void)state;

    for (lock_fails = 0; lock_fails <= 1; lock_fails++) {
        const char *id = lock_fails ? "ola" : "otto";
        uint64_t errors = stats(a).shared_errors;
        fake_shared_reset();
        if (lock_fails)
            fake_shared_before_lock(go_down, NULL);
        else
            fake_shared_set_down(1);
        fake_set(&a->f, "gmail", id, TG_STATUS_ACTIVE);
        assert_int_equal(check(a, "gmail_send", id), TG_VERDICT_ALLOW);
        assert_int_equal(tg_decision_source(a->d), TG_SOURCE_PROVIDER);
        n = fake_shared_counted();
        assert_int_equal(n.reads, 1);
        assert_int_equal(n.locks, lock_fails);
        assert_int_equal(n.writes, 0);
        assert_int_equal(stats(a).shared_errors - errors, 1);
    }
    member_free(a);
}

/* Redis stops answering after the lock was taken: a write that times out
 * is the round's last call (the lock expires by itself); one that fails at
 * once is followed by the unlock. */
static void test_write_timeout_leaves_the_lock(void **state)
{
    member *a = member_new(NULL);
    int timeout;
    (void)state;

    for (timeout = 0; timeout <= 1; timeout++) {
        const char *id = timeout ? "wanda" : "walt";
        int acquired = -1;
        fake_shared_reset();
        fake_shared_fail_with(timeout ? TG_ETIMEOUT : TG_EPROVIDER);
        fake_shared_before_write(go_down, NULL);
        fake_set(&a->f, "gmail", id, TG_STATUS_ACTIVE);
        assert_int_equal(check(a, "gmail_send", id), TG_VERDICT_ALLOW);
        assert_int_equal(fake_shared_counted().writes, 1);
        fake_shared_set_down(0);
        assert_int_equal(fake_shared_tier.lock(NULL, "gmail", id, 1000, &acquired), TG_OK);
        assert_int_equal(acquired, !timeout);
    }
    member_free(a);
}

typedef struct later {
    const char *conn, *id;
    tg_status status;
    int delay_ms;
} later;

/* Another gate's answer for the account, as of now. */
static void put_answer(const later *l)
{
    tg__shared_record r;
    memset(&r, 0, sizeof r);
    r.has_status = 1;
    r.status = l->status;
    r.asof_ms = when_ms(0);
    r.expires_ms = r.asof_ms + 60000;
    r.event_ms = TG__NO_EVENT;
    fake_shared_put_answer(l->conn, l->id, &r, 60000);
}

static void *answer_later(void *arg)
{
    later *l = arg;
    usleep((useconds_t)l->delay_ms * 1000);
    put_answer(l);
    fake_shared_hold_lock(l->conn, l->id, 0);
    return NULL;
}

/* Another gate holds the fleet lock: this one waits for its answer instead of
 * asking the provider. */
static void test_waits_for_the_lock_holder(void **state)
{
    member *a = member_new(NULL);
    later l = { "gmail", "hank", TG_STATUS_ACTIVE, 150 };
    pthread_t t;
    (void)state;

    fake_shared_hold_lock("gmail", "hank", 1);
    assert_int_equal(pthread_create(&t, NULL, answer_later, &l), 0);
    assert_int_equal(check(a, "gmail_send", "hank"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_SHARED);
    assert_int_equal(a->f.status_calls, 0);
    pthread_join(t, NULL);
    member_free(a);
}

/* As another gate would: answer for the account and let go of the lock. */
static void answer_and_unlock(void *arg)
{
    put_answer(arg);
    fake_shared_before_lock(NULL, NULL);
}

/* Another gate answered between this gate's read and its lock: its write
 * and unlock fell in between, so the lock is free again. The record is
 * read once more under the lock instead of asking the provider a second
 * time for the fleet. */
static void test_answer_between_read_and_lock(void **state)
{
    member *a = member_new(NULL);
    later l = { "gmail", "hugo", TG_STATUS_ACTIVE, 0 };
    (void)state;

    fake_set(&a->f, "gmail", "hugo", TG_STATUS_ACTIVE);
    fake_shared_before_lock(answer_and_unlock, &l);
    assert_int_equal(check(a, "gmail_send", "hugo"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_SHARED);
    assert_int_equal(a->f.status_calls, 0);
    /* The lock taken for nothing is let go. */
    {
        int acquired = 0;
        fake_shared_counts before = fake_shared_counted();
        assert_int_equal(fake_shared_tier.lock(NULL, "gmail", "hugo", 1000, &acquired), TG_OK);
        assert_int_equal(acquired, 1);
        assert_int_equal(fake_shared_counted().lock_refusals, before.lock_refusals);
    }
    member_free(a);
}

/* The lock holder never answers: the wait ends (bounded by the provider's
 * timeout) and the gate asks the provider itself. */
static void test_lock_holder_gone(void **state)
{
    member *a = member_new("\"provider\":{\"timeout_ms\":300}");
    (void)state;
    fake_shared_hold_lock("gmail", "ivan", 1);
    fake_set(&a->f, "gmail", "ivan", TG_STATUS_ACTIVE);
    assert_int_equal(check(a, "gmail_send", "ivan"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_PROVIDER);
    assert_int_equal(a->f.status_calls, 1);
    member_free(a);
}

/* Not subscribed: changes may be missed, so ACTIVE is trusted only
 * degraded_ttl_ms — for entries already cached and for new ones. */
static void test_degraded_ttl(void **state)
{
    member *a = member_new(NULL);
    (void)state;

    fake_set(&a->f, "gmail", "jill", TG_STATUS_ACTIVE);
    check(a, "gmail_send", "jill");
    fake_shared_set_subscribed(0);
    a->now += 1999;
    assert_int_equal(check(a, "gmail_send", "jill"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_CACHE);
    a->now += 1;
    fake_set(&a->f, "gmail", "jill", TG_STATUS_REVOKED);
    fake_shared_reset(); /* the fleet's record is gone too */
    fake_shared_set_subscribed(0);
    assert_int_equal(check(a, "gmail_send", "jill"), TG_VERDICT_NEEDS_AUTHORIZATION);
    /* A new ACTIVE entry gets the short TTL as well. */
    fake_set(&a->f, "gmail", "kim", TG_STATUS_ACTIVE);
    check(a, "gmail_send", "kim");
    a->now += 2000;
    fake_shared_reset();
    check(a, "gmail_send", "kim");
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_PROVIDER);
    /* Subscribed again: the full TTL. */
    fake_shared_set_subscribed(1);
    fake_shared_reset();
    a->now += 60001;
    check(a, "gmail_send", "kim");
    a->now += 30000;
    check(a, "gmail_send", "kim");
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_CACHE);
    member_free(a);
}

/* A record the fleet holds is trusted no longer than it says. */
static void test_record_expiry_respected(void **state)
{
    member *a = member_new(NULL);
    tg__shared_record r;
    (void)state;

    memset(&r, 0, sizeof r);
    r.has_status = 1;
    r.status = TG_STATUS_ACTIVE;
    r.asof_ms = when_ms(0);
    r.expires_ms = r.asof_ms + 1000; /* one more second */
    r.event_ms = TG__NO_EVENT;
    fake_shared_put_answer("gmail", "lena", &r, 1000);
    assert_int_equal(check(a, "gmail_send", "lena"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(a->d), TG_SOURCE_SHARED);
    a->now += 1001;
    fake_set(&a->f, "gmail", "lena", TG_STATUS_EXPIRED);
    fake_shared_reset();
    assert_int_equal(check(a, "gmail_send", "lena"), TG_VERDICT_NEEDS_AUTHORIZATION);
    member_free(a);
}

static int open_with(const char *json)
{
    static fake f;
    tg_gate *g = NULL;
    int rc;
    assert_int_equal(fake_init(&f, 4, TG_STATUS_PENDING, 0), 0);
    rc = tg_gate_new_with_provider(&g, json, NULL, &fake_provider, &f);
    tg_gate_free(g);
    fake_destroy(&f);
    return rc;
}

static void test_configuration(void **state)
{
    (void)state;
    tg__fleet_use_tier(NULL);
    assert_int_equal(open_with("{\"shared\":{}}"), TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "shared.type"));
    assert_int_equal(open_with("{\"shared\":{\"type\":\"memcached\"}}"), TG_ECONFIG);
    if (!strstr(tg_error_message(), "\"memcached\", which this build does not have"))
        fail_msg("message: %s", tg_error_message());
    assert_int_equal(open_with("{\"shared\":{\"type\":\"x\",\"degraded_ttl_ms\":-1}}"),
                     TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "shared.degraded_ttl_ms"));
    assert_int_equal(open_with("{\"shared\":7}"), TG_ECONFIG);
    assert_int_equal(open_with("{\"shared\":{\"type\":\"a\",\"type\":\"b\"}}"), TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "given twice"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_one_provider_request_for_the_fleet),
        T(test_link_shared),
        T(test_event_fans_out),
        T(test_link_round_publishes_no_status),
        T(test_invalidation_and_identifier_fan_out),
        T(test_tier_down),
        T(test_one_failed_call_per_round),
        T(test_write_timeout_leaves_the_lock),
        T(test_waits_for_the_lock_holder),
        T(test_answer_between_read_and_lock),
        T(test_lock_holder_gone),
        T(test_degraded_ttl),
        T(test_record_expiry_respected),
        T(test_configuration),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
