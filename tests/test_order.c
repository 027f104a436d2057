/* The order of things (webhook events against each other, against the
 * provider's answers, invalidations and evictions): no order of deliveries
 * can turn a blocked account into ALLOW. Over the fake provider
 * (gate_env.c), with failing allocators (fail_alloc.c). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fail_alloc.h"
#include "gate.h"
#include "gate_env.h"
#include "horizon.h"

#define UPDATED "connected_account.status_updated"
#define DELETED "connected_account.deleted"

/* An event without connection_name cannot be tied to one account: it drops
 * every cached entry of the identifier and sets no status. */
static void test_event_without_connection_sets_nothing(void **state)
{
    gate_env *e = gate_env_new(NULL);
    char t[WHEN_MAX];
    (void)state;

    fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
    fake_set(&e->f, "slack", "alice", TG_STATUS_REVOKED);
    fake_set(&e->f, "gmail", "bob", TG_STATUS_ACTIVE);
    gate_env_check(e, "gmail_send", "alice");
    gate_env_check(e, "slack_post", "alice");
    gate_env_check(e, "gmail_send", "bob");
    assert_int_equal(gate_env_stats(e).entries, 3);

    assert_int_equal(gate_env_event(e, "evt_1", UPDATED, when_rfc3339(t, 1000), NULL, "alice",
                                    "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_stats(e).entries, 1); /* bob's stays */
    assert_int_equal(gate_env_check(e, "slack_post", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.status_calls, 5);
    gate_env_free(e);
}

/* More entries of one identifier than any small buffer: all dropped. */
static void test_event_without_connection_drops_all(void **state)
{
    char cfg[64], tool[64], t[WHEN_MAX];
    gate_env *e = gate_env_new(NULL);
    int i;
    (void)state;

    for (i = 0; i < 100; i++) {
        snprintf(cfg, sizeof cfg, "conn%d", i);
        assert_int_equal(tg_gate_check_connection(e->g, cfg, "carol", e->d), TG_OK);
    }
    (void)tool;
    assert_int_equal(gate_env_stats(e).entries, 100);
    assert_int_equal(gate_env_event(e, "evt_all", UPDATED, when_rfc3339(t, 1000), NULL,
                                    "carol", "REVOKED"),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_stats(e).entries, 0);
    gate_env_free(e);
}

/* A deletion, then an older status event: STALE, nothing changes. */
static void test_delete_then_older_event(void **state)
{
    gate_env *e = gate_env_new(NULL);
    char t1[WHEN_MAX], t0[WHEN_MAX];
    (void)state;

    fake_set(&e->f, "gmail", "alice", TG_STATUS_ACTIVE);
    gate_env_check(e, "gmail_send", "alice");
    when_rfc3339(t1, 5000);
    when_rfc3339(t0, 0);
    assert_int_equal(gate_env_event(e, "evt_del", DELETED, t1, "gmail", "alice", NULL),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_event(e, "evt_old", UPDATED, t0, "gmail", "alice", "ACTIVE"),
                     TG_EVENT_STALE);
    fake_set(&e->f, "gmail", "alice", TG_STATUS_NOT_FOUND);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(e->d), TG_STATUS_NOT_FOUND);
    gate_env_free(e);
}

/* The same when the provider filled the entry again in between: the
 * tombstone still decides. */
static void test_delete_refill_then_older_event(void **state)
{
    gate_env *e = gate_env_new(NULL);
    char t1[WHEN_MAX], t0[WHEN_MAX];
    (void)state;

    fake_set(&e->f, "gmail", "alice", TG_STATUS_ACTIVE);
    gate_env_check(e, "gmail_send", "alice");
    assert_int_equal(gate_env_event(e, "evt_del", DELETED, when_rfc3339(t1, 5000), "gmail",
                                    "alice", NULL),
                     TG_EVENT_APPLIED);
    fake_set(&e->f, "gmail", "alice", TG_STATUS_PENDING);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(gate_env_event(e, "evt_old", UPDATED, when_rfc3339(t0, 2000), "gmail",
                                    "alice", "ACTIVE"),
                     TG_EVENT_STALE);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    gate_env_free(e);
}

/* Events never create entries: a status for an account never cached changes
 * nothing the next check would read. */
static void test_event_creates_no_entry(void **state)
{
    gate_env *e = gate_env_new(NULL);
    char t[WHEN_MAX];
    (void)state;

    fake_set(&e->f, "gmail", "dave", TG_STATUS_REVOKED);
    assert_int_equal(gate_env_event(e, "evt_1", UPDATED, when_rfc3339(t, 1000), "gmail", "dave",
                                    "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_stats(e).entries, 0);
    assert_int_equal(gate_env_check(e, "gmail_send", "dave"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.status_calls, 1);
    gate_env_free(e);
}

/* The time of the last event survives an invalidation and an eviction. */
static void test_invalidation_and_eviction_lose_nothing(void **state)
{
    int round;
    (void)state;
    for (round = 0; round < 2; round++) {
        gate_env *e = gate_env_new(round ? "\"cache\":{\"max_entries\":1}" : NULL);
        char t1[WHEN_MAX], t0[WHEN_MAX];

        fake_set(&e->f, "gmail", "alice", TG_STATUS_ACTIVE);
        gate_env_check(e, "gmail_send", "alice");
        assert_int_equal(gate_env_event(e, "evt_rev", UPDATED, when_rfc3339(t1, 5000), "gmail",
                                        "alice", "REVOKED"),
                         TG_EVENT_APPLIED);
        fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
        if (round == 0) {
            assert_int_equal(tg_gate_invalidate(e->g, "gmail", "alice"), TG_OK);
        } else {
            gate_env_check(e, "gmail_send", "zed"); /* evicts alice */
            assert_int_equal(gate_env_stats(e).evictions, 1);
        }
        assert_int_equal(gate_env_check(e, "gmail_send", "alice"),
                         TG_VERDICT_NEEDS_AUTHORIZATION);
        assert_int_equal(gate_env_event(e, "evt_old", UPDATED, when_rfc3339(t0, 2000), "gmail",
                                        "alice", "ACTIVE"),
                         TG_EVENT_STALE);
        assert_int_equal(gate_env_check(e, "gmail_send", "alice"),
                         TG_VERDICT_NEEDS_AUTHORIZATION);
        gate_env_free(e);
    }
}

/* An event older than the provider's answer for the account cannot simply
 * overwrite it: the entry is dropped and the provider asked again. */
static void test_event_older_than_provider_answer(void **state)
{
    gate_env *e = gate_env_new(NULL);
    char t[WHEN_MAX];
    (void)state;

    fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
    gate_env_check(e, "gmail_send", "alice");
    assert_int_equal(gate_env_event(e, "evt_old", UPDATED, when_rfc3339(t, -60000), "gmail",
                                    "alice", "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);
    assert_int_equal(e->f.status_calls, 2);
    /* A newer one is stored as it says, with no provider call. */
    fake_set(&e->f, "gmail", "alice", TG_STATUS_ACTIVE);
    assert_int_equal(gate_env_event(e, "evt_new", UPDATED, when_rfc3339(t, 1000), "gmail",
                                    "alice", "ACTIVE"),
                     TG_EVENT_APPLIED);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);
    assert_int_equal(e->f.status_calls, 2);
    gate_env_free(e);
}

/* An event is seen (for duplicates) only once applied: whichever allocation
 * fails, the delivery's retry is applied, not taken for a duplicate. */
static void test_event_seen_only_once_applied(void **state)
{
    static const char *const conns[] = { "gmail", NULL };
    size_t c;
    (void)state;
    for (c = 0; c < 2; c++) {
        long k;
        for (k = 0; k < 64; k++) {
            gate_env *e = gate_env_new(NULL);
            char t[WHEN_MAX];
            int first, again;
            long refused;

            fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
            gate_env_check(e, "gmail_send", "alice");
            when_rfc3339(t, 1000);
            fail_alloc_after(k);
            first = gate_env_event(e, "evt_x", UPDATED, t, conns[c], "erin", "ACTIVE");
            refused = fail_alloc_refused();
            fail_alloc_off();
            again = gate_env_event(e, "evt_x", UPDATED, t, conns[c], "erin", "ACTIVE");
            if (first == TG_EVENT_APPLIED) {
                assert_int_equal(again, TG_EVENT_DUPLICATE);
            } else {
                assert_int_equal(first, TG_ENOMEM);
                assert_int_equal(again, TG_EVENT_APPLIED);
            }
            gate_env_free(e);
            if (refused == 0)
                break; /* every allocation of the call succeeded */
        }
    }
}

typedef struct checker {
    gate_env *e;
    int rc;
    tg_verdict verdict;
} checker;

static void *check_on_a_thread(void *arg)
{
    checker *c = arg;
    tg_decision *d = tg_decision_new();
    c->rc = d ? tg_gate_check(c->e->g, "gmail_send", "hana", d) : TG_ENOMEM;
    if (c->rc == TG_OK)
        c->verdict = tg_decision_verdict(d);
    tg_decision_free(d);
    return NULL;
}

/* A check that meets a change half-applied — the blocked status's link
 * already dropped, the new ACTIVE status not yet stored; the writer holds
 * the cache's lock between the two — waits for the change instead of asking
 * the provider for a link nobody needs (and answering with the old status). */
static void test_check_meets_a_half_applied_change(void **state)
{
    gate_env *e = gate_env_new(NULL);
    checker c = { e, -1, TG_VERDICT_DENY };
    pthread_t t;
    tg__key k;
    (void)state;

    fake_set(&e->f, "gmail", "hana", TG_STATUS_EXPIRED);
    assert_int_equal(gate_env_check(e, "gmail_send", "hana"), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(e->f.link_calls, 1);
    assert_int_equal(tg__gate_key(e->g, "gmail", "hana", &k), TG_OK);

    pthread_mutex_lock(&e->g->cache.lock);
    tg__cache_set_link_locked(&e->g->cache, &k, NULL); /* the change's first store */
    assert_int_equal(pthread_create(&t, NULL, check_on_a_thread, &c), 0);
    usleep(200000); /* the check runs meanwhile, as far as it can */
    assert_int_equal(tg__cache_apply_status_locked(&e->g->cache, &k, TG_STATUS_ACTIVE,
                                                   e->now + 60000, when_ms(0)),
                     1);
    pthread_mutex_unlock(&e->g->cache.lock);
    pthread_join(t, NULL);

    assert_int_equal(c.rc, TG_OK);
    assert_int_equal(c.verdict, TG_VERDICT_ALLOW);
    assert_int_equal(e->f.link_calls, 1);
    gate_env_free(e);
}

/* Tombstones are kept at least TG__HORIZON_KEEP_MS of real time after they
 * were last raised, and pruned some time after. */
static void test_horizons_kept_then_pruned(void **state)
{
    tg__horizons h;
    const int64_t t0 = 5000000;
    (void)state;

    tg__horizons_init(&h);
    assert_int_equal(tg__horizon_get(&h, NULL, "old", 3, 1), TG__NO_EVENT);
    assert_int_equal(tg__horizon_raise(&h, NULL, "old", 3, 1, 100, t0), TG_OK);
    assert_int_equal(tg__horizon_raise(&h, NULL, "old", 3, 1, 50, t0), TG_OK); /* no lower */
    assert_int_equal(tg__horizon_get(&h, NULL, "old", 3, 1), 100);
    /* Raising another key an hour later (to the millisecond) prunes nothing. */
    assert_int_equal(tg__horizon_raise(&h, NULL, "new", 3, 2, 200, t0 + TG__HORIZON_KEEP_MS),
                     TG_OK);
    assert_int_equal(tg__horizon_get(&h, NULL, "old", 3, 1), 100);
    /* Past the retention, a later raise prunes the old record. */
    assert_int_equal(tg__horizon_raise(&h, NULL, "new", 3, 2, 300,
                                       t0 + 2 * TG__HORIZON_KEEP_MS + 1),
                     TG_OK);
    assert_int_equal(tg__horizon_get(&h, NULL, "old", 3, 1), TG__NO_EVENT);
    assert_int_equal(tg__horizon_get(&h, NULL, "new", 3, 2), 300);
    /* Many records: the table grows and finds them all. */
    {
        char id[16];
        int i;
        for (i = 0; i < 2000; i++) {
            snprintf(id, sizeof id, "id%d", i);
            assert_int_equal(tg__horizon_raise(&h, NULL, id, strlen(id), (uint64_t)i * 7919u,
                                               i + 1, t0 + 3 * TG__HORIZON_KEEP_MS),
                             TG_OK);
        }
        for (i = 0; i < 2000; i++) {
            snprintf(id, sizeof id, "id%d", i);
            assert_int_equal(tg__horizon_get(&h, NULL, id, strlen(id), (uint64_t)i * 7919u),
                             i + 1);
        }
    }
    tg__horizons_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_without_connection_sets_nothing),
        cmocka_unit_test(test_event_without_connection_drops_all),
        cmocka_unit_test(test_delete_then_older_event),
        cmocka_unit_test(test_delete_refill_then_older_event),
        cmocka_unit_test(test_event_creates_no_entry),
        cmocka_unit_test(test_invalidation_and_eviction_lose_nothing),
        cmocka_unit_test(test_event_older_than_provider_answer),
        cmocka_unit_test(test_event_seen_only_once_applied),
        cmocka_unit_test(test_check_meets_a_half_applied_change),
        cmocka_unit_test(test_horizons_kept_then_pruned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
