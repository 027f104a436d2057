/*
 * tg__event_parse (src/event.h): Scalekit webhook event bodies, canned bytes
 * in, struct out. Expected times come from timegm(), not from the parser's
 * own arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "toolgate/toolgate.h"
#include "event.h"

#define DATA_STD                                                                         \
    "{\"id\":\"ca_1\",\"identifier\":\"john@acmecorp.com\",\"connection_id\":\"conn_1\"," \
    "\"connection_name\":\"gmail\",\"provider\":\"GMAIL\",\"authorization_type\":\"OAUTH\"," \
    "\"status\":\"EXPIRED\",\"old_status\":\"ACTIVE\"}"

/* The example of SCALEKIT_WIRE.md, byte for byte. */
static const char example[] =
    "{\"spec_version\":\"1\",\"id\":\"evt_1\",\"type\":\"connected_account.status_updated\","
    "\"object\":\"ConnectedAccount\",\"occurred_at\":\"2025-12-02T06:31:34.895815554Z\","
    "\"environment_id\":\"env_1\",\"data\":" DATA_STD "}";

/* Parse @p len bytes from a buffer holding exactly those bytes (no NUL after
 * them), so a read past the end shows under AddressSanitizer. */
static int parse_n(const char *body, size_t len, tg__event *ev)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, body, len);
    rc = tg__event_parse(copy, len, ev);
    free(copy);
    return rc;
}

static int parse(const char *body, tg__event *ev)
{
    return parse_n(body, strlen(body), ev);
}

/* An event with the given members as JSON text; NULL leaves a member out. */
static char *make_event(const char *id, const char *type, const char *occurred_at,
                        const char *data)
{
    size_t cap = 1024 + (id ? strlen(id) : 0) + (type ? strlen(type) : 0) +
                 (occurred_at ? strlen(occurred_at) : 0) + (data ? strlen(data) : 0);
    char *out = malloc(cap);
    size_t o;

    assert_non_null(out);
    o = (size_t)snprintf(out, cap, "{\"spec_version\":\"1\"");
    if (id)
        o += (size_t)snprintf(out + o, cap - o, ",\"id\":%s", id);
    if (type)
        o += (size_t)snprintf(out + o, cap - o, ",\"type\":%s", type);
    if (occurred_at)
        o += (size_t)snprintf(out + o, cap - o, ",\"occurred_at\":%s", occurred_at);
    if (data)
        o += (size_t)snprintf(out + o, cap - o, ",\"data\":%s", data);
    snprintf(out + o, cap - o, "}");
    return out;
}

static void expect_ok(const char *body, tg__event *ev)
{
    int rc = parse(body, ev);
    if (rc != TG_OK)
        fail_msg("parse = %d (%s) for:\n%s", rc, tg_error_message(), body);
}

/* Refused with TG_EINVAL and a message containing @p needle. */
static void expect_reject(const char *body, const char *needle)
{
    tg__event ev;
    int rc = parse(body, &ev);
    if (rc != TG_EINVAL)
        fail_msg("parse = %d, want TG_EINVAL, for:\n%s", rc, body);
    if (needle && !strstr(tg_error_message(), needle))
        fail_msg("message \"%s\" does not contain \"%s\"", tg_error_message(), needle);
    if (strncmp(tg_error_message(), "event: ", 7) != 0)
        fail_msg("message \"%s\" does not start with \"event: \"", tg_error_message());
}

