/* toolgate-bench: shared pieces of the benchmark. */
#ifndef TG_BENCH_H
#define TG_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"

#define BENCH_ACCOUNTS 10000

/* Median, min and max of a set of repetitions. */
typedef struct bench_figure {
    double median, min, max;
    int reps;
} bench_figure;

typedef struct bench_opts {
    int json;
    int quick;              /* fewer repetitions and smaller loops */
    const char *dev_server; /* scalekit-dev binary; NULL skips the HTTP figures */
    const char *toolgate;   /* the toolgate command; NULL skips the mcp-proxy and serve figures */
    const char *mcp_server; /* toolgate-bench-mcp-server */
    int no_mcp;             /* --no-mcp: skip the mcp-proxy figure */
    int no_serve;           /* --no-serve: skip the toolgate serve figures */
    int no_fleet;           /* --no-fleet: skip the figures of a fleet on Redis */
} bench_opts;

double bench_now_ns(void);
bench_figure bench_summarise(double *samples, int n);
/* The @p p quantile (0..1, nearest rank) of @p samples, which it sorts. */
double bench_percentile(double *samples, int n, double p);
_Noreturn void bench_die(const char *what);

/* Start a server (argv[0] is its path; its stderr ours, or /dev/null when
 * @p quiet) and read its ready line on stdout: @p ready is a scanf format
 * with one %d, the port. 0 with *pid and *port set, else -1 (stopped). */
int bench_start_server(char *const *argv, const char *ready, int quiet, pid_t *pid, int *port);
/* SIGTERM and wait. */
void bench_stop_server(pid_t pid);

/* The keys every figure uses: BENCH_ACCOUNTS (tool, connection, identifier). */
typedef struct bench_keys {
    const char *tool[BENCH_ACCOUNTS];
    const char *connection[BENCH_ACCOUNTS];
    char identifier[BENCH_ACCOUNTS][24];
    char composite[BENCH_ACCOUNTS][48]; /* connection \x1f identifier */
    size_t composite_len[BENCH_ACCOUNTS];
    int order[BENCH_ACCOUNTS];          /* a fixed shuffle */
} bench_keys;

void bench_keys_init(bench_keys *k);
extern const char bench_rules_json[];

/* An in-process provider that answers every account with one status. */
extern const tg_provider bench_provider;
typedef struct bench_provider_state {
    tg_status status;
} bench_provider_state;

/* A gate whose provider answers @p status, with every key cached
 * (bench/hit.c). Caller frees with tg_gate_free(). */
tg_gate *bench_gate(const bench_keys *k, bench_provider_state *ps, tg_status status);
/* ns per check over @p rounds passes of the keys; every verdict @p expect. */
double bench_time_checks(tg_gate *g, const bench_keys *k, tg_decision *d, int rounds,
                         tg_verdict expect);

/* Counting allocator (bench/alloc_count.c). */
void bench_alloc_count_start(void);
uint64_t bench_alloc_count_stop(void);

/* Figures. */
typedef struct bench_results {
    bench_figure hit_ns, baseline_ns, blocked_ns, cps_1t, cps_2t;
    double allocs_per_hit;
    int have_http;
    bench_figure miss_ns, peer_ns;
    double http_requests_per_miss;
    long singleflight_provider_calls;
    double bytes_per_entry_1m;
    /* Hits before and after 10,000 crafted tool names (bench/crafted.c). */
    bench_figure crafted_before_ns, crafted_after_ns;
    bench_figure crafted_late_ns; /* tools first met after the flood */
    int have_mcp;
    double mcp_direct_p50_us, mcp_direct_p99_us, mcp_proxy_p50_us, mcp_proxy_p99_us;
    int mcp_calls;          /* round trips measured on each side */
    int have_serve;
    bench_figure serve_p50_us, serve_p99_us, serve_cps_2t, process_p50_us, process_cps_2t;
    /* A fleet on Redis (bench/fleet*.c); fleet_skipped says why when not. */
    int have_fleet;
    const char *fleet_skipped;
    bench_figure redis_miss_p50_us, redis_miss_p99_us;       /* a miss served from Redis */
    bench_figure provider_miss_p50_us, provider_miss_p99_us; /* baseline: a provider miss */
    bench_figure fleet_cold_p50_us, fleet_cold_p99_us;       /* Redis miss, lock, provider */
    int fleet_miss_checks;                                   /* checks of each, per repetition */
    double webhook_all_p50_us, webhook_all_p99_us;   /* until every other process saw it */
    double webhook_each_p50_us, webhook_each_p99_us; /* until one other process saw it */
    double webhook_apply_p50_us;                     /* the applying call, Redis write included */
    double webhook_local_p50_us, webhook_local_p99_us; /* baseline: one process, no tier */
    int webhook_events, webhook_lost;
    double requests_per_account, requests_per_account_max;           /* 4 processes on Redis */
    double requests_per_account_alone, requests_per_account_alone_max; /* baseline: no Redis */
    int request_accounts, request_accounts_over_one; /* with Redis: asked more than once */
} bench_results;

void bench_hit_figures(const bench_opts *o, const bench_keys *k, bench_results *r);
void bench_thread_figures(const bench_opts *o, const bench_keys *k, bench_results *r);
void bench_memory_figure(const bench_opts *o, bench_results *r);
int bench_http_figures(const bench_opts *o, bench_results *r);
void bench_crafted_figure(const bench_opts *o, const bench_keys *k, bench_results *r);
int bench_mcp_figures(const bench_opts *o, bench_results *r);
int bench_serve_figures(const bench_opts *o, bench_results *r);
int bench_fleet_figures(const bench_opts *o, bench_results *r);
void bench_hit_loop(long n);

#endif
