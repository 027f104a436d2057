/* A request's inputs, checked as hostile: the body must be one JSON object
 * (strict syntax, valid UTF-8, shallow, nothing after it, no key twice, no
 * key the route does not know); query arguments must be known, given once
 * and free of NUL. Every refusal is a 400 whose message names what was
 * wrong; what the client sent is quoted only as a short, escaped excerpt. */
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "server.h"

/* Bodies are flat objects; request_id is a scalar. */
#define SERVE_JSON_DEPTH 4
#define SERVE_EXCERPT_MAX 64

/* @p s[0..n) for a message: printable ASCII kept, the rest as \xNN, cut at
 * SERVE_EXCERPT_MAX bytes. */
static void serve_excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < n && i < SERVE_EXCERPT_MAX && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
    }
    if (i < n && o + 4 < cap)
        o += (size_t)snprintf(out + o, cap - o, "...");
    out[o] = '\0';
}

/* Members of the top-level object of valid JSON text: its ':' outside
 * strings at depth 1. json-c keeps the last of two equal keys silently;
 * counting tells a key given twice. -1 when a string holds \u0000, which
 * json-c would cut a key short at. */
static long serve_top_members(const char *s, size_t n)
{
    size_t i;
    long members = 0;
    int depth = 0, in_string = 0;

    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (in_string) {
            if (ch == '\\' && n - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                return -1;
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            depth--;
        } else if (ch == ':' && depth == 1) {
            members++;
        }
    }
    return members;
}

json_object *serve_body_object(serve_call *c, const char *const *keys)
{
    struct json_tokener *tok;
    json_object *root;
    enum json_tokener_error jerr;
    size_t end;
    long members;
    char shown[SERVE_EXCERPT_MAX * 4 + 8];

    tok = json_tokener_new_ex(SERVE_JSON_DEPTH);
    if (!tok) {
        serve_reply_error(&c->reply, 500, serve_error_code(TG_ENOMEM), "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, c->body, (int)c->body_len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (jerr == json_tokener_success && end < c->body_len && c->body[end] != '\0' &&
           strchr(" \t\r\n", c->body[end]))
        end++;
    if (jerr == json_tokener_continue || c->body_len == 0) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "the body must be a JSON object; it ended early");
        return NULL;
    }
    if (jerr != json_tokener_success) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL", "the body is not valid JSON: %s (byte %zu)",
                          jerr == json_tokener_error_depth ? "nested too deeply"
                                                           : json_tokener_error_desc(jerr),
                          end);
        return NULL;
    }
    if (end < c->body_len) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "the body is not valid JSON: unexpected data after the object (byte %zu)",
                          end);
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL", "the body must be a JSON object");
        return NULL;
    }
    members = serve_top_members(c->body, c->body_len);
    if (members < 0) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL", "\"\\u0000\" is not allowed in the body");
        return NULL;
    }
    if (members != (long)json_object_object_length(root)) {
        json_object_put(root);
        serve_reply_error(&c->reply, 400, "EINVAL", "the body gives a key twice");
        return NULL;
    }
    json_object_object_foreach(root, key, value) {
        size_t k;
        (void)value;
        for (k = 0; keys[k]; k++)
            if (strcmp(keys[k], key) == 0)
                break;
        if (!keys[k]) {
            serve_excerpt(key, strlen(key), shown, sizeof shown);
            json_object_put(root);
            serve_reply_error(&c->reply, 400, "EINVAL", "unknown key \"%s\" in the body", shown);
            return NULL;
        }
    }
    return root;
}

/* Past the string whose opening quote is at s[i]: the index after its
 * closing quote, or n when it is cut short. */
static size_t serve_skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

