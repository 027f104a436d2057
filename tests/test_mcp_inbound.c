/* The client's side of `toolgate mcp-proxy` (src/mcp/inbound.c and
 * src/mcp/guard.c): lines fed in pieces of every size to the framer, a real
 * gate over the counting fake provider, and what reaches the server and the
 * client checked byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fake_provider.h"
#include "inbound.h"
#include "mcp_limits.h"

#define USER "u1"

typedef struct env {
    fake f;
    tg_gate *gate;
    mcp_guard guard;
    mcp_inbound in;
    mcp_buf server, client;  /* what each side received */
    int keep_server;         /* 0: count and hash the server's bytes only */
    size_t server_bytes;
    uint64_t server_hash;
    int notes, elicited;
    char conn[80], eid[80];
} env;

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}
#define FNV_START 14695981039346656037ull

static int to_server(void *ctx, const char *bytes, size_t n)
{
    env *e = ctx;
    e->server_bytes += n;
    e->server_hash = fnv(e->server_hash, bytes, n);
    if (e->keep_server)
        assert_int_equal(mcp_buf_add(&e->server, bytes, n), 0);
    return 0;
}

static void to_client(void *ctx, const char *msg, size_t n)
{
    env *e = ctx;
    assert_int_equal(mcp_buf_add(&e->client, msg, n), 0);
    assert_int_equal(mcp_buf_add(&e->client, "\n", 1), 0);
}

static void note(void *ctx, const char *text)
{
    env *e = ctx;
    (void)text;
    e->notes++;
}

static void elicited(void *ctx, const char *connection, const char *eid)
{
    env *e = ctx;
    e->elicited++;
    snprintf(e->conn, sizeof e->conn, "%s", connection);
    snprintf(e->eid, sizeof e->eid, "%s", eid);
}

static const mcp_inbound_ops ops = { to_server, to_client, note };

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_int_equal(fake_init(&e->f, 64, TG_STATUS_NOT_FOUND, 0), 0);
    fake_set(&e->f, "gmail", USER, TG_STATUS_ACTIVE);
    fake_set(&e->f, "slack", USER, TG_STATUS_EXPIRED);
    assert_int_equal(tg_gate_new_with_provider(
                         &e->gate,
                         "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"},"
                         "\"map\":{\"down\":\"down\"},\"unmapped\":\"deny\"}}",
                         NULL, &fake_provider, &e->f),
                     TG_OK);
    assert_int_equal(mcp_guard_init(&e->guard, e->gate, USER, elicited, e), 0);
    assert_int_equal(mcp_inbound_init(&e->in, &e->guard, &ops, e), 0);
    e->keep_server = 1;
    e->server_hash = FNV_START;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    mcp_inbound_free(&e->in);
    mcp_guard_free(&e->guard);
    tg_gate_free(e->gate);
    fake_destroy(&e->f);
    mcp_buf_free(&e->server);
    mcp_buf_free(&e->client);
    free(e);
    return 0;
}

static void clear(env *e)
{
    e->server.len = e->client.len = 0;
    e->server_bytes = 0;
    e->server_hash = FNV_START;
    e->notes = e->elicited = 0;
}

static void feed(env *e, const char *text, size_t n, size_t chunk)
{
    size_t i;
    if (chunk == 0)
        chunk = n ? n : 1;
    for (i = 0; i < n; i += chunk)
        mcp_inbound_feed(&e->in, text + i, n - i < chunk ? n - i : chunk);
}

static void feeds(env *e, const char *text)
{
    feed(e, text, strlen(text), 0);
}

static const size_t chunks[] = { 0, 1, 2, 7, 64, 4096 };
#define N_CHUNKS (sizeof chunks / sizeof chunks[0])

static void assert_server(env *e, const char *want)
{
    if (e->server.len != strlen(want) || memcmp(e->server.data, want, e->server.len) != 0)
        fail_msg("server got \"%.*s\", want \"%s\"", (int)e->server.len,
                 e->server.data ? e->server.data : "", want);
}

/* @p text reaches the server as the same bytes, in pieces of every size,
 * and nothing goes to the client. */
