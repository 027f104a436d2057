/*
 * The file provider's accounts file (docs/design.md §7), parsed from bytes:
 *
 *   {"link_base": "https://connect.example.com/authorize",
 *    "accounts": [{"connection": "gmail", "identifier": "user_123", "status": "ACTIVE"}]}
 *
 * Pure: no I/O, no globals. The code is built both into libtoolgate and into
 * the loadable file provider, which does not link libtoolgate, so everything
 * it needs from the host arrives in the tg_host table.
 *
 * A tg__accounts is a set of (connection, identifier) → status with constant
 * time lookup. It is not synchronised: the caller serialises writers against
 * readers (many concurrent finds with no add are fine).
 */
#ifndef TG_PLUGINS_FILE_ACCOUNTS_H
#define TG_PLUGINS_FILE_ACCOUNTS_H

#include <stddef.h>

#include "toolgate/provider.h"

/* Bounds on what the parser accepts. */
#define TG__ACCOUNTS_MAX_BYTES (16u * 1024u * 1024u) /* the whole file */
#define TG__ACCOUNTS_MAX_DEPTH 8                     /* JSON nesting */
#define TG__ACCOUNTS_LINK_BASE_MAX 1024              /* bytes, NUL excluded */
/* A buffer this large holds every message the parser writes. */
#define TG__ACCOUNTS_ERR_MAX 512
/* A buffer this large holds any tg__accounts_excerpt(). */
#define TG__ACCOUNTS_EXCERPT_BUF 264

typedef struct tg__accounts tg__accounts;

/**
 * Parse an accounts file.
 * @param host   host services (name checks, status parsing, bounded JSON
 *               parsing, excerpt quoting); borrowed.
 * @param bytes  the file's content; need not be NUL-terminated.
 * @param out    receives the accounts; caller frees with tg__accounts_free().
 *               NULL on failure.
 * @param err    caller buffer for a one-line message on failure, naming the
 *               problem and where: `accounts file: accounts[2].status:
 *               unknown status "ACTIV"`. May be NULL when errlen is 0.
 * @return TG_OK; TG_ECONFIG (the bytes are not a valid accounts file);
 *         TG_ENOMEM; TG_EINVAL (NULL host or out).
 */
TG_WARN_UNUSED int tg__accounts_parse(const tg_host *host, const char *bytes, size_t len, tg__accounts **out,
                       char *err, size_t errlen);

/* An empty set with no link_base (the file provider's memory of the accounts
 * it created). Caller frees with tg__accounts_free(). NULL when out of memory. */
tg__accounts *tg__accounts_new(void);

/* Free the set; NULL is a no-op. */
void tg__accounts_free(tg__accounts *a);

/**
 * Add an account. The names are not validated here (the parser does it).
 * @return 0 added; 1 already present (left unchanged); TG_EINVAL (a name
 *         longer than the docs/design.md §9 limits); TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__accounts_add(tg__accounts *a, const char *connection, const char *identifier,
                     tg_status status);

/* 1 and *status set when (connection, identifier) is in the set, else 0. */
TG_WARN_UNUSED int tg__accounts_find(const tg__accounts *a, const char *connection, const char *identifier,
                      tg_status *status);

/* Number of accounts in the set. */
size_t tg__accounts_count(const tg__accounts *a);

/* The file's link_base (borrowed, valid until the set is freed); NULL for a
 * set made by tg__accounts_new(). */
const char *tg__accounts_link_base(const tg__accounts *a);

#endif
