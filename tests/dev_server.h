/* Test helper: run tools/scalekit-dev (the Scalekit-compatible dev server) as
 * a child process on a free loopback port, talk to its admin API, and stop it.
 * Plain C, no cmocka: callers assert on the return values. */
#ifndef TG_TEST_DEV_SERVER_H
#define TG_TEST_DEV_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json_object.h>

typedef struct tg_dev {
    pid_t pid;    /* 0 when not running */
    int out_fd;   /* its stdout, kept open so a later write never meets EPIPE */
    char url[64]; /* "http://127.0.0.1:PORT" */
} tg_dev;

/* Start @p exe with "--port 0 --client-id ID --client-secret SECRET" and wait
 * (up to 10 s) for its ready line "scalekit-dev listening on URL". The child
 * gets SIGKILL if the test process dies first. Returns 0, or -1 (stopped). */
int tg_dev_start(tg_dev *dev, const char *exe, const char *client_id, const char *client_secret);

/* SIGTERM, then waitpid (SIGKILL after 5 s). Safe to call twice. Returns the
 * server's exit code (0 after a clean stop), or -1 when it was killed, was
 * not running or could not be reaped. */
int tg_dev_stop(tg_dev *dev);

/* One HTTP request with a fresh libcurl handle (no proxy, 10 s timeout);
 * @p body is sent as JSON for POST ("{}" when NULL). Returns the HTTP status,
 * 0 on a transport failure; the body in *out (malloc'd, may be NULL) when
 * @p out is given. curl_global_init must have been called. */
long tg_dev_http(const char *method, const char *url, const char *body, char **out);

/* POST @p body to the dev server's @p path (e.g. "/_dev/faults"). */
long tg_dev_post(const tg_dev *dev, const char *path, const char *body);

/* POST /_dev/accounts: set (creating if needed) an account's status. */
long tg_dev_set_account(const tg_dev *dev, const char *connector, const char *identifier,
                        const char *status);

/* GET /_dev/stats, parsed; NULL on failure. json_object_put it. */
json_object *tg_dev_stats(const tg_dev *dev);

/* GET /_dev/tokens: the live access tokens the server issued, as a JSON
 * array of strings; NULL on failure. json_object_put it. */
json_object *tg_dev_tokens(const tg_dev *dev);

/* One counter of the stats: a top-level field, or a member of the object
 * @p field (e.g. "routes") when @p sub is given. Missing counts as 0; -1 when
 * the stats could not be read. */
long long tg_dev_stat(const tg_dev *dev, const char *field, const char *sub);

/* A loopback TCP port on which nothing listens (bound, then closed). */
int tg_dev_closed_port(void);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t tg_dev_now_ms(void);

#endif
