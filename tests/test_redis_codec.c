/* The Redis tier's pure parts: the value and message codec, the key names,
 * the configuration and its URL — bytes in, structs out, no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin.h"
#include "redis_codec.h"
#include "redis_config.h"
#include "redis_keys.h"
#include "toolgate/toolgate.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */

static tg__shared_record record(int has, tg_status st, int64_t asof, int64_t ev,
                                const char *link)
{
    tg__shared_record r;
    memset(&r, 0, sizeof r);
    r.has_status = has;
    r.status = has ? st : TG_STATUS_UNKNOWN;
    r.asof_ms = asof;
    r.event_ms = ev;
    r.expires_ms = asof + 1000;
    r.link_expires_ms = link[0] ? asof + 5000 : 0;
    snprintf(r.link, sizeof r.link, "%s", link);
    return r;
}

static void assert_same_record(const tg__shared_record *a, const tg__shared_record *b)
{
    assert_int_equal(a->has_status, b->has_status);
    if (a->has_status)
        assert_int_equal(a->status, b->status);
    assert_int_equal(a->asof_ms, b->asof_ms);
    assert_int_equal(a->event_ms, b->event_ms);
    assert_int_equal(a->expires_ms, b->expires_ms);
    assert_int_equal(a->link_expires_ms, b->link_expires_ms);
    assert_string_equal(a->link, b->link);
}

