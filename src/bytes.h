/* Short-string comparison for the hot path: known lengths, no libc call. */
#ifndef TG_SRC_BYTES_H
#define TG_SRC_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 1 when the first @p n bytes of a and b are equal. */
static inline __attribute__((always_inline)) int tg__bytes_equal(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
#if defined(__SSE2__)
    /* 16 to 32 bytes (most tool names and identifiers): two overlapping
     * 16-byte compares. */
    if (n >= 16 && n <= 32) {
        __m128i x = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
                                   _mm_loadu_si128((const __m128i *)(const void *)q));
        __m128i y = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + n - 16)),
                                   _mm_loadu_si128((const __m128i *)(const void *)(q + n - 16)));
        return _mm_movemask_epi8(_mm_and_si128(x, y)) == 0xFFFF;
    }
#endif
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
