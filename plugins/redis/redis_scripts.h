/*
 * The Lua scripts that make each change of the Redis tier one atomic step:
 * read what is stored, decide by the order of things, store, and publish
 * on the channel — in one script, so no other gate's write or read falls
 * between. Called with EVALSHA (their SHA-1s computed once), EVAL when
 * Redis answers NOSCRIPT (restarted, SCRIPT FLUSH).
 *
 * Scripts never format a number: a value they store is one the tier
 * encoded (redis_codec.h), or one spliced from fields of encoded values.
 * A stored value they cannot read is an error reply "TGMALFORMED ...".
 */
#ifndef TG_PLUGINS_REDIS_SCRIPTS_H
#define TG_PLUGINS_REDIS_SCRIPTS_H

#include "toolgate/toolgate.h"

typedef struct tg__rd_script {
    const char *text;
    char sha[41]; /* lowercase hex SHA-1 of text */
} tg__rd_script;

typedef struct tg__rd_scripts {
    /* KEYS: account. ARGV: how (0 answer, 1 event, 2 tombstone), the value
     * as given, TTL ms, tombstone TTL ms, channel, message, the tombstone
     * value for an event older than the stored answer. 1 applied, 0 stale. */
    tg__rd_script write;
    /* KEYS: a time's key. ARGV: value (a tombstone at the time), TTL ms (0:
     * none), channel, message. Raises the stored time, never lowers it;
     * publishes. 1 raised, 0 not. */
    tg__rd_script raise;
    /* KEYS: account. ARGV: tombstone TTL ms, channel, message. The record
     * becomes a tombstone at its own event time (none: deleted); publishes. */
    tg__rd_script invalidate;
    /* KEYS: lock. ARGV: token. Deletes the lock if it holds the token. */
    tg__rd_script unlock;
} tg__rd_scripts;

/* Fill @p s. 0, or -1 when hashing failed. */
TG_WARN_UNUSED int tg__rd_scripts_init(tg__rd_scripts *s);

#endif
