/*
 * End-to-end tests of the `toolgate` command (docs/design.md §8): each test writes a
 * configuration and a file-provider accounts file into a fresh temporary
 * directory, runs the built binary (fork + execve, no shell), and checks the
 * exit code, stdout (parsed with json-c) and stderr.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt: a terminal for the progress test */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "toolgate/toolgate.h"

#ifndef TG_CLI_PATH
#error "TG_CLI_PATH must name the built toolgate binary"
#endif

extern char **environ;

#define LINK_BASE "https://connect.example.com/authorize"

/* Tool rules used by most tests: an exact name that beats a prefix, and two
 * prefixes where the longer one must win. */
#define RULES_ALLOW                                                                    \
    "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\",\"gmail_special\":\"slack\"},"  \
    "\"prefixes\":{\"gmail_\":\"gmail\",\"gmail_drafts_\":\"gmail_drafts\","           \
    "\"slack_\":\"slack\"},\"unmapped\":\"allow\"}"
#define RULES_DENY                                                                     \
    "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"},"                              \
    "\"prefixes\":{\"gmail_\":\"gmail\"},\"unmapped\":\"deny\"}"

#define CONFIG_STD "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"}," RULES_ALLOW "}"

#define ACCOUNTS_STD                                                                   \
    "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["                                  \
    "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"     \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"},"    \
    "{\"connection\":\"gmail\",\"identifier\":\"user_pending\",\"status\":\"PENDING\"}," \
    "{\"connection\":\"gmail\",\"identifier\":\"user_pv\","                              \
    "\"status\":\"PENDING_VERIFICATION\"},"                                              \
    "{\"connection\":\"gmail\",\"identifier\":\"user_revoked\",\"status\":\"REVOKED\"}," \
    "{\"connection\":\"gmail\",\"identifier\":\"user_disc\",\"status\":\"DISCONNECTED\"},"\
    "{\"connection\":\"gmail\",\"identifier\":\"user_pauth\",\"status\":\"PENDING_AUTH\"},"\
    "{\"connection\":\"gmail\",\"identifier\":\"user_unspec\","                          \
    "\"status\":\"CONNECTION_STATUS_UNSPECIFIED\"},"                                     \
    "{\"connection\":\"gmail_drafts\",\"identifier\":\"user_123\",\"status\":\"EXPIRED\"},"\
    "{\"connection\":\"slack\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"}"      \
    "]}"

/* ---- fixture ------------------------------------------------------------ */

typedef struct fixture {
    char dir[64];          /* the test's temporary directory */
    char config[128];      /* dir/toolgate.json */
    char accounts[128];    /* dir/accounts.json */
    char out_path[128];    /* captured stdout of the last run */
    char err_path[128];    /* captured stderr of the last run */
} fixture;

typedef struct run_result {
    int code;   /* exit code; -1 when the child died of a signal */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr, NUL-terminated */
} run_result;

/* How to start the child: in which directory, with which TOOLGATE_CONFIG. */
typedef struct run_opts {
    const char *cwd;         /* NULL: the test's own directory */
    const char *env_config;  /* NULL: TOOLGATE_CONFIG unset */
    const char *stdin_text;  /* NULL: stdin is /dev/null; else a pipe carrying this */
} run_opts;

static void write_file_at(const char *path, const char *text)
{
    char tmp[256];
    FILE *f;

    /* Temp file + rename, as an operator would: readers see old or new. */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void write_config(fixture *fx, const char *text)
{
    write_file_at(fx->config, text);
}

static void write_accounts(fixture *fx, const char *text)
{
    write_file_at(fx->accounts, text);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tg-cli-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->config, sizeof fx->config, "%s/toolgate.json", fx->dir);
    snprintf(fx->accounts, sizeof fx->accounts, "%s/accounts.json", fx->dir);
    snprintf(fx->out_path, sizeof fx->out_path, "%s/.stdout", fx->dir);
    snprintf(fx->err_path, sizeof fx->err_path, "%s/.stderr", fx->dir);
    write_config(fx, CONFIG_STD);
    write_accounts(fx, ACCOUNTS_STD);
    *state = fx;
    return 0;
}

static void remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char child[512];

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;

    chmod(fx->dir, 0700);
    remove_tree(fx->dir);
    free(fx);
    return 0;
}

/* ---- running the command ------------------------------------------------ */

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
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* The child's environment: ours without TOOLGATE_CONFIG, plus @p config. */
static char **child_env(const char *config, char *slot, size_t slot_len)
{
    size_t n = 0, i, o = 0;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 2, sizeof *env);
    assert_non_null(env);
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "TOOLGATE_CONFIG=", 16) != 0)
            env[o++] = environ[i];
    if (config) {
        snprintf(slot, slot_len, "TOOLGATE_CONFIG=%s", config);
        env[o++] = slot;
    }
    env[o] = NULL;
    return env;
}

/* Start the binary with argv[1..] = @p args (NULL-terminated); stdout and
 * stderr go to the fixture's capture files, or stderr to @p err_fd when it is
 * not -1. Returns the child's pid. */
