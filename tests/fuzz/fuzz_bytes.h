/* Fields taken one after another from a fuzzer's input: control bytes from
 * the front, then NUL-separated strings. Each string is a heap copy of
 * exactly its bytes and a NUL, so AddressSanitizer sees a read past its end. */
#ifndef TG_FUZZ_BYTES_H
#define TG_FUZZ_BYTES_H

#include <stddef.h>
#include <stdint.h>

typedef struct fz_bytes {
    const uint8_t *p;
    size_t n; /* bytes left */
} fz_bytes;

/* The next byte; 0 when the input is used up. */
uint8_t fz_byte(fz_bytes *b);

/* The next 8 bytes as a little-endian integer; missing bytes count as 0. */
uint64_t fz_u64(fz_bytes *b);

/* The bytes up to the next NUL (which is consumed) or to the end, as a new
 * NUL-terminated string of *len bytes (len may be NULL). Caller frees.
 * Aborts when out of memory. */
char *fz_field(fz_bytes *b, size_t *len);

/* Everything left, NULs included, as a new buffer of *len bytes plus a NUL.
 * Caller frees. Aborts when out of memory. */
char *fz_rest(fz_bytes *b, size_t *len);

/* A heap copy of @p n bytes with no terminator (exact size, for parsers that
 * take a length). Caller frees; never NULL (a 1-byte block when n is 0). */
char *fz_copy(const void *p, size_t n);

#endif
