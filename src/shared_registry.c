/*
 * The built-in shared tiers (shared.h): "redis" when the library was built
 * with hiredis (TG_SHARED_REDIS), none otherwise.
 */
#include <stddef.h>
#include <string.h>

#include "shared.h"
#ifdef TG_SHARED_REDIS
#include "redis_entry.h"
#endif

const tg__shared_tier *tg__shared_tier_find(const char *type, const char **known)
{
#ifdef TG_SHARED_REDIS
    if (known)
        *known = "redis";
    if (type && strcmp(type, "redis") == 0)
        return tg__shared_tier_redis();
#else
    if (known)
        *known = "none";
    (void)type;
#endif
    return NULL;
}
