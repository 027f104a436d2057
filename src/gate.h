/*
 * The gate's parts (docs/design.md, "A check, step by step"):
 *   gate.c      life cycle: create from a configuration, free
 *   check.c     the check: tool rules, a cache read, a verdict (the hit path)
 *   miss.c      the miss path: single flight, the provider's answer, policies
 *   provider_call.c  every call to the provider: timing, counting, checking
 *   link.c      links: when to reuse one, tg_gate_link
 *   changes.c   what changes the cache from outside: events, invalidations
 *   wait.c      tg_gate_wait
 *   stats.c     counters
 */
#ifndef TG_SRC_GATE_H
#define TG_SRC_GATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "cache.h"
#include "config.h"
#include "conns.h"
#include "fleet.h"
#include "flight.h"
#include "hash.h"
#include "plugin.h"
#include "rules.h"
#include "seen.h"
#include "stats.h"
#include "tool_memo.h"

struct tg_gate {
    /* Read on every check. */
    const tg__rules *rules;
    tg__tool_memo tools;
    tg_clock_fn clock;
    void *clock_ctx;
    uint64_t seed;
    int64_t active_ttl_ms;
    int64_t inactive_ttl_ms;
    int64_t stale_grace_ms;
    tg__policy policy;
    int unmapped_deny;

    /* cache.lock also guards the seen events and change_gen. */
    tg__cache cache;
    tg__seen seen;
    /* Bumped by every invalidation and applied event; tg_gate_wait sleeps on
     * `changed` until it moves. */
    uint64_t change_gen;
    pthread_cond_t changed;

    tg__flights flights;
    tg__fleet fleet;        /* the shared tier, if any */
    tg__conns conns;
    tg__rules *rules_owned;
    tg__plugin plugin;
    tg__stats stats;
};

/* ---- clocks ---- */

static inline int64_t tg__default_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)((uint64_t)ts.tv_nsec / 1000000u);
}

/* The gate's clock for TTLs and link reuse (injectable), ms. */
static inline int64_t tg__gate_now(const tg_gate *g)
{
    if (__builtin_expect(g->clock != NULL, 0))
        return g->clock(g->clock_ctx);
    return tg__default_clock();
}

/* Wall clock, Unix ms. */
int64_t tg__wall_ms(void);
/* CLOCK_MONOTONIC, µs and ms: real time for timing and waiting. */
int64_t tg__mono_us(void);
int64_t tg__mono_ms(void);

/* ---- keys (check.c) ---- */

/* The key of a validated (connection, identifier). */
static inline void tg__gate_key_of(const tg_gate *g, const tg__conn *conn, const char *id,
                                   size_t id_len, tg__key *k)
{
    k->conn = conn;
    k->id = id;
    k->id_len = id_len;
    k->id_hash = tg__hash_bytes(id, id_len, g->seed);
    k->hash = tg__key_hash(conn, k->id_hash);
}

/* Validate (connection, identifier), intern the connection and fill @p k.
 * TG_OK, TG_EINVAL (message set) or TG_ENOMEM. */
TG_WARN_UNUSED int tg__gate_key(tg_gate *g, const char *connection, const char *identifier, tg__key *k);

/* ---- the miss path (miss.c) ---- */

/* Answer a check the cache could not: join or start the key's round. With
 * @p refresh, ask the provider for the status even when a fresh entry holds
 * one (tg_gate_wait), and count nothing as a check. d's identifier and
 * connection are set by the caller. TG_OK (a verdict in d), TG_ECONFIG,
 * TG_ENOMEM. */
TG_WARN_UNUSED int tg__gate_miss(tg_gate *g, const tg__reader *r, const tg__key *k, tg_decision *d,
                  int refresh);

/* ---- the provider (provider_call.c) ---- */

/* get_status / get_link, timed and counted; a status out of range and a link
 * that is not a usable URL are failures (TG_EPROVIDER, message set). */
TG_WARN_UNUSED int tg__provider_status(tg_gate *g, const tg__conn *conn, const char *id, tg_status *st);
TG_WARN_UNUSED int tg__provider_link(tg_gate *g, const tg__conn *conn, const char *id, char *buf, size_t len,
                      int64_t *expires_at_ms);

/* ---- links (link.c) ---- */

/* A cached link for a provider's answer, to be reused until shortly before it
 * expires; NULL when out of memory. */
tg__link *tg__gate_link_for_cache(const tg_gate *g, const char *url, size_t len,
                                  int64_t expires_at_ms, int64_t now);

/* ---- changes (changes.c) ---- */

/* Wake the waits: something about some account changed. Cache lock held. */
void tg__gate_changed_locked(tg_gate *g);

/* Apply to the cache (cache lock held), by the rules of the order of things,
 * without telling the fleet: a status (or, with @p deleted, a deletion) from
 * an event at @p event_ms; a drop of every entry of an identifier; an
 * invalidation (k NULL: all; k->id NULL: a connection). Each supersedes the
 * rounds in flight and wakes the waits. A tg_event_result or an error. */
TG_WARN_UNUSED int tg__apply_account_locked(tg_gate *g, const tg__key *k, int deleted, tg_status status,
                             int64_t event_ms);
TG_WARN_UNUSED int tg__apply_identifier_locked(tg_gate *g, const tg__key *k, int64_t event_ms);
void tg__invalidate_locked(tg_gate *g, const tg__key *k);

#endif
