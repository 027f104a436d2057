/* Test helper for the fleet tests (harness.h). */
#define _GNU_SOURCE /* pipe2 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "event_body.h"
#include "secret_check.h"
#include "webhook_sign.h"
#include "when.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define FL_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef FL_UNDER_VALGRIND
#define FL_UNDER_VALGRIND() 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FL_SANITIZED 1
#endif
#endif
#ifndef FL_SANITIZED
#define FL_SANITIZED 0
#endif

/* The webhook signing key (any bytes; the secret is its base64). */
static const unsigned char fl_webhook_key[] = "fleet-webhook-key-0123456789abcd";

/* The options scripts/memcheck gives valgrind, for the workers. */
#define FL_VALGRIND_ARGS                                                                   \
    "--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible "     \
    "--track-fds=no --fair-sched=yes --num-callers=30 -q"

extern char **environ;

int64_t fl_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* @p n random bytes as hex into @p out (2n + 1 bytes). 0 or -1. */
static int fl_random_hex(char *out, size_t n)
{
    unsigned char b[32];
    size_t i;
    int fd = open("/dev/urandom", O_RDONLY);

    if (fd < 0 || n > sizeof b || read(fd, b, n) != (ssize_t)n) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    for (i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* @p name found on PATH (or as given when it has a slash). 0 or -1. */
static int fl_which(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096], *save = NULL, *d;

    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        return access(out, X_OK);
    }
    snprintf(dirs, sizeof dirs, "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, cap, "%s/%s", d, name);
        if (access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

/* The command that runs a worker: [wrapper words…] worker. Words point
 * into @p words. Returns the count, or -1. */
static int fl_worker_argv(const fl_fleet *f, char *words, size_t cap, char **argv, int max,
                          char *exe, size_t exe_cap)
{
    const char *wrapper = getenv("TG_FLEET_WORKER_WRAPPER");
    char *save = NULL, *w;
    int n = 0;

    if (!wrapper && FL_UNDER_VALGRIND())
        snprintf(words, cap, "valgrind " FL_VALGRIND_ARGS " --log-file=%s/worker-%%p.valgrind",
                 f->dir);
    else
        snprintf(words, cap, "%s", wrapper ? wrapper : "");
    for (w = strtok_r(words, " ", &save); w && n < max - 2; w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    if (n > 0) {
        if (fl_which(argv[0], exe, exe_cap) != 0) {
            fprintf(stderr, "fleet: the worker wrapper %s is not on PATH\n", argv[0]);
            return -1;
        }
        argv[0] = exe;
    }
    argv[n++] = (char *)TG_FLEET_WORKER_PATH;
    argv[n] = NULL;
    return n;
}

/* The test's environment plus the two password variables (malloc'd array;
 * the strings are the environment's or @p own). */
static char **fl_worker_env(const fl_fleet *f, char own[2][128])
{
    size_t n = 0, i, k = 0;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 3, sizeof *env);
    if (!env)
        return NULL;
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], FL_PASSWORD_ENV "=", sizeof FL_PASSWORD_ENV) != 0 &&
            strncmp(environ[i], FL_WRONG_PASSWORD_ENV "=", sizeof FL_WRONG_PASSWORD_ENV) != 0)
            env[k++] = environ[i];
    snprintf(own[0], 128, "%s=%s", FL_PASSWORD_ENV, f->password);
    snprintf(own[1], 128, "%s=%s", FL_WRONG_PASSWORD_ENV, f->wrong_password);
    env[k++] = own[0];
    env[k++] = own[1];
    env[k] = NULL;
    return env;
}