static pid_t spawn_cli_fd(fixture *fx, const run_opts *opts, const char *const *args,
                          int err_fd)
{
    const char *argv[64];
    char env_slot[512];
    char **env;
    size_t n = 0;
    pid_t pid;
    const char *cwd = opts && opts->cwd ? opts->cwd : NULL;

    argv[n++] = "toolgate";
    while (args[n - 1]) {
        assert_true(n < 63);
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    env = child_env(opts ? opts->env_config : NULL, env_slot, sizeof env_slot);

    int pipe_fds[2] = { -1, -1 };

    if (opts && opts->stdin_text)
        assert_int_equal(pipe(pipe_fds), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        int in = pipe_fds[0] >= 0 ? pipe_fds[0] : open("/dev/null", O_RDONLY);
        if (pipe_fds[1] >= 0)
            close(pipe_fds[1]);
        int out = open(fx->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = err_fd >= 0 ? err_fd : open(fx->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execve(TG_CLI_PATH, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    if (pipe_fds[0] >= 0) {
        /* Small enough for the pipe's buffer: write it all, then close. */
        size_t len = strlen(opts->stdin_text);
        close(pipe_fds[0]);
        assert_int_equal(write(pipe_fds[1], opts->stdin_text, len), (ssize_t)len);
        close(pipe_fds[1]);
    }
    return pid;
}

static pid_t spawn_cli(fixture *fx, const run_opts *opts, const char *const *args)
{
    return spawn_cli_fd(fx, opts, args, -1);
}

static void finish_cli(fixture *fx, pid_t pid, run_result *r)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = read_all(fx->out_path);
    r->err = read_all(fx->err_path);
}

static void run_cli(fixture *fx, const run_opts *opts, const char *const *args, run_result *r)
{
    finish_cli(fx, spawn_cli(fx, opts, args), r);
}

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RUN(fx, r, ...) run_cli((fx), NULL, ARGS(__VA_ARGS__), (r))

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
        if (*s == '\n')
            n++;
    return n;
}

/* A usage/config/input error: exit 2, nothing on stdout, exactly one line on
 * stderr that starts with "toolgate: " and contains @p needle. */
static void expect_one_line_error(const run_result *r, int code, const char *needle)
{
    expect_exit(r, code);
    assert_string_equal(r->out, "");
    if (count_lines(r->err) != 1 || strncmp(r->err, "toolgate: ", 10) != 0)
        fail_msg("stderr must be one \"toolgate: \" line, got:\n%s", r->err);
    if (needle && !strstr(r->err, needle))
        fail_msg("stderr does not mention \"%s\":\n%s", needle, r->err);
}

static json_object *parse_json(const char *text)
{
    json_object *o = json_tokener_parse(text);
    if (!o)
        fail_msg("stdout is not JSON:\n%s", text);
    if (count_lines(text) != 1)
        fail_msg("stdout must be one line:\n%s", text);
    return o;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("key \"%s\" is missing", key);
    return v;
}

/* The string value of @p key, or NULL when it is JSON null. */
static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
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
    if (want)
        assert_string_equal(got, want);
}

/* Exactly @p keys (NULL-terminated), nothing more. */
static void expect_keys(json_object *o, const char *const *keys)
{
    size_t n = 0;

    assert_true(json_object_is_type(o, json_type_object));
    for (; keys[n]; n++)
        (void)get(o, keys[n]);
    assert_int_equal((size_t)json_object_object_length(o), n);
}

static const char *const decision_keys[] = { "verdict", "tool",   "connection",
                                             "identifier", "status", "link",
                                             "link_expires_at", "reason", "source",
                                             "stale", NULL };

static const char *const status_keys[] = { "connection", "identifier", "status", NULL };
static const char *const link_keys[] = { "link", "link_expires_at", NULL };

/* RFC 3339 UTC as the CLI and library print it: 2026-11-25T15:10:00Z. */
static int is_rfc3339_utc(const char *s)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t i;

    if (strlen(s) != sizeof pattern - 1)
        return 0;
    for (i = 0; pattern[i]; i++) {
        if (pattern[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pattern[i])
            return 0;
    }
    return 1;
}

static time_t parse_rfc3339_utc(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_true(is_rfc3339_utc(s));
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    /* Days from the civil date, so no time zone is involved. */
    {
        int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
        long era, yoe, doy, doe, days;
        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        days = era * 146097 + doe - 719468;
        return (time_t)(days * 86400L + tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec);
    }
}

/* The decision of docs/design.md §5 with every key present and consistent. */
static json_object *expect_decision(const run_result *r, const char *verdict, const char *tool,
                                    const char *connection, const char *identifier,
                                    const char *status)
{
    json_object *o = parse_json(r->out), *stale;
    const char *link, *reason, *source, *expires;

    expect_keys(o, decision_keys);
    expect_str(o, "verdict", verdict);
    expect_str(o, "tool", tool);
    expect_str(o, "connection", connection);
    expect_str(o, "identifier", identifier);
    expect_str(o, "status", status);
    link = get_str(o, "link");
    expires = get_str(o, "link_expires_at");
    if (strcmp(verdict, "NEEDS_AUTHORIZATION") == 0) {
        char want[1024];
        assert_non_null(link);
        /* Identifiers in these tests are URL-unreserved, so encoding is identity. */
        snprintf(want, sizeof want, LINK_BASE "?connection=%s&identifier=%s", connection,
                 identifier);
        assert_string_equal(link, want);
        if (expires)
            assert_true(is_rfc3339_utc(expires));
    } else {
        if (link)
            fail_msg("verdict %s must not carry a link, got %s", verdict, link);
        assert_null(expires);
    }
    reason = get_str(o, "reason");
    assert_non_null(reason);
    assert_true(strlen(reason) > 0);
    source = get_str(o, "source");
    assert_non_null(source);
    assert_true(strcmp(source, "cache") == 0 || strcmp(source, "provider") == 0);
    stale = get(o, "stale");
    assert_true(json_object_is_type(stale, json_type_boolean));
    assert_false(json_object_get_boolean(stale));
    return o;
}

/* ---- check: statuses ---------------------------------------------------- */

static void test_check_active_allows(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_exit(&r, 0);
    assert_string_equal(r.err, "");
    o = expect_decision(&r, "ALLOW", "gmail_send_email", "gmail", "user_123", "ACTIVE");
    /* A fresh process has an empty cache: the answer is the provider's. */
    expect_str(o, "source", "provider");
    json_object_put(o);
    free_result(&r);
}

static void test_check_non_active_statuses(void **state)
{
    static const struct {
        const char *identifier, *status;
    } cases[] = {
        { "user_456", "EXPIRED" },
        { "user_pending", "PENDING" },
        { "user_pv", "PENDING_VERIFICATION" },
        { "user_revoked", "REVOKED" },
        { "user_disc", "REVOKED" },      /* Scalekit wire name DISCONNECTED */
        { "user_pauth", "PENDING" },     /* Scalekit wire name PENDING_AUTH */
        { "user_unspec", "UNKNOWN" },    /* CONNECTION_STATUS_UNSPECIFIED */
    };
    fixture *fx = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        json_object *o;

        RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email",
            "--identifier", cases[i].identifier);
        expect_exit(&r, 10);
        assert_string_equal(r.err, "");
        o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail",
                            cases[i].identifier, cases[i].status);
        json_object_put(o);
        free_result(&r);
    }
}

static void test_check_wire_numbers(void **state)
{
    static const struct {
        const char *identifier, *status;
        int code;
    } cases[] = {
        { "n0", "UNKNOWN", 10 }, { "n1", "ACTIVE", 0 }, { "n2", "EXPIRED", 10 },
        { "n3", "PENDING", 10 }, { "n4", "PENDING_VERIFICATION", 10 },
        { "n5", "REVOKED", 10 }, { "s2", "EXPIRED", 10 }, { "s5", "REVOKED", 10 },
    };
    fixture *fx = *state;
    size_t i;

    write_accounts(fx, "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["
                       "{\"connection\":\"gmail\",\"identifier\":\"n0\",\"status\":0},"
                       "{\"connection\":\"gmail\",\"identifier\":\"n1\",\"status\":1},"
                       "{\"connection\":\"gmail\",\"identifier\":\"n2\",\"status\":2},"
                       "{\"connection\":\"gmail\",\"identifier\":\"n3\",\"status\":3},"
                       "{\"connection\":\"gmail\",\"identifier\":\"n4\",\"status\":4},"
                       "{\"connection\":\"gmail\",\"identifier\":\"n5\",\"status\":5},"
                       "{\"connection\":\"gmail\",\"identifier\":\"s2\",\"status\":\"2\"},"
                       "{\"connection\":\"gmail\",\"identifier\":\"s5\",\"status\":\"5\"}]}");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        json_object *o;

        RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_read", "--identifier",
            cases[i].identifier);
        expect_exit(&r, cases[i].code);
        o = expect_decision(&r, cases[i].code == 0 ? "ALLOW" : "NEEDS_AUTHORIZATION",
                            "gmail_read", "gmail", cases[i].identifier, cases[i].status);
        json_object_put(o);
        free_result(&r);
    }
}

