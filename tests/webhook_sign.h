/* Test helper: sign a webhook delivery as Scalekit does (Standard Webhooks),
 * with OpenSSL, independently of the library's verifier. */
#ifndef TG_TEST_WEBHOOK_SIGN_H
#define TG_TEST_WEBHOOK_SIGN_H

#include <stddef.h>

/* "whsec_<base64 of @p key>" into @p out (at least 128 bytes for a key of up
 * to 64 bytes). */
void webhook_secret(const unsigned char *key, size_t key_len, char *out, size_t cap);
/* The webhook-signature header value "v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>" into @p out (at least 64 bytes). */
void webhook_sign(const unsigned char *key, size_t key_len, const char *id, const char *ts,
                  const char *body, size_t len, char *out, size_t cap);

#endif
