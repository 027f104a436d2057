/* RFC 3339 timestamps ("2025-12-02T06:31:34.895815554Z") as Unix milliseconds. */
#ifndef TG_SRC_RFC3339_H
#define TG_SRC_RFC3339_H

#include "toolgate/toolgate.h"

#include <stddef.h>
#include <stdint.h>

/**
 * Parse an RFC 3339 date-time of exactly @p len bytes (need not be
 * NUL-terminated): "YYYY-MM-DDTHH:MM:SS", an optional fraction of any number
 * of digits (truncated to milliseconds), then 'Z' or a "+hh:mm"/"-hh:mm"
 * offset. 't', 'z' and a space for 'T' are accepted (RFC 3339 §5.6 note);
 * a leap second (:60) is accepted. Dates that do not exist (2025-02-30) are not.
 * @return 0 with *ms set; -1 when malformed (*ms untouched).
 */
TG_WARN_UNUSED int tg__rfc3339_parse(const char *s, size_t len, int64_t *ms);

#endif
