/* Short-string comparison for the hot path: known lengths, no libc call. */
#ifndef TG_SRC_BYTES_H
#define TG_SRC_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"

/* 1 when the first @p n bytes of a and b are equal. */
static inline int tg__bytes_equal(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    if (n >= 8) {
        size_t i;
        for (i = 0; i + 8 < n; i += 8)
            if (tg__load64(p + i) != tg__load64(q + i))
                return 0;
        return tg__load64(p + n - 8) == tg__load64(q + n - 8);
    }
    if (n >= 4)
        return tg__load32(p) == tg__load32(q) && tg__load32(p + n - 4) == tg__load32(q + n - 4);
    while (n--)
        if (*p++ != *q++)
            return 0;
    return 1;
}

/* Copy @p n bytes and a terminating NUL; reads no byte of src past n. */
static inline void tg__copy_cstr(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        size_t i;
        for (i = 0; i + 8 < n; i += 8)
            memcpy(dst + i, src + i, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        size_t i;
        for (i = 0; i < n; i++)
            dst[i] = src[i];
    }
    dst[n] = '\0';
}

#endif