static int fl_spawn(fl_fleet *f, int i)
{
    fl_worker *w = &f->w[i];
    char words[1024], exe[512], own[2][128], *argv[64];
    char **env;
    int in[2], out[2], err_fd;
    pid_t pid;

    memset(w, 0, sizeof *w);
    w->in_fd = w->out_fd = -1;
    snprintf(w->err_path, sizeof w->err_path, "%s/worker-%d.err", f->dir, i);
    snprintf(w->log_path, sizeof w->log_path, "%s/worker-%d.out", f->dir, i);
    if (fl_worker_argv(f, words, sizeof words, argv, 64, exe, sizeof exe) < 0)
        return -1;
    env = fl_worker_env(f, own);
    err_fd = open(w->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (!env || err_fd < 0 || pipe2(in, O_CLOEXEC) != 0) {
        free(env);
        if (err_fd >= 0)
            close(err_fd);
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        close(err_fd);
        free(env);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        execve(argv[0], argv, env);
        _exit(127);
    }
    free(env);
    close(in[0]);
    close(out[1]);
    close(err_fd);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    w->pid = pid;
    w->in_fd = in[1];
    w->out_fd = out[0];
    return 0;
}

/* Print a worker's stderr: what is not one of its log lines (a sanitizer's
 * report, a crash), then its last @p tail log lines. */
static void fl_show(const char *path, int tail)
{
    char line[1024];
    long logs = 0, skip, shown = 0;
    FILE *fp = fopen(path, "r");

    if (!fp)
        return;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "log ", 4) == 0)
            logs++;
        else if (shown++ < 400)
            fprintf(stderr, "  | %s%s", line, strchr(line, '\n') ? "" : "\n");
    }
    rewind(fp);
    skip = logs > tail ? logs - tail : 0;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "log ", 4) == 0 && skip-- <= 0)
            fprintf(stderr, "  | %s%s", line, strchr(line, '\n') ? "" : "\n");
    fclose(fp);
}

/* The whole file (malloc'd, NUL-terminated) or NULL. */
static char *fl_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (!fp)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap = cap * 2 + 8192);
            if (!grown) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, 4096, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* 1 when a secret shows in the file. */
static int fl_file_shows_secret(const fl_fleet *f, const char *path, const char *tag)
{
    const char *secrets[] = { f->password, f->wrong_password, FL_CLIENT_SECRET,
                              f->webhook_secret };
    size_t len = 0, i;
    char *text = fl_slurp(path, &len);
    int shows = 0;

    if (!text)
        return 0;
    for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (secrets[i][0] && tg_test_secret_shows(text, len, secrets[i])) {
            fprintf(stderr, "fleet: %s shows a secret (%s)\n", tag,
                    i == 2 ? "the client secret" : i == 3 ? "the webhook secret"
                                                      : "a Redis password");
            shows = 1;
        }
    free(text);
    return shows;
}

/* Wait for the worker to exit by @p deadline_us; its exit status, or -1
 * when it had to be killed. */
static int fl_reap(fl_worker *w, int64_t deadline_us)
{
    int status = 0;

    while (fl_now_us() < deadline_us) {
        pid_t r = waitpid(w->pid, &status, WNOHANG);
        if (r == w->pid) {
            w->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (r < 0)
            break;
        usleep(10000);
    }
    kill(w->pid, SIGKILL);
    waitpid(w->pid, NULL, 0);
    w->pid = 0;
    return -1;
}

static void fl_rmdir(fl_fleet *f)
{
    char cmd[128];
    if (!f->dir[0])
        return;
    /* Only our own mkdtemp directory, which holds plain files. */
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", f->dir);
    if (strncmp(f->dir, "/tmp/tg-fleet-", 14) == 0 && system(cmd) != 0)
        fprintf(stderr, "fleet: could not remove %s\n", f->dir);
    f->dir[0] = '\0';
}

int fl_stop(fl_fleet *f)
{
    int i, rc = 0;
    int64_t deadline = fl_now_us() + (int64_t)60000 * 1000 * f->slow;

    for (i = 0; i < f->n; i++) {
        fl_worker *w = &f->w[i];
        if (w->pid > 0 && w->in_fd >= 0) {
            if (fl_send(w, "quit") != 0)
                fprintf(stderr, "fleet: worker %d: could not send quit\n", i);
            close(w->in_fd);
            w->in_fd = -1;
        }
    }
    for (i = 0; i < f->n; i++) {
        fl_worker *w = &f->w[i];
        char tag[32];
        if (w->pid > 0) {
            int code = fl_reap(w, deadline);
            if (code != 0) {
                fprintf(stderr, "fleet: worker %d exited with %d; its stderr:\n", i, code);
                fl_show(w->err_path, 20);
                rc = -1;
            }
        }
        if (w->in_fd >= 0)
            close(w->in_fd);
        if (w->out_fd >= 0)
            close(w->out_fd);
        w->in_fd = w->out_fd = -1;
        snprintf(tag, sizeof tag, "worker %d's stderr", i);
        if (w->err_path[0] && fl_file_shows_secret(f, w->err_path, tag))
            rc = -1;
        snprintf(tag, sizeof tag, "worker %d's answers", i);
        if (w->log_path[0] && fl_file_shows_secret(f, w->log_path, tag))
            rc = -1;
    }
    if (f->dir[0] && FL_UNDER_VALGRIND() && rc != 0) {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "cat %s/*.valgrind >&2 2>/dev/null", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "fleet: no valgrind log to show\n");
    }
    f->n = 0;
    if (f->dev.pid > 0)
        tg_dev_stop(&f->dev);
    tg_redis_stop(&f->redis);
    if (!getenv("TG_FLEET_KEEP"))
        fl_rmdir(f);
    return rc;
}