static void assert_passes_unchanged(env *e, const char *text)
{
    size_t c;

    for (c = 0; c < N_CHUNKS; c++) {
        clear(e);
        feed(e, text, strlen(text), chunks[c]);
        assert_server(e, text);
        assert_int_equal(e->client.len, 0);
    }
}

/* The client's messages, parsed (one per line). */
static json_object *client_message(env *e, size_t k)
{
    size_t i = 0, start = 0, line = 0;
    for (i = 0; i < e->client.len; i++) {
        if (e->client.data[i] != '\n')
            continue;
        if (line++ == k) {
            json_tokener *tok = json_tokener_new();
            json_object *o;
            json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
            o = json_tokener_parse_ex(tok, e->client.data + start, (int)(i - start));
            assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
            json_tokener_free(tok);
            return o;
        }
        start = i + 1;
    }
    fail_msg("no client message %zu", k);
    return NULL;
}

static size_t client_lines(const env *e)
{
    size_t i, n = 0;
    for (i = 0; i < e->client.len; i++)
        n += e->client.data[i] == '\n';
    return n;
}

static json_object *get(json_object *o, const char *path)
{
    char key[64];
    const char *p = path;
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(key));
        else if (!json_object_object_get_ex(o, key, &o))
            o = NULL;
        p += n + (p[n] == '.');
    }
    return o;
}

static const char *get_str(json_object *o, const char *path)
{
    json_object *v = get(o, path);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Everything that is not a gated call passes as the same bytes, whatever
 * the pieces. */
static void test_passthrough(void **state)
{
    static const char text[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
        "\n"
        "not json at all \x01\xff\n"
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}\r\n"
        "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"model\":\"m\",\"role\":\"assistant\"}}\n"
        "  [ {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"} , 3 ]  \n"
        "\"just a string\"\n"
        "{\"method\":\"tools/call\",\"id\":9\n" /* unfinished JSON: invalid, passed on */
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/callx\",\"params\":{\"name\":\"slack_x\"}}\n";

    assert_passes_unchanged(*state, text);
}

static void test_allowed_call(void **state)
{
    static const char text[] = "{ \"jsonrpc\" : \"2.0\", \"id\" : 5 , \"method\":\"tools/call\","
                               "\"params\":{\"name\":\"gmail_send\",\"arguments\":{\"to\":\"a\"}}}\r\n";

    assert_passes_unchanged(*state, text);
}

/* Without URL elicitation: a CallToolResult with isError, the link in its
 * text, the request's id byte for byte. */
static void test_blocked_tool_result(void **state)
{
    env *e = *state;
    static const char text[] = "{\"jsonrpc\":\"2.0\",\"id\":\"a\\u0041\",\"method\":\"tools/call\","
                               "\"params\":{\"name\":\"slack_post\"}}\n";
    json_object *m;
    const char *t;
    size_t c;

    for (c = 0; c < N_CHUNKS; c++) {
        clear(e);
        feed(e, text, sizeof text - 1, chunks[c]);
        assert_int_equal(e->server.len, 0);
        assert_int_equal(client_lines(e), 1);
        assert_non_null(strstr(e->client.data, "\"id\":\"a\\u0041\","));
        m = client_message(e, 0);
        assert_string_equal(get_str(m, "jsonrpc"), "2.0");
        assert_true(json_object_get_boolean(get(m, "result.isError")));
        assert_null(get(m, "result.structuredContent"));
        assert_null(get(m, "error"));
        t = get_str(m, "result.content.0.text");
        assert_non_null(t);
        assert_non_null(strstr(t, "slack account of u1 is EXPIRED"));
        assert_non_null(strstr(t, "https://auth.example/slack/u1?n="));
        json_object_put(m);
        assert_int_equal(e->elicited, 0);
    }
}