/* Status event for user_1 with the given data.status JSON value. */
static char *status_event(const char *status_json)
{
    char data[512];
    snprintf(data, sizeof data, "{\"identifier\":\"user_1\",\"connection_name\":\"gmail\","
                                "\"status\":%s}",
             status_json);
    return make_event("\"evt_1\"", "\"connected_account.status_updated\"",
                      "\"2025-12-02T06:31:34Z\"", data);
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* ---- whole events --------------------------------------------------------- */

static void test_example_event(void **state)
{
    tg__event ev;
    (void)state;
    expect_ok(example, &ev);
    assert_string_equal(ev.id, "evt_1");
    assert_string_equal(ev.type, "connected_account.status_updated");
    assert_int_equal(ev.kind, TG__EVENT_STATUS);
    assert_int_equal(ev.occurred_at_ms, utc_ms(2025, 12, 2, 6, 31, 34, 895));
    assert_string_equal(ev.connection, "gmail");
    assert_string_equal(ev.identifier, "john@acmecorp.com");
    assert_int_equal(ev.status, TG_STATUS_EXPIRED);
}

static void test_not_nul_terminated_and_whitespace(void **state)
{
    tg__event ev;
    char body[sizeof example + 8];
    (void)state;
    /* Surrounding whitespace is fine; parse_n gives no terminator. */
    snprintf(body, sizeof body, " \n%s\r\n\t ", example);
    assert_int_equal(parse_n(body, strlen(body), &ev), TG_OK);
    assert_int_equal(ev.kind, TG__EVENT_STATUS);
    /* A prefix of a valid body is not one. */
    assert_int_equal(parse_n(example, sizeof example - 2, &ev), TG_EINVAL);
}

static void test_kinds(void **state)
{
    static const char *const with_status[] = {
        "connected_account.created", "connected_account.updated",
        "connected_account.status_updated", "connected_account.magic_link_generated",
        "connected_account.oauth_succeeded", "connected_account.token_refresh_failed",
    };
    tg__event ev;
    char type[128], *body;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof with_status / sizeof with_status[0]; i++) {
        snprintf(type, sizeof type, "\"%s\"", with_status[i]);
        body = make_event("\"evt_1\"", type, "\"2025-12-02T06:31:34Z\"", DATA_STD);
        expect_ok(body, &ev);
        assert_int_equal(ev.kind, TG__EVENT_STATUS);
        assert_int_equal(ev.status, TG_STATUS_EXPIRED);
        assert_string_equal(ev.type, with_status[i]);
        free(body);
    }

    /* Deleted: no status needed; a status that would not parse is not read. */
    body = make_event("\"evt_2\"", "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"user_1\",\"connection_name\":\"gmail\","
                      "\"status\":\"WHATEVER\"}");
    expect_ok(body, &ev);
    assert_int_equal(ev.kind, TG__EVENT_DELETED);
    assert_string_equal(ev.identifier, "user_1");
    assert_string_equal(ev.connection, "gmail");
    free(body);
    body = make_event("\"evt_2\"", "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"user_1\"}");
    expect_ok(body, &ev);
    assert_int_equal(ev.kind, TG__EVENT_DELETED);
    assert_string_equal(ev.connection, "");
    free(body);

    /* A connected_account event without a status changes nothing. */
    body = make_event("\"evt_3\"", "\"connected_account.oauth_tokens_fetched\"",
                      "\"2025-12-02T06:31:34Z\"", "{\"identifier\":\"user_1\"}");
    expect_ok(body, &ev);
    assert_int_equal(ev.kind, TG__EVENT_OTHER);
    assert_string_equal(ev.identifier, "user_1");
    free(body);
    body = make_event("\"evt_3\"", "\"connected_account.updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"user_1\",\"status\":null}");
    expect_ok(body, &ev);
    assert_int_equal(ev.kind, TG__EVENT_OTHER);
    free(body);
}

