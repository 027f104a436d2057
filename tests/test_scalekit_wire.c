/* The scalekit provider's pure parts on canned bytes: answers (accounts,
 * tokens, links, errors), RFC 3339, percent-encoding, the environment URL and
 * the provider configuration. No server, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "plugin.h"
#include "env_url.h"
#include "provider_config.h"
#include "wire.h"

/* ---- helpers ------------------------------------------------------------ */

/* The wall clock the link parser is given: 2023-11-14T22:13:20Z. */
#define NOW_MS 1700000000000LL

/* Bodies are handed over without a NUL terminator, so an over-read shows
 * under ASan. */
static char *unterminated(const char *text, size_t n)
{
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    return copy;
}

static int account(const char *text, tg__sk_account *a, char *err, size_t errlen)
{
    size_t n = strlen(text);
    char *copy = unterminated(text, n);
    int rc;
    err[0] = '\0';
    rc = tg__sk_parse_account(tg__host(), copy, n, NULL, a, err, errlen);
    free(copy);
    return rc;
}

static tg_status account_status(const char *text)
{
    tg__sk_account a;
    char err[TG__SK_ERR_MAX];
    int rc = account(text, &a, err, sizeof err);
    if (rc != TG_OK)
        print_error("body: %s\nerror: %s\n", text, err);
    assert_int_equal(rc, TG_OK);
    assert_int_equal(a.has_status, 1);
    return a.status;
}

static void account_error(const char *text, const char *expect)
{
    tg__sk_account a;
    char err[TG__SK_ERR_MAX];
    int rc = account(text, &a, err, sizeof err);
    if (rc != TG_EPROVIDER || strcmp(err, expect) != 0)
        print_error("body: %.200s\nexpected: %s\nactual (%d): %s\n", text, expect, rc, err);
    assert_int_equal(rc, TG_EPROVIDER);
    assert_string_equal(err, expect);
}

static int token(const char *text, tg__sk_token *t, char *err, size_t errlen)
{
    size_t n = strlen(text);
    char *copy = unterminated(text, n);
    int rc;
    err[0] = '\0';
    rc = tg__sk_parse_token(copy, n, NULL, t, err, errlen);
    free(copy);
    return rc;
}

static int link_of(const char *text, tg__sk_link *l, char *err, size_t errlen)
{
    size_t n = strlen(text);
    char *copy = unterminated(text, n);
    int rc;
    err[0] = '\0';
    rc = tg__sk_parse_link(tg__host(), copy, n, NOW_MS, NULL, l, err, errlen);
    free(copy);
    return rc;
}

static int64_t rfc3339(const char *text)
{
    size_t n = strlen(text);
    char *copy = unterminated(text, n);
    int64_t ms = 42;
    int rc = tg__host()->parse_rfc3339(copy, n, &ms);
    free(copy);
    if (rc != TG_OK)
        print_error("not accepted: %s\n", text);
    assert_int_equal(rc, TG_OK);
    return ms;
}

static void rfc3339_bad(const char *text)
{
    size_t n = strlen(text);
    char *copy = unterminated(text, n);
    int64_t ms = 42;
    int rc = tg__host()->parse_rfc3339(copy, n, &ms);
    free(copy);
    if (rc != TG_EINVAL)
        print_error("accepted: %s\n", text);
    assert_int_equal(rc, TG_EINVAL);
    assert_int_equal(ms, 42);
}

/* ---- accounts ----------------------------------------------------------- */

static void test_account_shapes(void **unused)
{
    (void)unused;
    /* The REST gateway's shape, with the fields the document lists. */
    assert_int_equal(
        account_status(
            "{\"connected_account\":{\"id\":\"ca_24834495392086178\",\"identifier\":"
            "\"user@example.com\",\"connector\":\"gmail\",\"connection_id\":\"conn_1\","
            "\"provider\":\"GMAIL\",\"status\":\"ACTIVE\",\"authorization_type\":\"OAUTH\","
            "\"token_expires_at\":\"2024-12-31T23:59:59Z\",\"updated_at\":"
            "\"2024-03-20T15:04:05Z\",\"last_used_at\":null,\"api_config\":{\"base_url\":"
            "\"https://x\",\"nested\":{\"a\":[1,2,{\"b\":{}}]}}}}"),
        TG_STATUS_ACTIVE);
    assert_int_equal(account_status("{\"connectedAccount\":{\"status\":\"EXPIRED\","
                                    "\"tokenExpiresAt\":\"2024-12-31T23:59:59Z\"}}"),
                     TG_STATUS_EXPIRED);
    /* The account object itself, and whitespace around it. */
    assert_int_equal(account_status(" \r\n\t{\"status\":\"PENDING_AUTH\"} \n"),
                     TG_STATUS_PENDING);
    /* A null wrapper counts as absent. */
    assert_int_equal(account_status("{\"connected_account\":null,\"status\":\"ACTIVE\"}"),
                     TG_STATUS_ACTIVE);
}

static void test_account_statuses(void **unused)
{
    static const struct {
        const char *body;
        tg_status status;
    } cases[] = {
        { "{\"connected_account\":{\"status\":\"CONNECTION_STATUS_UNSPECIFIED\"}}",
          TG_STATUS_UNKNOWN },
        { "{\"connected_account\":{\"status\":\"ACTIVE\"}}", TG_STATUS_ACTIVE },
        { "{\"connected_account\":{\"status\":\"EXPIRED\"}}", TG_STATUS_EXPIRED },
        { "{\"connected_account\":{\"status\":\"PENDING_AUTH\"}}", TG_STATUS_PENDING },
        { "{\"connected_account\":{\"status\":\"PENDING_VERIFICATION\"}}",
          TG_STATUS_PENDING_VERIFICATION },
        { "{\"connected_account\":{\"status\":\"DISCONNECTED\"}}", TG_STATUS_REVOKED },
        { "{\"connected_account\":{\"status\":\"active\"}}", TG_STATUS_ACTIVE },
        { "{\"connected_account\":{\"status\":\"REVOKED\"}}", TG_STATUS_REVOKED },
        { "{\"connected_account\":{\"status\":\"3\"}}", TG_STATUS_PENDING },
        { "{\"connected_account\":{\"status\":0}}", TG_STATUS_UNKNOWN },
        { "{\"connected_account\":{\"status\":1}}", TG_STATUS_ACTIVE },
        { "{\"connected_account\":{\"status\":2}}", TG_STATUS_EXPIRED },
        { "{\"connected_account\":{\"status\":3}}", TG_STATUS_PENDING },
        { "{\"connected_account\":{\"status\":4}}", TG_STATUS_PENDING_VERIFICATION },
        { "{\"connected_account\":{\"status\":5}}", TG_STATUS_REVOKED },
        { "{\"connectedAccount\":{\"status\":5}}", TG_STATUS_REVOKED },
    };
    size_t i;
    (void)unused;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(account_status(cases[i].body), cases[i].status);
}

