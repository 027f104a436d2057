/*
 * A small pool of command connections to Redis, shared by the threads of
 * one tier. A caller takes a connection (an idle one, or a new one it
 * connects itself, outside the pool's lock), runs its command, and gives it
 * back: kept when the command went through, closed when it failed or timed
 * out (its reply may still arrive; a paused Redis never wedges the pool, it
 * only costs new connections). At most TG__RD_POOL_MAX are open at once; a
 * caller waits for one until its own deadline. An idle connection that
 * Redis closed (restart, kill) is seen at once when taken (it reads EOF)
 * and replaced.
 *
 * Thread safety: every function but init and destroy, from any thread.
 */
#ifndef TG_PLUGINS_REDIS_POOL_H
#define TG_PLUGINS_REDIS_POOL_H

#include <pthread.h>

#include "redis_conn.h"

#define TG__RD_POOL_MAX 8
#define TG__RD_ARGV_MAX 16 /* arguments of a script call */

typedef struct tg__rd_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed; /* on CLOCK_MONOTONIC: a slot or an idle connection */
    redisContext *idle[TG__RD_POOL_MAX];
    int n_idle;
    int n_open;           /* idle and taken */
    const tg__rd_config *cfg; /* borrowed */
} tg__rd_pool;

/* TG_OK; TG_ENOMEM. */
TG_WARN_UNUSED int tg__rd_pool_init(tg__rd_pool *p, const tg__rd_config *cfg);
/* Close every idle connection. Nothing may be taken. */
void tg__rd_pool_destroy(tg__rd_pool *p);

/**
 * One command through a pooled connection, bounded by @p w.
 * @return TG_OK with *out set (freeReplyObject it; an error reply is a
 *         reply); TG_ETIMEOUT; TG_EPROVIDER; TG_ENOMEM — with @p why.
 */
TG_WARN_UNUSED int tg__rd_pool_command(tg__rd_pool *p, int argc, const char **argv, const size_t *lens,
                        const tg__rd_wait *w, redisReply **out, char *why, size_t whycap);

/* As tg__rd_pool_command, then on a NOSCRIPT error the same command again
 * with argv[0] "EVAL" and argv[1] @p script, on the same connection. */
TG_WARN_UNUSED int tg__rd_pool_eval(tg__rd_pool *p, const char *script, int argc, const char **argv,
                     const size_t *lens, const tg__rd_wait *w, redisReply **out, char *why,
                     size_t whycap);

#endif
