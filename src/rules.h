/* Tool rules: tool name → connection (exact names first, then the longest
 * matching prefix). Built once per gate, read-only afterwards, so lookups
 * from many threads need no lock. */
#ifndef TG_SRC_RULES_H
#define TG_SRC_RULES_H

#include <stddef.h>

#include "config.h"
#include "conns.h"

typedef struct tg__rules tg__rules;

/* Build from the configuration, interning each rule's connection in @p conns.
 * @return TG_OK; TG_ENOMEM. */
TG_WARN_UNUSED int tg__rules_build(const tg__config *cfg, tg__conns *conns, tg__rules **out);
void tg__rules_free(tg__rules *r);

/* The connection for a valid tool name of length @p len, or NULL when no
 * rule matches. Allocates nothing, takes no lock. */
const tg__conn *tg__rules_resolve(const tg__rules *r, const char *tool, size_t len);

#endif
