/* The limits of `toolgate mcp-proxy`, in one place (docs/mcp.md states them). */
#ifndef TG_MCP_LIMITS_H
#define TG_MCP_LIMITS_H

/* A line from the client is held whole, to be judged before a byte of it
 * reaches the server, up to this size. A longer line is streamed through
 * as it arrives, unless it is, or holds, a tools/call: that is refused. */
#define MCP_LINE_MAX ((size_t)64 << 20)

/* A line held under this size keeps its buffer for the next one. */
#define MCP_LINE_KEEP ((size_t)1 << 20)

/* A batch (a JSON array, which MCP 2025-11-25 no longer has) is split
 * around the calls it blocks when it holds at most this many messages. */
#define MCP_BATCH_MAX 1024

/* Elicitations watched at once for their completion; more are answered
 * but not watched. */
#define MCP_WATCH_MAX 64

/* How long an elicitation is watched (10 minutes). */
#define MCP_WATCH_MS (10 * 60 * 1000)

/* Bytes read from a peer at a time. */
#define MCP_READ_CHUNK ((size_t)64 << 10)

#endif
