/* See fuzz_check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_tokener.h>

#include "fuzz_check.h"

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "\n%s:%d: invariant broken: %s\n  ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

size_t fz_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t v, min;
    size_t need, i;

    if (n == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        need = 1;
        v = p[0] & 0x1Fu;
        min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        need = 2;
        v = p[0] & 0x0Fu;
        min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        need = 3;
        v = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need + 1;
}

int fz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        k = fz_utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

int fz_printable_ascii(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return 0;
    return 1;
}

json_object *fz_json_parse(const char *s, size_t n)
{
    json_tokener *tok = json_tokener_new();
    json_object *v;
    size_t end;

    if (!tok)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    v = json_tokener_parse_ex(tok, s, (int)n);
    end = json_tokener_get_parse_end(tok);
    if (!v && json_tokener_get_error(tok) == json_tokener_continue) {
        v = json_tokener_parse_ex(tok, "", 1); /* end of input: completes a bare number */
        end = n;
    }
    if (v && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(v);
        v = NULL;
    }
    json_tokener_free(tok);
    while (v && end < n && (s[end] == ' ' || s[end] == '\t' || s[end] == '\n' || s[end] == '\r'))
        end++;
    if (v && end < n) {
        json_object_put(v);
        v = NULL;
    }
    return v;
}

void fz_check_json_text(const char *what, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        FZ_CHECK((unsigned char)s[i] >= 0x20, "%s: raw control byte 0x%02X at %zu in %.*s", what,
                 (unsigned char)s[i], i, (int)n, s);
    FZ_CHECK(fz_utf8_valid(s, n), "%s: invalid UTF-8 in %.*s", what, (int)n, s);
}

json_object *fz_check_json_object(const char *what, const char *s, size_t n)
{
    json_object *v;

    fz_check_json_text(what, s, n);
    v = fz_json_parse(s, n);
    FZ_CHECK(v != NULL, "%s: not JSON: %.*s", what, (int)n, s);
    FZ_CHECK(json_object_is_type(v, json_type_object), "%s: not a JSON object: %.*s", what,
             (int)n, s);
    return v;
}

void fz_check_message(const char *what, const char *msg, const char *prefix)
{
    size_t n;

    FZ_CHECK(msg != NULL, "%s: no message", what);
    n = strlen(msg);
    FZ_CHECK(n > 0, "%s: empty message", what);
    FZ_CHECK(n < 512, "%s: message of %zu bytes", what, n);
    FZ_CHECK(fz_printable_ascii(msg, n), "%s: message is not printable ASCII: %s", what, msg);
    if (prefix)
        FZ_CHECK(strncmp(msg, prefix, strlen(prefix)) == 0,
                 "%s: message does not start with \"%s\": %s", what, prefix, msg);
}

const char *fz_json_string(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}