static void test_unknown_types_are_other(void **state)
{
    static const char *const types[] = {
        "\"organization.created\"", "\"connected_account\"", "\"Connected_Account.deleted\"",
        "\"connected_account_deleted\"", "\"x\"", "\"connected_accounts.deleted\"",
    };
    tg__event ev;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        /* Even with a status, and with account fields that would be refused
         * in a status event: they are not read. */
        char *body = make_event("\"evt_1\"", types[i], "\"2025-12-02T06:31:34Z\"",
                                "{\"identifier\":\"bad\\u0001id\",\"connection_name\":\"g@il\","
                                "\"status\":\"NO_SUCH\"}");
        expect_ok(body, &ev);
        assert_int_equal(ev.kind, TG__EVENT_OTHER);
        assert_string_equal(ev.identifier, "");
        assert_string_equal(ev.connection, "");
        free(body);
    }
    /* No account fields at all, extra members everywhere. */
    expect_ok("{\"id\":\"evt_9\",\"type\":\"directory.user_created\",\"occurred_at\":"
              "\"2025-12-02T06:31:34Z\",\"data\":{},\"extra\":[1,2,{\"a\":null}],\"n\":1.5}",
              &ev);
    assert_int_equal(ev.kind, TG__EVENT_OTHER);
    /* A valid identifier of an OTHER event is kept. */
    expect_ok("{\"id\":\"evt_9\",\"type\":\"connected_account.oauth_tokens_fetched\","
              "\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{\"identifier\":\"u\","
              "\"connection_name\":\"slack\"}}",
              &ev);
    assert_string_equal(ev.identifier, "u");
    assert_string_equal(ev.connection, "slack");
}

/* ---- data.status ---------------------------------------------------------- */

static void test_status_values(void **state)
{
    static const struct {
        const char *json;
        tg_status want;
    } cases[] = {
        { "\"ACTIVE\"", TG_STATUS_ACTIVE },
        { "\"active\"", TG_STATUS_ACTIVE },
        { "\"EXPIRED\"", TG_STATUS_EXPIRED },
        { "\"PENDING_AUTH\"", TG_STATUS_PENDING },
        { "\"PENDING\"", TG_STATUS_PENDING },
        { "\"PENDING_VERIFICATION\"", TG_STATUS_PENDING_VERIFICATION },
        { "\"DISCONNECTED\"", TG_STATUS_REVOKED },
        { "\"REVOKED\"", TG_STATUS_REVOKED },
        { "\"CONNECTION_STATUS_UNSPECIFIED\"", TG_STATUS_UNKNOWN },
        { "\"3\"", TG_STATUS_PENDING },
        { "0", TG_STATUS_UNKNOWN },
        { "1", TG_STATUS_ACTIVE },
        { "2", TG_STATUS_EXPIRED },
        { "3", TG_STATUS_PENDING },
        { "4", TG_STATUS_PENDING_VERIFICATION },
        { "5", TG_STATUS_REVOKED },
    };
    tg__event ev;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = status_event(cases[i].json);
        expect_ok(body, &ev);
        assert_int_equal(ev.kind, TG__EVENT_STATUS);
        if (ev.status != cases[i].want)
            fail_msg("status %s gave %d, want %d", cases[i].json, (int)ev.status,
                     (int)cases[i].want);
        free(body);
    }
}

static void test_status_rejects(void **state)
{
    static const struct {
        const char *json, *needle;
    } cases[] = {
        { "\"X\"", "event: data.status: unknown status \"X\"" },
        { "\"SUSPENDED\"", "event: data.status: unknown status \"SUSPENDED\"" },
        { "\"\"", "event: data.status: unknown status \"\"" },
        { "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACTIVE\"",
          "event: data.status: unknown status" },
        { "6", "event: data.status: unknown status 6" },
        { "-1", "event: data.status: unknown status -1" },
        { "99999999999", "event: data.status: unknown status 99999999999" },
        { "1.0", "event: data.status:" },
        { "true", "event: data.status:" },
        { "[\"ACTIVE\"]", "event: data.status:" },
        { "{\"name\":\"ACTIVE\"}", "event: data.status:" },
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = status_event(cases[i].json);
        expect_reject(body, cases[i].needle);
        free(body);
    }
}

/* ---- the account ---------------------------------------------------------- */

