/* A fast 64-bit hash for short strings (tool names, identifiers): 16 bytes
 * folded per 64×64→128 multiply. Each gate seeds its hashes at random, so
 * users cannot choose identifiers that collide in its cache. */
#ifndef TG_SRC_HASH_H
#define TG_SRC_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TG__HASH_K0 0x9e3779b97f4a7c15ull
#define TG__HASH_K1 0xd6e8feb86659fd93ull
#define TG__HASH_K2 0xa0761d6478bd642full

__extension__ typedef unsigned __int128 tg__u128;

static inline uint64_t tg__hash_mix(uint64_t a, uint64_t b)
{
    tg__u128 r = (tg__u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t tg__load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t tg__load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* 16 bytes per multiply; the last 16 (or fewer) bytes are read as two
 * overlapping words, so no byte past n is touched. */
static inline uint64_t tg__hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t a, b;

    seed ^= (uint64_t)n * TG__HASH_K0;
    if (n <= 16) {
        if (n >= 8) {
            a = tg__load64(p);
            b = tg__load64(p + n - 8);
        } else if (n >= 4) {
            a = tg__load32(p);
            b = tg__load32(p + n - 4);
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = n;
        while (left > 16) {
            seed = tg__hash_mix(tg__load64(p) ^ seed ^ TG__HASH_K1,
                                tg__load64(p + 8) ^ seed ^ TG__HASH_K2);
            p += 16;
            left -= 16;
        }
        a = tg__load64(p + left - 16);
        b = tg__load64(p + left - 8);
    }
    /* The seed enters both factors: no input can zero one without knowing it. */
    return tg__hash_mix(a ^ seed ^ TG__HASH_K1, b ^ seed ^ TG__HASH_K2);
}

/* tg__hash_bytes(src, n, seed), also copying the n bytes and a NUL to dst:
 * one pass over an identifier that the check both hashes and hands back. */
static inline uint64_t tg__hash_copy(char *dst, const char *src, size_t n, uint64_t seed)
{
    const unsigned char *p = (const unsigned char *)src;
    char *q = dst;
    uint64_t a, b;

    seed ^= (uint64_t)n * TG__HASH_K0;
    dst[n] = '\0';
    if (n <= 16) {
        if (n >= 8) {
            a = tg__load64(p);
            b = tg__load64(p + n - 8);
            memcpy(q, &a, 8);
            memcpy(q + n - 8, &b, 8);
        } else if (n >= 4) {
            uint32_t x = (uint32_t)tg__load32(p), y = (uint32_t)tg__load32(p + n - 4);
            memcpy(q, &x, 4);
            memcpy(q + n - 4, &y, 4);
            a = x;
            b = y;
        } else if (n > 0) {
            size_t i;
            for (i = 0; i < n; i++)
                q[i] = (char)p[i];
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = n;
        do {
            uint64_t x = tg__load64(p), y = tg__load64(p + 8);
            memcpy(q, &x, 8);
            memcpy(q + 8, &y, 8);
            seed = tg__hash_mix(x ^ seed ^ TG__HASH_K1, y ^ seed ^ TG__HASH_K2);
            p += 16;
            q += 16;
            left -= 16;
        } while (left > 16);
        a = tg__load64(p + left - 16);
        b = tg__load64(p + left - 8);
        memcpy(q + left - 16, &a, 8);
        memcpy(q + left - 8, &b, 8);
    }
    return tg__hash_mix(a ^ seed ^ TG__HASH_K1, b ^ seed ^ TG__HASH_K2);
}

#endif
