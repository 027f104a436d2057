/*
 * HTTP for the scalekit provider: libcurl easy handles kept in a small pool so
 * connections stay alive between calls, and one request function that
 * retries what is worth retrying (503, refused connections) with exponential
 * backoff and jitter inside a deadline.
 *
 * Every request: http/https only, no redirects, TLS peer and host
 * verification on, no signals, a total and a connect timeout equal to the
 * time left before the deadline, answers larger than TG__SK_BODY_MAX bytes
 * aborted while they arrive.
 *
 * Thread safety: a tg__sk_http is shared by all threads; each request uses an
 * easy handle no other thread holds (libcurl's rule, docs/libcurl-thread).
 */
#ifndef TG_PLUGINS_SCALEKIT_HTTP_H
#define TG_PLUGINS_SCALEKIT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define TG__SK_POOL_MAX 16 /* easy handles (and so live connections) kept */

typedef struct tg__sk_http tg__sk_http;

typedef struct tg__sk_request {
    const char *method;       /* "GET" or "POST" */
    const char *url;          /* never holds a secret: it may show in curl's messages */
    const char *content_type; /* of body; NULL for GET */
    const char *body;         /* POST body, body_len bytes */
    size_t body_len;
    const char *bearer;       /* access token for "Authorization: Bearer"; NULL: none */
} tg__sk_request;

typedef struct tg__sk_response {
    long status;    /* HTTP status of the last attempt */
    char *body;     /* NUL-terminated, len bytes; free with tg__sk_response_clear() */
    size_t len;
    size_t cap;
    int attempts;   /* requests sent, retries included */
    int too_large;  /* internal: the answer passed TG__SK_BODY_MAX */
} tg__sk_response;

/* Monotonic clock, milliseconds. */
int64_t tg__sk_now_ms(void);

/**
 * A handle pool.
 * @param no_proxy  1: never use a proxy (a loopback environment URL).
 * @return the pool, or NULL (out of memory, or libcurl failed to start) with
 *         the reason in @p err.
 */
tg__sk_http *tg__sk_http_new(int no_proxy, char *err, size_t errlen);

/* Free the pool and its handles. No request may be running. */
void tg__sk_http_free(tg__sk_http *h);

/**
 * Send @p rq, retrying a 503 answer or a refused connection with backoff
 * while time is left before @p deadline_ms (tg__sk_now_ms() scale).
 * @param resp  zeroed by the caller; filled on TG_OK.
 * @return TG_OK: an HTTP answer, any status, in @p resp (a 503 that outlasted
 *         the retries too); TG_ETIMEOUT: the deadline passed; TG_EPROVIDER: no
 *         usable answer (refused, reset, closed early, too large); TG_ENOMEM.
 *         The reason, without secrets, is in @p err.
 */
int tg__sk_http_send(tg__sk_http *h, const tg__sk_request *rq, int64_t deadline_ms,
                     tg__sk_response *resp, char *err, size_t errlen);

/* Free the body and zero @p resp. */
void tg__sk_response_clear(tg__sk_response *resp);

#endif