static void test_account_without_status(void **unused)
{
    tg__sk_account a;
    char err[TG__SK_ERR_MAX];
    (void)unused;
    assert_int_equal(account("{\"connected_account\":{\"id\":\"ca_1\"}}", &a, err, sizeof err),
                     TG_OK);
    assert_int_equal(a.has_status, 0);
    assert_int_equal(account("{}", &a, err, sizeof err), TG_OK);
    assert_int_equal(a.has_status, 0);
    assert_int_equal(account("{\"connected_account\":{\"status\":null}}", &a, err, sizeof err),
                     TG_OK);
    assert_int_equal(a.has_status, 0);
    /* An error answer is an object without a status too: the caller decides. */
    assert_int_equal(account("{\"code\":5,\"message\":\"not found\"}", &a, err, sizeof err),
                     TG_OK);
    assert_int_equal(a.has_status, 0);
}

static void test_account_errors(void **unused)
{
    (void)unused;
    account_error("", "is empty");
    account_error("not json", "is not JSON (a syntax error): it begins \"not json\"");
    account_error("<html><body>502 Bad Gateway</body></html>",
                  "is not JSON (a syntax error): it begins \"<html><body>502 Bad Gateway</body></html>\"");
    account_error("{\"connected_account\":{\"status\":\"ACT",
                  "is not JSON (it ends too early): it begins \"{\\x22connected_account\\x22:{\\x22status\\x22:\\x22ACT\"");
    account_error("{\"status\":\"ACTIVE\"} {}",
                  "is not JSON (text follows the value): it begins \"{\\x22status\\x22:\\x22ACTIVE\\x22} {}\"");
    account_error("[{\"status\":\"ACTIVE\"}]", "is not a JSON object");
    account_error("\"ACTIVE\"", "is not a JSON object");
    account_error("{\"connected_account\":[]}", "has a \"connected_account\" that is not an object");
    account_error("{\"connected_account\":\"x\"}", "has a \"connected_account\" that is not an object");
    account_error("{\"connected_account\":{\"status\":\"SUSPENDED\"}}",
                  "has an unknown status \"SUSPENDED\"");
    account_error("{\"connected_account\":{\"status\":\"\"}}",
                  "has a status that is not a status name");
    account_error("{\"connected_account\":{\"status\":\"\\u0001\\\"x\"}}",
                  "has an unknown status \"\\x01\\x22x\"");
    account_error("{\"connected_account\":{\"status\":6}}", "has an unknown status 6");
    account_error("{\"connected_account\":{\"status\":-1}}",
                  "has an unknown status -1");
    account_error("{\"connected_account\":{\"status\":99999999999999999999}}",
                  "has an unknown status 9223372036854775807");
    account_error("{\"connected_account\":{\"status\":true}}",
                  "has a status that is neither a name nor a number");
    account_error("{\"connected_account\":{\"status\":1.5}}",
                  "has a status that is neither a name nor a number");
    account_error("{\"connected_account\":{\"status\":{\"name\":\"ACTIVE\"}}}",
                  "has a status that is neither a name nor a number");
}

static void test_account_bounds(void **unused)
{
    tg__sk_account a;
    char err[TG__SK_ERR_MAX];
    size_t n, i;
    char *big;
    (void)unused;

    /* A NUL byte inside the answer. */
    {
        static const char body[] = "{\"status\":\"ACTIVE\"}\0garbage";
        assert_int_equal(tg__sk_parse_account(tg__host(), body, sizeof body - 1, NULL, &a, err,
                                              sizeof err),
                         TG_EPROVIDER);
        assert_string_equal(err, "is not JSON (it holds a NUL byte): it begins "
                                 "\"{\\x22status\\x22:\\x22ACTIVE\\x22}\\x00garbage\"");
    }
    /* Exactly the limit is read; one byte more is refused before parsing. */
    n = TG__SK_BODY_MAX;
    big = malloc(n + 1);
    assert_non_null(big);
    memcpy(big, "{\"status\":\"ACTIVE\",\"pad\":\"", 26);
    for (i = 26; i < n - 2; i++)
        big[i] = 'x';
    big[n - 2] = '"';
    big[n - 1] = '}';
    assert_int_equal(tg__sk_parse_account(tg__host(), big, n, NULL, &a, err, sizeof err), TG_OK);
    assert_int_equal(a.status, TG_STATUS_ACTIVE);
    big[n] = ' ';
    assert_int_equal(tg__sk_parse_account(tg__host(), big, n + 1, NULL, &a, err, sizeof err),
                     TG_EPROVIDER);
    assert_string_equal(err, "is larger than 65536 bytes");
    free(big);

    /* Nesting: the limit is refused, a little less is fine. */
    big = malloc(4096);
    assert_non_null(big);
    n = 0;
    n += (size_t)sprintf(big + n, "{\"status\":\"ACTIVE\",\"x\":");
    for (i = 0; i < TG__SK_JSON_DEPTH; i++)
        big[n++] = '[';
    for (i = 0; i < TG__SK_JSON_DEPTH; i++)
        big[n++] = ']';
    big[n++] = '}';
    assert_int_equal(tg__sk_parse_account(tg__host(), big, n, NULL, &a, err, sizeof err),
                     TG_EPROVIDER);
    assert_string_equal(err, "is nested deeper than 32 levels");
    n = 0;
    n += (size_t)sprintf(big + n, "{\"status\":\"ACTIVE\",\"x\":");
    for (i = 0; i < TG__SK_JSON_DEPTH - 2; i++)
        big[n++] = '[';
    for (i = 0; i < TG__SK_JSON_DEPTH - 2; i++)
        big[n++] = ']';
    big[n++] = '}';
    assert_int_equal(tg__sk_parse_account(tg__host(), big, n, NULL, &a, err, sizeof err), TG_OK);
    free(big);

    /* A NULL body with length 0, and a tiny error buffer. */
    assert_int_equal(tg__sk_parse_account(tg__host(), NULL, 0, NULL, &a, err, sizeof err),
                     TG_EPROVIDER);
    assert_int_equal(tg__sk_parse_account(tg__host(), "nope", 4, NULL, &a, err, 4), TG_EPROVIDER);
    assert_string_equal(err, "is ");
}