int fl_start(fl_fleet *f, int workers)
{
    int i;

    memset(f, 0, sizeof *f);
    f->dev.out_fd = -1;
    f->slow = FL_UNDER_VALGRIND() ? 4 : FL_SANITIZED ? 3 : 1;
    if (workers < 1 || workers > FL_MAX_WORKERS)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/tg-fleet-XXXXXX");
    if (!mkdtemp(f->dir)) {
        f->dir[0] = '\0';
        return -1;
    }
    memcpy(f->password, "Fpw-", 4);
    memcpy(f->wrong_password, "Wpw-", 4);
    if (fl_random_hex(f->password + 4, 16) != 0 || fl_random_hex(f->wrong_password + 4, 16) != 0)
        goto fail;
    webhook_secret(fl_webhook_key, sizeof fl_webhook_key - 1, f->webhook_secret,
                   sizeof f->webhook_secret);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (tg_redis_start(&f->redis, f->password) != 0) {
        fprintf(stderr, "fleet: redis-server did not start\n");
        goto fail;
    }
    if (tg_dev_start(&f->dev, TG_SCALEKIT_DEV_PATH, FL_CLIENT_ID, FL_CLIENT_SECRET) != 0) {
        fprintf(stderr, "fleet: scalekit-dev did not start\n");
        goto fail;
    }
    for (i = 0; i < workers; i++) {
        if (fl_spawn(f, i) != 0) {
            fprintf(stderr, "fleet: worker %d did not start\n", i);
            goto fail;
        }
        f->n = i + 1;
    }
    return 0;
fail:
    fl_stop(f);
    return -1;
}

/* ---- talking to a worker ------------------------------------------------------- */

