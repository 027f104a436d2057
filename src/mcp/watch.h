/*
 * The completion of URL elicitations (`toolgate mcp-proxy`): for each
 * elicitation the proxy answered, a thread waits (tg_gate_wait: provider
 * polls with backoff from the poll interval, woken at once by an event or
 * invalidation) until the account is ACTIVE, then has
 * notifications/elicitation/complete sent with that elicitationId, once.
 * At most MCP_WATCH_MAX at a time, each for at most MCP_WATCH_MS; one per
 * elicitation id.
 */
#ifndef TG_MCP_WATCH_H
#define TG_MCP_WATCH_H

#include <pthread.h>
#include <stdint.h>

#include "toolgate/toolgate.h"
#include "mcp_limits.h"

/* Sends one notification (a whole JSON-RPC message, no newline). Called
 * from a watcher thread. */
typedef void (*mcp_send_fn)(void *ctx, const char *msg, size_t n);
/* One line for the operator. */
typedef void (*mcp_note_fn)(void *ctx, const char *text);

typedef struct mcp_watcher {
    int used;    /* a thread was started and not yet joined */
    int running; /* it has not finished */
    pthread_t thread;
    char elicitation_id[80];
    char connection[TG_CONNECTION_MAX + 1];
    struct mcp_watches *owner;
} mcp_watcher;

typedef struct mcp_watches {
    tg_gate *gate;
    const char *identifier;
    int64_t poll_ms, timeout_ms;
    mcp_send_fn send;
    mcp_note_fn note;
    void *ctx;
    pthread_mutex_t lock;
    int stopping;
    mcp_watcher slot[MCP_WATCH_MAX];
} mcp_watches;

/* Returns 0, or -1. Installs the handler of the signal that ends a watcher
 * (SIGUSR2). */
int mcp_watches_init(mcp_watches *w, tg_gate *gate, const char *identifier, int64_t poll_ms,
                     mcp_send_fn send, mcp_note_fn note, void *ctx);

/* Watch (connection, identifier) for elicitation @p elicitation_id, unless
 * it is watched already. Any thread. */
void mcp_watches_start(mcp_watches *w, const char *connection, const char *elicitation_id);

/* Number of watchers running now. */
int mcp_watches_running(mcp_watches *w);

/* End every watcher (within about 100 ms) and join them; none starts after. */
void mcp_watches_stop(mcp_watches *w);

#endif
