/* The scalekit provider's secret scrubber (plugins/scalekit/scrub.c) and its
 * quoting of provider text (quote.c), on canned text: every encoding a
 * provider may echo a secret in, cut short or split, and what must be left
 * alone. No server, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quote.h"
#include "scrub.h"

#define SECRET "s3cr3t-XYZ/123"
#define TOKEN "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJza2MifQ.c2lnbmF0dXJl"

static const tg__sk_secrets both = { { SECRET, TOKEN } };

/* Scrub @p text with @p secrets; the result, from a static buffer. */
static const char *scrub_with(const tg__sk_secrets *secrets, const char *text, int *runs)
{
    static char out[8192];
    size_t n = strlen(text), len = 99999;
    char *copy = malloc(n ? n : 1); /* not NUL-terminated: an over-read shows under ASan */
    int r;
    assert_non_null(copy);
    memcpy(copy, text, n);
    r = tg__sk_scrub(copy, n, secrets, out, sizeof out, &len);
    free(copy);
    assert_true(r >= 0);
    assert_int_equal(len, strlen(out));
    if (runs)
        *runs = r;
    return out;
}

static const char *scrub(const char *text)
{
    return scrub_with(&both, text, NULL);
}

static void expect(const char *text, const char *want)
{
    const char *got = scrub(text);
    if (strcmp(got, want) != 0)
        print_error("text:     %s\nexpected: %s\nactual:   %s\n", text, want, got);
    assert_string_equal(got, want);
}

/* ---- raw ---------------------------------------------------------------- */

static void test_raw(void **unused)
{
    int runs = -1;
    (void)unused;
    expect("nothing secret here", "nothing secret here");
    expect("", "");
    expect(SECRET, "[redacted]");
    expect("secret " SECRET " is wrong", "secret [redacted] is wrong");
    expect("Authorization: Bearer " TOKEN, "Authorization: Bearer [redacted]");
    expect(SECRET SECRET, "[redacted]");
    assert_string_equal(scrub_with(&both, "a " SECRET " b " TOKEN " c " SECRET, &runs),
                        "a [redacted] b [redacted] c [redacted]");
    assert_int_equal(runs, 3);
    assert_string_equal(scrub_with(&both, "clean", &runs), "clean");
    assert_int_equal(runs, 0);
    /* Neighbours stay: only the secret's bytes go. */
    expect("client_id=dev_client&client_secret=" SECRET "&grant_type=client_credentials",
           "client_id=dev_client&client_secret=[redacted]&grant_type=client_credentials");
}

/* ---- percent-encoding ----------------------------------------------------- */

static void test_percent(void **unused)
{
    (void)unused;
    /* As a form body carries it: only the reserved bytes encoded. */
    expect("client_secret=s3cr3t-XYZ%2F123&x=1", "client_secret=[redacted]&x=1");
    expect("client_secret=s3cr3t-XYZ%2f123", "client_secret=[redacted]");
    /* Every byte encoded, upper and lower hex. */
    expect("%73%33%63%72%33%74%2D%58%59%5A%2F%31%32%33", "[redacted]");
    expect("%73%33%63%72%33%74%2d%58%59%5a%2f%31%32%33", "[redacted]");
    expect("x=%73%33%63%72%33%74%2D%58%59%5A%2F%31%32%33&y", "x=[redacted]&y");
    /* Twice (a form body inside a query). */
    expect("s3cr3t-XYZ%252F123", "[redacted]");
    /* '+' for a space, in a secret that has one. */
    {
        static const tg__sk_secrets spaced = { { "open sesame 42" } };
        assert_string_equal(scrub_with(&spaced, "pw=open+sesame+42", NULL), "pw=[redacted]");
        assert_string_equal(scrub_with(&spaced, "pw=open%20sesame%2042", NULL), "pw=[redacted]");
    }
    /* A broken escape is just text. */
    expect("100%zz done", "100%zz done");
}

/* ---- JSON and other escapes ------------------------------------------------ */

