/* Configuration parsing (docs/design.md §7): canned bytes in, tg__config out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "config.h"

static int parse(const char *json, tg__config *c)
{
    return tg__config_parse(json, strlen(json), c);
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* The parse fails with TG_ECONFIG, the message starts with "config: " and
 * contains @p needle, and the output is zeroed. */
static void expect_error_len(const char *json, size_t len, const char *needle)
{
    tg__config c;
    const char *m;
    int rc;

    memset(&c, 0xAB, sizeof c);
    rc = tg__config_parse(json, len, &c);
    m = tg_error_message();
    if (rc != TG_ECONFIG)
        fail_msg("parse of %.200s gave %d, want TG_ECONFIG", json, rc);
    if (strncmp(m, "config: ", 8) != 0)
        fail_msg("message \"%s\" does not start with \"config: \"", m);
    if (!strstr(m, needle))
        fail_msg("message \"%s\" does not contain %s", m, needle);
    assert_true(all_zero(&c, sizeof c));
}

static void expect_error(const char *json, const char *needle)
{
    expect_error_len(json, strlen(json), needle);
}

static void expect_ok(const char *json, tg__config *c)
{
    int rc = parse(json, c);
    if (rc != TG_OK)
        fail_msg("parse of %.200s gave %d: %s", json, rc, tg_error_message());
}

/* ---- defaults and every key ------------------------------------------------ */

static void check_defaults(const tg__config *c)
{
    assert_string_equal(c->provider_type, "file");
    assert_string_equal(c->provider_json, "{\"path\":\"accounts.json\"}");
    assert_null(c->map);
    assert_int_equal(c->n_map, 0);
    assert_null(c->prefixes);
    assert_int_equal(c->n_prefixes, 0);
    assert_int_equal(c->unmapped_deny, 0);
    assert_int_equal(c->active_ttl_ms, 60000);
    assert_int_equal(c->inactive_ttl_ms, 5000);
    assert_int_equal(c->max_entries, 100000);
    assert_int_equal(c->on_provider_error, TG__POLICY_CLOSED);
    assert_int_equal(c->stale_grace_ms, 300000);
}

static void test_defaults(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{}", &c);
    check_defaults(&c);
    tg__config_free(&c);
    assert_true(all_zero(&c, sizeof c));

    expect_ok(" \n\t{ }\r\n ", &c);
    check_defaults(&c);
    tg__config_free(&c);

    /* empty sections keep the defaults too */
    expect_ok("{\"tools\":{},\"cache\":{}}", &c);
    check_defaults(&c);
    tg__config_free(&c);

    expect_ok("{\"tools\":{\"map\":{},\"prefixes\":{}}}", &c);
    check_defaults(&c);
    tg__config_free(&c);
}