int fl_send(fl_worker *w, const char *fmt, ...)
{
    char line[FL_REPLY_MAX * 2];
    va_list ap;
    size_t n, off = 0;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof line - 1 || w->in_fd < 0)
        return -1;
    line[len] = '\n';
    n = (size_t)len + 1;
    while (off < n) {
        ssize_t k = write(w->in_fd, line + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* Keep the answer in the worker's file of answers. */
static void fl_keep(const fl_worker *w)
{
    FILE *fp = fopen(w->log_path, "a");
    if (!fp)
        return;
    fprintf(fp, "%s\n", w->reply);
    fclose(fp);
}

int fl_recv(fl_fleet *f, fl_worker *w, int timeout_ms)
{
    int64_t deadline = fl_now_us() + (int64_t)timeout_ms * 1000 * f->slow;
    char *nl, *p;

    w->reply[0] = '\0';
    w->n_fields = 0;
    while (!(nl = memchr(w->buf, '\n', w->buf_len))) {
        struct pollfd pfd = { w->out_fd, POLLIN, 0 };
        int64_t left = (deadline - fl_now_us()) / 1000;
        ssize_t k;
        if (left <= 0 || w->buf_len == sizeof w->buf || w->out_fd < 0)
            return -1;
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        k = read(w->out_fd, w->buf + w->buf_len, sizeof w->buf - w->buf_len);
        if (k <= 0)
            return -1; /* the worker is gone */
        w->buf_len += (size_t)k;
    }
    *nl = '\0';
    memcpy(w->reply, w->buf, (size_t)(nl - w->buf) + 1);
    w->buf_len -= (size_t)(nl - w->buf) + 1;
    memmove(w->buf, nl + 1, w->buf_len);
    fl_keep(w);
    for (p = w->reply; w->n_fields < FL_MAX_FIELDS;) {
        char *tab = strchr(p, '\t');
        w->field[w->n_fields++] = p;
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return 0;
}

const char *fl_field(const fl_worker *w, int i)
{
    return i < w->n_fields ? w->field[i] : "";
}

long long fl_named(const fl_worker *w, const char *name)
{
    size_t n = strlen(name);
    int i;
    for (i = 1; i < w->n_fields; i++)
        if (strncmp(w->field[i], name, n) == 0 && w->field[i][n] == '=')
            return atoll(w->field[i] + n + 1);
    return -1;
}

int fl_do(fl_fleet *f, fl_worker *w, int timeout_ms, const char *fmt, ...)
{
    char line[FL_REPLY_MAX * 2], first[64];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof line)
        return -1;
    snprintf(first, sizeof first, "%.*s", (int)strcspn(line, "\t"), line);
    if (fl_send(w, "%s", line) != 0) {
        fprintf(stderr, "fleet: %s: the worker took no command\n", first);
        return -1;
    }
    if (fl_recv(f, w, timeout_ms) != 0) {
        fprintf(stderr, "fleet: %s: no answer within %d ms\n", first, timeout_ms * f->slow);
        return -1;
    }
    if (strcmp(fl_field(w, 0), "ok") != 0) {
        int i;
        fprintf(stderr, "fleet: %s answered:", first);
        for (i = 0; i < w->n_fields; i++)
            fprintf(stderr, " %s", w->field[i]);
        fprintf(stderr, "\n");
        return -1;
    }
    return 0;
}

/* ---- commands to several workers at once ---------------------------------------- */

int fl_burst(fl_fleet *f, int from, int to, int threads, int rounds, const char *tool,
             const char *ids)
{
    int i, rc = 0;
    for (i = from; i < to; i++)
        if (fl_send(&f->w[i], "burst\t%d\t%d\t%s\t%s", threads, rounds, tool, ids) != 0)
            return -1;
    for (i = from; i < to; i++)
        if (fl_recv(f, &f->w[i], 60000) != 0 || strcmp(fl_field(&f->w[i], 0), "ok") != 0) {
            fprintf(stderr, "fleet: worker %d: burst: %s %s\n", i, fl_field(&f->w[i], 0),
                    fl_field(&f->w[i], 2));
            rc = -1;
        }
    return rc;
}

int fl_burst_seen(const fl_worker *w, const char *id, unsigned *verdicts, unsigned *statuses,
                  unsigned *sources)
{
    size_t n = strlen(id);
    int i;
    for (i = 3; i < w->n_fields; i++)
        if (strncmp(w->field[i], id, n) == 0 && w->field[i][n] == '=')
            return sscanf(w->field[i] + n + 1, "%u/%u/%u", verdicts, statuses, sources) == 3
                       ? 0
                       : -1;
    return -1;
}

int fl_until_send(fl_fleet *f, int from, int to, const char *tool, const char *id,
                  const char *verdict, int timeout_ms)
{
    int i;
    for (i = from; i < to; i++)
        if (fl_send(&f->w[i], "until\t%s\t%s\t%s\t%d", tool, id, verdict,
                    timeout_ms * f->slow) != 0)
            return -1;
    return 0;
}

int fl_until_collect(fl_fleet *f, int from, int to, int timeout_ms, int64_t since_us,
                     double *ms)
{
    int i, rc = 0;
    for (i = from; i < to; i++) {
        fl_worker *w = &f->w[i];
        if (fl_recv(f, w, timeout_ms + 10000) != 0) {
            fprintf(stderr, "fleet: worker %d: until: no answer\n", i);
            rc = -1;
            continue;
        }
        if (strcmp(fl_field(w, 0), "ok") != 0) {
            fprintf(stderr, "fleet: worker %d: until: %s %s (checks %s)\n", i, fl_field(w, 0),
                    fl_field(w, 1), fl_field(w, 2));
            rc = -1;
            continue;
        }
        ms[i - from] = (double)(atoll(fl_field(w, 1)) - since_us) / 1000.0;
        if (atoi(fl_field(w, 5)) != 0) {
            fprintf(stderr, "fleet: worker %d: %s checks after the change gave another verdict\n",
                    i, fl_field(w, 5));
            rc = -1;
        }
    }
    return rc;
}

int fl_mark_all(fl_fleet *f)
{
    int i;
    for (i = 0; i < f->n; i++)
        if (fl_do(f, &f->w[i], 20000, "mark") != 0)
            return -1;
    return 0;
}

int fl_waitlog(fl_fleet *f, int from, int to, const char *text, int count, int timeout_ms)
{
    int i, rc = 0;
    for (i = from; i < to; i++)
        if (fl_send(&f->w[i], "waitlog\t%s\t%d\t%d", text, count, timeout_ms * f->slow) != 0)
            return -1;
    for (i = from; i < to; i++)
        if (fl_recv(f, &f->w[i], timeout_ms + 10000) != 0 ||
            strcmp(fl_field(&f->w[i], 0), "ok") != 0) {
            fprintf(stderr, "fleet: worker %d logged \"%s\" %s times, not %d\n", i, text,
                    fl_field(&f->w[i], 1), count);
            rc = -1;
        }
    return rc;
}

/* ---- gates ------------------------------------------------------------------------ */

void fl_config(const fl_fleet *f, const fl_opts *o, char *buf, size_t len)
{
    snprintf(buf, len,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" FL_CLIENT_ID "\",\"client_secret\":\"" FL_CLIENT_SECRET "\","
             "\"timeout_ms\":%d},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"}},"
             "\"cache\":{\"active_ttl_ms\":%d,\"inactive_ttl_ms\":%d},"
             "\"shared\":{\"type\":\"redis\",\"url\":\"%s\",\"prefix\":\"%s\","
             "\"timeout_ms\":%d,\"degraded_ttl_ms\":%d,\"password_env\":\"%s\"}}",
             f->dev.url, o->provider_timeout_ms ? o->provider_timeout_ms : 5000 * f->slow,
             o->active_ttl_ms ? o->active_ttl_ms : 60000,
             o->inactive_ttl_ms ? o->inactive_ttl_ms : 60000, o->url ? o->url : f->redis.url,
             o->prefix, o->timeout_ms ? o->timeout_ms : 1000 * f->slow,
             o->degraded_ttl_ms ? o->degraded_ttl_ms : 5000,
             o->password_env ? o->password_env : FL_PASSWORD_ENV);
}

