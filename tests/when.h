/* Test helper: RFC 3339 text for the wall clock now, moved by an offset. An
 * event dated "now" (or later) is newer than what the provider has just
 * answered; one dated in the past is older. */
#ifndef TG_TEST_WHEN_H
#define TG_TEST_WHEN_H

#include <stdint.h>

#define WHEN_MAX 32

/* "2026-12-02T10:00:00.123Z" for now + @p offset_ms, into @p buf (WHEN_MAX
 * bytes); returns buf. */
const char *when_rfc3339(char *buf, int64_t offset_ms);

/* The wall clock now + @p offset_ms, Unix ms. */
int64_t when_ms(int64_t offset_ms);

#endif