static void test_every_key(void **state)
{
    static const char json[] =
        "{\n"
        "  \"provider\": {\"type\": \"scalekit\", \"environment_url\": \"https://acme.scalekit.dev\",\n"
        "               \"client_id\": \"id\", \"timeout_ms\": 5000, \"create_missing\": false},\n"
        "  \"tools\": {\"map\": {\"gmail_send_email\": \"gmail\", \"drive.list\": \"Google Drive\"},\n"
        "            \"prefixes\": {\"gmail_\": \"gmail\", \"slack_\": \"slack\", \"g\": \"g-1:x\"},\n"
        "            \"unmapped\": \"deny\"},\n"
        "  \"cache\": {\"active_ttl_ms\": 1234, \"inactive_ttl_ms\": 0, \"max_entries\": 7},\n"
        "  \"on_provider_error\": \"stale\",\n"
        "  \"stale_grace_ms\": 42\n"
        "}\n";
    tg__config c;
    json_object *p, *v;
    (void)state;

    expect_ok(json, &c);
    assert_string_equal(c.provider_type, "scalekit");
    p = json_tokener_parse(c.provider_json);
    assert_non_null(p);
    assert_false(json_object_object_get_ex(p, "type", NULL));
    assert_int_equal(json_object_object_length(p), 4);
    assert_true(json_object_object_get_ex(p, "environment_url", &v));
    assert_string_equal(json_object_get_string(v), "https://acme.scalekit.dev");
    assert_true(json_object_object_get_ex(p, "client_id", &v));
    assert_string_equal(json_object_get_string(v), "id");
    assert_true(json_object_object_get_ex(p, "timeout_ms", &v));
    assert_int_equal(json_object_get_int64(v), 5000);
    assert_true(json_object_object_get_ex(p, "create_missing", &v));
    assert_true(json_object_is_type(v, json_type_boolean));
    assert_false(json_object_get_boolean(v));
    json_object_put(p);

    assert_int_equal(c.n_map, 2);
    assert_string_equal(c.map[0].match, "gmail_send_email");
    assert_string_equal(c.map[0].connection, "gmail");
    assert_string_equal(c.map[1].match, "drive.list");
    assert_string_equal(c.map[1].connection, "Google Drive");
    /* document order */
    assert_int_equal(c.n_prefixes, 3);
    assert_string_equal(c.prefixes[0].match, "gmail_");
    assert_string_equal(c.prefixes[0].connection, "gmail");
    assert_string_equal(c.prefixes[1].match, "slack_");
    assert_string_equal(c.prefixes[1].connection, "slack");
    assert_string_equal(c.prefixes[2].match, "g");
    assert_string_equal(c.prefixes[2].connection, "g-1:x");
    assert_int_equal(c.unmapped_deny, 1);
    assert_int_equal(c.active_ttl_ms, 1234);
    assert_int_equal(c.inactive_ttl_ms, 0);
    assert_int_equal(c.max_entries, 7);
    assert_int_equal(c.on_provider_error, TG__POLICY_STALE);
    assert_int_equal(c.stale_grace_ms, 42);
    tg__config_free(&c);
}

static void test_enum_values(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{\"tools\":{\"unmapped\":\"allow\"},\"on_provider_error\":\"open\"}", &c);
    assert_int_equal(c.unmapped_deny, 0);
    assert_int_equal(c.on_provider_error, TG__POLICY_OPEN);
    tg__config_free(&c);
    expect_ok("{\"on_provider_error\":\"closed\"}", &c);
    assert_int_equal(c.on_provider_error, TG__POLICY_CLOSED);
    tg__config_free(&c);
    expect_ok("{\"on_provider_error\":\"stale\"}", &c);
    assert_int_equal(c.on_provider_error, TG__POLICY_STALE);
    tg__config_free(&c);
}

static void test_number_bounds(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{\"cache\":{\"active_ttl_ms\":0,\"inactive_ttl_ms\":1000000000000000,"
              "\"max_entries\":1},\"stale_grace_ms\":0}",
              &c);
    assert_int_equal(c.active_ttl_ms, 0);
    assert_int_equal(c.inactive_ttl_ms, 1000000000000000LL);
    assert_int_equal(c.max_entries, 1);
    assert_int_equal(c.stale_grace_ms, 0);
    tg__config_free(&c);

    expect_ok("{\"cache\":{\"max_entries\":1000000000}}", &c);
    assert_int_equal(c.max_entries, 1000000000ULL);
    tg__config_free(&c);

    /* "-0" is the integer zero */
    expect_ok("{\"stale_grace_ms\":-0}", &c);
    assert_int_equal(c.stale_grace_ms, 0);
    tg__config_free(&c);

    expect_error("{\"cache\":{\"active_ttl_ms\":1000000000000001}}", "\"cache.active_ttl_ms\"");
    expect_error("{\"stale_grace_ms\":9223372036854775807}", "\"stale_grace_ms\"");
    expect_error("{\"stale_grace_ms\":18446744073709551615}", "\"stale_grace_ms\"");
    expect_error("{\"stale_grace_ms\":99999999999999999999999}", "\"stale_grace_ms\"");
    expect_error("{\"cache\":{\"max_entries\":1000000001}}", "\"cache.max_entries\"");
    expect_error("{\"cache\":{\"max_entries\":18446744073709551615}}", "\"cache.max_entries\"");
    expect_error("{\"cache\":{\"max_entries\":-9223372036854775809}}", "\"cache.max_entries\"");
}

/* ---- provider --------------------------------------------------------------- */

static void test_provider_default_when_absent(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{\"cache\":{\"max_entries\":5}}", &c);
    assert_string_equal(c.provider_type, "file");
    assert_string_equal(c.provider_json, "{\"path\":\"accounts.json\"}");
    tg__config_free(&c);
}

