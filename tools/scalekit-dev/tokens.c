#include "tokens.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void dev_tokens_init(struct dev_tokens *t, size_t max)
{
  t->table = NULL;
  t->max = max;
}

static void drop(struct dev_tokens *t, struct dev_token *e)
{
  HASH_DELETE(hh, t->table, e);
  free(e->payload);
  free(e);
}

size_t dev_tokens_clear(struct dev_tokens *t)
{
  size_t n = 0;
  struct dev_token *e, *tmp;
  HASH_ITER(hh, t->table, e, tmp) {
    drop(t, e);
    n++;
  }
  return n;
}

void dev_tokens_free(struct dev_tokens *t)
{
  dev_tokens_clear(t);
}

int dev_random_hex(char *out, size_t nbytes)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[64];
  if (nbytes > sizeof raw)
    return -1;
  size_t got = 0;
  while (got < nbytes) {
    ssize_t n = getrandom(raw + got, nbytes - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    got += (size_t)n;
  }
  for (size_t i = 0; i < nbytes; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[2 * nbytes] = '\0';
  return 0;
}

int dev_tokens_issue(struct dev_tokens *t, const char *prefix, size_t random_bytes,
                     long long now_ms, long long ttl_ms,
                     const char *payload, size_t payload_len,
                     char *out, size_t outlen)
{
  size_t plen = strlen(prefix);
  if (plen + 2 * random_bytes + 1 > DEV_TOKEN_MAX || outlen < DEV_TOKEN_MAX)
    return -1;
  /* Issue order is expiry order: the expired ones are at the head. */
  while (t->table != NULL && t->table->expires_ms <= now_ms)
    drop(t, t->table);
  while (t->table != NULL && HASH_COUNT(t->table) >= t->max)
    drop(t, t->table);

  struct dev_token *e = calloc(1, sizeof *e);
  if (e == NULL)
    return -1;
  memcpy(e->token, prefix, plen);
  if (dev_random_hex(e->token + plen, random_bytes) != 0) {
    free(e);
    return -1;
  }
  if (payload != NULL) {
    e->payload = malloc(payload_len + 1);
    if (e->payload == NULL) {
      free(e);
      return -1;
    }
    memcpy(e->payload, payload, payload_len);
    e->payload[payload_len] = '\0';
    e->payload_len = payload_len;
  }
  e->expires_ms = now_ms + ttl_ms;
  size_t len = strlen(e->token);
  HASH_ADD(hh, t->table, token, len, e);
  if (e->hh.tbl == NULL) { /* HASH_NONFATAL_OOM: not added */
    free(e->payload);
    free(e);
    return -1;
  }
  memcpy(out, e->token, len + 1);
  return 0;
}

const struct dev_token *dev_tokens_find(struct dev_tokens *t, const char *token,
                                        size_t len, long long now_ms)
{
  if (len == 0 || len >= DEV_TOKEN_MAX)
    return NULL;
  struct dev_token *e = NULL;
  HASH_FIND(hh, t->table, token, len, e);
  if (e == NULL)
    return NULL;
  if (e->expires_ms <= now_ms) {
    drop(t, e);
    return NULL;
  }
  return e;
}