/* ---- tokens ------------------------------------------------------------- */

static void test_token(void **unused)
{
    tg__sk_token *t = malloc(sizeof *t);
    char err[TG__SK_ERR_MAX];
    (void)unused;
    assert_non_null(t);

    assert_int_equal(token("{\"access_token\":\"eyJhbGciOi.eyJzdWIi.sig-_\",\"token_type\":"
                           "\"Bearer\",\"expires_in\":86399,\"scope\":\"openid\"}",
                           t, err, sizeof err),
                     TG_OK);
    assert_string_equal(t->access_token, "eyJhbGciOi.eyJzdWIi.sig-_");
    assert_int_equal(t->expires_in_s, 86399);

    assert_int_equal(token("{\"accessToken\":\"abc\",\"expiresIn\":\"3600\"}", t, err, sizeof err),
                     TG_OK);
    assert_string_equal(t->access_token, "abc");
    assert_int_equal(t->expires_in_s, 3600);

    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":\" 60 \"}", t, err,
                           sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, 60);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":3600.9}", t, err, sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, 3600);
    assert_int_equal(token("{\"access_token\":\"abc\"}", t, err, sizeof err), TG_OK);
    assert_int_equal(t->expires_in_s, -1);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":\"soon\"}", t, err,
                           sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, -1);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":true}", t, err, sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, -1);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":-5}", t, err, sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, 0);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":1e300}", t, err, sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, 10LL * 365 * 86400);
    assert_int_equal(token("{\"access_token\":\"abc\",\"expires_in\":99999999999999}", t, err,
                           sizeof err),
                     TG_OK);
    assert_int_equal(t->expires_in_s, 10LL * 365 * 86400);

    assert_int_equal(token("{\"token_type\":\"Bearer\"}", t, err, sizeof err), TG_EPROVIDER);
    assert_string_equal(err, "has no access_token");
    assert_int_equal(token("{\"access_token\":\"\"}", t, err, sizeof err), TG_EPROVIDER);
    assert_string_equal(err, "has an access_token that is not a non-empty string");
    assert_int_equal(token("{\"access_token\":42}", t, err, sizeof err), TG_EPROVIDER);
    assert_int_equal(token("{\"access_token\":\"a b\"}", t, err, sizeof err), TG_EPROVIDER);
    assert_string_equal(err, "has an access_token with a byte that is not printable ASCII");
    assert_int_equal(token("{\"access_token\":\"a\\r\\nX-Evil: 1\"}", t, err, sizeof err),
                     TG_EPROVIDER);
    assert_int_equal(token("{\"access_token\":\"caf\\u00e9\"}", t, err, sizeof err),
                     TG_EPROVIDER);
    assert_int_equal(token("garbage", t, err, sizeof err), TG_EPROVIDER);
    assert_string_equal(err, "is not JSON (a syntax error)");
    /* A token answer that does not parse is never quoted: it may hold a token. */
    assert_int_equal(token("{\"access_token\":\"skdev_0123456789abcdef\",\"expires_in\":1} x", t,
                           err, sizeof err),
                     TG_EPROVIDER);
    assert_string_equal(err, "is not JSON (text follows the value)");

    /* Length: the limit is accepted, one more byte is not. */
    {
        size_t n = TG__SK_TOKEN_MAX;
        char *body = malloc(n + 64);
        assert_non_null(body);
        strcpy(body, "{\"access_token\":\"");
        memset(body + 17, 'a', n);
        strcpy(body + 17 + n, "\"}");
        assert_int_equal(token(body, t, err, sizeof err), TG_OK);
        assert_int_equal(strlen(t->access_token), n);
        memset(body + 17, 'a', n + 1);
        strcpy(body + 17 + n + 1, "\"}");
        assert_int_equal(token(body, t, err, sizeof err), TG_EPROVIDER);
        assert_string_equal(err, "has an access_token longer than 8192 bytes");
        free(body);
    }
    free(t);
}

/* ---- links -------------------------------------------------------------- */

static void link_bad(const char *body, const char *expect)
{
    tg__sk_link *l = malloc(sizeof *l);
    char err[TG__SK_ERR_MAX];
    int rc;
    assert_non_null(l);
    rc = link_of(body, l, err, sizeof err);
    if (rc != TG_EPROVIDER || strcmp(err, expect) != 0)
        print_error("body: %.200s\nexpected: %s\nactual (%d): %s\n", body, expect, rc, err);
    assert_int_equal(rc, TG_EPROVIDER);
    assert_string_equal(err, expect);
    assert_string_equal(l->link, "");
    free(l);
}

