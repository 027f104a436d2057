/* `toolgate serve`, inside: the parts of the server and what they share.
 * One thread per connection (libmicrohttpd), so a route may block (a
 * provider miss, a long poll); what bounds them is said where they are. */
#ifndef TG_SERVE_SERVER_H
#define TG_SERVE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "serve.h"
#include "wire.h"

struct MHD_Connection;
struct MHD_Daemon;

/* Connections at once; more are accepted and closed at once. */
#define SERVE_MAX_CONNECTIONS 512
/* Long polls at once (each holds a connection and its thread); more get 503. */
#define SERVE_MAX_WAITS 64
/* A client must send a whole request within this long of the last answer
 * (or of connecting), and may not stay silent longer. */
#define SERVE_CLIENT_TIMEOUT_S 10
/* SIGTERM: requests in flight get this long to finish. */
#define SERVE_DRAIN_MS 5000

/* ---- routes (router.c) --------------------------------------------------- */

typedef enum serve_route_id {
    SERVE_R_CHECK,
    SERVE_R_STATUS,
    SERVE_R_LINK,
    SERVE_R_INVALIDATE,
    SERVE_R_WAIT,
    SERVE_R_WEBHOOK,
    SERVE_R_METRICS,
    SERVE_R_HEALTHZ,
    SERVE_R_READYZ,
    SERVE_R_OTHER, /* no route: counted under route="other" */
    SERVE_N_ROUTES
} serve_route_id;

/* The path of a route ("/v1/check"; "other" for SERVE_R_OTHER). */
const char *serve_route_name(serve_route_id id);

/* ---- metrics.c: the server's own counters ---------------------------------- */

/* HTTP statuses counted one by one; any other falls in the last slot. */
#define SERVE_N_CODES 11

/* What became of a webhook delivery. */
typedef enum serve_webhook_outcome {
    SERVE_WH_APPLIED, /* the first four as tg_event_result */
    SERVE_WH_STALE,
    SERVE_WH_DUPLICATE,
    SERVE_WH_IGNORED,
    SERVE_WH_BAD_SIGNATURE,
    SERVE_WH_BAD_TIMESTAMP,
    SERVE_WH_MALFORMED,
    SERVE_WH_TOO_LARGE,
    SERVE_N_WEBHOOK_OUTCOMES
} serve_webhook_outcome;

typedef struct serve_metrics {
    _Atomic uint64_t http[SERVE_N_ROUTES][SERVE_N_CODES];
    _Atomic uint64_t webhooks[SERVE_N_WEBHOOK_OUTCOMES];
    _Atomic uint64_t reloads_ok, reloads_failed;
    _Atomic uint64_t clients_timed_out; /* connections cut by the client deadline */
} serve_metrics;

void serve_metrics_http(serve_metrics *m, serve_route_id route, int http_status);
void serve_metrics_webhook(serve_metrics *m, serve_webhook_outcome outcome);

/* ---- gates.c: the running gate, swapped by a reload ----------------------- */

/* A gate and the requests using it. */
typedef struct serve_gate {
    tg_gate *gate;
    unsigned long refs;      /* under serve_gates.lock; the current gate holds one */
    struct serve_gate *next; /* every gate not yet freed */
} serve_gate;

typedef struct serve_gates {
    pthread_mutex_t lock;
    serve_gate *current;
    serve_gate *live;  /* current first, then older gates still in use */
    tg_stats retired;  /* the counters of the gates already freed, summed */
} serve_gates;

/* Take ownership of @p first. Returns 0, or -1 when out of memory (first is
 * then freed). */
int serve_gates_init(serve_gates *gs, tg_gate *first);
/* Free every gate; no request may run. */
void serve_gates_free(serve_gates *gs);
/* The current gate, held until serve_gates_release(). */
serve_gate *serve_gates_acquire(serve_gates *gs);
/* Done with a gate: the last user of a replaced gate frees it. */
void serve_gates_release(serve_gates *gs, serve_gate *g);
/* Make @p next (owned from here) the current gate; requests that hold the
 * old one finish on it. Returns 0, or -1 when out of memory (next freed). */
int serve_gates_swap(serve_gates *gs, tg_gate *next);
/* Every gate not yet freed, held (NULL-terminated array, caller frees it
 * after releasing each); NULL when out of memory. For what must reach every
 * gate: webhook events and invalidations wake the waits on an old gate too. */
