/*
 * The subscriber: one thread per tier, subscribed to the channel on its own
 * connection, delivering what other gates publish to the sink.
 *
 * - Up: after Redis confirmed the SUBSCRIBE; sink->subscribed(1). Lost: on
 *   EOF, reset, a protocol error, or silence — after TG__RD_HEARTBEAT_MS
 *   without a byte it sends PING, and without the answer within
 *   max(timeout_ms, TG__RD_HEARTBEAT_MS) the connection is given up (a
 *   paused or unreachable Redis); sink->subscribed(0), once per loss.
 * - Reconnects with exponential backoff (TG__RD_BACKOFF_MIN_MS doubling to
 *   TG__RD_BACKOFF_MAX_MS, each wait drawn from its upper half), started
 *   afresh after each success. The connect and the SUBSCRIBE are bounded
 *   like the heartbeat.
 * - Messages: strictly decoded (redis_codec.h); a bad one is logged (at most
 *   one line a second, with the count of those not shown) and skipped; this
 *   tier's own are dropped. A message larger than TG__RD_SUB_BUFFER_MAX is
 *   read past without being held, and logged.
 * - Stops promptly: destroy writes to a pipe every wait polls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redis_tier.h"

#define TG__RD_HEARTBEAT_MS 1000
#define TG__RD_BACKOFF_MIN_MS 100
#define TG__RD_BACKOFF_MAX_MS 5000
#define TG__RD_SUB_BUFFER_MAX (16 * 1024) /* bytes of a reply held while read */
#define TG__RD_WHYLEN 256

struct tg__rd_sub {
    tg__rd_tier *t;
    tg__shared_sink sink;
    pthread_t thread;
    int stop_pipe[2];
    atomic_int up;
    uint64_t rng;
    /* Bad messages: when the last line was logged, how many since. */
    int64_t bad_logged_ms;
    unsigned long bad_unlogged;
};

