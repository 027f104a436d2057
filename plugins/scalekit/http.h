/*
 * HTTP for the scalekit provider: libcurl easy handles kept in a small pool so
 * connections stay alive between calls, and one request function that
 * retries what is worth retrying (503, refused connections) with exponential
 * backoff and jitter inside a deadline.
 *
 * Every request: http/https only, no redirects, TLS peer and host
 * verification on, no signals, a total and a connect timeout equal to the
 * time left before the deadline, answers larger than TG__SK_BODY_MAX bytes
 * aborted while they arrive. A loopback environment URL goes through no
 * proxy, and the name "localhost" is pinned to 127.0.0.1 (never resolved).
 *
 * Each attempt is logged at TG_LOG_DEBUG through the host (method, route,
 * outcome, time, attempt — never a header, a body or a query), and so is each
 * retry. Answers are kept in buffers that are wiped before they are freed or
 * grown (a token answer holds the access token); libcurl's own copies are
 * wiped by the memory functions it is started with (curl_start.h).
 *
 * Thread safety: a tg__sk_http is shared by all threads; each request uses an
 * easy handle no other thread holds (libcurl's rule, docs/libcurl-thread).
 */
#ifndef TG_PLUGINS_SCALEKIT_HTTP_H
#define TG_PLUGINS_SCALEKIT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"
#include "env_url.h"

#define TG__SK_POOL_MAX 16   /* easy handles (and so live connections) kept */
#define TG__SK_DETAIL_MAX 256 /* bytes of libcurl's own reason kept */

typedef struct tg__sk_http tg__sk_http;

/* What became of a request. */
typedef enum tg__sk_net {
    TG__SK_NET_OK = 0,   /* an HTTP answer (any status) */
    TG__SK_NET_TIMEOUT,  /* the deadline passed */
    TG__SK_NET_REFUSED,  /* the connection was refused, every attempt */
    TG__SK_NET_CONNECT,  /* no connection for another reason (see detail) */
    TG__SK_NET_RESOLVE,  /* the host name did not resolve */
    TG__SK_NET_CLOSED,   /* closed or reset before an answer */
    TG__SK_NET_CUT,      /* the answer was cut short */
    TG__SK_NET_TOO_LARGE, /* the answer passed TG__SK_BODY_MAX */
    TG__SK_NET_TLS,      /* a TLS handshake or certificate failure */
    TG__SK_NET_NOMEM,
    TG__SK_NET_OTHER     /* anything else libcurl reports (see detail) */
} tg__sk_net;

typedef struct tg__sk_request {
    const char *method;       /* "GET" or "POST" */
    const char *route;        /* the path alone, for logs and messages */
    const char *url;          /* never holds a secret: it may show in curl's messages */
    const char *content_type; /* of body; NULL for GET */
    const char *body;         /* POST body, body_len bytes */
    size_t body_len;
    const char *bearer;       /* access token for "Authorization: Bearer"; NULL: none */
} tg__sk_request;

typedef struct tg__sk_response {
    tg__sk_net net;
    long status;     /* HTTP status of the last attempt (0: none) */
    char *body;      /* NUL-terminated, len bytes; free with tg__sk_response_clear() */
    size_t len;
    size_t cap;
    int attempts;    /* requests sent, retries included */
    int64_t elapsed_ms; /* from the call to its end */
    char detail[TG__SK_DETAIL_MAX]; /* libcurl's reason (untrusted text; quote it) */
} tg__sk_response;

/**
 * A handle pool.
 * @param host  logs and the clock; borrowed for the pool's life.
 * @param url   the checked environment URL: loopback (no proxy) and pinning.
 * @return the pool, or NULL (out of memory, or libcurl failed to start) with
 *         the reason in @p err.
 */
tg__sk_http *tg__sk_http_new(const tg_host *host, const tg__sk_env_url *url, char *err,
                             size_t errlen);

/* Free the pool and its handles. No request may be running. */
void tg__sk_http_free(tg__sk_http *h);

/* The monotonic clock the deadlines are on, ms: the host's, else our own. */
int64_t tg__sk_http_now_ms(const tg__sk_http *h);

/**
 * Send @p rq, retrying a 503 answer or a failed connection with backoff
 * while time is left before @p deadline_ms (tg__sk_http_now_ms() scale).
 * @param resp  filled: net, status, body, attempts, elapsed, detail.
 * @return TG_OK: an HTTP answer, any status (a 503 that outlasted the
 *         retries too); TG_ETIMEOUT: the deadline passed; TG_EPROVIDER: no
 *         usable answer (resp->net says why); TG_ENOMEM. The body is kept on
 *         TG_OK only.
 */
int tg__sk_http_send(tg__sk_http *h, const tg__sk_request *rq, int64_t deadline_ms,
                     tg__sk_response *resp);

/* Wipe and free the body and zero @p resp. */
void tg__sk_response_clear(tg__sk_response *resp);

#endif
