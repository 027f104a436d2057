/*
 * `toolgate serve`, route by route, over real sockets, with the file
 * provider: every verdict in every format answered exactly as `toolgate
 * check` prints it; status, link and invalidate as their commands print
 * them; every refusal (400 with the error object, 404, 405 with Allow, 413,
 * 401) with its code; health and readiness; keep-alive. One server for the
 * group, started on port 0 and always stopped; its exit code must be 0 (a
 * sanitizer report in the server makes it otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "dev_server.h"
#include "harness.h"

#define LINK_BASE "https://connect.example.com/authorize"
#define CONFIG                                                                               \
    "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\",\"create_missing\":false},"  \
    "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"},\"prefixes\":{\"slack_\":\"slack\"}," \
    "\"unmapped\":\"deny\"}}"
#define ACCOUNTS                                                                             \
    "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["                                         \
    "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"            \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"},"           \
    "{\"connection\":\"gmail\",\"identifier\":\"user_\\u00e9\",\"status\":\"REVOKED\"},"       \
    "{\"connection\":\"slack\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"}]}"

static char dir[64];
static sv_server srv;

static int group_setup(void **state)
{
    (void)state;
    if (sv_setup_dir(dir, sizeof dir, CONFIG, ACCOUNTS) != 0)
        return -1;
    return sv_start(&srv, dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    return sv_teardown(&srv, dir);
}

/* ---- helpers -------------------------------------------------------------------- */

static void expect_status(const sv_answer *a, long status)
{
    if (a->status != status)
        fail_msg("HTTP %ld, expected %ld\n%s%s", a->status, status, a->headers, a->body);
}

/* A 4xx/5xx whose body is {"error":{"code":CODE,"message":…}} and whose
 * message contains @p needle (when given). */
static void expect_error(const sv_answer *a, long status, const char *code, const char *needle)
{
    json_object *root, *err, *c, *m;
    char type[128];

    expect_status(a, status);
    sv_header(a, "Content-Type", type, sizeof type);
    assert_string_equal(type, "application/json");
    root = json_tokener_parse(a->body);
    if (!root || !json_object_object_get_ex(root, "error", &err) ||
        !json_object_object_get_ex(err, "code", &c) ||
        !json_object_object_get_ex(err, "message", &m) || json_object_object_length(root) != 1 ||
        json_object_object_length(err) != 2)
        fail_msg("not an error object: %s", a->body);
    if (strcmp(json_object_get_string(c), code) != 0)
        fail_msg("error code %s, expected %s: %s", json_object_get_string(c), code, a->body);
    if (needle && !strstr(json_object_get_string(m), needle))
        fail_msg("the message does not mention \"%s\": %s", needle, a->body);
    json_object_put(root);
}

static void post(const char *target, const char *body, sv_answer *a)
{
    assert_int_equal(sv_http(&srv, "POST", target, body, NULL, a), 0);
}

static void get(const char *target, sv_answer *a)
{
    assert_int_equal(sv_http(&srv, "GET", target, NULL, NULL, a), 0);
}

/* `toolgate ARGS` run locally on the same configuration. */
static void local(const char *const *args, sv_run *r)
{
    assert_int_equal(sv_cli(dir, args, NULL, r), 0);
}

static void expect_same(const char *what, const char *served, const char *printed)
{
    char *a = sv_normalised(served), *b = sv_normalised(printed);
    if (strcmp(a, b) != 0)
        fail_msg("%s: the server answered\n%s\nthe command printed\n%s", what, served, printed);
    free(a);
    free(b);
}

/* ---- /v1/check ------------------------------------------------------------------ */

typedef struct verdict_case {
    const char *tool, *identifier, *verdict;
    int exit_code;
} verdict_case;

static const verdict_case verdicts[] = {
    { "gmail_send_email", "user_123", "ALLOW", 0 },
    { "gmail_send_email", "user_456", "NEEDS_AUTHORIZATION", 10 },
    { "slack_post", "user_123", "ALLOW", 0 },
    { "gmail_send_email", "user_\xc3\xa9", "NEEDS_AUTHORIZATION", 10 },
    { "gmail_send_email", "user_nobody", "NEEDS_AUTHORIZATION", 10 }, /* NOT_FOUND */
    { "calendar_create", "user_123", "DENY", 12 },                     /* unmapped */
};

static const char *const formats[] = { "json", "text", "mcp", "mcp-input-required",
                                       "mcp-tool-result" };

/* One check over HTTP, to @p s, and the same check by the command with
 * @p config: the same bytes (but for when the link expires and where the
 * status came from), the verdict in a header, the exit code it gives. */
