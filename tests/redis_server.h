/* Test helper: a real redis-server as a child process on a free loopback
 * port, without persistence (--save "" --appendonly no, a temporary
 * directory), and the faults a test puts it through: kill, pause (SIGSTOP),
 * resume (SIGCONT), restart on the same port. Every server started is
 * stopped at exit (atexit) and dies with the test process (PDEATHSIG),
 * however the test ends. Plain C, no cmocka: callers assert on the return
 * values. */
#ifndef TG_TEST_REDIS_SERVER_H
#define TG_TEST_REDIS_SERVER_H

#include <sys/types.h>

#include <hiredis/hiredis.h>

typedef struct tg_redis {
    pid_t pid;          /* 0 when not running */
    int port;
    int paused;
    char dir[64];       /* the temporary directory; "" once removed */
    char password[64];  /* requirepass; "" for none */
    char url[96];       /* "redis://127.0.0.1:PORT/0", no password; also
                         * listening on the socket DIR/redis.sock */
} tg_redis;

/* Start redis-server (found on PATH) on a free port, with @p password as
 * requirepass unless NULL, and wait up to 10 s until it answers PING.
 * Returns 0, or -1 (nothing left running). */
int tg_redis_start(tg_redis *r, const char *password);

/* SIGKILL and reap: the server is gone at once, as in a crash. */
void tg_redis_kill(tg_redis *r);

/* Start again on the same port and directory after tg_redis_kill (or kill
 * it first). Returns 0, or -1. */
int tg_redis_restart(tg_redis *r);

/* SIGSTOP / SIGCONT. Returns 0, or -1. */
int tg_redis_pause(tg_redis *r);
int tg_redis_resume(tg_redis *r);

/* Stop (SIGKILL; resumed first when paused) and remove the directory. Safe
 * to call twice. */
void tg_redis_stop(tg_redis *r);

/* A raw blocking client (1 s timeouts, AUTH'd when the server has a
 * password), for what a test writes behind the tier's back. NULL on failure.
 * redisFree it. */
redisContext *tg_redis_client(const tg_redis *r);

/* Run one command on a fresh raw client: the reply (freeReplyObject), or
 * NULL. */
redisReply *tg_redis_cmd(const tg_redis *r, int argc, const char **argv, const size_t *lens);

#endif
