/*
 * The shared tier "redis" (src/shared.h): the state behind its method
 * table, and the methods, one file each side — the commands (read, write,
 * publish: redis_commands.c), the lock (redis_lock.c), the subscriber
 * (redis_subscriber.c) — tied together in redis_tier.c.
 *
 * The tier gets what it needs from the host table, as a provider does; it
 * links hiredis, json-c and libcrypto, never the library's internals.
 */
#ifndef TG_PLUGINS_REDIS_TIER_H
#define TG_PLUGINS_REDIS_TIER_H

#include <pthread.h>
#include <stddef.h>

#include "redis_codec.h"
#include "redis_config.h"
#include "redis_keys.h"
#include "redis_pool.h"
#include "redis_scripts.h"
#include "shared.h"

typedef struct tg__rd_sub tg__rd_sub;

/* A lock this tier holds: its key and the token it was taken with. */
typedef struct tg__rd_held {
    char key[TG__RD_KEY_MAX];
    char token[33];
    int64_t until_ms; /* host->mono_ms() after which Redis has let it go */
} tg__rd_held;

typedef struct tg__rd_tier {
    const tg_host *host;
    tg__rd_config cfg;
    tg__rd_pool pool;
    tg__rd_scripts scripts;
    char origin[TG__RD_ORIGIN_LEN + 1]; /* this tier's id in its messages */
    char channel[TG__RD_KEY_MAX];
    char key_all[TG__RD_KEY_MAX];
    pthread_mutex_t held_lock;
    tg__rd_held *held; /* the locks taken and not yet released */
    size_t n_held, cap_held;
    tg__rd_sub *sub;
} tg__rd_tier;

/* The methods of tg__shared_tier. */
TG_WARN_UNUSED int tg__rd_read(void *state, const char *connection, const char *identifier,
                tg__shared_record *out, int *found);
TG_WARN_UNUSED int tg__rd_write(void *state, tg__shared_write how, const char *connection,
                 const char *identifier, const tg__shared_record *rec, int64_t ttl_ms,
                 int *applied);
TG_WARN_UNUSED int tg__rd_publish(void *state, const tg__shared_change *c);
TG_WARN_UNUSED int tg__rd_lock(void *state, const char *connection, const char *identifier, int64_t ttl_ms,
                int *acquired);
void tg__rd_unlock(void *state, const char *connection, const char *identifier);

/* @p n random bytes as 2n lowercase hex digits (NUL-terminated) into @p out.
 * 0, or -1 when the system has no randomness to give. */
TG_WARN_UNUSED int tg__rd_random_hex(char *out, size_t n);

/* The deadline of one call: now plus the tier's timeout_ms. */
tg__rd_wait tg__rd_call_wait(const tg__rd_tier *t);

/* Report a failed call through host->set_error: "Redis at WHERE: WHY". */
TG_WARN_UNUSED int tg__rd_fail(const tg__rd_tier *t, int rc, const char *why);

/* The subscriber: its thread, started by create and stopped by destroy. */
TG_WARN_UNUSED int tg__rd_sub_start(tg__rd_tier *t, const tg__shared_sink *sink, tg__rd_sub **out);
void tg__rd_sub_stop(tg__rd_sub *s);
TG_WARN_UNUSED int tg__rd_sub_up(const tg__rd_sub *s);

#endif
