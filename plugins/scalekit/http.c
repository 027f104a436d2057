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
#include "http.h"
#include "wire.h"

#define TG__SK_BACKOFF_FIRST_MS 50   /* first retry delay, before jitter */
#define TG__SK_BACKOFF_MAX_MS 1000   /* longest retry delay */
#define TG__SK_RETRY_MIN_LEFT_MS 20  /* time an attempt needs after a delay */
#define TG__SK_USER_AGENT "toolgate-scalekit/" TG_VERSION_STRING

struct tg__sk_http {
    pthread_mutex_t lock;             /* guards free_list, nfree, created */
    CURL *free_list[TG__SK_POOL_MAX]; /* idle handles, last used on top */
    unsigned nfree;
    unsigned created;                 /* pooled handles alive, idle or in use */
    int no_proxy;
};

/* ---- process-wide libcurl start ------------------------------------------
 * curl_global_init() must run once before any other libcurl call and, before
 * libcurl 7.84, not concurrently with anything else in libcurl. pthread_once
 * gives both for our own calls. It is never undone: the process (or another
 * library in it) may still use libcurl after our last provider is gone. */

static pthread_once_t tg__sk_curl_once = PTHREAD_ONCE_INIT;
static CURLcode tg__sk_curl_init_rc = CURLE_FAILED_INIT;

static void tg__sk_curl_init(void)
{
    tg__sk_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int64_t tg__sk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

tg__sk_http *tg__sk_http_new(int no_proxy, char *err, size_t errlen)
{
    tg__sk_http *h;

    pthread_once(&tg__sk_curl_once, tg__sk_curl_init);
    if (tg__sk_curl_init_rc != CURLE_OK) {
        snprintf(err, errlen, "libcurl failed to start: %s",
                 curl_easy_strerror(tg__sk_curl_init_rc));
        return NULL;
    }
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
    h->no_proxy = no_proxy;
    return h;
}

void tg__sk_http_free(tg__sk_http *h)
{
    unsigned i;
    if (!h)
        return;
    for (i = 0; i < h->nfree; i++)
        curl_easy_cleanup(h->free_list[i]);
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
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

static size_t tg__sk_on_data(char *data, size_t size, size_t nmemb, void *userp)
{
    tg__sk_response *r = userp;
    size_t n = size * nmemb;

    if (n > (size_t)TG__SK_BODY_MAX - r->len) {
        r->too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        char *b;
        while (cap < r->len + n + 1)
            cap *= 2;
        if (cap > (size_t)TG__SK_BODY_MAX + 1)
            cap = (size_t)TG__SK_BODY_MAX + 1;
        b = realloc(r->body, cap);
        if (!b)
            return 0;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static void tg__sk_wipe(char *s, size_t n)
{
    volatile char *p = s;
    while (n--)
        *p++ = '\0';
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
    if (strcmp(rq->method, "POST") == 0) {
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

/* Sleep the next backoff delay if an attempt still fits before the deadline
 * afterwards. Returns 0 (no sleep) when it does not. */
static int tg__sk_backoff(int attempt, int64_t deadline_ms)
{
    int64_t delay = TG__SK_BACKOFF_FIRST_MS, now = tg__sk_now_ms();
    int i;
    for (i = 1; i < attempt && delay < TG__SK_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > TG__SK_BACKOFF_MAX_MS)
        delay = TG__SK_BACKOFF_MAX_MS;
    /* Equal jitter: half fixed, half random, so retries of many callers spread. */
    delay = delay / 2 + (int64_t)(tg__sk_random() % (uint64_t)(delay / 2 + 1));
    if (deadline_ms - now - delay < TG__SK_RETRY_MIN_LEFT_MS)
        return 0;
    tg__sk_sleep_until(now + delay);
    return 1;
}

static const char *tg__sk_curl_reason(CURLcode cc, const char *errbuf)
{
    return errbuf[0] ? errbuf : curl_easy_strerror(cc);
}

int tg__sk_http_send(tg__sk_http *h, const tg__sk_request *rq, int64_t deadline_ms,
                     tg__sk_response *resp, char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *headers;
    CURL *c;
    int pooled, rc;

    memset(resp, 0, sizeof *resp);
    headers = tg__sk_headers(rq);
    if (!headers) {
        snprintf(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    c = tg__sk_acquire(h, &pooled);
    if (!c) {
        tg__sk_headers_free(headers);
        snprintf(err, errlen, "cannot create a libcurl handle");
        return TG_ENOMEM;
    }
    for (;;) {
        int64_t left = deadline_ms - tg__sk_now_ms();
        CURLcode cc;
        long status = 0;

        if (left <= 0) {
            snprintf(err, errlen, "timed out%s", resp->attempts > 1 ? " while retrying" : "");
            rc = TG_ETIMEOUT;
            break;
        }
        resp->len = 0;
        resp->too_large = 0;
        resp->status = 0;
        if (!tg__sk_setup(h, c, rq, headers, resp, errbuf, (long)left)) {
            snprintf(err, errlen, "libcurl refused a required option (too old a libcurl?)");
            rc = TG_EPROVIDER;
            break;
        }
        resp->attempts++;
        cc = curl_easy_perform(c);
        if (cc == CURLE_OK) {
            (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            resp->status = status;
            if (status == 503 && tg__sk_backoff(resp->attempts, deadline_ms))
                continue;
            rc = TG_OK;
            break;
        }
        if (resp->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(err, errlen, "the answer is larger than %d bytes", TG__SK_BODY_MAX);
            rc = TG_EPROVIDER;
            break;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            snprintf(err, errlen, "timed out%s", resp->attempts > 1 ? " while retrying" : "");
            rc = TG_ETIMEOUT;
            break;
        }
        if (cc == CURLE_WRITE_ERROR) { /* our callback refused: out of memory */
            snprintf(err, errlen, "out of memory");
            rc = TG_ENOMEM;
            break;
        }
        if (cc == CURLE_COULDNT_CONNECT && tg__sk_backoff(resp->attempts, deadline_ms))
            continue;
        if (resp->attempts > 1)
            snprintf(err, errlen, "%s (after %d attempts)", tg__sk_curl_reason(cc, errbuf),
                     resp->attempts);
        else
            snprintf(err, errlen, "%s", tg__sk_curl_reason(cc, errbuf));
        rc = TG_EPROVIDER;
        break;
    }
    /* The handle must not keep pointers into this call's memory. */
    curl_easy_reset(c);
    tg__sk_release(h, c, pooled);
    tg__sk_headers_free(headers);
    if (rc != TG_OK)
        tg__sk_response_clear(resp);
    return rc;
}