static void test_provider_json_without_type(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{\"provider\":{\"type\":\"file\",\"path\":\"a.json\"}}", &c);
    assert_string_equal(c.provider_type, "file");
    assert_string_equal(c.provider_json, "{\"path\":\"a.json\"}");
    tg__config_free(&c);

    /* "type" anywhere in the object */
    expect_ok("{\"provider\":{\"path\":\"b.json\",\"type\":\"./x/provider.so\",\"n\":1}}", &c);
    assert_string_equal(c.provider_type, "./x/provider.so");
    assert_string_equal(c.provider_json, "{\"path\":\"b.json\",\"n\":1}");
    tg__config_free(&c);

    /* only "type": the provider gets "{}" */
    expect_ok("{\"provider\":{\"type\":\"scalekit\"}}", &c);
    assert_string_equal(c.provider_type, "scalekit");
    assert_string_equal(c.provider_json, "{}");
    tg__config_free(&c);

    /* an empty object: the default type, and "{}" (not the default path) */
    expect_ok("{\"provider\":{}}", &c);
    assert_string_equal(c.provider_type, "file");
    assert_string_equal(c.provider_json, "{}");
    tg__config_free(&c);

    /* no type: "file" */
    expect_ok("{\"provider\":{\"path\":\"c.json\"}}", &c);
    assert_string_equal(c.provider_type, "file");
    assert_string_equal(c.provider_json, "{\"path\":\"c.json\"}");
    tg__config_free(&c);
}

/* Provider keys belong to the provider: not validated here, passed through. */
static void test_provider_keys_passed_through(void **state)
{
    tg__config c;
    json_object *p, *v;
    (void)state;
    expect_ok("{\"provider\":{\"type\":\"x\",\"anything\":[1,{\"b\":null}],\"s\":\"a\\\"b\\\\c/d\","
              "\"u\":\"\\u00e9\\ud83d\\ude00\",\"f\":1.5}}",
              &c);
    assert_string_equal(c.provider_type, "x");
    p = json_tokener_parse(c.provider_json);
    assert_non_null(p);
    assert_false(json_object_object_get_ex(p, "type", NULL));
    assert_true(json_object_object_get_ex(p, "s", &v));
    assert_string_equal(json_object_get_string(v), "a\"b\\c/d");
    assert_true(json_object_object_get_ex(p, "u", &v));
    assert_string_equal(json_object_get_string(v), "\xC3\xA9\xF0\x9F\x98\x80");
    assert_true(json_object_object_get_ex(p, "f", &v));
    assert_true(json_object_is_type(v, json_type_double));
    assert_true(json_object_object_get_ex(p, "anything", &v));
    assert_true(json_object_is_type(v, json_type_array));
    assert_int_equal(json_object_array_length(v), 2);
    json_object_put(p);
    /* the text is one line */
    assert_null(strchr(c.provider_json, '\n'));
    tg__config_free(&c);
}

static void test_provider_errors(void **state)
{
    (void)state;
    expect_error("{\"provider\":\"file\"}", "\"provider\"");
    expect_error("{\"provider\":[]}", "\"provider\"");
    expect_error("{\"provider\":null}", "\"provider\"");
    expect_error("{\"provider\":1}", "\"provider\"");
    expect_error("{\"provider\":{\"type\":1}}", "\"provider.type\"");
    expect_error("{\"provider\":{\"type\":\"\"}}", "\"provider.type\"");
    expect_error("{\"provider\":{\"type\":null}}", "\"provider.type\"");
    expect_error("{\"provider\":{\"type\":[\"file\"]}}", "\"provider.type\"");
    expect_error("{\"provider\":{\"type\":true}}", "\"provider.type\"");
}

/* ---- unknown keys ------------------------------------------------------------ */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("{\"foo\":1}", "unknown key \"foo\"");
    expect_error("{\"cache\":{\"foo\":1}}", "unknown key \"cache.foo\"");
    expect_error("{\"tools\":{\"foo\":{}}}", "unknown key \"tools.foo\"");
    expect_error("{\"tools\":{\"maps\":{}}}", "unknown key \"tools.maps\"");
    expect_error("{\"cache\":{\"active_ttl\":1}}", "unknown key \"cache.active_ttl\"");
    expect_error("{\"Provider\":{}}", "unknown key \"Provider\"");
    expect_error("{\"stale_grace\":1}", "unknown key \"stale_grace\"");
    expect_error("{\"\":1}", "unknown key \"\"");
    /* after valid keys too */
    expect_error("{\"cache\":{\"max_entries\":3},\"tools\":{\"map\":{\"a\":\"b\"}},\"x\":0}",
                 "unknown key \"x\"");
    /* keys are shown escaped */
    expect_error("{\"a\\nb\":1}", "unknown key \"a\\x0Ab\"");
    expect_error("{\"q\\\"q\":1}", "unknown key \"q\\x22q\"");
}