serve_gate **serve_gates_acquire_all(serve_gates *gs);
/* Counters for /metrics: the running totals of every gate since the start
 * (a reload never makes a counter go down), and the current gate's own
 * (entries, provider times). */
void serve_gates_stats(serve_gates *gs, tg_stats *total, tg_stats *current);

/* ---- conns.c: connections and the client deadline ------------------------- */

/* One accepted connection. */
typedef struct serve_conn {
    int fd;
    int busy;               /* a request is being answered (under the lock) */
    int cut;                /* shut down by the deadline */
    int64_t idle_since_ms;  /* when it last had nothing being answered */
    tg_decision *decision;  /* the connection thread's own, reused */
    struct serve_conn *prev, *next;
} serve_conn;

typedef struct serve_conns {
    pthread_mutex_t lock;
    pthread_cond_t stop;    /* the reaper must stop */
    pthread_cond_t quiet;   /* no request is being answered (signalled to a drain) */
    serve_conn *head;
    unsigned open, busy;
    int draining;           /* someone waits on quiet */
    int stopping;
    int reaper_started;
    pthread_t reaper;
    serve_metrics *metrics;
} serve_conns;

int serve_conns_start(serve_conns *cs, serve_metrics *m);
void serve_conns_stop(serve_conns *cs);
/* A connection was accepted on socket @p fd / was closed (before its socket
 * is). NULL when out of memory. */
serve_conn *serve_conn_opened(serve_conns *cs, int fd);
void serve_conn_closed(serve_conns *cs, serve_conn *c);
/* A request of @p c is being answered / its answer has been sent. */
void serve_conn_busy(serve_conns *cs, serve_conn *c);
void serve_conn_idle(serve_conns *cs, serve_conn *c);
/* Wait until no request is being answered, at most @p ms. Returns how many
 * still are. */
unsigned serve_conns_drain(serve_conns *cs, int64_t ms);
/* Connections open now. */
unsigned serve_conns_count(serve_conns *cs);

/* ---- the server ------------------------------------------------------------ */

/* The long polls running now (route_wait.c): a slot each, so that there are
 * at most SERVE_MAX_WAITS and a shutdown can end them. tg_gate_wait reads
 * its slot's cancel flag with an atomic load; it is written with atomic
 * stores (the slot's own thread when its client hangs up, the main thread
 * when the server stops). */
typedef struct serve_waits {
    pthread_mutex_t lock;
    volatile int cancel[SERVE_MAX_WAITS];
    int fd[SERVE_MAX_WAITS];         /* the client's socket; -1: a free slot */
    unsigned count;
    int closed;                      /* shutting down: no new wait */
} serve_waits;

void serve_waits_init(serve_waits *ws);
void serve_waits_free(serve_waits *ws);

typedef struct serve_server {
    serve_gates gates;
    serve_metrics metrics;
    serve_conns conns;
    serve_waits waits;
    const char *config_path;
    int config_reloadable;      /* a regular file (not /dev/stdin): SIGHUP reads it again */
    const char *webhook_secret; /* NULL: no webhook route */
    const char *api_token;      /* NULL: no token asked for */
    size_t api_token_len;
    _Atomic int draining;       /* stop taking requests */
    struct MHD_Daemon *daemon;
    char url[160];              /* what the ready line says */
} serve_server;

/* ---- one request -------------------------------------------------------------- */

/* The answer a route builds. */
typedef struct serve_reply {
    int status;                 /* 0: not answered yet */
    char *body;                 /* malloc'd; NULL for an empty body */
    size_t len;
    const char *content_type;   /* static */
    const char *allow;          /* 405: the methods the path takes */
    const char *verdict;        /* SERVE_HEADER_VERDICT, static; NULL: none */
    const char *status_name;    /* SERVE_HEADER_STATUS, static; NULL: none */
    char error[256];            /* SERVE_HEADER_ERROR; "": none */
    int retry_after_s;          /* 0: none */
    int close;                  /* close the connection after the answer */
    int challenge;              /* 401 for the API token: WWW-Authenticate: Bearer */
} serve_reply;

typedef struct serve_call {
    serve_server *srv;
    struct MHD_Connection *conn;
    serve_conn *sc;
    const char *body;           /* NUL-terminated; may hold NULs */
    size_t body_len;
    serve_reply reply;
} serve_call;

typedef struct serve_route {
    const char *method;
    const char *path;
    serve_route_id id;
    unsigned flags;
    void (*handle)(serve_call *c);
} serve_route;

