/* Status names and parsing (docs/design.md §4), verdict names, error texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "toolgate/toolgate.h"

static void expect_parse(const char *text, tg_status want)
{
    tg_status got = (tg_status)-1;
    int rc = tg_status_parse(text, &got);
    if (rc != TG_OK)
        fail_msg("tg_status_parse(\"%s\") = %d, want TG_OK", text, rc);
    if (got != want)
        fail_msg("tg_status_parse(\"%s\") gave %d, want %d", text, (int)got, (int)want);
}

static void expect_reject(const char *text)
{
    tg_status got = TG_STATUS_REVOKED;
    int rc = tg_status_parse(text, &got);
    if (rc != TG_EINVAL)
        fail_msg("tg_status_parse(\"%s\") = %d, want TG_EINVAL", text ? text : "(null)", rc);
    /* *out is untouched on failure */
    assert_int_equal(got, TG_STATUS_REVOKED);
}

static void test_parse_toolgate_names(void **state)
{
    (void)state;
    expect_parse("ACTIVE", TG_STATUS_ACTIVE);
    expect_parse("PENDING", TG_STATUS_PENDING);
    expect_parse("PENDING_VERIFICATION", TG_STATUS_PENDING_VERIFICATION);
    expect_parse("EXPIRED", TG_STATUS_EXPIRED);
    expect_parse("REVOKED", TG_STATUS_REVOKED);
    expect_parse("NOT_FOUND", TG_STATUS_NOT_FOUND);
    expect_parse("UNKNOWN", TG_STATUS_UNKNOWN);
}

static void test_parse_wire_names(void **state)
{
    (void)state;
    expect_parse("PENDING_AUTH", TG_STATUS_PENDING);
    expect_parse("DISCONNECTED", TG_STATUS_REVOKED);
    expect_parse("CONNECTION_STATUS_UNSPECIFIED", TG_STATUS_UNKNOWN);
}

static void test_parse_wire_numbers(void **state)
{
    (void)state;
    expect_parse("0", TG_STATUS_UNKNOWN);
    expect_parse("1", TG_STATUS_ACTIVE);
    expect_parse("2", TG_STATUS_EXPIRED);
    expect_parse("3", TG_STATUS_PENDING);
    expect_parse("4", TG_STATUS_PENDING_VERIFICATION);
    expect_parse("5", TG_STATUS_REVOKED);
}

static void test_parse_case_and_spaces(void **state)
{
    (void)state;
    expect_parse("active", TG_STATUS_ACTIVE);
    expect_parse("Active", TG_STATUS_ACTIVE);
    expect_parse("pending_auth", TG_STATUS_PENDING);
    expect_parse("Pending_Verification", TG_STATUS_PENDING_VERIFICATION);
    expect_parse("disconnected", TG_STATUS_REVOKED);
    expect_parse("not_found", TG_STATUS_NOT_FOUND);
    expect_parse("connection_status_unspecified", TG_STATUS_UNKNOWN);
    expect_parse("  ACTIVE  ", TG_STATUS_ACTIVE);
    expect_parse("\tExpired\n", TG_STATUS_EXPIRED);
    expect_parse(" 3 ", TG_STATUS_PENDING);
    expect_parse("\r\nrevoked\r\n", TG_STATUS_REVOKED);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    expect_reject(NULL);
    expect_reject("");
    expect_reject("   ");
    expect_reject("6");
    expect_reject("-1");
    expect_reject("01");
    expect_reject("10");
    expect_reject("ACTIVEX");
    expect_reject("ACTIV");
    expect_reject("ACT IVE");
    expect_reject("PENDING-AUTH");
    expect_reject("PENDINGAUTH");
    expect_reject("NOTFOUND");
    expect_reject("ALLOW");
    expect_reject("ACTIVE\x01");
    expect_reject("\xC3\xA4""ctive");
    /* a NUL-free text that only starts with a valid word */
    expect_reject("ACTIVE,");
}

static void test_parse_null_out(void **state)
{
    (void)state;
    assert_int_equal(tg_status_parse("ACTIVE", NULL), TG_EINVAL);
}

