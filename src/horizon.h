/*
 * Event horizons: for an account (connection, identifier) — or for a whole
 * identifier, after an event that named no connection — the time of the
 * latest event applied, kept after the account's cache entry is gone
 * (deleted, invalidated, evicted). An event that occurred before the horizon
 * of its account is stale, whether or not the entry was filled again since
 * (docs/design.md, "Events and the order of things").
 *
 * Records live at least TG__HORIZON_KEEP_MS of real time (CLOCK_MONOTONIC)
 * after they were last raised — longer than the webhook tolerance of 300 s;
 * past that they may be pruned. Writers only: the caller holds the cache's
 * lock.
 */
#ifndef TG_SRC_HORIZON_H
#define TG_SRC_HORIZON_H

#include <stddef.h>
#include <stdint.h>

#include "conns.h"

#define TG__HORIZON_KEEP_MS (60 * 60 * 1000)

typedef struct tg__horizon tg__horizon;

typedef struct tg__horizons {
    tg__horizon **buckets;
    size_t mask;        /* buckets - 1; 0 before the first record */
    size_t count;
    int64_t pruned_at;  /* monotonic ms of the last pruning */
} tg__horizons;

void tg__horizons_init(tg__horizons *h);
void tg__horizons_destroy(tg__horizons *h);

/* Raise the horizon of (@p conn, @p id) — @p conn NULL: of the identifier —
 * to @p event_ms if that is later. @p hash is the key's hash (any stable
 * hash of conn and id). @p now_mono: the caller's monotonic clock, for
 * retention. TG_OK or TG_ENOMEM (nothing changed). */
TG_WARN_UNUSED int tg__horizon_raise(tg__horizons *h, const tg__conn *conn, const char *id, size_t id_len,
                      uint64_t hash, int64_t event_ms, int64_t now_mono);

/* "No event": earlier than any event time. */
#define TG__NO_EVENT INT64_MIN

/* The horizon of the key; TG__NO_EVENT when none is kept. */
int64_t tg__horizon_get(const tg__horizons *h, const tg__conn *conn, const char *id,
                        size_t id_len, uint64_t hash);

#endif
