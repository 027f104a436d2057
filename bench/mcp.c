/* The mcp-proxy figure: an allowed tools/call answered by a minimal stdio
 * MCP server, round trip from the client's side, straight to the server and
 * through `toolgate mcp-proxy` (a cache hit: the account is ACTIVE in the
 * file provider), measured in alternating blocks so both see the same
 * machine; p50 and p99 of each. */
#define _GNU_SOURCE /* pipe2 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

typedef struct peer {
    pid_t pid;
    int in, out;
    char buf[1 << 16];
    size_t have;
} peer;

static void peer_start(peer *p, char *const argv[])
{
    int in[2], out[2];

    /* Close-on-exec: the other peer must not hold this one's pipes open. */
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        bench_die("pipe");
    p->pid = fork();
    if (p->pid < 0)
        bench_die("fork");
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in = in[1];
    p->out = out[0];
    p->have = 0;
}

static void peer_stop(peer *p)
{
    close(p->in);
    close(p->out);
    waitpid(p->pid, NULL, 0);
}

/* One request, then its answer's line. */
static void round_trip(peer *p, long id)
{
    char req[256];
    int n = snprintf(req, sizeof req,
                     "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":"
                     "{\"name\":\"gmail_send_email\",\"arguments\":{\"to\":\"a@example.com\"}}}\n",
                     id);
    char *nl;

    if (write(p->in, req, (size_t)n) != n)
        bench_die("mcp: write");
    while (!(nl = memchr(p->buf, '\n', p->have))) {
        ssize_t r = read(p->out, p->buf + p->have, sizeof p->buf - p->have);
        if (r <= 0)
            bench_die("mcp: the server's answer");
        p->have += (size_t)r;
    }
    if (!strstr(p->buf, "\"text\":\"sent\""))
        bench_die("mcp: not the server's result (was the call blocked?)");
    p->have -= (size_t)(nl + 1 - p->buf);
    memmove(p->buf, nl + 1, p->have);
}

int bench_mcp_figures(const bench_opts *o, bench_results *r)
{
    enum { BLOCK = 500 };
    int blocks = o->quick ? 8 : 40, n = blocks * BLOCK, b, i, k = 0;
    char dir[] = "/tmp/toolgate-bench-mcp-XXXXXX", cfg[128], acc[128];
    char *direct_argv[] = { (char *)o->mcp_server, NULL };
    char *proxy_argv[] = { (char *)o->toolgate, "mcp-proxy", "--config", cfg, "--identifier",
                           "bench_user", "--", (char *)o->mcp_server, NULL };
    double *direct = malloc(sizeof(double) * (size_t)n), *proxied = malloc(sizeof(double) * (size_t)n);
    peer *d = malloc(sizeof *d), *p = malloc(sizeof *p);
    FILE *f;

    if (!direct || !proxied || !d || !p || !mkdtemp(dir))
        bench_die("mcp: setup");
    snprintf(acc, sizeof acc, "%s/accounts.json", dir);
    snprintf(cfg, sizeof cfg, "%s/toolgate.json", dir);
    f = fopen(acc, "w");
    if (!f)
        bench_die("mcp: accounts file");
    fputs("{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":"
          "[{\"connection\":\"gmail\",\"identifier\":\"bench_user\",\"status\":\"ACTIVE\"}]}",
          f);
    fclose(f);
    f = fopen(cfg, "w");
    if (!f)
        bench_die("mcp: config file");
    fputs("{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"
          "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"},\"unmapped\":\"deny\"},"
          "\"cache\":{\"active_ttl_ms\":3600000}}",
          f);
    fclose(f);

    peer_start(d, direct_argv);
    peer_start(p, proxy_argv);
    for (i = 0; i < 2000; i++) { /* warm-up: processes, caches, the gate's entry */
        round_trip(d, i);
        round_trip(p, i);
    }
    for (b = 0; b < blocks; b++) {
        peer *which = b % 2 ? p : d;
        double *into = b % 2 ? proxied : direct;
        int base = (b / 2) * BLOCK;
        for (i = 0; i < BLOCK; i++) {
            double t0 = bench_now_ns();
            round_trip(which, ++k);
            into[base + i] = (bench_now_ns() - t0) / 1000.0;
        }
    }
    n = (blocks / 2) * BLOCK;
    r->mcp_direct_p50_us = bench_percentile(direct, n, 0.50);
    r->mcp_direct_p99_us = bench_percentile(direct, n, 0.99);
    r->mcp_proxy_p50_us = bench_percentile(proxied, n, 0.50);
    r->mcp_proxy_p99_us = bench_percentile(proxied, n, 0.99);
    r->mcp_calls = n;
    r->have_mcp = 1;
    peer_stop(d);
    peer_stop(p);
    unlink(acc);
    unlink(cfg);
    rmdir(dir);
    free(direct);
    free(proxied);
    free(d);
    free(p);
    return 0;
}
