/* Test helper for the fleet tests: a real redis-server (with a password),
 * scalekit-dev as the provider, and several worker processes
 * (fleet_worker.c), each holding its own gate, driven over pipes. Every
 * process started is stopped, whatever happens (at the end, at exit, and by
 * PDEATHSIG when the test dies). Plain C, no cmocka: callers assert on the
 * results.
 *
 * Under valgrind (the test binary run by scripts/memcheck) each worker runs
 * under valgrind memcheck too, with the same options, so the gates of every
 * process are checked; $TG_FLEET_WORKER_WRAPPER (e.g. "valgrind -q
 * --error-exitcode=99") chooses another wrapper, "" none. A worker's exit
 * status other than 0 — a sanitizer's or valgrind's report — fails
 * fl_stop(). The workers' stderr and answers go to files in a temporary
 * directory, removed by fl_stop() unless $TG_FLEET_KEEP is set. */
#ifndef TG_TEST_FLEET_HARNESS_H
#define TG_TEST_FLEET_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dev_server.h"
#include "redis_server.h"

#ifndef TG_FLEET_WORKER_PATH
#error "TG_FLEET_WORKER_PATH must name the built fleet_worker"
#endif
#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the built scalekit-dev"
#endif

#define FL_MAX_WORKERS 6
#define FL_MAX_FIELDS 40
#define FL_REPLY_MAX 8192

/* The environment variables every worker has: the Redis password, and a
 * wrong one. */
#define FL_PASSWORD_ENV "FLEET_REDIS_PASSWORD"
#define FL_WRONG_PASSWORD_ENV "FLEET_WRONG_PASSWORD"
/* The dev server's client (the gates' provider configuration). */
#define FL_CLIENT_ID "fleet_client"
#define FL_CLIENT_SECRET "fleet_client_secret_3c1d"

typedef struct fl_worker {
    pid_t pid;             /* 0 when not running */
    int in_fd, out_fd;     /* its stdin and stdout */
    char err_path[160];    /* its stderr */
    char log_path[160];    /* what it answered, for the secret check */
    char buf[FL_REPLY_MAX];
    size_t buf_len;
    char reply[FL_REPLY_MAX];
    char *field[FL_MAX_FIELDS];
    int n_fields;
} fl_worker;

typedef struct fl_fleet {
    tg_redis redis;
    tg_dev dev;
    fl_worker w[FL_MAX_WORKERS];
    int n;
    char dir[64];            /* the workers' output files */
    char password[48];       /* the Redis password */
    char wrong_password[48];
    char webhook_secret[128]; /* "whsec_…" */
    int slow;                /* 1; more under a sanitizer or valgrind */
} fl_fleet;

/* What a gate's configuration holds (fl_config). Zero fields take the
 * defaults noted. */
typedef struct fl_opts {
    const char *prefix;       /* the Redis prefix: required */
    int timeout_ms;           /* shared.timeout_ms: 1000 x slow */
    int degraded_ttl_ms;      /* shared.degraded_ttl_ms: 5000 */
    int active_ttl_ms;        /* cache.active_ttl_ms: 60000 */
    int inactive_ttl_ms;      /* cache.inactive_ttl_ms: 60000 */
    int provider_timeout_ms;  /* provider.timeout_ms: 5000 x slow */
    const char *password_env; /* shared.password_env: FL_PASSWORD_ENV */
    const char *url;          /* shared.url: the test's server */
} fl_opts;

/* Start Redis (with a random password), the dev server and @p workers
 * workers. 0, or -1 with what failed on stderr (everything stopped). */
int fl_start(fl_fleet *f, int workers);
/* Quit every worker and wait for it (killed if it does not exit), stop the
 * servers. 0 when every worker exited 0 and no output of any worker shows
 * the Redis passwords or the client secret; else -1, saying why on stderr.
 * Safe to call twice. */
int fl_stop(fl_fleet *f);

