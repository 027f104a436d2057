/*
 * Encodings of a decision (tg_decision_encode, docs/encodings.md): decisions
 * of every verdict from a real gate over a tiny in-process provider
 * (encode_env.c), every format, parsed back with json-c in strict mode and
 * checked key by key against the MCP shapes.
 */
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
#include "encode_env.h"

static const tg_verdict all_verdicts[] = { TG_VERDICT_ALLOW, TG_VERDICT_NEEDS_AUTHORIZATION,
                                           TG_VERDICT_UNAVAILABLE, TG_VERDICT_DENY };
static const tg_format all_formats[] = { TG_FORMAT_JSON, TG_FORMAT_TEXT, TG_FORMAT_MCP,
                                         TG_FORMAT_MCP_INPUT_REQUIRED,
                                         TG_FORMAT_MCP_TOOL_RESULT };
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- JSON helpers -------------------------------------------------------- */

/* Parse all of @p text as one JSON value: strict RFC 8259, valid UTF-8,
 * nothing after it. */
static json_object *parse_strict(const char *text)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;
    size_t len = strlen(text);

    assert_non_null(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* The NUL is passed too: it ends a top-level number ("7"). */
    o = json_tokener_parse_ex(tok, text, (int)len + 1);
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) < len)
        fail_msg("not one strict JSON value (%s):\n%s",
                 json_tokener_error_desc(json_tokener_get_error(tok)), text);
    json_tokener_free(tok);
    return o;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("key \"%s\" is missing from %s", key, json_object_to_json_string(o));
    return v;
}

static json_object *get_typed(json_object *o, const char *key, json_type t)
{
    json_object *v = get(o, key);
    if (!json_object_is_type(v, t))
        fail_msg("key \"%s\" is not a %s: %s", key, json_type_to_name(t),
                 json_object_to_json_string(o));
    return v;
}

static const char *get_str(json_object *o, const char *key)
{
    return json_object_get_string(get_typed(o, key, json_type_string));
}

/* Exactly @p keys (NULL-terminated), nothing more. */
static void expect_keys(json_object *o, const char *const *keys)
{
    size_t n = 0;

    if (!json_object_is_type(o, json_type_object))
        fail_msg("not an object: %s", json_object_to_json_string(o));
    for (; keys[n]; n++)
        (void)get(o, keys[n]);
    if ((size_t)json_object_object_length(o) != n)
        fail_msg("expected %zu keys, got %s", n, json_object_to_json_string(o));
}

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The decision as tg_decision_to_json writes it, parsed. */
static json_object *decision_object(const tg_decision *d)
{
    char buf[8192];
    assert_int_equal(tg_decision_to_json(d, buf, sizeof buf, NULL), TG_OK);
    return parse_strict(buf);
}

static void expect_equal_json(json_object *a, json_object *b)
{
    if (!json_object_equal(a, b))
        fail_msg("JSON differs:\n%s\n%s", json_object_to_json_string(a),
                 json_object_to_json_string(b));
}

/* 1 when @p s is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n, cp, i;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return 0;
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* ---- fixture ----------------------------------------------------------- */

static int setup(void **state)
{
    *state = enc_env_new();
    return 0;
}

static int teardown(void **state)
{
    enc_env_free(*state);
    return 0;
}

/* The elicitation of a bare -32042 error object; checks its shape. */
static json_object *expect_url_elicitation_error(json_object *err, const tg_decision *d)
{
    json_object *data, *list, *el;
    const char *id;

    expect_keys(err, KEYS("code", "message", "data"));
    assert_int_equal(json_object_get_int(get_typed(err, "code", json_type_int)), -32042);
    /* Clients that show only the message still show the link. */
    assert_non_null(strstr(get_str(err, "message"), tg_decision_link(d)));
    data = get_typed(err, "data", json_type_object);
    expect_keys(data, KEYS("elicitations"));
    list = get_typed(data, "elicitations", json_type_array);
    assert_int_equal(json_object_array_length(list), 1);
    el = json_object_array_get_idx(list, 0);
    expect_keys(el, KEYS("mode", "elicitationId", "url", "message"));
    assert_string_equal(get_str(el, "mode"), "url");
    assert_string_equal(get_str(el, "url"), tg_decision_link(d));
    assert_true(strlen(get_str(el, "message")) > 0);
    id = get_str(el, "elicitationId");
    assert_int_equal(strlen(id), 35);
    assert_memory_equal(id, "tg-", 3);
    return el;
}