static void value_round_trip(void **state)
{
    char buf[TG__RD_VALUE_MAX], why[128], id[TG_IDENTIFIER_MAX + 1], link[TG_LINK_MAX + 1];
    tg__rd_value v;
    tg__shared_record in[5];
    size_t n;
    int i;

    (void)state;
    /* The longest names and link fit. */
    memset(id, 'x', TG_IDENTIFIER_MAX);
    id[TG_IDENTIFIER_MAX] = '\0';
    memset(link, 'l', TG_LINK_MAX);
    link[TG_LINK_MAX] = '\0';
    in[0] = record(1, TG_STATUS_ACTIVE, 1764000000123LL, TG__NO_EVENT, "");
    in[1] = record(1, TG_STATUS_EXPIRED, 1764000000123LL, 1764000000000LL,
                   "https://connect.example.com/x?a=1&b=2");
    in[2] = record(0, TG_STATUS_UNKNOWN, 0, 1764000000999LL, "");
    in[3] = record(1, TG_STATUS_NOT_FOUND, -5, -TG__RD_TIME_LIMIT, link);
    in[4] = record(1, TG_STATUS_REVOKED, TG__RD_TIME_LIMIT - 5000, TG__RD_TIME_LIMIT, "");
    for (i = 0; i < 5; i++) {
        n = tg__rd_value_encode(&in[i], "gmail", i == 3 ? id : "user 1 ünï", buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(n, strlen(buf));
        assert_int_equal(tg__rd_value_decode(buf, n, &v, why, sizeof why), 0);
        assert_same_record(&in[i], &v.rec);
        assert_string_equal(v.connection, "gmail");
        assert_string_equal(v.identifier, i == 3 ? id : "user 1 ünï");
    }
    /* The encoding is as documented. */
    n = tg__rd_value_encode(&in[2], "c", "i", buf, sizeof buf);
    assert_string_equal(buf, "tg1 - 0 1764000000999 1000 0 1 1 0\nci");
    n = tg__rd_value_encode(&in[0], "gmail", "u", buf, sizeof buf);
    assert_string_equal(buf, "tg1 1 1764000000123 - 1764000001123 0 5 1 0\ngmailu");
}

static void value_encode_refuses(void **state)
{
    char buf[TG__RD_VALUE_MAX];
    tg__shared_record r = record(1, TG_STATUS_ACTIVE, 1, TG__NO_EVENT, "");

    (void)state;
    r.asof_ms = TG__RD_TIME_LIMIT + 1;
    assert_int_equal(tg__rd_value_encode(&r, "c", "i", buf, sizeof buf), 0);
    r.asof_ms = 1;
    r.event_ms = INT64_MAX;
    assert_int_equal(tg__rd_value_encode(&r, "c", "i", buf, sizeof buf), 0);
    r.event_ms = TG__NO_EVENT;
    r.status = (tg_status)7;
    assert_int_equal(tg__rd_value_encode(&r, "c", "i", buf, sizeof buf), 0);
    r.status = TG_STATUS_ACTIVE;
    snprintf(r.link, sizeof r.link, "https://x/\n");
    assert_int_equal(tg__rd_value_encode(&r, "c", "i", buf, sizeof buf), 0);
    r.link[0] = '\0';
    assert_int_equal(tg__rd_value_encode(&r, "c", "i", buf, 20), 0); /* buffer too small */
    assert_true(tg__rd_value_encode(&r, "c", "i", buf, sizeof buf) > 0);
}

static void value_decode_strict(void **state)
{
    static const struct {
        const char *text;
        const char *why;
    } bad[] = {
        { "", "start" },
        { "tg2 1 1 - 1 0 1 1 0\nci", "start" },
        { "TG1 1 1 - 1 0 1 1 0\nci", "start" },
        { "tg1 7 1 - 1 0 1 1 0\nci", "status" },
        { "tg1 11 1 - 1 0 1 1 0\nci", "status" },
        { "tg1 x 1 - 1 0 1 1 0\nci", "status" },
        { "tg1 1 01 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 -0 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 +1 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 1e3 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 9007199254740993 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 99999999999999999999999 - 1 0 1 1 0\nci", "as-of" },
        { "tg1 1 1  1 0 1 1 0\nci", "event" },
        { "tg1 1 1 -- 1 0 1 1 0\nci", "event" },
        { "tg1 1 1 0x1 1 0 1 1 0\nci", "event" },
        { "tg1 1 1 - - 0 1 1 0\nci", "expiry" },
        { "tg1 1 1 - 1 x 1 1 0\nci", "link expiry" },
        { "tg1 1 1 - 1 0 -1 1 0\nci", "lengths" },
        { "tg1 1 1 - 1 0 65 1 0\nci", "lengths" },
        { "tg1 1 1 - 1 0 1 513 0\nci", "lengths" },
        { "tg1 1 1 - 1 0 1 1 2049\nci", "lengths" },
        { "tg1 1 1 - 1 0 1 1 0 ci", "lengths" },
        { "tg1 1 1 - 1 0 1 1 0\ncix", "add up" },
        { "tg1 1 1 - 1 0 1 1 0\nc", "add up" },
        { "tg1 1 1 - 1 0 1 1 1\nci\x01", "control" },
        { "tg1 1 1 - 1 0 1 1 1\nci\x7f", "control" },
    };
    char why[128];
    tg__rd_value v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (tg__rd_value_decode(bad[i].text, strlen(bad[i].text), &v, why, sizeof why) == 0)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: \"%s\" does not say %s", bad[i].text, why, bad[i].why);
    }
    /* A NUL inside the strings. */
    {
        const char nul[] = "tg1 1 1 - 1 0 1 1 0\nc\0";
        assert_int_equal(tg__rd_value_decode(nul, sizeof nul - 1, &v, why, sizeof why), -1);
        assert_non_null(strstr(why, "NUL"));
    }
    /* Too long altogether. */
    {
        char *big = malloc(TG__RD_VALUE_MAX + 2);
        assert_non_null(big);
        memset(big, 'a', TG__RD_VALUE_MAX + 1);
        assert_int_equal(tg__rd_value_decode(big, TG__RD_VALUE_MAX + 1, &v, why, sizeof why), -1);
        assert_non_null(strstr(why, "bytes"));
        free(big);
    }
}

static void message_round_trip(void **state)
{
    char buf[TG__RD_MESSAGE_MAX], why[128], origin[TG__RD_ORIGIN_LEN + 1];
    tg__shared_change c, d;
    size_t n;

    (void)state;
    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_EVENT;
    strcpy(c.connection, "slack");
    strcpy(c.identifier, "user_9");
    c.record = record(1, TG_STATUS_REVOKED, 0, 1764000000500LL, "");
    n = tg__rd_message_encode("0123456789abcdef", &c, buf, sizeof buf);
    assert_true(n > 0);
    assert_memory_equal(buf, "tgm1 0123456789abcdef 1 tg1 5 ", 30);
    assert_int_equal(tg__rd_message_decode(buf, n, origin, &d, why, sizeof why), 0);
    assert_string_equal(origin, "0123456789abcdef");
    assert_int_equal(d.kind, TG__CHANGE_EVENT);
    assert_string_equal(d.connection, "slack");
    assert_string_equal(d.identifier, "user_9");
    assert_same_record(&c.record, &d.record);
    /* Every kind of invalidation decodes. */
    c.kind = TG__CHANGE_INVALIDATE;
    c.record = record(0, TG_STATUS_UNKNOWN, 0, 5, "");
    c.identifier[0] = '\0';
    n = tg__rd_message_encode("0123456789abcdef", &c, buf, sizeof buf);
    assert_int_equal(tg__rd_message_decode(buf, n, origin, &d, why, sizeof why), 0);
    assert_string_equal(d.connection, "slack");
    assert_string_equal(d.identifier, "");
    c.connection[0] = '\0';
    n = tg__rd_message_encode("0123456789abcdef", &c, buf, sizeof buf);
    assert_int_equal(tg__rd_message_decode(buf, n, origin, &d, why, sizeof why), 0);
    /* A bad origin is not encoded. */
    assert_int_equal(tg__rd_message_encode("0123", &c, buf, sizeof buf), 0);
}

