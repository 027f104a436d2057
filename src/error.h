/* Thread-local "last error" detail behind tg_error_message(). */
#ifndef TG_SRC_ERROR_H
#define TG_SRC_ERROR_H

#include "toolgate/toolgate.h"

#include <stdarg.h>
#include <stddef.h>

/* Record a printf-style detail for tg_error_message() on this thread. */
void tg__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tg__set_error_v(const char *fmt, va_list ap);

/* Record a detail and return @p code, for `return tg__fail(TG_EINVAL, "…")`. */
TG_WARN_UNUSED int tg__fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A printable, quotable excerpt of untrusted bytes for a message: at most
 * @p max of the @p n bytes of @p s, bytes outside printable ASCII (and quotes,
 * backslashes) as \xNN, "..." when cut; NUL-terminated within @p cap. */
void tg__excerpt(const char *s, size_t n, size_t max, char *out, size_t cap);

#endif
