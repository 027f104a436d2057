/*
 * Rounds in flight: one provider round per key at a time. The first caller
 * to miss on a key starts a round and asks the provider with no lock held;
 * the callers that miss on the key meanwhile wait for its result instead of
 * sending their own request (single flight).
 *
 * Locking: the flights have their own lock. A round's leader stores its
 * answer in the cache holding the cache's lock, then takes this lock to end
 * the round; invalidations and events take the cache's lock, then this one
 * to supersede the rounds their change makes out of date. So the order is
 * always cache lock, then flight lock, and an answer is stored only if no
 * change came for its key while it was being fetched.
 */
#ifndef TG_SRC_FLIGHT_H
#define TG_SRC_FLIGHT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "toolgate/toolgate.h"
#include "cache.h"

#define TG__FLIGHT_ERROR_MAX 512

typedef struct tg__flight {
    struct tg__flight *next;
    tg__key key;            /* key.id points at id_buf */
    char *id_buf;
    unsigned refs;
    int done;
    int superseded;         /* a change for the key came after it began */
    /* What the leader fetches, decided when the round starts. */
    int need_status;
    int have_link;          /* link below is valid already */
    int64_t asof_ms;        /* wall clock when the round began (or of the fleet's
                             * record it took) */
    /* The shared tier (fleet.h). */
    int from_fleet;         /* the status came from the fleet's record */
    int fleet_link;         /* so did the link */
    int fleet_locked;       /* this gate holds the fleet lock for the key */
    int fleet_failed;       /* the error of a call to the tier that failed (0: none) */
    int64_t fleet_expires_ms; /* the fleet's record: trusted until (wall) */
    int64_t fleet_event_ms;   /* the fleet's record: its latest event */
    /* Result, written by the leader before done is set. */
    int rc;                 /* TG_OK or the provider's error */
    int have_status;
    tg_status status;
    int64_t link_expires_at;
    char link[TG_LINK_MAX + 1];
    char error[TG__FLIGHT_ERROR_MAX]; /* what failed, when rc != TG_OK */
} tg__flight;

typedef struct tg__flights {
    pthread_mutex_t lock;
    pthread_cond_t done;    /* a round ended */
    tg__flight *head;
} tg__flights;

TG_WARN_UNUSED int tg__flights_init(tg__flights *fl);
/* Frees rounds still listed; no thread may be using them. */
void tg__flights_destroy(tg__flights *fl);

/* With fl->lock held: */

/* The round for the key, or NULL. */
tg__flight *tg__flight_find_locked(tg__flights *fl, const tg__key *k);
/* Start a round for the key (refs 1, listed). NULL when out of memory. */
tg__flight *tg__flight_start_locked(tg__flights *fl, const tg__key *k);
/* Hold the round and wait for it to end (the lock is released meanwhile). */
void tg__flight_join_locked(tg__flights *fl, tg__flight *f);
/* End the round: unlist it and wake the callers waiting for it. */
void tg__flight_finish_locked(tg__flights *fl, tg__flight *f);
/* Drop a hold; the last one frees the round. */
void tg__flight_release_locked(tg__flight *f);

/* Takes fl->lock (call with the cache's lock held): mark superseded and
 * unlist the rounds for the key — k->id NULL: every round of k->conn;
 * k->conn NULL: every round of the identifier k->id; k NULL: all. Their
 * callers still get their answers; later misses start fresh rounds. */
void tg__flights_supersede(tg__flights *fl, const tg__key *k);

#endif