/* The elicitation id of the mcp encoding of @p d (caller frees). */
static char *elicitation_id(const tg_decision *d)
{
    char *text = enc_encode(d, TG_FORMAT_MCP, NULL);
    json_object *o = parse_strict(text);
    json_object *el = expect_url_elicitation_error(o, d);
    char *id = strdup(get_str(el, "elicitationId"));

    json_object_put(o);
    free(text);
    assert_non_null(id);
    return id;
}

/* A CallToolResult; checks its shape and returns the text. */
static const char *expect_tool_result(json_object *r, const tg_decision *d)
{
    json_object *content, *item, *sc;

    expect_keys(r, KEYS("resultType", "content", "structuredContent", "isError"));
    assert_string_equal(get_str(r, "resultType"), "complete");
    content = get_typed(r, "content", json_type_array);
    assert_int_equal(json_object_array_length(content), 1);
    item = json_object_array_get_idx(content, 0);
    expect_keys(item, KEYS("type", "text"));
    assert_string_equal(get_str(item, "type"), "text");
    sc = decision_object(d);
    expect_equal_json(get_typed(r, "structuredContent", json_type_object), sc);
    json_object_put(sc);
    assert_int_equal(json_object_get_boolean(get_typed(r, "isError", json_type_boolean)),
                     tg_decision_verdict(d) != TG_VERDICT_ALLOW);
    return get_str(item, "text");
}

/* A JSON-RPC 2.0 response with @p id_json and @p member; returns that member. */
static json_object *expect_response(json_object *o, const char *id_json, const char *member)
{
    json_object *want_id = parse_strict(id_json);

    expect_keys(o, KEYS("jsonrpc", "id", member));
    assert_string_equal(get_str(o, "jsonrpc"), "2.0");
    expect_equal_json(get(o, "id"), want_id);
    json_object_put(want_id);
    return get(o, member);
}

/* ---- names --------------------------------------------------------------- */

static void test_format_names(void **state)
{
    static const char *const names[] = { "json", "text", "mcp", "mcp-input-required",
                                         "mcp-tool-result" };
    tg_format f;
    size_t i;

    (void)state;
    for (i = 0; i < N(names); i++) {
        assert_string_equal(tg_format_name(all_formats[i]), names[i]);
        f = (tg_format)99;
        assert_int_equal(tg_format_parse(names[i], &f), TG_OK);
        assert_int_equal(f, all_formats[i]);
    }
    assert_null(tg_format_name((tg_format)5));
    assert_null(tg_format_name((tg_format)-1));
    f = TG_FORMAT_TEXT;
    assert_int_equal(tg_format_parse("JSON", &f), TG_EINVAL);
    assert_int_equal(tg_format_parse("mcp ", &f), TG_EINVAL);
    assert_int_equal(tg_format_parse("", &f), TG_EINVAL);
    assert_int_equal(tg_format_parse(NULL, &f), TG_EINVAL);
    assert_int_equal(f, TG_FORMAT_TEXT); /* untouched */
    assert_int_equal(tg_format_parse("json", NULL), TG_EINVAL);
}

/* ---- json and text ------------------------------------------------------- */

static void test_json_is_to_json(void **state)
{
    enc_env *e = *state;
    size_t v;

    for (v = 0; v < N(all_verdicts); v++) {
        char want[8192];
        char *got;

        enc_env_decide(e, all_verdicts[v], "user_456");
        assert_int_equal(tg_decision_to_json(e->d, want, sizeof want, NULL), TG_OK);
        got = enc_encode(e->d, TG_FORMAT_JSON, NULL);
        assert_string_equal(got, want);
        free(got);
        /* JSON takes no envelope; a valid id is accepted and ignored. */
        got = enc_encode(e->d, TG_FORMAT_JSON, "7");
        assert_string_equal(got, want);
        free(got);
    }
}

