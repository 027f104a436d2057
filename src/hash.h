/* A fast 64-bit hash for short strings (tool names, identifiers): 8-byte
 * words folded with a 64×64→128 multiply. Not for adversarial DoS resistance
 * on its own: each gate seeds its hashes at random. */
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

static inline uint64_t tg__hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t h = seed ^ ((uint64_t)n * TG__HASH_K0);
    uint64_t tail;

    if (n > 8) {
        size_t left = n;
        while (left > 8) {
            h = tg__hash_mix(h ^ tg__load64(p), TG__HASH_K1);
            p += 8;
            left -= 8;
        }
        tail = tg__load64(p + left - 8); /* overlaps the last full word */
    } else if (n >= 4) {
        tail = (tg__load32(p) << 32) | tg__load32(p + n - 4);
    } else if (n > 0) {
        tail = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    } else {
        tail = 0;
    }
    return tg__hash_mix(h ^ tail, TG__HASH_K2);
}

#endif
