/* Input rules (docs/design.md, "Input rules"): tools, connections, identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "toolgate/toolgate.h"
#include "input.h"

typedef int (*validator)(const char *s, size_t *len);

static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void expect_valid(validator f, const char *s, size_t want_len)
{
    size_t len = 9999;
    if (!f(s, &len))
        fail_msg("\"%s\" (%zu bytes) was refused", s, strlen(s));
    assert_int_equal(len, want_len);
    /* the length pointer is optional */
    assert_int_equal(f(s, NULL), 1);
}

static void expect_invalid(validator f, const char *s)
{
    size_t len = 0;
    if (f(s, &len))
        fail_msg("\"%s\" was accepted", s ? s : "(null)");
    assert_int_equal(f(s, NULL), 0);
}

static int is_alnum(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ---- tools ---------------------------------------------------------------- */

static void test_tool_lengths(void **state)
{
    char buf[TG_TOOL_MAX + 8];
    (void)state;
    expect_invalid(tg__valid_tool, NULL);
    expect_invalid(tg__valid_tool, "");
    expect_valid(tg__valid_tool, "a", 1);
    expect_valid(tg__valid_tool, repeat(buf, 'x', TG_TOOL_MAX - 1), TG_TOOL_MAX - 1);
    expect_valid(tg__valid_tool, repeat(buf, 'x', TG_TOOL_MAX), TG_TOOL_MAX);
    expect_invalid(tg__valid_tool, repeat(buf, 'x', TG_TOOL_MAX + 1));
    expect_invalid(tg__valid_tool, repeat(buf, 'x', TG_TOOL_MAX + 7));
    assert_int_equal(TG_TOOL_MAX, 128);
}

static void test_tool_every_byte(void **state)
{
    int c;
    (void)state;
    for (c = 1; c < 256; c++) {
        char s[4] = { 'a', (char)c, 'b', '\0' };
        int want = is_alnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
        if (tg__valid_tool(s, NULL) != want)
            fail_msg("tool byte 0x%02X: got %d, want %d", c, !want, want);
        /* a single character, at the start and the end, follows the same rule */
        s[0] = (char)c;
        s[1] = '\0';
        assert_int_equal(tg__valid_tool(s, NULL), want);
    }
}

static void test_tool_samples(void **state)
{
    (void)state;
    expect_valid(tg__valid_tool, "gmail_send_email", 16);
    expect_valid(tg__valid_tool, "github.repos:list-all_V2", 24);
    expect_valid(tg__valid_tool, "_", 1);
    expect_valid(tg__valid_tool, "...", 3);
    /* MCP tool names (SEP-986) use '/' and '.'. */
    expect_valid(tg__valid_tool, "github/repos.list", 17);
    expect_valid(tg__valid_tool, "/", 1);
    expect_invalid(tg__valid_tool, "gmail send");
    expect_invalid(tg__valid_tool, "gmail\tsend");
    expect_invalid(tg__valid_tool, "gmail\n");
    expect_invalid(tg__valid_tool, "\x7F");
    expect_invalid(tg__valid_tool, "caf\xC3\xA9");
    expect_invalid(tg__valid_tool, "a\"b");
    expect_invalid(tg__valid_tool, "a,b");
}

static void test_tool_chars(void **state)
{
    char buf[TG_TOOL_MAX + 8];
    (void)state;
    assert_int_equal(tg__valid_tool_chars("gmail_", 6), 1);
    assert_int_equal(tg__valid_tool_chars("a.b:c-d_e", 9), 1);
    /* only the first n bytes count */
    assert_int_equal(tg__valid_tool_chars("gmail bad", 5), 1);
    assert_int_equal(tg__valid_tool_chars("gmail bad", 6), 0);
    assert_int_equal(tg__valid_tool_chars("a b", 3), 0);
    assert_int_equal(tg__valid_tool_chars("a/", 2), 1);
    assert_int_equal(tg__valid_tool_chars("a,", 2), 0);
    assert_int_equal(tg__valid_tool_chars("\xC3\xA9", 2), 0);
    assert_int_equal(tg__valid_tool_chars(repeat(buf, 'z', TG_TOOL_MAX), TG_TOOL_MAX), 1);
}

/* ---- connections ---------------------------------------------------------- */

static void test_connection_lengths(void **state)
{
    char buf[TG_CONNECTION_MAX + 8];
    (void)state;
    expect_invalid(tg__valid_connection, NULL);
    expect_invalid(tg__valid_connection, "");
    expect_valid(tg__valid_connection, "g", 1);
    expect_valid(tg__valid_connection, repeat(buf, 'c', TG_CONNECTION_MAX), TG_CONNECTION_MAX);
    expect_invalid(tg__valid_connection, repeat(buf, 'c', TG_CONNECTION_MAX + 1));
    assert_int_equal(TG_CONNECTION_MAX, 64);
}

static void test_connection_every_byte(void **state)
{
    int c;
    (void)state;
    for (c = 1; c < 256; c++) {
        char s[4] = { 'a', (char)c, 'b', '\0' };
        int want = is_alnum(c) || c == '_' || c == '-' || c == ':' || c == ' ';
        if (tg__valid_connection(s, NULL) != want)
            fail_msg("connection byte 0x%02X: got %d, want %d", c, !want, want);
    }
}

static void test_connection_samples(void **state)
{
    (void)state;
    expect_valid(tg__valid_connection, "gmail", 5);
    expect_valid(tg__valid_connection, "Google Drive:work-2_x", 21);
    expect_valid(tg__valid_connection, " ", 1);
    expect_invalid(tg__valid_connection, "gmail.com"); /* '.' is a tool char only */
    expect_invalid(tg__valid_connection, "a/b");
    expect_invalid(tg__valid_connection, "a\tb");
    expect_invalid(tg__valid_connection, "gm\xC3\xA4il");
}

/* ---- identifiers ---------------------------------------------------------- */

static void test_identifier_lengths(void **state)
{
    char buf[TG_IDENTIFIER_MAX + 8];
    (void)state;
    expect_invalid(tg__valid_identifier, NULL);
    expect_invalid(tg__valid_identifier, "");
    expect_valid(tg__valid_identifier, "u", 1);
    expect_valid(tg__valid_identifier, repeat(buf, 'i', TG_IDENTIFIER_MAX - 1),
                 TG_IDENTIFIER_MAX - 1);
    expect_valid(tg__valid_identifier, repeat(buf, 'i', TG_IDENTIFIER_MAX), TG_IDENTIFIER_MAX);
    expect_invalid(tg__valid_identifier, repeat(buf, 'i', TG_IDENTIFIER_MAX + 1));
    assert_int_equal(TG_IDENTIFIER_MAX, 512);
}

/* The limit is in bytes, not characters. */
static void test_identifier_length_in_bytes(void **state)
{
    char buf[TG_IDENTIFIER_MAX + 16];
    size_t i;
    (void)state;
    for (i = 0; i < TG_IDENTIFIER_MAX / 4; i++)
        memcpy(buf + 4 * i, "\xF0\x9F\x98\x80", 4);
    buf[TG_IDENTIFIER_MAX] = '\0';
    expect_valid(tg__valid_identifier, buf, TG_IDENTIFIER_MAX);
    buf[TG_IDENTIFIER_MAX] = 'a';
    buf[TG_IDENTIFIER_MAX + 1] = '\0';
    expect_invalid(tg__valid_identifier, buf);

    /* a 3-byte character that crosses the limit */
    memset(buf, 'a', TG_IDENTIFIER_MAX - 2);
    memcpy(buf + TG_IDENTIFIER_MAX - 2, "\xE2\x82\xAC", 4);
    expect_invalid(tg__valid_identifier, buf);
    memcpy(buf + TG_IDENTIFIER_MAX - 3, "\xE2\x82\xAC", 4);
    expect_valid(tg__valid_identifier, buf, TG_IDENTIFIER_MAX);
}

static void test_identifier_ascii(void **state)
{
    int c;
    (void)state;
    for (c = 1; c < 0x80; c++) {
        char s[4] = { 'u', (char)c, 'x', '\0' };
        int want = c >= 0x20 && c != 0x7F;
        if (tg__valid_identifier(s, NULL) != want)
            fail_msg("identifier byte 0x%02X: got %d, want %d", c, !want, want);
    }
    expect_valid(tg__valid_identifier, "user_123", 8);
    expect_valid(tg__valid_identifier, "alice@example.com", 17);
    expect_valid(tg__valid_identifier, "a b/c\\d\"e'f{g}", 14);
    expect_invalid(tg__valid_identifier, "user\n");
    expect_invalid(tg__valid_identifier, "\tuser");
    expect_invalid(tg__valid_identifier, "us\x1b[0mer");
    expect_invalid(tg__valid_identifier, "del\x7F");
}

static void test_identifier_c1_controls(void **state)
{
    int c;
    (void)state;
    /* U+0080..U+009F are C2 80..C2 9F */
    for (c = 0x80; c <= 0x9F; c++) {
        char s[5] = { 'u', '\xC2', (char)c, 'x', '\0' };
        if (tg__valid_identifier(s, NULL))
            fail_msg("C1 control U+%04X accepted", c);
    }
    /* U+00A0 (no-break space) is the first character after them */
    expect_valid(tg__valid_identifier, "\xC2\xA0", 2);
    expect_valid(tg__valid_identifier, "\xC2\xBF", 2);
}

static void test_identifier_valid_multibyte(void **state)
{
    (void)state;
    expect_valid(tg__valid_identifier, "caf\xC3\xA9", 5);               /* é */
    expect_valid(tg__valid_identifier, "\xC3\xBF", 2);                  /* U+00FF */
    expect_valid(tg__valid_identifier, "\xDF\xBF", 2);                  /* U+07FF */
    expect_valid(tg__valid_identifier, "\xE0\xA0\x80", 3);              /* U+0800 */
    expect_valid(tg__valid_identifier, "\xE2\x82\xAC", 3);              /* € */
    expect_valid(tg__valid_identifier, "\xED\x9F\xBF", 3);              /* U+D7FF */
    expect_valid(tg__valid_identifier, "\xEE\x80\x80", 3);              /* U+E000 */
    expect_valid(tg__valid_identifier, "\xEF\xBF\xBD", 3);              /* U+FFFD */
    expect_valid(tg__valid_identifier, "\xE6\x97\xA5\xE6\x9C\xAC", 6);  /* 日本 */
    expect_valid(tg__valid_identifier, "\xF0\x90\x80\x80", 4);          /* U+10000 */
    expect_valid(tg__valid_identifier, "\xF0\x9F\x98\x80", 4);          /* 😀 */
    expect_valid(tg__valid_identifier, "u\xF0\x9F\x91\x8D!", 6);        /* u👍! */
    expect_valid(tg__valid_identifier, "\xF4\x8F\xBF\xBF", 4);          /* U+10FFFF */
}

static void test_identifier_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        /* overlong forms */
        "\xC0\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
        "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
        /* UTF-16 surrogates */
        "\xED\xA0\x80", "\xED\xAD\xBF", "\xED\xB0\x80", "\xED\xBF\xBF",
        /* past U+10FFFF and bytes that never start a sequence */
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF", "\xF8\x88\x80\x80\x80",
        "\xFE", "\xFF",
        /* lone continuation bytes */
        "\x80", "\xBF", "a\x80z",
        /* truncated sequences, alone, at the end and followed by ASCII */
        "\xC3", "\xE2\x82", "\xF0\x9F\x98", "user\xC3", "user\xE2\x82", "user\xF0\x9F\x98",
        "\xC3z", "\xE2\x82z", "\xF0\x9F\x98z", "\xE2z\xAC",
        /* a continuation replaced by a lead byte */
        "\xC3\xC3\xA9", "\xF0\x9F\xF0\x9F\x98\x80",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tg__valid_identifier(bad[i], NULL))
            fail_msg("invalid UTF-8 sample %zu accepted", i);
}