static void test_identifier(void **state)
{
    tg__event ev;
    char *body, data[1200], id[600];
    (void)state;

    /* Missing, wrong type, empty, control character, NUL, too long. */
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"status\":\"ACTIVE\"}");
    expect_reject(body, "event: data.identifier: missing");
    free(body);
    body = make_event("\"e\"", "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":null}");
    expect_reject(body, "event: data.identifier: missing");
    free(body);
    {
        static const char *const bad[] = { "123", "\"\"", "\"a\\u0001b\"",
                                           "\"a\\nb\"", "\"a\\u007fb\"", "\"a\\u0085b\"",
                                           "[\"u\"]" };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(data, sizeof data, "{\"identifier\":%s,\"status\":1}", bad[i]);
            body = make_event("\"e\"", "\"connected_account.status_updated\"",
                              "\"2025-12-02T06:31:34Z\"", data);
            expect_reject(body, "event: data.identifier:");
            free(body);
        }
    }
    /* 512 bytes: fine. 513: refused. */
    memset(id, 'u', 512);
    id[512] = '\0';
    snprintf(data, sizeof data, "{\"identifier\":\"%s\",\"status\":1}", id);
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      data);
    expect_ok(body, &ev);
    assert_int_equal(strlen(ev.identifier), 512);
    free(body);
    snprintf(data, sizeof data, "{\"identifier\":\"%su\",\"status\":1}", id);
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      data);
    expect_reject(body, "event: data.identifier:");
    free(body);
    /* UTF-8, raw and escaped. */
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"j\xC3\xBCrgen \\u00e9\\ud83d\\ude00\",\"status\":1}");
    expect_ok(body, &ev);
    assert_string_equal(ev.identifier, "j\xC3\xBCrgen \xC3\xA9\xF0\x9F\x98\x80");
    free(body);
    /* Invalid UTF-8 in the raw bytes: refused as a body, before any field. */
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"bad\xFF\",\"status\":1}");
    expect_reject(body, "event: invalid JSON: invalid UTF-8 (line 1, column");
    free(body);
}

static void test_connection_name(void **state)
{
    static const char *const absent[] = { "", ",\"connection_name\":null",
                                          ",\"connection_name\":\"\"" };
    /* The last one is 65 characters. */
    static const char *const bad[] = {
        "\"g@il\"", "5", "\"gmail/x\"",
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
    };
    tg__event ev;
    char data[512], *body;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        snprintf(data, sizeof data, "{\"identifier\":\"u\",\"status\":\"ACTIVE\"%s}", absent[i]);
        body = make_event("\"e\"", "\"connected_account.status_updated\"",
                          "\"2025-12-02T06:31:34Z\"", data);
        expect_ok(body, &ev);
        assert_string_equal(ev.connection, "");
        free(body);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(data, sizeof data, "{\"identifier\":\"u\",\"status\":\"ACTIVE\","
                                    "\"connection_name\":%s}",
                 bad[i]);
        body = make_event("\"e\"", "\"connected_account.status_updated\"",
                          "\"2025-12-02T06:31:34Z\"", data);
        expect_reject(body, "event: data.connection_name:");
        free(body);
    }
    /* 64 characters with a space, a colon and a dash: fine; camelCase too. */
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"u\",\"status\":\"ACTIVE\",\"connection_name\":"
                      "\"Google Mail:work-2_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
    expect_ok(body, &ev);
    assert_int_equal(strlen(ev.connection), 64);
    free(body);
    body = make_event("\"e\"", "\"connected_account.status_updated\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"u\",\"status\":\"ACTIVE\",\"connectionName\":\"slack\"}");
    expect_ok(body, &ev);
    assert_string_equal(ev.connection, "slack");
    free(body);
}

/* ---- id, type, data --------------------------------------------------------- */

