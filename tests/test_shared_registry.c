/* The registry of built-in shared tiers: "redis" exactly when the library
 * was built with hiredis, and what a build without it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shared.h"

/* src/shared_registry.c compiled again without TG_SHARED_REDIS. */
const tg__shared_tier *tg_test_shared_tier_find_plain(const char *type, const char **known);

static void this_build(void **state)
{
    const char *known = NULL;
    const tg__shared_tier *t = tg__shared_tier_find("redis", &known);

    (void)state;
#ifdef TG_TEST_WITH_REDIS
    assert_non_null(t);
    assert_string_equal(t->name, "redis");
    assert_int_equal(t->abi_version, TG__SHARED_ABI_VERSION);
    assert_true(t->struct_size >= sizeof(tg__shared_tier));
    assert_non_null(t->create);
    assert_non_null(t->subscribed);
    assert_string_equal(known, "redis");
#else
    assert_null(t);
    assert_string_equal(known, "none");
#endif
    assert_null(tg__shared_tier_find("memcached", &known));
    assert_null(tg__shared_tier_find("", NULL));
    assert_null(tg__shared_tier_find(NULL, &known));
}

static void without_hiredis(void **state)
{
    const char *known = NULL;

    (void)state;
    assert_null(tg_test_shared_tier_find_plain("redis", &known));
    assert_string_equal(known, "none");
    assert_null(tg_test_shared_tier_find_plain(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(this_build),
        cmocka_unit_test(without_hiredis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
