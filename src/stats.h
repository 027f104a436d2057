/*
 * A gate's counters (tg_gate_stats). What every check counts lives in
 * per-thread shards, so a hit writes only its own thread's cache line; the
 * rest (provider calls, events) is rare enough for shared atomics.
 */
#ifndef TG_SRC_STATS_H
#define TG_SRC_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "toolgate/toolgate.h"
#include "rcu.h"

/* A thread with a reader id below this count owns a shard; with more
 * threads checking at once two may share one and a count can be lost. */
#define TG__SHARDS 64

/* A hit counts only its verdict; hits = verdicts - misses - unmapped. */
typedef struct tg__shard {
    _Alignas(TG__CACHE_LINE) _Atomic uint64_t verdicts[4];
    _Atomic uint64_t misses;
    _Atomic uint64_t unmapped;
} tg__shard;

typedef struct tg__stats {
    tg__shard shards[TG__SHARDS];
    _Alignas(TG__CACHE_LINE) _Atomic uint64_t provider_calls;
    _Atomic uint64_t provider_errors;
    _Atomic uint64_t provider_latency[TG_STATS_LATENCY_BUCKETS];
    _Atomic uint64_t provider_latency_us;
    _Atomic int64_t provider_last_ok_ms;
    _Atomic int64_t provider_last_error_ms;
    _Atomic uint64_t events[4];
} tg__stats;

/* The thread owns its shard: a plain load and store, no read-modify-write. */
static inline void tg__count(_Atomic uint64_t *counter)
{
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline tg__shard *tg__shard_of(tg__stats *s, const tg__reader *r)
{
    return &s->shards[r->id % TG__SHARDS];
}

static inline void tg__count_verdict(tg__stats *s, const tg__reader *r, tg_verdict v)
{
    tg__count(&tg__shard_of(s, r)->verdicts[v]);
}

static inline void tg__count_miss(tg__stats *s, const tg__reader *r)
{
    tg__count(&tg__shard_of(s, r)->misses);
}

static inline void tg__count_unmapped(tg__stats *s, const tg__reader *r)
{
    tg__count(&tg__shard_of(s, r)->unmapped);
}

/* A provider call that took @p us microseconds and returned @p rc, at wall
 * time @p wall_ms. */
void tg__stats_provider_call(tg__stats *s, int64_t us, int rc, int64_t wall_ms);

static inline void tg__stats_event(tg__stats *s, int result)
{
    if (result >= 0 && result < 4)
        atomic_fetch_add_explicit(&s->events[result], 1, memory_order_relaxed);
}

/* Fill @p out (already checked: version 1 or 2) from the counters; entries
 * and evictions come from the caller. */
void tg__stats_read(const tg__stats *s, tg_stats *out);

#endif