static void compare_check(const sv_server *s, const char *config, const verdict_case *v,
                          const char *format, const char *request_id)
{
    json_object *body = json_object_new_object();
    char what[256], header[64], type[128], raw[1200];
    const char *args[16];
    size_t n = 0;
    sv_answer a;
    sv_run r;

    json_object_object_add(body, "tool", json_object_new_string(v->tool));
    json_object_object_add(body, "identifier", json_object_new_string(v->identifier));
    if (format)
        json_object_object_add(body, "format", json_object_new_string(format));
    snprintf(raw, sizeof raw, "%s", json_object_to_json_string(body));
    if (request_id) /* as written, e.g. with \u escapes: it must come back the same */
        snprintf(raw + strlen(raw) - 1, sizeof raw - strlen(raw) + 1, ",\"request_id\":%s}",
                 request_id);
    json_object_put(body);
    assert_int_equal(sv_http(s, "POST", "/v1/check", raw, NULL, &a), 0);
    snprintf(what, sizeof what, "%s for %s, format %s, request id %s", v->tool, v->identifier,
             format ? format : "(none)", request_id ? request_id : "(none)");
    expect_status(&a, 200);
    sv_header(&a, "Toolgate-Verdict", header, sizeof header);
    if (strcmp(header, v->verdict) != 0)
        fail_msg("%s: Toolgate-Verdict %s, expected %s", what, header, v->verdict);
    sv_header(&a, "Content-Type", type, sizeof type);
    assert_string_equal(type, format && strcmp(format, "text") == 0 ? "text/plain; charset=utf-8"
                                                                   : "application/json");
    /* What failed goes with UNAVAILABLE, and only with it. */
    if (sv_header(&a, "Toolgate-Error", header, sizeof header) !=
        (strcmp(v->verdict, "UNAVAILABLE") == 0))
        fail_msg("%s: Toolgate-Error \"%s\" with verdict %s", what, header, v->verdict);

    args[n++] = "check";
    args[n++] = "--config";
    args[n++] = config;
    args[n++] = "--tool";
    args[n++] = v->tool;
    args[n++] = "--identifier";
    args[n++] = v->identifier;
    if (format) {
        args[n++] = "--format";
        args[n++] = format;
    }
    if (request_id) {
        args[n++] = "--request-id";
        args[n++] = request_id;
    }
    args[n] = NULL;
    local(args, &r);
    if (r.code != v->exit_code)
        fail_msg("%s: the command exited %d, expected %d: %s", what, r.code, v->exit_code, r.err);
    expect_same(what, a.body, r.out);
    sv_run_free(&r);
    sv_answer_free(&a);
}

static void test_check_every_verdict_every_format(void **state)
{
    size_t v, f;
    (void)state;
    for (v = 0; v < sizeof verdicts / sizeof verdicts[0]; v++) {
        compare_check(&srv, "toolgate.json", &verdicts[v], NULL, NULL);
        for (f = 0; f < sizeof formats / sizeof formats[0]; f++)
            compare_check(&srv, "toolgate.json", &verdicts[v], formats[f], NULL);
        compare_check(&srv, "toolgate.json", &verdicts[v], "mcp", "7");
        compare_check(&srv, "toolgate.json", &verdicts[v], "mcp-input-required",
                      "\"req-\\u00e9\"");
        compare_check(&srv, "toolgate.json", &verdicts[v], "mcp-tool-result",
                      "-9007199254740993");
    }
}

/* UNAVAILABLE: a second server whose provider cannot be reached (a loopback
 * port nobody listens on), against the command with the same configuration. */
static void test_check_unavailable(void **state)
{
    verdict_case unavailable = { "gmail_send_email", "user_123", "UNAVAILABLE", 11 };
    char config[512];
    sv_server down;
    size_t f;
    (void)state;

    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":"
             "\"http://127.0.0.1:%d\",\"client_id\":\"a\",\"client_secret\":\"b\","
             "\"timeout_ms\":300},\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             tg_dev_closed_port());
    assert_int_equal(sv_write(dir, "refused.json", config, NULL), 0);
    assert_int_equal(sv_start(&down, dir,
                              SV_ARGS("serve", "--config", "refused.json", "--listen",
                                      "127.0.0.1:0"),
                              NULL),
                     0);
    for (f = 0; f < sizeof formats / sizeof formats[0]; f++)
        compare_check(&down, "refused.json", &unavailable, formats[f], NULL);
    compare_check(&down, "refused.json", &unavailable, "mcp", "\"x\"");
    assert_int_equal(sv_stop(&down), 0);
}

/* /readyz follows the provider: the accounts file goes bad after the start
 * (a provider failure), then is fixed. */
