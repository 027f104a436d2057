/*
 * The `toolgate` command end to end with provider.type "scalekit", against
 * the dev server (tools/scalekit-dev) over loopback: the real binary
 * (TG_CLI_PATH), run with fork + execve and a configuration written to a
 * temporary directory. The dev server is started once on port 0 for the whole
 * group and always stopped (SIGTERM + waitpid) in the group teardown, whatever
 * the tests did; it also gets SIGKILL if this process dies (dev_server.c).
 *
 * Every run of the command goes through run_cli(), which asserts that neither
 * the client secret nor an access token ever shows on stdout or stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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
#include <curl/curl.h>
#include <json-c/json.h>

#include "dev_server.h"
#include "secret_check.h"

#ifndef TG_CLI_PATH
#error "TG_CLI_PATH must name the built toolgate binary"
#endif
#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the built scalekit-dev binary"
#endif

extern char **environ;

#define DEV_ID "dev_client"
/* Distinctive, so a leak anywhere in the output is found by strstr. */
#define SECRET "s3cr3t-XYZ-123"
#define WRONG_SECRET "wr0ng-s3cr3t-XYZ-456"
#define TIMEOUT_MS 1000
#define MARGIN_MS 1500 /* allowed past timeout_ms for a whole CLI run */
#define RUN_LIMIT_MS 30000 /* a run still going after this is killed: the test fails */

#define ROUTE_CREATE "POST /api/v1/connected_accounts"
#define ROUTE_CREDENTIALS "GET /api/v1/connected_accounts/auth"

static tg_dev dev = { 0, -1, "" };
static char tmpdir[64];
static char out_path[128], err_path[128];

/* ---- files ---------------------------------------------------------------- */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t cap = 4096, len = 0, n;

    assert_non_null(f);
    buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            assert_non_null(grown);
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Write @p text to tmpdir/@p name; its path goes to @p path. */
static void write_config(const char *name, const char *text, char *path, size_t len)
{
    FILE *f;
    snprintf(path, len, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* The configuration most tests use: the dev server, good credentials. */
static void std_config(char *path, size_t len)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" SECRET "\","
             "\"timeout_ms\":%d},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"},"
             "\"prefixes\":{\"slack_\":\"slack\"}}}",
             dev.url, TIMEOUT_MS);
    write_config("toolgate.json", text, path, len);
}

/* ---- running the command ------------------------------------------------- */

typedef struct run_result {
    int code;        /* exit code; -1 when killed by a signal */
    char *out, *err; /* stdout and stderr, NUL-terminated */
    int64_t elapsed_ms;
} run_result;

/* The child's environment: ours without TOOLGATE_CONFIG and SCALEKIT_*, plus
 * @p extra ("NAME=value" strings, NULL-terminated, may be NULL). */
static char **child_env(const char *const *extra)
{
    size_t n = 0, m = 0, i, o = 0;
    char **env;

    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    env = calloc(n + m + 1, sizeof *env);
    assert_non_null(env);
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "TOOLGATE_CONFIG=", 16) != 0 &&
            strncmp(environ[i], "SCALEKIT_", 9) != 0)
            env[o++] = environ[i];
    for (i = 0; i < m; i++)
        env[o++] = (char *)extra[i];
    env[o] = NULL;
    return env;
}