static void test_unknown_key_long_is_cut(void **state)
{
    char json[2048];
    char key[1001];
    (void)state;
    memset(key, 'k', 1000);
    key[1000] = '\0';
    snprintf(json, sizeof json, "{\"cache\":{\"%s\":1}}", key);
    expect_error(json, "unknown key \"cache.kkkk");
    assert_non_null(strstr(tg_error_message(), "..."));
    assert_true(strlen(tg_error_message()) < 300);
}

/* ---- wrong types ------------------------------------------------------------- */

static void test_wrong_types_sections(void **state)
{
    (void)state;
    expect_error("{\"tools\":[]}", "\"tools\"");
    expect_error("{\"tools\":null}", "\"tools\"");
    expect_error("{\"tools\":\"x\"}", "\"tools\"");
    expect_error("{\"cache\":[]}", "\"cache\"");
    expect_error("{\"cache\":1}", "\"cache\"");
    expect_error("{\"tools\":{\"map\":[]}}", "\"tools.map\"");
    expect_error("{\"tools\":{\"map\":\"gmail\"}}", "\"tools.map\"");
    expect_error("{\"tools\":{\"prefixes\":[\"gmail_\"]}}", "\"tools.prefixes\"");
    expect_error("{\"tools\":{\"prefixes\":null}}", "\"tools.prefixes\"");
}

static void expect_ms_error(const char *key_json_prefix, const char *suffix, const char *path)
{
    static const char *const bad[] = { "-1", "1.5", "1.0", "1e3", "\"100\"", "true",
                                       "false", "null", "[]", "{}", "-9223372036854775808" };
    char json[256], needle[128];
    size_t i;

    snprintf(needle, sizeof needle, "\"%s\" must be a non-negative integer", path);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(json, sizeof json, "%s%s%s", key_json_prefix, bad[i], suffix);
        expect_error(json, needle);
    }
}

static void test_wrong_types_ms(void **state)
{
    (void)state;
    expect_ms_error("{\"cache\":{\"active_ttl_ms\":", "}}", "cache.active_ttl_ms");
    expect_ms_error("{\"cache\":{\"inactive_ttl_ms\":", "}}", "cache.inactive_ttl_ms");
    expect_ms_error("{\"stale_grace_ms\":", "}", "stale_grace_ms");
}

static void test_wrong_types_max_entries(void **state)
{
    static const char *const bad[] = { "0", "-1", "1.0", "2.5", "\"5\"", "true", "null", "[]" };
    char json[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(json, sizeof json, "{\"cache\":{\"max_entries\":%s}}", bad[i]);
        expect_error(json, "\"cache.max_entries\"");
    }
}

static void test_wrong_enums(void **state)
{
    (void)state;
    expect_error("{\"tools\":{\"unmapped\":\"maybe\"}}", "\"tools.unmapped\"");
    expect_error("{\"tools\":{\"unmapped\":\"ALLOW\"}}", "\"tools.unmapped\"");
    expect_error("{\"tools\":{\"unmapped\":\"\"}}", "\"tools.unmapped\"");
    expect_error("{\"tools\":{\"unmapped\":true}}", "\"tools.unmapped\"");
    expect_error("{\"tools\":{\"unmapped\":null}}", "\"tools.unmapped\"");
    expect_error("{\"tools\":{\"unmapped\":1}}", "\"tools.unmapped\"");
    expect_error("{\"on_provider_error\":\"Closed\"}", "\"on_provider_error\"");
    expect_error("{\"on_provider_error\":\"fail\"}", "\"on_provider_error\"");
    expect_error("{\"on_provider_error\":\"open \"}", "\"on_provider_error\"");
    expect_error("{\"on_provider_error\":0}", "\"on_provider_error\"");
    expect_error("{\"on_provider_error\":[\"open\"]}", "\"on_provider_error\"");
    expect_error("{\"on_provider_error\":null}", "\"on_provider_error\"");
}