static void test_text_line(void **state)
{
    enc_env *e = *state;
    size_t v;

    for (v = 0; v < N(all_verdicts); v++) {
        char want[8192];
        char *got;

        enc_env_decide(e, all_verdicts[v], "user_456");
        if (all_verdicts[v] == TG_VERDICT_NEEDS_AUTHORIZATION)
            snprintf(want, sizeof want, "%s: %s \xE2\x80\x94 authorize at %s",
                     tg_verdict_name(all_verdicts[v]), tg_decision_reason(e->d),
                     tg_decision_link(e->d));
        else
            snprintf(want, sizeof want, "%s: %s", tg_verdict_name(all_verdicts[v]),
                     tg_decision_reason(e->d));
        got = enc_encode(e->d, TG_FORMAT_TEXT, NULL);
        assert_string_equal(got, want);
        free(got);
    }
}

/* ---- mcp (2025-11-25) ------------------------------------------------------ */

static void test_mcp_needs_authorization(void **state)
{
    enc_env *e = *state;
    json_object *bare, *wrapped;
    char *a, *b;

    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    a = enc_encode(e->d, TG_FORMAT_MCP, NULL);
    bare = parse_strict(a);
    (void)expect_url_elicitation_error(bare, e->d);

    b = enc_encode(e->d, TG_FORMAT_MCP, "7");
    wrapped = parse_strict(b);
    expect_equal_json(expect_response(wrapped, "7", "error"), bare);
    json_object_put(wrapped);
    free(b);

    b = enc_encode(e->d, TG_FORMAT_MCP, "\"req-1\"");
    wrapped = parse_strict(b);
    expect_equal_json(expect_response(wrapped, "\"req-1\"", "error"), bare);
    json_object_put(wrapped);
    free(b);

    json_object_put(bare);
    free(a);
}