static void test_check_unlisted_account_is_created_pending(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_999");
    expect_exit(&r, 10);
    o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail", "user_999",
                        "PENDING");
    json_object_put(o);
    free_result(&r);
}

static void test_check_unlisted_account_without_create_is_not_found(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    write_config(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\","
                     "\"create_missing\":false}," RULES_ALLOW "}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_999");
    expect_exit(&r, 10);
    o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail", "user_999",
                        "NOT_FOUND");
    json_object_put(o);
    free_result(&r);
}

static void test_check_link_is_url_encoded(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "ann lee&x=1/\xC3\xA9");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_str(o, "identifier", "ann lee&x=1/\xC3\xA9");
    expect_str(o, "link", LINK_BASE "?connection=gmail&identifier=ann%20lee%26x%3D1%2F%C3%A9");
    json_object_put(o);
    free_result(&r);
}

/* ---- check: tool rules -------------------------------------------------- */

static void test_check_tool_rules(void **state)
{
    static const struct {
        const char *tool, *connection, *verdict, *status;
        int code;
    } cases[] = {
        { "gmail_send_email", "gmail", "ALLOW", "ACTIVE", 0 },     /* exact name */
        { "gmail_list_threads", "gmail", "ALLOW", "ACTIVE", 0 },   /* prefix gmail_ */
        { "gmail_drafts_create", "gmail_drafts", "NEEDS_AUTHORIZATION", "EXPIRED", 10 },
        { "gmail_special", "slack", "ALLOW", "ACTIVE", 0 },        /* exact beats prefix */
        { "slack_post_message", "slack", "ALLOW", "ACTIVE", 0 },
    };
    fixture *fx = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        json_object *o;

        RUN(fx, &r, "check", "--config", fx->config, "--tool", cases[i].tool, "--identifier",
            "user_123");
        expect_exit(&r, cases[i].code);
        o = expect_decision(&r, cases[i].verdict, cases[i].tool, cases[i].connection,
                            "user_123", cases[i].status);
        json_object_put(o);
        free_result(&r);
    }
}

static void test_check_unmapped_allow(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "calculator.add", "--identifier",
        "user_456");
    expect_exit(&r, 0);
    o = parse_json(r.out);
    expect_keys(o, decision_keys);
    expect_str(o, "verdict", "ALLOW");
    expect_str(o, "tool", "calculator.add");
    expect_str(o, "connection", NULL);
    expect_str(o, "identifier", "user_456");
    expect_str(o, "status", NULL);
    expect_str(o, "link", NULL);
    expect_str(o, "link_expires_at", NULL);
    json_object_put(o);
    free_result(&r);
}

static void test_check_unmapped_deny(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    write_config(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"}," RULES_DENY
                     "}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "calculator.add", "--identifier",
        "user_123");
    expect_exit(&r, 12);
    o = parse_json(r.out);
    expect_keys(o, decision_keys);
    expect_str(o, "verdict", "DENY");
    expect_str(o, "connection", NULL);
    expect_str(o, "status", NULL);
    expect_str(o, "link", NULL);
    json_object_put(o);
    free_result(&r);

    /* Mapped tools still follow the account's status. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_exit(&r, 0);
    free_result(&r);
}

/* ---- check: provider failure -------------------------------------------- */

/* The file provider fails when it cannot fit the authorization link in the
 * ABI's TG_LINK_MAX bytes: a long link_base plus an identifier whose 512
 * bytes all need percent-encoding. That is a real provider failure inside
 * one run, which the default policy ("closed") turns into UNAVAILABLE. */
static void write_overlong_link_setup(fixture *fx, const char *policy, char *identifier,
                                      size_t id_cap)
{
    char base[1100], accounts[2048], config[1024];

    assert_true(id_cap > 512);
    memset(identifier, ' ', 512);
    identifier[0] = 'u'; /* not all blanks, to look like a name */
    identifier[512] = '\0';
    memcpy(base, LINK_BASE "/", sizeof LINK_BASE);
    memset(base + sizeof LINK_BASE, 'a', 1000 - sizeof LINK_BASE);
    base[1000] = '\0';
    snprintf(accounts, sizeof accounts, "{\"link_base\":\"%s\",\"accounts\":[]}", base);
    write_accounts(fx, accounts);
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},%s"
             "\"on_provider_error\":\"%s\"}",
             RULES_ALLOW ",", policy);
    write_config(fx, config);
}

static void test_check_provider_failure_is_unavailable(void **state)
{
    fixture *fx = *state;
    char identifier[600];
    run_result r;
    json_object *o;

    write_overlong_link_setup(fx, "closed", identifier, sizeof identifier);
    run_cli(fx, NULL,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 identifier),
            &r);
    expect_exit(&r, 11);
    /* One line on stderr says what failed. */
    if (count_lines(r.err) != 1 || strncmp(r.err, "toolgate: check: ", 17) != 0 ||
        !strstr(r.err, "authorization link"))
        fail_msg("stderr for exit 11:\n%s", r.err);
    o = parse_json(r.out);
    expect_keys(o, decision_keys);
    expect_str(o, "verdict", "UNAVAILABLE");
    /* The status was read (an unlisted account is created PENDING); the link
     * was what failed. A failure is never NEEDS_AUTHORIZATION. */
    expect_str(o, "status", "PENDING");
    expect_str(o, "link", NULL);
    expect_str(o, "link_expires_at", NULL);
    json_object_put(o);
    free_result(&r);

    /* status exits by the same verdict; link reports the provider failure. */
    run_cli(fx, NULL,
            ARGS("status", "--config", fx->config, "--connection", "gmail", "--identifier",
                 identifier),
            &r);
    expect_exit(&r, 11);
    o = parse_json(r.out);
    expect_keys(o, status_keys);
    expect_str(o, "status", "PENDING");
    json_object_put(o);
    free_result(&r);

    run_cli(fx, NULL,
            ARGS("link", "--config", fx->config, "--connection", "gmail", "--identifier",
                 identifier),
            &r);
    expect_one_line_error(&r, 11, "link");
    free_result(&r);
}

/* Fail-open decides only when the status is unknown: a PENDING account whose
 * link fails is UNAVAILABLE under an open policy too, never ALLOW. */
static void test_check_link_failure_open_policy_blocks(void **state)
{
    fixture *fx = *state;
    char identifier[600];
    run_result r;
    json_object *o;

    write_overlong_link_setup(fx, "open", identifier, sizeof identifier);
    run_cli(fx, NULL,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 identifier),
            &r);
    expect_exit(&r, 11);
    o = parse_json(r.out);
    expect_keys(o, decision_keys);
    expect_str(o, "verdict", "UNAVAILABLE");
    expect_str(o, "status", "PENDING");
    expect_str(o, "source", "provider");
    expect_str(o, "link", NULL);
    json_object_put(o);
    free_result(&r);
}