static void test_rule_errors(void **state)
{
    char json[1024], name[200];
    (void)state;
    /* values must be connection names */
    expect_error("{\"tools\":{\"map\":{\"gmail_send\":1}}}", "\"tools.map.gmail_send\"");
    expect_error("{\"tools\":{\"map\":{\"gmail_send\":null}}}", "\"tools.map.gmail_send\"");
    expect_error("{\"tools\":{\"map\":{\"gmail_send\":\"\"}}}", "\"tools.map.gmail_send\"");
    expect_error("{\"tools\":{\"map\":{\"gmail_send\":\"gm.ail\"}}}", "\"tools.map.gmail_send\"");
    expect_error("{\"tools\":{\"map\":{\"gmail_send\":[\"gmail\"]}}}",
                 "\"tools.map.gmail_send\"");
    expect_error("{\"tools\":{\"prefixes\":{\"gmail_\":\"a/b\"}}}", "\"tools.prefixes.gmail_\"");
    expect_error("{\"tools\":{\"prefixes\":{\"gmail_\":{}}}}", "\"tools.prefixes.gmail_\"");

    memset(name, 'c', 65);
    name[65] = '\0';
    snprintf(json, sizeof json, "{\"tools\":{\"map\":{\"t\":\"%s\"}}}", name);
    expect_error(json, "\"tools.map.t\"");
    name[64] = '\0';
    snprintf(json, sizeof json, "{\"tools\":{\"map\":{\"t\":\"%s\"}}}", name);
    {
        tg__config c;
        expect_ok(json, &c);
        assert_string_equal(c.map[0].connection, name);
        tg__config_free(&c);
    }

    /* keys must be tool names / prefixes */
    expect_error("{\"tools\":{\"map\":{\"bad tool\":\"gmail\"}}}", "\"bad tool\"");
    expect_error("{\"tools\":{\"map\":{\"bad tool\":\"gmail\"}}}", "\"tools.map\"");
    expect_error("{\"tools\":{\"map\":{\"\":\"gmail\"}}}", "\"tools.map\"");
    expect_error("{\"tools\":{\"map\":{\"a,b\":\"gmail\"}}}", "\"a,b\"");
    expect_error("{\"tools\":{\"prefixes\":{\"\":\"gmail\"}}}", "\"tools.prefixes\"");
    expect_error("{\"tools\":{\"prefixes\":{\"gmail \":\"gmail\"}}}", "\"gmail \"");
    expect_error("{\"tools\":{\"prefixes\":{\"caf\\u00e9\":\"gmail\"}}}", "\"tools.prefixes\"");

    memset(name, 'p', 129);
    name[129] = '\0';
    snprintf(json, sizeof json, "{\"tools\":{\"prefixes\":{\"%s\":\"x\"}}}", name);
    expect_error(json, "\"tools.prefixes\"");
    snprintf(json, sizeof json, "{\"tools\":{\"map\":{\"%s\":\"x\"}}}", name);
    expect_error(json, "\"tools.map\"");
    name[128] = '\0';
    snprintf(json, sizeof json,
             "{\"tools\":{\"map\":{\"%s\":\"x\"},\"prefixes\":{\"%s\":\"y\"}}}", name, name);
    {
        tg__config c;
        expect_ok(json, &c);
        assert_int_equal(c.n_map, 1);
        assert_int_equal(strlen(c.map[0].match), 128);
        assert_int_equal(c.n_prefixes, 1);
        assert_int_equal(strlen(c.prefixes[0].match), 128);
        tg__config_free(&c);
    }
}

/* An error after rules were copied frees them (ASan checks the leak). */
static void test_error_after_rules(void **state)
{
    (void)state;
    expect_error("{\"tools\":{\"map\":{\"a\":\"x\",\"b\":\"y\"},\"prefixes\":{\"c\":\"z\"}},"
                 "\"provider\":{\"type\":\"file\"},\"cache\":{\"max_entries\":0}}",
                 "\"cache.max_entries\"");
    expect_error("{\"tools\":{\"map\":{\"a\":\"x\",\"b\":\"y\",\"c\":7}}}", "\"tools.map.c\"");
    expect_error("{\"provider\":{\"type\":\"file\",\"path\":\"p\"},\"bogus\":1}",
                 "unknown key \"bogus\"");
}

