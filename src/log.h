/* Diagnostic lines for the host (tg_log_set): one process-wide sink. */
#ifndef TG_SRC_LOG_H
#define TG_SRC_LOG_H

#include <stdarg.h>

#include "toolgate/toolgate.h"

/* 1 when a line at @p level would reach a sink: test before building one. */
TG_WARN_UNUSED int tg__log_enabled(tg_log_level level);

/* Format and deliver one line (no newline; never pass a secret). */
void tg__log(tg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg__log_v(tg_log_level level, const char *fmt, va_list ap);

#endif
