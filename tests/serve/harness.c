/* Test helper for `toolgate serve` (harness.h). */
#define _GNU_SOURCE /* execvpe */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "webhook_sign.h"

#define SV_READY "toolgate serve: listening on "
#define SV_CLI_LIMIT_MS 60000

extern char **environ;

int64_t sv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sv_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- files ------------------------------------------------------------------ */

int sv_tmpdir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/tg-serve-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void sv_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int sv_write(const char *dir, const char *name, const char *text, char *path)
{
    char final[256], tmp[272];
    FILE *f;

    snprintf(final, sizeof final, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", final);
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    if (fputs(text, f) < 0) {
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0 || rename(tmp, final) != 0)
        return -1;
    if (path)
        snprintf(path, 256, "%s", final);
    return 0;
}

int sv_setup_dir(char *dir, size_t len, const char *config, const char *accounts)
{
    if (sv_tmpdir(dir, len) != 0 || sv_write(dir, "toolgate.json", config, NULL) != 0 ||
        (accounts && sv_write(dir, "accounts.json", accounts, NULL) != 0))
        return -1;
    return 0;
}

char *sv_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f)
        return NULL;
    do {
        if (cap - len < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
            cap += 65536;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* ---- children --------------------------------------------------------------------- */

/* Our environment without TOOLGATE_* and SCALEKIT_*, plus @p extra. */
static char **sv_env(const char *const *extra)
{
    size_t n = 0, m = 0, i, o = 0;
    char **env;

    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    env = calloc(n + m + 1, sizeof *env);
    if (!env)
        return NULL;
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "TOOLGATE_", 9) != 0 && strncmp(environ[i], "SCALEKIT_", 9) != 0)
            env[o++] = environ[i];
    for (i = 0; i < m; i++)
        env[o++] = (char *)extra[i];
    env[o] = NULL;
    return env;
}

/* argv: @p name, then @p args. */
static const char **sv_argv(const char *name, const char *const *args)
{
    size_t n = 0, i;
    const char **argv;

    while (args[n])
        n++;
    argv = calloc(n + 2, sizeof *argv);
    if (!argv)
        return NULL;
    argv[0] = name;
    for (i = 0; i < n; i++)
        argv[i + 1] = args[i];
    return argv;
}

/* $TG_TEST_SERVE_WRAPPER, when set, runs before the server: e.g.
 * "valgrind --error-exitcode=99 --leak-check=full" puts the server under
 * memcheck (by hand; scripts/memcheck valgrinds the test binaries). The
 * words are split on spaces; at most 16. NULL when unset. */
static const char **sv_wrapped(const char *const *args, const char **exe)
{
    static char words[1024];
    const char *wrapper = getenv("TG_TEST_SERVE_WRAPPER");
    const char **argv;
    size_t n = 0, w = 0, i;
    char *p;

    if (!wrapper || !wrapper[0])
        return NULL;
    while (args[n])
        n++;
    argv = calloc(n + 19, sizeof *argv);
    if (!argv)
        return NULL;
    snprintf(words, sizeof words, "%s", wrapper);
    for (p = strtok(words, " "); p && w < 16; p = strtok(NULL, " "))
        argv[w++] = p;
    argv[w++] = TG_CLI_PATH;
    for (i = 0; i < n; i++)
        argv[w++] = args[i];
    argv[w] = NULL;
    *exe = argv[0];
    return argv;
}

/* fork + execve of @p exe; stdin /dev/null, stdout to @p out_fd (or the
 * file @p out_path), stderr to @p err_path; in @p dir. */
