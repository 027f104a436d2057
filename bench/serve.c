/* Figures 9 and 10: `toolgate serve` over loopback keep-alive — one check's
 * latency (p50, p99) and checks per second with 2 client threads — next to
 * what a runtime without C has otherwise: a `toolgate check` process per
 * call, measured in the same run. The client is a lean keep-alive HTTP/1.1
 * loop over a socket (as load generators are), so the figure is the
 * server's and the loopback's, not a client library's. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define SERVE_ACCOUNTS 1000
#define MAX_REPS 9

extern char **environ;

typedef struct serve_proc {
    pid_t pid;
    int port;
    char dir[64];
    char config[128];
} serve_proc;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        bench_die("cannot write the benchmark's files");
}

/* A file-provider configuration with SERVE_ACCOUNTS ACTIVE accounts. */
static void serve_files(serve_proc *s)
{
    size_t cap = 128 + SERVE_ACCOUNTS * 96, o;
    char *accounts = malloc(cap), path[128];
    int i;

    if (!accounts || !mkdtemp(strcpy(s->dir, "/tmp/tg-bench-serve-XXXXXX")))
        bench_die("cannot make a temporary directory");
    o = (size_t)snprintf(accounts, cap, "{\"link_base\":\"https://connect.example.com/a\","
                                        "\"accounts\":[");
    for (i = 0; i < SERVE_ACCOUNTS; i++)
        o += (size_t)snprintf(accounts + o, cap - o,
                              "%s{\"connection\":\"gmail\",\"identifier\":\"user_%06d\","
                              "\"status\":\"ACTIVE\"}",
                              i ? "," : "", i);
    snprintf(accounts + o, cap - o, "]}");
    snprintf(path, sizeof path, "%s/accounts.json", s->dir);
    write_file(path, accounts);
    free(accounts);
    snprintf(s->config, sizeof s->config, "%s/toolgate.json", s->dir);
    write_file(s->config, "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"
                          "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}");
}

static int serve_start(const char *cli, serve_proc *s)
{
    char *const argv[] = { (char *)cli, "serve", "--config", s->config, "--listen",
                           "127.0.0.1:0", NULL };

    serve_files(s);
    return bench_start_server(argv, "toolgate serve: listening on http://127.0.0.1:%d", 1,
                              &s->pid, &s->port);
}

static void serve_stop(serve_proc *s)
{
    char path[160];
    bench_stop_server(s->pid);
    snprintf(path, sizeof path, "%s/accounts.json", s->dir);
    unlink(path);
    unlink(s->config);
    rmdir(s->dir);
}

/* ---- a keep-alive client ------------------------------------------------------ */

typedef struct client {
    int fd;
    char req[SERVE_ACCOUNTS][192];
    size_t req_len[SERVE_ACCOUNTS];
    char buf[4096];
} client;

static void client_open(client *c, int port)
{
    struct sockaddr_in a;
    int one = 1, i;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        bench_die("cannot connect to toolgate serve");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (i = 0; i < SERVE_ACCOUNTS; i++) {
        char body[96];
        int n = snprintf(body, sizeof body,
                         "{\"tool\":\"gmail_send_email\",\"identifier\":\"user_%06d\"}", i);
        c->req_len[i] = (size_t)snprintf(c->req[i], sizeof c->req[i],
                                         "POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Content-Length: %d\r\n\r\n%s",
                                         n, body);
    }
}

/* One check on the connection; dies unless the answer is a 200 ALLOW. */
static void client_check(client *c, int i)
{
    size_t got = 0, need = 0;
    char *end = NULL;

    if (send(c->fd, c->req[i], c->req_len[i], MSG_NOSIGNAL) != (ssize_t)c->req_len[i])
        bench_die("send to toolgate serve");
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + got, sizeof c->buf - 1 - got, 0);
        if (n <= 0)
            bench_die("toolgate serve closed the connection");
        got += (size_t)n;
        c->buf[got] = '\0';
        if (!end && (end = strstr(c->buf, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(c->buf, "Content-Length: ");
            if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0 || !cl ||
                !strstr(c->buf, "Toolgate-Verdict: ALLOW"))
                bench_die("toolgate serve did not answer ALLOW");
            need = (size_t)(end + 4 - c->buf) + (size_t)strtoul(cl + 16, NULL, 10);
        }
        if (end && got >= need)
            return;
    }
}

/* ---- the figures --------------------------------------------------------------- */

static void serve_latency(const bench_opts *o, int port, bench_results *r)
{
    int reps = o->quick ? 3 : 7, n = o->quick ? 2000 : 10000, rep, i;
    double p50[MAX_REPS], p99[MAX_REPS], *lat = malloc(sizeof *lat * (size_t)n);
    client *c = malloc(sizeof *c);

    if (!lat || !c)
        bench_die("out of memory");
    client_open(c, port);
    for (i = 0; i < SERVE_ACCOUNTS * 2; i++) /* every account cached, the path warm */
        client_check(c, i % SERVE_ACCOUNTS);
    for (rep = 0; rep < reps; rep++) {
        for (i = 0; i < n; i++) {
            double t0 = bench_now_ns();
            client_check(c, i % SERVE_ACCOUNTS);
            lat[i] = (bench_now_ns() - t0) / 1e3;
        }
        p50[rep] = bench_percentile(lat, n, 0.50);
        p99[rep] = bench_percentile(lat, n, 0.99);
    }
    r->serve_p50_us = bench_summarise(p50, reps);
    r->serve_p99_us = bench_summarise(p99, reps);
    close(c->fd);
    free(c);
    free(lat);
}

