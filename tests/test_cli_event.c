/*
 * `toolgate event` end to end: each test signs a body here (OpenSSL HMAC() and
 * a base64 encoder of its own, independent of the library), runs the built
 * binary with the body on stdin and the secret in an environment variable,
 * and checks the exit code, the JSON line on stdout and the stderr line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "toolgate/toolgate.h"

#ifndef TG_CLI_PATH
#error "TG_CLI_PATH must name the built toolgate binary"
#endif

extern char **environ;

#define SECRET_VAR "TG_TEST_WEBHOOK_SECRET"
#define NOW 1764657094
#define NOW_S "1764657094"
#define MSG_ID "msg_2Vb4x"

static const unsigned char KEY[24] = "cli-event-test-key-24byt";

#define STATUS_BODY                                                                        \
    "{\"spec_version\":\"1\",\"id\":\"evt_1\",\"type\":\"connected_account.status_updated\"," \
    "\"object\":\"ConnectedAccount\",\"occurred_at\":\"2025-12-02T06:31:34.895815554Z\","    \
    "\"environment_id\":\"env_1\",\"data\":{\"id\":\"ca_1\",\"identifier\":"                 \
    "\"john@acmecorp.com\",\"connection_id\":\"conn_1\",\"connection_name\":\"gmail\","      \
    "\"provider\":\"GMAIL\",\"status\":\"EXPIRED\",\"old_status\":\"ACTIVE\"}}"

/* ---- signing, independently of the library ---------------------------------- */

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

static void secret_text(char *out, size_t cap)
{
    char enc[64];
    b64(KEY, sizeof KEY, enc);
    snprintf(out, cap, "whsec_%s", enc);
}

static void sign(const char *id, const char *ts, const char *body, size_t len, char *out,
                 size_t cap)
{
    size_t n = strlen(id) + strlen(ts) + 2 + len, o;
    unsigned char *msg = malloc(n + 1), mac[32];
    unsigned int mac_len = 0;
    char enc[64];

    assert_non_null(msg);
    o = (size_t)sprintf((char *)msg, "%s.%s.", id, ts);
    memcpy(msg + o, body, len);
    assert_non_null(HMAC(EVP_sha256(), KEY, (int)sizeof KEY, msg, n, mac, &mac_len));
    free(msg);
    b64(mac, sizeof mac, enc);
    snprintf(out, cap, "v1,%s", enc);
}

/* ---- running the command ------------------------------------------------------ */

typedef struct fixture {
    char dir[64];
    char in_path[128], out_path[128], err_path[128];
    char secret[128];
} fixture;

typedef struct run_result {
    int code;
    char *out, *err;
} run_result;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tg-cli-event-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->in_path, sizeof fx->in_path, "%s/body", fx->dir);
    snprintf(fx->out_path, sizeof fx->out_path, "%s/stdout", fx->dir);
    snprintf(fx->err_path, sizeof fx->err_path, "%s/stderr", fx->dir);
    secret_text(fx->secret, sizeof fx->secret);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    unlink(fx->in_path);
    unlink(fx->out_path);
    unlink(fx->err_path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);

    assert_non_null(f);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Run `toolgate event ARGS…` with @p body (len bytes) on stdin and the
 * secret variable set to @p secret (unset when NULL). */
