/* The JSON-RPC scanner of `toolgate mcp-proxy` (src/mcp/scan.c): canned
 * lines, fed whole and in every split, against what a JSON parser reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"

#define MAX_MSGS 16

typedef struct seen {
    mcp_message msg[MAX_MSGS];
    size_t n;
    mcp_scan_kind kind;
} seen;

static void collect(void *ctx, const mcp_message *m)
{
    seen *s = ctx;
    if (s->n < MAX_MSGS)
        s->msg[s->n] = *m;
    s->n++;
}

/* Scan @p text fed in pieces of @p chunk bytes (0: whole). */
static void scan_text(const char *text, size_t chunk, seen *out)
{
    mcp_scan s;
    size_t n = strlen(text), i;

    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof *out);
    mcp_scan_init(&s, collect, out);
    if (chunk == 0)
        chunk = n ? n : 1;
    for (i = 0; i < n; i += chunk)
        mcp_scan_feed(&s, text + i, n - i < chunk ? n - i : chunk);
    out->kind = mcp_scan_finish(&s);
    mcp_scan_free(&s);
}

static void assert_span(const char *text, mcp_span sp, const char *want)
{
    assert_int_equal(sp.len, strlen(want));
    assert_memory_equal(text + sp.off, want, sp.len);
}

/* The same results whatever the pieces. */
static void assert_split_invariant(const char *text)
{
    seen whole, part;
    size_t chunk, i;

    scan_text(text, 0, &whole);
    for (chunk = 1; chunk <= strlen(text) + 1; chunk++) {
        scan_text(text, chunk, &part);
        assert_int_equal(part.kind, whole.kind);
        assert_int_equal(part.n, whole.n);
        for (i = 0; i < whole.n && i < MAX_MSGS; i++) {
            const mcp_message *a = &whole.msg[i], *b = &part.msg[i];
            assert_int_equal(a->whole.off, b->whole.off);
            assert_int_equal(a->whole.len, b->whole.len);
            assert_int_equal(a->methods, b->methods);
            assert_int_equal(a->method_call, b->method_call);
            assert_int_equal(a->method_initialize, b->method_initialize);
            assert_int_equal(a->ids, b->ids);
            assert_int_equal(a->id.off, b->id.off);
            assert_int_equal(a->id.len, b->id.len);
            if (a->ids && a->id.len <= MCP_SCAN_ID_MAX)
                assert_memory_equal(a->id_raw, b->id_raw, a->id.len);
            assert_int_equal(a->names, b->names);
            assert_int_equal(a->name.off, b->name.off);
            assert_int_equal(a->name.len, b->name.len);
            assert_int_equal(a->params, b->params);
            assert_int_equal(a->url_elicitation, b->url_elicitation);
        }
    }
}

static void test_call(void **state)
{
    const char *t = " {\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\","
                    "\"params\":{\"name\":\"gmail_send\",\"arguments\":{\"name\":\"not this\","
                    "\"id\":[1,{\"method\":\"x\"}]}}} \r";
    seen s;
    (void)state;

    scan_text(t, 0, &s);
    assert_int_equal(s.kind, MCP_SCAN_OBJECT);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.msg[0].is_object, 1);
    assert_int_equal(s.msg[0].method_call, 1);
    assert_int_equal(s.msg[0].methods, 1);
    assert_int_equal(s.msg[0].ids, 1);
    assert_span(t, s.msg[0].id, "42");
    assert_memory_equal(s.msg[0].id_raw, "42", 2);
    assert_int_equal(s.msg[0].names, 1);
    assert_span(t, s.msg[0].name, "\"gmail_send\"");
    assert_int_equal(s.msg[0].params, 1);
    assert_int_equal(s.msg[0].whole.off, 1);
    assert_int_equal(s.msg[0].whole.len, strlen(t) - 3);
    assert_split_invariant(t);
}