static void message_decode_strict(void **state)
{
    static const struct {
        const char *text;
        const char *why;
    } bad[] = {
        { "hello", "start" },
        { "tgm2 0123456789abcdef 0 tg1 1 1 - 1 0 1 1 0\nci", "start" },
        { "tgm1 0123456789ABCDEF 0 tg1 1 1 - 1 0 1 1 0\nci", "origin" },
        { "tgm1 0123456789abcde 0 tg1 1 1 - 1 0 1 1 0\nci", "origin" },
        { "tgm1 0123456789abcdef 5 tg1 1 1 - 1 0 1 1 0\nci", "kind" },
        { "tgm1 0123456789abcdef 00 tg1 1 1 - 1 0 1 1 0\nci", "kind" },
        { "tgm1 0123456789abcdef 0 tg1 - 1 - 1 0 1 1 0\nci", "without a status" },
        { "tgm1 0123456789abcdef 1 tg1 1 0 - 1 0 1 1 0\nci", "without an event time" },
        { "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 0 1 0\ni", "account" },
        { "tgm1 0123456789abcdef 2 tg1 1 0 5 1 0 1 1 0\nci", "carrying a status" },
        { "tgm1 0123456789abcdef 2 tg1 - 0 - 1 0 1 1 0\nci", "without an event time" },
        { "tgm1 0123456789abcdef 3 tg1 - 0 5 1 0 1 1 0\nci", "wrong account" },
        { "tgm1 0123456789abcdef 4 tg1 1 0 5 1 0 1 1 0\nci", "carrying a status" },
        { "tgm1 0123456789abcdef 4 tg1 - 0 5 1 0 0 1 0\ni", "identifier but no connection" },
        { "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 1 1 0\ncix", "add up" },
    };
    char why[128], origin[TG__RD_ORIGIN_LEN + 1];
    tg__shared_change c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (tg__rd_message_decode(bad[i].text, strlen(bad[i].text), origin, &c, why,
                                  sizeof why) == 0)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: \"%s\" does not say %s", bad[i].text, why, bad[i].why);
    }
}

static int all_hex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

