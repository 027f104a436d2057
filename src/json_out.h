/* Writing JSON (and one-line text) into a caller's bounded buffer: every
 * write counts what the whole output needs, and copies what fits, so one pass
 * gives both the bytes and *needed. */
#ifndef TG_SRC_JSON_OUT_H
#define TG_SRC_JSON_OUT_H

#include <stddef.h>

typedef struct tg__out {
    char *buf;
    size_t len;  /* capacity */
    size_t used; /* bytes the full output needs so far, NUL excluded */
} tg__out;

/* Raw bytes and text, copied as they are. */
void tg__put(tg__out *o, const char *s, size_t n);
void tg__puts(tg__out *o, const char *s);

/* The inside of a JSON string literal, no quotes: '"', '\\', C0 controls and
 * DEL escaped, bytes that are not valid UTF-8 written as \ufffd. Valid for any
 * NUL-terminated input. */
void tg__put_chars(tg__out *o, const char *s);
/* A JSON string literal: quotes around tg__put_chars(). */
void tg__put_string(tg__out *o, const char *s);
/* ,"key": (no comma when @p first). */
void tg__put_key(tg__out *o, const char *key, int first);
/* ,"key":"value" or ,"key":null when @p value is NULL. */
void tg__put_opt_string(tg__out *o, const char *key, const char *value);

/* Text for a person, kept on one line: controls (C0, DEL, C1, U+2028,
 * U+2029) and bytes that are not valid UTF-8 become U+FFFD. */
void tg__put_line_text(tg__out *o, const char *s);

/**
 * End the output: NUL-terminate it, store the size required (NUL included) in
 * *needed when not NULL. @return TG_OK; TG_EBUFS (buf then holds a truncated,
 * NUL-terminated prefix when len > 0; detail names @p who).
 */
TG_WARN_UNUSED int tg__out_end(tg__out *o, size_t *needed, const char *who);

#endif