static void test_mcp_elicitation_id_is_stable(void **state)
{
    enc_env *e = *state, *other = enc_env_new();
    char *first, *cached, *fresh, *another, *new_link;
    int calls;

    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    first = elicitation_id(e->d);

    /* The second check is a cache hit: same link, same id. */
    calls = e->status_calls;
    assert_int_equal(tg_gate_check(e->gate, ENC_TOOL, "user_456", e->d), TG_OK);
    assert_int_equal(e->status_calls, calls);
    cached = elicitation_id(e->d);
    assert_string_equal(cached, first);

    /* Another gate, another process: the id depends on nothing else. */
    enc_env_decide(other, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    fresh = elicitation_id(other->d);
    assert_string_equal(fresh, first);

    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_789");
    another = elicitation_id(e->d);
    assert_string_not_equal(another, first);

    /* A new link for the same account is a new elicitation. */
    e->link_mode = ENC_LINK_FIXED;
    e->fixed_link = "https://auth.example/authorize?connection=gmail&identifier=user_456&n=2";
    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    new_link = elicitation_id(e->d);
    assert_string_not_equal(new_link, first);

    free(first);
    free(cached);
    free(fresh);
    free(another);
    free(new_link);
    enc_env_free(other);
}

static void test_mcp_unavailable_and_deny(void **state)
{
    static const tg_verdict verdicts[] = { TG_VERDICT_UNAVAILABLE, TG_VERDICT_DENY };
    enc_env *e = *state;
    size_t v;

    for (v = 0; v < N(verdicts); v++) {
        json_object *err, *wrapped, *dec;
        char *a, *b;

        enc_env_decide(e, verdicts[v], "user_456");
        a = enc_encode(e->d, TG_FORMAT_MCP, NULL);
        assert_null(strstr(a, "elicitation"));
        err = parse_strict(a);
        expect_keys(err, KEYS("code", "message", "data"));
        assert_int_equal(json_object_get_int(get_typed(err, "code", json_type_int)), -32603);
        assert_non_null(strstr(get_str(err, "message"),
                               verdicts[v] == TG_VERDICT_DENY ? "denied" : "unavailable"));
        dec = decision_object(e->d);
        expect_equal_json(get(err, "data"), dec);

        b = enc_encode(e->d, TG_FORMAT_MCP, "-3");
        wrapped = parse_strict(b);
        expect_equal_json(expect_response(wrapped, "-3", "error"), err);

        json_object_put(dec);
        json_object_put(wrapped);
        json_object_put(err);
        free(a);
        free(b);
    }
}

static void test_mcp_allow(void **state)
{
    enc_env *e = *state;
    json_object *bare, *wrapped, *dec;
    char *a, *b;

    enc_env_decide(e, TG_VERDICT_ALLOW, "user_123");
    dec = decision_object(e->d);
    a = enc_encode(e->d, TG_FORMAT_MCP, NULL);
    bare = parse_strict(a);
    expect_equal_json(bare, dec);
    b = enc_encode(e->d, TG_FORMAT_MCP, "0");
    wrapped = parse_strict(b);
    expect_equal_json(expect_response(wrapped, "0", "result"), dec);

    json_object_put(dec);
    json_object_put(bare);
    json_object_put(wrapped);
    free(a);
    free(b);
}

/* ---- mcp-input-required (2026-07-28) ------------------------------------ */

static void test_input_required_needs_authorization(void **state)
{
    enc_env *e = *state;
    json_object *r, *reqs, *req = NULL, *params, *wrapped;
    char *text, *b, *eid;
    const char *key = NULL;

    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    eid = elicitation_id(e->d);
    text = enc_encode(e->d, TG_FORMAT_MCP_INPUT_REQUIRED, NULL);
    r = parse_strict(text);
    expect_keys(r, KEYS("resultType", "inputRequests", "requestState"));
    assert_string_equal(get_str(r, "resultType"), "input_required");
    assert_true(strlen(get_str(r, "requestState")) > 0);
    /* inputRequests is a map from the server's request key to the request. */
    reqs = get_typed(r, "inputRequests", json_type_object);
    assert_int_equal(json_object_object_length(reqs), 1);
    json_object_object_foreach(reqs, k, val)
    {
        key = k;
        req = val;
    }
    assert_string_equal(key, eid);
    expect_keys(req, KEYS("method", "params"));
    assert_string_equal(get_str(req, "method"), "elicitation/create");
    params = get_typed(req, "params", json_type_object);
    expect_keys(params, KEYS("mode", "url", "message"));
    assert_string_equal(get_str(params, "mode"), "url");
    assert_string_equal(get_str(params, "url"), tg_decision_link(e->d));
    assert_true(strlen(get_str(params, "message")) > 0);

    b = enc_encode(e->d, TG_FORMAT_MCP_INPUT_REQUIRED, "\"abc\"");
    wrapped = parse_strict(b);
    expect_equal_json(expect_response(wrapped, "\"abc\"", "result"), r);

    json_object_put(wrapped);
    json_object_put(r);
    free(b);
    free(text);
    free(eid);
}

static void test_input_required_other_verdicts(void **state)
{
    static const tg_verdict verdicts[] = { TG_VERDICT_ALLOW, TG_VERDICT_UNAVAILABLE,
                                           TG_VERDICT_DENY };
    enc_env *e = *state;
    size_t v;

    for (v = 0; v < N(verdicts); v++) {
        json_object *r;
        char *a, *b;

        enc_env_decide(e, verdicts[v], "user_456");
        a = enc_encode(e->d, TG_FORMAT_MCP_INPUT_REQUIRED, NULL);
        assert_null(strstr(a, "inputRequests"));
        assert_null(strstr(a, "elicitation"));
        r = parse_strict(a);
        (void)expect_tool_result(r, e->d);
        /* The same as mcp-tool-result. */
        b = enc_encode(e->d, TG_FORMAT_MCP_TOOL_RESULT, NULL);
        assert_string_equal(a, b);
        json_object_put(r);
        free(a);
        free(b);
    }
}

/* ---- mcp-tool-result --------------------------------------------------------- */

static void test_tool_result(void **state)
{
    enc_env *e = *state;
    size_t v;

    for (v = 0; v < N(all_verdicts); v++) {
        json_object *r, *wrapped;
        const char *text;
        char *a, *b;

        enc_env_decide(e, all_verdicts[v], "user_456");
        a = enc_encode(e->d, TG_FORMAT_MCP_TOOL_RESULT, NULL);
        r = parse_strict(a);
        text = expect_tool_result(r, e->d);
        assert_non_null(strstr(text, tg_decision_reason(e->d)));
        if (all_verdicts[v] == TG_VERDICT_NEEDS_AUTHORIZATION) {
            /* The link in plain words, for clients that drop structured errors. */
            assert_non_null(strstr(text, tg_decision_link(e->d)));
            assert_non_null(strstr(text, "open this link"));
        } else {
            assert_null(strstr(text, "http"));
        }
        b = enc_encode(e->d, TG_FORMAT_MCP_TOOL_RESULT, "12");
        wrapped = parse_strict(b);
        expect_equal_json(expect_response(wrapped, "12", "result"), r);
        json_object_put(wrapped);
        json_object_put(r);
        free(a);
        free(b);
    }
}

/* ---- request ids ----------------------------------------------------------- */

static void test_request_ids(void **state)
{
    static const char *const good[] = {
        "0", "7", "-1", "-0", "9223372036854775807", "-9223372036854775808", "\"\"", "\"abc\"",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\ud83d\\ude00\"",
        "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"", "\"\x7F\"", "\"\\\"\"",
    };
    static const char *const bad[] = {
        "", "1.0", "1e3", "01", "-", "+1", "--1", "0x10", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999", "null", "true", "{}", "[1]", " 1",
        "1 ", "\"abc", "abc\"", "\"a\"b\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"", "\"\t\"",
        "\"\xFF\"", "\"\xC3\"", "\"\xED\xA0\x80\"", "\"\xC0\xAF\"", "\"\\\"", "'a'",
    };
    enc_env *e = *state;
    char big[1100];
    size_t i, f, needed;

    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    for (i = 0; i < N(good); i++) {
        char *text = enc_encode(e->d, TG_FORMAT_MCP, good[i]);
        json_object *o = parse_strict(text);
        (void)expect_response(o, good[i], "error");
        json_object_put(o);
        free(text);
    }
    for (i = 0; i < N(bad); i++) {
        for (f = 0; f < N(all_formats); f++) {
            needed = 12345;
            if (tg_decision_encode(e->d, all_formats[f], bad[i], NULL, 0, &needed) != TG_EINVAL)
                fail_msg("request id [%s] accepted for %s", bad[i],
                         tg_format_name(all_formats[f]));
            assert_int_equal(needed, 12345);
        }
    }
    /* At most 1024 bytes. */
    memset(big, 'a', sizeof big);
    big[0] = '"';
    big[1023] = '"';
    big[1024] = '\0';
    assert_int_equal(tg_decision_encode(e->d, TG_FORMAT_MCP, big, NULL, 0, NULL), TG_EBUFS);
    big[1023] = 'a';
    big[1024] = '"';
    big[1025] = '\0';
    assert_int_equal(tg_decision_encode(e->d, TG_FORMAT_MCP, big, NULL, 0, NULL), TG_EINVAL);
}

/* ---- buffers and arguments ---------------------------------------------------- */

static void test_short_buffers(void **state)
{
    enc_env *e = *state;
    size_t v, f;

    for (v = 0; v < N(all_verdicts); v++) {
        enc_env_decide(e, all_verdicts[v], "user_456");
        for (f = 0; f < N(all_formats); f++) {
            const char *id = all_formats[f] >= TG_FORMAT_MCP ? "\"r\"" : NULL;
            char *full = enc_encode(e->d, all_formats[f], id);
            size_t n = strlen(full) + 1, needed = 0, k;
            size_t lens[3];
            char *buf = malloc(n + 1);

            assert_non_null(buf);
            /* One byte short, one byte, none: a NUL-terminated prefix, nothing
             * written past len, and *needed. */
            lens[0] = n - 1;
            lens[1] = 1;
            lens[2] = 0;
            for (k = 0; k < N(lens); k++) {
                size_t len = lens[k];
                memset(buf, 'X', n + 1);
                assert_int_equal(tg_decision_encode(e->d, all_formats[f], id, len ? buf : NULL,
                                                    len, &needed),
                                 TG_EBUFS);
                assert_int_equal(needed, n);
                if (len) {
                    assert_int_equal(strlen(buf), len - 1);
                    assert_memory_equal(buf, full, len - 1);
                    assert_int_equal(buf[len], 'X');
                }
            }
            memset(buf, 'X', n + 1);
            assert_int_equal(tg_decision_encode(e->d, all_formats[f], id, buf, n, NULL), TG_OK);
            assert_string_equal(buf, full);
            assert_int_equal(buf[n], 'X');
            free(buf);
            free(full);
        }
    }
}

static void test_bad_arguments(void **state)
{
    enc_env *e = *state;
    char buf[64];

    enc_env_decide(e, TG_VERDICT_ALLOW, "user_123");
    assert_int_equal(tg_decision_encode(NULL, TG_FORMAT_JSON, NULL, buf, sizeof buf, NULL),
                     TG_EINVAL);
    assert_int_equal(tg_decision_encode(e->d, TG_FORMAT_JSON, NULL, NULL, 10, NULL), TG_EINVAL);
    assert_int_equal(tg_decision_encode(e->d, (tg_format)5, NULL, buf, sizeof buf, NULL),
                     TG_EINVAL);
    assert_int_equal(tg_decision_encode(e->d, (tg_format)-1, NULL, buf, sizeof buf, NULL),
                     TG_EINVAL);
}

/* A decision nobody filled (tg_decision_new) still encodes to valid JSON. */
static void test_empty_decision(void **state)
{
    tg_decision *d = tg_decision_new();
    size_t f;

    (void)state;
    assert_non_null(d);
    for (f = 0; f < N(all_formats); f++) {
        char *text = enc_encode(d, all_formats[f], all_formats[f] >= TG_FORMAT_MCP ? "1" : NULL);
        if (all_formats[f] != TG_FORMAT_TEXT)
            json_object_put(parse_strict(text));
        free(text);
    }
    tg_decision_free(d);
}

/* ---- nasty inputs ---------------------------------------------------------- */

/* Every format, with and without a request id: valid, the identifier and the
 * link come back unchanged, text is one line of UTF-8. */
static void expect_all_encodings_sound(enc_env *e, const char *identifier)
{
    size_t f, k;
    const char *ids[] = { NULL, "\"x\\\"y\"" };

    for (f = 0; f < N(all_formats); f++) {
        for (k = 0; k < N(ids); k++) {
            char *text = enc_encode(e->d, all_formats[f], ids[k]);
            json_object *o;

            if (all_formats[f] == TG_FORMAT_TEXT) {
                assert_null(strpbrk(text, "\r\n"));
                assert_true(valid_utf8(text));
                free(text);
                continue;
            }
            o = parse_strict(text);
            if (all_formats[f] == TG_FORMAT_JSON)
                assert_string_equal(get_str(o, "identifier"), identifier);
            free(text);
            json_object_put(o);
        }
    }
}

static void test_nasty_identifiers_and_links(void **state)
{
    static const char *const identifiers[] = {
        "quote\"d", "back\\slash", "both \\\"\\\\\"", "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC "
        "\xF0\x9F\x98\x80", "</script><script>alert(1)</script>", "{\"json\":[1,2]}",
        "\xE2\x80\xA8line\xE2\x80\xA9sep", "%00%0a", "'single'",
    };
    enc_env *e = *state;
    size_t i, v;

    e->link_mode = ENC_LINK_RAW; /* the identifier pasted into the link as it is */
    for (i = 0; i < N(identifiers); i++) {
        for (v = 0; v < N(all_verdicts); v++) {
            json_object *o;
            char *text;

            enc_env_decide(e, all_verdicts[v], identifiers[i]);
            expect_all_encodings_sound(e, identifiers[i]);
            if (all_verdicts[v] != TG_VERDICT_NEEDS_AUTHORIZATION)
                continue;
            assert_non_null(strstr(tg_decision_link(e->d), identifiers[i]));
            text = enc_encode(e->d, TG_FORMAT_MCP, NULL);
            o = parse_strict(text);
            (void)expect_url_elicitation_error(o, e->d);
            json_object_put(o);
            free(text);
        }
    }
}

static void test_longest_identifier_and_link(void **state)
{
    enc_env *e = *state;
    static char link[TG_LINK_MAX + 1]; /* outlives the test: the provider keeps it */
    char id[TG_IDENTIFIER_MAX + 1];
    size_t i, v;

    /* 512 bytes: "\"é\\" repeated, each 4 bytes, all needing care. */
    for (i = 0; i + 4 <= TG_IDENTIFIER_MAX; i += 4)
        memcpy(id + i, "\"\xC3\xA9\\", 4);
    id[TG_IDENTIFIER_MAX] = '\0';
    /* 2048 bytes of link, quotes and backslashes in its query. */
    memset(link, 'q', TG_LINK_MAX);
    memcpy(link, "https://auth.example/authorize?x=", 33);
    for (i = 40; i + 2 < TG_LINK_MAX; i += 97) {
        link[i] = '"';
        link[i + 1] = '\\';
    }
    link[TG_LINK_MAX] = '\0';
    e->link_mode = ENC_LINK_FIXED;
    e->fixed_link = link;

    for (v = 0; v < N(all_verdicts); v++) {
        enc_env_decide(e, all_verdicts[v], id);
        assert_int_equal(strlen(tg_decision_identifier(e->d)), TG_IDENTIFIER_MAX);
        if (all_verdicts[v] == TG_VERDICT_NEEDS_AUTHORIZATION) {
            char *text = enc_encode(e->d, TG_FORMAT_MCP_INPUT_REQUIRED, "1");
            json_object *o = parse_strict(text);
            assert_true(strstr(text, "\"url\":") != NULL);
            assert_int_equal(strlen(tg_decision_link(e->d)), TG_LINK_MAX);
            json_object_put(o);
            free(text);
        }
        expect_all_encodings_sound(e, id);
    }
}

/* A provider's link is only known to be free of C0 controls: bytes that are
 * not UTF-8, and C1 controls, must not break the JSON or the text line. */
static void test_link_with_invalid_utf8(void **state)
{
    enc_env *e = *state;
    json_object *o, *el;
    char *text;

    e->link_mode = ENC_LINK_FIXED;
    e->fixed_link = "https://auth.example/\xFF\xFE?\xC3(x\xC2\x85y\xE2\x80\xA8z\x80";
    enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
    expect_all_encodings_sound(e, "user_456");

    text = enc_encode(e->d, TG_FORMAT_MCP, NULL);
    o = parse_strict(text);
    el = json_object_array_get_idx(get(get(o, "data"), "elicitations"), 0);
    /* Each bad byte is U+FFFD; valid characters are kept. */
    assert_string_equal(get_str(el, "url"),
                        "https://auth.example/\xEF\xBF\xBD\xEF\xBF\xBD?\xEF\xBF\xBD(x\xC2\x85y"
                        "\xE2\x80\xA8z\xEF\xBF\xBD");
    json_object_put(o);
    free(text);

    text = enc_encode(e->d, TG_FORMAT_TEXT, NULL);
    assert_null(strstr(text, "\xC2\x85"));
    assert_null(strstr(text, "\xE2\x80\xA8"));
    assert_non_null(strstr(text, "https://auth.example/\xEF\xBF\xBD\xEF\xBF\xBD?"));
    free(text);
}

/* Links of random bytes (all a provider may return: no C0 control, no DEL):
 * every encoding stays valid. A fixed seed keeps failures reproducible. */
static void test_random_links(void **state)
{
    static char link[TG_LINK_MAX + 1];
    enc_env *e = *state;
    uint32_t x = 0x12345678u;
    int round;

    e->link_mode = ENC_LINK_FIXED;
    e->fixed_link = link;
    for (round = 0; round < 300; round++) {
        size_t n, i;

        x = x * 1664525u + 1013904223u;
        n = 1 + (x >> 8) % 400;
        for (i = 0; i < n; i++) {
            unsigned char c;
            do {
                x = x * 1664525u + 1013904223u;
                c = (unsigned char)(x >> 24);
            } while (c < 0x20 || c == 0x7F);
            link[i] = (char)c;
        }
        link[n] = '\0';
        enc_env_decide(e, TG_VERDICT_NEEDS_AUTHORIZATION, "user_456");
        expect_all_encodings_sound(e, "user_456");
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_format_names),
        T(test_json_is_to_json),
        T(test_text_line),
        T(test_mcp_needs_authorization),
        T(test_mcp_elicitation_id_is_stable),
        T(test_mcp_unavailable_and_deny),
        T(test_mcp_allow),
        T(test_input_required_needs_authorization),
        T(test_input_required_other_verdicts),
        T(test_tool_result),
        T(test_request_ids),
        T(test_short_buffers),
        T(test_bad_arguments),
        T(test_empty_decision),
        T(test_nasty_identifiers_and_links),
        T(test_longest_identifier_and_link),
        T(test_link_with_invalid_utf8),
        T(test_random_links),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