/* --verbose: the library's diagnostic lines on stderr, stdout unchanged. */
static void test_verbose(void **state)
{
    fixture *fx = *state;
    run_result r;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--verbose");
    expect_exit(&r, 10);
    if (!strstr(r.err, "toolgate: debug: provider file: status of a gmail account: EXPIRED in ") ||
        !strstr(r.err, "toolgate: debug: provider file: link for a gmail account in "))
        fail_msg("no provider lines on stderr:\n%s", r.err);
    assert_int_equal(count_lines(r.out), 1);
    free_result(&r);
    /* Without it, nothing. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456");
    assert_string_equal(r.err, "");
    free_result(&r);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--verbose=yes");
    expect_one_line_error(&r, 2, "--verbose takes no value");
    free_result(&r);
    RUN(fx, &r, "event", "--verbose");
    expect_one_line_error(&r, 2, "--verbose is not an option of this command");
    free_result(&r);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_check_bad_identifier(void **state)
{
    fixture *fx = *state;
    char long_id[600];
    run_result r;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user\x01x");
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user\nx");
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "");
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "bad\xC3(utf8");
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);

    memset(long_id, 'a', 513);
    long_id[513] = '\0';
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        long_id);
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);

    /* 512 bytes is the limit, not past it. */
    long_id[512] = '\0';
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        long_id);
    expect_exit(&r, 10);
    free_result(&r);
}

static void test_bad_tool_and_connection(void **state)
{
    fixture *fx = *state;
    run_result r;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail send", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, "tool");
    free_result(&r);

    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gm@il", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, "connection");
    free_result(&r);

    RUN(fx, &r, "link", "--config", fx->config, "--connection", "", "--identifier", "user_123");
    expect_one_line_error(&r, 2, "connection");
    free_result(&r);

    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user\x7f", "--timeout", "5");
    expect_one_line_error(&r, 2, "identifier");
    free_result(&r);
}

/* ---- bad configuration -------------------------------------------------- */

static void expect_config_error(fixture *fx, const char *config_text, const char *needle)
{
    run_result r;

    write_config(fx, config_text);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, needle);
    /* The line says where: the configuration file. */
    if (!strstr(r.err, fx->config))
        fail_msg("stderr does not name %s:\n%s", fx->config, r.err);
    free_result(&r);
}

static void test_bad_config(void **state)
{
    fixture *fx = *state;

    expect_config_error(fx, "{\"cache\":{\"foo\":1}}", "cache.foo");
    expect_config_error(fx, "{\"colour\":\"blue\"}", "colour");
    expect_config_error(fx, "{\"cache\":{\"active_ttl_ms\":\"soon\"}}", "active_ttl_ms");
    expect_config_error(fx, "{\"tools\":{\"unmapped\":\"maybe\"}}", "unmapped");
    expect_config_error(fx, "{\"on_provider_error\":42}", "on_provider_error");
    expect_config_error(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\","
                            "\"pth\":\"x\"}}",
                        "pth");
    expect_config_error(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"", NULL);
    expect_config_error(fx, "not json at all", NULL);
    expect_config_error(fx, "", NULL);
}

static void test_bad_provider_files(void **state)
{
    fixture *fx = *state;
    run_result r;
    char missing[160];

    /* Missing configuration file. */
    snprintf(missing, sizeof missing, "%s/nope.json", fx->dir);
    RUN(fx, &r, "check", "--config", missing, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, "nope.json");
    free_result(&r);

    /* Missing accounts file. */
    write_config(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"gone.json\"}}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, "gone.json");
    free_result(&r);

    /* Invalid accounts file: a status nobody knows. */
    write_config(fx, CONFIG_STD);
    write_accounts(fx, "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["
                       "{\"connection\":\"gmail\",\"identifier\":\"u\",\"status\":\"ACTIV\"}]}");
    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gmail", "--identifier",
        "u");
    expect_one_line_error(&r, 2, "ACTIV");
    free_result(&r);

    /* Accounts file that is not JSON. */
    write_accounts(fx, "{\"accounts\":[");
    RUN(fx, &r, "link", "--config", fx->config, "--connection", "gmail", "--identifier", "u");
    expect_one_line_error(&r, 2, "accounts");
    free_result(&r);

    /* A provider module that cannot be loaded. */
    write_config(fx, "{\"provider\":{\"type\":\"./no-such-provider.so\"}}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, "no-such-provider.so");
    free_result(&r);

    /* Unknown provider type. */
    write_accounts(fx, ACCOUNTS_STD);
    write_config(fx, "{\"provider\":{\"type\":\"carrier-pigeon\"}}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123");
    expect_one_line_error(&r, 2, NULL);
    free_result(&r);
}

/* ---- arguments ---------------------------------------------------------- */

static void test_bad_arguments(void **state)
{
    fixture *fx = *state;
    run_result r;
    size_t i;
    const char *const *cases[] = {
        ARGS("check", "--config", fx->config, "--tool", "gmail_send_email"),
        ARGS("check", "--config", fx->config, "--identifier", "user_123"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--bogus"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--bogus=1"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier"),
        ARGS("check", "--config", fx->config, "--tool", "--identifier", "u"),
        ARGS("check", "--config"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--format",
             "xml"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "extra"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--tool", "y", "--identifier",
             "u"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "-t"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--"),
        ARGS("check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--timeout",
             "3"),
        ARGS("status", "--config", fx->config, "--tool", "x", "--identifier", "u"),
        ARGS("status", "--config", fx->config, "--connection", "gmail"),
        ARGS("link", "--config", fx->config, "--identifier", "u"),
        ARGS("wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
             "--timeout", "-1"),
        ARGS("wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
             "--timeout", "soon"),
        ARGS("wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
             "--timeout", "1x"),
        ARGS("wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
             "--timeout", ""),
        ARGS("wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
             "--timeout"),
        ARGS("frobnicate"),
        ARGS("--config", fx->config),
        ARGS("--version", "extra"),
    };

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_cli(fx, NULL, cases[i], &r);
        expect_one_line_error(&r, 2, NULL);
        free_result(&r);
    }

    /* No command at all. */
    {
        const char *const none[] = { NULL };
        run_cli(fx, NULL, none, &r);
        expect_one_line_error(&r, 2, NULL);
        free_result(&r);
    }

    /* The message names the offending flag. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--bogus");
    expect_one_line_error(&r, 2, "--bogus");
    free_result(&r);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "x");
    expect_one_line_error(&r, 2, "--identifier");
    free_result(&r);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "x", "--identifier", "u", "--format",
        "yaml");
    expect_one_line_error(&r, 2, "--format");
    free_result(&r);
    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier", "u",
        "--timeout", "forever");
    expect_one_line_error(&r, 2, "--timeout");
    free_result(&r);
}

static void test_flag_equals_form(void **state)
{
    fixture *fx = *state;
    char arg[200];
    run_result r;
    json_object *o;

    snprintf(arg, sizeof arg, "--config=%s", fx->config);
    RUN(fx, &r, "check", arg, "--tool=gmail_send_email", "--identifier=user_456",
        "--format=json");
    expect_exit(&r, 10);
    o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail", "user_456",
                        "EXPIRED");
    json_object_put(o);
    free_result(&r);
}

static void test_help_and_version(void **state)
{
    static const char *const commands[] = { "check", "status", "link", "wait" };
    fixture *fx = *state;
    run_result r;
    size_t i;
    char want[64];

    RUN(fx, &r, "--help");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "Usage: toolgate"));
    assert_string_equal(r.err, "");
    free_result(&r);

    RUN(fx, &r, "-h");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "Usage: toolgate"));
    free_result(&r);

    RUN(fx, &r, "--version");
    expect_exit(&r, 0);
    snprintf(want, sizeof want, "toolgate %s\n", TG_VERSION_STRING);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    free_result(&r);

    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        snprintf(want, sizeof want, "Usage: toolgate %s", commands[i]);
        RUN(fx, &r, commands[i], "--help");
        expect_exit(&r, 0);
        assert_non_null(strstr(r.out, want));
        assert_string_equal(r.err, "");
        free_result(&r);

        /* --help wins over missing flags and needs no configuration. */
        RUN(fx, &r, commands[i], "--config", "/nonexistent/toolgate.json", "--help");
        expect_exit(&r, 0);
        assert_non_null(strstr(r.out, want));
        free_result(&r);
    }
}

/* ---- where the configuration comes from --------------------------------- */

static void test_config_from_environment(void **state)
{
    fixture *fx = *state;
    run_opts opts = { "/", NULL, NULL };
    run_result r;
    json_object *o;

    opts.env_config = fx->config;
    run_cli(fx, &opts,
            ARGS("check", "--tool", "gmail_send_email", "--identifier", "user_123"), &r);
    expect_exit(&r, 0);
    o = expect_decision(&r, "ALLOW", "gmail_send_email", "gmail", "user_123", "ACTIVE");
    json_object_put(o);
    free_result(&r);

    /* --config wins over the environment. */
    opts.env_config = "/nonexistent/toolgate.json";
    run_cli(fx, &opts,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 "user_123"),
            &r);
    expect_exit(&r, 0);
    free_result(&r);

    /* And a TOOLGATE_CONFIG that does not exist is reported by name. */
    run_cli(fx, &opts,
            ARGS("check", "--tool", "gmail_send_email", "--identifier", "user_123"), &r);
    expect_one_line_error(&r, 2, "/nonexistent/toolgate.json");
    free_result(&r);
}

