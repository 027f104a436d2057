/* HTTP for the scalekit provider over libcurl; see http.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "toolgate/toolgate.h"
#include "curl_start.h"
#include "host.h"
#include "http.h"
#include "wipe.h"
#include "wire.h"

#define TG__SK_BACKOFF_FIRST_MS 50   /* first retry delay, before jitter */
#define TG__SK_BACKOFF_MAX_MS 1000   /* longest retry delay */
#define TG__SK_RETRY_MIN_LEFT_MS 20  /* time an attempt needs after a delay */
#define TG__SK_BODY_FIRST 4096      /* first size of an answer's buffer */
#define TG__SK_USER_AGENT "toolgate-scalekit/" TG_VERSION_STRING

struct tg__sk_http {
    pthread_mutex_t lock;             /* guards free_list, nfree, created */
    CURL *free_list[TG__SK_POOL_MAX]; /* idle handles, last used on top */
    unsigned nfree;
    unsigned created;                 /* pooled handles alive, idle or in use */
    const tg_host *host;
    int no_proxy;
    struct curl_slist *pin;           /* "localhost:PORT:127.0.0.1", or NULL */
};

int64_t tg__sk_http_now_ms(const tg__sk_http *h)
{
    return tg__sk_mono_ms(h->host);
}

static void tg__sk_sleep_until(int64_t when_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(when_ms / 1000);
    ts.tv_nsec = (long)(when_ms % 1000) * 1000000L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Jitter: a per-thread xorshift64*, seeded from the clock and the stack. */
static uint64_t tg__sk_random(void)
{
    static _Thread_local uint64_t state;
    uint64_t x = state;
    if (x == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&x;
        if (x == 0)
            x = 0x9E3779B97F4A7C15ull;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---- the pool ----------------------------------------------------------- */

tg__sk_http *tg__sk_http_new(const tg_host *host, const tg__sk_env_url *url, char *err,
                             size_t errlen)
{
    tg__sk_http *h;
    char pin[64];

    if (tg__sk_curl_start(err, errlen) != 0)
        return NULL;
    h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        snprintf(err, errlen, "cannot create a mutex");
        return NULL;
    }
    h->host = host;
    h->no_proxy = url->loopback;
    if (url->pin_localhost) {
        snprintf(pin, sizeof pin, "localhost:%d:127.0.0.1", url->port);
        h->pin = curl_slist_append(NULL, pin);
        if (!h->pin) {
            tg__sk_http_free(h);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    return h;
}

void tg__sk_http_free(tg__sk_http *h)
{
    unsigned i;
    if (!h)
        return;
    for (i = 0; i < h->nfree; i++)
        curl_easy_cleanup(h->free_list[i]);
    curl_slist_free_all(h->pin);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* An idle handle, a new pooled one, or (pool exhausted) a throwaway one so a
 * burst of threads never waits for a handle. */
static CURL *tg__sk_acquire(tg__sk_http *h, int *pooled)
{
    CURL *c = NULL;

    *pooled = 0;
    pthread_mutex_lock(&h->lock);
    if (h->nfree > 0) {
        c = h->free_list[--h->nfree];
        *pooled = 1;
    } else if (h->created < TG__SK_POOL_MAX) {
        h->created++;
        *pooled = 1;
    }
    pthread_mutex_unlock(&h->lock);
    if (c)
        return c;
    c = curl_easy_init();
    if (!c && *pooled) {
        pthread_mutex_lock(&h->lock);
        h->created--;
        pthread_mutex_unlock(&h->lock);
    }
    return c;
}

static void tg__sk_release(tg__sk_http *h, CURL *c, int pooled)
{
    if (!pooled) {
        curl_easy_cleanup(c);
        return;
    }
    pthread_mutex_lock(&h->lock);
    h->free_list[h->nfree++] = c;
    pthread_mutex_unlock(&h->lock);
}

/* ---- one request -------------------------------------------------------- */

void tg__sk_response_clear(tg__sk_response *resp)
{
    if (!resp)
        return;
    if (resp->body) { /* what arrived; the rest of the buffer never held any */
        tg__sk_wipe(resp->body, resp->len + 1);
        free(resp->body);
    }
    memset(resp, 0, sizeof *resp);
}

/* Bytes as they arrive. Growing the buffer copies it and wipes the old one:
 * realloc() would leave the first part of a token answer in freed memory. */
static size_t tg__sk_on_data(char *data, size_t size, size_t nmemb, void *userp)
{
    tg__sk_response *r = userp;
    size_t n = size * nmemb;

    if (n > (size_t)TG__SK_BODY_MAX - r->len) {
        r->net = TG__SK_NET_TOO_LARGE;
        return 0; /* aborts the transfer */
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : TG__SK_BODY_FIRST;
        char *b;
        while (cap < r->len + n + 1)
            cap *= 2;
        if (cap > (size_t)TG__SK_BODY_MAX + 1)
            cap = (size_t)TG__SK_BODY_MAX + 1;
        b = malloc(cap);
        if (!b) {
            r->net = TG__SK_NET_NOMEM;
            return 0;
        }
        if (r->body) {
            memcpy(b, r->body, r->len);
            tg__sk_wipe(r->body, r->len + 1);
            free(r->body);
        }
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Wipe and free a header list: one entry may carry the access token. */
static void tg__sk_headers_free(struct curl_slist *list)
{
    struct curl_slist *p;
    for (p = list; p; p = p->next)
        if (p->data)
            tg__sk_wipe(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

static struct curl_slist *tg__sk_append(struct curl_slist *list, const char *line, int *ok)
{
    struct curl_slist *n;
    if (!*ok)
        return list;
    n = curl_slist_append(list, line);
    if (!n) {
        *ok = 0;
        return list;
    }
    return n;
}

static struct curl_slist *tg__sk_headers(const tg__sk_request *rq)
{
    struct curl_slist *list = NULL;
    char line[128];
    int ok = 1;

    list = tg__sk_append(list, "Accept: application/json", &ok);
    list = tg__sk_append(list, "Expect:", &ok); /* no 100-continue round trip */
    if (rq->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
        list = tg__sk_append(list, line, &ok);
    }
    if (rq->bearer) {
        size_t n = strlen(rq->bearer) + sizeof "Authorization: Bearer ";
        char *auth = malloc(n);
        if (!auth) {
            ok = 0;
        } else {
            snprintf(auth, n, "Authorization: Bearer %s", rq->bearer);
            list = tg__sk_append(list, auth, &ok);
            tg__sk_wipe(auth, n);
            free(auth);
        }
    }
    if (!ok) {
        tg__sk_headers_free(list);
        return NULL;
    }
    return list;
}

/* Set every option of one attempt. 0 when libcurl refuses a required one. */
static int tg__sk_setup(tg__sk_http *h, CURL *c, const tg__sk_request *rq,
                        struct curl_slist *headers, tg__sk_response *resp, char *errbuf,
                        long timeout_ms)
{
    curl_easy_reset(c); /* keeps live connections, drops the last request's options */
    errbuf[0] = '\0';
    if (curl_easy_setopt(c, CURLOPT_URL, rq->url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) !=
            CURLE_OK ||
#endif
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TG__SK_BODY_MAX) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tg__sk_on_data) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)resp) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK)
        return 0;
    (void)curl_easy_setopt(c, CURLOPT_USERAGENT, TG__SK_USER_AGENT);
    (void)curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (h->no_proxy && curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK)
        return 0;
    if (h->pin && curl_easy_setopt(c, CURLOPT_RESOLVE, h->pin) != CURLE_OK)
        return 0;
    if (strcmp(rq->method, "POST") == 0) {
        /* POSTFIELDS, not COPYPOSTFIELDS: libcurl reads our buffer, which the
         * caller wipes, instead of keeping a copy of its own. */
        if (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len) !=
                CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "") != CURLE_OK)
            return 0;
    } else if (curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK) {
        return 0;
    }
    return 1;
}

/* The next backoff delay, or 0 when no attempt fits before the deadline
 * after it. */
static int64_t tg__sk_backoff_ms(int attempt, int64_t now, int64_t deadline_ms)
{
    int64_t delay = TG__SK_BACKOFF_FIRST_MS;
    int i;
    for (i = 1; i < attempt && delay < TG__SK_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > TG__SK_BACKOFF_MAX_MS)
        delay = TG__SK_BACKOFF_MAX_MS;
    /* Equal jitter: half fixed, half random, so retries of many callers spread. */
    delay = delay / 2 + (int64_t)(tg__sk_random() % (uint64_t)(delay / 2 + 1));
    if (deadline_ms - now - delay < TG__SK_RETRY_MIN_LEFT_MS)
        return 0;
    return delay;
}

/* What a failed transfer was. */
static tg__sk_net tg__sk_classify(CURL *c, CURLcode cc, const tg__sk_response *resp)
{
    long os_errno = 0;

    if (resp->net == TG__SK_NET_TOO_LARGE || cc == CURLE_FILESIZE_EXCEEDED)
        return TG__SK_NET_TOO_LARGE;
    if (resp->net == TG__SK_NET_NOMEM || cc == CURLE_OUT_OF_MEMORY)
        return TG__SK_NET_NOMEM;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return TG__SK_NET_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        (void)curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
        return os_errno == ECONNREFUSED ? TG__SK_NET_REFUSED : TG__SK_NET_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
        return TG__SK_NET_RESOLVE;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return TG__SK_NET_CLOSED;
    case CURLE_PARTIAL_FILE:
        return TG__SK_NET_CUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return TG__SK_NET_TLS;
    default:
        return TG__SK_NET_OTHER;
    }
}

/* Words for a log line about an attempt that got no answer. */
static const char *tg__sk_net_words(tg__sk_net net)
{
    switch (net) {
    case TG__SK_NET_OK: return "answered";
    case TG__SK_NET_TIMEOUT: return "timed out";
    case TG__SK_NET_REFUSED: return "connection refused";
    case TG__SK_NET_CONNECT: return "no connection";
    case TG__SK_NET_RESOLVE: return "host name not resolved";
    case TG__SK_NET_CLOSED: return "connection closed without an answer";
    case TG__SK_NET_CUT: return "answer cut short";
    case TG__SK_NET_TOO_LARGE: return "answer too large";
    case TG__SK_NET_TLS: return "TLS failure";
    case TG__SK_NET_NOMEM: return "out of memory";
    case TG__SK_NET_OTHER: return "transfer failed";
    }
    return "failed";
}

/* Keep libcurl's reason (its error buffer, else its text for the code). */
static void tg__sk_keep_detail(CURL *c, tg__sk_response *resp, CURLcode cc, const char *errbuf)
{
    long os_errno = 0;
    if (resp->net == TG__SK_NET_CONNECT &&
        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0)
        (void)strerror_r((int)os_errno, resp->detail, sizeof resp->detail);
    else
        snprintf(resp->detail, sizeof resp->detail, "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

int tg__sk_http_send(tg__sk_http *h, const tg__sk_request *rq, int64_t deadline_ms,
                     tg__sk_response *resp)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *headers;
    int64_t start = tg__sk_http_now_ms(h);
    CURL *c = NULL;
    int pooled = 0, rc;

    memset(resp, 0, sizeof *resp);
    headers = tg__sk_headers(rq);
    if (headers)
        c = tg__sk_acquire(h, &pooled);
    if (!headers || !c) {
        tg__sk_headers_free(headers);
        resp->net = TG__SK_NET_NOMEM;
        snprintf(resp->detail, sizeof resp->detail, "%s",
                 headers ? "cannot create a libcurl handle" : "out of memory");
        return TG_ENOMEM;
    }
    for (;;) {
        int64_t t0 = tg__sk_http_now_ms(h), left = deadline_ms - t0, delay;
        CURLcode cc;
        long status = 0;

        if (left <= 0) {
            resp->net = TG__SK_NET_TIMEOUT;
            rc = TG_ETIMEOUT;
            break;
        }
        if (resp->body) /* a 503 being retried: start the body again */
            tg__sk_wipe(resp->body, resp->len + 1);
        resp->len = 0;
        resp->net = TG__SK_NET_OK;
        resp->status = 0;
        resp->detail[0] = '\0';
        if (!tg__sk_setup(h, c, rq, headers, resp, errbuf, (long)left)) {
            resp->net = TG__SK_NET_OTHER;
            snprintf(resp->detail, sizeof resp->detail,
                     "libcurl refused a required option (too old a libcurl?)");
            rc = TG_EPROVIDER;
            break;
        }
        resp->attempts++;
        cc = curl_easy_perform(c);
        if (cc == CURLE_OK) {
            (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            resp->status = status;
        } else {
            resp->net = tg__sk_classify(c, cc, resp);
            tg__sk_keep_detail(c, resp, cc, errbuf);
        }
        if (tg__sk_log_on(h->host, TG_LOG_DEBUG)) {
            char outcome[32];
            if (resp->net == TG__SK_NET_OK)
                snprintf(outcome, sizeof outcome, "HTTP %ld", status);
            tg__sk_log(h->host, TG_LOG_DEBUG, "%s %s: %s in %lld ms (attempt %d)", rq->method,
                       rq->route,
                       resp->net == TG__SK_NET_OK ? outcome : tg__sk_net_words(resp->net),
                       (long long)(tg__sk_http_now_ms(h) - t0), resp->attempts);
        }
        if ((resp->net == TG__SK_NET_OK && status == 503) || resp->net == TG__SK_NET_REFUSED ||
            resp->net == TG__SK_NET_CONNECT) {
            int64_t now = tg__sk_http_now_ms(h);
            delay = tg__sk_backoff_ms(resp->attempts, now, deadline_ms);
            if (delay > 0) {
                tg__sk_log(h->host, TG_LOG_DEBUG, "%s %s: %s, retrying in %lld ms", rq->method,
                           rq->route, status == 503 ? "HTTP 503" : tg__sk_net_words(resp->net),
                           (long long)delay);
                tg__sk_sleep_until(now + delay);
                continue;
            }
        }
        rc = resp->net == TG__SK_NET_OK        ? TG_OK
             : resp->net == TG__SK_NET_TIMEOUT ? TG_ETIMEOUT
             : resp->net == TG__SK_NET_NOMEM   ? TG_ENOMEM
                                               : TG_EPROVIDER;
        break;
    }
    resp->elapsed_ms = tg__sk_http_now_ms(h) - start;
    /* The handle must not keep pointers into this call's memory. */
    curl_easy_reset(c);
    tg__sk_release(h, c, pooled);
    tg__sk_headers_free(headers);
    if (rc != TG_OK && resp->body) {
        tg__sk_wipe(resp->body, resp->len + 1);
        free(resp->body);
        resp->body = NULL;
        resp->len = resp->cap = 0;
    }
    return rc;
}
