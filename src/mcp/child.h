/*
 * The MCP server the proxy starts: COMMAND [ARG...] with its standard input
 * and output on pipes to the proxy and its standard error the proxy's own.
 */
#ifndef TG_MCP_CHILD_H
#define TG_MCP_CHILD_H

#include <signal.h>
#include <sys/types.h>

typedef struct mcp_child {
    pid_t pid;
    int to_child;   /* write end: the child's standard input */
    int from_child; /* read end: the child's standard output */
} mcp_child;

/**
 * Start argv[0] (looked up in PATH when it has no '/') with @p sigmask as its
 * signal mask, and SIGPIPE back to its default unless @p keep_sigpipe.
 * Returns 0, or an errno value (ENOENT: no such command, EACCES: not
 * executable, ...) with nothing started.
 */
int mcp_child_start(mcp_child *c, char *const argv[], const sigset_t *sigmask, int keep_sigpipe);

/* The proxy's exit code for a child's wait status: its exit code, or
 * 128 + the signal that ended it (as a shell reports it). */
int mcp_child_exit_code(int wait_status);

#endif