/* With URL elicitation declared at initialize: -32042, watched. */
static void test_blocked_url_elicitation(void **state)
{
    env *e = *state;
    static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                               "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":"
                               "{\"elicitation\":{\"url\":{}}},\"clientInfo\":{}}}\n";
    static const char call[] = "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\","
                               "\"params\":{\"name\":\"slack_post\"}}\n";
    json_object *m;
    char link[256];
    const char *eid;

    clear(e);
    feed(e, init, sizeof init - 1, 3);
    assert_server(e, init);
    assert_int_equal(e->guard.url_elicitation, 1);
    clear(e);
    feed(e, call, sizeof call - 1, 5);
    assert_int_equal(e->server.len, 0);
    m = client_message(e, 0);
    assert_int_equal(json_object_get_int(get(m, "id")), 12);
    assert_int_equal(json_object_get_int(get(m, "error.code")), -32042);
    assert_string_equal(get_str(m, "error.data.elicitations.0.mode"), "url");
    fake_link_text(link, sizeof link, "slack", USER, fake_get(&e->f, "slack", USER).links);
    assert_string_equal(get_str(m, "error.data.elicitations.0.url"), link);
    eid = get_str(m, "error.data.elicitations.0.elicitationId");
    assert_non_null(eid);
    assert_int_equal(e->elicited, 1);
    assert_string_equal(e->conn, "slack");
    assert_string_equal(e->eid, eid);
    json_object_put(m);

    /* DENY and UNAVAILABLE are never elicitations. */
    clear(e);
    feeds(e, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\",\"params\":{\"name\":\"other\"}}\n");
    m = client_message(e, 0);
    assert_null(get(m, "error"));
    assert_true(json_object_get_boolean(get(m, "result.isError")));
    assert_non_null(strstr(get_str(m, "result.content.0.text"), "not mapped"));
    json_object_put(m);
    fake_fail(&e->f, TG_EPROVIDER, TG_EPROVIDER);
    clear(e);
    feeds(e, "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\",\"params\":{\"name\":\"down\"}}\n");
    m = client_message(e, 0);
    assert_null(get(m, "error"));
    assert_true(json_object_get_boolean(get(m, "result.isError")));
    json_object_put(m);
    assert_int_equal(e->server.len, 0);
    assert_int_equal(e->elicited, 0);
    fake_fail(&e->f, 0, 0);

    /* A later initialize without it turns it off. */
    clear(e);
    feeds(e, "{\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}\n");
    assert_int_equal(e->guard.url_elicitation, 0);
}

static void test_bad_requests(void **state)
{
    env *e = *state;
    static const char *const lines[] = {
        "{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"bad name!\"}}\n",
        "{\"id\":2,\"method\":\"tools/call\",\"params\":{}}\n",
        "{\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":7}}\n",
        "{\"id\":4,\"method\":\"tools/call\"}\n",
        "{\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\",\"name\":\"slack_b\"}}\n",
        "{\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"},\"params\":{}}\n",
        "{\"id\":7,\"method\":\"ping\",\"method\":\"tools/call\",\"params\":{\"name\":\"slack_b\"}}\n",
        "{\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_\\u0000x\"}}\n",
    };
    size_t i;

    for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        json_object *m;
        clear(e);
        feed(e, lines[i], strlen(lines[i]), 0);
        if (e->server.len != 0)
            fail_msg("forwarded: %s", lines[i]);
        m = client_message(e, 0);
        assert_int_equal(json_object_get_int(get(m, "id")), (int)i + 1);
        assert_true(json_object_get_boolean(get(m, "result.isError")));
        assert_non_null(strstr(get_str(m, "result.content.0.text"), "The tool did not run"));
        json_object_put(m);
    }
    /* An id that is not one JSON value is not echoed: the answer's is null. */
    {
        json_object *m;
        clear(e);
        feeds(e, "{\"id\":3\xfe,\"method\":\"tools/call\",\"params\":{\"name\":\"slack_a\"}}\n");
        assert_int_equal(e->server.len, 0);
        m = client_message(e, 0);
        assert_true(json_object_is_type(get(m, "id"), json_type_null));
        assert_true(json_object_get_boolean(get(m, "result.isError")));
        json_object_put(m);
    }
    /* A duplicate method whose tools/call is allowed goes on unchanged. */
    clear(e);
    feeds(e, "{\"id\":9,\"method\":\"tools/call\",\"method\":\"x\",\"params\":{\"name\":\"gmail_a\"}}\n");
    assert_server(e, "{\"id\":9,\"method\":\"tools/call\",\"method\":\"x\",\"params\":{\"name\":\"gmail_a\"}}\n");
}