static void keys_hide_names(void **state)
{
    char a[TG__RD_KEY_MAX], b[TG__RD_KEY_MAX], l[TG__RD_KEY_MAX], i1[TG__RD_KEY_MAX],
        v[TG__RD_KEY_MAX];

    (void)state;
    assert_int_equal(tg__rd_key("tg:", TG__RD_KEY_ACCOUNT, "gmail", "alice@example.com", a), 0);
    assert_int_equal(strlen(a), 3 + 2 + TG__RD_HASH_HEX);
    assert_memory_equal(a, "tg:a:", 5);
    assert_true(all_hex(a + 5, TG__RD_HASH_HEX));
    assert_null(strstr(a, "alice"));
    assert_null(strstr(a, "gmail"));
    /* Fixed: the same in every process and build (SHA-256 of "a\0gmail\0alice..."). */
    assert_string_equal(a, "tg:a:744b19aa5ec16c04496366fa9a2e2061");
    /* The lock shares the account's digest; others differ. */
    assert_int_equal(tg__rd_key("tg:", TG__RD_KEY_LOCK, "gmail", "alice@example.com", l), 0);
    assert_string_equal(l + 5, a + 5);
    assert_memory_equal(l, "tg:l:", 5);
    /* Names joined unambiguously: ("gmail", "x") and ("gmai", "lx") differ. */
    assert_int_equal(tg__rd_key("tg:", TG__RD_KEY_ACCOUNT, "gmai", "lalice@example.com", b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(tg__rd_key("tg:", TG__RD_KEY_IDENTIFIER, NULL, "alice@example.com", i1), 0);
    assert_memory_equal(i1, "tg:i:", 5);
    assert_string_not_equal(i1 + 5, a + 5);
    assert_int_equal(tg__rd_key("tg:", TG__RD_KEY_CONNECTION, "gmail", NULL, v), 0);
    assert_memory_equal(v, "tg:v:", 5);
    tg__rd_key_all("tg:", v);
    assert_string_equal(v, "tg:v:all");
    tg__rd_key_channel("tg:", v);
    assert_string_equal(v, "tg:changes");
}

/* ---- configuration ------------------------------------------------------------ */

static int parse(const char *json, tg__rd_config *cfg)
{
    return tg__rd_config_parse(tg__host(), json, cfg);
}

static void config_defaults(void **state)
{
    tg__rd_config cfg;

    (void)state;
    assert_int_equal(parse(NULL, &cfg), TG_OK);
    assert_string_equal(cfg.host, "127.0.0.1");
    assert_int_equal(cfg.port, 6379);
    assert_int_equal(cfg.db, 0);
    assert_null(cfg.password);
    assert_null(cfg.unix_path);
    assert_string_equal(cfg.prefix, "toolgate:");
    assert_int_equal(cfg.timeout_ms, 50);
    assert_int_equal(cfg.degraded_ttl_ms, 5000);
    assert_string_equal(cfg.where, "127.0.0.1:6379");
    tg__rd_config_clear(&cfg);

    assert_int_equal(parse("{\"url\":\"redis://cache.internal:7000/3\",\"prefix\":\"fleet{a}:\","
                           "\"timeout_ms\":20,\"degraded_ttl_ms\":0}",
                           &cfg),
                     TG_OK);
    assert_string_equal(cfg.host, "cache.internal");
    assert_int_equal(cfg.port, 7000);
    assert_int_equal(cfg.db, 3);
    assert_string_equal(cfg.prefix, "fleet{a}:");
    assert_int_equal(cfg.timeout_ms, 20);
    assert_int_equal(cfg.degraded_ttl_ms, 0);
    tg__rd_config_clear(&cfg);

    assert_int_equal(parse("{\"url\":\"redis://[::1]:6380\"}", &cfg), TG_OK);
    assert_string_equal(cfg.host, "::1");
    assert_string_equal(cfg.where, "[::1]:6380");
    tg__rd_config_clear(&cfg);

    assert_int_equal(parse("{\"url\":\"redis://u%40x:p%3Ass@h/\"}", &cfg), TG_OK);
    assert_string_equal(cfg.username, "u@x");
    assert_string_equal(cfg.password, "p:ss");
    assert_string_equal(cfg.where, "h:6379");
    tg__rd_config_clear(&cfg);

    assert_int_equal(parse("{\"url\":\"unix:/run/redis/redis.sock\"}", &cfg), TG_OK);
    assert_string_equal(cfg.unix_path, "/run/redis/redis.sock");
    assert_null(cfg.host);
    assert_string_equal(cfg.where, "unix:/run/redis/redis.sock");
    tg__rd_config_clear(&cfg);
}

static void config_refuses(void **state)
{
    static const struct {
        const char *json;
        const char *says;
    } bad[] = {
        { "[]", "object" },
        { "{\"url\":\"redis://h\",\"url\":\"redis://h\"}", "url" },
        { "{\"bogus\":1}", "\"shared.bogus\"" },
        { "{\"type\":\"redis\"}", "\"shared.type\"" },
        { "{\"timeout_ms\":\"50\"}", "\"shared.timeout_ms\" must be an integer" },
        { "{\"timeout_ms\":50.5}", "\"shared.timeout_ms\" must be an integer" },
        { "{\"timeout_ms\":0}", "\"shared.timeout_ms\" must be from 1" },
        { "{\"timeout_ms\":60001}", "\"shared.timeout_ms\" must be from 1" },
        { "{\"degraded_ttl_ms\":-1}", "\"shared.degraded_ttl_ms\"" },
        { "{\"degraded_ttl_ms\":true}", "\"shared.degraded_ttl_ms\" must be an integer" },
        { "{\"prefix\":5}", "\"shared.prefix\" must be a string" },
        { "{\"prefix\":\"\"}", "\"shared.prefix\" must not be empty" },
        { "{\"prefix\":\"a b\"}", "\"shared.prefix\" must be printable" },
        { "{\"url\":7}", "\"shared.url\" must be a string" },
        { "{\"url\":\"http://h\"}", "\"shared.url\" must start with" },
        { "{\"url\":\"rediss://h\"}", "TLS" },
        { "{\"url\":\"redis://\"}", "no host" },
        { "{\"url\":\"redis://h:0\"}", "port" },
        { "{\"url\":\"redis://h:65536\"}", "port" },
        { "{\"url\":\"redis://h:x\"}", "port" },
        { "{\"url\":\"redis://h/x\"}", "database" },
        { "{\"url\":\"redis://h/100000\"}", "database" },
        { "{\"url\":\"redis://h?db=1\"}", "query" },
        { "{\"url\":\"redis://h o\"}", "host name" },
        { "{\"url\":\"redis://[::1\"}", "IPv6" },
        { "{\"url\":\"unix:relative\"}", "absolute" },
        { "{\"password_env\":\"1X\"}", "environment variable" },
        { "{\"password_env\":3}", "\"shared.password_env\" must be a string" },
        { "{\"password_env\":\"TG_TEST_SURELY_UNSET_VAR\"}", "TG_TEST_SURELY_UNSET_VAR" },
    };
    tg__rd_config cfg;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i].json, &cfg);
        if (rc != TG_ECONFIG)
            fail_msg("%s: rc %d", bad[i].json, rc);
        if (!strstr(tg_error_message(), bad[i].says))
            fail_msg("%s: \"%s\" does not say %s", bad[i].json, tg_error_message(),
                     bad[i].says);
        /* Cleared on failure. */
        assert_null(cfg.host);
        assert_null(cfg.prefix);
    }
}