static pid_t spawn_cli(const char *const *args, const char *const *env_extra)
{
    const char *argv[32];
    char **env = child_env(env_extra);
    size_t n = 0;
    pid_t pid;

    argv[n++] = "toolgate";
    for (; args[n - 1]; n++) {
        assert_true(n < 31);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        execve(TG_CLI_PATH, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    return pid;
}

/* Returns 1 once @p pid has ended (status in *status), 0 while it runs. */
static int reaped(pid_t pid, int *status)
{
    pid_t r;
    do
        r = waitpid(pid, status, WNOHANG);
    while (r < 0 && errno == EINTR);
    assert_true(r >= 0);
    return r == pid;
}

/* Does @p secret show in the run's stdout or stderr, in any encoding? */
static int shows(const run_result *r, const char *secret)
{
    return tg_test_secret_shows(r->out, strlen(r->out), secret) ||
           tg_test_secret_shows(r->err, strlen(r->err), secret);
}

static void finish_cli(pid_t pid, int64_t t0, run_result *r)
{
    int status = 0;

    /* Poll every 2 ms: the measured time is the run's, give or take 2 ms. */
    while (!reaped(pid, &status)) {
        if (tg_dev_now_ms() - t0 > RUN_LIMIT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("toolgate still running after %d ms: killed", RUN_LIMIT_MS);
        }
        usleep(2000);
    }
    r->elapsed_ms = tg_dev_now_ms() - t0;
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = read_all(out_path);
    r->err = read_all(err_path);
    /* The secrets never show, whatever happened, in any encoding. */
    if (shows(r, SECRET) || shows(r, WRONG_SECRET))
        fail_msg("the client secret appears in the output:\n--- stdout:\n%s--- stderr:\n%s",
                 r->out, r->err);
    /* Nor an access token the dev server issued ("skdev_…"). */
    {
        json_object *tokens = tg_dev_tokens(&dev);
        size_t i;
        if (!tokens)
            fail_msg("cannot read the dev server's tokens");
        for (i = 0; i < json_object_array_length(tokens); i++)
            if (shows(r, json_object_get_string(json_object_array_get_idx(tokens, i))))
                fail_msg("an access token appears in the output:\n--- stdout:\n%s--- "
                         "stderr:\n%s",
                         r->out, r->err);
        json_object_put(tokens);
    }
    if (shows(r, "skdev_"))
        fail_msg("an access token appears in the output:\n--- stdout:\n%s--- stderr:\n%s",
                 r->out, r->err);
}

static void run_cli_env(const char *const *args, const char *const *env_extra, run_result *r)
{
    int64_t t0 = tg_dev_now_ms();
    finish_cli(spawn_cli(args, env_extra), t0, r);
}

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RUN(r, ...) run_cli_env(ARGS(__VA_ARGS__), NULL, (r))

static void expect_exit(const run_result *r, int code)
{
    if (r->code != code)
        fail_msg("exit code %d, expected %d\n--- stdout:\n%s--- stderr:\n%s", r->code, code,
                 r->out, r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Exit 2, nothing on stdout, one "toolgate: " line on stderr containing
 * @p needle (and @p needle2 when given). */
static void expect_config_error(const run_result *r, const char *needle, const char *needle2)
{
    expect_exit(r, 2);
    assert_string_equal(r->out, "");
    if (count_lines(r->err) != 1 || strncmp(r->err, "toolgate: ", 10) != 0)
        fail_msg("stderr must be one \"toolgate: \" line, got:\n%s", r->err);
    if (needle && !strstr(r->err, needle))
        fail_msg("stderr does not mention \"%s\":\n%s", needle, r->err);
    if (needle2 && !strstr(r->err, needle2))
        fail_msg("stderr does not mention \"%s\":\n%s", needle2, r->err);
}

/* The same as a yes/no, for judging several runs before failing. */
static int is_config_error(const run_result *r, const char *needle)
{
    return r->code == 2 && r->out[0] == '\0' && count_lines(r->err) == 1 &&
           strncmp(r->err, "toolgate: ", 10) == 0 && strstr(r->err, needle) != NULL;
}

static json_object *parse_out(const run_result *r)
{
    json_object *o = json_tokener_parse(r->out);
    if (!o || !json_object_is_type(o, json_type_object) || count_lines(r->out) != 1)
        fail_msg("stdout is not one JSON object on one line:\n%s--- stderr:\n%s", r->out,
                 r->err);
    return o;
}

/* The string at @p key; NULL when it is JSON null. The key must be there. */
static const char *get_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("key \"%s\" is missing", key);
    if (!v)
        return NULL;
    if (!json_object_is_type(v, json_type_string))
        fail_msg("key \"%s\" is not a string", key);
    return json_object_get_string(v);
}

static void expect_str(json_object *o, const char *key, const char *want)
{
    const char *got = get_str(o, key);
    if (!want && got)
        fail_msg("%s: expected null, got \"%s\"", key, got);
    if (want && !got)
        fail_msg("%s: expected \"%s\", got null", key, want);
    if (want && strcmp(got, want) != 0)
        fail_msg("%s: expected \"%s\", got \"%s\"", key, want, got);
}

/* "2026-11-25T15:10:00Z" → seconds since the epoch; -1 when malformed. */
static time_t parse_utc(const char *s)
{
    struct tm tm;
    char z = 0;
    memset(&tm, 0, sizeof tm);
    if (strlen(s) != 20 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        z != 'Z')
        return (time_t)-1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* A link the dev server handed out (it points back at itself) and its expiry,
 * in the future and within a day. Returns a copy of the link. */
static char *expect_dev_link(json_object *o)
{
    char prefix[128];
    const char *link = get_str(o, "link"), *exp = get_str(o, "link_expires_at");
    time_t t, now = time(NULL);

    snprintf(prefix, sizeof prefix, "%s/magic/", dev.url);
    if (!link || strncmp(link, prefix, strlen(prefix)) != 0)
        fail_msg("link \"%s\" does not point at the dev server (%s)", link ? link : "null",
                 prefix);
    if (!exp)
        fail_msg("link_expires_at is null");
    t = parse_utc(exp);
    if (t == (time_t)-1 || t <= now || t > now + 86400)
        fail_msg("link_expires_at \"%s\" is not a time within the next day", exp);
    return strdup(link);
}

/* A plain GET, as a browser opening the link would: the user's consent. */
static void open_link(const char *link)
{
    long st = tg_dev_http("GET", link, NULL, NULL);
    if (st != 200)
        fail_msg("GET %s: HTTP %ld", link, st);
}

static void set_account(const char *connector, const char *identifier, const char *status)
{
    assert_int_equal(tg_dev_set_account(&dev, connector, identifier, status), 200);
}

/* ---- fixtures ------------------------------------------------------------- */

static int group_setup(void **unused)
{
    (void)unused;
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tg-cli-sk-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(out_path, sizeof out_path, "%s/stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
    if (tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, SECRET) != 0)
        return -1;
    print_message("scalekit-dev at %s\n", dev.url);
    return 0;
}

static int group_teardown(void **unused)
{
    static const char *const files[] = { "stdout", "stderr", "toolgate.json", "env.json",
                                         "bad.json", "url.json", "refused.json", NULL };
    char path[256];
    int i, rc;
    (void)unused;

    rc = tg_dev_stop(&dev);
    for (i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    curl_global_cleanup();
    if (rc != 0) {
        fprintf(stderr, "scalekit-dev did not exit cleanly on SIGTERM (%d)\n", rc);
        return -1;
    }
    return 0;
}

/* Before each test: no fault left queued, counters at zero. */
static int reset_dev(void **unused)
{
    (void)unused;
    return tg_dev_post(&dev, "/_dev/reset", "{}") == 200 ? 0 : -1;
}

/* ---- verdicts ------------------------------------------------------------- */

static void test_active(void **unused)
{
    char config[256];
    run_result r;
    json_object *o;
    (void)unused;
    std_config(config, sizeof config);
    set_account("gmail", "cli_active", "ACTIVE");
    set_account("gmail", "ann+x@example.com", "ACTIVE");

    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
        "cli_active");
    expect_exit(&r, 0);
    o = parse_out(&r);
    expect_str(o, "verdict", "ALLOW");
    expect_str(o, "status", "ACTIVE");
    expect_str(o, "connection", "gmail");
    expect_str(o, "link", NULL);
    expect_str(o, "link_expires_at", NULL);
    expect_str(o, "source", "provider");
    json_object_put(o);
    assert_string_equal(r.err, "");
    free_result(&r);

    /* An e-mail address as identifier: encoded on the wire, decoded by the server. */
    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
        "ann+x@example.com");
    expect_exit(&r, 0);
    free_result(&r);

    RUN(&r, "status", "--config", config, "--connection", "gmail", "--identifier",
        "cli_active");
    expect_exit(&r, 0);
    o = parse_out(&r);
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);

    assert_int_equal(tg_dev_stat(&dev, "keys", "gmail|ann+x@example.com"), 1);
    assert_int_equal(tg_dev_stat(&dev, "routes", ROUTE_CREDENTIALS), 0);
}

/* Every status that is not ACTIVE: exit 10 with a link to the dev server. */
static void test_inactive_statuses(void **unused)
{
    static const struct {
        const char *wire, *name;
    } cases[] = {
        { "EXPIRED", "EXPIRED" },
        { "PENDING_AUTH", "PENDING" },
        { "PENDING_VERIFICATION", "PENDING_VERIFICATION" },
        { "DISCONNECTED", "REVOKED" },
        { "CONNECTION_STATUS_UNSPECIFIED", "UNKNOWN" },
    };
    char config[256], id[64];
    run_result r;
    json_object *o;
    size_t i;
    (void)unused;
    std_config(config, sizeof config);

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(id, sizeof id, "cli_%s", cases[i].wire);
        set_account("gmail", id, cases[i].wire);

        RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier", id);
        expect_exit(&r, 10);
        o = parse_out(&r);
        expect_str(o, "verdict", "NEEDS_AUTHORIZATION");
        expect_str(o, "status", cases[i].name);
        expect_str(o, "identifier", id);
        free(expect_dev_link(o));
        json_object_put(o);
        free_result(&r);

        RUN(&r, "status", "--config", config, "--connection", "gmail", "--identifier", id);
        expect_exit(&r, 10);
        o = parse_out(&r);
        expect_str(o, "status", cases[i].name);
        json_object_put(o);
        free_result(&r);
    }

    /* The same through a prefix rule and as text for a person. */
    set_account("slack", "cli_text", "DISCONNECTED");
    RUN(&r, "check", "--config", config, "--tool", "slack_post_message", "--identifier",
        "cli_text", "--format", "text");
    expect_exit(&r, 10);
    assert_non_null(strstr(r.out, "NEEDS_AUTHORIZATION"));
    assert_non_null(strstr(r.out, dev.url));
    free_result(&r);
    /* No account was created: they all existed. */
    assert_int_equal(tg_dev_stat(&dev, "routes", ROUTE_CREATE), 0);
}

/* A missing account is created (get-or-create) and comes back PENDING. */
static void test_missing_created(void **unused)
{
    char config[256];
    run_result r;
    json_object *o;
    (void)unused;
    std_config(config, sizeof config);

    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
        "cli_new_user");
    expect_exit(&r, 10);
    o = parse_out(&r);
    expect_str(o, "verdict", "NEEDS_AUTHORIZATION");
    expect_str(o, "status", "PENDING");
    free(expect_dev_link(o));
    json_object_put(o);
    free_result(&r);
    assert_int_equal(tg_dev_stat(&dev, "routes", ROUTE_CREATE), 1);

    /* It exists now: read, not created again. */
    RUN(&r, "status", "--config", config, "--connection", "gmail", "--identifier",
        "cli_new_user");
    expect_exit(&r, 10);
    o = parse_out(&r);
    expect_str(o, "status", "PENDING");
    json_object_put(o);
    free_result(&r);
    assert_int_equal(tg_dev_stat(&dev, "routes", ROUTE_CREATE), 1);
}

