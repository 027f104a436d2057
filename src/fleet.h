/*
 * The gate in a fleet: its use of the shared tier (shared.h). A miss reads
 * the fleet's record before the provider; when the fleet has none, one gate
 * takes the fleet-wide lock and asks the provider for all, the others wait
 * for its answer. Every change made here — a provider's answer, an event, an
 * invalidation — is written and published; what others publish is applied
 * here by the same rules. While the subscription is down (changes may be
 * missed), ACTIVE entries are trusted at most degraded_ttl_ms.
 * A tier failure only ever sends the gate to the provider: never a verdict.
 */
#ifndef TG_SRC_FLEET_H
#define TG_SRC_FLEET_H

#include <stdatomic.h>
#include <stdint.h>

#include "toolgate/toolgate.h"
#include "cache.h"
#include "config.h"
#include "shared.h"

typedef struct tg__fleet {
    const tg__shared_tier *vt; /* NULL: no shared tier */
    void *state;
    int64_t degraded_ttl_ms;
    int64_t lock_ms;           /* a fleet lock outlives a provider round at most this */
    _Atomic int subscribed;
    _Atomic uint64_t hits, misses, errors, publishes, received;
} tg__fleet;

struct tg_gate;
struct tg__flight;

/* Tests: the tier to use for every "shared" configuration, whatever its
 * type (NULL: the built-in ones). */
void tg__fleet_use_tier(const tg__shared_tier *vt);

/* Open the configured tier (none: TG_OK, fleet.vt NULL). TG_OK; TG_ECONFIG
 * (unknown type, a build without it, the tier's own errors); TG_ENOMEM. */
TG_WARN_UNUSED int tg__fleet_open(struct tg_gate *g, const tg__config *cfg);
/* Stop and free the tier; no change arrives after. Safe when none. */
void tg__fleet_close(struct tg_gate *g);

/* The TTL of an entry of @p status: the gate's, ACTIVE capped at
 * degraded_ttl_ms while the fleet's subscription is down. */
int64_t tg__fleet_ttl(const struct tg_gate *g, tg_status status);

/* A round's leader, no lock held, before it asks the provider for the
 * status: 1 when the fleet's record answered (f holds the status, maybe a
 * link; f->from_fleet set), 0 when the provider must be asked (f->fleet_locked
 * tells whether this gate holds the fleet lock for the key). */
TG_WARN_UNUSED int tg__fleet_before_provider(struct tg_gate *g, struct tg__flight *f);
/* After the round, no lock held: write the provider's answer to the fleet
 * when @p publish, and release the fleet lock if held. */
void tg__fleet_after_provider(struct tg_gate *g, struct tg__flight *f, int publish);

/* Changes made here, for the rest of the fleet (no lock held). */
void tg__fleet_publish_event(struct tg_gate *g, const tg__key *k, int deleted, tg_status status,
                             int64_t event_ms);
void tg__fleet_publish_identifier(struct tg_gate *g, const tg__key *k, int64_t event_ms);
void tg__fleet_publish_invalidate(struct tg_gate *g, const char *connection,
                                  const char *identifier);

/* Counters for tg_gate_stats (version 2). */
void tg__fleet_stats(const struct tg_gate *g, tg_stats *out);

#endif
