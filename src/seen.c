/* Event ids already applied (seen.h). */
#include <string.h>

#include "hash.h"
#include "seen.h"

void tg__seen_init(tg__seen *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
}

uint64_t tg__seen_hash(const tg__seen *s, const char *id, size_t len)
{
    return tg__hash_bytes(id, len, s->seed) | 1; /* 0 marks a free slot */
}

int tg__seen_has(const tg__seen *s, uint64_t h)
{
    size_t i;
    for (i = 0; i < TG__SEEN_EVENTS; i++)
        if (s->hashes[i] == h)
            return 1;
    return 0;
}

void tg__seen_add(tg__seen *s, uint64_t h)
{
    s->hashes[s->next] = h;
    s->next = (s->next + 1) % TG__SEEN_EVENTS;
}