static void test_link(void **unused)
{
    static const char *const bad_bytes =
        "has a link with a space, a quote, an angle bracket, a backslash or a byte that is not "
        "printable ASCII";
    tg__sk_link *l = malloc(sizeof *l);
    char err[TG__SK_ERR_MAX];
    (void)unused;
    assert_non_null(l);

    assert_int_equal(link_of("{\"link\":\"https://acme.scalekit.dev/magicLink/abc?x=1&y=2\","
                             "\"expiry\":\"2026-01-15T10:05:00Z\"}",
                             l, err, sizeof err),
                     TG_OK);
    assert_string_equal(l->link, "https://acme.scalekit.dev/magicLink/abc?x=1&y=2");
    assert_int_equal(l->expires_at_ms, 1768471500000LL);

    assert_int_equal(link_of("{\"link\":\"http://127.0.0.1:8080/magic/t\",\"expires_at\":"
                             "\"2026-01-15T10:05:00.250Z\"}",
                             l, err, sizeof err),
                     TG_OK);
    assert_int_equal(l->expires_at_ms, 1768471500250LL);
    assert_int_equal(link_of("{\"link\":\"HTTPS://x/y\",\"expiresAt\":\"2026-11-25T15:10:00+02:00\"}",
                             l, err, sizeof err),
                     TG_OK);
    assert_int_equal(l->expires_at_ms, 1795612200000LL);
    /* Hosts: a name, an address, IPv6, a port; then a path, a query or a fragment. */
    assert_int_equal(link_of("{\"link\":\"https://[2001:db8::1]:8443#x\"}", l, err, sizeof err),
                     TG_OK);
    assert_int_equal(link_of("{\"link\":\"https://a.b-c_d~e?q=%22\"}", l, err, sizeof err), TG_OK);
    assert_int_equal(link_of("{\"link\":\"https://x/u/a@b\"}", l, err, sizeof err), TG_OK);
    /* Missing, null or unreadable expiry: 0. */
    assert_int_equal(link_of("{\"link\":\"https://x/y\"}", l, err, sizeof err), TG_OK);
    assert_int_equal(l->expires_at_ms, 0);
    assert_int_equal(link_of("{\"link\":\"https://x/y\",\"expiry\":null}", l, err, sizeof err),
                     TG_OK);
    assert_int_equal(l->expires_at_ms, 0);
    assert_int_equal(link_of("{\"link\":\"https://x/y\",\"expiry\":\"tomorrow\"}", l, err,
                             sizeof err),
                     TG_OK);
    assert_int_equal(l->expires_at_ms, 0);
    assert_int_equal(link_of("{\"link\":\"https://x/y\",\"expiry\":1768471500}", l, err,
                             sizeof err),
                     TG_OK);
    assert_int_equal(l->expires_at_ms, 0);
    free(l);

    /* An expiry at or before the clock: nothing to show the user. */
    link_bad("{\"link\":\"https://x/y\",\"expiry\":\"2023-11-14T22:13:20Z\"}",
             "has a link that expired (expiry \"2023-11-14T22:13:20Z\", 0 s before it arrived; "
             "check both clocks)");
    link_bad("{\"link\":\"https://x/y\",\"expiry\":\"2020-01-01T00:00:00Z\"}",
             "has a link that expired (expiry \"2020-01-01T00:00:00Z\", 122163200 s before it "
             "arrived; check both clocks)");

    link_bad("{\"expiry\":\"2026-01-15T10:05:00Z\"}", "has no link");
    link_bad("{\"link\":\"\"}", "has an empty link: \"\"");
    link_bad("{\"link\":[\"https://x\"]}", "has a link that is not a string");
    link_bad("{\"link\":\"javascript:alert(1)\"}",
             "has a link that is not an absolute http(s) URL: \"javascript:alert(1)\"");
    link_bad("{\"link\":\"/magic/relative\"}",
             "has a link that is not an absolute http(s) URL: \"/magic/relative\"");
    link_bad("{\"link\":\"//evil.example/x\"}",
             "has a link that is not an absolute http(s) URL: \"//evil.example/x\"");
    link_bad("{\"link\":\"ftp://x/y\"}", "has a link that is not an absolute http(s) URL: "
                                         "\"ftp://x/y\"");
    link_bad("{\"link\":\"http://\"}", "has a link without a host: \"http://\"");
    link_bad("{\"link\":\"https:///path\"}", "has a link without a host: \"https:///path\"");
    link_bad("{\"link\":\"https://?q\"}", "has a link without a host: \"https://?q\"");
    link_bad("{\"link\":\"https://a.com/\\\"><script>\"}",
             "has a link with a space, a quote, an angle bracket, a backslash or a byte that is "
             "not printable ASCII: \"https://a.com/\\x22><script>\"");
    link_bad("{\"link\":\"https://a.com/<b>\"}", "has a link with a space, a quote, an angle "
                                                 "bracket, a backslash or a byte that is not "
                                                 "printable ASCII: \"https://a.com/<b>\"");
    link_bad("{\"link\":\"https://a.com/'x'\"}", "has a link with a space, a quote, an angle "
                                                 "bracket, a backslash or a byte that is not "
                                                 "printable ASCII: \"https://a.com/'x'\"");
    link_bad("{\"link\":\"https://a.com\\\\@evil.com/\"}",
             "has a link with a space, a quote, an angle bracket, a backslash or a byte that is "
             "not printable ASCII: \"https://a.com\\x5C@evil.com/\"");
    link_bad("{\"link\":\"https://good.com@evil.com/\"}",
             "has a link with user info ('@' before the host ends): "
             "\"https://good.com@evil.com/\"");
    link_bad("{\"link\":\"https://a.com:99999/\"}",
             "has a link with an invalid port: \"https://a.com:99999/\"");
    link_bad("{\"link\":\"https://a%2ecom/\"}", "has a link with an invalid host: "
                                                "\"https://a%2ecom/\"");
    link_bad("{\"link\":\"https://[::1/\"}",
             "has a link with an invalid IPv6 address: \"https://[::1/\"");
    {
        char expect[256];
        snprintf(expect, sizeof expect, "%s: \"https://x/a b\"", bad_bytes);
        link_bad("{\"link\":\"https://x/a b\"}", expect);
        snprintf(expect, sizeof expect, "%s: \"https://x/\\x0A\"", bad_bytes);
        link_bad("{\"link\":\"https://x/\\n\"}", expect);
        snprintf(expect, sizeof expect, "%s: \"https://x/\\x09\"", bad_bytes);
        link_bad("{\"link\":\"https://x/\\t\"}", expect);
        snprintf(expect, sizeof expect, "%s: \"https://caf\\xC3\\xA9\"", bad_bytes);
        link_bad("{\"link\":\"https://caf\\u00e9\"}", expect);
    }
    link_bad("{\"link\":\"https://x\\u0000y\"}", "has a link that is not a string");
    link_bad("{\"link\":\"https://x/y\"", "is not JSON (it ends too early): it begins "
                                          "\"{\\x22link\\x22:\\x22https://x/y\\x22\"");

    /* Length: TG_LINK_MAX is accepted, one more byte is not. */
    {
        char *body = malloc(TG_LINK_MAX + 64);
        size_t n;
        l = malloc(sizeof *l);
        assert_non_null(l);
        assert_non_null(body);
        n = (size_t)sprintf(body, "{\"link\":\"https://x/");
        memset(body + n, 'a', TG_LINK_MAX - 10);
        strcpy(body + n + TG_LINK_MAX - 10, "\"}");
        assert_int_equal(link_of(body, l, err, sizeof err), TG_OK);
        assert_int_equal(strlen(l->link), TG_LINK_MAX);
        memset(body + n, 'a', TG_LINK_MAX - 9);
        strcpy(body + n + TG_LINK_MAX - 9, "\"}");
        assert_int_equal(link_of(body, l, err, sizeof err), TG_EPROVIDER);
        assert_memory_equal(err, "has a link longer than 2048 bytes: \"https://x/aaa",
                            strlen("has a link longer than 2048 bytes: \"https://x/aaa"));
        free(body);
        free(l);
    }
}

