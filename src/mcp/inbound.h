/*
 * What the client sends, line by line (`toolgate mcp-proxy`): a framer fed
 * with bytes in pieces of any size, no file descriptors, so tests and the
 * fuzzer drive it directly.
 *
 * Each line is held (up to MCP_LINE_MAX) and scanned; then:
 *  - a line that holds no tools/call goes to the server as the same bytes,
 *    newline included — invalid JSON, empty lines and scalars too;
 *  - an initialize request sets whether the client takes URL elicitations;
 *  - a tools/call is decided by the guard: forwarded unchanged, or answered
 *    to the client (and not forwarded), or dropped (a notification);
 *  - a batch whose calls are all allowed goes as it is; otherwise the
 *    messages not blocked go on as one batch (each one's bytes unchanged)
 *    and the answers come back as one batch. A batch of more than
 *    MCP_BATCH_MAX messages with a call among them is refused whole.
 * A line longer than MCP_LINE_MAX is streamed to the server as it arrives,
 * still scanned: when a tools/call shows up in it, the line is cut there
 * (the server then holds an unfinished, invalid message) and the call is
 * answered as too large. A line the client leaves unfinished at the end of
 * its input is judged the same way and passed on without a newline.
 */
#ifndef TG_MCP_INBOUND_H
#define TG_MCP_INBOUND_H

#include <stddef.h>

#include "buf.h"
#include "guard.h"
#include "scan.h"

typedef struct mcp_inbound_ops {
    /* Bytes for the server, in order. 0, or -1 once the server is gone. */
    int (*to_server)(void *ctx, const char *bytes, size_t n);
    /* One whole message for the client, without its newline. */
    void (*to_client)(void *ctx, const char *msg, size_t n);
    /* One line for the operator (stderr), for what the proxy dropped. */
    void (*note)(void *ctx, const char *text);
} mcp_inbound_ops;

/* A message of the current line, as found by the scanner. */
typedef struct mcp_record {
    mcp_span whole, id, name;
    unsigned ids, names, params;
    int call, initialize, url_elicitation;
} mcp_record;

typedef struct mcp_inbound {
    mcp_guard *guard;
    const mcp_inbound_ops *ops;
    void *ctx;
    size_t line_max;      /* MCP_LINE_MAX; tests set a smaller one */
    /* private */
    mcp_scan scan;
    mcp_buf line;         /* the line held, then its newline */
    int streaming;        /* over MCP_LINE_MAX: passed on as it comes */
    size_t sent;          /* streaming: bytes of the line passed on */
    size_t cut;           /* streaming: where the line was cut ((size_t)-1: not) */
    int refused;          /* streaming: a call found, to answer at the end */
    char refused_id[MCP_SCAN_ID_MAX];
    size_t refused_id_len; /* 0: no id to answer */
    mcp_record *recs;     /* up to MCP_BATCH_MAX */
    size_t nrecs, nmsgs;
    int any_call;
    mcp_buf out;          /* a rebuilt batch, or the answers to one */
} mcp_inbound;

/* Returns 0, or -1 out of memory. */
int mcp_inbound_init(mcp_inbound *in, mcp_guard *guard, const mcp_inbound_ops *ops, void *ctx);
void mcp_inbound_free(mcp_inbound *in);

/* The next bytes from the client. */
void mcp_inbound_feed(mcp_inbound *in, const char *bytes, size_t n);

/* The client's input ended: an unfinished last line is handled now. */
void mcp_inbound_end(mcp_inbound *in);

#endif
