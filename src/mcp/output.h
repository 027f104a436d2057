/*
 * The proxy's standard output: the client's input. Two kinds of writer share
 * it — the relay of the server's bytes, and the proxy's own messages
 * (answers, completion notifications) — so that a message of the proxy never
 * lands inside a line of the server: the relay holds the lock from the first
 * byte of a line to its newline. Writes block (the client's pace is the
 * server's pace: back-pressure, nothing buffered here).
 */
#ifndef TG_MCP_OUTPUT_H
#define TG_MCP_OUTPUT_H

#include <pthread.h>
#include <stddef.h>

typedef struct mcp_output {
    int fd;
    int stop_fd;       /* readable once the proxy stops: writes give up (-1: none) */
    pthread_mutex_t lock;
    int relay_holds;   /* the relay is inside a line (it holds the lock) */
    int open_line;     /* the server's output ended inside a line */
    int broken;        /* a write failed: the client is gone; later writes are dropped */
} mcp_output;

/**
 * Wait until @p fd is ready for @p events (POLLIN, POLLOUT), or @p stop_fd
 * (when >= 0) is readable. Returns 1 ready (or in error: the I/O call says
 * which), 0 stopped.
 */
int mcp_wait_fd(int fd, short events, int stop_fd);

/* Write all of @p n bytes to @p fd, through EINTR and short writes. With a
 * @p stop_fd, in pieces of at most PIPE_BUF after poll says @p fd is
 * writable, so a reader that stopped reading cannot hold it once stop_fd is
 * readable. Returns 0, or -1 (errno set; stopped: ECANCELED). */
int mcp_write_all(int fd, const char *bytes, size_t n, int stop_fd);

int mcp_output_init(mcp_output *o, int fd, int stop_fd);
void mcp_output_destroy(mcp_output *o);

/* One message of the proxy's, then a newline, between the server's lines.
 * Any thread. */
void mcp_output_message(mcp_output *o, const char *msg, size_t n);

/* The server's next bytes, unchanged (the relay thread only). */
void mcp_output_relay(mcp_output *o, const char *bytes, size_t n);
/* The server's output ended (the relay thread only). */
void mcp_output_relay_end(mcp_output *o);

#endif
