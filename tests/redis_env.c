/* Test helper: the Redis tier's instances; see redis_env.h. */
#include "redis_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin.h"
#include "toolgate/toolgate.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */

int64_t rnow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rsink_change(void *ctx, const tg__shared_change *c)
{
    rsink *s = ctx;
    pthread_mutex_lock(&s->m);
    if (s->n_changes < RSINK_MAX)
        s->changes[s->n_changes++] = *c;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->m);
}

static void rsink_subscribed(void *ctx, int up)
{
    rsink *s = ctx;
    pthread_mutex_lock(&s->m);
    if (up)
        s->ups++;
    else
        s->downs++;
    s->up = up;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->m);
}

void rsink_init(rsink *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->m, NULL);
    pthread_cond_init(&s->cv, NULL);
}

void rsink_destroy(rsink *s)
{
    pthread_mutex_destroy(&s->m);
    pthread_cond_destroy(&s->cv);
}

tg__shared_sink rsink_sink(rsink *s)
{
    tg__shared_sink k;
    k.change = rsink_change;
    k.subscribed = rsink_subscribed;
    k.ctx = s;
    return k;
}

int rsink_count(rsink *s)
{
    int n;
    pthread_mutex_lock(&s->m);
    n = s->n_changes;
    pthread_mutex_unlock(&s->m);
    return n;
}

int rsink_ups(rsink *s)
{
    int n;
    pthread_mutex_lock(&s->m);
    n = s->ups;
    pthread_mutex_unlock(&s->m);
    return n;
}

int rsink_downs(rsink *s)
{
    int n;
    pthread_mutex_lock(&s->m);
    n = s->downs;
    pthread_mutex_unlock(&s->m);
    return n;
}

/* Wait on the sink's condition until @p ok or the time is up. */
static int rsink_wait(rsink *s, int timeout_ms, int (*ok)(rsink *, int, int), int a, int b)
{
    int64_t until = rnow() + timeout_ms;
    int rc = -1;

    pthread_mutex_lock(&s->m);
    for (;;) {
        struct timespec ts;
        if (ok(s, a, b)) {
            rc = 0;
            break;
        }
        if (rnow() >= until)
            break;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->m, &ts);
    }
    pthread_mutex_unlock(&s->m);
    return rc;
}

static int rsink_has_change(rsink *s, int i, int unused)
{
    (void)unused;
    return s->n_changes > i;
}

static int rsink_is_up(rsink *s, int up, int calls)
{
    return s->up == up && (up ? s->ups : s->downs) >= calls;
}

int rsink_wait_change(rsink *s, int i, int timeout_ms, tg__shared_change *out)
{
    if (rsink_wait(s, timeout_ms, rsink_has_change, i, 0) != 0)
        return -1;
    pthread_mutex_lock(&s->m);
    *out = s->changes[i];
    pthread_mutex_unlock(&s->m);
    return 0;
}

int rsink_wait_up(rsink *s, int up, int calls, int timeout_ms)
{
    return rsink_wait(s, timeout_ms, rsink_is_up, up, calls);
}

#define RTIER_MAX 16

/* The tiers open, by state: what rtier_close_all() stops. */
static struct {
    const tg__shared_tier *tier;
    void *state;
    rsink *sink;
} rtier_open_list[RTIER_MAX];

int rtier_open_json(rtier *t, const char *json)
{
    tg__shared_sink k;
    int rc, i;

    memset(t, 0, sizeof *t);
    t->tier = tg__shared_tier_find("redis", NULL);
    if (!t->tier)
        return TG_ENOTSUP;
    for (i = 0; i < RTIER_MAX && rtier_open_list[i].state; i++)
        ;
    t->sink = calloc(1, sizeof *t->sink);
    if (i == RTIER_MAX || !t->sink) {
        free(t->sink);
        t->tier = NULL;
        return TG_ENOMEM;
    }
    rsink_init(t->sink);
    k = rsink_sink(t->sink);
    rc = t->tier->create(tg__host(), json, &k, &t->state);
    if (rc != TG_OK) {
        rsink_destroy(t->sink);
        free(t->sink);
        t->sink = NULL;
        t->tier = NULL;
        return rc;
    }
    rtier_open_list[i].tier = t->tier;
    rtier_open_list[i].state = t->state;
    rtier_open_list[i].sink = t->sink;
    return TG_OK;
}

