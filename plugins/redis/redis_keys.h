/*
 * The Redis tier's key names: the configured prefix, a letter, and 32 hex
 * digits of SHA-256 over the names (tagged and NUL-separated, so no two
 * inputs share a digest input). The same in every process and build; no
 * identifier or connection name appears in a key.
 *
 *   PREFIX "a:" H(conn, id)   the account's record
 *   PREFIX "l:" H(conn, id)   the fleet-wide lock for asking the provider
 *   PREFIX "i:" H(id)         the identifier's time (an IDENTIFIER change)
 *   PREFIX "v:" H(conn)       when the connection was last invalidated
 *   PREFIX "v:all"            when everything was last invalidated
 *   PREFIX "changes"          the channel
 */
#ifndef TG_PLUGINS_REDIS_KEYS_H
#define TG_PLUGINS_REDIS_KEYS_H

#include <stddef.h>

#include "redis_config.h"

#define TG__RD_HASH_HEX 32
#define TG__RD_KEY_MAX (TG__RD_PREFIX_MAX + 2 + TG__RD_HASH_HEX + 1)

typedef enum tg__rd_key_kind {
    TG__RD_KEY_ACCOUNT = 'a',
    TG__RD_KEY_LOCK = 'l',
    TG__RD_KEY_IDENTIFIER = 'i',
    TG__RD_KEY_CONNECTION = 'v'
} tg__rd_key_kind;

/**
 * The key of @p kind into @p out (TG__RD_KEY_MAX bytes). @p connection is
 * ignored for IDENTIFIER, @p identifier for CONNECTION.
 * @return 0, or -1 when hashing failed (out of memory in libcrypto).
 */
TG_WARN_UNUSED int tg__rd_key(const char *prefix, tg__rd_key_kind kind, const char *connection,
               const char *identifier, char *out);

/* PREFIX "v:all" and PREFIX "changes" into @p out (TG__RD_KEY_MAX bytes). */
void tg__rd_key_all(const char *prefix, char *out);
void tg__rd_key_channel(const char *prefix, char *out);

#endif