typedef struct load {
    int port;
    atomic_int *go, *stop;
    long done;
    pthread_t th;
} load;

static void *load_run(void *arg)
{
    load *l = arg;
    client *c = malloc(sizeof *c);
    long i = 0;

    if (!c)
        bench_die("out of memory");
    client_open(c, l->port);
    client_check(c, 0);
    while (!atomic_load(l->go))
        ;
    while (!atomic_load_explicit(l->stop, memory_order_relaxed))
        client_check(c, (int)(i++ % SERVE_ACCOUNTS));
    l->done = i;
    close(c->fd);
    free(c);
    return NULL;
}

static void serve_throughput(const bench_opts *o, int port, bench_results *r)
{
    int reps = o->quick ? 3 : 5, rep, t;
    double samples[MAX_REPS], secs = o->quick ? 0.3 : 1.0;
    atomic_int go, stop;
    load l[2];

    for (rep = 0; rep < reps; rep++) {
        double t0;
        atomic_store(&go, 0);
        atomic_store(&stop, 0);
        for (t = 0; t < 2; t++) {
            l[t] = (load){ port, &go, &stop, 0, 0 };
            if (pthread_create(&l[t].th, NULL, load_run, &l[t]) != 0)
                bench_die("pthread_create");
        }
        usleep(50000);
        t0 = bench_now_ns();
        atomic_store(&go, 1);
        usleep((useconds_t)(secs * 1e6));
        atomic_store(&stop, 1);
        for (t = 0; t < 2; t++)
            pthread_join(l[t].th, NULL);
        samples[rep] = (double)(l[0].done + l[1].done) / ((bench_now_ns() - t0) / 1e9);
    }
    r->serve_cps_2t = bench_summarise(samples, reps);
}

/* ---- the baseline: a process per check ------------------------------------------- */

static void process_check(const char *cli, const char *config, int i)
{
    char id[32];
    char *argv[] = { (char *)cli, "check", "--config", (char *)config, "--tool",
                     "gmail_send_email", "--identifier", id, NULL };
    posix_spawn_file_actions_t fa;
    int status;
    pid_t pid;

    snprintf(id, sizeof id, "user_%06d", i % SERVE_ACCOUNTS);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, cli, &fa, NULL, argv, environ) != 0)
        bench_die("posix_spawn toolgate check");
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("toolgate check did not answer ALLOW");
}

typedef struct proc_load {
    const char *cli, *config;
    double until_ns;
    long done;
    pthread_t th;
} proc_load;

static void *proc_load_run(void *arg)
{
    proc_load *p = arg;
    while (bench_now_ns() < p->until_ns)
        process_check(p->cli, p->config, (int)p->done++);
    return NULL;
}

static void process_figures(const bench_opts *o, const char *cli, const char *config,
                            bench_results *r)
{
    int reps = o->quick ? 3 : 5, n = o->quick ? 30 : 100, rep, i, t;
    double p50[MAX_REPS], cps[MAX_REPS], lat[100], secs = o->quick ? 0.5 : 1.5;
    proc_load p[2];

    for (i = 0; i < 5; i++)
        process_check(cli, config, i);
    for (rep = 0; rep < reps; rep++) {
        double t0;
        for (i = 0; i < n; i++) {
            t0 = bench_now_ns();
            process_check(cli, config, i);
            lat[i] = (bench_now_ns() - t0) / 1e3;
        }
        p50[rep] = bench_percentile(lat, n, 0.50);
        t0 = bench_now_ns();
        for (t = 0; t < 2; t++) {
            p[t] = (proc_load){ cli, config, t0 + secs * 1e9, 0, 0 };
            if (pthread_create(&p[t].th, NULL, proc_load_run, &p[t]) != 0)
                bench_die("pthread_create");
        }
        for (t = 0; t < 2; t++)
            pthread_join(p[t].th, NULL);
        cps[rep] = (double)(p[0].done + p[1].done) / ((bench_now_ns() - t0) / 1e9);
    }
    r->process_p50_us = bench_summarise(p50, reps);
    r->process_cps_2t = bench_summarise(cps, reps);
}

int bench_serve_figures(const bench_opts *o, bench_results *r)
{
    serve_proc s;

    if (access(o->toolgate, X_OK) != 0 || serve_start(o->toolgate, &s) != 0) {
        fprintf(stderr, "toolgate-bench: cannot start %s serve\n", o->toolgate);
        return -1;
    }
    serve_latency(o, s.port, r);
    serve_throughput(o, s.port, r);
    process_figures(o, o->toolgate, s.config, r);
    serve_stop(&s);
    return 0;
}
