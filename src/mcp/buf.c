/* A growable byte buffer (buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

int mcp_buf_reserve(mcp_buf *b, size_t n)
{
    size_t want;
    char *p;

    if (n > (size_t)-1 / 4 || (b->max && n > b->max))
        return -1;
    if (n <= b->alloc)
        return 0;
    want = b->alloc ? b->alloc : 256;
    while (want < n)
        want *= 2;
    if (b->max && want > b->max)
        want = b->max;
    p = realloc(b->data, want);
    if (!p)
        return -1;
    b->data = p;
    b->alloc = want;
    return 0;
}

int mcp_buf_add(mcp_buf *b, const void *bytes, size_t n)
{
    if (n > (size_t)-1 / 4 - b->len || mcp_buf_reserve(b, b->len + n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return 0;
}

int mcp_buf_adds(mcp_buf *b, const char *s)
{
    return mcp_buf_add(b, s, strlen(s));
}

void mcp_buf_reset(mcp_buf *b, size_t keep)
{
    b->len = 0;
    if (b->alloc > keep) {
        free(b->data);
        b->data = NULL;
        b->alloc = 0;
    }
}

void mcp_buf_free(mcp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}
