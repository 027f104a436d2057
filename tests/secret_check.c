/* Test helper: does a secret show in a text; see secret_check.h. */
#include <stdlib.h>
#include <string.h>

#include "secret_check.h"

#define REF_ROUNDS 4
#define REF_RUN 8

static int ref_joiner(unsigned char c)
{
    return strchr(" \t\n\r\f\v\"'`+,[]", c) != NULL && c != '\0';
}

static int ref_hex(const unsigned char *p, size_t n, size_t digits, long *v)
{
    size_t i;
    *v = 0;
    if (n < digits)
        return 0;
    for (i = 0; i < digits; i++) {
        unsigned char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return 0;
        *v = *v * 16 + d;
    }
    return 1;
}

/* Append code point cp as UTF-8; 0 when it is not a scalar value. */
static int ref_put_utf8(long cp, unsigned char *out, size_t *o)
{
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
        return 0;
    if (cp < 0x80) {
        out[(*o)++] = (unsigned char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (unsigned char)(0xC0 | (cp >> 6));
        out[(*o)++] = (unsigned char)(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
        out[(*o)++] = (unsigned char)(0xE0 | (cp >> 12));
        out[(*o)++] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        out[(*o)++] = (unsigned char)(0x80 | (cp & 63));
    } else {
        out[(*o)++] = (unsigned char)(0xF0 | (cp >> 18));
        out[(*o)++] = (unsigned char)(0x80 | ((cp >> 12) & 63));
        out[(*o)++] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        out[(*o)++] = (unsigned char)(0x80 | (cp & 63));
    }
    return 1;
}

/* One round of decoding, in into out (room for n bytes). Its length. */
static size_t ref_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    static const char *const named[] = { "&amp;", "&", "&lt;", "<", "&gt;", ">",
                                         "&quot;", "\"", "&apos;", "'", NULL };
    size_t i = 0, o = 0;
    while (i < n) {
        const unsigned char *p = in + i;
        size_t left = n - i, k;
        long v, lo;
        if (p[0] == '%' && left >= 3 && ref_hex(p + 1, 2, 2, &v)) {
            out[o++] = (unsigned char)v;
            i += 3;
            continue;
        }
        if (p[0] == '+') {
            out[o++] = ' ';
            i++;
            continue;
        }
        if (p[0] == '\\' && left >= 2) {
            const char *simple = strchr("\"\\/'", p[1]);
            const char *ctl = strchr("bfnrt", p[1]);
            if (p[1] != '\0' && simple) {
                out[o++] = p[1];
                i += 2;
                continue;
            }
            if (p[1] != '\0' && ctl) {
                out[o++] = (unsigned char)"\b\f\n\r\t"[ctl - "bfnrt"];
                i += 2;
                continue;
            }
            if (p[1] == 'x' && ref_hex(p + 2, left - 2, 2, &v)) {
                out[o++] = (unsigned char)v;
                i += 4;
                continue;
            }
            if (p[1] == 'u' && ref_hex(p + 2, left - 2, 4, &v)) {
                if (v >= 0xD800 && v < 0xDC00 && left >= 12 && p[6] == '\\' && p[7] == 'u' &&
                    ref_hex(p + 8, left - 8, 4, &lo) && lo >= 0xDC00 && lo < 0xE000 &&
                    ref_put_utf8(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00), out, &o)) {
                    i += 12;
                    continue;
                }
                if (ref_put_utf8(v, out, &o)) {
                    i += 6;
                    continue;
                }
            }
        }
        if (p[0] == '&' && left >= 4 && p[1] == '#') {
            int hex = p[2] == 'x' || p[2] == 'X';
            size_t start = hex ? 3 : 2;
            v = 0;
            for (k = start; k < left && k < start + 8 && p[k] != ';'; k++) {
                int d = hex ? (ref_hex(p + k, 1, 1, &lo) ? (int)lo : -1)
                            : (p[k] >= '0' && p[k] <= '9' ? p[k] - '0' : -1);
                if (d < 0)
                    break;
                v = v * (hex ? 16 : 10) + d;
            }
            if (k > start && k < left && p[k] == ';' && ref_put_utf8(v, out, &o)) {
                i += k + 1;
                continue;
            }
        }
        if (p[0] == '&') {
            int done = 0;
            for (k = 0; named[k]; k += 2) {
                size_t len = strlen(named[k]);
                if (left >= len && memcmp(p, named[k], len) == 0) {
                    out[o++] = (unsigned char)named[k + 1][0];
                    i += len;
                    done = 1;
                    break;
                }
            }
            if (done)
                continue;
        }
        out[o++] = p[0];
        i++;
    }
    return o;
}

static size_t ref_compact(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++)
        if (!ref_joiner(in[i]))
            out[o++] = in[i];
    return o;
}

/* 1 when some run of the compacted secret shows in text[0, n). */
static int ref_finds_once(const unsigned char *text, size_t n, const unsigned char *sc,
                          size_t sn)
{
    unsigned char *tc = malloc(n + 1);
    size_t m, run = sn < REF_RUN ? sn : REF_RUN, t, s;
    int found = 0;
    if (!tc)
        abort();
    m = ref_compact(text, n, tc);
    for (t = 0; run > 0 && t + run <= m && !found; t++)
        for (s = 0; s + run <= sn && !found; s++)
            found = memcmp(tc + t, sc + s, run) == 0;
    free(tc);
    return found;
}

int tg_test_secret_shows(const char *text, size_t n, const char *secret)
{
    size_t sn = strlen(secret), m = n, round;
    unsigned char *sc = malloc(sn + 1), *a = malloc(n + 1), *b = malloc(n + 1), *swap;
    int found;
    if (!sc || !a || !b)
        abort();
    sn = ref_compact((const unsigned char *)secret, sn, sc);
    memcpy(a, text, n);
    found = ref_finds_once(a, m, sc, sn);
    for (round = 0; round < REF_ROUNDS && !found; round++) {
        size_t d = ref_decode(a, m, b);
        if (d == m && memcmp(a, b, m) == 0)
            break;
        m = d;
        swap = a;
        a = b;
        b = swap;
        found = ref_finds_once(a, m, sc, sn);
    }
    free(sc);
    free(a);
    free(b);
    return found;
}

