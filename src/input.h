/* Input rules of docs/design.md §9: tools, connections, identifiers. */
#ifndef TG_SRC_INPUT_H
#define TG_SRC_INPUT_H

#include <stddef.h>

/* Each returns 1 and stores the length in *len (if not NULL) when @p s is a
 * valid NUL-terminated name, 0 otherwise (including NULL). */
TG_WARN_UNUSED int tg__valid_tool(const char *s, size_t *len);
TG_WARN_UNUSED int tg__valid_connection(const char *s, size_t *len);
TG_WARN_UNUSED int tg__valid_identifier(const char *s, size_t *len);

/* 1 when the first @p n bytes are valid tool-name characters (for prefixes). */
TG_WARN_UNUSED int tg__valid_tool_chars(const char *s, size_t n);

/* Length of the UTF-8 sequence at @p s (first byte >= 0x80) of a
 * NUL-terminated string, 0 when invalid: overlong forms, surrogates and code
 * points past U+10FFFF are refused. Reads no byte past a NUL. */
size_t tg__utf8_seq_at(const unsigned char *s);
/* The same within the @p left bytes that remain (text not NUL-terminated). */
size_t tg__utf8_seq_n(const unsigned char *s, size_t left);

/* Set the error message for an invalid name and return TG_EINVAL. @p what is
 * "tool", "connection" or "identifier". */
TG_WARN_UNUSED int tg__invalid_input(const char *what, const char *s);

#endif