/* The seed flow: blocked with a link, the user opens it, allowed. Then the
 * same with the link from `toolgate link`. */
static void test_link_consent(void **unused)
{
    char config[256], *link;
    run_result r;
    json_object *o;
    (void)unused;
    std_config(config, sizeof config);
    set_account("gmail", "cli_consent", "EXPIRED");

    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
        "cli_consent");
    expect_exit(&r, 10);
    o = parse_out(&r);
    link = expect_dev_link(o);
    json_object_put(o);
    free_result(&r);

    open_link(link);
    free(link);
    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
        "cli_consent");
    expect_exit(&r, 0);
    o = parse_out(&r);
    expect_str(o, "verdict", "ALLOW");
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);

    /* `toolgate link`: exit 0, {"link","link_expires_at"}; opening it works. */
    set_account("gmail", "cli_consent", "DISCONNECTED");
    RUN(&r, "link", "--config", config, "--connection", "gmail", "--identifier",
        "cli_consent");
    expect_exit(&r, 0);
    o = parse_out(&r);
    assert_int_equal(json_object_object_length(o), 2);
    link = expect_dev_link(o);
    json_object_put(o);
    free_result(&r);

    RUN(&r, "link", "--config", config, "--connection", "gmail", "--identifier",
        "cli_consent", "--format", "text");
    expect_exit(&r, 0);
    assert_int_equal(strncmp(r.out, dev.url, strlen(dev.url)), 0);
    assert_int_equal(count_lines(r.out), 1);
    free_result(&r);

    RUN(&r, "status", "--config", config, "--connection", "gmail", "--identifier",
        "cli_consent");
    expect_exit(&r, 10);
    free_result(&r);
    open_link(link);
    free(link);
    RUN(&r, "status", "--config", config, "--connection", "gmail", "--identifier",
        "cli_consent");
    expect_exit(&r, 0);
    o = parse_out(&r);
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);
}