#define SERVE_ROUTE_TOKEN 1u    /* needs the API token, when there is one */
#define SERVE_ROUTE_WEBHOOK 2u  /* bodies up to SERVE_WEBHOOK_BODY_MAX */

/* router.c: the route for (method, path); NULL with @p early filled (404,
 * or 405 with its Allow). *id receives the route the path names (for a
 * 405), SERVE_R_OTHER when none. */
const serve_route *serve_route_find(const char *method, const char *path, serve_reply *early,
                                    serve_route_id *id);
/* router.c: whether the request carries "Authorization: Bearer <token>"
 * (compared in constant time). Always 1 when no token is set. */
int serve_authorized(const serve_server *srv, struct MHD_Connection *conn);

/* reply.c: building an answer */
void serve_reply_error(serve_reply *r, int http, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A library error: its code, tg_error_message() (never secret) and the HTTP
 * status that fits it (400 bad input, 503 provider, 501 not supported, 500
 * else). */
void serve_reply_failure(serve_reply *r, int rc);
/* A body the reply takes over (malloc'd). NULL body: out of memory → 500. */
void serve_reply_take(serve_reply *r, int http, const char *content_type, char *body, size_t len);
/* A copy of @p text as the body. */
void serve_reply_text(serve_reply *r, int http, const char *content_type, const char *text);
/* A rendered line (malloc'd, no newline) as the body, newline added. */
void serve_reply_line(serve_reply *r, const char *content_type, char *line);
/* The verdict and status headers of a decision. */
void serve_reply_decision_headers(serve_reply *r, const tg_decision *d);
/* The Toolgate-Error header: what failed, when the provider did. */
void serve_reply_why(serve_reply *r, const char *message);
void serve_reply_clear(serve_reply *r);

#define SERVE_TYPE_JSON "application/json"
#define SERVE_TYPE_TEXT "text/plain; charset=utf-8"

/* request.c: inputs. Each returns NULL (or -1) after filling a 400 reply. */
/* The body as a JSON object with no key twice and no key outside @p keys
 * (NULL-terminated); caller puts it. */
json_object *serve_body_object(serve_call *c, const char *const *keys);
/* The JSON text of the body's member @p key exactly as sent, copied into
 * @p out. 0; -1 when absent, longer than @p cap - 1, or its key is written
 * with escapes. The body must have passed serve_body_object(). */
int serve_body_raw(const serve_call *c, const char *key, char *out, size_t cap);
/* A string member (no NUL inside); absent: NULL, with a 400 when required. */
const char *serve_body_string(serve_call *c, json_object *body, const char *key, int required);
/* The query arguments named by @p keys (NULL-terminated) into @p values (NULL
 * when absent); an unknown or repeated argument, or a NUL in one, is a 400. */
int serve_query(serve_call *c, const char *const *keys, const char **values);
/* The "format" argument: json (absent) or text. -1 after a 400. */
int serve_query_format(serve_call *c, const char *value, tg_format *out);

/* The routes. */
void serve_route_check(serve_call *c);
void serve_route_status(serve_call *c);
void serve_route_link(serve_call *c);
void serve_route_invalidate(serve_call *c);
void serve_route_wait(serve_call *c);
void serve_route_webhook(serve_call *c);
void serve_route_metrics(serve_call *c);
void serve_route_healthz(serve_call *c);
void serve_route_readyz(serve_call *c);

/* route_wait.c: end every long poll now (shutdown); how many run now. */
void serve_waits_cancel(serve_waits *ws);
unsigned serve_waits_count(serve_waits *ws);

/* metrics.c: the Prometheus text of every counter. NULL when out of memory. */
char *serve_metrics_render(serve_server *srv, size_t *len);

/* daemon.c */
int serve_daemon_start(serve_server *srv, int listen_fd);
/* Stop accepting connections (the listening socket is closed). */
void serve_daemon_quiesce(serve_server *srv);
void serve_daemon_stop(serve_server *srv);

/* listen.c: the listening socket of --listen or --unix and the URL it is
 * reached at. Returns the socket, or -1 after one line on stderr (*exit_code
 * says which). */
int serve_listen(const serve_options *opts, char *url, size_t url_len, int *exit_code);
/* Remove the unix socket file (at exit). */
void serve_unlisten(const serve_options *opts);

/* log.c: one line on stderr, "toolgate serve: …"; and the library's lines. */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serve_log_library(int verbose);

#endif
