/* See fuzz_bytes.h. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_bytes.h"

static void *fz_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

uint8_t fz_byte(fz_bytes *b)
{
    if (b->n == 0)
        return 0;
    b->n--;
    return *b->p++;
}

uint64_t fz_u64(fz_bytes *b)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v |= (uint64_t)fz_byte(b) << (8 * i);
    return v;
}

char *fz_field(fz_bytes *b, size_t *len)
{
    const uint8_t *nul = b->n ? memchr(b->p, '\0', b->n) : NULL;
    size_t n = nul ? (size_t)(nul - b->p) : b->n;
    char *s = fz_alloc(n + 1);

    memcpy(s, b->p, n);
    s[n] = '\0';
    b->p += n;
    b->n -= n;
    if (nul) {
        b->p++;
        b->n--;
    }
    if (len)
        *len = n;
    return s;
}

char *fz_rest(fz_bytes *b, size_t *len)
{
    char *s = fz_alloc(b->n + 1);

    memcpy(s, b->p, b->n);
    s[b->n] = '\0';
    if (len)
        *len = b->n;
    b->p += b->n;
    b->n = 0;
    return s;
}

char *fz_copy(const void *p, size_t n)
{
    char *s = fz_alloc(n);
    if (n)
        memcpy(s, p, n);
    return s;
}