static void test_readyz(void **state)
{
    sv_answer a;
    (void)state;

    get("/readyz", &a);
    expect_status(&a, 200);
    assert_string_equal(a.body, "ok");
    sv_answer_free(&a);

    assert_int_equal(sv_write(dir, "accounts.json", "{\"link_base\":", NULL), 0);
    post("/v1/check", "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_fresh\"}", &a);
    expect_status(&a, 200);
    assert_non_null(strstr(a.body, "\"verdict\":\"UNAVAILABLE\""));
    sv_answer_free(&a);
    get("/readyz", &a);
    expect_status(&a, 503);
    assert_non_null(strstr(a.body, "not ready"));
    sv_answer_free(&a);
    get("/healthz", &a); /* alive all the same */
    expect_status(&a, 200);
    sv_answer_free(&a);

    assert_int_equal(sv_write(dir, "accounts.json", ACCOUNTS, NULL), 0);
    post("/v1/check", "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_fresh2\"}", &a);
    expect_status(&a, 200);
    sv_answer_free(&a);
    get("/readyz", &a);
    expect_status(&a, 200);
    assert_string_equal(a.body, "ok");
    sv_answer_free(&a);
}

/* ---- /v1/status, /v1/link, /v1/invalidate -------------------------------------------- */

static void test_status_and_link(void **state)
{
    static const char *const ids[] = { "user_123", "user_456", "user_\xc3\xa9", "user_nobody" };
    char target[256], header[64];
    sv_answer a;
    sv_run r;
    size_t i, t;
    (void)state;

    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *esc = strcmp(ids[i], "user_\xc3\xa9") == 0 ? "user_%C3%A9" : ids[i];
        for (t = 0; t < 2; t++) {
            const char *fmt = t ? "text" : "json";
            snprintf(target, sizeof target, "/v1/status?connection=gmail&identifier=%s%s", esc,
                     t ? "&format=text" : "");
            get(target, &a);
            expect_status(&a, 200);
            local(SV_ARGS("status", "--connection", "gmail", "--identifier", ids[i], "--format",
                          fmt),
                  &r);
            expect_same(target, a.body, r.out);
            sv_header(&a, "Toolgate-Verdict", header, sizeof header);
            assert_string_equal(header, r.code == 0 ? "ALLOW" : "NEEDS_AUTHORIZATION");
            sv_run_free(&r);
            sv_answer_free(&a);

            snprintf(target, sizeof target, "/v1/link?connection=gmail&identifier=%s%s", esc,
                     t ? "&format=text" : "");
            get(target, &a);
            expect_status(&a, 200);
            local(SV_ARGS("link", "--connection", "gmail", "--identifier", ids[i], "--format",
                          fmt),
                  &r);
            assert_int_equal(r.code, 0);
            expect_same(target, a.body, r.out);
            sv_run_free(&r);
            sv_answer_free(&a);
        }
    }
}

static void test_invalidate(void **state)
{
    sv_answer a;
    (void)state;

    post("/v1/check", "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_123\"}", &a);
    sv_answer_free(&a);
    post("/v1/check", "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_123\"}", &a);
    assert_non_null(strstr(a.body, "\"source\":\"cache\""));
    sv_answer_free(&a);

    post("/v1/invalidate", "{\"connection\":\"gmail\",\"identifier\":\"user_123\"}", &a);
    expect_status(&a, 204);
    assert_int_equal(a.len, 0);
    sv_answer_free(&a);
    post("/v1/check", "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_123\"}", &a);
    assert_non_null(strstr(a.body, "\"source\":\"provider\""));
    sv_answer_free(&a);

    /* The whole connection, and one nobody checked. */
    post("/v1/invalidate", "{\"connection\":\"gmail\"}", &a);
    expect_status(&a, 204);
    sv_answer_free(&a);
    post("/v1/invalidate", "{\"connection\":\"never_seen\",\"identifier\":\"x\"}", &a);
    expect_status(&a, 204);
    sv_answer_free(&a);
    post("/v1/invalidate", "{\"connection\":\"gm@il\",\"identifier\":\"x\"}", &a);
    expect_error(&a, 400, "EINVAL", "connection");
    sv_answer_free(&a);
    post("/v1/invalidate", "{\"identifier\":\"x\"}", &a);
    expect_error(&a, 400, "EINVAL", "connection");
    sv_answer_free(&a);
}

/* ---- refusals ------------------------------------------------------------------------ */

typedef struct bad_body {
    const char *body, *needle;
} bad_body;

