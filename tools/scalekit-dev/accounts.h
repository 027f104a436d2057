/* The connected accounts the dev server knows: a bounded hash table keyed
 * by (connector, identifier), their JSON shapes and seeding from a file.
 * Not thread-safe: the server holds its lock around every call. */
#ifndef SCALEKIT_DEV_ACCOUNTS_H
#define SCALEKIT_DEV_ACCOUNTS_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "wire.h"

#define DEV_MAX_ACCOUNTS 1000000u

struct dev_account {
  UT_hash_handle hh;
  unsigned long long serial;   /* the number in "ca_…" */
  enum dev_status status;
  time_t updated_at;
  time_t last_used_at;         /* 0: never used */
  time_t token_expires_at;     /* 0: never authorized */
  const char *connector;       /* points into key */
  const char *identifier;      /* points into key */
  size_t key_len;              /* connector, NUL, identifier */
  char key[];
};

struct dev_accounts {
  struct dev_account *table;   /* uthash head; iteration is creation order */
  unsigned long long next_serial;
};

/* Which shape of the account object to produce. */
enum dev_account_view {
  DEV_VIEW_DETAILS,  /* ConnectedAccount without credentials */
  DEV_VIEW_AUTH,     /* ConnectedAccount with (fake) authorization_details */
  DEV_VIEW_LIST      /* ConnectedAccountForList */
};

enum { DEV_ACCOUNTS_EXISTS = -1, DEV_ACCOUNTS_FULL = -2, DEV_ACCOUNTS_NOMEM = -3 };

void dev_accounts_init(struct dev_accounts *as);
void dev_accounts_free(struct dev_accounts *as);
size_t dev_accounts_count(const struct dev_accounts *as);

/* Borrowed pointer valid until the account is removed; NULL if none. The
 * inputs must be valid (dev_valid_connector / dev_valid_identifier). */
struct dev_account *dev_accounts_find(const struct dev_accounts *as,
                                      const char *connector, const char *identifier);

/* Create an account. Returns 0 and *out, or DEV_ACCOUNTS_EXISTS (with *out
 * set to the existing one), DEV_ACCOUNTS_FULL or DEV_ACCOUNTS_NOMEM. */
int dev_accounts_add(struct dev_accounts *as, const char *connector,
                     const char *identifier, enum dev_status status, time_t now,
                     struct dev_account **out);

void dev_accounts_remove(struct dev_accounts *as, struct dev_account *a);

/* Change the status as an authorization would: ACTIVE gets a fresh token
 * expiry, EXPIRED an expiry in the past. */
void dev_account_set_status(struct dev_account *a, enum dev_status status, time_t now);

/* The account as JSON (caller puts it); NULL on allocation failure. */
json_object *dev_account_json(const struct dev_account *a, enum dev_account_view view);

/* Seed from a JSON file {"accounts":[{"connector"|"connection","identifier","status"},…]}.
 * Returns 0, or -1 with a one-line reason (naming the entry) in err. */
int dev_accounts_load(struct dev_accounts *as, const char *path, time_t now,
                      char *err, size_t errlen);

#endif