static void test_config_from_current_directory(void **state)
{
    fixture *fx = *state;
    run_opts opts = { NULL, NULL, NULL };
    run_result r;
    json_object *o;

    opts.cwd = fx->dir;
    run_cli(fx, &opts,
            ARGS("check", "--tool", "gmail_send_email", "--identifier", "user_456"), &r);
    expect_exit(&r, 10);
    o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail", "user_456",
                        "EXPIRED");
    json_object_put(o);
    free_result(&r);

    /* Nothing to find: exit 2, naming the file it looked for. */
    opts.cwd = "/";
    run_cli(fx, &opts,
            ARGS("check", "--tool", "gmail_send_email", "--identifier", "user_456"), &r);
    expect_one_line_error(&r, 2, "toolgate.json");
    free_result(&r);
}

static void test_relative_accounts_path_follows_config(void **state)
{
    fixture *fx = *state;
    char sub[128], config[160], accounts[160];
    run_opts opts = { "/", NULL, NULL };
    run_result r;

    snprintf(sub, sizeof sub, "%s/etc", fx->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(config, sizeof config, "%s/gate.json", sub);
    snprintf(accounts, sizeof accounts, "%s/accounts.json", sub);
    write_file_at(config, CONFIG_STD);
    write_file_at(accounts, "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["
                            "{\"connection\":\"gmail\",\"identifier\":\"user_456\","
                            "\"status\":\"ACTIVE\"}]}");
    /* The child runs in "/", so only config-relative resolution finds it. */
    run_cli(fx, &opts,
            ARGS("check", "--config", config, "--tool", "gmail_send_email", "--identifier",
                 "user_456"),
            &r);
    expect_exit(&r, 0);
    free_result(&r);
}

/* --config /dev/stdin with a pipe (as `cat gate.json | toolgate ...` or a
 * shell's <(...) give): read to the end; relative paths follow the working
 * directory. */
static void test_config_from_a_pipe(void **state)
{
    fixture *fx = *state;
    run_opts opts = { fx->dir, NULL, CONFIG_STD };
    run_result r;

    run_cli(fx, &opts,
            ARGS("check", "--config", "/dev/stdin", "--tool", "gmail_send_email",
                 "--identifier", "user_123"),
            &r);
    expect_exit(&r, 0);
    free_result(&r);

    /* A broken configuration through the pipe is a configuration error. */
    opts.stdin_text = "{\"cache\":{\"max_entries\":\"many\"}}";
    run_cli(fx, &opts,
            ARGS("check", "--config", "/dev/stdin", "--tool", "gmail_send_email",
                 "--identifier", "user_123"),
            &r);
    expect_one_line_error(&r, 2, "max_entries");
    free_result(&r);
}

/* A symlinked configuration: relative paths follow the link's directory,
 * where the user put it, not its target's. */
static void test_symlinked_config_paths_follow_the_link(void **state)
{
    fixture *fx = *state;
    char real_dir[160], link_dir[160], target[200], link[200], accounts[200];
    run_opts opts = { "/", NULL, NULL };
    run_result r;

    snprintf(real_dir, sizeof real_dir, "%s/shared", fx->dir);
    snprintf(link_dir, sizeof link_dir, "%s/project", fx->dir);
    assert_int_equal(mkdir(real_dir, 0700), 0);
    assert_int_equal(mkdir(link_dir, 0700), 0);
    snprintf(target, sizeof target, "%s/gate.json", real_dir);
    snprintf(link, sizeof link, "%s/gate.json", link_dir);
    snprintf(accounts, sizeof accounts, "%s/accounts.json", link_dir);
    write_file_at(target, CONFIG_STD);
    assert_int_equal(symlink(target, link), 0);
    write_file_at(accounts, "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["
                            "{\"connection\":\"gmail\",\"identifier\":\"u_link\","
                            "\"status\":\"ACTIVE\"}]}");
    run_cli(fx, &opts,
            ARGS("check", "--config", link, "--tool", "gmail_send_email", "--identifier",
                 "u_link"),
            &r);
    expect_exit(&r, 0);
    free_result(&r);
}

#ifdef TG_FILE_MODULE_PATH
/* The same file provider, loaded as a module by path ("provider.type"). */
static void test_provider_module_by_path(void **state)
{
    fixture *fx = *state;
    char config[1024];
    run_result r;
    json_object *o;

    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"%s\",\"path\":\"accounts.json\"}," RULES_ALLOW "}",
             TG_FILE_MODULE_PATH);
    write_config(fx, config);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456");
    expect_exit(&r, 10);
    o = expect_decision(&r, "NEEDS_AUTHORIZATION", "gmail_send_email", "gmail", "user_456",
                        "EXPIRED");
    json_object_put(o);
    free_result(&r);
}
#endif

