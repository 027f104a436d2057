/* The proxy's standard output (output.h). */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

int mcp_wait_fd(int fd, short events, int stop_fd)
{
    struct pollfd p[2] = { { fd, events, 0 }, { stop_fd, POLLIN, 0 } };

    if (stop_fd < 0)
        return 1;
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1; /* let the I/O call report it */
        }
        if (p[1].revents)
            return 0;
        if (p[0].revents)
            return 1;
    }
}

int mcp_write_all(int fd, const char *bytes, size_t n, int stop_fd)
{
    while (n > 0) {
        size_t piece = stop_fd >= 0 && n > PIPE_BUF ? PIPE_BUF : n;
        ssize_t w;

        if (!mcp_wait_fd(fd, POLLOUT, stop_fd)) {
            errno = ECANCELED;
            return -1;
        }
        w = write(fd, bytes, piece);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        bytes += w;
        n -= (size_t)w;
    }
    return 0;
}

int mcp_output_init(mcp_output *o, int fd, int stop_fd)
{
    o->fd = fd;
    o->stop_fd = stop_fd;
    o->relay_holds = o->open_line = o->broken = 0;
    return pthread_mutex_init(&o->lock, NULL) == 0 ? 0 : -1;
}

void mcp_output_destroy(mcp_output *o)
{
    pthread_mutex_destroy(&o->lock);
}

/* Lock held. */
static void put(mcp_output *o, const char *bytes, size_t n)
{
    if (!o->broken && mcp_write_all(o->fd, bytes, n, o->stop_fd) != 0)
        o->broken = 1;
}

void mcp_output_message(mcp_output *o, const char *msg, size_t n)
{
    pthread_mutex_lock(&o->lock);
    /* The server's last line was left unfinished when it ended: finish it,
     * or this message would be read as its continuation. */
    if (o->open_line) {
        put(o, "\n", 1);
        o->open_line = 0;
    }
    put(o, msg, n);
    put(o, "\n", 1);
    pthread_mutex_unlock(&o->lock);
}

void mcp_output_relay_end(mcp_output *o)
{
    if (o->relay_holds) {
        o->relay_holds = 0;
        o->open_line = 1;
        pthread_mutex_unlock(&o->lock);
    }
}

void mcp_output_relay(mcp_output *o, const char *bytes, size_t n)
{
    if (n == 0)
        return;
    if (!o->relay_holds) {
        pthread_mutex_lock(&o->lock);
        o->relay_holds = 1;
    }
    put(o, bytes, n);
    if (bytes[n - 1] == '\n') {
        o->relay_holds = 0;
        pthread_mutex_unlock(&o->lock);
    }
}