/* Keys and values are compared decoded, as a JSON parser sees them. */
static void test_escapes(void **state)
{
    const char *t = "{\"m\\u0065thod\":\"tools\\/call\",\"i\\u0064\":\"a\\\"b\","
                    "\"par\\u0061ms\":{\"n\\u0061me\":\"x\\u0041\"}}";
    const char *not_call = "{\"method\":\"tools/call \",\"id\":1}";
    const char *nul_key = "{\"method\\u0000\":\"tools/call\",\"id\":1}";
    seen s;
    (void)state;

    scan_text(t, 0, &s);
    assert_int_equal(s.msg[0].method_call, 1);
    assert_span(t, s.msg[0].id, "\"a\\\"b\"");
    assert_span(t, s.msg[0].name, "\"x\\u0041\"");
    assert_split_invariant(t);

    scan_text(not_call, 0, &s);
    assert_int_equal(s.msg[0].method_call, 0);
    scan_text(nul_key, 0, &s);
    assert_int_equal(s.msg[0].methods, 0);
    assert_int_equal(s.msg[0].method_call, 0);
}

/* A key given twice: counted, and a tools/call among them is seen. */
static void test_duplicates(void **state)
{
    const char *t = "{\"method\":\"tools/call\",\"id\":1,\"method\":\"ping\","
                    "\"params\":{\"name\":\"a\",\"name\":\"b\"},\"params\":{},\"id\":2}";
    seen s;
    (void)state;

    scan_text(t, 0, &s);
    assert_int_equal(s.msg[0].methods, 2);
    assert_int_equal(s.msg[0].method_call, 1);
    assert_int_equal(s.msg[0].names, 2);
    assert_span(t, s.msg[0].name, "\"b\"");
    assert_int_equal(s.msg[0].params, 2);
    assert_int_equal(s.msg[0].ids, 2);
    assert_span(t, s.msg[0].id, "2");
    assert_split_invariant(t);
}

static void test_batch(void **state)
{
    const char *t = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}},"
                    " 7 ,{\"method\":\"notifications/initialized\"},[{\"method\":\"tools/call\"}],"
                    "\"s\"]";
    seen s;
    (void)state;

    scan_text(t, 0, &s);
    assert_int_equal(s.kind, MCP_SCAN_BATCH);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.msg[0].method_call, 1);
    assert_span(t, s.msg[0].name, "\"x\"");
    assert_int_equal(s.msg[1].is_object, 0);
    assert_span(t, s.msg[1].whole, "7");
    assert_int_equal(s.msg[2].method_call, 0);
    assert_int_equal(s.msg[2].methods, 1);
    /* A nested array is not a message: its call is not one either. */
    assert_int_equal(s.msg[3].is_object, 0);
    assert_int_equal(s.msg[3].method_call, 0);
    assert_span(t, s.msg[4].whole, "\"s\"");
    assert_split_invariant(t);
}

static void test_initialize(void **state)
{
    const char *url = "{\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                      "\"2025-11-25\",\"capabilities\":{\"elicitation\":{\"form\":{},\"url\":{}}}}}";
    const char *form = "{\"id\":0,\"method\":\"initialize\",\"params\":{\"capabilities\":"
                       "{\"elicitation\":{\"form\":{}},\"experimental\":{\"url\":{}}}}}";
    const char *not_object = "{\"method\":\"initialize\",\"params\":{\"capabilities\":"
                             "{\"elicitation\":{\"url\":true}}}}";
    const char *elsewhere = "{\"method\":\"initialize\",\"params\":{\"x\":{\"capabilities\":"
                            "{\"elicitation\":{\"url\":{}}}}}}";
    seen s;
    (void)state;

    scan_text(url, 0, &s);
    assert_int_equal(s.msg[0].method_initialize, 1);
    assert_int_equal(s.msg[0].url_elicitation, 1);
    assert_split_invariant(url);
    scan_text(form, 0, &s);
    assert_int_equal(s.msg[0].method_initialize, 1);
    assert_int_equal(s.msg[0].url_elicitation, 0);
    scan_text(not_object, 0, &s);
    assert_int_equal(s.msg[0].url_elicitation, 0);
    scan_text(elsewhere, 0, &s);
    assert_int_equal(s.msg[0].url_elicitation, 0);
}