/* `toolgate wait` ends with 0 when the user opens the link mid-wait, and
 * with 10 when its --timeout runs out first. */
static void test_wait(void **unused)
{
    char config[256], *link;
    run_result r;
    json_object *o;
    int64_t t0, opened;
    pid_t pid;
    int status;
    (void)unused;
    std_config(config, sizeof config);
    set_account("gmail", "cli_wait", "EXPIRED");

    RUN(&r, "link", "--config", config, "--connection", "gmail", "--identifier", "cli_wait");
    expect_exit(&r, 0);
    o = parse_out(&r);
    link = expect_dev_link(o);
    json_object_put(o);
    free_result(&r);

    t0 = tg_dev_now_ms();
    pid = spawn_cli(ARGS("wait", "--config", config, "--connection", "gmail", "--identifier",
                         "cli_wait", "--timeout", "20"),
                    NULL);
    usleep(700 * 1000);
    /* Still waiting, and it has asked the server at least once (the link
     * request above counts one). */
    if (reaped(pid, &status))
        fail_msg("toolgate wait ended before the link was opened (status %d)", status);
    if (tg_dev_stat(&dev, "keys", "gmail|cli_wait") < 2) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("toolgate wait has not asked the server in 700 ms");
    }

    /* This process stands in for the user's browser. */
    open_link(link);
    free(link);
    opened = tg_dev_now_ms();
    finish_cli(pid, t0, &r);
    print_message("    wait: ended %lld ms after the link was opened (%lld ms in all)\n",
                  (long long)(tg_dev_now_ms() - opened), (long long)r.elapsed_ms);
    expect_exit(&r, 0);
    o = parse_out(&r);
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);
    /* Polls back off to at most 5 s; at this point the next one is < 1 s away. */
    assert_true(tg_dev_now_ms() - opened < 3000);

    /* Nobody opens the link: exit 10 when --timeout runs out, status printed. */
    set_account("gmail", "cli_wait", "EXPIRED");
    RUN(&r, "wait", "--config", config, "--connection", "gmail", "--identifier", "cli_wait",
        "--timeout", "1");
    print_message("    wait --timeout 1: exit %d after %lld ms\n", r.code,
                  (long long)r.elapsed_ms);
    expect_exit(&r, 10);
    o = parse_out(&r);
    expect_str(o, "status", "EXPIRED");
    json_object_put(o);
    assert_true(r.elapsed_ms >= 900);
    assert_true(r.elapsed_ms <= 1000 + MARGIN_MS);
    free_result(&r);
}

static void queue_fault(const char *json, const char *routes);

/* The provider never answers during the wait: exit 11, status null, and one
 * line on stderr saying what failed. */
