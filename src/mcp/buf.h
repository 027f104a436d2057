/* A growable byte buffer for the proxy's messages, with a ceiling. */
#ifndef TG_MCP_BUF_H
#define TG_MCP_BUF_H

#include <stddef.h>

typedef struct mcp_buf {
    char *data;
    size_t len, alloc;
    size_t max; /* appends that would pass it fail (0: no ceiling) */
} mcp_buf;

/* Append @p n bytes. Returns 0, or -1 (out of memory or over max; the
 * buffer is unchanged). */
int mcp_buf_add(mcp_buf *b, const void *bytes, size_t n);
/* Make room for @p n bytes in all. Returns 0 or -1. */
int mcp_buf_reserve(mcp_buf *b, size_t n);
/* Append a NUL-terminated string. */
int mcp_buf_adds(mcp_buf *b, const char *s);
/* Forget the contents; give back the memory when more than @p keep bytes
 * are held. */
void mcp_buf_reset(mcp_buf *b, size_t keep);
void mcp_buf_free(mcp_buf *b);

#endif
