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
    pthread_mutex_t lock;
    int relay_holds;   /* the relay is inside a line (it holds the lock) */
    int open_line;     /* the server's output ended inside a line */
    int broken;        /* a write failed: the client is gone; later writes are dropped */
} mcp_output;

/* Write all of @p n bytes to @p fd, through EINTR and short writes.
 * Returns 0, or -1 with errno. */
int mcp_write_all(int fd, const char *bytes, size_t n);

int mcp_output_init(mcp_output *o, int fd);
void mcp_output_destroy(mcp_output *o);

/* One message of the proxy's, then a newline, between the server's lines.
 * Any thread. */
void mcp_output_message(mcp_output *o, const char *msg, size_t n);

/* The server's next bytes, unchanged (the relay thread only). */
void mcp_output_relay(mcp_output *o, const char *bytes, size_t n);
/* The server's output ended (the relay thread only). */
void mcp_output_relay_end(mcp_output *o);

#endif