/* A tools/call without an id: forwarded when allowed, else dropped. */
static void test_notifications(void **state)
{
    env *e = *state;
    static const char ok[] = "{\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}}\n";
    static const char no[] = "{\"method\":\"tools/call\",\"params\":{\"name\":\"slack_a\"}}\n";

    clear(e);
    feed(e, ok, sizeof ok - 1, 0);
    assert_server(e, ok);
    clear(e);
    feed(e, no, sizeof no - 1, 0);
    assert_int_equal(e->server.len, 0);
    assert_int_equal(e->client.len, 0);
    assert_int_equal(e->notes, 1);
}

static void test_batch_split(void **state)
{
    env *e = *state;
    static const char text[] =
        "[{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}} ,"
        "{\"id\":\"b\",\"method\":\"tools/call\",\"params\":{\"name\":\"slack_a\"}},"
        "{\"id\":3,\"method\":\"ping\"},"
        "{\"method\":\"tools/call\",\"params\":{\"name\":\"slack_a\"}}]\n";
    static const char all_ok[] = "[{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}},"
                                 " {\"id\":3,\"method\":\"ping\"}]\n";
    json_object *m;
    size_t c;

    for (c = 0; c < N_CHUNKS; c++) {
        clear(e);
        feed(e, text, sizeof text - 1, chunks[c]);
        assert_server(e, "[{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}},"
                         "{\"id\":3,\"method\":\"ping\"}]\n");
        assert_int_equal(client_lines(e), 1);
        m = client_message(e, 0);
        assert_true(json_object_is_type(m, json_type_array));
        assert_int_equal(json_object_array_length(m), 1);
        assert_string_equal(get_str(m, "0.id"), "b");
        assert_true(json_object_get_boolean(get(m, "0.result.isError")));
        json_object_put(m);
        assert_int_equal(e->notes, 1); /* the blocked notification */
    }
    clear(e);
    feed(e, all_ok, sizeof all_ok - 1, 0);
    assert_server(e, all_ok);
    assert_int_equal(e->client.len, 0);
}

static void test_batch_too_large(void **state)
{
    env *e = *state;
    mcp_buf b = { NULL, 0, 0, 0 };
    json_object *m;
    size_t i;

    assert_int_equal(mcp_buf_add(&b, "[", 1), 0);
    for (i = 0; i < MCP_BATCH_MAX + 1; i++)
        assert_int_equal(mcp_buf_adds(&b, "{\"method\":\"notifications/x\"},"), 0);
    assert_int_equal(mcp_buf_adds(&b, "{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}}]\n"), 0);
    clear(e);
    feed(e, b.data, b.len, 0);
    assert_int_equal(e->server.len, 0);
    m = client_message(e, 0);
    assert_true(json_object_is_type(get(m, "id"), json_type_null));
    assert_int_equal(json_object_get_int(get(m, "error.code")), -32600);
    json_object_put(m);
    /* Without a call, it goes on as it is. */
    b.len -= strlen("{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}}]\n");
    b.data[b.len - 1] = ']';
    assert_int_equal(mcp_buf_add(&b, "\n", 1), 0);
    clear(e);
    feed(e, b.data, b.len, 1000);
    assert_int_equal(e->server.len, b.len);
    assert_memory_equal(e->server.data, b.data, b.len);
    mcp_buf_free(&b);
}

/* The client's last line, unfinished at the end of its input. */
static void test_unfinished_last_line(void **state)
{
    env *e = *state;
    static const char ok[] = "{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gmail_a\"}}";
    static const char no[] = "{\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slack_a\"}}";

    clear(e);
    feed(e, ok, sizeof ok - 1, 3);
    assert_int_equal(e->server.len, 0);
    mcp_inbound_end(&e->in);
    assert_server(e, ok);
    clear(e);
    feed(e, no, sizeof no - 1, 0);
    mcp_inbound_end(&e->in);
    assert_int_equal(e->server.len, 0);
    assert_int_equal(client_lines(e), 1);
    clear(e);
    mcp_inbound_end(&e->in);
    assert_int_equal(e->server.len + e->client.len, 0);
}

