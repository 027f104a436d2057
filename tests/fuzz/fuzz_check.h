/* Invariants the fuzz targets share. A broken one prints where and why, then
 * aborts, which libFuzzer reports as a crash and replay.c as a failed test. */
#ifndef TG_FUZZ_CHECK_H
#define TG_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json_object.h>

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* FZ_CHECK(cond, "format", ...): abort with the message unless cond holds. */
#define FZ_CHECK(cond, ...)                                     \
    do {                                                        \
        if (!(cond))                                            \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);    \
    } while (0)

/* A reference UTF-8 decoder, written apart from the library's: the length
 * (1-4) of the sequence at p[0..n) and its code point, 0 when it is not
 * valid UTF-8 (overlong, surrogate, past U+10FFFF, cut short). */
size_t fz_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* 1 when s[0..n) is valid UTF-8. */
int fz_utf8_valid(const char *s, size_t n);

/* 1 when s[0..n) is printable ASCII (0x20-0x7E). */
int fz_printable_ascii(const char *s, size_t n);

/* Parse s[0..n) as exactly one strict JSON value (RFC 8259; nothing after it
 * but white space) with json-c. NULL when it is not. Caller puts. */
json_object *fz_json_parse(const char *s, size_t n);

/* JSON text as the library writes it: no raw C0 control byte (RFC 8259; not
 * even white space) and only valid UTF-8. DEL may stand raw: a JSON-RPC id
 * is echoed as the client wrote it. */
void fz_check_json_text(const char *what, const char *s, size_t n);

/* fz_check_json_text, and the text parses as one JSON object. Returns it
 * (caller puts). */
json_object *fz_check_json_object(const char *what, const char *s, size_t n);

/* A failure message must be one line that is safe to log (docs/errors.md):
 * non-empty, shorter than 512 bytes, printable ASCII, starting with
 * @p prefix (may be NULL). */
void fz_check_message(const char *what, const char *msg, const char *prefix);

/* The string member @p key of @p obj, or NULL when it is absent, null or not
 * a string. */
const char *fz_json_string(json_object *obj, const char *key);

#endif
