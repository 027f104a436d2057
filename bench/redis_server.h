/* toolgate-bench: a redis-server of its own for the fleet figures, on a free
 * loopback port, without persistence, always stopped: at bench_redis_stop,
 * at exit, and with the benchmark if it dies (PDEATHSIG). */
#ifndef TG_BENCH_REDIS_SERVER_H
#define TG_BENCH_REDIS_SERVER_H

#include <sys/types.h>

typedef struct bench_redis {
    pid_t pid;     /* 0 when not running */
    int port;
    char dir[64];  /* its working directory and log; "" once removed */
    char url[64];  /* "redis://127.0.0.1:PORT/0" */
} bench_redis;

/* The path of redis-server on PATH into @p out, or -1 when there is none. */
int bench_redis_find(char *out, size_t cap);

/* Start redis-server (@p exe) and wait until it answers PING (10 s at
 * most). 0, or -1 with why on stderr (nothing left running). One at a time. */
int bench_redis_start(bench_redis *r, const char *exe);

/* SIGTERM, wait, remove its directory. Safe to call twice. */
void bench_redis_stop(bench_redis *r);

#endif
