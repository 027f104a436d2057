/* Test helper: percent-encoding, as a provider's links carry names. */
#ifndef TG_TEST_PCT_H
#define TG_TEST_PCT_H

#include <stddef.h>

/* Every byte of @p s but A-Z a-z 0-9 - . _ ~ as %XX, into @p out (cap
 * bytes, NUL-terminated, cut short if needed). Returns the length written. */
size_t pct_encode(char *out, size_t cap, const char *s);

#endif