/* A key given twice is an error naming it: json-c would keep the last one,
 * and {"on_provider_error":"closed","on_provider_error":"open"} would run
 * fail-open. */
static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    expect_error("{\"on_provider_error\":\"closed\",\"on_provider_error\":\"open\"}",
                 "key \"on_provider_error\" is given twice (line 1, column 31)");
    expect_error("{\"tools\":{\"map\":{\"t\":\"first\",\"t\":\"second\"}}}",
                 "key \"tools.map.t\" is given twice");
    expect_error("{\"cache\":{\"max_entries\":1},\n\"cache\":{\"max_entries\":2}}",
                 "key \"cache\" is given twice (line 2, column 1)");
    /* The same key once escaped is the same key. */
    expect_error("{\"stale_grace_ms\":1,\"stale_grace_\\u006Ds\":2}", "given twice");
    expect_error("{\"provider\":{\"type\":\"file\",\"path\":\"a\",\"path\":\"b\"}}",
                 "key \"provider.path\" is given twice");
}

/* The same name in different objects, or in strings, is no repeat. */
static void test_same_key_in_other_objects(void **state)
{
    tg__config c;
    (void)state;
    expect_ok("{\"tools\":{\"map\":{\"gmail_x\":\"gmail\"},\"prefixes\":{\"gmail_x\":"
              "\"gmail\"}},\"cache\":{\"active_ttl_ms\":1}}",
              &c);
    tg__config_free(&c);
    expect_ok("{\"tools\":{\"map\":{\"a\":\"b\",\"b\":\"a\"}}}", &c);
    tg__config_free(&c);
}

/* ---- bad JSON ---------------------------------------------------------------- */

static void test_bad_json(void **state)
{
    (void)state;
    expect_error("", "JSON");
    expect_error("   \n ", "JSON");
    expect_error("{", "JSON");
    expect_error("{\"cache\":", "JSON");
    expect_error("{\"cache\":}", "JSON");
    expect_error("{\"a\" 1}", "JSON");
    expect_error("{\"cache\":{},}", "JSON");
    expect_error("{/* comment */}", "JSON");
    expect_error("{\"stale_grace_ms\":01}", "JSON");
    expect_error("{\"stale_grace_ms\":nan}", "JSON");
    expect_error("{\"provider\":{\"path\":\"\xff\"}}", "JSON");         /* invalid UTF-8 */
    expect_error("{\"provider\":{\"path\":\"\xC0\xAF\"}}", "JSON");     /* overlong */
    expect_error("\xEF\xBB\xBF{}", "JSON");                             /* byte-order mark */
}

static void test_bad_json_position(void **state)
{
    (void)state;
    expect_error("{\n  \"cache\": {\n    \"max_entries\": 1,\n  }\n}", "line 4");
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    expect_error("{} x", "JSON");
    expect_error("{}{}", "JSON");
    expect_error("{}}", "JSON");
    expect_error("{} // comment", "JSON");
    expect_error("{},", "JSON");
    expect_error_len("{}\0", 3, "JSON");
    expect_error_len("{} \0 ", 4, "JSON");
}

static void test_not_null_terminated(void **state)
{
    static const char buf[] = "{\"stale_grace_ms\":7}garbage";
    tg__config c;
    (void)state;
    assert_int_equal(tg__config_parse(buf, 20, &c), TG_OK);
    assert_int_equal(c.stale_grace_ms, 7);
    tg__config_free(&c);
    /* cut in the middle: incomplete */
    expect_error_len(buf, 10, "JSON");
}

static void test_top_level_not_object(void **state)
{
    (void)state;
    expect_error("[]", "object");
    expect_error("[{}]", "object");
    expect_error("\"{}\"", "object");
    expect_error("null", "object");
    expect_error("true", "object");
    expect_error("1 ", "object");
    expect_error(" 12.5 ", "object");
}

