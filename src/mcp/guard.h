/*
 * The gating of one tools/call (`toolgate mcp-proxy`): check the tool for the
 * proxy's end user and say what becomes of the request — forwarded to the
 * server, or answered by the proxy with the request's own id:
 *  - NEEDS_AUTHORIZATION, to a client that declared URL elicitation: error
 *    -32042 with one URL elicitation (tg_decision_encode, TG_FORMAT_MCP);
 *  - NEEDS_AUTHORIZATION otherwise, UNAVAILABLE and DENY: a CallToolResult
 *    with isError and the reason (and link) in its text — the library's
 *    mcp-tool-result without its structuredContent, which a tool's
 *    outputSchema would make clients reject;
 *  - a request without a usable tool name, or one the proxy cannot judge
 *    (params.name given twice, over the size limit): a CallToolResult with
 *    isError saying so.
 * A notification (no id) that is not allowed is dropped: there is no one to
 * answer. Pure apart from the gate: no I/O.
 */
#ifndef TG_MCP_GUARD_H
#define TG_MCP_GUARD_H

#include <stddef.h>

#include "toolgate/toolgate.h"
#include "buf.h"

typedef enum mcp_action {
    MCP_FORWARD = 0, /* pass the request on, unchanged */
    MCP_ANSWER = 1,  /* not forwarded; the answer is set */
    MCP_DROP = 2     /* not forwarded, not answered (a notification) */
} mcp_action;

/* A tools/call as the scanner found it; raw JSON is borrowed. */
typedef struct mcp_call {
    const char *name;   /* raw JSON of params.name; NULL when absent */
    size_t name_len;
    int ambiguous;      /* params or params.name given more than once */
    int too_large;      /* over the proxy's line limit: never forwarded */
    const char *id;     /* raw JSON of the id; NULL for a notification */
    size_t id_len;
} mcp_call;

/* Called for each URL elicitation the proxy answers, with the account and
 * the elicitation id (borrowed for the call). */
typedef void (*mcp_elicited_fn)(void *ctx, const char *connection, const char *elicitation_id);

typedef struct mcp_guard {
    tg_gate *gate;          /* borrowed */
    const char *identifier; /* borrowed: the end user */
    int url_elicitation;    /* the client's initialize declared capabilities.elicitation.url */
    mcp_elicited_fn on_elicited;
    void *ctx;
    /* private */
    tg_decision *d;
    mcp_buf answer;
    mcp_buf enc;
} mcp_guard;

/* Returns 0, or -1 out of memory. */
int mcp_guard_init(mcp_guard *g, tg_gate *gate, const char *identifier,
                   mcp_elicited_fn on_elicited, void *ctx);
void mcp_guard_free(mcp_guard *g);

/**
 * Decide a tools/call. On MCP_ANSWER, *answer and *len hold one JSON-RPC
 * response (no newline), borrowed until the next call.
 */
mcp_action mcp_guard_decide(mcp_guard *g, const mcp_call *c, const char **answer, size_t *len);

/**
 * The answer to a batch the proxy cannot split (more than @p limit messages
 * with a tools/call among them): one JSON-RPC error -32600 with id null.
 * Returns 0 with *answer and *len set as above, or -1 out of memory.
 */
int mcp_guard_batch_refusal(mcp_guard *g, size_t messages, size_t limit, const char **answer,
                            size_t *len);

#endif