/* ---- status and link ---------------------------------------------------- */

static void test_status(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;

    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_123");
    expect_exit(&r, 0);
    assert_string_equal(r.err, "");
    o = parse_json(r.out);
    expect_keys(o, status_keys);
    expect_str(o, "connection", "gmail");
    expect_str(o, "identifier", "user_123");
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);

    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_keys(o, status_keys);
    expect_str(o, "status", "EXPIRED");
    json_object_put(o);
    free_result(&r);

    /* A connection no tool maps to can still be asked about directly. */
    RUN(fx, &r, "status", "--config", fx->config, "--connection", "slack", "--identifier",
        "user_123");
    expect_exit(&r, 0);
    free_result(&r);

    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_disc");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_str(o, "status", "REVOKED");
    json_object_put(o);
    free_result(&r);
}

static void test_link(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    const char *expires;
    time_t now = time(NULL), when;

    RUN(fx, &r, "link", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456");
    expect_exit(&r, 0);
    assert_string_equal(r.err, "");
    o = parse_json(r.out);
    expect_keys(o, link_keys);
    expect_str(o, "link", LINK_BASE "?connection=gmail&identifier=user_456");
    /* The slash must not be escaped: the line is meant to be pasted. */
    assert_non_null(strstr(r.out, "https://connect.example.com/authorize"));
    expires = get_str(o, "link_expires_at");
    if (expires) {
        when = parse_rfc3339_utc(expires);
        assert_true(when > now - 5);
        assert_true(when < now + 24 * 3600);
    }
    json_object_put(o);
    free_result(&r);

    /* A link exists whatever the status, ACTIVE included. */
    RUN(fx, &r, "link", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_123");
    expect_exit(&r, 0);
    o = parse_json(r.out);
    expect_str(o, "link", LINK_BASE "?connection=gmail&identifier=user_123");
    json_object_put(o);
    free_result(&r);

    RUN(fx, &r, "link", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456", "--format", "text");
    expect_exit(&r, 0);
    assert_string_equal(r.out, LINK_BASE "?connection=gmail&identifier=user_456\n");
    free_result(&r);
}

/* ---- text output -------------------------------------------------------- */

static void test_format_text(void **state)
{
    fixture *fx = *state;
    run_result r;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format", "text");
    expect_exit(&r, 10);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(strncmp(r.out, "NEEDS_AUTHORIZATION: ", 21) == 0);
    assert_non_null(strstr(r.out, "user_456"));
    assert_non_null(strstr(r.out, "EXPIRED"));
    assert_non_null(
        strstr(r.out, "authorize at " LINK_BASE "?connection=gmail&identifier=user_456\n"));
    free_result(&r);

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123", "--format", "text");
    expect_exit(&r, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(strncmp(r.out, "ALLOW: ", 7) == 0);
    assert_null(strstr(r.out, "authorize at"));
    free_result(&r);

    write_config(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"}," RULES_DENY
                     "}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "calculator.add", "--identifier",
        "user_123", "--format", "text");
    expect_exit(&r, 12);
    assert_true(strncmp(r.out, "DENY: ", 6) == 0);
    free_result(&r);

    RUN(fx, &r, "status", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456", "--format", "text");
    expect_exit(&r, 10);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(strncmp(r.out, "EXPIRED: ", 9) == 0);
    free_result(&r);
}

/* ---- MCP formats (docs/encodings.md) ------------------------------------ */

#define USER_456_LINK LINK_BASE "?connection=gmail&identifier=user_456"

static json_object *get_obj(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    if (!json_object_is_type(v, json_type_object))
        fail_msg("key \"%s\" is not an object", key);
    return v;
}

static int get_int(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    if (!json_object_is_type(v, json_type_int))
        fail_msg("key \"%s\" is not an integer", key);
    return json_object_get_int(v);
}

/* The one URL elicitation of a -32042 error object; returns its id (borrowed
 * from @p err). */
static const char *expect_url_elicitation(json_object *err, const char *link)
{
    json_object *list, *el;

    expect_keys(err, (const char *const[]){ "code", "message", "data", NULL });
    assert_int_equal(get_int(err, "code"), -32042);
    assert_non_null(strstr(get_str(err, "message"), link));
    list = get(get_obj(err, "data"), "elicitations");
    assert_true(json_object_is_type(list, json_type_array));
    assert_int_equal(json_object_array_length(list), 1);
    el = json_object_array_get_idx(list, 0);
    expect_keys(el, (const char *const[]){ "mode", "elicitationId", "url", "message", NULL });
    expect_str(el, "mode", "url");
    expect_str(el, "url", link);
    return get_str(el, "elicitationId");
}

static void test_format_mcp(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o, *again, *err;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format", "mcp");
    expect_exit(&r, 10);
    assert_string_equal(r.err, "");
    o = parse_json(r.out);
    free_result(&r);

    /* Another process, the same account and link: the same elicitation id. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format=mcp", "--request-id", "7");
    expect_exit(&r, 10);
    again = parse_json(r.out);
    expect_keys(again, (const char *const[]){ "jsonrpc", "id", "error", NULL });
    expect_str(again, "jsonrpc", "2.0");
    assert_int_equal(get_int(again, "id"), 7);
    err = get_obj(again, "error");
    assert_string_equal(expect_url_elicitation(err, USER_456_LINK),
                        expect_url_elicitation(o, USER_456_LINK));
    json_object_put(again);
    json_object_put(o);
    free_result(&r);

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format", "mcp", "--request-id", "\"req \\\"1\\\"\"");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_str(o, "id", "req \"1\"");
    json_object_put(o);
    free_result(&r);

    /* ALLOW: the decision itself, as a result. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123", "--format", "mcp");
    expect_exit(&r, 0);
    json_object_put(expect_decision(&r, "ALLOW", "gmail_send_email", "gmail", "user_123",
                                    "ACTIVE"));
    free_result(&r);
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123", "--format", "mcp", "--request-id", "1");
    expect_exit(&r, 0);
    o = parse_json(r.out);
    expect_keys(o, (const char *const[]){ "jsonrpc", "id", "result", NULL });
    expect_str(get_obj(o, "result"), "verdict", "ALLOW");
    json_object_put(o);
    free_result(&r);

    /* DENY: a plain error with the decision as data, never an elicitation. */
    write_config(fx, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"}," RULES_DENY
                     "}");
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "calculator.add", "--identifier",
        "user_123", "--format", "mcp");
    expect_exit(&r, 12);
    assert_null(strstr(r.out, "elicitation"));
    o = parse_json(r.out);
    assert_int_equal(get_int(o, "code"), -32603);
    expect_str(get_obj(o, "data"), "verdict", "DENY");
    json_object_put(o);
    free_result(&r);
}

static void test_format_mcp_input_required(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o, *result, *reqs, *req = NULL, *params;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format", "mcp-input-required", "--request-id", "\"r1\"");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_keys(o, (const char *const[]){ "jsonrpc", "id", "result", NULL });
    expect_str(o, "id", "r1");
    result = get_obj(o, "result");
    expect_keys(result,
                (const char *const[]){ "resultType", "inputRequests", "requestState", NULL });
    expect_str(result, "resultType", "input_required");
    assert_true(strlen(get_str(result, "requestState")) > 0);
    reqs = get_obj(result, "inputRequests");
    assert_int_equal(json_object_object_length(reqs), 1);
    json_object_object_foreach(reqs, key, val)
    {
        (void)key;
        req = val;
    }
    expect_str(req, "method", "elicitation/create");
    params = get_obj(req, "params");
    expect_keys(params, (const char *const[]){ "mode", "url", "message", NULL });
    expect_str(params, "mode", "url");
    expect_str(params, "url", USER_456_LINK);
    json_object_put(o);
    free_result(&r);

    /* ALLOW: a complete CallToolResult, isError false. */
    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_123", "--format", "mcp-input-required");
    expect_exit(&r, 0);
    o = parse_json(r.out);
    expect_str(o, "resultType", "complete");
    assert_false(json_object_get_boolean(get(o, "isError")));
    json_object_put(o);
    free_result(&r);
}

static void test_format_mcp_tool_result(void **state)
{
    fixture *fx = *state;
    char identifier[600];
    run_result r;
    json_object *o, *content, *text;

    RUN(fx, &r, "check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
        "user_456", "--format", "mcp-tool-result");
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_keys(o, (const char *const[]){ "resultType", "content", "structuredContent",
                                          "isError", NULL });
    assert_true(json_object_get_boolean(get(o, "isError")));
    content = get(o, "content");
    assert_int_equal(json_object_array_length(content), 1);
    text = json_object_array_get_idx(content, 0);
    expect_str(text, "type", "text");
    /* The link in plain words, for clients that show nothing else. */
    assert_non_null(strstr(get_str(text, "text"), USER_456_LINK));
    expect_str(get_obj(o, "structuredContent"), "link", USER_456_LINK);
    json_object_put(o);
    free_result(&r);

    /* UNAVAILABLE: exit 11 in every format; no elicitation. */
    write_overlong_link_setup(fx, "closed", identifier, sizeof identifier);
    run_cli(fx, NULL,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 identifier, "--format", "mcp-tool-result", "--request-id", "5"),
            &r);
    expect_exit(&r, 11);
    o = parse_json(r.out);
    assert_int_equal(get_int(o, "id"), 5);
    assert_true(json_object_get_boolean(get(get_obj(o, "result"), "isError")));
    expect_str(get_obj(get_obj(o, "result"), "structuredContent"), "verdict", "UNAVAILABLE");
    json_object_put(o);
    free_result(&r);

    run_cli(fx, NULL,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 identifier, "--format", "mcp"),
            &r);
    expect_exit(&r, 11);
    assert_null(strstr(r.out, "elicitation"));
    o = parse_json(r.out);
    assert_int_equal(get_int(o, "code"), -32603);
    assert_non_null(strstr(get_str(o, "message"), "unavailable"));
    json_object_put(o);
    free_result(&r);

    run_cli(fx, NULL,
            ARGS("check", "--config", fx->config, "--tool", "gmail_send_email", "--identifier",
                 identifier, "--format", "mcp-input-required"),
            &r);
    expect_exit(&r, 11);
    assert_null(strstr(r.out, "inputRequests"));
    o = parse_json(r.out);
    expect_str(o, "resultType", "complete");
    assert_true(json_object_get_boolean(get(o, "isError")));
    json_object_put(o);
    free_result(&r);
}

static void test_format_and_request_id_errors(void **state)
{
    fixture *fx = *state;
    run_result r;
    size_t i;
    static const struct {
        const char *args[12];
        const char *needle;
    } cases[] = {
        { { "check", "--tool", "x", "--identifier", "u", "--request-id", "1", NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "json", "--request-id", "1",
            NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "text", "--request-id",
            "\"a\"", NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp", "--request-id",
            "1.5", NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp", "--request-id=abc",
            NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp", "--request-id=",
            NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp", "--request-id=null",
            NULL },
          "--request-id" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp", "--request-id",
            "1", "--request-id", "2", NULL },
          "twice" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "MCP", NULL }, "--format" },
        { { "check", "--tool", "x", "--identifier", "u", "--format", "mcp-input", NULL },
          "--format" },
        { { "status", "--connection", "gmail", "--identifier", "u", "--format", "mcp", NULL },
          "--format" },
        { { "link", "--connection", "gmail", "--identifier", "u", "--format", "mcp-tool-result",
            NULL },
          "--format" },
        { { "wait", "--connection", "gmail", "--identifier", "u", "--format",
            "mcp-input-required", NULL },
          "--format" },
        { { "status", "--connection", "gmail", "--identifier", "u", "--request-id", "1", NULL },
          "--request-id" },
    };

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16];
        size_t n = 0, k;

        argv[n++] = cases[i].args[0];
        argv[n++] = "--config";
        argv[n++] = fx->config;
        for (k = 1; cases[i].args[k]; k++)
            argv[n++] = cases[i].args[k];
        argv[n] = NULL;
        run_cli(fx, NULL, argv, &r);
        expect_one_line_error(&r, 2, cases[i].needle);
        free_result(&r);
    }

    RUN(fx, &r, "check", "--help");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "mcp-input-required"));
    assert_non_null(strstr(r.out, "--request-id"));
    free_result(&r);
}

