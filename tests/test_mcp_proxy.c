/* `toolgate mcp-proxy` as a process: the built command between this test
 * (the client, on pipes) and scripted children (/bin/sh scripts, cat):
 * relaying both ways, stderr, exit statuses, the shutdown's signals,
 * back-pressure, the arguments, and an elicitation completed when the
 * accounts file changes (file provider). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64], config[128], accounts[128];

typedef struct proc {
    pid_t pid;
    int in, out, err;
} proc;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const char *text)
{
    char tmp[256];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void set_slack(const char *status)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
             "{\"connection\":\"gmail\",\"identifier\":\"u1\",\"status\":\"ACTIVE\"},"
             "{\"connection\":\"slack\",\"identifier\":\"u1\",\"status\":\"%s\"}]}",
             status);
    write_file(accounts, text);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tg-mcp-proxy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(config, sizeof config, "%s/toolgate.json", dir);
    snprintf(accounts, sizeof accounts, "%s/accounts.json", dir);
    set_slack("EXPIRED");
    write_file(config, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"
                       "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"}},"
                       "\"cache\":{\"inactive_ttl_ms\":60000}}");
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Start `toolgate mcp-proxy [args...] -- sh -c SCRIPT` (script NULL: cat). */
static void start(proc *p, const char *const *args, const char *script)
{
    int in[2], out[2], err[2];
    const char *argv[32];
    size_t n = 0;

    argv[n++] = TG_CLI_PATH;
    argv[n++] = "mcp-proxy";
    while (args && *args)
        argv[n++] = *args++;
    argv[n++] = "--";
    if (script) {
        argv[n++] = "/bin/sh";
        argv[n++] = "-c";
        argv[n++] = script;
    } else {
        argv[n++] = "cat";
    }
    argv[n] = NULL;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_DFL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        execv(argv[0], (char *const *)argv);
        _exit(126);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
}

static const char *const user[] = { "--config", config, "--identifier", "u1", NULL };

static void put(proc *p, const char *text)
{
    size_t n = strlen(text);
    while (n) {
        ssize_t w = write(p->in, text, n);
        assert_true(w > 0);
        text += w;
        n -= (size_t)w;
    }
}

