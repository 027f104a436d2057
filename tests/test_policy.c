/* on_provider_error decides only when the status is unknown: a known
 * non-ACTIVE status is never ALLOW, under any policy, even when its link
 * cannot be fetched. Over the fake provider (gate_env.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gate_env.h"

static const char *const policies[] = { "\"on_provider_error\":\"closed\"",
                                        "\"on_provider_error\":\"stale\"",
                                        "\"on_provider_error\":\"open\"" };

/* The provider says REVOKED, then the link request fails (e.g. 429): the
 * answer is UNAVAILABLE with the status the provider gave, no link. */
static void test_known_status_link_failure_from_provider(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        gate_env *e = gate_env_new(policies[i]);
        fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
        fake_fail(&e->f, 0, TG_EPROVIDER);
        assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_UNAVAILABLE);
        assert_int_equal(tg_decision_has_status(e->d), 1);
        assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
        assert_null(tg_decision_link(e->d));
        assert_int_equal(tg_decision_source(e->d), TG_SOURCE_PROVIDER);
        assert_int_equal(tg_decision_stale(e->d), 0);
        assert_non_null(strstr(tg_decision_reason(e->d), "no authorization link could be"));
        gate_env_free(e);
    }
}

/* A fresh cached REVOKED whose link is due for renewal, and the renewal
 * fails: UNAVAILABLE, the status from the cache, source "cache". */
static void test_known_status_link_failure_from_cache(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        gate_env *e = gate_env_new(policies[i]);
        e->f.link_ttl_ms = 2000; /* renewed 1 s before it expires */
        fake_set(&e->f, "gmail", "alice", TG_STATUS_REVOKED);
        assert_int_equal(gate_env_check(e, "gmail_send", "alice"),
                         TG_VERDICT_NEEDS_AUTHORIZATION);
        e->now += 1500; /* the status is fresh (5 s), the link is not */
        fake_fail(&e->f, 0, TG_EPROVIDER);
        assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_UNAVAILABLE);
        assert_int_equal(tg_decision_status(e->d), TG_STATUS_REVOKED);
        assert_int_equal(tg_decision_source(e->d), TG_SOURCE_CACHE);
        assert_null(tg_decision_link(e->d));
        assert_int_equal(e->f.status_calls, 1);
        assert_int_equal(e->f.link_calls, 2);
        gate_env_free(e);
    }
}

/* What "open" is for: the status itself is unknown. */
static void test_open_when_status_unknown(void **state)
{
    gate_env *e = gate_env_new(policies[2]);
    (void)state;
    fake_fail(&e->f, TG_ETIMEOUT, 0);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_ALLOW);
    assert_int_equal(tg_decision_has_status(e->d), 0);
    assert_non_null(strstr(tg_decision_reason(e->d), "skipped"));
    gate_env_free(e);
}

/* The reason says what failed, in the provider's words. */
static void test_reason_names_the_failure(void **state)
{
    gate_env *e = gate_env_new(NULL);
    (void)state;
    fake_fail(&e->f, TG_EPROVIDER, 0);
    assert_int_equal(gate_env_check(e, "gmail_send", "alice"), TG_VERDICT_UNAVAILABLE);
    assert_non_null(strstr(tg_decision_reason(e->d), "status fails on purpose"));
    assert_non_null(strstr(tg_error_message(), "status fails on purpose"));
    fake_fail(&e->f, 0, 0);
    fake_set(&e->f, "gmail", "bob", TG_STATUS_EXPIRED);
    fake_fail(&e->f, 0, TG_EPROVIDER);
    assert_int_equal(gate_env_check(e, "gmail_send", "bob"), TG_VERDICT_UNAVAILABLE);
    assert_non_null(strstr(tg_decision_reason(e->d), "link fails on purpose"));
    gate_env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_status_link_failure_from_provider),
        cmocka_unit_test(test_known_status_link_failure_from_cache),
        cmocka_unit_test(test_open_when_status_unknown),
        cmocka_unit_test(test_reason_names_the_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