/* A password never reaches a message, whatever is wrong around it. */
static void config_password_never_printed(void **state)
{
    static const char *const bad[] = {
        "{\"url\":\"redis://:Sekr1t-pw@h:99999\"}",
        "{\"url\":\"redis://:Sekr1t-pw@\"}",
        "{\"url\":\"redis://:Sekr1t-pw%zz@h\"}",
        "{\"url\":\"redis://Sekr1t-pw@h\"}",
        "{\"url\":\"redis://:Sekr1t-pw@h/x\"}",
        "{\"url\":\"redis://:Sekr1t-pw@h?x\"}",
        "{\"url\":\"redis://:Sekr1t-pw@h\",\"password_env\":\"TG_TEST_PW\"}",
        "{\"url\":\"redis://:Sekr1t-pw@h\",\"bogus\":1}",
        "{\"url\":\"redis://:Sekr1t-pw@h\",\"timeout_ms\":-1}",
    };
    tg__rd_config cfg;
    size_t i;

    (void)state;
    setenv("TG_TEST_PW", "Sekr1t-pw", 1);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], &cfg);
        if (rc != TG_ECONFIG)
            fail_msg("%s: rc %d", bad[i], rc);
        if (strstr(tg_error_message(), "Sekr1t"))
            fail_msg("%s: the password is in \"%s\"", bad[i], tg_error_message());
    }
    /* From the environment. */
    assert_int_equal(parse("{\"url\":\"redis://h\",\"password_env\":\"TG_TEST_PW\"}", &cfg), TG_OK);
    assert_string_equal(cfg.password, "Sekr1t-pw");
    assert_null(cfg.username);
    tg__rd_config_clear(&cfg);
    assert_null(cfg.password);
    setenv("TG_TEST_PW", "", 1);
    assert_int_equal(parse("{\"password_env\":\"TG_TEST_PW\"}", &cfg), TG_ECONFIG);
    unsetenv("TG_TEST_PW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(value_round_trip),
        cmocka_unit_test(value_encode_refuses),
        cmocka_unit_test(value_decode_strict),
        cmocka_unit_test(message_round_trip),
        cmocka_unit_test(message_decode_strict),
        cmocka_unit_test(keys_hide_names),
        cmocka_unit_test(config_defaults),
        cmocka_unit_test(config_refuses),
        cmocka_unit_test(config_password_never_printed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