static void tg__rd_log(const tg__rd_sub *s, tg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tg__rd_log(const tg__rd_sub *s, tg_log_level level, const char *fmt, ...)
{
    const tg_host *h = s->t->host;
    char line[512];
    va_list ap;

    if (h->struct_size < offsetof(tg_host, log_enabled) + sizeof h->log_enabled ||
        !h->log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    h->log(level, "shared tier: %s", line);
}

static uint64_t tg__rd_rand(tg__rd_sub *s)
{
    /* xorshift64*: jitter only. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

/* Wait @p ms or until stopped. 1 when stopped. */
static int tg__rd_sleep(tg__rd_sub *s, int64_t ms)
{
    int64_t until = s->t->host->mono_ms() + ms;

    for (;;) {
        int64_t left = until - s->t->host->mono_ms();
        struct pollfd p;
        int r;

        if (left <= 0)
            return 0;
        p.fd = s->stop_pipe[0];
        p.events = POLLIN;
        p.revents = 0;
        r = poll(&p, 1, (int)left);
        if (r > 0 || (r < 0 && errno != EINTR))
            return 1;
    }
}

static int64_t tg__rd_sub_timeout(const tg__rd_sub *s)
{
    return s->t->cfg.timeout_ms > TG__RD_HEARTBEAT_MS ? s->t->cfg.timeout_ms
                                                      : TG__RD_HEARTBEAT_MS;
}

static void tg__rd_bad_message(tg__rd_sub *s, const char *why)
{
    int64_t now = s->t->host->mono_ms();

    if (s->bad_logged_ms != 0 && now - s->bad_logged_ms < 1000) {
        s->bad_unlogged++;
        return;
    }
    if (s->bad_unlogged)
        tg__rd_log(s, TG_LOG_WARN, "skipped a bad message on %s: %s (and %lu more not shown)",
                   s->t->channel, why, s->bad_unlogged);
    else
        tg__rd_log(s, TG_LOG_WARN, "skipped a bad message on %s: %s", s->t->channel, why);
    s->bad_logged_ms = now;
    s->bad_unlogged = 0;
}

static int tg__rd_is(const redisReply *r, const char *s)
{
    size_t n = strlen(s);
    return r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, s, n) == 0;
}

/* One push on the subscribed connection: a message, a pong, a confirmation. */
static void tg__rd_sub_reply(tg__rd_sub *s, const redisReply *r)
{
    const tg_host *h = s->t->host;
    char origin[TG__RD_ORIGIN_LEN + 1], why[TG__RD_WHYLEN];
    tg__shared_change c;

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        return;
    if (!tg__rd_is(r->element[0], "message"))
        return; /* "pong", "subscribe" */
    if (r->elements != 3 || !tg__rd_is(r->element[1], s->t->channel) ||
        r->element[2]->type != REDIS_REPLY_STRING) {
        tg__rd_bad_message(s, "not a message of the channel");
        return;
    }
    /* This tier's own: dropped before the work of decoding. */
    if (r->element[2]->len > 5 + TG__RD_ORIGIN_LEN &&
        memcmp(r->element[2]->str + 5, s->t->origin, TG__RD_ORIGIN_LEN) == 0)
        return;
    if (tg__rd_message_decode(r->element[2]->str, r->element[2]->len, origin, &c, why,
                              sizeof why) != 0) {
        tg__rd_bad_message(s, why);
        return;
    }
    if ((c.connection[0] && !h->valid_connection(c.connection)) ||
        (c.identifier[0] && !h->valid_identifier(c.identifier))) {
        tg__rd_bad_message(s, "a message naming an invalid account");
        return;
    }
    s->sink.change(s->sink.ctx, &c);
}

/* Connect and subscribe. TG_OK with *out; else the failure and its why. */
static int tg__rd_sub_connect(tg__rd_sub *s, redisContext **out, char *why, size_t whycap)
{
    tg__rd_wait w;
    const char *argv[2] = { "SUBSCRIBE", s->t->channel };
    size_t lens[2] = { 9, strlen(s->t->channel) };
    redisContext *c = NULL;
    int rc;

    w.host = s->t->host;
    w.deadline_ms = w.host->mono_ms() + tg__rd_sub_timeout(s);
    w.stop_fd = s->stop_pipe[0];
    *out = NULL;
    rc = tg__rd_connect(&s->t->cfg, 0, &w, &c, why, whycap);
    if (rc != TG_OK)
        return rc;
    rc = tg__rd_send(c, 2, argv, lens, &w, why, whycap);
    while (rc == TG_OK) {
        redisReply *r = NULL;
        rc = tg__rd_recv(c, TG__RD_SUB_BUFFER_MAX, &w, &r, why, whycap);
        if (rc != TG_OK)
            break;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            tg__rd_is(r->element[0], "subscribe") && tg__rd_is(r->element[1], s->t->channel)) {
            freeReplyObject(r);
            *out = c;
            return TG_OK;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            char ex[160];
            s->t->host->excerpt(r->str, r->len, 120, ex, sizeof ex);
            snprintf(why, whycap, "SUBSCRIBE refused: %s", ex);
            rc = TG_EPROVIDER;
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return rc == TG_EBUFS ? TG_EPROVIDER : rc;
}

/* Read the subscribed connection until it is lost or stopped. */
static int tg__rd_sub_listen(tg__rd_sub *s, redisContext *c, char *why, size_t whycap)
{
    const char *ping[1] = { "PING" };
    size_t ping_len[1] = { 4 };
    const tg_host *h = s->t->host;
    int64_t last_rx = h->mono_ms(), ping_at = 0;

    for (;;) {
        tg__rd_wait w;
        redisReply *r = NULL;
        size_t dropped = 0;
        int rc;

        w.host = h;
        w.stop_fd = s->stop_pipe[0];
        w.deadline_ms = ping_at ? ping_at + tg__rd_sub_timeout(s) : last_rx + TG__RD_HEARTBEAT_MS;
        rc = tg__rd_recv(c, TG__RD_SUB_BUFFER_MAX, &w, &r, why, whycap);
        switch (rc) {
        case TG_OK:
            tg__rd_sub_reply(s, r);
            freeReplyObject(r);
            last_rx = h->mono_ms();
            ping_at = 0;
            break;
        case TG_ETIMEOUT:
            if (ping_at) {
                snprintf(why, whycap, "no answer to PING within %lld ms",
                         (long long)tg__rd_sub_timeout(s));
                return TG_ETIMEOUT;
            }
            ping_at = h->mono_ms();
            w.deadline_ms = ping_at + tg__rd_sub_timeout(s);
            rc = tg__rd_send(c, 1, ping, ping_len, &w, why, whycap);
            if (rc != TG_OK)
                return rc;
            break;
        case TG_EBUFS:
            w.deadline_ms = h->mono_ms() + tg__rd_sub_timeout(s);
            rc = tg__rd_skip_bulk(c, &w, &dropped, why, whycap);
            if (rc != TG_OK)
                return rc;
            {
                char line[96];
                snprintf(line, sizeof line, "a message of %zu bytes (at most %d are read)",
                         dropped, TG__RD_SUB_BUFFER_MAX);
                tg__rd_bad_message(s, line);
            }
            last_rx = h->mono_ms();
            ping_at = 0;
            break;
        default:
            return rc;
        }
    }
}

static void *tg__rd_sub_main(void *arg)
{
    tg__rd_sub *s = arg;
    int64_t backoff = 0;
    int warned = 0;
    char why[TG__RD_WHYLEN];

    for (;;) {
        redisContext *c = NULL;
        int rc;

        if (backoff > 0) {
            int64_t wait = backoff / 2 + (int64_t)(tg__rd_rand(s) % (uint64_t)(backoff / 2 + 1));
            if (tg__rd_sleep(s, wait))
                break;
        }
        rc = tg__rd_sub_connect(s, &c, why, sizeof why);
        if (rc == TG_ECANCELED)
            break;
        if (rc != TG_OK) {
            tg__rd_log(s, warned ? TG_LOG_DEBUG : TG_LOG_WARN,
                       "cannot subscribe to %s on Redis at %s: %s; retrying with backoff",
                       s->t->channel, s->t->cfg.where, why);
            warned = 1;
            backoff = backoff ? 2 * backoff : TG__RD_BACKOFF_MIN_MS;
            if (backoff > TG__RD_BACKOFF_MAX_MS)
                backoff = TG__RD_BACKOFF_MAX_MS;
            continue;
        }
        backoff = 0;
        warned = 0;
        atomic_store(&s->up, 1);
        tg__rd_log(s, TG_LOG_INFO, "subscribed to %s on Redis at %s", s->t->channel,
                   s->t->cfg.where);
        s->sink.subscribed(s->sink.ctx, 1);
        rc = tg__rd_sub_listen(s, c, why, sizeof why);
        redisFree(c);
        atomic_store(&s->up, 0);
        if (rc == TG_ECANCELED)
            break;
        tg__rd_log(s, TG_LOG_WARN, "lost the subscription to %s on Redis at %s: %s; "
                                   "reconnecting",
                   s->t->channel, s->t->cfg.where, why);
        s->sink.subscribed(s->sink.ctx, 0);
        backoff = TG__RD_BACKOFF_MIN_MS;
    }
    return NULL;
}

int tg__rd_sub_start(tg__rd_tier *t, const tg__shared_sink *sink, tg__rd_sub **out)
{
    tg__rd_sub *s = calloc(1, sizeof *s);
    int i;

    *out = NULL;
    if (!s)
        return TG_ENOMEM;
    s->t = t;
    s->sink = *sink;
    atomic_init(&s->up, 0);
    for (i = 0; i < 16; i++) /* the origin is random: seed the jitter from it */
        s->rng = s->rng * 31 + (unsigned char)t->origin[i];
    s->rng |= 1;
    if (pipe(s->stop_pipe) != 0) {
        free(s);
        return TG_ENOMEM;
    }
    for (i = 0; i < 2; i++)
        (void)fcntl(s->stop_pipe[i], F_SETFD, FD_CLOEXEC);
    if (pthread_create(&s->thread, NULL, tg__rd_sub_main, s) != 0) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        free(s);
        return TG_ENOMEM;
    }
    *out = s;
    return TG_OK;
}

void tg__rd_sub_stop(tg__rd_sub *s)
{
    ssize_t n;

    if (!s)
        return;
    do
        n = write(s->stop_pipe[1], "x", 1);
    while (n < 0 && errno == EINTR);
    pthread_join(s->thread, NULL);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    free(s);
}

int tg__rd_sub_up(const tg__rd_sub *s)
{
    return atomic_load(&((tg__rd_sub *)s)->up);
}