static void test_id_and_type(void **state)
{
    char long_str[200], json[220], *body;
    tg__event ev;
    (void)state;

    body = make_event(NULL, "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"u\"}");
    expect_reject(body, "event: id: missing");
    free(body);
    {
        static const char *const bad_ids[] = { "\"\"", "7", "null", "\"evt\\u0001\"",
                                               "\"evt\\u00e9\"" };
        size_t i;
        for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
            body = make_event(bad_ids[i], "\"connected_account.deleted\"",
                              "\"2025-12-02T06:31:34Z\"", "{\"identifier\":\"u\"}");
            expect_reject(body, "event: id:");
            free(body);
        }
    }
    memset(long_str, 'i', 128);
    long_str[128] = '\0';
    snprintf(json, sizeof json, "\"%s\"", long_str);
    body = make_event(json, "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"u\"}");
    expect_ok(body, &ev);
    assert_string_equal(ev.id, long_str);
    free(body);
    snprintf(json, sizeof json, "\"%si\"", long_str);
    body = make_event(json, "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"",
                      "{\"identifier\":\"u\"}");
    expect_reject(body, "event: id:");
    free(body);

    body = make_event("\"e\"", NULL, "\"2025-12-02T06:31:34Z\"", "{}");
    expect_reject(body, "event: type: missing");
    free(body);
    body = make_event("\"e\"", "\"\"", "\"2025-12-02T06:31:34Z\"", "{}");
    expect_reject(body, "event: type:");
    free(body);
    body = make_event("\"e\"", "[]", "\"2025-12-02T06:31:34Z\"", "{}");
    expect_reject(body, "event: type:");
    free(body);
    memset(long_str, 't', 96);
    long_str[96] = '\0';
    snprintf(json, sizeof json, "\"%s\"", long_str);
    body = make_event("\"e\"", json, "\"2025-12-02T06:31:34Z\"", "{}");
    expect_ok(body, &ev);
    assert_int_equal(ev.kind, TG__EVENT_OTHER);
    free(body);
    snprintf(json, sizeof json, "\"%st\"", long_str);
    body = make_event("\"e\"", json, "\"2025-12-02T06:31:34Z\"", "{}");
    expect_reject(body, "event: type:");
    free(body);
}

static void test_data(void **state)
{
    static const char *const bad[] = { "[]", "\"x\"", "1", "true" };
    char *body;
    size_t i;
    (void)state;

    body = make_event("\"e\"", "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"", NULL);
    expect_reject(body, "event: data: missing");
    free(body);
    body = make_event("\"e\"", "\"connected_account.deleted\"", "\"2025-12-02T06:31:34Z\"", "null");
    expect_reject(body, "event: data: missing");
    free(body);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        body = make_event("\"e\"", "\"x.y\"", "\"2025-12-02T06:31:34Z\"", bad[i]);
        expect_reject(body, "event: data: must be an object");
        free(body);
    }
}

/* ---- occurred_at ------------------------------------------------------------ */

static int64_t parse_time(const char *text, int *rc)
{
    char quoted[128], *body;
    tg__event ev;

    snprintf(quoted, sizeof quoted, "\"%s\"", text);
    body = make_event("\"e\"", "\"x.y\"", quoted, "{}");
    *rc = parse(body, &ev);
    free(body);
    return ev.occurred_at_ms;
}

static void test_rfc3339_accepts(void **state)
{
    const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        { "2025-12-02T06:31:34.895815554Z", utc_ms(2025, 12, 2, 6, 31, 34, 895) },
        { "2025-12-02T06:31:34Z", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02T06:31:34.5Z", utc_ms(2025, 12, 2, 6, 31, 34, 500) },
        { "2025-12-02T06:31:34.12Z", utc_ms(2025, 12, 2, 6, 31, 34, 120) },
        { "2025-12-02T06:31:34.000000000000000000000000000001Z",
          utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02T12:01:34+05:30", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02T12:01:34.250+05:30", utc_ms(2025, 12, 2, 6, 31, 34, 250) },
        { "2025-12-01T21:31:34-09:00", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02T06:31:34+00:00", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02T06:31:34-00:00", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02t06:31:34z", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2025-12-02 06:31:34Z", utc_ms(2025, 12, 2, 6, 31, 34, 0) },
        { "2024-02-29T00:00:00Z", utc_ms(2024, 2, 29, 0, 0, 0, 0) },
        { "2000-02-29T23:59:59.999Z", utc_ms(2000, 2, 29, 23, 59, 59, 999) },
        { "1970-01-01T00:00:00Z", 0 },
        { "1969-12-31T23:59:59Z", -1000 },
        { "2026-01-01T00:30:00+01:00", utc_ms(2025, 12, 31, 23, 30, 0, 0) },
        { "9999-12-31T23:59:59Z", utc_ms(9999, 12, 31, 23, 59, 59, 0) },
        { "2016-12-31T23:59:60Z", utc_ms(2017, 1, 1, 0, 0, 0, 0) }, /* a leap second */
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        int64_t got = parse_time(cases[i].text, &rc);
        if (rc != TG_OK)
            fail_msg("\"%s\" refused: %s", cases[i].text, tg_error_message());
        if (got != cases[i].want)
            fail_msg("\"%s\" = %lld ms, want %lld", cases[i].text, (long long)got,
                     (long long)cases[i].want);
    }
}

