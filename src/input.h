/* Input rules of DESIGN §9: tools, connections, identifiers. */
#ifndef TG_SRC_INPUT_H
#define TG_SRC_INPUT_H

#include <stddef.h>

/* Each returns 1 and stores the length in *len (if not NULL) when @p s is a
 * valid NUL-terminated name, 0 otherwise (including NULL). */
int tg__valid_tool(const char *s, size_t *len);
int tg__valid_connection(const char *s, size_t *len);
int tg__valid_identifier(const char *s, size_t *len);

/* 1 when the first @p n bytes are valid tool-name characters (for prefixes). */
int tg__valid_tool_chars(const char *s, size_t n);

/* Set the error message for an invalid name and return TG_EINVAL. @p what is
 * "tool", "connection" or "identifier". */
int tg__invalid_input(const char *what, const char *s);

#endif