/* ---- wait --------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Until the running command (started with --verbose) has asked the
 * provider once: its stderr says so. A fixed sleep is not enough on a busy
 * machine, or under a sanitizer. */
static void wait_for_first_look(fixture *fx)
{
    double t0 = now_s();
    for (;;) {
        if (access(fx->err_path, F_OK) == 0) {
            char *err = read_all(fx->err_path);
            int seen = strstr(err, "status of a gmail account") != NULL;
            free(err);
            if (seen)
                return;
        }
        if (now_s() - t0 > 30.0)
            fail_msg("the command did not ask the provider within 30 s");
        sleep_ms(20);
    }
}

static void test_wait_already_active(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    double t0 = now_s();

    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_123", "--timeout", "30");
    expect_exit(&r, 0);
    assert_true(now_s() - t0 < 10.0);
    assert_string_equal(r.err, ""); /* stderr is not a terminal: no progress */
    o = parse_json(r.out);
    expect_keys(o, status_keys);
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);
}

static void test_wait_times_out(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    double t0 = now_s(), took;

    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456", "--timeout", "1");
    took = now_s() - t0;
    expect_exit(&r, 10);
    assert_true(took >= 0.9);
    assert_true(took < 8.0);
    assert_string_equal(r.err, "");
    o = parse_json(r.out);
    expect_str(o, "status", "EXPIRED");
    json_object_put(o);
    free_result(&r);

    /* --timeout 0 asks once. */
    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456", "--timeout", "0");
    expect_exit(&r, 10);
    free_result(&r);

    RUN(fx, &r, "wait", "--config", fx->config, "--connection", "gmail", "--identifier",
        "user_456", "--timeout", "0.3", "--format", "text");
    expect_exit(&r, 10);
    assert_true(strncmp(r.out, "EXPIRED: ", 9) == 0);
    free_result(&r);
}

