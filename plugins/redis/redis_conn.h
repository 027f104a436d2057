/*
 * One connection to Redis, on hiredis: its RESP formatter and reply reader,
 * and its non-blocking connect (name resolution, the socket). The waiting
 * is ours: every step polls against one deadline on the host's monotonic
 * clock, so a call is bounded in all (connect, AUTH, SELECT, command), and
 * optionally against a stop descriptor that cancels it at once. Writes use
 * send(MSG_NOSIGNAL): a connection reset never raises SIGPIPE in the host.
 *
 * A failed or timed-out connection is not reused (its reply may still be in
 * flight): the caller frees it. Reasons go into a caller buffer, never the
 * password, so the command side can set_error() and the subscriber log.
 *
 * Thread safety: one thread at a time per connection.
 */
#ifndef TG_PLUGINS_REDIS_CONN_H
#define TG_PLUGINS_REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "redis_config.h"

#define TG__RD_REPLY_MAX (64 * 1024) /* bytes buffered for one command's reply */

/* Where to wait and for how long: the host's clock, a deadline on it, and a
 * descriptor whose readability cancels (-1: none). */
typedef struct tg__rd_wait {
    const tg_host *host;
    int64_t deadline_ms;
    int stop_fd;
} tg__rd_wait;

/**
 * Connect to @p cfg's Redis; AUTH when it has a password; SELECT its
 * database when @p select_db and it is not 0.
 * @return TG_OK with *out set (free with redisFree); TG_ETIMEOUT;
 *         TG_ECANCELED; TG_EPROVIDER (refused, AUTH or SELECT refused,
 *         ...) with @p why set; TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__rd_connect(const tg__rd_config *cfg, int select_db, const tg__rd_wait *w,
                   redisContext **out, char *why, size_t whycap);

/* Send one command. TG_OK; TG_ETIMEOUT; TG_ECANCELED; TG_EPROVIDER;
 * TG_ENOMEM. */
TG_WARN_UNUSED int tg__rd_send(redisContext *c, int argc, const char **argv, const size_t *lens,
                const tg__rd_wait *w, char *why, size_t whycap);

/**
 * The next reply, at most @p cap bytes buffered while reading it.
 * @return TG_OK with *out (freeReplyObject; an error reply is a reply);
 *         TG_ETIMEOUT (nothing complete by the deadline); TG_ECANCELED;
 *         TG_EBUFS (over @p cap: the reply is still being read);
 *         TG_EPROVIDER (closed, reset, a protocol error).
 */
TG_WARN_UNUSED int tg__rd_recv(redisContext *c, size_t cap, const tg__rd_wait *w, redisReply **out, char *why,
                size_t whycap);

/* Send and receive one command with TG__RD_REPLY_MAX; TG_EBUFS becomes
 * TG_EPROVIDER. */
TG_WARN_UNUSED int tg__rd_command(redisContext *c, int argc, const char **argv, const size_t *lens,
                   const tg__rd_wait *w, redisReply **out, char *why, size_t whycap);

/**
 * After tg__rd_recv's TG_EBUFS: when the reply being read is stuck in one
 * bulk string (a message too large), read and drop the rest of that string
 * from the socket and start the reader afresh, so the stream goes on with
 * the next reply. *dropped: the bulk string's length.
 * @return TG_OK; TG_EPROVIDER when the reply is not a bulk string being
 *         read (the connection must go); TG_ETIMEOUT; TG_ECANCELED.
 */
TG_WARN_UNUSED int tg__rd_skip_bulk(redisContext *c, const tg__rd_wait *w, size_t *dropped, char *why,
                     size_t whycap);

/* 1 when an idle connection looks usable: nothing to read (no EOF, no
 * stray bytes) and no error. */
TG_WARN_UNUSED int tg__rd_idle_ok(redisContext *c);

#endif
