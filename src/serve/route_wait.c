/* GET /v1/wait?connection=&identifier=&timeout_ms=[&format=]: a long poll.
 * It answers the line `toolgate wait` prints (200) as soon as the account is
 * ACTIVE — at once when a webhook or an invalidation reaches this server,
 * else by asking the provider with backoff — or at the timeout with the last
 * status known (null when the provider never answered; the Toolgate-Error
 * header then says what failed). Each wait holds its connection's thread:
 * SERVE_MAX_WAITS at once, so waits cannot take every thread from checks;
 * one more gets 503 with Retry-After. A client that leaves is noticed after
 * the next look at the provider; a shutdown ends every wait within 100 ms. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server.h"

static const char *const serve_wait_args[] = { "connection", "identifier", "timeout_ms",
                                               "format", NULL };

void serve_waits_init(serve_waits *ws)
{
    size_t i;

    memset(ws, 0, sizeof *ws);
    pthread_mutex_init(&ws->lock, NULL);
    for (i = 0; i < SERVE_MAX_WAITS; i++)
        ws->fd[i] = -1;
}

void serve_waits_free(serve_waits *ws)
{
    pthread_mutex_destroy(&ws->lock);
}

void serve_waits_cancel(serve_waits *ws)
{
    size_t i;

    pthread_mutex_lock(&ws->lock);
    ws->closed = 1;
    for (i = 0; i < SERVE_MAX_WAITS; i++)
        if (ws->fd[i] >= 0)
            __atomic_store_n(&ws->cancel[i], 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ws->lock);
}

unsigned serve_waits_count(serve_waits *ws)
{
    unsigned n;

    pthread_mutex_lock(&ws->lock);
    n = ws->count;
    pthread_mutex_unlock(&ws->lock);
    return n;
}

/* A free slot for a wait on socket @p fd; -1 after a 503. */
static int serve_wait_begin(serve_call *c, int fd)
{
    serve_waits *ws = &c->srv->waits;
    int slot = -1, i;

    pthread_mutex_lock(&ws->lock);
    if (!ws->closed) {
        for (i = 0; i < SERVE_MAX_WAITS && slot < 0; i++)
            if (ws->fd[i] < 0)
                slot = i;
        if (slot >= 0) {
            ws->fd[slot] = fd;
            __atomic_store_n(&ws->cancel[slot], 0, __ATOMIC_RELEASE);
            ws->count++;
        }
    }
    pthread_mutex_unlock(&ws->lock);
    if (slot < 0 && ws->closed) {
        serve_reply_error(&c->reply, 503, SERVE_ECODE_SHUTDOWN, "the server is shutting down");
        c->reply.close = 1;
    } else if (slot < 0) {
        serve_reply_error(&c->reply, 503, SERVE_ECODE_BUSY,
                          "%d waits are running already; try again", SERVE_MAX_WAITS);
        c->reply.retry_after_s = 1;
    }
    return slot;
}

static void serve_wait_end(serve_waits *ws, int slot)
{
    pthread_mutex_lock(&ws->lock);
    ws->fd[slot] = -1;
    ws->count--;
    pthread_mutex_unlock(&ws->lock);
}

typedef struct serve_wait_ctx {
    serve_waits *ws;
    int slot;
    int client_gone;
} serve_wait_ctx;

/* After each look at the provider: has the client hung up? */
static void serve_wait_polled(void *ctx, const tg_decision *d, int64_t left_ms)
{
    serve_wait_ctx *w = ctx;
    struct pollfd p;

    (void)d;
    (void)left_ms;
    p.fd = w->ws->fd[w->slot];
    p.events = POLLRDHUP;
    p.revents = 0;
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        w->client_gone = 1;
        __atomic_store_n(&w->ws->cancel[w->slot], 1, __ATOMIC_RELEASE);
    }
}

/* timeout_ms: digits, at most SERVE_WAIT_MAX_MS. -1 after a 400. */
static int serve_wait_timeout(serve_call *c, const char *text, int64_t *ms)
{
    int64_t v = 0;
    size_t i;

    *ms = SERVE_WAIT_DEFAULT_MS;
    if (!text)
        return 0;
    for (i = 0; text[i]; i++) {
        if (text[i] < '0' || text[i] > '9' || i >= 9)
            break;
        v = v * 10 + (text[i] - '0');
    }
    if (i == 0 || text[i] || v > SERVE_WAIT_MAX_MS) {
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "query argument \"timeout_ms\" must be an integer from 0 to %d",
                          SERVE_WAIT_MAX_MS);
        return -1;
    }
    *ms = v;
    return 0;
}

void serve_route_wait(serve_call *c)
{
    tg_wait_options opts = TG_WAIT_OPTIONS_INIT;
    serve_wait_ctx ctx;
    const char *v[4];
    tg_format format;
    serve_gate *g;
    int rc;

    if (serve_query(c, serve_wait_args, v) != 0)
        return;
    if (!v[0] || !v[1]) {
        serve_reply_error(&c->reply, 400, "EINVAL", "missing query argument \"%s\"",
                          v[0] ? "identifier" : "connection");
        return;
    }
    if (serve_wait_timeout(c, v[2], &opts.timeout_ms) != 0 ||
        serve_query_format(c, v[3], &format) != 0)
        return;
    ctx.ws = &c->srv->waits;
    ctx.client_gone = 0;
    ctx.slot = serve_wait_begin(c, c->sc->fd);
    if (ctx.slot < 0)
        return;
    opts.cancel = &c->srv->waits.cancel[ctx.slot];
    opts.on_poll = serve_wait_polled;
    opts.ctx = &ctx;

    g = serve_gates_acquire(&c->srv->gates);
    rc = tg_gate_wait(g->gate, v[0], v[1], &opts, c->sc->decision);
    if (rc == TG_OK || rc == TG_EPROVIDER) {
        serve_reply_line(&c->reply, format == TG_FORMAT_TEXT ? SERVE_TYPE_TEXT : SERVE_TYPE_JSON,
                         cli_render_status(v[0], v[1], c->sc->decision, format));
        serve_reply_decision_headers(&c->reply, c->sc->decision);
        if (rc == TG_EPROVIDER)
            serve_reply_why(&c->reply, tg_error_message());
    } else if (rc == TG_ECANCELED && !ctx.client_gone) {
        serve_reply_error(&c->reply, 503, SERVE_ECODE_SHUTDOWN, "the server is shutting down");
        c->reply.close = 1;
    } else if (rc == TG_ECANCELED) {
        serve_reply_error(&c->reply, 503, serve_error_code(rc), "the client left");
        c->reply.close = 1;
    } else {
        serve_reply_failure(&c->reply, rc);
    }
    serve_gates_release(&c->srv->gates, g);
    serve_wait_end(&c->srv->waits, ctx.slot);
}
