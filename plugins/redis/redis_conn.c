/* One connection to Redis; see redis_conn.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "redis_conn.h"

#define TG__RD_IO_CHUNK (16 * 1024)

#define TG__RD_WHY(...) snprintf(why, whycap, __VA_ARGS__)

/* Wait for @p events on @p fd. TG_OK when ready; TG_ETIMEOUT; TG_ECANCELED;
 * TG_EPROVIDER when poll itself fails. */
static int tg__rd_poll(int fd, short events, const tg__rd_wait *w)
{
    for (;;) {
        struct pollfd p[2];
        int64_t left = w->deadline_ms - w->host->mono_ms();
        int n = 1, r;

        if (left < 0)
            left = 0;
        if (left > 60 * 60 * 1000)
            left = 60 * 60 * 1000;
        p[0].fd = fd;
        p[0].events = events;
        p[0].revents = 0;
        if (w->stop_fd >= 0) {
            p[1].fd = w->stop_fd;
            p[1].events = POLLIN;
            p[1].revents = 0;
            n = 2;
        }
        r = poll(p, (nfds_t)n, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return TG_EPROVIDER;
        if (n == 2 && p[1].revents)
            return TG_ECANCELED;
        if (r > 0 && p[0].revents)
            return TG_OK;
        if (left == 0)
            return TG_ETIMEOUT;
    }
}

static const char *tg__rd_wait_error(int rc)
{
    return rc == TG_ECANCELED ? "stopped" : rc == TG_ETIMEOUT ? "timed out" : "poll failed";
}

int tg__rd_send(redisContext *c, int argc, const char **argv, const size_t *lens,
                const tg__rd_wait *w, char *why, size_t whycap)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens), rc = TG_OK;
    size_t off = 0;

    if (len < 0 || !cmd) {
        TG__RD_WHY("out of memory");
        return TG_ENOMEM;
    }
    while (off < (size_t)len) {
        ssize_t n = send(c->fd, cmd + off, (size_t)len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rc = tg__rd_poll(c->fd, POLLOUT, w);
            if (rc == TG_OK)
                continue;
            TG__RD_WHY("sending a command %s", tg__rd_wait_error(rc));
            break;
        }
        TG__RD_WHY("sending a command failed: %s", n < 0 ? strerror(errno) : "nothing sent");
        rc = TG_EPROVIDER;
        break;
    }
    redisFreeCommand(cmd);
    return rc;
}

/* One recv() of up to @p cap bytes into @p buf: *got bytes (0 when
 * interrupted or not ready yet: poll again), or an error when Redis closed
 * the connection or the read failed. */
static int tg__rd_read_some(int fd, char *buf, size_t cap, size_t *got, char *why, size_t whycap)
{
    ssize_t n = recv(fd, buf, cap, 0);

    *got = 0;
    if (n == 0) {
        TG__RD_WHY("Redis closed the connection");
        return TG_EPROVIDER;
    }
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return TG_OK;
        TG__RD_WHY("reading a reply failed: %s", strerror(errno));
        return TG_EPROVIDER;
    }
    *got = (size_t)n;
    return TG_OK;
}

int tg__rd_recv(redisContext *c, size_t cap, const tg__rd_wait *w, redisReply **out, char *why,
                size_t whycap)
{
    char buf[TG__RD_IO_CHUNK];

    *out = NULL;
    for (;;) {
        void *reply = NULL;
        size_t n;
        int rc;

        if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
            TG__RD_WHY("a protocol error in a reply: %s", c->reader->errstr);
            return TG_EPROVIDER;
        }
        if (reply) {
            *out = reply;
            return TG_OK;
        }
        if (c->reader->len - c->reader->pos > cap) {
            TG__RD_WHY("a reply larger than %zu bytes", cap);
            return TG_EBUFS;
        }
        rc = tg__rd_poll(c->fd, POLLIN, w);
        if (rc != TG_OK) {
            TG__RD_WHY("waiting for a reply %s", tg__rd_wait_error(rc));
            return rc;
        }
        rc = tg__rd_read_some(c->fd, buf, sizeof buf, &n, why, whycap);
        if (rc != TG_OK)
            return rc;
        if (n == 0)
            continue;
        if (redisReaderFeed(c->reader, buf, n) != REDIS_OK) {
            TG__RD_WHY("out of memory");
            return TG_ENOMEM;
        }
    }
}

int tg__rd_command(redisContext *c, int argc, const char **argv, const size_t *lens,
                   const tg__rd_wait *w, redisReply **out, char *why, size_t whycap)
{
    int rc = tg__rd_send(c, argc, argv, lens, w, why, whycap);

    *out = NULL;
    if (rc != TG_OK)
        return rc;
    rc = tg__rd_recv(c, TG__RD_REPLY_MAX, w, out, why, whycap);
    return rc == TG_EBUFS ? TG_EPROVIDER : rc;
}

