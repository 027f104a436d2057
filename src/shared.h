/*
 * The shared tier (docs/fleet.md): what a fleet of gates — many processes —
 * share about each account, and the one channel on which every change
 * reaches all of them. A gate talks to it on a miss and when a change
 * happens, never on a cache hit.
 *
 * A tier is a method table versioned like the provider ABI (abi_version and
 * struct_size first; the table only grows), built into the library: "redis"
 * (plugins/redis, when hiredis is there). Every method is bounded in time by
 * the tier's own timeout_ms; a failure is an error (TG_EPROVIDER, TG_ETIMEOUT
 * with host->set_error saying what), never a status. Methods may be called
 * from many threads at once.
 *
 * Times are wall clock, Unix ms. TG__NO_EVENT (horizon.h) is "no event".
 */
#ifndef TG_SRC_SHARED_H
#define TG_SRC_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"

#define TG__SHARED_ABI_VERSION 1u

/* What the fleet knows about one account (connection, identifier). */
typedef struct tg__shared_record {
    int has_status;          /* 0: a tombstone — the account's entry was dropped
                              * by an event at event_ms; no status */
    tg_status status;
    int64_t asof_ms;         /* when the provider was asked for this status (0: it came
                              * from an event) */
    int64_t expires_ms;      /* trust the status until then */
    int64_t event_ms;        /* the latest event applied to the account */
    int64_t link_expires_ms; /* 0: no expiry given */
    char link[TG_LINK_MAX + 1]; /* "": none */
} tg__shared_record;

/* How a write meets what the tier holds for the account (the order of things
 * of docs/design.md, "Events", applied in the tier atomically). "Stored"
 * is the record the tier holds; none counts as event_ms TG__NO_EVENT.
 *  - ANSWER: a provider's answer (asof_ms set). Refused when the stored
 *    record holds a later answer (asof_ms) or an event at or after this
 *    asof_ms; else stored.
 *  - EVENT: a status from an event at event_ms. Refused (stale) when the
 *    stored event_ms is at or after it. Else: no stored record — nothing is
 *    stored (events never create records); a stored answer whose asof_ms is
 *    at or after event_ms — replaced by a tombstone at event_ms (which of the
 *    two is newer cannot be told); otherwise the status is stored with
 *    event_ms.
 *  - TOMBSTONE: the account dropped by an event at event_ms (a deletion).
 *    Refused when the stored event_ms is at or after it; else a tombstone
 *    (has_status 0) at event_ms is stored.
 * A write that is not refused is published to the fleet as a change of the
 * same kind, carrying the record as given. */
typedef enum tg__shared_write {
    TG__SHARED_ANSWER = 0,
    TG__SHARED_EVENT = 1,
    TG__SHARED_TOMBSTONE = 2
} tg__shared_write;

/* A change published to the fleet. Each gate applies it to its own cache by
 * the same rules as a change of its own (it never creates an entry). */
typedef enum tg__change_kind {
    TG__CHANGE_ANSWER = TG__SHARED_ANSWER,       /* a provider's answer (record) */
    TG__CHANGE_EVENT = TG__SHARED_EVENT,         /* an event's status (record) */
    TG__CHANGE_TOMBSTONE = TG__SHARED_TOMBSTONE, /* a deletion (record.event_ms) */
    TG__CHANGE_IDENTIFIER = 3, /* every account of the identifier dropped at
                                * record.event_ms (connection "") */
    TG__CHANGE_INVALIDATE = 4  /* invalidated: connection and identifier, a whole
                                * connection (identifier ""), or all (both "") */
} tg__change_kind;

typedef struct tg__shared_change {
    tg__change_kind kind;
    char connection[TG_CONNECTION_MAX + 1];
    char identifier[TG_IDENTIFIER_MAX + 1];
    tg__shared_record record;
} tg__shared_change;

/* Where a tier delivers what other gates published. Called on the tier's own
 * thread, one call at a time, never after destroy() has returned. */
typedef struct tg__shared_sink {
    /* A change another gate published (the tier drops its own). */
    void (*change)(void *ctx, const tg__shared_change *c);
    /* The subscription is up (1) or lost (0): while it is lost, changes may
     * be missed. Called once with 1 when first subscribed. */
    void (*subscribed)(void *ctx, int up);
    void *ctx;
} tg__shared_sink;

typedef struct tg__shared_tier {
    uint32_t abi_version; /* TG__SHARED_ABI_VERSION */
    uint32_t struct_size; /* sizeof(tg__shared_tier) as built */
    const char *name;     /* "redis" */

    /* Build from the configuration's "shared" object minus "type" (refuse
     * unknown keys and wrong types with TG_ECONFIG naming "shared.<key>";
     * never print a password). Does not fail because the tier is down: it
     * starts its subscriber, which connects (and reconnects, with backoff)
     * on its own. TG_OK; TG_ECONFIG; TG_ENOMEM. */
    int (*create)(const tg_host *host, const char *config_json, const tg__shared_sink *sink,
                  void **state);
    /* Stop the subscriber and free. No sink call after it returns. */
    void (*destroy)(void *state);

    /* The account's record, in one round trip with its identifier's time (an
     * IDENTIFIER change): when that time is later than the record's
     * event_ms, event_ms is raised to it, and when it is at or after the
     * record's asof_ms and event_ms the record is a tombstone (has_status 0).
     * TG_OK with *found set (a tombstone is found); TG_EPROVIDER/TG_ETIMEOUT. */
    int (*read)(void *state, const char *connection, const char *identifier,
                tg__shared_record *out, int *found);
    /* Write by the rules of tg__shared_write, keep what is stored for
     * @p ttl_ms (tombstones at least an hour), and, unless refused, publish
     * the change. *applied: 1 not refused, 0 refused as stale. TG_OK;
     * errors. */
    int (*write)(void *state, tg__shared_write how, const char *connection,
                 const char *identifier, const tg__shared_record *rec, int64_t ttl_ms,
                 int *applied);
    /* Publish an IDENTIFIER or INVALIDATE change. For IDENTIFIER the tier
     * also keeps the identifier's time (an hour at least; see read), raised
     * only. TG_OK; errors. */
    int (*publish)(void *state, const tg__shared_change *c);
    /* The fleet-wide lock for asking the provider about the account: taken
     * for @p ttl_ms unless another gate holds it (*acquired 0). */
    int (*lock)(void *state, const char *connection, const char *identifier, int64_t ttl_ms,
                int *acquired);
    /* Release it, if still ours. */
    void (*unlock)(void *state, const char *connection, const char *identifier);
    /* 1 while subscribed to the channel. */
    int (*subscribed)(void *state);
} tg__shared_tier;

/* The built-in tier named @p type, or NULL (with the names this build has in
 * *known, e.g. "redis" or "none"). */
const tg__shared_tier *tg__shared_tier_find(const char *type, const char **known);

#endif
