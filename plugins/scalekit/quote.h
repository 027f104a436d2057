/*
 * Quoting untrusted text in a message: the one way text from a provider, or
 * from the network through libcurl, reaches the scalekit provider's messages
 * and log lines.
 *
 * tg__sk_excerpt() is the library's excerpt rule (the plugin cannot link the
 * library, so it keeps this one copy): printable ASCII stays, any other byte
 * and '"' and '\\' become \xNN, and text past @p max bytes is cut with "...".
 * tg__sk_quote() scrubs secrets (scrub.h) first, then excerpts.
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_QUOTE_H
#define TG_PLUGINS_SCALEKIT_QUOTE_H

#include <stddef.h>

#include "scrub.h"

/* At most @p max bytes of s[0, n) as printable ASCII into @p out (@p cap
 * bytes, NUL-terminated; an escape that does not fit is dropped whole). */
void tg__sk_excerpt(const char *s, size_t n, size_t max, char *out, size_t cap);

/**
 * Provider text for a message: s[0, n) scrubbed of @p secrets, then excerpted
 * to @p max bytes, into @p out (@p cap bytes). The excerpt is scrubbed again
 * (cutting it must not make a trace of a secret out of what was left).
 * Empty when the text is empty or memory runs out.
 */
void tg__sk_quote(const char *s, size_t n, size_t max, const tg__sk_secrets *secrets, char *out,
                  size_t cap);

/* printf into a caller's buffer for a reason or a message (nothing when
 * @p out is NULL or @p cap 0). */
void tg__sk_format(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