static void run(fixture *fx, const char *secret, const char *body, size_t len,
                const char *const *args, run_result *r)
{
    const char *argv[32];
    char env_slot[256];
    char **env;
    size_t n = 0, i, e = 0;
    FILE *f;
    pid_t pid;
    int status;

    f = fopen(fx->in_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(body, 1, len, f), len);
    assert_int_equal(fclose(f), 0);

    argv[n++] = "toolgate";
    for (i = 0; args[i]; i++) {
        assert_true(n < 31);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    while (environ[e])
        e++;
    env = calloc(e + 2, sizeof *env);
    assert_non_null(env);
    for (i = 0, n = 0; i < e; i++)
        if (strncmp(environ[i], SECRET_VAR "=", sizeof SECRET_VAR) != 0)
            env[n++] = environ[i];
    if (secret) {
        snprintf(env_slot, sizeof env_slot, SECRET_VAR "=%s", secret);
        env[n++] = env_slot;
    }
    env[n] = NULL;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(fx->in_path, O_RDONLY);
        int out = open(fx->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(fx->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        execve(TG_CLI_PATH, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = read_all(fx->out_path);
    r->err = read_all(fx->err_path);
}

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Sign @p body with MSG_ID and @p ts, then run with --now @p now. */
static void run_signed(fixture *fx, const char *body, size_t len, const char *ts, const char *now,
                       run_result *r)
{
    char sig[128];
    sign(MSG_ID, ts, body, len, sig, sizeof sig);
    run(fx, fx->secret, body, len,
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", ts,
             "--signature", sig, "--now", now),
        r);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void expect_success(const run_result *r)
{
    if (r->code != 0)
        fail_msg("exit %d, want 0\n--- stdout:\n%s--- stderr:\n%s", r->code, r->out, r->err);
    assert_string_equal(r->err, "");
    assert_int_equal(count_lines(r->out), 1);
}

/* Exit @p code, nothing on stdout, one "toolgate: " line on stderr with
 * @p needle, and never the secret. */
static void expect_failure(const fixture *fx, const run_result *r, int code, const char *needle)
{
    if (r->code != code)
        fail_msg("exit %d, want %d\n--- stdout:\n%s--- stderr:\n%s", r->code, code, r->out,
                 r->err);
    assert_string_equal(r->out, "");
    if (count_lines(r->err) != 1 || strncmp(r->err, "toolgate: ", 10) != 0)
        fail_msg("stderr must be one \"toolgate: \" line:\n%s", r->err);
    if (needle && !strstr(r->err, needle))
        fail_msg("stderr does not mention \"%s\":\n%s", needle, r->err);
    assert_null(strstr(r->err, fx->secret + 6));
}

/* The printed event: exactly the seven keys, in order. */
static json_object *parse_event(const run_result *r)
{
    static const char *const keys[] = { "id", "type", "occurred_at", "connection",
                                        "identifier", "status", "kind" };
    json_object *o = json_tokener_parse(r->out);
    size_t i = 0;

    if (!o || !json_object_is_type(o, json_type_object))
        fail_msg("stdout is not a JSON object:\n%s", r->out);
    assert_int_equal(json_object_object_length(o), 7);
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        assert_string_equal(key, keys[i]);
        i++;
    }
    return o;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    return v ? json_object_get_string(v) : NULL;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_status_event(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    run_signed(fx, STATUS_BODY, strlen(STATUS_BODY), NOW_S, NOW_S, &r);
    expect_success(&r);
    o = parse_event(&r);
    assert_string_equal(str(o, "id"), "evt_1");
    assert_string_equal(str(o, "type"), "connected_account.status_updated");
    assert_string_equal(str(o, "occurred_at"), "2025-12-02T06:31:34.895815554Z");
    assert_string_equal(str(o, "connection"), "gmail");
    assert_string_equal(str(o, "identifier"), "john@acmecorp.com");
    assert_string_equal(str(o, "status"), "EXPIRED");
    assert_string_equal(str(o, "kind"), "status");
    json_object_put(o);
    assert_null(strstr(r.out, fx->secret + 6));
    free_result(&r);
}

static void test_status_names_and_numbers(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = { { "\"DISCONNECTED\"", "REVOKED" }, { "\"PENDING_AUTH\"", "PENDING" },
                  { "3", "PENDING" },                { "1", "ACTIVE" },
                  { "\"active\"", "ACTIVE" } };
    fixture *fx = *state;
    char body[512];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        json_object *o;
        snprintf(body, sizeof body,
                 "{\"id\":\"evt_2\",\"type\":\"connected_account.created\",\"occurred_at\":"
                 "\"2025-12-02T12:01:34+05:30\",\"data\":{\"identifier\":\"u\\u00e9\","
                 "\"connectionName\":\"slack\",\"status\":%s}}",
                 cases[i].json);
        run_signed(fx, body, strlen(body), NOW_S, NOW_S, &r);
        expect_success(&r);
        o = parse_event(&r);
        assert_string_equal(str(o, "status"), cases[i].want);
        assert_string_equal(str(o, "identifier"), "u\xC3\xA9");
        assert_string_equal(str(o, "connection"), "slack");
        assert_string_equal(str(o, "occurred_at"), "2025-12-02T12:01:34+05:30");
        json_object_put(o);
        free_result(&r);
    }
}

static void test_deleted_and_other(void **state)
{
    static const char deleted[] =
        "{\"id\":\"evt_3\",\"type\":\"connected_account.deleted\",\"occurred_at\":"
        "\"2025-12-02T06:31:34Z\",\"data\":{\"identifier\":\"user_1\",\"connection_name\":\"\"}}";
    static const char other[] =
        "{\"id\":\"evt_4\",\"type\":\"organization.updated\",\"occurred_at\":"
        "\"2025-12-02T06:31:34Z\",\"data\":{\"status\":\"whatever\"}}";
    fixture *fx = *state;
    run_result r;
    json_object *o;

    run_signed(fx, deleted, strlen(deleted), NOW_S, NOW_S, &r);
    expect_success(&r);
    o = parse_event(&r);
    assert_string_equal(str(o, "kind"), "deleted");
    assert_string_equal(str(o, "identifier"), "user_1");
    assert_null(str(o, "connection"));
    assert_null(str(o, "status"));
    json_object_put(o);
    free_result(&r);

    run_signed(fx, other, strlen(other), NOW_S, NOW_S, &r);
    expect_success(&r);
    o = parse_event(&r);
    assert_string_equal(str(o, "kind"), "other");
    assert_string_equal(str(o, "type"), "organization.updated");
    assert_null(str(o, "identifier"));
    assert_null(str(o, "connection"));
    assert_null(str(o, "status"));
    json_object_put(o);
    free_result(&r);
}

static void test_current_time_by_default(void **state)
{
    fixture *fx = *state;
    char ts[32], sig[128];
    run_result r;

    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    sign(MSG_ID, ts, STATUS_BODY, strlen(STATUS_BODY), sig, sizeof sig);
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", ts,
             "--signature", sig),
        &r);
    expect_success(&r);
    free_result(&r);
    /* And a delivery from long ago is stale against the clock. */
    sign(MSG_ID, NOW_S, STATUS_BODY, strlen(STATUS_BODY), sig, sizeof sig);
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", "1000000000",
             "--signature", sig),
        &r);
    expect_failure(fx, &r, 1, "timestamp");
    free_result(&r);
}

