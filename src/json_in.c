/* Bounded JSON parsing of outside text (json_in.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_tokener.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "input.h"
#include "json_in.h"

/* Line and column (both 1-based) of byte @p off, for messages. */
static void tg__json_position(const char *text, size_t off, size_t *line, size_t *col)
{
    size_t i;
    *line = 1;
    *col = 1;
    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int tg__json_fail_at(const tg__json_limits *lim, const char *text, size_t off,
                            const char *what_wrong)
{
    size_t line, col;
    tg__json_position(text, off, &line, &col);
    return tg__fail(lim->err, "%s: invalid JSON: %s (line %zu, column %zu)", lim->what,
                    what_wrong, line, col);
}

/* One pass over the raw bytes before json-c sees them: valid UTF-8, and no
 * "\u0000" (outside strings a backslash is invalid JSON anyway, so counting
 * backslashes is enough to tell an escape from text). */
static int tg__json_check_bytes(const char *text, size_t len, const tg__json_limits *lim)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, backslashes = 0;

    while (i < len) {
        if (p[i] >= 0x80) {
            size_t n = tg__utf8_seq_n(p + i, len - i);
            if (n == 0)
                return tg__json_fail_at(lim, text, i, "invalid UTF-8");
            i += n;
            backslashes = 0;
            continue;
        }
        if (p[i] != '\\') {
            backslashes = 0;
            i++;
            continue;
        }
        backslashes++;
        if (backslashes % 2 == 1 && len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
            return tg__json_fail_at(lim, text, i, "\"\\u0000\" is not allowed in strings");
        i++;
    }
    return TG_OK;
}

/* json-c's error, in our words. */
static const char *tg__json_error_words(enum json_tokener_error e)
{
    switch (e) {
    case json_tokener_error_parse_eof: return "unexpected end of input";
    case json_tokener_error_parse_null:
    case json_tokener_error_parse_boolean: return "unexpected text";
    case json_tokener_error_parse_number: return "invalid number";
    case json_tokener_error_parse_array: return "invalid array (expected ',' or ']')";
    case json_tokener_error_parse_object_key_name: return "invalid object (expected a key)";
    case json_tokener_error_parse_object_key_sep: return "invalid object (expected ':')";
    case json_tokener_error_parse_object_value_sep:
        return "invalid object (expected ',' or '}')";
    case json_tokener_error_parse_string: return "invalid string";
    case json_tokener_error_parse_comment: return "comments are not allowed";
    case json_tokener_error_parse_utf8_string: return "invalid UTF-8";
    case json_tokener_error_size: return "too large";
    default: return "unexpected character";
    }
}

static int tg__json_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- keys given twice ------------------------------------------------------ */

/* A key of an object: its decoded text, its object and where it stands. */
typedef struct tg__json_key {
    size_t object; /* serial of the object it belongs to */
    size_t at;     /* offset of its opening quote */
    char *text;    /* decoded, NUL-terminated */
    size_t len;
} tg__json_key;

static int tg__json_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned tg__json_u4(const char *p)
{
    return (unsigned)(tg__json_hex(p[0]) << 12 | tg__json_hex(p[1]) << 8 |
                      tg__json_hex(p[2]) << 4 | tg__json_hex(p[3]));
}

/* Decode the string literal at text[*i] (its opening quote; the text is
 * valid JSON already) into a new buffer; *i moves past the closing quote.
 * @p keep 0: skip it only. NULL when out of memory (or not kept). */
static char *tg__json_string(const char *text, size_t len, size_t *i, int keep, size_t *out_len)
{
    size_t j = *i + 1, o = 0;
    char *out = NULL;

    if (keep) {
        size_t k = j;
        while (k < len && text[k] != '"')
            k += text[k] == '\\' ? 2 : 1;
        out = malloc(k - j + 1); /* decoding never grows the text */
        if (!out)
            return NULL;
    }
    while (j < len && text[j] != '"') {
        char c = text[j];
        if (c != '\\') {
            if (out)
                out[o++] = c;
            j++;
            continue;
        }
        c = text[j + 1];
        j += 2;
        if (c == 'u') {
            unsigned cp = tg__json_u4(text + j);
            j += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && j + 6 <= len && text[j] == '\\' &&
                text[j + 1] == 'u') {
                unsigned lo = tg__json_u4(text + j + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    j += 6;
                }
            }
            if (out) {
                if (cp < 0x80) {
                    out[o++] = (char)cp;
                } else if (cp < 0x800) {
                    out[o++] = (char)(0xC0 | cp >> 6);
                    out[o++] = (char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    out[o++] = (char)(0xE0 | cp >> 12);
                    out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    out[o++] = (char)(0x80 | (cp & 0x3F));
                } else {
                    out[o++] = (char)(0xF0 | cp >> 18);
                    out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    out[o++] = (char)(0x80 | (cp & 0x3F));
                }
            }
            continue;
        }
        if (out)
            out[o++] = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r'
                     : c == 't' ? '\t' : c; /* \" \\ \/ */
    }
    *i = j + 1;
    if (out) {
        out[o] = '\0';
        *out_len = o;
    }
    return out;
}

static int tg__json_key_order(const void *a, const void *b)
{
    const tg__json_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c;
    if (x->object != y->object)
        return x->object < y->object ? -1 : 1;
    c = memcmp(x->text, y->text, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* The dotted path of the key at @p at ("cache.max_entries", "accounts[].status"),
 * found by walking the text again (only on error). */
static void tg__json_key_path(const char *text, size_t len, size_t at, char *out, size_t cap)
{
    enum { MAXD = 64 };
    char *names[MAXD];
    int is_obj[MAXD], depth = 0, expect_key = 0, d;
    size_t i = 0, o = 0, n;

    memset(names, 0, sizeof names);
    while (i < len && i <= at) {
        char c = text[i];
        if (c == '"') {
            int key = depth > 0 && is_obj[depth - 1] && expect_key;
            size_t start = i;
            char *s = tg__json_string(text, len, &i, key, &n);
            if (key) {
                free(names[depth - 1]);
                names[depth - 1] = s;
                expect_key = 0;
                if (start == at)
                    break;
            }
            continue;
        }
        if ((c == '{' || c == '[') && depth < MAXD) {
            is_obj[depth] = c == '{';
            names[depth] = NULL;
            depth++;
            expect_key = c == '{';
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
            free(names[depth]);
            names[depth] = NULL;
        } else if (c == ',' && depth > 0) {
            expect_key = is_obj[depth - 1];
        }
        i++;
    }
    out[0] = '\0';
    for (d = 0; d < depth && o + 1 < cap; d++) {
        if (!is_obj[d]) {
            o += (size_t)snprintf(out + o, cap - o, "[]");
            continue;
        }
        if (names[d]) {
            char ex[128];
            tg__excerpt(names[d], strlen(names[d]), 60, ex, sizeof ex);
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o && out[o - 1] != '.' ? "." : "",
                                  ex);
        }
        if (o >= cap)
            o = cap - 1;
    }
    for (d = 0; d < MAXD; d++)
        free(names[d]);
}

/* Every key at most once per object. The text is valid JSON. */
static int tg__json_unique_keys(const char *text, size_t len, const tg__json_limits *lim)
{
    tg__json_key *keys = NULL;
    size_t n = 0, cap = 0, objects = 0, i = 0, k, *stack;
    int depth = 0, expect_key = 0, rc = TG_OK;

    stack = malloc(sizeof *stack * (size_t)(lim->max_depth + 1));
    if (!stack)
        return tg__fail(TG_ENOMEM, "%s: out of memory", lim->what);
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            size_t at = i, klen = 0;
            int key = depth > 0 && stack[depth - 1] != (size_t)-1 && expect_key;
            char *s = tg__json_string(text, len, &i, key, &klen);
            if (!key)
                continue;
            if (!s)
                goto oom;
            if (n == cap) {
                tg__json_key *grown = realloc(keys, (cap ? cap * 2 : 32) * sizeof *keys);
                if (!grown) {
                    free(s);
                    goto oom;
                }
                keys = grown;
                cap = cap ? cap * 2 : 32;
            }
            keys[n].object = stack[depth - 1];
            keys[n].at = at;
            keys[n].text = s;
            keys[n].len = klen;
            n++;
            expect_key = 0;
            continue;
        }
        if ((c == '{' || c == '[') && depth <= lim->max_depth) {
            stack[depth++] = c == '{' ? objects++ : (size_t)-1;
            expect_key = c == '{';
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ',' && depth > 0) {
            expect_key = stack[depth - 1] != (size_t)-1;
        }
        i++;
    }
    if (n > 1) {
        size_t first = (size_t)-1;
        qsort(keys, n, sizeof *keys, tg__json_key_order);
        /* The repeat that comes first in the text. */
        for (k = 1; k < n; k++)
            if (keys[k].object == keys[k - 1].object && keys[k].len == keys[k - 1].len &&
                memcmp(keys[k].text, keys[k - 1].text, keys[k].len) == 0 &&
                (first == (size_t)-1 || keys[k].at < keys[first].at))
                first = k;
        if (first != (size_t)-1) {
            char path[256];
            size_t line, col;
            tg__json_key_path(text, len, keys[first].at, path, sizeof path);
            tg__json_position(text, keys[first].at, &line, &col);
            rc = tg__fail(lim->err, "%s: key \"%s\" is given twice (line %zu, column %zu)",
                          lim->what, path, line, col);
        }
    }
    for (k = 0; k < n; k++)
        free(keys[k].text);
    free(keys);
    free(stack);
    return rc;
oom:
    for (k = 0; k < n; k++)
        free(keys[k].text);
    free(keys);
    free(stack);
    return tg__fail(TG_ENOMEM, "%s: out of memory", lim->what);
}