/* Send one command line (printf format; fields separated by tabs). 0 or -1. */
int fl_send(fl_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read the answer into w->reply and w->field[]. 0, or -1 when none came
 * within @p timeout_ms (times the fleet's slowness). */
int fl_recv(fl_fleet *f, fl_worker *w, int timeout_ms);
/* Send, then read the answer: 0 when it begins with "ok". On -1 the answer
 * (or its absence) is printed. */
int fl_do(fl_fleet *f, fl_worker *w, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Field @p i of the last answer, "" past the end. */
const char *fl_field(const fl_worker *w, int i);
/* The value of "NAME=VALUE" among the fields of the last answer; -1 when
 * absent. */
long long fl_named(const fl_worker *w, const char *name);

/* ---- commands to several workers at once ---------------------------------------- */

/* "burst" in workers [from, to) at once: @p threads threads each checking
 * every identifier of @p ids (comma-separated) @p rounds times. 0 when
 * every worker answered ok. */
int fl_burst(fl_fleet *f, int from, int to, int threads, int rounds, const char *tool,
             const char *ids);
/* What worker @p w's last burst saw for @p id: bit masks of verdicts,
 * statuses and sources (1 << the enum value). 0, or -1 when absent. */
int fl_burst_seen(const fl_worker *w, const char *id, unsigned *verdicts, unsigned *statuses,
                  unsigned *sources);

/* "until" in workers [from, to): each checks until it sees @p verdict (at
 * most @p timeout_ms). Collect with fl_until_collect. 0 or -1. */
int fl_until_send(fl_fleet *f, int from, int to, const char *tool, const char *id,
                  const char *verdict, int timeout_ms);
/* The answers of fl_until_send: for each worker, the milliseconds from
 * @p since_us (CLOCK_MONOTONIC µs) to the start of the first check that
 * saw the verdict into @p ms[i - from]. Fails (-1, saying why) when a worker
 * did not see it in time, or a check after it gave another verdict. */
int fl_until_collect(fl_fleet *f, int from, int to, int timeout_ms, int64_t since_us,
                     double *ms);

/* "mark" in every worker: waitlog counts from now on. 0 or -1. */
int fl_mark_all(fl_fleet *f);
/* Wait until every worker of [from, to) has logged @p count lines at INFO
 * or above containing @p text since its gate was opened or marked (at most
 * @p timeout_ms). 0, or -1 saying which did not. */
int fl_waitlog(fl_fleet *f, int from, int to, const char *text, int count, int timeout_ms);

/* The gate's configuration as one line of JSON into @p buf. */
void fl_config(const fl_fleet *f, const fl_opts *o, char *buf, size_t len);
/* Open a gate over @p json in workers [from, to). 0 or -1. */
int fl_open(fl_fleet *f, int from, int to, const char *json);
/* Close the gates of every worker. 0 or -1. */
int fl_close_all(fl_fleet *f);

/* Send a signed connected_account.* delivery (status a toolgate word or
 * NULL; conn NULL leaves connection_name out), occurred now + @p
 * offset_ms, to worker @p w for tg_gate_apply_webhook. The answer is read
 * with fl_recv. 0 or -1. */
int fl_send_webhook(fl_fleet *f, fl_worker *w, const char *event_id, const char *type,
                    int64_t offset_ms, const char *conn, const char *ident,
                    const char *status);

/* A webhook fanning out: every worker but @p by checks @p tool for @p id
 * until it sees @p verdict while worker @p by applies a signed
 * status_updated delivery (@p conn, @p id, @p status, occurred now). The
 * milliseconds from the delivery to the first check that saw the change go
 * to ms[] (one per watching worker, in order), and a line saying them is
 * printed after @p what. 0; -1, saying why, when the delivery was not
 * applied, a worker did not see the change within @p timeout_ms, or a check
 * after it gave another verdict. */
int fl_fanout(fl_fleet *f, const char *what, int by, const char *event_id, const char *conn,
              const char *id, const char *status, const char *tool, const char *verdict,
              int timeout_ms, double *ms);

/* One command on a raw client of the test's Redis (AUTH'd): 0 when Redis
 * answered without an error. */
int fl_redis(fl_fleet *f, const char *cmd);

/* The names of the keys matching @p pattern, each followed by a newline
 * (malloc'd), or NULL on failure. */
char *fl_redis_keys(fl_fleet *f, const char *pattern);
/* The commands a gate sends to read, write and lock (MGET, SET, EVAL,
 * EVALSHA) that Redis has run since it started (INFO commandstats); -1 on
 * failure. */
long long fl_redis_data_calls(fl_fleet *f);

/* Requests the dev server counted for "connector|identifier"; -1 on
 * failure. */
long long fl_provider_requests(const fl_fleet *f, const char *conn, const char *ident);

/* CLOCK_MONOTONIC in microseconds, the clock the workers report. */
int64_t fl_now_us(void);

#endif