static pid_t sv_spawn(const char *dir, const char *exe, const char *const *args,
                      const char *const *extra, int out_fd, const char *out_path,
                      const char *err_path)
{
    char **env = sv_env(extra);
    const char **argv = out_path ? NULL : sv_wrapped(args, &exe);

    if (!argv)
        argv = sv_argv(strcmp(exe, TG_CLI_PATH) == 0 ? "toolgate" : exe, args);
    pid_t pid;

    if (!env || !argv) {
        free(env);
        free(argv);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        int in = open("/dev/null", O_RDONLY);
        int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : out_fd;
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0 || chdir(dir) != 0)
            _exit(126);
        if (strchr(exe, '/'))
            execve(exe, (char *const *)argv, env);
        else
            execvpe(exe, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    free(argv);
    return pid;
}

int sv_cli(const char *dir, const char *const *args, const char *const *env, sv_run *r)
{
    return sv_program(dir, TG_CLI_PATH, args, env, r);
}

int sv_program(const char *dir, const char *exe, const char *const *args,
               const char *const *env, sv_run *r)
{
    char out_path[256], err_path[256];
    int64_t t0 = sv_now_ms();
    int status = 0;
    pid_t pid, w;

    memset(r, 0, sizeof *r);
    snprintf(out_path, sizeof out_path, "%s/.cli.out", dir);
    snprintf(err_path, sizeof err_path, "%s/.cli.err", dir);
    pid = sv_spawn(dir, exe, args, env, -1, out_path, err_path);
    if (pid < 0)
        return -1;
    for (;;) {
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (sv_now_ms() - t0 > SV_CLI_LIMIT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "%s still running after %d ms: killed\n", exe, SV_CLI_LIMIT_MS);
            break;
        }
        sv_sleep_ms(2);
    }
    r->ms = sv_now_ms() - t0;
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = sv_read(out_path);
    r->err = sv_read(err_path);
    if (!r->out)
        r->out = strdup("");
    if (!r->err)
        r->err = strdup("");
    return 0;
}

void sv_run_free(sv_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int sv_stop(sv_server *s)
{
    int status = 0, i, rc = -1;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (i = 0; i < 1500; i++) { /* 15 s, then SIGKILL */
            pid_t r = waitpid(s->pid, &status, WNOHANG);
            if (r == s->pid || r < 0)
                break;
            sv_sleep_ms(10);
        }
        if (i == 1500) {
            fprintf(stderr, "toolgate serve did not stop on SIGTERM within 15 s: killed\n");
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        } else if (WIFEXITED(status)) {
            rc = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            fprintf(stderr, "toolgate serve died of signal %d\n", WTERMSIG(status));
        }
        if (rc != 0) {
            char *log = sv_server_log(s);
            fprintf(stderr, "toolgate serve exited %d; its stderr:\n%s\n", rc, log ? log : "");
            free(log);
        }
    }
    s->pid = 0;
    if (s->out_fd >= 0)
        close(s->out_fd);
    s->out_fd = -1;
    return rc;
}

int sv_teardown(sv_server *s, const char *dir)
{
    int rc = sv_stop(s);
    sv_rmdir(dir);
    return rc == 0 ? 0 : -1;
}

char *sv_server_log(const sv_server *s)
{
    char *log = sv_read(s->err_path);
    return log ? log : strdup("");
}

