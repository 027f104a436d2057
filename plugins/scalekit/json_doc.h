/*
 * JSON documents the scalekit provider reads — the "provider" configuration
 * object and the API's answers — parsed with bounds and freed wiped: both
 * may hold a secret (the client secret, an access token), and json-c frees
 * its strings and its parse buffer without clearing them.
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_JSON_DOC_H
#define TG_PLUGINS_SCALEKIT_JSON_DOC_H

#include <stddef.h>

#include <json-c/json_object.h>

/* Why a text did not parse. */
typedef enum tg__sk_json_error {
    TG__SK_JSON_OK = 0,
    TG__SK_JSON_EMPTY,     /* no bytes */
    TG__SK_JSON_NUL,       /* a NUL byte in the text */
    TG__SK_JSON_DEEP,      /* nested deeper than allowed */
    TG__SK_JSON_CUT,       /* ends inside a value */
    TG__SK_JSON_SYNTAX,    /* not JSON */
    TG__SK_JSON_TRAILING,  /* something other than white space follows the value */
    TG__SK_JSON_NOMEM
} tg__sk_json_error;

/**
 * Parse @p len bytes of @p text (not necessarily NUL-terminated) as one JSON
 * value followed by nothing but white space.
 * @param depth   nesting limit.
 * @param strict  1: strict syntax and valid UTF-8 (configuration); 0: json-c's
 *                default leniency (answers).
 * @return the value, to free with tg__sk_json_free(); NULL with *why set.
 *         The parser's own buffer is wiped either way.
 */
json_object *tg__sk_json_parse(const char *text, size_t len, int depth, int strict,
                               tg__sk_json_error *why);

/* Wipe every string in @p root (values and member names), then free it. */
void tg__sk_json_free(json_object *root);

#endif
