/* Bounded JSON and one-line text output (see json_out.h). */
#include <stdio.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "input.h"
#include "json_out.h"

#define TG__REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

void tg__put(tg__out *o, const char *s, size_t n)
{
    if (o->used < o->len) {
        size_t room = o->len - o->used;
        memcpy(o->buf + o->used, s, n < room ? n : room);
    }
    o->used += n;
}

void tg__puts(tg__out *o, const char *s)
{
    tg__put(o, s, strlen(s));
}

void tg__put_chars(tg__out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    char esc[8];

    while (p[i]) {
        unsigned char c = p[i];
        size_t n;

        if (c >= 0x80) {
            n = tg__utf8_seq_at(p + i);
            if (n > 0) {
                i += n;
                continue;
            }
            tg__put(o, s + start, i - start);
            tg__put(o, "\\ufffd", 6);
            start = ++i;
            continue;
        }
        if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7F) {
            i++;
            continue;
        }
        tg__put(o, s + start, i - start);
        if (c == '"') {
            tg__put(o, "\\\"", 2);
        } else if (c == '\\') {
            tg__put(o, "\\\\", 2);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            tg__put(o, esc, 6);
        }
        start = ++i;
    }
    tg__put(o, s + start, i - start);
}

void tg__put_string(tg__out *o, const char *s)
{
    tg__put(o, "\"", 1);
    tg__put_chars(o, s);
    tg__put(o, "\"", 1);
}

void tg__put_key(tg__out *o, const char *key, int first)
{
    if (!first)
        tg__put(o, ",", 1);
    tg__put_string(o, key);
    tg__put(o, ":", 1);
}

void tg__put_opt_string(tg__out *o, const char *key, const char *value)
{
    tg__put_key(o, key, 0);
    if (value)
        tg__put_string(o, value);
    else
        tg__puts(o, "null");
}

/* 1 when the valid sequence at p (n bytes) is a C1 control or U+2028/U+2029. */
static int tg__breaks_line(const unsigned char *p, size_t n)
{
    if (n == 2)
        return p[0] == 0xC2 && p[1] < 0xA0;
    return n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9);
}

void tg__put_line_text(tg__out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;

    while (p[i]) {
        size_t n = p[i] >= 0x80 ? tg__utf8_seq_at(p + i) : 1;
        int bad = p[i] >= 0x80 ? n == 0 || tg__breaks_line(p + i, n)
                               : p[i] < 0x20 || p[i] == 0x7F;
        if (!bad) {
            i += n;
            continue;
        }
        tg__put(o, s + start, i - start);
        tg__put(o, TG__REPLACEMENT, sizeof TG__REPLACEMENT - 1);
        i += n ? n : 1;
        start = i;
    }
    tg__put(o, s + start, i - start);
}

int tg__out_end(tg__out *o, size_t *needed, const char *who)
{
    if (needed)
        *needed = o->used + 1;
    if (o->used < o->len) {
        o->buf[o->used] = '\0';
        return TG_OK;
    }
    if (o->len > 0)
        o->buf[o->len - 1] = '\0';
    return tg__fail(TG_EBUFS, "%s: buffer of %zu bytes, %zu needed", who, o->len,
                    o->used + 1);
}