int fl_open(fl_fleet *f, int from, int to, const char *json)
{
    int i;
    for (i = from; i < to; i++)
        if (fl_send(&f->w[i], "open\t%s", json) != 0)
            return -1;
    for (i = from; i < to; i++)
        if (fl_recv(f, &f->w[i], 20000) != 0 || strcmp(fl_field(&f->w[i], 0), "ok") != 0) {
            fprintf(stderr, "fleet: worker %d: open: %s %s\n", i, fl_field(&f->w[i], 0),
                    fl_field(&f->w[i], 2));
            return -1;
        }
    return 0;
}

int fl_close_all(fl_fleet *f)
{
    int i, rc = 0;
    for (i = 0; i < f->n; i++)
        if (fl_do(f, &f->w[i], 20000, "close") != 0)
            rc = -1;
    return rc;
}

/* ---- webhooks, Redis, the provider --------------------------------------------------- */

int fl_send_webhook(fl_fleet *f, fl_worker *w, const char *event_id, const char *type,
                    int64_t offset_ms, const char *conn, const char *ident,
                    const char *status)
{
    char body[2048], when[WHEN_MAX], st[64], ts[32], sig[128];

    if (status)
        snprintf(st, sizeof st, "\"%s\"", status);
    event_body(body, sizeof body, event_id, type, when_rfc3339(when, offset_ms), conn, ident,
               status ? st : NULL);
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    webhook_sign(fl_webhook_key, sizeof fl_webhook_key - 1, event_id, ts, body, strlen(body),
                 sig, sizeof sig);
    return fl_send(w, "webhook\t%s\t%s\t%s\t%s\t%s", f->webhook_secret, event_id, ts, sig, body);
}