/* Past the JSON value that starts at s[i] (valid JSON). */
static size_t serve_skip_value(const char *s, size_t n, size_t i)
{
    int depth = 0;

    if (s[i] == '"')
        return serve_skip_string(s, n, i);
    if (s[i] != '{' && s[i] != '[') {
        while (i < n && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i;
    }
    while (i < n) {
        if (s[i] == '"') {
            i = serve_skip_string(s, n, i);
            continue;
        }
        if (s[i] == '{' || s[i] == '[')
            depth++;
        else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return n;
}

int serve_body_raw(const serve_call *c, const char *key, char *out, size_t cap)
{
    const char *s = c->body;
    size_t n = c->body_len, klen = strlen(key), i, start, v, e;
    int depth = 0, expect_key = 0;

    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"') {
            start = i + 1;
            i = serve_skip_string(s, n, i) - 1; /* at the closing quote */
            if (i >= n || depth != 1 || !expect_key)
                continue;
            expect_key = 0;
            if (i - start != klen || memcmp(s + start, key, klen) != 0)
                continue;
            for (v = i + 1; v < n && strchr(": \t\r\n", s[v]) && s[v]; v++) {
            }
            if (v >= n)
                return -1;
            e = serve_skip_value(s, n, v);
            if (e - v + 1 > cap)
                return -1;
            memcpy(out, s + v, e - v);
            out[e - v] = '\0';
            return 0;
        }
        if (ch == '{' || ch == '[') {
            depth++;
            expect_key = ch == '{' && depth == 1;
        } else if (ch == '}' || ch == ']') {
            depth--;
        } else if (ch == ',' && depth == 1) {
            expect_key = 1;
        }
    }
    return -1;
}

const char *serve_body_string(serve_call *c, json_object *body, const char *key, int required)
{
    json_object *v;

    if (!json_object_object_get_ex(body, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required)
            serve_reply_error(&c->reply, 400, "EINVAL", "missing \"%s\" in the body", key);
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string) ||
        strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
        serve_reply_error(&c->reply, 400, "EINVAL", "\"%s\" must be a string without NUL", key);
        return NULL;
    }
    return json_object_get_string(v);
}

typedef struct serve_query_walk {
    serve_call *c;
    const char *const *keys;
    const char **values;
    int failed;
} serve_query_walk;

static enum MHD_Result serve_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                       size_t key_size, const char *value, size_t value_size)
{
    serve_query_walk *w = cls;
    char shown[SERVE_EXCERPT_MAX * 4 + 8];
    size_t k;

    (void)kind;
    for (k = 0; w->keys[k]; k++)
        if (strlen(w->keys[k]) == key_size && memcmp(w->keys[k], key, key_size) == 0)
            break;
    if (!w->keys[k]) {
        serve_excerpt(key, key_size, shown, sizeof shown);
        serve_reply_error(&w->c->reply, 400, "EINVAL", "unknown query argument \"%s\"", shown);
    } else if (w->values[k]) {
        serve_reply_error(&w->c->reply, 400, "EINVAL", "query argument \"%s\" given twice",
                          w->keys[k]);
    } else if (!value || strlen(value) != value_size) {
        serve_reply_error(&w->c->reply, 400, "EINVAL",
                          "query argument \"%s\" must have a value without NUL", w->keys[k]);
    } else {
        w->values[k] = value;
        return MHD_YES;
    }
    w->failed = 1;
    return MHD_NO;
}

int serve_query(serve_call *c, const char *const *keys, const char **values)
{
    serve_query_walk w = { c, keys, values, 0 };
    size_t k;

    for (k = 0; keys[k]; k++)
        values[k] = NULL;
    MHD_get_connection_values_n(c->conn, MHD_GET_ARGUMENT_KIND, serve_query_arg, &w);
    return w.failed ? -1 : 0;
}

int serve_query_format(serve_call *c, const char *value, tg_format *out)
{
    *out = TG_FORMAT_JSON;
    if (!value || strcmp(value, "json") == 0)
        return 0;
    if (strcmp(value, "text") == 0) {
        *out = TG_FORMAT_TEXT;
        return 0;
    }
    serve_reply_error(&c->reply, 400, "EINVAL", "query argument \"format\" must be json or text");
    return -1;
}