/* A message of @p args_len bytes of arguments; @p method_last puts the
 * method after them. */
static char *big_line(const char *method, const char *name, size_t args_len, int method_last,
                      size_t *len)
{
    mcp_buf b = { NULL, 0, 0, 0 };
    char head[256];

    snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":77,%s%s%s\"params\":{\"name\":\"%s\",\"arguments\":{\"blob\":\"",
             method_last ? "" : "\"method\":\"", method_last ? "" : method,
             method_last ? "" : "\",", name);
    assert_int_equal(mcp_buf_reserve(&b, args_len + 512), 0);
    assert_int_equal(mcp_buf_adds(&b, head), 0);
    memset(b.data + b.len, 'x', args_len);
    b.len += args_len;
    assert_int_equal(mcp_buf_adds(&b, "\"}}"), 0);
    if (method_last) {
        assert_int_equal(mcp_buf_adds(&b, ",\"method\":\""), 0);
        assert_int_equal(mcp_buf_adds(&b, method), 0);
        assert_int_equal(mcp_buf_adds(&b, "\""), 0);
    }
    assert_int_equal(mcp_buf_adds(&b, "}\n"), 0);
    *len = b.len;
    return b.data;
}

/* Several MiB under the limit: held, judged, passed on whole. */
static void test_big_allowed(void **state)
{
    env *e = *state;
    size_t n;
    char *t = big_line("tools/call", "gmail_send", (size_t)8 << 20, 0, &n);

    clear(e);
    e->keep_server = 0;
    feed(e, t, n, 65536);
    assert_int_equal(e->server_bytes, n);
    assert_true(e->server_hash == fnv(FNV_START, t, n));
    assert_int_equal(e->client.len, 0);
    e->keep_server = 1;
    free(t);
}

/* Over the line limit (1 MiB here, MCP_LINE_MAX in the proxy): any other
 * message streams through unchanged; a tools/call is cut short, never whole
 * at the server, and answered. */
static void test_over_the_limit(void **state)
{
    env *e = *state;
    const size_t limit = (size_t)1 << 20;
    size_t n, c;
    char *t;

    e->in.line_max = limit;
    clear(e);
    feeds(e, "{\"id\":0,\"method\":\"ping\"}\n"); /* the limit applies from the next line */
    t = big_line("resources/read", "x", limit + 1000, 0, &n);
    clear(e);
    e->keep_server = 0;
    feed(e, t, n, 65536);
    assert_int_equal(e->server_bytes, n);
    assert_true(e->server_hash == fnv(FNV_START, t, n));
    free(t);

    for (c = 0; c < 2; c++) {
        json_object *m;
        t = big_line("tools/call", "gmail_send", limit + 1000 + c * limit, (int)c, &n);
        clear(e);
        feed(e, t, n, 65536);
        /* The server got a prefix of the line, then a newline: never the
         * message's last brace. */
        assert_true(e->server_bytes < n);
        assert_true(e->server_hash == fnv(fnv(FNV_START, t, e->server_bytes - 1), "\n", 1));
        m = client_message(e, 0);
        assert_int_equal(json_object_get_int(get(m, "id")), 77);
        assert_true(json_object_get_boolean(get(m, "result.isError")));
        assert_non_null(strstr(get_str(m, "result.content.0.text"), "larger than"));
        json_object_put(m);
        free(t);
    }
    e->keep_server = 1;
    /* The next line is judged as usual. */
    clear(e);
    feeds(e, "{\"id\":1,\"method\":\"ping\"}\n");
    assert_server(e, "{\"id\":1,\"method\":\"ping\"}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_passthrough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allowed_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_tool_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_url_elicitation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfinished_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_over_the_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