/* ---- RFC 3339 ----------------------------------------------------------- */

static void test_rfc3339(void **unused)
{
    (void)unused;
    assert_int_equal(rfc3339("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(rfc3339("2026-01-15T10:05:00Z"), 1768471500000LL);
    assert_int_equal(rfc3339("2026-01-15t10:05:00z"), 1768471500000LL);
    assert_int_equal(rfc3339("2026-01-15 10:05:00Z"), 1768471500000LL);
    assert_int_equal(rfc3339("2026-01-15T10:05:00+00:00"), 1768471500000LL);
    assert_int_equal(rfc3339("2026-01-15T10:05:00-00:00"), 1768471500000LL);
    assert_int_equal(rfc3339("2024-02-29T23:59:59.123Z"), 1709251199123LL);
    assert_int_equal(rfc3339("2024-02-29T23:59:59.1Z"), 1709251199100LL);
    assert_int_equal(rfc3339("2024-02-29T23:59:59.12Z"), 1709251199120LL);
    assert_int_equal(rfc3339("2024-02-29T23:59:59.123999999Z"), 1709251199123LL);
    assert_int_equal(rfc3339("2025-12-02T06:31:34.895815554Z"), 1764657094895LL);
    assert_int_equal(rfc3339("2026-11-25T15:10:00+02:00"), 1795612200000LL);
    assert_int_equal(rfc3339("2000-03-01T00:00:00-05:30"), 951888600000LL);
    assert_int_equal(rfc3339("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(rfc3339("0001-01-01T00:00:00Z"), -62135596800000LL);
    assert_int_equal(rfc3339("9999-12-31T23:59:59Z"), 253402300799000LL);
    assert_int_equal(rfc3339("2016-12-31T23:59:60Z"), 1483228800000LL); /* leap second */

    rfc3339_bad("");
    rfc3339_bad("2026-01-15");
    rfc3339_bad("2026-01-15T10:05:00");     /* no zone */
    rfc3339_bad("2026-01-15T10:05Z");
    rfc3339_bad("2026-01-15T10:05:00ZZ");
    rfc3339_bad("2026-01-15T10:05:00Z ");
    rfc3339_bad("2026-01-15T10:05:00.Z");
    rfc3339_bad("2026-01-15T10:05:00+0200");
    rfc3339_bad("2026-01-15T10:05:00+02");
    rfc3339_bad("2026-01-15T10:05:00+24:00");
    rfc3339_bad("2026-01-15T10:05:00+02:60");
    rfc3339_bad("2026-13-15T10:05:00Z");
    rfc3339_bad("2026-00-15T10:05:00Z");
    rfc3339_bad("2026-01-00T10:05:00Z");
    rfc3339_bad("2026-01-32T10:05:00Z");
    rfc3339_bad("2025-02-29T10:05:00Z");
    rfc3339_bad("1900-02-29T10:05:00Z");
    rfc3339_bad("2026-04-31T10:05:00Z");
    rfc3339_bad("2026-01-15T24:00:00Z");
    rfc3339_bad("2026-01-15T10:60:00Z");
    rfc3339_bad("2026-01-15T10:05:61Z");
    rfc3339_bad("2026-01-15X10:05:00Z");
    rfc3339_bad("2026/01/15T10:05:00Z");
    rfc3339_bad("+026-01-15T10:05:00Z");
    rfc3339_bad("2026-1-15T10:05:00Z ");
    rfc3339_bad("1768471500");
    assert_int_equal(rfc3339("2000-02-29T00:00:00Z"), 951782400000LL);
}

/* ---- error answers ------------------------------------------------------ */

static void summary_of(const char *body, char *out, size_t cap)
{
    static const tg__sk_secrets secrets = { { "s3cr3t-XYZ-123", "tok.abcdefgh" } };
    size_t n = strlen(body);
    char *copy = unterminated(body, n);
    tg__sk_error_summary(copy, n, &secrets, out, cap);
    free(copy);
}

static void test_error_summary(void **unused)
{
    char out[600];
    char long_msg[400];
    (void)unused;

    summary_of("{\"code\":16,\"message\":\"Token empty\",\"details\":[{\"@type\":\"x\","
               "\"error_code\":\"UNAUTHENTICATED\"}]}",
               out, sizeof out);
    assert_string_equal(out, "Token empty");
    summary_of("{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}", out,
               sizeof out);
    assert_string_equal(out, "bad secret");
    summary_of("{\"error\":\"invalid_client\"}", out, sizeof out);
    assert_string_equal(out, "invalid_client");
    summary_of("{\"error\":{\"code\":503,\"message\":\"overloaded\"}}", out, sizeof out);
    assert_string_equal(out, "overloaded");
    summary_of("{\"message\":\"a\\nb\\\"c\\u00e9\"}", out, sizeof out);
    assert_string_equal(out, "a\\x0Ab\\x22c\\xC3\\xA9");
    /* Not JSON: its beginning, quoted. */
    summary_of("<html>oops</html>", out, sizeof out);
    assert_string_equal(out, "<html>oops</html>");
    summary_of("{\"message\":42}", out, sizeof out);
    assert_string_equal(out, "");
    summary_of("[1,2]", out, sizeof out);
    assert_string_equal(out, "");
    summary_of("", out, sizeof out);
    assert_string_equal(out, "");

    /* Secrets echoed by the provider never reach the summary. */
    summary_of("{\"error\":{\"message\":\"Authorization: Bearer tok.abcdefgh is forbidden\"}}",
               out, sizeof out);
    assert_string_equal(out, "Authorization: Bearer [redacted] is forbidden");
    summary_of("{\"message\":\"client_secret=s3cr3t-XYZ-123&x=1\"}", out, sizeof out);
    assert_string_equal(out, "client_secret=[redacted]&x=1");
    summary_of("client_secret=s3cr3t%2DXYZ%2D123", out, sizeof out);
    assert_string_equal(out, "client_secret=[redacted]");
    summary_of("{\"message\":\"\\\"s3cr3t-\\\" \\\"XYZ-123\\\"\"}", out, sizeof out);
    assert_string_equal(out, "\\x22[redacted]\\x22");

    strcpy(long_msg, "{\"message\":\"");
    memset(long_msg + 12, 'm', 300);
    strcpy(long_msg + 312, "\"}");
    summary_of(long_msg, out, sizeof out);
    assert_int_equal(strlen(out), 123);
    assert_string_equal(out + 120, "...");
    summary_of(long_msg, out, 10);
    assert_string_equal(out, "mmmmm...");
}

/* ---- percent-encoding --------------------------------------------------- */

static void test_pct_encode(void **unused)
{
    char out[64];
    (void)unused;
    assert_int_equal(tg__sk_pct_encode("user_123", out, sizeof out), TG_OK);
    assert_string_equal(out, "user_123");
    assert_int_equal(tg__sk_pct_encode("john+x@acme.com", out, sizeof out), TG_OK);
    assert_string_equal(out, "john%2Bx%40acme.com");
    assert_int_equal(tg__sk_pct_encode("a b&c=d/e?f#g%h~i-j", out, sizeof out), TG_OK);
    assert_string_equal(out, "a%20b%26c%3Dd%2Fe%3Ff%23g%25h~i-j");
    assert_int_equal(tg__sk_pct_encode("\xc3\xa9", out, sizeof out), TG_OK);
    assert_string_equal(out, "%C3%A9");
    assert_int_equal(tg__sk_pct_encode("", out, sizeof out), TG_OK);
    assert_string_equal(out, "");
    /* Exact fit and one byte short. */
    assert_int_equal(tg__sk_pct_encode("a@", out, 5), TG_OK);
    assert_string_equal(out, "a%40");
    assert_int_equal(tg__sk_pct_encode("a@", out, 4), TG_EBUFS);
    assert_string_equal(out, "");
    assert_int_equal(tg__sk_pct_encode("ab", out, 2), TG_EBUFS);
    assert_int_equal(tg__sk_pct_encode("a", out, 0), TG_EBUFS);
}

/* ---- environment URL ---------------------------------------------------- */

static void url_ok(const char *in, const char *expect, int loopback)
{
    char out[256], err[160] = "";
    tg__sk_env_url info;
    int rc = tg__sk_check_env_url(in, out, sizeof out, &info, err, sizeof err);
    if (rc != TG_OK)
        print_error("url: %s\nerror: %s\n", in, err);
    assert_int_equal(rc, TG_OK);
    assert_string_equal(out, expect);
    assert_int_equal(info.loopback, loopback);
}

static void url_bad(const char *in, const char *expect)
{
    char out[256], err[160] = "";
    tg__sk_env_url info;
    int rc = tg__sk_check_env_url(in, out, sizeof out, &info, err, sizeof err);
    if (rc != TG_EINVAL || strcmp(err, expect) != 0)
        print_error("url: %s\nexpected: %s\nactual (%d): %s\n", in, expect, rc, err);
    assert_int_equal(rc, TG_EINVAL);
    assert_string_equal(err, expect);
    assert_int_equal(info.loopback, 0);
}

static void test_env_url(void **unused)
{
    static const char *const plain_http =
        "must use https:// (plain http:// is accepted only for 127.x.y.z, [::1] and localhost)";
    char out[16], err[160];
    tg__sk_env_url info;
    (void)unused;

    url_ok("https://acme.scalekit.dev", "https://acme.scalekit.dev", 0);
    url_ok("https://acme.scalekit.dev/", "https://acme.scalekit.dev", 0);
    url_ok("https://acme.scalekit.dev///", "https://acme.scalekit.dev", 0);
    url_ok("HTTPS://Acme.Scalekit.com:8443/prefix/", "HTTPS://Acme.Scalekit.com:8443/prefix", 0);
    url_ok("https://[2001:db8::1]:443", "https://[2001:db8::1]:443", 0);
    /* Loopback: canonical 127.x.y.z, [::1], localhost in any case (pinned). */
    url_ok("http://127.0.0.1:8080/", "http://127.0.0.1:8080", 1);
    url_ok("http://127.1.2.3", "http://127.1.2.3", 1);
    url_ok("http://127.255.255.255", "http://127.255.255.255", 1);
    url_ok("http://127.0.0.0", "http://127.0.0.0", 1);
    url_ok("http://[::1]:9000/", "http://[::1]:9000", 1);
    url_ok("http://localhost:1234", "http://localhost:1234", 1);
    url_ok("http://LOCALHOST", "http://localhost", 1);
    url_ok("http://LocalHost:80/base", "http://localhost:80/base", 1);
    url_ok("https://127.0.0.1", "https://127.0.0.1", 1);
    url_ok("https://localhost", "https://localhost", 1);
    /* Names that only a resolver would take to loopback are names like any
     * other: fine with https://, refused with http://. */
    url_ok("https://localhost.", "https://localhost.", 0);
    url_ok("https://127.1", "https://127.1", 0);

    url_bad("http://acme.scalekit.dev", plain_http);
    url_bad("http://localhost.", plain_http);
    url_bad("http://LOCALHOST.", plain_http);
    url_bad("http://localhost.:8080", plain_http);
    url_bad("http://localhost.localdomain", plain_http);
    url_bad("http://localhost.evil.com", plain_http);
    url_bad("http://evil.localhost", plain_http);
    url_bad("http://127.0.0.1.nip.io", plain_http);
    url_bad("http://127.1", plain_http);
    url_bad("http://127.0.1", plain_http);
    url_bad("http://0x7f.1", plain_http);
    url_bad("http://0x7f.0.0.1", plain_http);
    url_bad("http://0x7f000001", plain_http);
    url_bad("http://2130706433", plain_http);
    url_bad("http://0177.0.0.1", plain_http);
    url_bad("http://127.000.0.1", plain_http);
    url_bad("http://127.0.0.01", plain_http);
    url_bad("http://127.0.0.1.", plain_http);
    url_bad("http://128.0.0.1", plain_http);
    url_bad("http://127.0.0.256", plain_http);
    url_bad("http://127.0.0.1000", plain_http);
    url_bad("http://127.0.0", plain_http);
    url_bad("http://[::2]", plain_http);
    url_bad("http://[0:0:0:0:0:0:0:1]", plain_http);
    url_bad("http://[::ffff:127.0.0.1]", plain_http);
    url_bad("http://0.0.0.0", plain_http);
    url_bad("", "is empty");
    url_bad("acme.scalekit.dev", "must start with https://");
    url_bad("ftp://acme", "must start with https://");
    url_bad("file:///etc/passwd", "must start with https://");
    url_bad("https://", "has no host");
    url_bad("https:///x", "has no host");
    url_bad("https://:443", "has no host");
    url_bad("https://user:pw@acme.scalekit.dev", "must not contain user info ('@')");
    url_bad("https://acme.scalekit.dev/?x=1", "must not contain a query or a fragment");
    url_bad("https://acme.scalekit.dev#f", "must not contain a query or a fragment");
    url_bad("https://acme scalekit", "contains a character that is not allowed in a URL");
    url_bad("https://acme\\scalekit", "contains a character that is not allowed in a URL");
    url_bad("https://acme.dev\r\n", "contains a character that is not allowed in a URL");
    url_bad("https://ac%6De.dev", "has an invalid host name");
    url_bad("https://acme.dev:", "has an invalid port");
    url_bad("https://acme.dev:0", "has an invalid port");
    url_bad("https://acme.dev:65536", "has an invalid port");
    url_bad("https://acme.dev:443443", "has an invalid port");
    url_bad("https://acme.dev:8a", "has an invalid port");
    url_bad("https://[::1", "has an invalid IPv6 address");
    url_bad("https://[]", "has an invalid IPv6 address");
    url_bad("https://[::g]", "has an invalid IPv6 address");
    url_bad("https://[::1]x", "has an invalid host name");

    /* What it says: port (explicit or the scheme's), host:port, the pin. */
    assert_int_equal(tg__sk_check_env_url("http://LocalHost:8080/x", err, sizeof err, &info, NULL,
                                          0),
                     TG_OK);
    assert_int_equal(info.pin_localhost, 1);
    assert_int_equal(info.port, 8080);
    assert_string_equal(info.hostport, "localhost:8080");
    assert_int_equal(tg__sk_check_env_url("http://127.0.0.1", err, sizeof err, &info, NULL, 0),
                     TG_OK);
    assert_int_equal(info.pin_localhost, 0);
    assert_int_equal(info.port, 80);
    assert_string_equal(info.hostport, "127.0.0.1:80");
    assert_int_equal(tg__sk_check_env_url("https://[::1]", err, sizeof err, &info, NULL, 0), TG_OK);
    assert_int_equal(info.port, 443);
    assert_string_equal(info.hostport, "[::1]:443");

    assert_int_equal(tg__sk_check_env_url("https://a.example.com", out, sizeof out, &info, err,
                                          sizeof err),
                     TG_EBUFS);
    assert_int_equal(tg__sk_check_env_url("https://a.examp", out, sizeof out, &info, err,
                                          sizeof err),
                     TG_OK);
}

/* ---- configuration ------------------------------------------------------ */

static const char *const *fake_env;

static const char *env_lookup(const char *name)
{
    const char *const *p;
    for (p = fake_env; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static int config(const char *json, const char *const *env, tg__sk_config *cfg)
{
    fake_env = env;
    return tg__sk_config_parse(tg__host(), json, env_lookup, cfg);
}

static void config_bad(const char *json, const char *const *env, const char *expect)
{
    tg__sk_config cfg;
    int rc = config(json, env, &cfg);
    if (rc != TG_ECONFIG || strcmp(tg_error_message(), expect) != 0)
        print_error("config: %s\nexpected: %s\nactual (%d): %s\n", json, expect, rc,
                    tg_error_message());
    assert_int_equal(rc, TG_ECONFIG);
    assert_string_equal(tg_error_message(), expect);
    assert_null(cfg.client_secret);
    assert_null(cfg.environment_url);
}

static void test_config(void **unused)
{
    static const char *const none[] = { NULL };
    static const char *const full_env[] = { "SCALEKIT_ENVIRONMENT_URL", "https://env.scalekit.dev/",
                                            "SCALEKIT_CLIENT_ID", "env_id",
                                            "SCALEKIT_CLIENT_SECRET", "env_secret", NULL };
    static const char *const empty_env[] = { "SCALEKIT_ENVIRONMENT_URL", "",
                                             "SCALEKIT_CLIENT_ID", "",
                                             "SCALEKIT_CLIENT_SECRET", "", NULL };
    tg__sk_config cfg;
    (void)unused;

    assert_int_equal(config("{\"environment_url\":\"https://acme.scalekit.dev/\","
                            "\"client_id\":\"skc_1\",\"client_secret\":\"s3cr3t\"}",
                            none, &cfg),
                     TG_OK);
    assert_string_equal(cfg.environment_url, "https://acme.scalekit.dev");
    assert_string_equal(cfg.client_id, "skc_1");
    assert_string_equal(cfg.client_secret, "s3cr3t");
    assert_int_equal(cfg.timeout_ms, 5000);
    assert_int_equal(cfg.create_missing, 1);
    assert_int_equal(cfg.url.loopback, 0);
    tg__sk_config_clear(&cfg);
    assert_null(cfg.client_secret);

    /* Everything from the environment; the object wins where it speaks. */
    assert_int_equal(config("{}", full_env, &cfg), TG_OK);
    assert_string_equal(cfg.environment_url, "https://env.scalekit.dev");
    assert_string_equal(cfg.client_id, "env_id");
    assert_string_equal(cfg.client_secret, "env_secret");
    tg__sk_config_clear(&cfg);
    assert_int_equal(config(NULL, full_env, &cfg), TG_OK);
    tg__sk_config_clear(&cfg);
    assert_int_equal(config("{\"environment_url\":\"http://127.0.0.1:9/\",\"client_id\":\"x\","
                            "\"timeout_ms\":250,\"create_missing\":false}",
                            full_env, &cfg),
                     TG_OK);
    assert_string_equal(cfg.environment_url, "http://127.0.0.1:9");
    assert_string_equal(cfg.client_id, "x");
    assert_string_equal(cfg.client_secret, "env_secret");
    assert_int_equal(cfg.timeout_ms, 250);
    assert_int_equal(cfg.create_missing, 0);
    assert_int_equal(cfg.url.loopback, 1);
    tg__sk_config_clear(&cfg);

    config_bad("{\"environment_url\":\"https://a\",\"client_id\":\"i\",\"client_secret\":\"s\","
               "\"foo\":1}",
               none, "config: unknown key \"provider.foo\"");
    config_bad("{\"path\":\"x\"}", full_env, "config: unknown key \"provider.path\"");
    config_bad("{\"timeout_ms\":\"5000\"}", full_env,
               "config: \"provider.timeout_ms\" must be an integer");
    config_bad("{\"timeout_ms\":1.5}", full_env,
               "config: \"provider.timeout_ms\" must be an integer");
    config_bad("{\"timeout_ms\":0}", full_env,
               "config: \"provider.timeout_ms\" must be from 1 to 600000");
    config_bad("{\"timeout_ms\":600001}", full_env,
               "config: \"provider.timeout_ms\" must be from 1 to 600000");
    config_bad("{\"create_missing\":1}", full_env,
               "config: \"provider.create_missing\" must be a boolean");
    config_bad("{\"client_id\":7}", full_env, "config: \"provider.client_id\" must be a string");
    config_bad("{\"client_secret\":null}", full_env,
               "config: \"provider.client_secret\" must be a string");
    config_bad("{\"environment_url\":[]}", full_env,
               "config: \"provider.environment_url\" must be a string");
    config_bad("{\"client_id\":\"\"}", full_env,
               "config: \"provider.client_id\" must not be empty");
    config_bad("{\"client_id\":\"a\\u0000b\"}", full_env,
               "config: \"provider.client_id\" contains a NUL character");
    config_bad("{\"client_id\":\"i\",\"client_secret\":\"s\"}", none,
               "config: the scalekit provider needs \"provider.environment_url\" (or "
               "SCALEKIT_ENVIRONMENT_URL)");
    config_bad("{}", empty_env,
               "config: the scalekit provider needs \"provider.environment_url\" (or "
               "SCALEKIT_ENVIRONMENT_URL)");
    config_bad("{\"environment_url\":\"https://a\",\"client_secret\":\"s\"}", none,
               "config: the scalekit provider needs \"provider.client_id\" (or "
               "SCALEKIT_CLIENT_ID)");
    config_bad("{\"environment_url\":\"https://a\",\"client_id\":\"i\"}", none,
               "config: the scalekit provider needs \"provider.client_secret\" (or "
               "SCALEKIT_CLIENT_SECRET)");
    config_bad("{\"environment_url\":\"http://acme.scalekit.dev\"}", full_env,
               "config: \"provider.environment_url\" must use https:// (plain http:// is "
               "accepted only for 127.x.y.z, [::1] and localhost)");
    config_bad("{\"environment_url\":\"https://u:p@acme\"}", full_env,
               "config: \"provider.environment_url\" must not contain user info ('@')");
    config_bad("[]", full_env, "config: \"provider\" must be an object");
    config_bad("{", full_env, "config: \"provider\" is not valid JSON");
    config_bad("{} x", full_env, "config: \"provider\" is not valid JSON");
    config_bad("{\"\\u0001k\\\"ey\":1}", full_env,
               "config: unknown key \"provider.\\x01k\\x22ey\"");

    /* Lengths. */
    {
        char *json = malloc(5000);
        size_t n;
        assert_non_null(json);
        n = (size_t)sprintf(json, "{\"client_secret\":\"");
        memset(json + n, 's', TG__SK_CREDENTIAL_MAX + 1);
        strcpy(json + n + TG__SK_CREDENTIAL_MAX + 1, "\"}");
        config_bad(json, full_env, "config: \"provider.client_secret\" is longer than 1024 bytes");
        strcpy(json + n + TG__SK_CREDENTIAL_MAX, "\"}");
        assert_int_equal(config(json, full_env, &cfg), TG_OK);
        tg__sk_config_clear(&cfg);
        n = (size_t)sprintf(json, "{\"environment_url\":\"https://a/");
        memset(json + n, 'p', TG__SK_URL_MAX);
        strcpy(json + n + TG__SK_URL_MAX, "\"}");
        config_bad(json, full_env, "config: \"provider.environment_url\" is longer than 2048 bytes");
        free(json);
    }
}

/* A secret handed in by the environment never shows in a message. */
static void test_config_secret_not_echoed(void **unused)
{
    static const char *const env[] = { "SCALEKIT_CLIENT_SECRET", "TOPSECRET-123", NULL };
    tg__sk_config cfg;
    (void)unused;
    assert_int_equal(config("{\"environment_url\":\"http://example.com\",\"client_id\":\"i\"}",
                            env, &cfg),
                     TG_ECONFIG);
    assert_null(strstr(tg_error_message(), "TOPSECRET"));
    assert_int_equal(config("{\"client_secret\":\"TOPSECRET-123\",\"bogus\":true}", env, &cfg),
                     TG_ECONFIG);
    assert_null(strstr(tg_error_message(), "TOPSECRET"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account_shapes),
        cmocka_unit_test(test_account_statuses),
        cmocka_unit_test(test_account_without_status),
        cmocka_unit_test(test_account_errors),
        cmocka_unit_test(test_account_bounds),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_error_summary),
        cmocka_unit_test(test_pct_encode),
        cmocka_unit_test(test_env_url),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_secret_not_echoed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
