/* The running gate and its replacement by a reload. A request holds the gate
 * it started with until it returns, so a reload never frees a gate under a
 * check, a long poll or a webhook: the last request that holds a replaced
 * gate frees it. A gate's counters are added to the running totals at the
 * moment it is freed, under the same lock that takes it off the live list,
 * so /metrics sees every count once and a counter never goes down. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static void serve_stats_add(tg_stats *sum, const tg_stats *s)
{
    size_t i;

    sum->hits += s->hits;
    sum->misses += s->misses;
    sum->provider_calls += s->provider_calls;
    sum->provider_errors += s->provider_errors;
    sum->evictions += s->evictions;
    sum->entries += s->entries;
    for (i = 0; i < 4; i++) {
        sum->verdicts[i] += s->verdicts[i];
        sum->events[i] += s->events[i];
    }
    for (i = 0; i < TG_STATS_LATENCY_BUCKETS; i++)
        sum->provider_latency_buckets[i] += s->provider_latency_buckets[i];
    sum->provider_latency_seconds_sum += s->provider_latency_seconds_sum;
    if (s->provider_last_ok_ms > sum->provider_last_ok_ms)
        sum->provider_last_ok_ms = s->provider_last_ok_ms;
    if (s->provider_last_error_ms > sum->provider_last_error_ms)
        sum->provider_last_error_ms = s->provider_last_error_ms;
    sum->shared_hits += s->shared_hits;
    sum->shared_misses += s->shared_misses;
    sum->shared_errors += s->shared_errors;
    sum->shared_publishes += s->shared_publishes;
    sum->shared_received += s->shared_received;
}

static void serve_stats_of(const tg_gate *gate, tg_stats *out)
{
    tg_stats s = TG_STATS_INIT;

    if (tg_gate_stats(gate, &s) != TG_OK)
        memset(&s, 0, sizeof s);
    *out = s;
}

static serve_gate *serve_gate_new(tg_gate *gate)
{
    serve_gate *g = calloc(1, sizeof *g);

    if (!g) {
        tg_gate_free(gate);
        return NULL;
    }
    g->gate = gate;
    g->refs = 1; /* the current gate's own hold */
    return g;
}

int serve_gates_init(serve_gates *gs, tg_gate *first)
{
    memset(gs, 0, sizeof *gs);
    gs->retired.version = TG_STATS_VERSION;
    gs->current = serve_gate_new(first);
    if (!gs->current)
        return -1;
    gs->live = gs->current;
    pthread_mutex_init(&gs->lock, NULL);
    return 0;
}

void serve_gates_free(serve_gates *gs)
{
    serve_gate *g = gs->live, *next;

    for (; g; g = next) {
        next = g->next;
        tg_gate_free(g->gate);
        free(g);
    }
    gs->live = gs->current = NULL;
    pthread_mutex_destroy(&gs->lock);
}

serve_gate *serve_gates_acquire(serve_gates *gs)
{
    serve_gate *g;

    pthread_mutex_lock(&gs->lock);
    g = gs->current;
    g->refs++;
    pthread_mutex_unlock(&gs->lock);
    return g;
}

/* Drop one hold; the lock is held. Returns the gate to free (the hold was
 * the last one), else NULL. */
static serve_gate *serve_gates_drop_locked(serve_gates *gs, serve_gate *g)
{
    serve_gate **p;
    tg_stats last;

    if (--g->refs > 0)
        return NULL;
    /* No request holds it and it is not current: nothing can check it now. */
    serve_stats_of(g->gate, &last);
    last.entries = 0; /* a gauge, and this gate's cache is going */
    serve_stats_add(&gs->retired, &last);
    for (p = &gs->live; *p; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    return g;
}

void serve_gates_release(serve_gates *gs, serve_gate *g)
{
    serve_gate *gone;

    pthread_mutex_lock(&gs->lock);
    gone = serve_gates_drop_locked(gs, g);
    pthread_mutex_unlock(&gs->lock);
    if (gone) {
        tg_gate_free(gone->gate);
        free(gone);
    }
}

int serve_gates_swap(serve_gates *gs, tg_gate *next)
{
    serve_gate *g = serve_gate_new(next), *old, *gone;

    if (!g)
        return -1;
    pthread_mutex_lock(&gs->lock);
    old = gs->current;
    g->next = gs->live;
    gs->live = g;
    gs->current = g;
    gone = serve_gates_drop_locked(gs, old); /* the old gate's own hold */
    pthread_mutex_unlock(&gs->lock);
    if (gone) {
        tg_gate_free(gone->gate);
        free(gone);
    }
    return 0;
}

serve_gate **serve_gates_acquire_all(serve_gates *gs)
{
    serve_gate **all, *g;
    size_t n = 0, i = 0;

    pthread_mutex_lock(&gs->lock);
    for (g = gs->live; g; g = g->next)
        n++;
    all = calloc(n + 1, sizeof *all);
    if (all) {
        for (g = gs->live; g; g = g->next) {
            g->refs++;
            all[i++] = g;
        }
    }
    pthread_mutex_unlock(&gs->lock);
    return all;
}

void serve_gates_stats(serve_gates *gs, tg_stats *total, tg_stats *current)
{
    serve_gate *g;
    tg_stats s;

    pthread_mutex_lock(&gs->lock);
    *total = gs->retired;
    for (g = gs->live; g; g = g->next) {
        serve_stats_of(g->gate, &s);
        if (g == gs->current)
            *current = s;
        else
            s.entries = 0;
        serve_stats_add(total, &s);
    }
    pthread_mutex_unlock(&gs->lock);
}