static void test_wait_provider_down(void **unused)
{
    char config[256];
    run_result r;
    json_object *o;
    (void)unused;
    std_config(config, sizeof config);
    queue_fault("\"status\":503", NULL);

    RUN(&r, "wait", "--config", config, "--connection", "gmail", "--identifier", "cli_wait",
        "--timeout", "1");
    expect_exit(&r, 11);
    o = parse_out(&r);
    expect_str(o, "status", NULL);
    json_object_put(o);
    if (!strstr(r.err, "toolgate: wait: ") || !strstr(r.err, "503"))
        fail_msg("stderr does not say what failed: %s", r.err);
    assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
    free_result(&r);
}

/* ---- faults --------------------------------------------------------------- */

typedef struct fault_case {
    const char *name;
    const char *json; /* the fault, without "routes" and "count" */
} fault_case;

static const fault_case fault_cases[] = {
    { "latency 3000 ms", "\"latency_ms\":3000" },
    { "503 forever", "\"status\":503" },
    { "500", "\"status\":500" },
    { "429", "\"status\":429" },
    { "truncated body", "\"body\":\"truncate\"" },
    { "oversized body", "\"body\":\"oversize\"" },
    { "garbage body", "\"body\":\"garbage\"" },
    { "closed connection", "\"body\":\"close\"" },
    { "slow trickle", "\"body\":\"slow\",\"byte_delay_ms\":200" },
};

/* One CLI run under a fault (already queued): exit 11, verdict UNAVAILABLE,
 * no link, within timeout_ms + MARGIN_MS. */
static void expect_unavailable(const char *what, const char *const *args, int64_t *worst)
{
    run_result r;
    json_object *o;

    run_cli_env(args, NULL, &r);
    print_message("    %-40s exit %2d after %4lld ms\n", what, r.code, (long long)r.elapsed_ms);
    if (r.code == 10)
        fail_msg("%s: NEEDS_AUTHORIZATION for a provider failure\n%s", what, r.out);
    expect_exit(&r, 11);
    o = parse_out(&r);
    expect_str(o, "verdict", "UNAVAILABLE");
    expect_str(o, "link", NULL);
    json_object_put(o);
    if (r.elapsed_ms > TIMEOUT_MS + MARGIN_MS)
        fail_msg("%s: %lld ms, more than timeout_ms %d + %d ms", what,
                 (long long)r.elapsed_ms, TIMEOUT_MS, MARGIN_MS);
    if (r.elapsed_ms > *worst)
        *worst = r.elapsed_ms;
    free_result(&r);
}

static void queue_fault(const char *json, const char *routes)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{%s,\"count\":100000%s%s%s}", json, routes ? ",\"routes\":\"" : "",
             routes ? routes : "", routes ? "\"" : "");
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults", buf), 200);
}

/* Every fault, forever (count 100000, so retries meet it too):
 *  - on every route, so the token request (each run is a new process) meets it;
 *  - on /api/ only, so the token is fetched and the status request meets it,
 *    for an EXPIRED account (a fault mistaken for a status would give 10);
 * then the link request failing for an EXPIRED account, the create request
 * failing for a missing one, and a refused connection. */
static void test_faults(void **unused)
{
    char config[256], refused[256], text[512], what[96];
    int64_t worst = 0;
    size_t i;
    (void)unused;
    std_config(config, sizeof config);
    set_account("gmail", "cli_fault_active", "ACTIVE");
    set_account("gmail", "cli_fault_expired", "EXPIRED");

    print_message("    CLI runs under faults (timeout_ms %d, limit %d ms):\n", TIMEOUT_MS,
                  TIMEOUT_MS + MARGIN_MS);
    for (i = 0; i < sizeof fault_cases / sizeof fault_cases[0]; i++) {
        queue_fault(fault_cases[i].json, NULL);
        snprintf(what, sizeof what, "%s, every route", fault_cases[i].name);
        expect_unavailable(what,
                           ARGS("check", "--config", config, "--tool", "gmail_send_email",
                                "--identifier", "cli_fault_active"),
                           &worst);
        assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);

        queue_fault(fault_cases[i].json, "/api/");
        snprintf(what, sizeof what, "%s, /api/ only", fault_cases[i].name);
        expect_unavailable(what,
                           ARGS("check", "--config", config, "--tool", "gmail_send_email",
                                "--identifier", "cli_fault_expired"),
                           &worst);
        assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    }

    /* The status is read (EXPIRED) but no link can be had: still 11, not 10. */
    queue_fault("\"status\":503", "/api/v1/connected_accounts/magic_link");
    expect_unavailable("503 forever on magic_link only",
                       ARGS("check", "--config", config, "--tool", "gmail_send_email",
                            "--identifier", "cli_fault_expired"),
                       &worst);
    /* It did read the status and ask for the link. */
    assert_true(tg_dev_stat(&dev, "keys", "gmail|cli_fault_expired") >= 1);
    assert_true(tg_dev_stat(&dev, "routes", "POST /api/v1/connected_accounts/magic_link") >= 1);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);

    /* A missing account whose creation fails. A request takes the first
     * queued fault whose route prefix matches it: the no-op one takes the
     * details reads (a real 404), the 500 the create. */
    queue_fault("\"latency_ms\":1", "/api/v1/connected_accounts/details"); /* ~ a no-op */
    queue_fault("\"status\":500", "/api/v1/connected_accounts");
    expect_unavailable("500 on create (missing account)",
                       ARGS("check", "--config", config, "--tool", "gmail_send_email",
                            "--identifier", "cli_fault_never_created"),
                       &worst);
    assert_true(tg_dev_stat(&dev, "routes", ROUTE_CREATE) >= 1); /* the create met the 500 */
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);

    /* A loopback port with nothing listening: refused, retried, given up. */
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":"
             "\"http://127.0.0.1:%d\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" SECRET "\",\"timeout_ms\":%d},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             tg_dev_closed_port(), TIMEOUT_MS);
    write_config("refused.json", text, refused, sizeof refused);
    expect_unavailable("refused connection",
                       ARGS("check", "--config", refused, "--tool", "gmail_send_email",
                            "--identifier", "cli_fault_active"),
                       &worst);
    print_message("    slowest: %lld ms\n", (long long)worst);

    /* The server is fine afterwards, and so is the command. */
    {
        run_result r;
        RUN(&r, "check", "--config", config, "--tool", "gmail_send_email", "--identifier",
            "cli_fault_active");
        expect_exit(&r, 0);
        free_result(&r);
    }
}