static void test_bad_signature_exits_1(void **state)
{
    fixture *fx = *state;
    char body[sizeof STATUS_BODY], sig[128], other_secret[128];
    run_result r;

    /* One byte of the body changed after signing. */
    sign(MSG_ID, NOW_S, STATUS_BODY, strlen(STATUS_BODY), sig, sizeof sig);
    memcpy(body, STATUS_BODY, sizeof body);
    body[strlen(body) - 5] ^= 0x20;
    run(fx, fx->secret, body, strlen(body),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 1, "signature");
    assert_null(strstr(r.err, sig + 3));
    free_result(&r);

    /* Signed with another secret. */
    snprintf(other_secret, sizeof other_secret, "whsec_b3RoZXIgc2VjcmV0IGtleSBieXRlcw==");
    run(fx, other_secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 1, "signature");
    assert_null(strstr(r.err, "b3RoZXIgc2VjcmV0"));
    free_result(&r);

    /* No v1 entry at all. */
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", "v2,AAAA", "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 1, "no v1 signature");
    free_result(&r);
}

static void test_stale_timestamp_exits_1(void **state)
{
    fixture *fx = *state;
    run_result r;

    run_signed(fx, STATUS_BODY, strlen(STATUS_BODY), NOW_S, "1764657395", &r); /* +301 */
    expect_failure(fx, &r, 1, "timestamp");
    free_result(&r);
    run_signed(fx, STATUS_BODY, strlen(STATUS_BODY), NOW_S, "1764656793", &r); /* -301 */
    expect_failure(fx, &r, 1, "timestamp");
    free_result(&r);
    run_signed(fx, STATUS_BODY, strlen(STATUS_BODY), NOW_S, "1764657394", &r); /* +300 */
    expect_success(&r);
    free_result(&r);
}