int rtier_open(rtier *t, const tg_redis *r, const char *prefix, int timeout_ms)
{
    char json[512];
    snprintf(json, sizeof json, "{\"url\":\"%s\",\"prefix\":\"%s\",\"timeout_ms\":%d}", r->url,
             prefix, timeout_ms);
    return rtier_open_json(t, json);
}

static void rtier_close_at(int i)
{
    rtier_open_list[i].tier->destroy(rtier_open_list[i].state);
    rsink_destroy(rtier_open_list[i].sink);
    free(rtier_open_list[i].sink);
    memset(&rtier_open_list[i], 0, sizeof rtier_open_list[i]);
}

void rtier_close(rtier *t)
{
    int i;

    for (i = 0; t->state && i < RTIER_MAX; i++)
        if (rtier_open_list[i].state == t->state)
            rtier_close_at(i);
    t->tier = NULL;
    t->state = NULL;
    t->sink = NULL;
}

void rtier_close_all(void)
{
    int i;
    for (i = 0; i < RTIER_MAX; i++)
        if (rtier_open_list[i].state)
            rtier_close_at(i);
}

int rtier_wait_subscribed(rtier *t)
{
    return rsink_wait_up(t->sink, 1, 1, 10000);
}

/* ---- the log ---------------------------------------------------------------- */

static pthread_mutex_t rlog_m = PTHREAD_MUTEX_INITIALIZER;
static char rlog_buf[64 * 1024];
static size_t rlog_len;

static void rlog_line(void *ctx, tg_log_level level, const char *message)
{
    size_t n = strlen(message);
    (void)ctx;
    (void)level;
    pthread_mutex_lock(&rlog_m);
    if (rlog_len + n + 2 < sizeof rlog_buf) {
        memcpy(rlog_buf + rlog_len, message, n);
        rlog_len += n;
        rlog_buf[rlog_len++] = '\n';
        rlog_buf[rlog_len] = '\0';
    }
    pthread_mutex_unlock(&rlog_m);
}

void rlog_capture(void)
{
    rlog_clear();
    tg_log_set(TG_LOG_DEBUG, rlog_line, NULL);
}

void rlog_clear(void)
{
    pthread_mutex_lock(&rlog_m);
    rlog_len = 0;
    rlog_buf[0] = '\0';
    pthread_mutex_unlock(&rlog_m);
}

int rlog_has(const char *needle)
{
    int has;
    pthread_mutex_lock(&rlog_m);
    has = strstr(rlog_buf, needle) != NULL;
    pthread_mutex_unlock(&rlog_m);
    return has;
}

const char *rlog_text(void)
{
    return rlog_buf;
}

/* ---- records ---------------------------------------------------------------- */

tg__shared_record rrec_answer(tg_status st, int64_t asof)
{
    tg__shared_record r;
    memset(&r, 0, sizeof r);
    r.has_status = 1;
    r.status = st;
    r.asof_ms = asof;
    r.expires_ms = asof + 60000;
    r.event_ms = TG__NO_EVENT;
    if (st != TG_STATUS_ACTIVE) {
        snprintf(r.link, sizeof r.link, "https://connect.example.com/a?t=%lld", (long long)asof);
        r.link_expires_ms = asof + 600000;
    }
    return r;
}

tg__shared_record rrec_event(tg_status st, int64_t ev)
{
    tg__shared_record r;
    memset(&r, 0, sizeof r);
    r.has_status = 1;
    r.status = st;
    r.asof_ms = 0;
    r.event_ms = ev;
    r.expires_ms = ev + 60000;
    return r;
}

tg__shared_record rrec_tomb(int64_t ev)
{
    tg__shared_record r;
    memset(&r, 0, sizeof r);
    r.has_status = 0;
    r.event_ms = ev;
    return r;
}