static void test_escapes(void **unused)
{
    (void)unused;
    expect("{\"secret\":\"s3cr3t-XYZ\\/123\"}", "{\"secret\":\"[redacted]\"}");
    expect("\\u0073\\u0033\\u0063\\u0072\\u0033\\u0074\\u002d\\u0058\\u0059\\u005a\\u002f"
           "\\u0031\\u0032\\u0033",
           "[redacted]");
    expect("\\u0073\\u0033\\u0063\\u0072\\u0033\\u0074\\u002D\\u0058\\u0059\\u005A\\u002F"
           "\\u0031\\u0032\\u0033",
           "[redacted]");
    /* A mix of escaped and plain bytes. */
    expect("s3cr\\u0033t-XYZ\\/123", "[redacted]");
    /* \xNN, as an excerpt writes bytes it will not show raw. */
    expect("s3cr3t-XYZ\\x2F123", "[redacted]");
    /* HTML character references, from an error page. */
    expect("<p>s3cr3t-XYZ&#x2F;123</p>", "<p>[redacted]</p>");
    expect("<p>s3cr3t-XYZ&#47;123</p>", "<p>[redacted]</p>");
    /* Layers: JSON-escaped percent-encoding, percent-encoded JSON escapes. */
    expect("\\u0025\\u0037\\u0033\\u0025\\u0033\\u0033\\u0063r3t-XYZ%2F123", "[redacted]");
    expect("%5Cu0073%5Cu0033cr3t-XYZ%5C%2F123", "[redacted]");
    /* Escapes of what is not a secret stay as they are. */
    expect("a\\nb \\u00e9 %41 &amp; \\/", "a\\nb \\u00e9 %41 &amp; \\/");
}

static void test_non_ascii(void **unused)
{
    static const tg__sk_secrets utf8 = { { "p\xc3\xa4ssw\xc3\xb6rd-\xf0\x9f\x94\x91-42" } };
    (void)unused;
    assert_string_equal(scrub_with(&utf8, "pw: p\xc3\xa4ssw\xc3\xb6rd-\xf0\x9f\x94\x91-42", NULL),
                        "pw: [redacted]");
    /* \u escapes of UTF-8, with a surrogate pair for the key emoji. */
    assert_string_equal(
        scrub_with(&utf8, "pw: p\\u00e4ssw\\u00f6rd-\\ud83d\\udd11-42", NULL), "pw: [redacted]");
    assert_string_equal(
        scrub_with(&utf8, "pw: p%C3%A4ssw%C3%B6rd-%F0%9F%94%91-42", NULL), "pw: [redacted]");
    assert_string_equal(scrub_with(&utf8, "pw: p&#228;ssw&#xF6;rd-&#x1F511;-42", NULL),
                        "pw: [redacted]");
}

/* ---- cut short, split ------------------------------------------------------ */

static void test_cut_short(void **unused)
{
    (void)unused;
    /* A prefix of 8 bytes or more at the end of an excerpt. */
    expect("secret s3cr3t-X...", "secret [redacted]...");
    expect("secret s3cr3t-X", "secret [redacted]");
    expect("token " TOKEN, "token [redacted]");
    expect("Bearer eyJhbGciOiJS", "Bearer [redacted]");
    /* A suffix at the start, and a piece in the middle. */
    expect("...3t-XYZ/123 is wrong", "...[redacted] is wrong");
    expect("(3t-XYZ/12)", "([redacted])");
    /* Percent-encoded and cut in the middle of an escape: the complete
     * escapes are enough. */
    expect("s3cr3t-XYZ%2", "[redacted]%2");
    /* Seven bytes are below the threshold: they stay. */
    expect("s3cr3t-", "s3cr3t-");
    expect("X/123 ok", "X/123 ok");
}