static void test_kinds(void **state)
{
    static const struct {
        const char *text;
        mcp_scan_kind kind;
    } cases[] = {
        { "", MCP_SCAN_EMPTY },
        { " \t\r", MCP_SCAN_EMPTY },
        { "7", MCP_SCAN_SCALAR },
        { " \"x\" ", MCP_SCAN_SCALAR },
        { "[]", MCP_SCAN_BATCH },
        { "{}", MCP_SCAN_OBJECT },
        { "not json", MCP_SCAN_INVALID },
        { "{\"a\":1}{\"b\":2}", MCP_SCAN_INVALID },
        { "{\"a\":1", MCP_SCAN_INVALID },
        { "{\"a\":1]", MCP_SCAN_INVALID },
        { "{\"a\" 1}", MCP_SCAN_INVALID },
        { "{1:2}", MCP_SCAN_INVALID },
        { "[1,,2]", MCP_SCAN_INVALID },
        { "\"abc", MCP_SCAN_INVALID },
        { "}", MCP_SCAN_INVALID },
        { "{\"method\":\"tools/call\",\"id\":1", MCP_SCAN_INVALID },
    };
    size_t i;
    seen s;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scan_text(cases[i].text, 0, &s);
        if (s.kind != cases[i].kind)
            fail_msg("\"%s\": kind %d, want %d", cases[i].text, s.kind, cases[i].kind);
        assert_split_invariant(cases[i].text);
    }
    /* An unfinished tools/call is reported as no message at all. */
    scan_text("{\"method\":\"tools/call\",\"id\":1", 0, &s);
    assert_int_equal(s.n, 0);
}

/* Deep nesting is followed (no recursion, no small limit). */
static void test_deep(void **state)
{
    enum { DEPTH = 200000 };
    const char *head = "{\"id\":1,\"params\":{\"arguments\":";
    const char *tail = ",\"name\":\"deep_tool\"},\"method\":\"tools/call\"}";
    size_t hl = strlen(head), tl = strlen(tail), n = hl + 2 * DEPTH + tl, i;
    char *t = malloc(n + 1);
    seen s;
    (void)state;

    assert_non_null(t);
    memcpy(t, head, hl);
    for (i = 0; i < DEPTH; i++) {
        t[hl + i] = '[';
        t[hl + DEPTH + i] = ']';
    }
    memcpy(t + hl + 2 * DEPTH, tail, tl + 1);
    scan_text(t, 0, &s);
    assert_int_equal(s.kind, MCP_SCAN_OBJECT);
    assert_int_equal(s.msg[0].method_call, 1);
    assert_span(t, s.msg[0].name, "\"deep_tool\"");
    scan_text(t, 4093, &s);
    assert_int_equal(s.msg[0].method_call, 1);
    free(t);
}

/* Long values: spans always, raw copies only up to their limits. */
static void test_long_values(void **state)
{
    char t[4096], method[200];
    seen s;
    (void)state;

    memset(method, 'x', sizeof method - 1);
    method[sizeof method - 1] = '\0';
    snprintf(t, sizeof t, "{\"method\":\"%s\",\"id\":\"%s%s%s%s%s%s\"}", method, method, method,
             method, method, method, method);
    scan_text(t, 0, &s);
    assert_int_equal(s.msg[0].methods, 1);
    assert_int_equal(s.msg[0].method_call, 0);
    assert_int_equal(s.msg[0].id.len, 6 * 199 + 2);
    assert_true(s.msg[0].id.len > MCP_SCAN_ID_MAX);
    assert_split_invariant(t);
}

static void test_json_string(void **state)
{
    char out[16];
    (void)state;

    assert_int_equal(mcp_json_string("\"abc\"", 5, out, sizeof out), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(mcp_json_string("\"a\\u00e9\\/\"", 11, out, sizeof out), 4);
    assert_string_equal(out, "a\xC3\xA9/");
    assert_int_equal(mcp_json_string("\"a\\u0000b\"", 10, out, sizeof out), -1);
    assert_int_equal(mcp_json_string("\"\\q\"", 4, out, sizeof out), -1);
    assert_int_equal(mcp_json_string("7", 1, out, sizeof out), -1);
    assert_int_equal(mcp_json_string("\"0123456789abcdef\"", 18, out, sizeof out), -1);
    assert_int_equal(mcp_json_string("\"a\"b\"", 5, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call),         cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_duplicates),   cmocka_unit_test(test_batch),
        cmocka_unit_test(test_initialize),   cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_deep),         cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_json_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
