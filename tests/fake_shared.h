/* Test helper: an in-process shared tier (src/shared.h) — one "server" that
 * every gate of the test shares, with the write rules of the interface, the
 * fleet lock, and delivery of each publication to every other gate. It can
 * be taken down (every call fails) and its subscriptions cut, so tests of
 * the gate's fleet logic need no Redis. Thread safe. */
#ifndef TG_TEST_FAKE_SHARED_H
#define TG_TEST_FAKE_SHARED_H

#include "shared.h"

/* The tier's method table; register it with tg__fleet_use_tier(). */
extern const tg__shared_tier fake_shared_tier;

/* Empty the server: no records, locks or identifier times; up (failing
 * with TG_EPROVIDER when down); subscribed; no hooks. */
void fake_shared_reset(void);
/* Every call fails while down: with TG_EPROVIDER, or what
 * fake_shared_fail_with() chose (TG_ETIMEOUT: as a paused Redis). */
void fake_shared_set_down(int down);
void fake_shared_fail_with(int rc);
/* Cut (0) or restore (1) every gate's subscription: their sinks are told,
 * and nothing is delivered while cut. */
void fake_shared_set_subscribed(int up);
/* Hold the fleet lock of the account as another gate would (1), or let it
 * go (0). */
void fake_shared_hold_lock(const char *connection, const char *identifier, int held);
/* Call @p fn (no lock held) at the start of every lock(), or write(),
 * until reset — what another gate does between a gate's read and its lock,
 * or Redis meanwhile. */
void fake_shared_before_lock(void (*fn)(void *ctx), void *ctx);
void fake_shared_before_write(void (*fn)(void *ctx), void *ctx);
/* Store a record for the account as another gate's answer would, and
 * deliver it as an ANSWER change. */
void fake_shared_put_answer(const char *connection, const char *identifier,
                            const tg__shared_record *r, int64_t ttl_ms);
/* The record held for the account: 1 and *out, or 0. */
int fake_shared_get(const char *connection, const char *identifier, tg__shared_record *out);

/* Calls made, in total. */
typedef struct fake_shared_counts {
    long reads, writes, refused, publishes, locks, lock_refusals;
} fake_shared_counts;
fake_shared_counts fake_shared_counted(void);

#endif