/* ---- the parse ------------------------------------------------------------- */

int tg__json_parse(const char *text, size_t len, const tg__json_limits *lim, json_object **out)
{
    struct json_tokener *tok;
    json_object *root;
    enum json_tokener_error jerr;
    size_t end;
    int rc;

    *out = NULL;
    if (!text)
        return tg__fail(lim->err, "%s: invalid JSON: no text", lim->what);
    if (len > lim->max_bytes)
        return tg__fail(lim->err, "%s: larger than %zu bytes", lim->what, lim->max_bytes);
    if (len == 0)
        return tg__fail(lim->err, "%s: invalid JSON: the text is empty", lim->what);
    /* json-c would stop at a NUL and take what precedes it for the whole text. */
    if (memchr(text, '\0', len))
        return tg__json_fail_at(lim, text, (size_t)((const char *)memchr(text, '\0', len) - text),
                                "a NUL byte");
    rc = tg__json_check_bytes(text, len, lim);
    if (rc != TG_OK)
        return rc;

    tok = json_tokener_new_ex(lim->max_depth);
    if (!tok)
        return tg__fail(TG_ENOMEM, "%s: out of memory", lim->what);
    if (lim->flags & TG__JSON_STRICT)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                        JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* Out of bytes: a NUL tells json-c the input has ended, which
         * completes a bare top-level scalar ("1", "true"). */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_success) {
            json_object_put(root);
            root = NULL;
            jerr = json_tokener_error_parse_eof;
            end = len;
        }
    }
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        char words[96];
        json_object_put(root);
        if (jerr == json_tokener_error_depth)
            snprintf(words, sizeof words, "nested deeper than %d levels", lim->max_depth);
        else
            snprintf(words, sizeof words, "%s", tg__json_error_words(jerr));
        return tg__json_fail_at(lim, text, end < len ? end : len, words);
    }
    while (end < len && tg__json_is_ws(text[end]))
        end++;
    if (end < len) {
        json_object_put(root);
        return tg__json_fail_at(lim, text, end, "unexpected text after the value");
    }
    if ((lim->flags & TG__JSON_OBJECT) && !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return tg__fail(lim->err, "%s: not a JSON object", lim->what);
    }
    if (lim->flags & TG__JSON_UNIQUE_KEYS) {
        rc = tg__json_unique_keys(text, len, lim);
        if (rc != TG_OK) {
            json_object_put(root);
            return rc;
        }
    }
    *out = root;
    return TG_OK;
}