/* ---- configuration and credentials ---------------------------------------- */

/* Credentials the token endpoint refuses: a configuration error (exit 2) with
 * one line naming the problem, for every command; not UNAVAILABLE. */
static void test_bad_credentials(void **unused)
{
    static const char *const cmds[] = { "link", "status", "check" };
    char bad[256], text[512];
    run_result r[3];
    int i, ok[3];
    (void)unused;
    set_account("gmail", "cli_cred", "ACTIVE");
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" WRONG_SECRET "\","
             "\"timeout_ms\":%d},\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             dev.url, TIMEOUT_MS);
    write_config("bad.json", text, bad, sizeof bad);

    /* Run all three before judging, so a failure shows each one's result. */
    RUN(&r[0], "link", "--config", bad, "--connection", "gmail", "--identifier", "cli_cred");
    RUN(&r[1], "status", "--config", bad, "--connection", "gmail", "--identifier", "cli_cred");
    RUN(&r[2], "check", "--config", bad, "--tool", "gmail_send_email", "--identifier",
        "cli_cred");
    for (i = 0; i < 3; i++) {
        print_message("    %-6s with bad credentials: exit %d, stderr: %s%s", cmds[i], r[i].code,
                      r[i].err, r[i].err[0] ? "" : "(empty)\n");
        ok[i] = is_config_error(&r[i], "credentials");
        free_result(&r[i]);
    }
    for (i = 0; i < 3; i++)
        if (!ok[i])
            fail_msg("%s with credentials the token endpoint refuses: expected exit 2, nothing "
                     "on stdout and one stderr line about the credentials",
                     cmds[i]);

    /* The same with the credentials from the environment. */
    snprintf(text, sizeof text, "SCALEKIT_ENVIRONMENT_URL=%s", dev.url);
    write_config("bad.json", "{\"provider\":{\"type\":\"scalekit\",\"timeout_ms\":1000}}", bad,
                 sizeof bad);
    run_cli_env(ARGS("status", "--config", bad, "--connection", "gmail", "--identifier",
                     "cli_cred"),
                ARGS(text, "SCALEKIT_CLIENT_ID=" DEV_ID,
                     "SCALEKIT_CLIENT_SECRET=" WRONG_SECRET),
                &r[0]);
    expect_config_error(&r[0], "credentials", NULL);
    free_result(&r[0]);
    /* Never reached the API. */
    assert_int_equal(tg_dev_stat(&dev, "routes", "GET /api/v1/connected_accounts/details"), 0);
}

/* SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET
 * stand in for missing keys; the configuration wins when both are given. */