static void test_bad_bodies(void **state)
{
    static const bad_body cases[] = {
        { "", "JSON object" },
        { "{", "ended early" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\"", "ended early" },
        { "[1,2]", "JSON object" },
        { "\"tool\"", "JSON object" },
        { "{'tool':'x'}", "not valid JSON" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",}", "not valid JSON" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\"} {}", "not valid JSON" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"tool\":\"x\"}", "twice" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"extra\":1}", "unknown key" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"tool\\u0000x\":1}", "u0000" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\\u0000v\"}", "u0000" },
        { "{\"identifier\":\"u\"}", "missing \"tool\"" },
        { "{\"tool\":\"gmail_send_email\"}", "missing \"identifier\"" },
        { "{\"tool\":7,\"identifier\":\"u\"}", "\"tool\" must be a string" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":[\"u\"]}", "must be a string" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\\u0001\"}", "identifier" },
        { "{\"tool\":\"bad tool!\",\"identifier\":\"u\"}", "tool" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"format\":\"xml\"}", "format" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"request_id\":1}",
          "needs format mcp" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"format\":\"mcp\","
          "\"request_id\":{\"a\":1}}",
          "JSON-RPC id" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"u\",\"format\":\"mcp\","
          "\"request_id\":1.5}",
          "JSON-RPC id" },
        { "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", "nested too deeply" },
        { "{\"tool\":\"gmail_send_email\",\"identifier\":\"\xff\xfe\"}", "not valid JSON" },
    };
    sv_answer a;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        post("/v1/check", cases[i].body, &a);
        print_message("    %-70.70s -> %ld %s", cases[i].body, a.status, a.body);
        expect_error(&a, 400, "EINVAL", cases[i].needle);
        sv_answer_free(&a);
    }
    /* An identifier of 513 bytes. */
    {
        char body[700];
        char id[514];
        memset(id, 'a', 513);
        id[513] = '\0';
        snprintf(body, sizeof body, "{\"tool\":\"gmail_send_email\",\"identifier\":\"%s\"}", id);
        post("/v1/check", body, &a);
        expect_error(&a, 400, "EINVAL", "identifier");
        sv_answer_free(&a);
    }
}

static void test_bad_queries(void **state)
{
    static const bad_body cases[] = {
        { "/v1/status?connection=gmail", "missing query argument \"identifier\"" },
        { "/v1/status?identifier=u", "missing query argument \"connection\"" },
        { "/v1/status?connection=gmail&identifier=u&identifier=v", "twice" },
        { "/v1/status?connection=gmail&identifier=u&x=1", "unknown query argument \"x\"" },
        { "/v1/status?connection=gmail&identifier=u%00v", "without NUL" },
        { "/v1/status?connection=gmail&identifier=u%01", "identifier" },
        { "/v1/status?connection=gm%40il&identifier=u", "connection" },
        { "/v1/status?connection=gmail&identifier=u&format=xml", "json or text" },
        { "/v1/link?connection=gmail&identifier=u&format=mcp", "json or text" },
        { "/v1/wait?connection=gmail&identifier=u&timeout_ms=-1", "timeout_ms" },
        { "/v1/wait?connection=gmail&identifier=u&timeout_ms=600001", "timeout_ms" },
        { "/v1/wait?connection=gmail&identifier=u&timeout_ms=1e3", "timeout_ms" },
        { "/v1/wait?connection=gmail", "identifier" },
    };
    sv_answer a;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        get(cases[i].body, &a);
        print_message("    %-60s -> %ld %s", cases[i].body, a.status, a.body);
        expect_error(&a, 400, "EINVAL", cases[i].needle);
        sv_answer_free(&a);
    }
}

static void test_unknown_routes_and_methods(void **state)
{
    static const char *const unknown[] = { "/", "/v1", "/v1/check/", "/v1/CHECK", "/v2/check",
                                           "/metrics/x", "/v1/webhooks", "/v1/check?x" };
    static const struct {
        const char *method, *target, *allow;
    } wrong[] = {
        { "GET", "/v1/check", "POST" },       { "POST", "/v1/status", "GET" },
        { "PUT", "/v1/link", "GET" },         { "DELETE", "/v1/invalidate", "POST" },
        { "POST", "/v1/wait", "GET" },        { "GET", "/v1/webhooks/scalekit", "POST" },
        { "POST", "/metrics", "GET" },        { "HEAD", "/healthz", "GET" },
        { "PATCH", "/readyz", "GET" },
    };
    char allow[32];
    sv_answer a;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        if (strchr(unknown[i], '?') && strncmp(unknown[i], "/v1/check", 9) == 0) {
            /* A query on a POST route is not a route of its own: the check is refused
             * for its (empty) body, not as a 404. */
            post(unknown[i], "", &a);
            expect_error(&a, 400, "EINVAL", NULL);
        } else {
            get(unknown[i], &a);
            expect_error(&a, 404, "ENOTFOUND", NULL);
        }
        sv_answer_free(&a);
    }
    for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        assert_int_equal(sv_http(&srv, wrong[i].method, wrong[i].target, NULL, NULL, &a), 0);
        expect_status(&a, 405);
        if (strcmp(wrong[i].method, "HEAD") != 0)
            expect_error(&a, 405, "EMETHOD", NULL);
        assert_true(sv_header(&a, "Allow", allow, sizeof allow));
        assert_string_equal(allow, wrong[i].allow);
        sv_answer_free(&a);
    }
    /* No secret given: the webhook route does not exist. */
    post("/v1/webhooks/scalekit", "{}", &a);
    expect_error(&a, 404, "ENOTFOUND", "webhook secret");
    sv_answer_free(&a);
}