int sv_start(sv_server *s, const char *dir, const char *const *args, const char *const *env)
{
    static int counter;
    char line[256];
    size_t n = 0;
    int fds[2];
    /* Generous: the server may run under valgrind. */
    int64_t deadline = sv_now_ms() + 60000;

    memset(s, 0, sizeof *s);
    s->out_fd = -1;
    snprintf(s->err_path, sizeof s->err_path, "%s/.serve-%d.err", dir, ++counter);
    if (pipe(fds) != 0)
        return -1;
    s->pid = sv_spawn(dir, TG_CLI_PATH, args, env, fds[1], NULL, s->err_path);
    close(fds[1]);
    if (s->pid < 0) {
        close(fds[0]);
        s->pid = 0;
        return -1;
    }
    s->out_fd = fds[0];
    while (n + 1 < sizeof line) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        int64_t left = deadline - sv_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0 || read(fds[0], line + n, 1) != 1)
            break;
        if (line[n] != '\n') {
            n++;
            continue;
        }
        line[n] = '\0';
        if (strncmp(line, SV_READY, sizeof SV_READY - 1) == 0 &&
            strlen(line + sizeof SV_READY - 1) < sizeof s->url) {
            snprintf(s->url, sizeof s->url, "%s", line + sizeof SV_READY - 1);
            if (strncmp(s->url, "unix:", 5) == 0) {
                snprintf(s->unix_path, sizeof s->unix_path, "%s", s->url + 5);
                snprintf(s->base, sizeof s->base, "http://localhost");
            } else {
                snprintf(s->base, sizeof s->base, "%s", s->url);
            }
            return 0;
        }
        fprintf(stderr, "toolgate serve printed \"%s\" before its ready line\n", line);
        break;
    }
    fprintf(stderr, "toolgate serve did not print its ready line\n");
    sv_stop(s);
    return -1;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static pthread_once_t sv_curl_once = PTHREAD_ONCE_INIT;

static void sv_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sv_buf {
    char *data;
    size_t len;
} sv_buf;

static size_t sv_collect(char *p, size_t size, size_t n, void *arg)
{
    sv_buf *b = arg;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, size * n);
    b->data = grown;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static int sv_perform(CURL *c, const sv_server *s, const char *method, const char *target,
                      const char *body, const char *const *headers, sv_answer *a)
{
    char url[512];
    struct curl_slist *h = NULL;
    sv_buf b = { NULL, 0 }, hb = { NULL, 0 };
    int64_t t0;
    CURLcode rc;
    size_t i;

    memset(a, 0, sizeof *a);
    snprintf(url, sizeof url, "%s%s", s->base, target);
    for (i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (s->unix_path[0])
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, s->unix_path);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sv_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sv_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                         strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? NULL
                                                                                 : method);
    }
    t0 = sv_now_ms();
    rc = curl_easy_perform(c);
    a->ms = sv_now_ms() - t0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    a->body = b.data ? b.data : strdup("");
    a->len = b.len;
    a->headers = hb.data ? hb.data : strdup("");
    return rc == CURLE_OK ? 0 : -1;
}

int sv_http(const sv_server *s, const char *method, const char *target, const char *body,
            const char *const *headers, sv_answer *a)
{
    CURL *c;
    int rc;

    pthread_once(&sv_curl_once, sv_curl_init);
    c = curl_easy_init();
    if (!c) {
        memset(a, 0, sizeof *a);
        return -1;
    }
    rc = sv_perform(c, s, method, target, body, headers, a);
    curl_easy_cleanup(c);
    return rc;
}

long sv_post(const sv_server *s, const char *target, const char *body, sv_answer *a)
{
    sv_http(s, "POST", target, body, NULL, a);
    return a->status;
}

int sv_header(const sv_answer *a, const char *name, char *out, size_t len)
{
    const char *p = a->headers;
    size_t n = strlen(name);

    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        if (line > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
            const char *v = p + n + 1;
            size_t vl = line - n - 1;
            while (vl > 0 && (*v == ' ' || *v == '\t')) {
                v++;
                vl--;
            }
            while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            snprintf(out, len, "%.*s", (int)vl, v);
            return 1;
        }
        p = eol ? eol + 1 : NULL;
    }
    if (len > 0)
        out[0] = '\0';
    return 0;
}

void sv_answer_free(sv_answer *a)
{
    free(a->body);
    free(a->headers);
    memset(a, 0, sizeof *a);
}

struct sv_client {
    const sv_server *s;
    CURL *c;
};

sv_client *sv_client_new(const sv_server *s)
{
    sv_client *c = calloc(1, sizeof *c);

    pthread_once(&sv_curl_once, sv_curl_init);
    if (!c)
        return NULL;
    c->s = s;
    c->c = curl_easy_init();
    if (!c->c) {
        free(c);
        return NULL;
    }
    return c;
}