static void test_env_credentials(void **unused)
{
    char config[256], env_url[128], text[512];
    run_result r;
    json_object *o;
    (void)unused;
    set_account("gmail", "cli_env", "ACTIVE");
    set_account("gmail", "cli_env_expired", "EXPIRED");
    snprintf(env_url, sizeof env_url, "SCALEKIT_ENVIRONMENT_URL=%s", dev.url);
    write_config("env.json",
                 "{\"provider\":{\"type\":\"scalekit\",\"timeout_ms\":1000},"
                 "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
                 config, sizeof config);

    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env"),
                ARGS(env_url, "SCALEKIT_CLIENT_ID=" DEV_ID, "SCALEKIT_CLIENT_SECRET=" SECRET),
                &r);
    expect_exit(&r, 0);
    free_result(&r);

    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env_expired"),
                ARGS(env_url, "SCALEKIT_CLIENT_ID=" DEV_ID, "SCALEKIT_CLIENT_SECRET=" SECRET),
                &r);
    expect_exit(&r, 10);
    o = parse_out(&r);
    free(expect_dev_link(o));
    json_object_put(o);
    free_result(&r);

    /* Missing: each one named, with its variable. */
    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env"),
                ARGS("SCALEKIT_CLIENT_ID=" DEV_ID, "SCALEKIT_CLIENT_SECRET=" SECRET), &r);
    expect_config_error(&r, "environment_url", "SCALEKIT_ENVIRONMENT_URL");
    free_result(&r);
    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env"),
                ARGS(env_url, "SCALEKIT_CLIENT_SECRET=" SECRET), &r);
    expect_config_error(&r, "client_id", "SCALEKIT_CLIENT_ID");
    free_result(&r);
    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env"),
                ARGS(env_url, "SCALEKIT_CLIENT_ID=" DEV_ID, "SCALEKIT_CLIENT_SECRET="), &r);
    expect_config_error(&r, "client_secret", "SCALEKIT_CLIENT_SECRET");
    free_result(&r);

    /* Keys in the file win over the environment: a wrong secret in the
     * environment does not matter when the file has the right one. */
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_secret\":\"" SECRET "\",\"timeout_ms\":1000},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             dev.url);
    write_config("env.json", text, config, sizeof config);
    run_cli_env(ARGS("check", "--config", config, "--tool", "gmail_send_email",
                     "--identifier", "cli_env"),
                ARGS("SCALEKIT_ENVIRONMENT_URL=http://example.com", "SCALEKIT_CLIENT_ID=" DEV_ID,
                     "SCALEKIT_CLIENT_SECRET=" WRONG_SECRET),
                &r);
    expect_exit(&r, 0);
    free_result(&r);
}

/* Refused before any request: plain http:// to a host that is not loopback,
 * and missing settings. */
static void test_config_errors(void **unused)
{
    static const char *const not_loopback[] = {
        "http://example.com", "http://10.1.2.3", "http://localhost.example.com",
        "http://127.0.0.1.example.com", "HTTP://example.com", "http://localhost.",
        "http://LOCALHOST.", "http://127.1", "http://0x7f.1", "http://127.000.0.1",
        "http://127.0.0.1.nip.io", "http://[::ffff:127.0.0.1]",
    };
    char path[256], text[512];
    run_result r;
    size_t i;
    (void)unused;

    for (i = 0; i < sizeof not_loopback / sizeof not_loopback[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
                 "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" SECRET "\"}}",
                 not_loopback[i]);
        write_config("url.json", text, path, sizeof path);
        RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier", "u");
        expect_config_error(&r, "environment_url", "https://");
        /* No request could have been made: a config error, at once. */
        assert_true(r.elapsed_ms < 1000);
        free_result(&r);
    }

    /* Missing settings, no environment: each named. */
    write_config("url.json", "{\"provider\":{\"type\":\"scalekit\"}}", path, sizeof path);
    RUN(&r, "status", "--config", path, "--connection", "gmail", "--identifier", "u");
    expect_config_error(&r, "environment_url", NULL);
    free_result(&r);
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_secret\":\"" SECRET "\"}}",
             dev.url);
    write_config("url.json", text, path, sizeof path);
    RUN(&r, "link", "--config", path, "--connection", "gmail", "--identifier", "u");
    expect_config_error(&r, "client_id", NULL);
    free_result(&r);
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\"}}",
             dev.url);
    write_config("url.json", text, path, sizeof path);
    RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier", "u");
    expect_config_error(&r, "client_secret", NULL);
    free_result(&r);
    /* An empty value is a mistake, not a fallback. */
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"\"}}",
             dev.url);
    write_config("url.json", text, path, sizeof path);
    RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier", "u");
    expect_config_error(&r, "client_secret", NULL);
    free_result(&r);
    /* An unknown key in the provider object. */
    write_config("url.json",
                 "{\"provider\":{\"type\":\"scalekit\",\"client_secrets\":\"" SECRET "\"}}",
                 path, sizeof path);
    RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier", "u");
    expect_config_error(&r, "provider.client_secrets", NULL);
    free_result(&r);

    /* None of that reached the server. */
    assert_int_equal(tg_dev_stat(&dev, "requests", NULL), 0);
}

/* ---- secrets, loopback, one deadline ---------------------------------------- */

/* The service echoes what it was sent — the Authorization header to the API,
 * the form body (which carries the client secret) to the token endpoint —
 * in every encoding: every command fails UNAVAILABLE and neither stdout nor
 * stderr shows a secret in any encoding (finish_cli checks every run). */
