/*
 * `toolgate mcp-proxy`: an MCP gateway over stdio. It starts an MCP server as
 * its child and relays newline-delimited JSON-RPC both ways — the client's
 * lines through inbound.c (every tools/call gated by guard.c), the server's
 * bytes unchanged — and watches the accounts of the URL elicitations it
 * answers (watch.c).
 *
 * Threads: one reads the client and writes the server (so the client's
 * messages reach the server in order, a provider miss holding back only
 * that direction), one relays the server to the client, one per watched
 * elicitation, and the calling thread handles signals, the child's exit and
 * the shutdown's timers.
 *
 * Ending: the child's exit ends the proxy with the child's exit code (128 +
 * the signal when a signal ended it), once its output is relayed (at most
 * MCP_DRAIN_MS more). The end of the client's input closes the child's
 * standard input; a child still running gets SIGTERM 5 s later and SIGKILL
 * 10 s later. SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to the proxy are
 * passed to the child (not those a terminal sent to the whole process group,
 * which the child got too); the child's exit then ends the proxy.
 */
#ifndef TG_MCP_PROXY_H
#define TG_MCP_PROXY_H

#include <stdint.h>

#include "toolgate/toolgate.h"

#define MCP_TERM_AFTER_EOF_MS 5000
#define MCP_KILL_AFTER_EOF_MS 10000
#define MCP_DRAIN_MS 2000

typedef struct mcp_proxy_options {
    tg_gate *gate;          /* borrowed, used from several threads */
    const char *identifier; /* the end user, already valid */
    int64_t poll_ms;        /* first pause of a completion watch */
    char **argv;            /* COMMAND [ARG...], NULL-terminated */
    /* One line for the operator (no newline), e.g. on stderr. */
    void (*note)(const char *text);
} mcp_proxy_options;

/* Run the proxy until the child ends. Returns the exit code: the child's,
 * or 127 (command not found) / 126 (not executable) / 1 (other failure to
 * start) after a note. */
int mcp_proxy_run(const mcp_proxy_options *o);

#endif
