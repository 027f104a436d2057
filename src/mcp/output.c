/* The proxy's standard output (output.h). */
#include "output.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

int mcp_write_all(int fd, const char *bytes, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, bytes, n);
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

int mcp_output_init(mcp_output *o, int fd)
{
    o->fd = fd;
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
    if (!o->broken && mcp_write_all(o->fd, bytes, n) != 0)
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

static void relay_unlock(void *arg)
{
    mcp_output *o = arg;
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
    /* The write may be where the relay is cancelled at shutdown: the lock
     * is then given back. */
    pthread_cleanup_push(relay_unlock, o);
    put(o, bytes, n);
    pthread_cleanup_pop(0);
    if (bytes[n - 1] == '\n') {
        o->relay_holds = 0;
        pthread_mutex_unlock(&o->lock);
    }
}

void mcp_output_relay_end(mcp_output *o)
{
    relay_unlock(o);
}
