/* The Redis tier's method table, for the registry of built-in tiers
 * (src/shared_registry.c): declared apart from redis_tier.h, so that the
 * registry needs no hiredis header. */
#ifndef TG_PLUGINS_REDIS_ENTRY_H
#define TG_PLUGINS_REDIS_ENTRY_H

#include "shared.h"

const tg__shared_tier *tg__shared_tier_redis(void);

#endif