/* ---- messages ------------------------------------------------------------- */

static void test_invalid_input_messages(void **state)
{
    const char *m;
    (void)state;

    assert_int_equal(tg__invalid_input("tool", "bad tool"), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "tool"));
    assert_non_null(strstr(m, "bad tool"));

    assert_int_equal(tg__invalid_input("connection", "a/b"), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "connection"));
    assert_non_null(strstr(m, "a/b"));

    assert_int_equal(tg__invalid_input("identifier", "x\ny"), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "identifier"));
    /* the control character is shown escaped, never raw */
    assert_null(strchr(m, '\n'));
    assert_non_null(strstr(m, "\\x0A"));

    assert_int_equal(tg__invalid_input("identifier", NULL), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "identifier"));
    assert_non_null(strstr(m, "NULL"));

    assert_int_equal(tg__invalid_input("tool", ""), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "tool"));
    assert_non_null(strstr(m, "empty"));
}

static void test_invalid_input_long_and_binary(void **state)
{
    char buf[4096];
    const char *m;
    size_t i;
    (void)state;

    repeat(buf, 'q', sizeof buf - 1);
    assert_int_equal(tg__invalid_input("identifier", buf), TG_EINVAL);
    m = tg_error_message();
    assert_non_null(strstr(m, "identifier"));
    /* a long input is cut, not copied whole */
    assert_true(strlen(m) < 1024);

    for (i = 0; i < 255; i++)
        buf[i] = (char)(i + 1);
    buf[255] = '\0';
    assert_int_equal(tg__invalid_input("identifier", buf), TG_EINVAL);
    m = tg_error_message();
    for (i = 0; m[i]; i++)
        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] >= 0x7F)
            fail_msg("raw byte 0x%02X in the message", (unsigned char)m[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tool_lengths),
        cmocka_unit_test(test_tool_every_byte),
        cmocka_unit_test(test_tool_samples),
        cmocka_unit_test(test_tool_chars),
        cmocka_unit_test(test_connection_lengths),
        cmocka_unit_test(test_connection_every_byte),
        cmocka_unit_test(test_connection_samples),
        cmocka_unit_test(test_identifier_lengths),
        cmocka_unit_test(test_identifier_length_in_bytes),
        cmocka_unit_test(test_identifier_ascii),
        cmocka_unit_test(test_identifier_c1_controls),
        cmocka_unit_test(test_identifier_valid_multibyte),
        cmocka_unit_test(test_identifier_invalid_utf8),
        cmocka_unit_test(test_invalid_input_messages),
        cmocka_unit_test(test_invalid_input_long_and_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