int sv_client_request(sv_client *c, const char *method, const char *target, const char *body,
                      sv_answer *a)
{
    return sv_perform(c->c, c->s, method, target, body, NULL, a);
}

void sv_client_free(sv_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->c);
    free(c);
}

int sv_connect(const sv_server *s)
{
    int fd;

    if (s->unix_path[0]) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->unix_path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
    } else {
        struct sockaddr_in sa;
        unsigned port = 0;
        char host[64];
        memset(&sa, 0, sizeof sa);
        if (sscanf(s->url, "http://%63[0-9.]:%u", host, &port) != 2)
            return -1;
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &sa.sin_addr);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

double sv_metric(const sv_server *s, const char *series)
{
    sv_answer a;
    const char *p;
    double v = -1;
    size_t n = strlen(series);

    if (sv_http(s, "GET", "/metrics", NULL, NULL, &a) != 0 || a.status != 200) {
        sv_answer_free(&a);
        return -1;
    }
    for (p = a.body; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    sv_answer_free(&a);
    return v;
}

/* "2026-11-25T15:10:00Z" at @p s. */
static int sv_is_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t i;

    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return 0;
    }
    return 1;
}

char *sv_normalised(const char *text)
{
    static const char *const seps[] = { "\":\"", "\\\":\\\"" };
    size_t n = strlen(text), i = 0, o = 0, k;
    char *out = malloc(2 * n + 1); /* an empty value grows by one */

    if (!out)
        return NULL;
    while (i < n) {
        if (n - i >= 20 && sv_is_time(text + i)) {
            out[o++] = '~';
            i += 20;
            continue;
        }
        if (text[i] >= '0' && text[i] <= '9' && (i == 0 || !(text[i - 1] >= '0' &&
                                                             text[i - 1] <= '9'))) {
            /* How many attempts fitted in the time, how long a connection took. */
            size_t d = i;
            while (d < n && text[d] >= '0' && text[d] <= '9')
                d++;
            if (strncmp(text + d, " attempt", 8) == 0 ||
                (strncmp(text + d, " ms", 3) == 0 && i >= 6 &&
                 strncmp(text + i - 6, "after ", 6) == 0)) {
                out[o++] = '~';
                i = d;
                continue;
            }
        }
        if (strncmp(text + i, "source", 6) == 0) {
            for (k = 0; k < 2; k++) {
                size_t sl = strlen(seps[k]);
                if (strncmp(text + i + 6, seps[k], sl) != 0)
                    continue;
                memcpy(out + o, text + i, 6 + sl);
                o += 6 + sl;
                i += 6 + sl;
                while (i < n && text[i] != '"' && text[i] != '\\')
                    i++;
                out[o++] = '~';
                break;
            }
            if (k < 2)
                continue;
        }
        out[o++] = text[i++];
    }
    out[o] = '\0';
    return out;
}

/* ---- webhooks and time -------------------------------------------------------------- */

int sv_deliver(const sv_server *s, const unsigned char *key, size_t key_len, const char *msg_id,
               const char *ts, const char *body, sv_answer *a)
{
    char now[32], sig[128], h_id[160], h_ts[64], h_sig[192];
    const char *headers[4];

    if (!ts) {
        snprintf(now, sizeof now, "%lld", (long long)time(NULL));
        ts = now;
    }
    webhook_sign(key, key_len, msg_id, ts, body, strlen(body), sig, sizeof sig);
    snprintf(h_id, sizeof h_id, "webhook-id: %s", msg_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    headers[0] = h_id;
    headers[1] = h_ts;
    headers[2] = h_sig;
    headers[3] = NULL;
    return sv_http(s, "POST", "/v1/webhooks/scalekit", body, headers, a);
}

void sv_utc_now(char *out, size_t cap, int64_t offset_ms)
{
    struct timespec ts;
    struct tm tm;
    time_t secs;
    int64_t ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms;
    secs = (time_t)(ms / 1000);
    gmtime_r(&secs, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