static void test_rfc3339_rejects(void **state)
{
    static const char *const bad[] = {
        "2025-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z",
        "2025-12-00T00:00:00Z", "2025-12-32T00:00:00Z", "2025-12-02T24:00:00Z",
        "2025-12-02T06:60:00Z", "2025-12-02T06:31:61Z", "2025-12-02T06:31:34",
        "2025-12-02T06:31:34.Z", "2025-12-02T06:31:34.5", "2025-12-02T06:31:34+0530",
        "2025-12-02T06:31:34+05", "2025-12-02T06:31:34+24:00", "2025-12-02T06:31:34+05:60",
        "2025-12-02", "2025-12-02T06:31Z", "2025-12-02T06:31:34ZZ", "2025-12-02T06:31:34Z ",
        " 2025-12-02T06:31:34Z", "2025-1-02T06:31:34Z", "25-12-02T06:31:34Z",
        "2025-12-02X06:31:34Z", "2025/12/02T06:31:34Z", "2025-12-02T06:31:34,5Z",
        "+2025-12-02T06:31:34Z", "2025-12-02T06:31:34.5.5Z", "2025-12-02T06:31:34UTC",
        "", "now", "1764657094",
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc;
        (void)parse_time(bad[i], &rc);
        if (rc != TG_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        if (!strstr(tg_error_message(), "event: occurred_at:"))
            fail_msg("\"%s\": message \"%s\"", bad[i], tg_error_message());
    }
    {
        char *body = make_event("\"e\"", "\"x.y\"", "1764657094", "{}");
        expect_reject(body, "event: occurred_at:");
        free(body);
        body = make_event("\"e\"", "\"x.y\"", NULL, "{}");
        expect_reject(body, "event: occurred_at: missing");
        free(body);
    }
}

/* ---- malformed bodies ------------------------------------------------------- */

/* "\u0000" anywhere is refused before any field is read: json-c keeps strings
 * as C strings, so a field would be cut short at it. */
static void test_nul_escape_refused(void **state)
{
    static const char *const datas[] = {
        "{\"identifier\":\"a\\u0000b\",\"status\":1}",
        "{\"identifier\":\"u\",\"status\":\"ACT\\u0000IVE\"}",
        "{\"identifier\":\"u\",\"connection_name\":\"gmail\\u0000x\",\"status\":1}",
    };
    size_t i;
    char *body;
    (void)state;
    for (i = 0; i < sizeof datas / sizeof datas[0]; i++) {
        body = make_event("\"e\"", "\"connected_account.status_updated\"",
                          "\"2025-12-02T06:31:34Z\"", datas[i]);
        expect_reject(body, "\"\\u0000\" is not allowed in strings (line 1, column");
        free(body);
    }
    body = make_event("\"evt\\u0000x\"", "\"connected_account.deleted\"",
                      "\"2025-12-02T06:31:34\\u0000Z\"", "{\"identifier\":\"u\"}");
    expect_reject(body, "is not allowed in strings");
    free(body);
}

/* A key given twice would let a body say two things at once. */
static void test_duplicate_keys_refused(void **state)
{
    char *body = make_event("\"e\"", "\"connected_account.status_updated\"",
                            "\"2025-12-02T06:31:34Z\"",
                            "{\"identifier\":\"u\",\"status\":\"REVOKED\",\"status\":\"ACTIVE\"}");
    (void)state;
    expect_reject(body, "key \"data.status\" is given twice");
    free(body);
}

static void test_malformed_json(void **state)
{
    static const char *const bad[] = {
        "{",
        "{\"id\":}",
        "{\"id\":\"e\",}",
        "{\"id\":\"e\" \"type\":\"x\"}",
        "[]",
        "null",
        "42",
        "\"event\"",
        "{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{}} x",
        "{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{}}{}",
        "{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{}",
        "\xEF\xBB\xBF{}",
        "   ",
    };
    tg__event ev;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject(bad[i], "event: ");
    expect_reject("{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":\"2025-12-02T06:31:34Z\","
                  "\"data\":{}} x",
                  "unexpected text after the value");
    /* Empty, NULL, and a NUL byte inside. */
    assert_int_equal(parse_n("", 0, &ev), TG_EINVAL);
    assert_int_equal(tg__event_parse(NULL, 10, &ev), TG_EINVAL);
    assert_int_equal(tg__event_parse(example, sizeof example - 1, NULL), TG_EINVAL);
    {
        char body[sizeof example + 4];
        memcpy(body, example, sizeof example - 1);
        memcpy(body + sizeof example - 1, "\0\0", 2);
        assert_int_equal(parse_n(body, sizeof example + 1, &ev), TG_EINVAL);
        assert_non_null(strstr(tg_error_message(), "NUL"));
    }
}

/* @p depth nested arrays in an unknown member. */
static char *nested_event(int depth)
{
    size_t cap = 256 + (size_t)depth * 2;
    char *extra = malloc(cap), *body;
    int i;

    assert_non_null(extra);
    for (i = 0; i < depth; i++)
        extra[i] = '[';
    for (i = 0; i < depth; i++)
        extra[depth + i] = ']';
    extra[2 * depth] = '\0';
    body = malloc(cap + 256);
    assert_non_null(body);
    snprintf(body, cap + 256,
             "{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":\"2025-12-02T06:31:34Z\","
             "\"data\":{},\"extra\":%s}",
             extra);
    free(extra);
    return body;
}

static void test_depth_bomb(void **state)
{
    tg__event ev;
    char *body;
    (void)state;

    /* Within the limit (the object itself is one level). */
    body = nested_event(14);
    expect_ok(body, &ev);
    free(body);
    body = nested_event(17);
    expect_reject(body, "nested deeper than 16");
    free(body);
    body = nested_event(30000);
    expect_reject(body, "nested deeper than 16");
    free(body);
}

static void test_oversize(void **state)
{
    const size_t max = TG__EVENT_BODY_MAX;
    char *body = malloc(max + 2);
    tg__event ev;
    size_t n;
    (void)state;

    assert_non_null(body);
    /* Exactly the limit, padded with an unknown string member: accepted. */
    n = (size_t)snprintf(body, max, "{\"id\":\"e\",\"type\":\"x.y\",\"occurred_at\":"
                                    "\"2025-12-02T06:31:34Z\",\"data\":{},\"pad\":\"");
    memset(body + n, 'p', max - n - 2);
    memcpy(body + max - 2, "\"}", 2);
    assert_int_equal(parse_n(body, max, &ev), TG_OK);
    /* One byte more (trailing whitespace alone): refused. */
    body[max] = ' ';
    assert_int_equal(parse_n(body, max + 1, &ev), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "larger than 65536"));
    assert_int_equal(tg__event_parse(body, SIZE_MAX, &ev), TG_EINVAL);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_event),
        cmocka_unit_test(test_not_nul_terminated_and_whitespace),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_unknown_types_are_other),
        cmocka_unit_test(test_status_values),
        cmocka_unit_test(test_status_rejects),
        cmocka_unit_test(test_identifier),
        cmocka_unit_test(test_connection_name),
        cmocka_unit_test(test_id_and_type),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_rfc3339_accepts),
        cmocka_unit_test(test_rfc3339_rejects),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_nul_escape_refused),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_oversize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
