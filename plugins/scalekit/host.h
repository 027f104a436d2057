/*
 * The host services the scalekit provider uses beyond the first ones of the
 * tg_host table (set_error … valid_identifier): log, log_enabled, the
 * monotonic clock and when the current check began. A host built before they
 * were added has a smaller struct_size; these wrappers then do without them
 * (no log lines, our own clock, every call counted from its own start).
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_HOST_H
#define TG_PLUGINS_SCALEKIT_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"

/* The host has @p field (and it is set). */
#define TG__SK_HOST_HAS(host, field)                                                   \
    ((host)->struct_size >= offsetof(tg_host, field) + sizeof((host)->field) &&        \
     (host)->field != NULL)

/* 1 when a line at @p level would be delivered. */
int tg__sk_log_on(const tg_host *host, tg_log_level level);

/* One log line ("scalekit: " is added), when @p level is on. Never pass a
 * secret or unquoted provider text. */
void tg__sk_log(const tg_host *host, tg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in ms: the host's mono_ms(), or the same clock read here. */
int64_t tg__sk_mono_ms(const tg_host *host);

/* When the check being answered began asking the provider (tg__sk_mono_ms()
 * scale), or 0: none, or a host that does not say. */
int64_t tg__sk_check_started_ms(const tg_host *host);

#endif