static void test_missing_secret_variable(void **state)
{
    fixture *fx = *state;
    char sig[128];
    run_result r;

    sign(MSG_ID, NOW_S, STATUS_BODY, strlen(STATUS_BODY), sig, sizeof sig);
    run(fx, NULL, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 2, SECRET_VAR);
    free_result(&r);
    run(fx, "", STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 2, SECRET_VAR);
    free_result(&r);
}

static void test_malformed_inputs_exit_2(void **state)
{
    fixture *fx = *state;
    char sig[128];
    run_result r;

    sign(MSG_ID, NOW_S, STATUS_BODY, strlen(STATUS_BODY), sig, sizeof sig);
    /* A secret that is not whsec_<base64>. */
    run(fx, "not-a-webhook-secret", STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 2, "whsec_<base64>");
    assert_null(strstr(r.err, "not-a-webhook-secret"));
    free_result(&r);
    /* A timestamp that is not Unix seconds. */
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp",
             "2025-12-02T06:31:34Z", "--signature", sig, "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 2, "webhook-timestamp");
    free_result(&r);
    /* A signature header without versions. */
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", "AAAA", "--now", NOW_S),
        &r);
    expect_failure(fx, &r, 2, "webhook-signature");
    free_result(&r);
    /* --now that is not Unix seconds. */
    run(fx, fx->secret, STATUS_BODY, strlen(STATUS_BODY),
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", sig, "--now", "-5"),
        &r);
    expect_failure(fx, &r, 2, "--now");
    free_result(&r);
}

static void test_bad_arguments_exit_2(void **state)
{
    fixture *fx = *state;
    run_result r;

    run(fx, fx->secret, "", 0,
        ARGS("event", "--id", MSG_ID, "--timestamp", NOW_S, "--signature", "v1,AAAA"), &r);
    expect_failure(fx, &r, 2, "--secret-env");
    free_result(&r);
    run(fx, fx->secret, "", 0,
        ARGS("event", "--secret-env", SECRET_VAR, "--timestamp", NOW_S, "--signature", "v1,AAAA"),
        &r);
    expect_failure(fx, &r, 2, "--id");
    free_result(&r);
    run(fx, fx->secret, "", 0,
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--signature", "v1,AAAA"), &r);
    expect_failure(fx, &r, 2, "--timestamp");
    free_result(&r);
    run(fx, fx->secret, "", 0,
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S), &r);
    expect_failure(fx, &r, 2, "--signature");
    free_result(&r);
    run(fx, fx->secret, "", 0,
        ARGS("event", "--secret-env", SECRET_VAR, "--id", MSG_ID, "--timestamp", NOW_S,
             "--signature", "v1,AAAA", "--config", "x.json"),
        &r);
    expect_failure(fx, &r, 2, "--config");
    free_result(&r);
    run(fx, fx->secret, "", 0,
        ARGS("event", "--secret-env", "", "--id", MSG_ID, "--timestamp", NOW_S, "--signature",
             "v1,AAAA"),
        &r);
    expect_failure(fx, &r, 2, "--secret-env");
    free_result(&r);
}

