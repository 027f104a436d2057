/* Connections, and the deadline that keeps slow and idle clients from
 * holding the server. libmicrohttpd's own timeout counts silence only: a
 * client that sends one byte a second is never silent. So every connection
 * that has no request being answered must deliver a whole request within
 * SERVE_CLIENT_TIMEOUT_S of its last answer (or of connecting); a reaper
 * thread shuts down the socket of one that does not, which ends its thread
 * at once. A request being answered is never cut: its route bounds it.
 *
 * The registry lock orders the reaper against the close: libmicrohttpd tells
 * us a connection is closed before it closes the socket, and both that
 * notice and the reaper's shutdown() run under the lock, so the reaper never
 * shuts down a descriptor that has been reused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server.h"

#define SERVE_REAP_EVERY_MS 250

static int64_t serve_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void serve_deadline(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *serve_reaper(void *arg)
{
    serve_conns *cs = arg;
    struct timespec until;
    serve_conn *c;

    pthread_mutex_lock(&cs->lock);
    while (!cs->stopping) {
        int64_t now = serve_mono_ms();
        for (c = cs->head; c; c = c->next) {
            if (c->busy || c->cut || now - c->idle_since_ms < SERVE_CLIENT_TIMEOUT_S * 1000)
                continue;
            c->cut = 1;
            shutdown(c->fd, SHUT_RDWR);
            atomic_fetch_add_explicit(&cs->metrics->clients_timed_out, 1, memory_order_relaxed);
        }
        serve_deadline(&until, SERVE_REAP_EVERY_MS);
        pthread_cond_timedwait(&cs->stop, &cs->lock, &until);
    }
    pthread_mutex_unlock(&cs->lock);
    return NULL;
}

int serve_conns_start(serve_conns *cs, serve_metrics *m)
{
    pthread_condattr_t attr;

    memset(cs, 0, sizeof *cs);
    cs->metrics = m;
    if (pthread_mutex_init(&cs->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&cs->stop, &attr) != 0) {
        pthread_mutex_destroy(&cs->lock);
        return -1;
    }
    if (pthread_cond_init(&cs->quiet, &attr) != 0) {
        pthread_cond_destroy(&cs->stop);
        pthread_mutex_destroy(&cs->lock);
        return -1;
    }
    pthread_condattr_destroy(&attr);
    if (pthread_create(&cs->reaper, NULL, serve_reaper, cs) != 0) {
        pthread_cond_destroy(&cs->quiet);
        pthread_cond_destroy(&cs->stop);
        pthread_mutex_destroy(&cs->lock);
        return -1;
    }
    cs->reaper_started = 1;
    return 0;
}

void serve_conns_stop(serve_conns *cs)
{
    serve_conn *c, *next;

    if (cs->reaper_started) {
        pthread_mutex_lock(&cs->lock);
        cs->stopping = 1;
        pthread_cond_signal(&cs->stop);
        pthread_mutex_unlock(&cs->lock);
        pthread_join(cs->reaper, NULL);
        cs->reaper_started = 0;
    }
    /* Normally empty: the daemon has closed every connection. */
    for (c = cs->head; c; c = next) {
        next = c->next;
        tg_decision_free(c->decision);
        free(c);
    }
    cs->head = NULL;
    pthread_cond_destroy(&cs->quiet);
    pthread_cond_destroy(&cs->stop);
    pthread_mutex_destroy(&cs->lock);
}

serve_conn *serve_conn_opened(serve_conns *cs, int fd)
{
    serve_conn *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->fd = fd;
    pthread_mutex_lock(&cs->lock);
    c->idle_since_ms = serve_mono_ms();
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->open++;
    pthread_mutex_unlock(&cs->lock);
    return c;
}

void serve_conn_closed(serve_conns *cs, serve_conn *c)
{
    pthread_mutex_lock(&cs->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cs->open--;
    if (c->busy && --cs->busy == 0 && cs->draining)
        pthread_cond_signal(&cs->quiet);
    pthread_mutex_unlock(&cs->lock);
    tg_decision_free(c->decision);
    free(c);
}

void serve_conn_busy(serve_conns *cs, serve_conn *c)
{
    pthread_mutex_lock(&cs->lock);
    if (!c->busy) {
        c->busy = 1;
        cs->busy++;
    }
    pthread_mutex_unlock(&cs->lock);
}

void serve_conn_idle(serve_conns *cs, serve_conn *c)
{
    pthread_mutex_lock(&cs->lock);
    c->idle_since_ms = serve_mono_ms();
    if (c->busy) {
        c->busy = 0;
        /* Only a drain waits for this; a wake-up per request would cost a
         * context switch per request. */
        if (--cs->busy == 0 && cs->draining)
            pthread_cond_signal(&cs->quiet);
    }
    pthread_mutex_unlock(&cs->lock);
}

unsigned serve_conns_drain(serve_conns *cs, int64_t ms)
{
    struct timespec until;
    unsigned left;

    serve_deadline(&until, ms);
    pthread_mutex_lock(&cs->lock);
    cs->draining = 1;
    while (cs->busy > 0) {
        if (pthread_cond_timedwait(&cs->quiet, &cs->lock, &until) == ETIMEDOUT)
            break;
    }
    cs->draining = 0;
    left = cs->busy;
    pthread_mutex_unlock(&cs->lock);
    return left;
}

unsigned serve_conns_count(serve_conns *cs)
{
    unsigned n;

    pthread_mutex_lock(&cs->lock);
    n = cs->open;
    pthread_mutex_unlock(&cs->lock);
    return n;
}
