/*
 * What the Redis tier stores and publishes, as bytes: pure functions, no
 * sockets, so tests and fuzzers drive them directly.
 *
 * A value (a record under an account's key; also an identifier's time and a
 * connection's invalidation time, as tombstones naming only those):
 *
 *   "tg1 S A E X L CL IL LL\n" CONNECTION IDENTIFIER LINK
 *
 *   S   status 0-6 (tg_status), or '-' for a tombstone
 *   A   asof_ms; E event_ms, or '-' for none (TG__NO_EVENT); X expires_ms;
 *   L   link_expires_ms — decimal, no leading zeros, within +-2^53 so that
 *       the Lua scripts (whose numbers are doubles) compare them exactly
 *   CL IL LL  the byte lengths of the three strings that follow the newline
 *
 * A message on the channel: "tgm1 " ORIGIN " " K " " VALUE, ORIGIN the
 * publishing tier's 16 lowercase hex digits, K the tg__change_kind 0-4.
 *
 * Decoding is strict: every field exactly as written above, the lengths
 * adding up to the whole, no NUL in the strings, no control character in
 * the link. Whether connection and identifier are valid names is the
 * caller's check (host->valid_connection, valid_identifier). Never holds a
 * credential: there is none in a record.
 */
#ifndef TG_PLUGINS_REDIS_CODEC_H
#define TG_PLUGINS_REDIS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "shared.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */

#define TG__RD_TIME_LIMIT 9007199254740992LL /* 2^53: |times| at most this */
#define TG__RD_VALUE_MAX 3072   /* bytes of a value: header and strings */
#define TG__RD_MESSAGE_MAX 3200 /* bytes of a message */
#define TG__RD_ORIGIN_LEN 16

/* A decoded value: the record and the names it carries. */
typedef struct tg__rd_value {
    tg__shared_record rec;
    char connection[TG_CONNECTION_MAX + 1];
    char identifier[TG_IDENTIFIER_MAX + 1];
} tg__rd_value;

/**
 * Encode @p rec with its names into @p buf.
 * @return the length written (NUL-terminated, within @p cap), or 0 when a
 *         time is out of range, a status is unknown, a name or the link too
 *         long, or @p cap too small.
 */
size_t tg__rd_value_encode(const tg__shared_record *rec, const char *connection,
                           const char *identifier, char *buf, size_t cap);

/**
 * Decode @p n bytes of a value.
 * @param why  on failure, what was wrong (no bytes of the input).
 * @return 0, or -1.
 */
TG_WARN_UNUSED int tg__rd_value_decode(const char *s, size_t n, tg__rd_value *out, char *why, size_t whycap);

/**
 * Encode a change published by @p origin (TG__RD_ORIGIN_LEN hex digits).
 * @return the length (NUL-terminated), or 0 as tg__rd_value_encode.
 */
size_t tg__rd_message_encode(const char *origin, const tg__shared_change *c, char *buf,
                             size_t cap);

/**
 * Decode @p n bytes of a message into @p out and its origin (NUL-terminated
 * into @p origin, TG__RD_ORIGIN_LEN + 1 bytes). Checks what each kind
 * carries: ANSWER and EVENT a status, the others none; EVENT, TOMBSTONE and
 * IDENTIFIER an event time; ANSWER, EVENT and TOMBSTONE both names;
 * IDENTIFIER an identifier alone; INVALIDATE both, a connection alone, or
 * neither.
 * @return 0, or -1 with @p why set.
 */
TG_WARN_UNUSED int tg__rd_message_decode(const char *s, size_t n, char *origin, tg__shared_change *out,
                          char *why, size_t whycap);

#endif