static void test_split(void **unused)
{
    (void)unused;
    expect("\"s3cr3t-\" \"XYZ/123\"", "\"[redacted]\"");
    expect("[\"s3cr\",\"3t-XYZ/123\"]", "[\"[redacted]\"]");
    expect("'s3cr3t' + '-XYZ/123'", "'[redacted]'");
    expect("s3cr3t-X\nYZ/123", "[redacted]");
    expect("`s3cr3t-XYZ` `/123`", "`[redacted]`");
    /* Split and escaped: JSON string boundaries inside a JSON string. */
    expect("{\"m\":\"\\\"s3cr3t-\\\" \\\"XYZ/123\\\"\"}",
           "{\"m\":\"\\\"[redacted]\\\"\"}");
    /* Pieces shorter than the threshold, split apart: together they are a
     * run of the secret, and go. */
    expect("\"s3cr\" \"3t-X\" \"YZ/1\" \"23\"", "\"[redacted]\"");
    /* Joiners between a secret and other text stay. */
    expect("\"" SECRET "\", \"next\"", "\"[redacted]\", \"next\"");
}

/* ---- secrets of every shape ------------------------------------------------- */

static void test_short_and_odd_secrets(void **unused)
{
    static const tg__sk_secrets short_one = { { "abc" } };
    static const tg__sk_secrets with_marker = { { "x[redacted]y-0123" } };
    static const tg__sk_secrets with_escape = { { "ab%41cd\\u0041efgh" } };
    static const tg__sk_secrets joiners = { { "\" \"" } };
    static const tg__sk_secrets none = { { NULL, "", NULL } };
    (void)unused;
    /* Shorter than the threshold: only whole. */
    assert_string_equal(scrub_with(&short_one, "xabcx ab", NULL), "x[redacted]x ab");
    /* A secret with escapes in it, echoed as it is, and encoded. */
    assert_string_equal(scrub_with(&with_escape, "v=ab%41cd\\u0041efgh;", NULL), "v=[redacted];");
    assert_string_equal(scrub_with(&with_escape, "v=ab%2541cd%5Cu0041efgh;", NULL),
                        "v=[redacted];");
    /* A secret that holds the marker: the result still holds none of it. */
    {
        const char *out = scrub_with(&with_marker, "is x[redacted]y-0123 ok", NULL);
        assert_int_equal(tg__sk_scrub_finds(out, strlen(out), &with_marker), 0);
    }
    /* Nothing to look for. */
    assert_string_equal(scrub_with(&none, SECRET, NULL), SECRET);
    assert_string_equal(scrub_with(NULL, SECRET, NULL), SECRET);
    assert_string_equal(scrub_with(&joiners, "a\" \"b", NULL), "a\" \"b");
}

/* ---- bounds ------------------------------------------------------------------ */

static void test_bounds(void **unused)
{
    char out[32], *big;
    size_t len = 0, i;
    int runs;
    (void)unused;

    /* The output is cut at the buffer, never past it, and never mid-marker
     * into a half secret. */
    runs = tg__sk_scrub("0123456789 " SECRET " 0123456789", 36, &both, out, sizeof out, &len);
    assert_int_equal(runs, 1);
    assert_string_equal(out, "0123456789 [redacted] 012345678");
    assert_int_equal(len, 31);
    runs = tg__sk_scrub(SECRET, strlen(SECRET), &both, out, 5, &len);
    assert_string_equal(out, "");
    assert_int_equal(tg__sk_scrub(SECRET, strlen(SECRET), &both, out, 0, NULL), 0);
    assert_int_equal(tg__sk_scrub(NULL, 0, &both, out, sizeof out, &len), 0);
    assert_string_equal(out, "");

    /* NUL bytes in the text are kept; the length says where it ends. */
    {
        static const char text[] = "a\0" SECRET "\0b";
        char buf[64];
        assert_int_equal(tg__sk_scrub(text, sizeof text - 1, &both, buf, sizeof buf, &len), 1);
        assert_int_equal(len, 14);
        assert_memory_equal(buf, "a\0[redacted]\0b", 14);
    }

    /* Past TG__SK_SCRUB_IN_MAX bytes the text is dropped, not shown unscrubbed. */
    big = malloc(TG__SK_SCRUB_IN_MAX + 64);
    assert_non_null(big);
    for (i = 0; i < TG__SK_SCRUB_IN_MAX + 64; i++)
        big[i] = 'a';
    memcpy(big + TG__SK_SCRUB_IN_MAX - 10, SECRET, strlen(SECRET));
    {
        char *o = malloc(TG__SK_SCRUB_IN_MAX + 128);
        assert_non_null(o);
        tg__sk_scrub(big, TG__SK_SCRUB_IN_MAX + 64, &both, o, TG__SK_SCRUB_IN_MAX + 128, &len);
        /* "s3cr3t-XYZ" is inside and redacted; "/123" and the rest are not shown. */
        assert_int_equal(len, TG__SK_SCRUB_IN_MAX);
        assert_string_equal(o + TG__SK_SCRUB_IN_MAX - 10, "[redacted]");
        free(o);
    }
    free(big);
}

