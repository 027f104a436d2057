/*
 * Event ids already applied, to recognise a webhook delivered again. A ring
 * of the last TG__SEEN_EVENTS ids' hashes (seeded, so ids cannot be chosen to
 * collide); an id is added only once its event has been applied, so a
 * delivery that failed half-way is applied when it comes again.
 * The caller serialises access (the cache's lock).
 */
#ifndef TG_SRC_SEEN_H
#define TG_SRC_SEEN_H

#include "toolgate/toolgate.h"

#include <stddef.h>
#include <stdint.h>

#define TG__SEEN_EVENTS 4096

typedef struct tg__seen {
    uint64_t seed;
    uint64_t hashes[TG__SEEN_EVENTS]; /* 0: free */
    size_t next;
} tg__seen;

void tg__seen_init(tg__seen *s, uint64_t seed);
/* The id's hash for the two calls below. */
uint64_t tg__seen_hash(const tg__seen *s, const char *id, size_t len);
/* 1 when an event with this id hash was applied before. */
TG_WARN_UNUSED int tg__seen_has(const tg__seen *s, uint64_t h);
/* Remember an applied event's id hash (forgetting the oldest). */
void tg__seen_add(tg__seen *s, uint64_t h);

#endif