int fl_fanout(fl_fleet *f, const char *what, int by, const char *event_id, const char *conn,
              const char *id, const char *status, const char *tool, const char *verdict,
              int timeout_ms, double *ms)
{
    fl_worker *w = &f->w[by];
    double got[FL_MAX_WORKERS];
    int64_t applied_at;
    int i, n = 0, rc = 0;

    /* The watchers first, so that they are checking when the change comes. */
    for (i = 0; i < f->n; i++)
        if (i != by && fl_until_send(f, i, i + 1, tool, id, verdict, timeout_ms) != 0)
            return -1;
    if (fl_send_webhook(f, w, event_id, "connected_account.status_updated", 0, conn, id,
                        status) != 0 ||
        fl_recv(f, w, 20000) != 0)
        return -1;
    if (strcmp(fl_field(w, 0), "ok") != 0 || strcmp(fl_field(w, 1), "0") != 0) {
        fprintf(stderr, "fleet: worker %d did not apply %s: %s %s %s\n", by, event_id,
                fl_field(w, 0), fl_field(w, 1), fl_field(w, 2));
        rc = -1;
    }
    applied_at = atoll(fl_field(w, 2));
    for (i = 0; i < f->n; i++)
        if (i != by && fl_until_collect(f, i, i + 1, timeout_ms, applied_at, &got[n++]) != 0)
            rc = -1;
    if (rc == 0) {
        printf("    %s reached the other processes in", what);
        for (i = 0; i < n; i++) {
            printf(" %.1f", got[i]);
            if (ms)
                ms[i] = got[i];
        }
        printf(" ms\n");
        fflush(stdout);
    }
    return rc;
}

int fl_redis(fl_fleet *f, const char *cmd)
{
    char words[256], *save = NULL, *w;
    const char *argv[16];
    size_t lens[16];
    redisReply *rep;
    int argc = 0, ok;

    snprintf(words, sizeof words, "%s", cmd);
    for (w = strtok_r(words, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save)) {
        argv[argc] = w;
        lens[argc++] = strlen(w);
    }
    rep = argc ? tg_redis_cmd(&f->redis, argc, argv, lens) : NULL;
    ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

char *fl_redis_keys(fl_fleet *f, const char *pattern)
{
    const char *argv[2] = { "KEYS", pattern };
    size_t lens[2] = { 4, strlen(pattern) }, len = 1, i;
    redisReply *rep = tg_redis_cmd(&f->redis, 2, argv, lens);
    char *out = NULL;

    if (rep && rep->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < rep->elements; i++)
            len += rep->element[i]->len + 1;
        out = calloc(1, len);
        for (i = 0; out && i < rep->elements; i++) {
            strncat(out, rep->element[i]->str, rep->element[i]->len);
            strcat(out, "\n");
        }
    }
    if (rep)
        freeReplyObject(rep);
    return out;
}

long long fl_redis_data_calls(fl_fleet *f)
{
    static const char *const cmds[] = { "mget", "set", "eval", "evalsha" };
    const char *argv[2] = { "INFO", "commandstats" };
    size_t lens[2] = { 4, 12 }, i;
    redisReply *rep = tg_redis_cmd(&f->redis, 2, argv, lens);
    long long total = 0;

    if (!rep || rep->type != REDIS_REPLY_STRING) {
        if (rep)
            freeReplyObject(rep);
        return -1;
    }
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char name[32];
        const char *at;
        snprintf(name, sizeof name, "\ncmdstat_%s:calls=", cmds[i]);
        at = strstr(rep->str, name);
        if (at)
            total += atoll(at + strlen(name));
    }
    freeReplyObject(rep);
    return total;
}

long long fl_provider_requests(const fl_fleet *f, const char *conn, const char *ident)
{
    char key[640];
    snprintf(key, sizeof key, "%s|%s", conn, ident);
    return tg_dev_stat(&f->dev, "keys", key);
}
