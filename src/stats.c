/* A gate's counters (stats.h) and tg_gate_stats. */
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "gate.h"
#include "stats.h"

void tg__stats_provider_call(tg__stats *s, int64_t us, int rc, int64_t wall_ms)
{
    static const double bounds[] = TG_STATS_LATENCY_BOUNDS;
    double secs = (double)us / 1e6;
    size_t b = 0;

    while (b < sizeof bounds / sizeof bounds[0] && secs > bounds[b])
        b++;
    atomic_fetch_add_explicit(&s->provider_calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->provider_latency[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->provider_latency_us, (uint64_t)(us > 0 ? us : 0),
                              memory_order_relaxed);
    if (rc == TG_OK) {
        atomic_store_explicit(&s->provider_last_ok_ms, wall_ms, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&s->provider_errors, 1, memory_order_relaxed);
        atomic_store_explicit(&s->provider_last_error_ms, wall_ms, memory_order_relaxed);
    }
}

void tg__stats_read(const tg__stats *s, tg_stats *out)
{
    uint64_t checks = 0, unmapped = 0;
    size_t i, v;

    for (i = 0; i < TG__SHARDS; i++) {
        const tg__shard *sh = &s->shards[i];
        out->misses += atomic_load_explicit(&sh->misses, memory_order_relaxed);
        unmapped += atomic_load_explicit(&sh->unmapped, memory_order_relaxed);
        for (v = 0; v < 4; v++)
            out->verdicts[v] += atomic_load_explicit(&sh->verdicts[v], memory_order_relaxed);
    }
    for (v = 0; v < 4; v++)
        checks += out->verdicts[v];
    /* Each check counts its verdict last: a concurrent miss cannot make this
     * negative, but clamp anyway. */
    out->hits = checks > out->misses + unmapped ? checks - out->misses - unmapped : 0;
    out->provider_calls = atomic_load_explicit(&s->provider_calls, memory_order_relaxed);
    out->provider_errors = atomic_load_explicit(&s->provider_errors, memory_order_relaxed);
    if (out->version < 2)
        return;
    for (i = 0; i < TG_STATS_LATENCY_BUCKETS; i++)
        out->provider_latency_buckets[i] =
            atomic_load_explicit(&s->provider_latency[i], memory_order_relaxed);
    out->provider_latency_seconds_sum =
        (double)atomic_load_explicit(&s->provider_latency_us, memory_order_relaxed) / 1e6;
    out->provider_last_ok_ms = atomic_load_explicit(&s->provider_last_ok_ms, memory_order_relaxed);
    out->provider_last_error_ms =
        atomic_load_explicit(&s->provider_last_error_ms, memory_order_relaxed);
    for (v = 0; v < 4; v++)
        out->events[v] = atomic_load_explicit(&s->events[v], memory_order_relaxed);
}

int tg_gate_stats(const tg_gate *g, tg_stats *out)
{
    tg_gate *m = (tg_gate *)g; /* the cache lock is taken for the entry count */
    uint32_t version;

    if (!g || !out)
        return tg__fail(TG_EINVAL, "tg_gate_stats: NULL argument");
    if (out->version == 0 || out->version > TG_STATS_VERSION)
        return tg__fail(TG_EINVAL, "tg_gate_stats: stats version %u, expected 1 to %u",
                        (unsigned)out->version, (unsigned)TG_STATS_VERSION);
    version = out->version;
    /* A caller built for version 1 has only the version-1 fields. */
    memset(out, 0, version == 1 ? offsetof(tg_stats, provider_latency_buckets) : sizeof *out);
    out->version = version;
    tg__stats_read(&g->stats, out);
    out->evictions = atomic_load_explicit(&g->cache.evictions, memory_order_relaxed);
    pthread_mutex_lock(&m->cache.lock);
    out->entries = tg__cache_count_locked(&g->cache);
    pthread_mutex_unlock(&m->cache.lock);
    if (version >= 2)
        tg__fleet_stats(g, out);
    return TG_OK;
}
