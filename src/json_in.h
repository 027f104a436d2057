/*
 * Bounded JSON parsing of text from outside — configuration and accounts
 * files, webhook bodies, provider answers (through the host table) — in one
 * place: a size and a depth bound, nothing after the value, UTF-8 checked,
 * "\u0000" refused (json-c keeps strings as C strings and would cut them
 * short), and, where asked, every key at most once per object. Messages name
 * the text, say what is wrong in plain words with a line and column, and
 * never quote json-c's own wording or the text's secrets.
 */
#ifndef TG_SRC_JSON_IN_H
#define TG_SRC_JSON_IN_H

#include <stddef.h>

#include <json-c/json_object.h>

/* Flags (the host table's parse_json takes the same values). */
#define TG__JSON_STRICT 1u      /* RFC 8259 only: no comments, no trailing commas… */
#define TG__JSON_UNIQUE_KEYS 2u /* a key given twice in an object is an error */
#define TG__JSON_OBJECT 4u      /* the top-level value must be an object */

typedef struct tg__json_limits {
    const char *what;    /* names the text in messages, e.g. "config", "event" */
    size_t max_bytes;
    int max_depth;
    unsigned flags;      /* TG__JSON_* */
    int err;             /* the code for a bad text (TG_ECONFIG or TG_EINVAL) */
} tg__json_limits;

/**
 * Parse @p len bytes of @p text (need not be NUL-terminated).
 * @return TG_OK with *out set (caller puts it); lim->err with a message
 *         ("config: key \"cache.ttl\" is given twice (line 3, column 5)");
 *         TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__json_parse(const char *text, size_t len, const tg__json_limits *lim, json_object **out);

#endif
