/* Test helper for `toolgate serve`: temporary directories, the command run
 * as a child (one-shot, or the server kept running on a free loopback port
 * or a unix socket, always stopped), and HTTP requests over real sockets
 * with libcurl. Plain C, no cmocka: callers assert on the results. */
#ifndef TG_TEST_SERVE_HARNESS_H
#define TG_TEST_SERVE_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef TG_CLI_PATH
#error "TG_CLI_PATH must name the built toolgate binary"
/* @p text with every RFC 3339 time ("2026-11-25T15:10:00Z"), the value of
 * every "source" (also quoted inside a JSON string) and the numbers in
 * "N attempts" and "after N ms" replaced by "~": two answers about the same
 * account from two gates differ only there — when the link expires, where
 * the status came from, how a failing provider was retried (malloc'd). */
char *sv_normalised(const char *text);

#endif

#define SV_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- files ---------------------------------------------------------------- */

/* A fresh directory under /tmp (at least 64 bytes of @p dir). 0 or -1. */
int sv_tmpdir(char *dir, size_t len);
/* Remove it and what is in it (one level). */
void sv_rmdir(const char *dir);
/* Write @p text to dir/name atomically (temp file, rename); the path goes to
 * @p path when given (at least 256 bytes). 0 or -1. */
int sv_write(const char *dir, const char *name, const char *text, char *path);
/* A fresh directory holding toolgate.json (@p config) and, unless NULL,
 * accounts.json (@p accounts). 0 or -1. */
int sv_setup_dir(char *dir, size_t len, const char *config, const char *accounts);
/* The whole file, NUL-terminated (malloc'd); NULL when unreadable. */
char *sv_read(const char *path);

/* ---- the command, once ------------------------------------------------------ */

typedef struct sv_run {
    int code;        /* exit code; -1 when killed by a signal */
    char *out, *err; /* stdout and stderr */
    int64_t ms;      /* how long it ran */
} sv_run;

/* Run `toolgate ARGS…` (killed after 60 s) with the environment of the test
 * minus TOOLGATE_* and SCALEKIT_*, plus @p env ("NAME=value", may be NULL).
 * @p dir holds its captured output. 0, or -1 when it could not be run. */
int sv_cli(const char *dir, const char *const *args, const char *const *env, sv_run *r);
/* The same for another program (@p exe, an absolute path). */
int sv_program(const char *dir, const char *exe, const char *const *args,
               const char *const *env, sv_run *r);
void sv_run_free(sv_run *r);

/* ---- the server ----------------------------------------------------------------- */

typedef struct sv_server {
    pid_t pid;          /* 0 when not running */
    int out_fd;         /* its stdout, after the ready line */
    char url[160];      /* what the ready line said: "http://…" or "unix:/…" */
    char base[160];     /* what to put before a path: "http://…" (unix: "http://localhost") */
    char unix_path[100];/* "" for TCP */
    char err_path[256]; /* its stderr */
} sv_server;

/* Start `toolgate serve ARGS…` (add "--listen", "127.0.0.1:0" yourself) in
 * @p dir and wait up to 60 s for "toolgate serve: listening on URL". The
 * child gets SIGKILL if the test process dies. $TG_TEST_SERVE_WRAPPER, when
 * set, is a command the server runs under (e.g. valgrind). 0, or -1 (then
 * stopped, with its stderr printed). */
int sv_start(sv_server *s, const char *dir, const char *const *args, const char *const *env);
/* SIGTERM, then wait (SIGKILL after 15 s). Returns its exit code, -1 when
 * killed or not running. Safe to call twice. */
int sv_stop(sv_server *s);
/* For a group teardown: stop @p s and remove @p dir. 0 when the server
 * exited 0 (a sanitizer report makes it otherwise), else -1. */
int sv_teardown(sv_server *s, const char *dir);
/* Its stderr so far (malloc'd). */
char *sv_server_log(const sv_server *s);

/* ---- HTTP ----------------------------------------------------------------------- */

typedef struct sv_answer {
    long status;          /* 0: no answer (transport failure) */
    char *body;           /* NUL-terminated, "" when empty */
    size_t len;
    char *headers;        /* the raw header block */
    int64_t ms;
} sv_answer;

/* One request with a fresh connection. @p headers: "Name: value" lines
 * (NULL-terminated, may be NULL). @p body for POST (NULL: empty). 0 or -1. */
int sv_http(const sv_server *s, const char *method, const char *target, const char *body,
            const char *const *headers, sv_answer *a);
/* A header's value in @p a (case-insensitive name), copied into @p out; 1
 * when present. */
int sv_header(const sv_answer *a, const char *name, char *out, size_t len);
void sv_answer_free(sv_answer *a);

/* POST @p body to target with a fresh connection; returns the status. */
long sv_post(const sv_server *s, const char *target, const char *body, sv_answer *a);

/* A keep-alive client: the same connection for every request. */
typedef struct sv_client sv_client;
sv_client *sv_client_new(const sv_server *s);
int sv_client_request(sv_client *c, const char *method, const char *target, const char *body,
                      sv_answer *a);
void sv_client_free(sv_client *c);

/* A raw connection to the server (TCP or unix), blocking; -1 on failure. */
int sv_connect(const sv_server *s);

/* One counter of /metrics: the sample named exactly @p series (e.g.
 * "toolgate_cache_hits_total" or
 * "toolgate_decisions_total{verdict=\"ALLOW\"}"); -1 when absent. */
double sv_metric(const sv_server *s, const char *series);

/* ---- webhooks and time ------------------------------------------------------------ */

/* POST @p body to /v1/webhooks/scalekit signed with @p key
 * (tests/webhook_sign.c), with the webhook-id @p msg_id and
 * webhook-timestamp @p ts (NULL: now). 0 or -1 (transport failure). */
int sv_deliver(const sv_server *s, const unsigned char *key, size_t key_len, const char *msg_id,
               const char *ts, const char *body, sv_answer *a);
/* The wall clock as RFC 3339 UTC with milliseconds, @p offset_ms from now. */
void sv_utc_now(char *out, size_t cap, int64_t offset_ms);

int64_t sv_now_ms(void);
void sv_sleep_ms(int64_t ms);

/* @p text with every RFC 3339 time ("2026-11-25T15:10:00Z"), the value of
 * every "source" (also quoted inside a JSON string) and the numbers in
 * "N attempts" and "after N ms" replaced by "~": two answers about the same
 * account from two gates differ only there — when the link expires, where
 * the status came from, how a failing provider was retried (malloc'd). */
char *sv_normalised(const char *text);

#endif