static void test_malformed_event_exits_2(void **state)
{
    static const struct {
        const char *body, *needle;
    } cases[] = {
        { "not json", "event: invalid JSON: unexpected text (line 1, column" },
        { "[]", "not a JSON object" },
        { "{\"id\":\"e\",\"type\":\"connected_account.updated\",\"occurred_at\":"
          "\"2025-12-02T06:31:34Z\",\"data\":{\"identifier\":\"u\",\"status\":\"X\"}}",
          "event: data.status: unknown status \"X\"" },
        { "{\"id\":\"e\",\"type\":\"connected_account.updated\",\"occurred_at\":"
          "\"2025-02-30T06:31:34Z\",\"data\":{\"identifier\":\"u\",\"status\":1}}",
          "occurred_at" },
        { "{\"id\":\"e\",\"type\":\"connected_account.deleted\",\"occurred_at\":"
          "\"2025-12-02T06:31:34Z\",\"data\":{}}",
          "data.identifier" },
        { "{\"id\":\"e\",\"type\":\"connected_account.deleted\",\"occurred_at\":"
          "\"2025-12-02T06:31:34Z\",\"data\":{\"identifier\":\"u\",\"connection_name\":\"a/b\"}}",
          "data.connection_name" },
        { "{\"type\":\"x\",\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{}}", "id: missing" },
        { "{\"id\":\"e\",\"type\":\"x\",\"occurred_at\":\"2025-12-02T06:31:34Z\"}",
          "data: missing" },
        { "{\"id\":\"e\",\"type\":\"x\",\"occurred_at\":\"2025-12-02T06:31:34Z\",\"data\":{}} {}",
          "unexpected text after the value" },
        { "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
          "nested deeper" },
    };
    fixture *fx = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        run_signed(fx, cases[i].body, strlen(cases[i].body), NOW_S, NOW_S, &r);
        expect_failure(fx, &r, 2, cases[i].needle);
        free_result(&r);
    }
}

static void test_nul_bytes_and_size(void **state)
{
    static const char body[] = "{\"id\":\"e\"}\0{}";
    fixture *fx = *state;
    size_t big = 1024 * 1024 + 1;
    char *large = malloc(big);
    run_result r;

    /* A signed body with a NUL verifies, but is no event. */
    run_signed(fx, body, sizeof body - 1, NOW_S, NOW_S, &r);
    expect_failure(fx, &r, 2, "NUL");
    free_result(&r);
    /* More than 1 MiB on stdin. */
    assert_non_null(large);
    memset(large, ' ', big);
    run_signed(fx, large, big, NOW_S, NOW_S, &r);
    expect_failure(fx, &r, 2, "larger than");
    free_result(&r);
    /* Verified, but larger than an event may be. */
    large[0] = '{';
    run_signed(fx, large, 70000, NOW_S, NOW_S, &r);
    expect_failure(fx, &r, 2, "larger than 65536");
    free_result(&r);
    free(large);
}

static void test_help(void **state)
{
    fixture *fx = *state;
    run_result r;

    run(fx, NULL, "", 0, ARGS("event", "--help"), &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--secret-env NAME"));
    assert_non_null(strstr(r.out, "Exit status"));
    free_result(&r);
    run(fx, NULL, "", 0, ARGS("--help"), &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "  event "));
    free_result(&r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_status_event),
        T(test_status_names_and_numbers),
        T(test_deleted_and_other),
        T(test_current_time_by_default),
        T(test_bad_signature_exits_1),
        T(test_stale_timestamp_exits_1),
        T(test_missing_secret_variable),
        T(test_malformed_inputs_exit_2),
        T(test_bad_arguments_exit_2),
        T(test_malformed_event_exits_2),
        T(test_nul_bytes_and_size),
        T(test_help),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
