/* Bounded tables of random, expiring tokens: the bearer tokens the token
 * endpoint issues and the magic-link tokens (whose payload names the
 * account). Not thread-safe: the server holds its lock around every call. */
#ifndef SCALEKIT_DEV_TOKENS_H
#define SCALEKIT_DEV_TOKENS_H

#include <stddef.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

/* Longest token: a short prefix and 32 random bytes in hex. */
#define DEV_TOKEN_MAX 96

struct dev_token {
  UT_hash_handle hh;
  long long expires_ms;       /* dev_now_ms() deadline */
  char *payload;              /* owned copy, NUL-terminated; may be NULL */
  size_t payload_len;
  char token[DEV_TOKEN_MAX];
};

struct dev_tokens {
  struct dev_token *table;    /* uthash head; iteration is issue order */
  size_t max;                 /* the oldest token is dropped beyond this */
};

void dev_tokens_init(struct dev_tokens *t, size_t max);
void dev_tokens_free(struct dev_tokens *t);

/* Forget every token; returns how many there were. */
size_t dev_tokens_clear(struct dev_tokens *t);

/* Issue prefix + 2*random_bytes hex digits, valid for ttl_ms, with a copy
 * of payload (may be NULL). Writes it to out (outlen >= DEV_TOKEN_MAX).
 * Every token of one table must get the same ttl_ms (expiry order is
 * issue order). Returns 0, or -1 on allocation or randomness failure. */
int dev_tokens_issue(struct dev_tokens *t, const char *prefix, size_t random_bytes,
                     long long now_ms, long long ttl_ms,
                     const char *payload, size_t payload_len,
                     char *out, size_t outlen);

/* The live token equal to token[0..len), or NULL when unknown or expired
 * (an expired one is dropped). Borrowed until the next call on t. */
const struct dev_token *dev_tokens_find(struct dev_tokens *t, const char *token,
                                        size_t len, long long now_ms);

/* Fill out with 2*nbytes lower-case hex digits from the kernel's CSPRNG and
 * a NUL. Returns 0, or -1. */
int dev_random_hex(char *out, size_t nbytes);

#endif