static void test_parse_reject_sets_message(void **state)
{
    tg_status s;
    (void)state;
    assert_int_equal(tg_status_parse("bogus_word", &s), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "bogus_word"));
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(tg_status_name(TG_STATUS_UNKNOWN), "UNKNOWN");
    assert_string_equal(tg_status_name(TG_STATUS_ACTIVE), "ACTIVE");
    assert_string_equal(tg_status_name(TG_STATUS_EXPIRED), "EXPIRED");
    assert_string_equal(tg_status_name(TG_STATUS_PENDING), "PENDING");
    assert_string_equal(tg_status_name(TG_STATUS_PENDING_VERIFICATION), "PENDING_VERIFICATION");
    assert_string_equal(tg_status_name(TG_STATUS_REVOKED), "REVOKED");
    assert_string_equal(tg_status_name(TG_STATUS_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(tg_status_name((tg_status)7), "UNKNOWN");
    assert_string_equal(tg_status_name((tg_status)-1), "UNKNOWN");
    assert_string_equal(tg_status_name((tg_status)1000), "UNKNOWN");
}

static void test_status_name_round_trip(void **state)
{
    int s;
    (void)state;
    for (s = TG_STATUS_UNKNOWN; s <= TG_STATUS_NOT_FOUND; s++) {
        tg_status back = (tg_status)-1;
        assert_int_equal(tg_status_parse(tg_status_name((tg_status)s), &back), TG_OK);
        assert_int_equal(back, s);
    }
}

static void test_wire_numbers_equal_enum(void **state)
{
    (void)state;
    /* tg_status values 0-5 are Scalekit's wire numbers */
    assert_int_equal(TG_STATUS_UNKNOWN, 0);
    assert_int_equal(TG_STATUS_ACTIVE, 1);
    assert_int_equal(TG_STATUS_EXPIRED, 2);
    assert_int_equal(TG_STATUS_PENDING, 3);
    assert_int_equal(TG_STATUS_PENDING_VERIFICATION, 4);
    assert_int_equal(TG_STATUS_REVOKED, 5);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(tg_verdict_name(TG_VERDICT_ALLOW), "ALLOW");
    assert_string_equal(tg_verdict_name(TG_VERDICT_NEEDS_AUTHORIZATION), "NEEDS_AUTHORIZATION");
    assert_string_equal(tg_verdict_name(TG_VERDICT_UNAVAILABLE), "UNAVAILABLE");
    assert_string_equal(tg_verdict_name(TG_VERDICT_DENY), "DENY");
    assert_string_equal(tg_verdict_name((tg_verdict)4), "UNKNOWN");
    assert_string_equal(tg_verdict_name((tg_verdict)-1), "UNKNOWN");
    assert_string_equal(tg_verdict_name((tg_verdict)99), "UNKNOWN");
}

static void test_strerror(void **state)
{
    static const int codes[] = { TG_OK,      TG_EINVAL, TG_ENOMEM,  TG_ECONFIG, TG_EPROVIDER,
                                 TG_ETIMEOUT, TG_EBUFS, TG_EIO,     TG_ENOTSUP, TG_EPLUGIN,
                                 TG_ESIGNATURE, TG_ETIMESTAMP, TG_ECANCELED,
                                 TG_EWOULDBLOCK };
    const char *unknown = tg_strerror(-1000);
    size_t i, j;
    (void)state;

    assert_non_null(unknown);
    assert_true(strlen(unknown) > 0);
    assert_string_equal(tg_strerror(1), unknown);
    assert_string_equal(tg_strerror(-14), unknown);
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = tg_strerror(codes[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        /* every known code has its own text, not the unknown one */
        assert_string_not_equal(s, unknown);
        for (j = 0; j < i; j++)
            assert_string_not_equal(s, tg_strerror(codes[j]));
    }
    assert_string_equal(tg_strerror(TG_OK), "success");
    assert_non_null(strstr(tg_strerror(TG_ENOMEM), "memory"));
    assert_non_null(strstr(tg_strerror(TG_ECONFIG), "configuration"));
}

static void test_error_codes_fixed(void **state)
{
    (void)state;
    /* append-only numbering: these values are ABI */
    assert_int_equal(TG_OK, 0);
    assert_int_equal(TG_EINVAL, -1);
    assert_int_equal(TG_ENOMEM, -2);
    assert_int_equal(TG_ECONFIG, -3);
    assert_int_equal(TG_EPROVIDER, -4);
    assert_int_equal(TG_ETIMEOUT, -5);
    assert_int_equal(TG_EBUFS, -6);
    assert_int_equal(TG_EIO, -7);
    assert_int_equal(TG_ENOTSUP, -8);
    assert_int_equal(TG_EPLUGIN, -9);
    assert_int_equal(TG_ESIGNATURE, -10);
    assert_int_equal(TG_ETIMESTAMP, -11);
    assert_int_equal(TG_ECANCELED, -12);
    assert_int_equal(TG_EWOULDBLOCK, -13);
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(tg_version(), TG_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_toolgate_names),
        cmocka_unit_test(test_parse_wire_names),
        cmocka_unit_test(test_parse_wire_numbers),
        cmocka_unit_test(test_parse_case_and_spaces),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_null_out),
        cmocka_unit_test(test_parse_reject_sets_message),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_name_round_trip),
        cmocka_unit_test(test_wire_numbers_equal_enum),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_error_codes_fixed),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