static char *nested(const char *head, size_t depth, const char *tail)
{
    size_t n = strlen(head) + 2 * depth + strlen(tail) + 1, i;
    char *s = malloc(n), *p = s;
    assert_non_null(s);
    p += sprintf(p, "%s", head);
    for (i = 0; i < depth; i++)
        *p++ = '[';
    for (i = 0; i < depth; i++)
        *p++ = ']';
    sprintf(p, "%s", tail);
    return s;
}

static void test_deep_nesting(void **state)
{
    tg__config c;
    char *s;
    (void)state;

    /* 2 object levels + 20 arrays: fine, and kept in provider_json */
    s = nested("{\"provider\":{\"deep\":", 20, "}}");
    expect_ok(s, &c);
    assert_non_null(strstr(c.provider_json, "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"));
    tg__config_free(&c);
    free(s);

    s = nested("{\"provider\":{\"deep\":", 40, "}}");
    expect_error(s, "nested");
    free(s);

    s = nested("", 100000, "");
    expect_error(s, "nested");
    free(s);
}

static void test_nul_escape_refused(void **state)
{
    tg__config c;
    (void)state;
    expect_error("{\"tools\":{\"map\":{\"ok\\u0000bad tool\":\"gmail\"}}}", "\\u0000");
    expect_error("{\"provider\":{\"path\":\"a\\u0000b\"}}", "\\u0000");
    /* an escaped backslash followed by "u0000" is text, not an escape */
    expect_ok("{\"provider\":{\"path\":\"a\\\\u0000b\"}}", &c);
    assert_non_null(strstr(c.provider_json, "u0000"));
    tg__config_free(&c);
    /* the odd-backslash rule: \\\u0000 is an escaped backslash and a NUL */
    expect_error("{\"provider\":{\"path\":\"a\\\\\\u0000b\"}}", "\\u0000");
}

static void test_too_large(void **state)
{
    size_t len = 64u * 1024u * 1024u + 1;
    char *big = malloc(len);
    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    expect_error_len(big, len, "larger");
    free(big);
}

static void test_null_arguments(void **state)
{
    tg__config c;
    (void)state;
    memset(&c, 0x5A, sizeof c);
    assert_int_equal(tg__config_parse(NULL, 2, &c), TG_EINVAL);
    assert_true(all_zero(&c, sizeof c));
    assert_int_equal(tg__config_parse("{}", 2, NULL), TG_EINVAL);
    tg__config_free(NULL);
    /* freeing twice is harmless: free zeroes the struct */
    assert_int_equal(parse("{}", &c), TG_OK);
    tg__config_free(&c);
    tg__config_free(&c);
}

static void test_many_rules(void **state)
{
    size_t cap = 1 << 20, n, i;
    char *json = malloc(cap);
    tg__config c;
    (void)state;
    assert_non_null(json);
    n = (size_t)sprintf(json, "{\"tools\":{\"map\":{");
    for (i = 0; i < 2000; i++)
        n += (size_t)sprintf(json + n, "%s\"tool_%zu\":\"conn_%zu\"", i ? "," : "", i, i % 400);
    n += (size_t)sprintf(json + n, "},\"prefixes\":{");
    for (i = 0; i < 400; i++)
        n += (size_t)sprintf(json + n, "%s\"p%zu_\":\"conn_%zu\"", i ? "," : "", i, i);
    sprintf(json + n, "}}}");
    expect_ok(json, &c);
    assert_int_equal(c.n_map, 2000);
    assert_int_equal(c.n_prefixes, 400);
    assert_string_equal(c.map[1999].match, "tool_1999");
    assert_string_equal(c.map[1999].connection, "conn_399");
    assert_string_equal(c.prefixes[123].match, "p123_");
    tg__config_free(&c);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_enum_values),
        cmocka_unit_test(test_number_bounds),
        cmocka_unit_test(test_provider_default_when_absent),
        cmocka_unit_test(test_provider_json_without_type),
        cmocka_unit_test(test_provider_keys_passed_through),
        cmocka_unit_test(test_provider_errors),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_unknown_key_long_is_cut),
        cmocka_unit_test(test_wrong_types_sections),
        cmocka_unit_test(test_wrong_types_ms),
        cmocka_unit_test(test_wrong_types_max_entries),
        cmocka_unit_test(test_wrong_enums),
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_error_after_rules),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_same_key_in_other_objects),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_json_position),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_not_null_terminated),
        cmocka_unit_test(test_top_level_not_object),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_nul_escape_refused),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_many_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
