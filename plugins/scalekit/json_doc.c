/* JSON documents parsed with bounds and freed wiped; see json_doc.h. */
#include <stdint.h>
#include <string.h>

#include <json-c/linkhash.h>

#include <json-c/json_tokener.h>
#include <json-c/printbuf.h>

#include "json_doc.h"
#include "wipe.h"

/* The tokener keeps the last strings it read in its buffer and frees it
 * without clearing it. json-c has no call for this; the buffer is reached
 * through fields its header marks as not for callers, laid out the same in
 * every json-c from 0.13 to 0.17. */
static void tg__sk_tokener_free(json_tokener *tok)
{
    if (!tok)
        return;
    if (tok->pb && tok->pb->buf && tok->pb->size > 0)
        tg__sk_wipe(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
}

json_object *tg__sk_json_parse(const char *text, size_t len, int depth, int strict,
                               tg__sk_json_error *why)
{
    json_tokener *tok;
    json_object *root;
    enum json_tokener_error jerr;
    size_t end;

    *why = TG__SK_JSON_OK;
    if (!text || len == 0) {
        *why = TG__SK_JSON_EMPTY;
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        *why = TG__SK_JSON_NUL;
        return NULL;
    }
    if (len > (size_t)INT32_MAX - 1) {
        *why = TG__SK_JSON_SYNTAX;
        return NULL;
    }
    tok = json_tokener_new_ex(depth);
    if (!tok) {
        *why = TG__SK_JSON_NOMEM;
        return NULL;
    }
    if (strict)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                        JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (!root && jerr == json_tokener_continue) {
        /* A value that only the end of the text ends (a bare number), or
         * text cut short. */
        root = json_tokener_parse_ex(tok, "", 1);
        if (!root)
            jerr = json_tokener_continue;
        end = len;
    }
    tg__sk_tokener_free(tok);
    if (!root) {
        *why = jerr == json_tokener_error_depth ? TG__SK_JSON_DEEP
               : jerr == json_tokener_continue  ? TG__SK_JSON_CUT
                                                : TG__SK_JSON_SYNTAX;
        return NULL;
    }
    while (end < len &&
           (text[end] == ' ' || text[end] == '\t' || text[end] == '\n' || text[end] == '\r'))
        end++;
    if (end < len) {
        tg__sk_json_free(root);
        *why = TG__SK_JSON_TRAILING;
        return NULL;
    }
    return root;
}

static void tg__sk_json_wipe(json_object *v)
{
    size_t i, n;

    switch (json_object_get_type(v)) {
    case json_type_string:
        /* The object owns its copy; json-c hands it out as const only to
         * keep callers from changing a value they share. */
        tg__sk_wipe((char *)(uintptr_t)json_object_get_string(v),
                    (size_t)json_object_get_string_len(v));
        break;
    case json_type_array:
        n = json_object_array_length(v);
        for (i = 0; i < n; i++)
            tg__sk_json_wipe(json_object_array_get_idx(v, i));
        break;
    case json_type_object: {
        struct lh_entry *e;
        lh_foreach(json_object_get_object(v), e) {
            tg__sk_json_wipe((json_object *)lh_entry_v(e));
            /* Names json-c copied; a constant one is not ours to write. */
            if (!lh_entry_k_is_constant(e))
                tg__sk_wipe(lh_entry_k(e), strlen((const char *)lh_entry_k(e)));
        }
        break;
    }
    default:
        break;
    }
}

void tg__sk_json_free(json_object *root)
{
    if (!root)
        return;
    tg__sk_json_wipe(root);
    json_object_put(root);
}