/* A command whose reply must be the status OK (AUTH, SELECT). */
static int tg__rd_expect_ok(redisContext *c, const tg__rd_config *cfg, const char *what,
                            int argc, const char **argv, const size_t *lens,
                            const tg__rd_wait *w, char *why, size_t whycap)
{
    redisReply *r = NULL;
    int rc = tg__rd_command(c, argc, argv, lens, w, &r, why, whycap);

    if (rc != TG_OK)
        return rc;
    if (r->type != REDIS_REPLY_STATUS || r->len != 2 || memcmp(r->str, "OK", 2) != 0) {
        char ex[160];
        if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
            w->host->excerpt(r->str, r->len, 120, ex, sizeof ex);
        else
            snprintf(ex, sizeof ex, "a reply of type %d", r->type);
        /* Never echo what Redis might have echoed of the password. */
        if (cfg->password && strstr(ex, cfg->password))
            snprintf(ex, sizeof ex, "an error reply");
        TG__RD_WHY("%s refused: %s", what, ex);
        rc = TG_EPROVIDER;
    }
    freeReplyObject(r);
    return rc;
}

int tg__rd_connect(const tg__rd_config *cfg, int select_db, const tg__rd_wait *w,
                   redisContext **out, char *why, size_t whycap)
{
    redisContext *c;
    int rc, err = 0;
    socklen_t len = sizeof err;

    *out = NULL;
    c = cfg->unix_path ? redisConnectUnixNonBlock(cfg->unix_path)
                       : redisConnectNonBlock(cfg->host, cfg->port);
    if (!c) {
        TG__RD_WHY("out of memory");
        return TG_ENOMEM;
    }
    if (c->err) {
        TG__RD_WHY("cannot connect: %s", c->errstr);
        redisFree(c);
        return TG_EPROVIDER;
    }
    (void)fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    rc = tg__rd_poll(c->fd, POLLOUT, w);
    if (rc != TG_OK) {
        TG__RD_WHY("connecting %s", tg__rd_wait_error(rc));
        redisFree(c);
        return rc;
    }
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        TG__RD_WHY("cannot connect: %s", strerror(err ? err : errno));
        redisFree(c);
        return TG_EPROVIDER;
    }
    if (cfg->password) {
        const char *argv[3] = { "AUTH", NULL, NULL };
        size_t lens[3] = { 4, 0, 0 };
        int argc = 1;
        if (cfg->username) {
            argv[argc] = cfg->username;
            lens[argc++] = strlen(cfg->username);
        }
        argv[argc] = cfg->password;
        lens[argc++] = strlen(cfg->password);
        rc = tg__rd_expect_ok(c, cfg, "AUTH", argc, argv, lens, w, why, whycap);
        if (rc != TG_OK) {
            redisFree(c);
            return rc;
        }
    }
    if (select_db && cfg->db != 0) {
        char db[16];
        const char *argv[2] = { "SELECT", db };
        size_t lens[2] = { 6, 0 };
        lens[1] = (size_t)snprintf(db, sizeof db, "%d", cfg->db);
        rc = tg__rd_expect_ok(c, cfg, "SELECT", 2, argv, lens, w, why, whycap);
        if (rc != TG_OK) {
            redisFree(c);
            return rc;
        }
    }
    *out = c;
    return TG_OK;
}

int tg__rd_skip_bulk(redisContext *c, const tg__rd_wait *w, size_t *dropped, char *why,
                     size_t whycap)
{
    redisReader *r = c->reader;
    const char *p = r->buf + r->pos, *end = r->buf + r->len;
    unsigned long long m = 0;
    size_t have, need;
    char buf[TG__RD_IO_CHUNK];
    int digits = 0;

    *dropped = 0;
    /* The reader stops at a bulk string it cannot complete: at its '$', or
     * just after it once it has read the type. */
    if (p < end && *p == '$')
        p++;
    for (; p < end && *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
        m = m * 10 + (unsigned long long)(*p - '0');
    if (digits == 0 || end - p < 2 || p[0] != '\r' || p[1] != '\n') {
        TG__RD_WHY("a reply too large that is not a bulk string");
        return TG_EPROVIDER;
    }
    p += 2;
    have = (size_t)(end - p);
    if (have >= m + 2) {
        TG__RD_WHY("a reply too large that the reader did not take");
        return TG_EPROVIDER;
    }
    need = (size_t)m + 2 - have;
    while (need > 0) {
        size_t n;
        int rc = tg__rd_poll(c->fd, POLLIN, w);
        if (rc != TG_OK) {
            TG__RD_WHY("skipping a large reply %s", tg__rd_wait_error(rc));
            return rc;
        }
        rc = tg__rd_read_some(c->fd, buf, need < sizeof buf ? need : sizeof buf, &n, why,
                              whycap);
        if (rc != TG_OK)
            return rc;
        need -= n;
    }
    redisReaderFree(c->reader);
    c->reader = redisReaderCreate();
    if (!c->reader) {
        TG__RD_WHY("out of memory");
        return TG_ENOMEM;
    }
    *dropped = (size_t)m;
    return TG_OK;
}

int tg__rd_idle_ok(redisContext *c)
{
    struct pollfd p;

    if (c->err || c->reader->len != c->reader->pos)
        return 0;
    p.fd = c->fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) == 0;
}