#define ACCOUNTS_456_ACTIVE                                                             \
    "{\"link_base\":\"" LINK_BASE "\",\"accounts\":["                                   \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"ACTIVE\"}]}"

static void test_wait_sees_authorization(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    pid_t pid;
    double t0 = now_s(), took;

    pid = spawn_cli(fx, NULL,
                    ARGS("wait", "--config", fx->config, "--connection", "gmail",
                         "--identifier", "user_456", "--timeout", "20"));
    /* The user completes the consent screen while the command waits. */
    sleep_ms(700);
    write_accounts(fx, ACCOUNTS_456_ACTIVE);
    finish_cli(fx, pid, &r);
    took = now_s() - t0;
    expect_exit(&r, 0);
    assert_true(took < 15.0);
    o = parse_json(r.out);
    expect_str(o, "identifier", "user_456");
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);
}

static void test_wait_keeps_polling_through_provider_failure(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    pid_t pid;

    pid = spawn_cli(fx, NULL,
                    ARGS("wait", "--config", fx->config, "--connection", "gmail",
                         "--identifier", "user_456", "--timeout", "20"));
    sleep_ms(400);
    /* Unreadable for a while: the provider fails (UNAVAILABLE), wait goes on. */
    assert_int_equal(unlink(fx->accounts), 0);
    sleep_ms(1200);
    write_accounts(fx, "{\"accounts\": [ broken");
    sleep_ms(1200);
    write_accounts(fx, ACCOUNTS_456_ACTIVE);
    finish_cli(fx, pid, &r);
    expect_exit(&r, 0);
    o = parse_json(r.out);
    expect_str(o, "status", "ACTIVE");
    json_object_put(o);
    free_result(&r);
}

/* The provider answered, then failed until the timeout: exit 10 with the
 * last status it gave. */
static void test_wait_times_out_with_last_known_status(void **state)
{
    fixture *fx = *state;
    run_result r;
    json_object *o;
    pid_t pid;

    pid = spawn_cli(fx, NULL,
                    ARGS("wait", "--config", fx->config, "--connection", "gmail",
                         "--identifier", "user_456", "--timeout", "4", "--verbose"));
    wait_for_first_look(fx);
    /* From now on the provider cannot answer. */
    assert_int_equal(unlink(fx->accounts), 0);
    finish_cli(fx, pid, &r);
    expect_exit(&r, 10);
    o = parse_json(r.out);
    expect_keys(o, status_keys);
    expect_str(o, "connection", "gmail");
    expect_str(o, "identifier", "user_456");
    expect_str(o, "status", "EXPIRED");
    json_object_put(o);
    free_result(&r);
}

/* SIGINT during a wait: exit 130, promptly. */
static void test_wait_interrupted(void **state)
{
    fixture *fx = *state;
    run_result r;
    pid_t pid;
    double t0;

    pid = spawn_cli(fx, NULL,
                    ARGS("wait", "--config", fx->config, "--connection", "gmail",
                         "--identifier", "user_456", "--timeout", "60", "--verbose"));
    wait_for_first_look(fx); /* its signal handlers are in place by then */
    t0 = now_s();
    assert_int_equal(kill(pid, SIGINT), 0);
    finish_cli(fx, pid, &r);
    expect_exit(&r, 130);
    assert_true(now_s() - t0 < 10.0);
    assert_non_null(strstr(r.err, "interrupted"));
    free_result(&r);
}

/* With stderr on a terminal, wait shows the link once and a progress line. */
static void test_wait_shows_progress_on_a_terminal(void **state)
{
    fixture *fx = *state;
    char seen[8192];
    size_t len = 0;
    int master, slave, status, done = 0;
    pid_t pid;
    char *name;

    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        fail_msg("cannot open a pseudo-terminal: %s", strerror(errno));
    assert_int_equal(fcntl(master, F_SETFD, FD_CLOEXEC), 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    name = ptsname(master);
    assert_non_null(name);
    slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);

    pid = spawn_cli_fd(fx, NULL,
                       ARGS("wait", "--config", fx->config, "--connection", "gmail",
                            "--identifier", "user_456", "--timeout", "1"),
                       slave);
    close(slave);
    /* Drain the terminal while the command runs, so it never blocks on it. */
    while (!done || len < sizeof seen - 1) {
        struct pollfd pfd = { master, POLLIN, 0 };
        int ready = poll(&pfd, 1, 100);
        if (ready > 0 && (pfd.revents & POLLIN)) {
            ssize_t n = read(master, seen + len, sizeof seen - 1 - len);
            if (n > 0) {
                len += (size_t)n;
                continue;
            }
        }
        if (done)
            break;
        if (waitpid(pid, &status, WNOHANG) == pid)
            done = 1;
    }
    close(master);
    seen[len] = '\0';
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 10);
    if (!strstr(seen, "authorize at " LINK_BASE "?connection=gmail&identifier=user_456") ||
        !strstr(seen, "waiting for"))
        fail_msg("no progress on the terminal, got:\n%s", seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_check_active_allows),
        T(test_check_non_active_statuses),
        T(test_check_wire_numbers),
        T(test_check_unlisted_account_is_created_pending),
        T(test_check_unlisted_account_without_create_is_not_found),
        T(test_check_link_is_url_encoded),
        T(test_check_tool_rules),
        T(test_check_unmapped_allow),
        T(test_check_unmapped_deny),
        T(test_check_provider_failure_is_unavailable),
        T(test_check_link_failure_open_policy_blocks),
        T(test_verbose),
        T(test_check_bad_identifier),
        T(test_bad_tool_and_connection),
        T(test_bad_config),
        T(test_bad_provider_files),
        T(test_bad_arguments),
        T(test_flag_equals_form),
        T(test_help_and_version),
        T(test_config_from_environment),
        T(test_config_from_current_directory),
        T(test_relative_accounts_path_follows_config),
        T(test_config_from_a_pipe),
        T(test_symlinked_config_paths_follow_the_link),
#ifdef TG_FILE_MODULE_PATH
        T(test_provider_module_by_path),
#endif
        T(test_status),
        T(test_link),
        T(test_format_text),
        T(test_format_mcp),
        T(test_format_mcp_input_required),
        T(test_format_mcp_tool_result),
        T(test_format_and_request_id_errors),
        T(test_wait_already_active),
        T(test_wait_times_out),
        T(test_wait_sees_authorization),
        T(test_wait_keeps_polling_through_provider_failure),
        T(test_wait_times_out_with_last_known_status),
        T(test_wait_interrupted),
        T(test_wait_shows_progress_on_a_terminal),
#undef T
    };

    /* A dead pipe must fail a write, not kill the test runner. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