static void test_secret_echo(void **unused)
{
    static const char *const encodings[] = { "raw",  "percent", "percent_lower", "form",
                                             "json", "html",    "split",         "truncate" };
    static const struct {
        const char *what, *routes;
        int status;
    } cases[] = { { "authorization", "/api/", 403 }, { "body", "/oauth/", 500 } };
    char config[256], fault[256];
    run_result r;
    size_t e, c, k;
    int quoted = 0;
    (void)unused;
    std_config(config, sizeof config);
    set_account("gmail", "cli_echo", "EXPIRED");
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (e = 0; e < sizeof encodings / sizeof encodings[0]; e++) {
            for (k = 0; k < 3; k++) {
                snprintf(fault, sizeof fault,
                         "{\"echo\":\"%s\",\"echo_encoding\":\"%s\",\"status\":%d,"
                         "\"count\":100,\"routes\":\"%s\"}",
                         cases[c].what, encodings[e], cases[c].status, cases[c].routes);
                assert_int_equal(tg_dev_post(&dev, "/_dev/faults", fault), 200);
                if (k == 0)
                    RUN(&r, "check", "--config", config, "--tool", "gmail_send_email",
                        "--identifier", "cli_echo");
                else if (k == 1)
                    RUN(&r, "link", "--config", config, "--connection", "gmail",
                        "--identifier", "cli_echo");
                else
                    RUN(&r, "status", "--config", config, "--connection", "gmail",
                        "--identifier", "cli_echo");
                expect_exit(&r, 11);
                quoted += strstr(r.err, "[redacted]") != NULL;
                free_result(&r);
                assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
            }
        }
    }
    print_message("    48 runs under echo faults: %d stderr lines quoted the service, "
                  "scrubbed\n", quoted);
    /* The echo did reach the messages (at least those of `link`). */
    assert_true(quoted >= 8);
}

/* http://localhost:PORT is loopback (pinned to 127.0.0.1) and reaches the
 * dev server; http://localhost.:PORT is not, and is refused before any
 * request. */
static void test_localhost(void **unused)
{
    static const char *const hosts[] = { "localhost", "localhost." };
    char path[256], text[512];
    run_result r;
    size_t i;
    (void)unused;
    set_account("gmail", "cli_localhost", "ACTIVE");
    for (i = 0; i < 2; i++) {
        snprintf(text, sizeof text,
                 "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"http://%s:%s\","
                 "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" SECRET "\"},"
                 "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
                 hosts[i], strrchr(dev.url, ':') + 1);
        write_config("url.json", text, path, sizeof path);
        RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier",
            "cli_localhost");
        if (i == 0)
            expect_exit(&r, 0);
        else
            expect_config_error(&r, "environment_url", "localhost");
        free_result(&r);
    }
    assert_int_equal(tg_dev_stat(&dev, "keys", "gmail|cli_localhost"), 1);
}

/* provider.timeout_ms bounds the whole check: a status and then a link,
 * each slowed by 1500 ms, with timeout_ms 2000, end in exit 11 within the
 * budget (plus the margin), not in exit 10 after three seconds. */
static void test_one_deadline(void **unused)
{
    char path[256], text[512];
    run_result r;
    json_object *o;
    (void)unused;
    set_account("gmail", "cli_deadline", "EXPIRED");
    snprintf(text, sizeof text,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" SECRET "\","
             "\"timeout_ms\":2000},\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             dev.url);
    write_config("url.json", text, path, sizeof path);
    queue_fault("\"latency_ms\":1500", "/api/v1/connected_accounts/details");
    queue_fault("\"latency_ms\":1500", "/api/v1/connected_accounts/magic_link");
    RUN(&r, "check", "--config", path, "--tool", "gmail_send_email", "--identifier",
        "cli_deadline");
    print_message("    status + link, 1500 ms each, timeout_ms 2000: exit %d after %lld ms\n",
                  r.code, (long long)r.elapsed_ms);
    expect_exit(&r, 11);
    o = parse_out(&r);
    expect_str(o, "verdict", "UNAVAILABLE");
    expect_str(o, "status", "EXPIRED");
    expect_str(o, "link", NULL);
    json_object_put(o);
    if (r.elapsed_ms < 1900 || r.elapsed_ms > 2000 + MARGIN_MS)
        fail_msg("the check took %lld ms; the budget is 2000 ms (+ %d ms margin)",
                 (long long)r.elapsed_ms, MARGIN_MS);
    free_result(&r);
    /* Both routes were asked. */
    assert_int_equal(tg_dev_stat(&dev, "routes", "GET /api/v1/connected_accounts/details"), 1);
    assert_int_equal(tg_dev_stat(&dev, "routes", "POST /api/v1/connected_accounts/magic_link"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_errors, reset_dev),
        cmocka_unit_test_setup(test_active, reset_dev),
        cmocka_unit_test_setup(test_inactive_statuses, reset_dev),
        cmocka_unit_test_setup(test_missing_created, reset_dev),
        cmocka_unit_test_setup(test_link_consent, reset_dev),
        cmocka_unit_test_setup(test_wait, reset_dev),
        cmocka_unit_test_setup(test_wait_provider_down, reset_dev),
        cmocka_unit_test_setup(test_env_credentials, reset_dev),
        cmocka_unit_test_setup(test_faults, reset_dev),
        cmocka_unit_test_setup(test_bad_credentials, reset_dev),
        cmocka_unit_test_setup(test_secret_echo, reset_dev),
        cmocka_unit_test_setup(test_localhost, reset_dev),
        cmocka_unit_test_setup(test_one_deadline, reset_dev),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