/* Over 64 KiB: 413, declared or streamed; the server goes on. */
static void test_too_large(void **state)
{
    static const char head[] = "POST /v1/check HTTP/1.1\r\nHost: x\r\n";
    size_t big = 64 * 1024 + 1, sent = 0;
    char *body = malloc(big + 1), reply[4096], req[256];
    sv_answer a;
    ssize_t n;
    int fd;
    (void)state;

    assert_non_null(body);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    post("/v1/check", body, &a);
    expect_error(&a, 413, "ETOOLARGE", "65536");
    sv_answer_free(&a);
    /* Exactly the limit is fine (and then a bad request for its content). */
    body[big - 2] = '}';
    body[big - 1] = '\0';
    post("/v1/check", body, &a);
    expect_error(&a, 400, "EINVAL", "missing");
    sv_answer_free(&a);

    /* Chunked, no Content-Length: refused once past the limit. */
    fd = sv_connect(&srv);
    assert_true(fd >= 0);
    snprintf(req, sizeof req, "%sTransfer-Encoding: chunked\r\n\r\n", head);
    assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    while (sent < 2 * big) {
        char chunk[8192 + 16];
        int len = snprintf(chunk, sizeof chunk, "2000\r\n");
        memset(chunk + len, ' ', 8192);
        memcpy(chunk + len + 8192, "\r\n", 2);
        if (send(fd, chunk, (size_t)len + 8194, MSG_NOSIGNAL) < 0)
            break;
        sent += 8192;
    }
    send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
    n = recv(fd, reply, sizeof reply - 1, 0);
    assert_true(n > 0);
    reply[n] = '\0';
    if (strncmp(reply, "HTTP/1.1 413", 12) != 0)
        fail_msg("a chunked body past the limit got: %s", reply);
    close(fd);

    get("/healthz", &a);
    expect_status(&a, 200);
    sv_answer_free(&a);
    free(body);
}

/* One connection for many requests, refusals included. */
static void test_keep_alive(void **state)
{
    sv_client *c = sv_client_new(&srv);
    sv_answer a;
    int i;
    (void)state;

    assert_non_null(c);
    for (i = 0; i < 50; i++) {
        assert_int_equal(sv_client_request(c, "POST", "/v1/check",
                                           i % 5 == 4 ? "{\"bad\"" :
                                                        "{\"tool\":\"gmail_send_email\","
                                                        "\"identifier\":\"user_123\"}",
                                           &a),
                         0);
        expect_status(&a, i % 5 == 4 ? 400 : 200);
        sv_answer_free(&a);
        assert_int_equal(sv_client_request(c, "GET", i % 2 ? "/nope" : "/healthz", NULL, &a), 0);
        expect_status(&a, i % 2 ? 404 : 200);
        sv_answer_free(&a);
    }
    /* Every one of those went over one connection: the server counts one. */
    assert_true(sv_metric(&srv, "toolgate_http_connections") >= 1);
    sv_client_free(c);
}

static void test_health(void **state)
{
    char type[64];
    sv_answer a;
    (void)state;

    get("/healthz", &a);
    expect_status(&a, 200);
    assert_string_equal(a.body, "ok");
    sv_header(&a, "Content-Type", type, sizeof type);
    assert_string_equal(type, "text/plain; charset=utf-8");
    sv_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_check_every_verdict_every_format),
        cmocka_unit_test(test_status_and_link),
        cmocka_unit_test(test_invalidate),
        cmocka_unit_test(test_check_unavailable),
        cmocka_unit_test(test_readyz),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_bad_queries),
        cmocka_unit_test(test_unknown_routes_and_methods),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_keep_alive),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