/* Read from @p fd until EOF (bounded by 60 s). Caller frees. */
static char *slurp(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    int64_t deadline = now_ms() + 60000;

    assert_non_null(b);
    for (;;) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t r;
        assert_true(now_ms() < deadline);
        if (poll(&pf, 1, 1000) <= 0)
            continue;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            assert_non_null(b);
        }
        r = read(fd, b + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

/* One line from @p fd (without its newline), within 30 s. */
static void read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    int64_t deadline = now_ms() + 30000;

    while (n + 1 < cap) {
        struct pollfd pf = { fd, POLLIN, 0 };
        int64_t left = deadline - now_ms();
        if (left <= 0)
            fail_msg("no line within 30 s (so far: %.*s)", (int)n, buf);
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        if (read(fd, buf + n, 1) != 1)
            fail_msg("end of output before a line (so far: %.*s)", (int)n, buf);
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
}

/* The exit code (128 + signal when killed), within 60 s. */
static int finish(proc *p)
{
    int status = 0, i;

    if (p->in >= 0)
        close(p->in);
    p->in = -1;
    for (i = 0; i < 6000; i++) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid)
            break;
        usleep(10000);
    }
    if (i == 6000) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        fail_msg("the proxy did not end within 60 s");
    }
    close(p->out);
    close(p->err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

typedef struct feeder {
    int fd;
    const char *text;
    size_t len;
} feeder;

static void *feed_run(void *arg)
{
    feeder *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t w = write(f->fd, f->text + off, f->len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

/* Every message that is not a gated call comes back from cat as the same
 * bytes, a 4 MiB line and invalid JSON included. */
static void test_relay_both_ways(void **state)
{
    size_t big = (size_t)4 << 20, n, got_len;
    char *text = malloc(big + 1024), *got;
    const char *head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                       "\"params\":{\"name\":\"gmail_send\",\"arguments\":{\"b\":\"";
    pthread_t th;
    feeder f;
    proc p;
    (void)state;

    assert_non_null(text);
    n = (size_t)sprintf(text, "not json\n\n{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"ping\"}\r\n%s",
                        head);
    memset(text + n, 'y', big);
    n += big;
    n += (size_t)sprintf(text + n, "\"}}}\n[{\"id\":2,\"method\":\"tools/list\"}]\n"
                                   "{\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"unmapped\"}}\n");
    start(&p, user, NULL);
    f.fd = p.in;
    f.text = text;
    f.len = n;
    p.in = -1;
    assert_int_equal(pthread_create(&th, NULL, feed_run, &f), 0);
    got = slurp(p.out, &got_len);
    pthread_join(th, NULL);
    assert_int_equal(got_len, n);
    assert_memory_equal(got, text, n);
    assert_int_equal(finish(&p), 0);
    free(got);
    free(text);
}

/* A blocked call is answered by the proxy with its id; the server never
 * sees it; the rest keeps its order. */
static void test_answer(void **state)
{
    char line[8192];
    proc p;
    (void)state;

    start(&p, user, NULL);
    put(&p, "{\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"method\":\"tools/call\",\"params\":{\"name\":\"slack_post\"}}\n");
    read_line(p.out, line, sizeof line);
    assert_non_null(strstr(line, "\"id\":\"x1\",\"result\":{"));
    assert_non_null(strstr(line, "\"isError\":true"));
    assert_non_null(strstr(line, "https://connect.example.com/authorize?connection=slack&identifier=u1"));
    put(&p, "{\"id\":2,\"method\":\"ping\"}\n");
    read_line(p.out, line, sizeof line);
    assert_string_equal(line, "{\"id\":2,\"method\":\"ping\"}");
    assert_int_equal(finish(&p), 0);
}

static void test_stderr_and_exit_status(void **state)
{
    char *err, *out;
    proc p;
    (void)state;

    start(&p, user, "echo to-stderr >&2; exit 7");
    err = slurp(p.err, NULL);
    assert_non_null(strstr(err, "to-stderr"));
    free(err);
    assert_int_equal(finish(&p), 7);

    start(&p, user, "kill -TERM $$");
    assert_int_equal(finish(&p), 128 + SIGTERM);

    /* A child that exits in the middle of a message: its bytes, as they are. */
    start(&p, user, "printf '{\"jsonrpc\":\"2.0\",\"id\":1,\"res'; exit 4");
    out = slurp(p.out, NULL);
    assert_string_equal(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"res");
    free(out);
    assert_int_equal(finish(&p), 4);
}

/* The end of the client's input closes the child's. */
static void test_eof(void **state)
{
    char *err;
    proc p;
    (void)state;

    start(&p, user, "cat >/dev/null; echo input-closed >&2; exit 5");
    close(p.in);
    p.in = -1;
    err = slurp(p.err, NULL);
    assert_non_null(strstr(err, "input-closed"));
    free(err);
    assert_int_equal(finish(&p), 5);
}

/* A child that outlives the end of its input gets SIGTERM, then SIGKILL. */
static void test_term_then_kill(void **state)
{
    char *err;
    proc p;
    (void)state;

    start(&p, user, "trap 'echo got-term >&2; exit 9' TERM; cat >/dev/null; "
                    "while :; do sleep 0.1; done");
    close(p.in);
    p.in = -1;
    err = slurp(p.err, NULL);
    assert_non_null(strstr(err, "got-term"));
    free(err);
    assert_int_equal(finish(&p), 9);

    start(&p, user, "trap '' TERM; exec sleep 1000");
    assert_int_equal(finish(&p), 128 + SIGKILL);
}

/* SIGTERM to the proxy reaches the child; the child's exit ends it. */
static void test_signal_forwarded(void **state)
{
    char line[256];
    proc p;
    (void)state;

    start(&p, user, "trap 'echo forwarded >&2; exit 6' TERM; echo ready >&2; "
                    "while :; do sleep 0.1; done");
    read_line(p.err, line, sizeof line);
    assert_string_equal(line, "ready");
    kill(p.pid, SIGTERM);
    read_line(p.err, line, sizeof line);
    assert_string_equal(line, "forwarded");
    assert_int_equal(finish(&p), 6);
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* A child that floods its output while the client reads slowly: the
 * proxy's memory stays flat (it reads only as fast as it can write). */
static void test_back_pressure(void **state)
{
    const size_t total = (size_t)160 << 20;
    char buf[1 << 16], script[256];
    size_t got = 0;
    long base = -1, peak = 0;
    int reads = 0;
    proc p;
    (void)state;

    snprintf(script, sizeof script, "yes 0123456789012345678901234567890123456789 | head -c %zu",
             total);
    start(&p, user, script);
    for (;;) {
        ssize_t r = read(p.out, buf, sizeof buf);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (++reads % 64 == 0) {
            long kib = rss_kib(p.pid);
            if (base < 0)
                base = kib;
            if (kib > peak)
                peak = kib;
            usleep(20000); /* a slow client */
        }
    }
    assert_int_equal(got, total);
    assert_true(base > 0);
    /* Unbounded buffering would hold most of 160 MiB. */
    if (peak - base > 16 * 1024)
        fail_msg("the proxy grew from %ld KiB to %ld KiB", base, peak);
    assert_int_equal(finish(&p), 0);
}

/* Run a command (NULL-terminated arguments), output discarded, and return
 * its exit code. */
static int exit_of(const char *path, ...)
{
    const char *argv[16];
    size_t n = 0;
    va_list ap;
    pid_t pid;
    int status = 0;

    va_start(ap, path);
    argv[n++] = path;
    while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(path, (char *const *)argv);
        _exit(126);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_expect(const char *const *args, const char *env_id, int want_exit,
                       const char *want_err)
{
    proc p;
    char *err;
    int code;

    if (env_id)
        setenv("TOOLGATE_IDENTIFIER", env_id, 1);
    else
        unsetenv("TOOLGATE_IDENTIFIER");
    start(&p, args, "exit 0");
    err = slurp(p.err, NULL);
    code = finish(&p);
    if (code != want_exit || !strstr(err, want_err))
        fail_msg("exit %d (want %d), stderr: %s", code, want_exit, err);
    if (want_exit == 2 && strchr(err, '\n') != strrchr(err, '\n'))
        fail_msg("more than one line: %s", err);
    free(err);
    unsetenv("TOOLGATE_IDENTIFIER");
}

static void test_arguments(void **state)
{
    const char *const no_id[] = { "--config", config, NULL };
    const char *const bad_poll[] = { "--config", config, "--identifier", "u1", "--poll-ms", "0", NULL };
    const char *const bad_id[] = { "--config", config, "--identifier", "a\tb", NULL };
    const char *const bad_config[] = { "--config", "/nonexistent/toolgate.json", "--identifier",
                                       "u1", NULL };
    const char *const format[] = { "--config", config, "--identifier", "u1", "--format", "json",
                                   NULL };
    char *out;
    proc p;
    (void)state;

    run_expect(no_id, NULL, 2, "TOOLGATE_IDENTIFIER");
    run_expect(no_id, "u1", 0, "");
    run_expect(bad_poll, NULL, 2, "--poll-ms");
    run_expect(bad_id, NULL, 2, "identifier");
    run_expect(bad_config, NULL, 2, "/nonexistent/toolgate.json");
    run_expect(format, NULL, 2, "--format");

    /* No command after "--", or no "--" at all; a command not found. */
    assert_int_equal(exit_of(TG_CLI_PATH, "mcp-proxy", "--identifier", "u1", "--", NULL), 2);
    assert_int_equal(exit_of(TG_CLI_PATH, "mcp-proxy", "--identifier", "u1", NULL), 2);
    assert_int_equal(exit_of(TG_CLI_PATH, "mcp-proxy", "--config", config, "--identifier", "u1",
                             "--", "/nonexistent/server", NULL),
                     127);

    /* --help. */
    {
        const char *const help[] = { "--help", NULL };
        start(&p, help, "exit 3");
        out = slurp(p.out, NULL);
        assert_non_null(strstr(out, "Usage: toolgate mcp-proxy"));
        free(out);
        assert_int_equal(finish(&p), 0);
    }
}

/* A URL elicitation is completed, once, when the account turns ACTIVE, and
 * the retry goes through. */
static void test_completion(void **state)
{
    const char *const args[] = { "--config", config, "--identifier", "u1", "--poll-ms", "50", NULL };
    char line[8192], eid[64], want[256];
    const char *at;
    struct pollfd pf;
    proc p;
    (void)state;

    set_slack("EXPIRED");
    start(&p, args, NULL);
    put(&p, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"capabilities\":"
            "{\"elicitation\":{\"url\":{}}}}}\n");
    read_line(p.out, line, sizeof line); /* cat's echo */
    put(&p, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slack_post\"}}\n");
    read_line(p.out, line, sizeof line);
    assert_non_null(strstr(line, "\"id\":1,\"error\":{\"code\":-32042,"));
    at = strstr(line, "\"elicitationId\":\"");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "\"elicitationId\":\"%63[^\"]\"", eid), 1);

    set_slack("ACTIVE");
    read_line(p.out, line, sizeof line);
    snprintf(want, sizeof want,
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/elicitation/complete\","
             "\"params\":{\"elicitationId\":\"%s\"}}",
             eid);
    assert_string_equal(line, want);

    put(&p, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slack_post\"}}\n");
    read_line(p.out, line, sizeof line);
    assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slack_post\"}}");
    /* Once: nothing more arrives. */
    pf.fd = p.out;
    pf.events = POLLIN;
    assert_int_equal(poll(&pf, 1, 500), 0);
    assert_int_equal(finish(&p), 0);
    set_slack("EXPIRED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_both_ways),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_stderr_and_exit_status),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_term_then_kill),
        cmocka_unit_test(test_signal_forwarded),
        cmocka_unit_test(test_back_pressure),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_completion),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
