/*
 * Wiping secrets from memory the scalekit provider owns, before it is freed
 * or reused: the client secret, the form body that carries it, access tokens
 * and the buffers they pass through. explicit_bzero(): the compiler does not
 * drop the stores as dead, and they run at memset's speed.
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_WIPE_H
#define TG_PLUGINS_SCALEKIT_WIPE_H

#include <stddef.h>

/* Zero @p n bytes at @p p (NULL is fine). */
void tg__sk_wipe(void *p, size_t n);

/* Zero the string @p s up to its NUL, then free it (NULL is fine). */
void tg__sk_free_string(char *s);

#endif