/* A token of the longest kind against a long text takes no noticeable time
 * and finds what it should (no timing asserted: the count is). */
static void test_long_secrets(void **unused)
{
    char *token = malloc(8193), *text = malloc(TG__SK_SCRUB_IN_MAX + 1);
    char *out = malloc(2 * TG__SK_SCRUB_IN_MAX);
    tg__sk_secrets s;
    size_t i, len;
    (void)unused;
    assert_non_null(token);
    assert_non_null(text);
    assert_non_null(out);
    for (i = 0; i < 8192; i++)
        token[i] = (char)('A' + (i * 7 + i / 26) % 26);
    token[8192] = '\0';
    for (i = 0; i < TG__SK_SCRUB_IN_MAX; i++)
        text[i] = (char)('a' + i % 26);
    memcpy(text + 1000, token + 4000, 40);
    s.item[0] = token;
    s.item[1] = s.item[2] = s.item[3] = NULL;
    assert_int_equal(tg__sk_scrub(text, TG__SK_SCRUB_IN_MAX, &s, out, 2 * TG__SK_SCRUB_IN_MAX,
                                  &len),
                     1);
    assert_int_equal(len, TG__SK_SCRUB_IN_MAX - 40 + 10);
    free(token);
    free(text);
    free(out);
}

/* ---- quoting ------------------------------------------------------------------- */

static void test_quote(void **unused)
{
    char out[256];
    (void)unused;
    tg__sk_quote("plain \"text\"\n", 13, 100, &both, out, sizeof out);
    assert_string_equal(out, "plain \\x22text\\x22\\x0A");
    tg__sk_quote("Bearer " TOKEN, strlen("Bearer " TOKEN), 100, &both, out, sizeof out);
    assert_string_equal(out, "Bearer [redacted]");
    /* Cut at max: the secret is scrubbed before the cut. */
    tg__sk_quote("key " SECRET, strlen("key " SECRET), 10, &both, out, sizeof out);
    assert_string_equal(out, "key [redac...");
    /* Escapes written by the excerpt do not bring a secret back. */
    tg__sk_quote("s3cr3t-XYZ\"/123", 15, 100, &both, out, sizeof out);
    assert_null(strstr(out, "XYZ"));
    tg__sk_quote("", 0, 100, &both, out, sizeof out);
    assert_string_equal(out, "");
    tg__sk_quote(NULL, 5, 100, &both, out, sizeof out);
    assert_string_equal(out, "");
    /* The excerpt on its own: the library's rule. */
    tg__sk_excerpt("a\x01\"\\b", 5, 100, out, sizeof out);
    assert_string_equal(out, "a\\x01\\x22\\x5Cb");
    tg__sk_excerpt("abcdefghij", 10, 4, out, sizeof out);
    assert_string_equal(out, "abcd...");
    tg__sk_excerpt("abcdefghij", 10, 100, out, 8);
    assert_string_equal(out, "abc...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_percent),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_non_ascii),
        cmocka_unit_test(test_cut_short),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_short_and_odd_secrets),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_long_secrets),
        cmocka_unit_test(test_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
