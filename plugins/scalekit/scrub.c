/* Secrets out of provider text; see scrub.h.
 *
 * The text is looked at in views: the original, then each round of decoding.
 * Every byte of a view remembers the range of the original text it came
 * from, so a run found in a decoded view is redacted where it was sent:
 * "%73%33" is cut out whole, not left half-encoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scrub.h"
#include "wipe.h"

/* One view of the text: n bytes, each from original[lo[i], hi[i]). */
typedef struct tg__sk_view {
    unsigned char *b;
    unsigned *lo, *hi;
    size_t n;
} tg__sk_view;

/* A secret with the bytes that split strings removed, and the run length
 * that counts as a trace of it. */
typedef struct tg__sk_needle {
    unsigned char *b;
    size_t n, run;
} tg__sk_needle;

/* Bytes that split one string into pieces ("ab" "cd", ["ab","cd"], 'ab'+'cd'),
 * or stand for a space once decoded. */
static int tg__sk_joiner(unsigned char c)
{
    switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v':
    case '"': case '\'': case '`': case '+': case ',': case '[': case ']':
        return 1;
    default:
        return 0;
    }
}

static int tg__sk_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* @p count hex digits at p (p has at least count bytes): the value, or -1. */
static long tg__sk_hex(const unsigned char *p, size_t count)
{
    long v = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        int h = tg__sk_hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* UTF-8 of code point cp into out (4 bytes); its length, 0 when cp is not a
 * scalar value. */
static size_t tg__sk_utf8(long cp, unsigned char *out)
{
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* An HTML character reference at p (n bytes left): its code point and
 * length, or 0. */
static size_t tg__sk_html_ref(const unsigned char *p, size_t n, long *cp)
{
    static const struct {
        const char *name;
        long cp;
    } named[] = { { "&amp;", '&' }, { "&lt;", '<' },   { "&gt;", '>' },
                  { "&quot;", '"' }, { "&apos;", '\'' } };
    size_t i, len;

    if (n >= 4 && p[1] == '#') {
        int hex = p[2] == 'x' || p[2] == 'X';
        long v = 0;
        size_t start = hex ? 3 : 2;
        for (i = start; i < n && i < start + 8 && p[i] != ';'; i++) {
            int d = hex ? tg__sk_hexval(p[i]) : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
            if (d < 0)
                return 0;
            v = v * (hex ? 16 : 10) + d;
        }
        if (i == start || i >= n || p[i] != ';')
            return 0;
        *cp = v;
        return i + 1;
    }
    for (i = 0; i < sizeof named / sizeof named[0]; i++) {
        len = strlen(named[i].name);
        if (n >= len && memcmp(p, named[i].name, len) == 0) {
            *cp = named[i].cp;
            return len;
        }
    }
    return 0;
}

/* A JSON or C-style escape at p (p[0] == '\\', n bytes left): the bytes it
 * stands for into out (at most 4), their count into *outn; the escape's
 * length, or 0 when it is none. */
static size_t tg__sk_backslash(const unsigned char *p, size_t n, unsigned char *out,
                               size_t *outn)
{
    static const char plain[] = "\"\\/'";
    static const char letters[] = "bfnrt";
    static const char controls[] = "\b\f\n\r\t";
    const char *at;
    long cp;

    if (n < 2)
        return 0;
    if ((at = strchr(plain, p[1])) != NULL && p[1] != '\0') {
        out[0] = p[1];
        *outn = 1;
        return 2;
    }
    if ((at = strchr(letters, p[1])) != NULL && p[1] != '\0') {
        out[0] = (unsigned char)controls[at - letters];
        *outn = 1;
        return 2;
    }
    if (p[1] == 'x' && n >= 4 && (cp = tg__sk_hex(p + 2, 2)) >= 0) {
        out[0] = (unsigned char)cp;
        *outn = 1;
        return 4;
    }
    if (p[1] == 'u' && n >= 6 && (cp = tg__sk_hex(p + 2, 4)) >= 0) {
        if (cp >= 0xD800 && cp <= 0xDBFF && n >= 12 && p[6] == '\\' && p[7] == 'u') {
            long lo = tg__sk_hex(p + 8, 4);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                *outn = tg__sk_utf8(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), out);
                return *outn ? 12 : 0;
            }
        }
        *outn = tg__sk_utf8(cp, out);
        return *outn ? 6 : 0;
    }
    return 0;
}

/* One round of decoding: @p in into @p out (room for in->n bytes: no escape
 * is shorter than what it stands for). Returns 1 when anything was decoded. */
static int tg__sk_decode(const tg__sk_view *in, tg__sk_view *out)
{
    const unsigned char *p = in->b;
    size_t i = 0, o = 0, n = in->n;
    int changed = 0;

    while (i < n) {
        unsigned char buf[4];
        size_t used = 0, produced = 0, k;
        long v;

        if (p[i] == '%' && i + 2 < n && (v = tg__sk_hex(p + i + 1, 2)) >= 0) {
            buf[0] = (unsigned char)v;
            produced = 1;
            used = 3;
        } else if (p[i] == '+') {
            buf[0] = ' ';
            produced = 1;
            used = 1;
        } else if (p[i] == '\\') {
            used = tg__sk_backslash(p + i, n - i, buf, &produced);
        } else if (p[i] == '&') {
            used = tg__sk_html_ref(p + i, n - i, &v);
            if (used && (produced = tg__sk_utf8(v, buf)) == 0)
                used = 0;
        }
        if (used == 0) { /* a plain byte */
            buf[0] = p[i];
            produced = 1;
            used = 1;
        } else {
            changed = 1;
        }
        for (k = 0; k < produced; k++) {
            out->b[o] = buf[k];
            out->lo[o] = in->lo[i];
            out->hi[o] = in->hi[i + used - 1];
            o++;
        }
        i += used;
    }
    out->n = o;
    return changed;
}

static int tg__sk_view_alloc(tg__sk_view *v, size_t n)
{
    size_t cells = n ? n : 1;
    v->b = malloc(cells);
    v->lo = malloc(cells * sizeof *v->lo);
    v->hi = malloc(cells * sizeof *v->hi);
    v->n = 0;
    return v->b && v->lo && v->hi ? 0 : -1;
}

/* Views, needles and scratch hold the text decoded and the secrets: they are
 * wiped before they are freed. */
static void tg__sk_view_free(tg__sk_view *v, size_t cells)
{
    tg__sk_wipe(v->b, cells);
    free(v->b);
    free(v->lo);
    free(v->hi);
    memset(v, 0, sizeof *v);
}

static void tg__sk_needles_free(tg__sk_needle *nd)
{
    size_t i;
    for (i = 0; i < TG__SK_SECRETS_MAX; i++) {
        tg__sk_wipe(nd[i].b, nd[i].n);
        free(nd[i].b);
    }
}

/* The secrets without their joiner bytes. -1 when memory runs out. */
static int tg__sk_needles(const tg__sk_secrets *secrets, tg__sk_needle *nd)
{
    size_t i, j;
    memset(nd, 0, TG__SK_SECRETS_MAX * sizeof *nd);
    for (i = 0; secrets && i < TG__SK_SECRETS_MAX; i++) {
        const unsigned char *s = (const unsigned char *)secrets->item[i];
        size_t len = s ? strlen((const char *)s) : 0;
        if (len == 0)
            continue;
        nd[i].b = malloc(len);
        if (!nd[i].b) {
            tg__sk_needles_free(nd);
            return -1;
        }
        for (j = 0; j < len; j++)
            if (!tg__sk_joiner(s[j]))
                nd[i].b[nd[i].n++] = s[j];
        nd[i].run = nd[i].n < TG__SK_SCRUB_RUN ? nd[i].n : TG__SK_SCRUB_RUN;
    }
    return 0;
}

/* Whether the @p nn bytes at @p nee occur in hay[0, hn). */
static int tg__sk_occurs(const unsigned char *hay, size_t hn, const unsigned char *nee, size_t nn)
{
    const unsigned char *p = hay, *end = hay + hn;
    while (nn > 0 && (size_t)(end - p) >= nn) {
        p = memchr(p, nee[0], (size_t)(end - p) - nn + 1);
        if (!p)
            return 0;
        if (memcmp(p, nee, nn) == 0)
            return 1;
        p++;
    }
    return 0;
}

/* Mark, in @p mark (one byte per original byte), what view @p v holds of the
 * needles. @p tc and @p pos are scratch of v->n cells. */
static void tg__sk_mark_view(const tg__sk_view *v, const tg__sk_needle *nd, unsigned char *tc,
                             size_t *pos, unsigned char *mark)
{
    size_t m = 0, i, t, k;

    for (i = 0; i < v->n; i++)
        if (!tg__sk_joiner(v->b[i])) {
            tc[m] = v->b[i];
            pos[m++] = i;
        }
    for (i = 0; i < TG__SK_SECRETS_MAX; i++) {
        size_t run = nd[i].run;
        if (run == 0 || m < run)
            continue;
        for (t = 0; t + run <= m; t++) {
            if (!tg__sk_occurs(nd[i].b, nd[i].n, tc + t, run))
                continue;
            /* The whole stretch of the view, joiners between included. */
            for (k = pos[t]; k <= pos[t + run - 1]; k++)
                memset(mark + v->lo[k], 1, v->hi[k] - v->lo[k]);
        }
    }
}

/* Mark every trace of the secrets in text[0, n). 0, or -1 out of memory. */
static int tg__sk_mark(const unsigned char *text, size_t n, const tg__sk_secrets *secrets,
                       unsigned char *mark)
{
    tg__sk_needle nd[TG__SK_SECRETS_MAX];
    tg__sk_view a = { 0 }, b = { 0 };
    unsigned char *tc = NULL;
    size_t *pos = NULL, i;
    int round, rc = -1;

    memset(mark, 0, n);
    if (tg__sk_needles(secrets, nd) != 0)
        return -1;
    tc = malloc(n ? n : 1);
    pos = malloc((n ? n : 1) * sizeof *pos);
    if (!tc || !pos || tg__sk_view_alloc(&a, n) != 0 || tg__sk_view_alloc(&b, n) != 0)
        goto out;
    memcpy(a.b, text, n);
    for (i = 0; i < n; i++) {
        a.lo[i] = (unsigned)i;
        a.hi[i] = (unsigned)i + 1;
    }
    a.n = n;
    tg__sk_mark_view(&a, nd, tc, pos, mark);
    for (round = 0; round < TG__SK_SCRUB_ROUNDS; round++) {
        tg__sk_view swap;
        if (!tg__sk_decode(&a, &b))
            break;
        tg__sk_mark_view(&b, nd, tc, pos, mark);
        swap = a;
        a = b;
        b = swap;
    }
    rc = 0;
out:
    tg__sk_view_free(&a, n);
    tg__sk_view_free(&b, n);
    tg__sk_wipe(tc, n);
    free(tc);
    free(pos);
    tg__sk_needles_free(nd);
    return rc;
}

/* Whether any secret is there to look for. */
static int tg__sk_any_secret(const tg__sk_secrets *secrets)
{
    size_t i;
    for (i = 0; secrets && i < TG__SK_SECRETS_MAX; i++)
        if (secrets->item[i] && secrets->item[i][0])
            return 1;
    return 0;
}

int tg__sk_scrub_finds(const char *text, size_t len, const tg__sk_secrets *secrets)
{
    size_t n = len < TG__SK_SCRUB_IN_MAX ? len : TG__SK_SCRUB_IN_MAX, i;
    unsigned char *mark = malloc(n ? n : 1);
    int found = 0;

    if (!mark)
        return -1;
    if (tg__sk_mark((const unsigned char *)text, n, secrets, mark) != 0) {
        free(mark);
        return -1;
    }
    for (i = 0; i < n && !found; i++)
        found = mark[i];
    free(mark);
    return found;
}

/* One pass: text with marked runs replaced, into out (cap bytes,
 * NUL-terminated); its length into *out_len. Returns the runs redacted. */
static int tg__sk_redact(const char *text, size_t n, const unsigned char *mark, char *out,
                         size_t cap, size_t *out_len)
{
    static const char marker[] = TG__SK_REDACTED;
    size_t i = 0, o = 0;
    int runs = 0;

    while (i < n) {
        if (mark[i]) {
            size_t m = sizeof marker - 1, j;
            /* One marker for one secret: the run goes on over joiner bytes
             * ("ab" "cd", open+sesame) that lead to more of it. */
            for (;;) {
                while (i < n && mark[i])
                    i++;
                for (j = i; j < n && !mark[j] && tg__sk_joiner((unsigned char)text[j]); j++)
                    ;
                if (j == i || j >= n || !mark[j])
                    break;
                i = j;
            }
            if (o + m >= cap)
                break;
            memcpy(out + o, marker, m);
            o += m;
            runs++;
            continue;
        }
        if (o + 1 >= cap)
            break;
        out[o++] = text[i++];
    }
    out[o] = '\0';
    *out_len = o;
    return runs;
}

/* Mark and redact text[0, n) into out. -1 when memory runs out. */
static int tg__sk_scrub_pass(const char *text, size_t n, const tg__sk_secrets *secrets,
                             char *out, size_t cap, size_t *out_len)
{
    unsigned char *mark = malloc(n ? n : 1);
    int runs = -1;

    if (mark && tg__sk_mark((const unsigned char *)text, n, secrets, mark) == 0)
        runs = tg__sk_redact(text, n, mark, out, cap, out_len);
    free(mark);
    return runs;
}

int tg__sk_scrub(const char *text, size_t len, const tg__sk_secrets *secrets, char *out,
                 size_t cap, size_t *out_len)
{
    size_t n = len < TG__SK_SCRUB_IN_MAX ? len : TG__SK_SCRUB_IN_MAX, m = 0;
    int runs, more, found;
    char *again;

    if (out_len)
        *out_len = 0;
    if (!out || cap == 0)
        return 0;
    out[0] = '\0';
    if (!text || n == 0)
        return 0;
    if (!tg__sk_any_secret(secrets)) { /* nothing to look for: a copy */
        m = n < cap - 1 ? n : cap - 1;
        memcpy(out, text, m);
        out[m] = '\0';
        if (out_len)
            *out_len = m;
        return 0;
    }
    runs = tg__sk_scrub_pass(text, n, secrets, out, cap, &m);
    if (runs < 0)
        goto fail;
    /* Check the result; once more for what redacting itself put together
     * (a secret that holds the marker), then give up and show nothing. */
    found = tg__sk_scrub_finds(out, m, secrets);
    if (found > 0) {
        again = malloc(cap);
        more = again ? tg__sk_scrub_pass(out, m, secrets, again, cap, &m) : -1;
        if (more >= 0) {
            memcpy(out, again, m + 1);
            runs += more;
            found = tg__sk_scrub_finds(out, m, secrets);
        } else {
            found = -1;
        }
        tg__sk_wipe(again, again ? cap : 0);
        free(again);
    }
    if (found != 0) {
        out[0] = '\0';
        return found < 0 ? -1 : runs;
    }
    if (out_len)
        *out_len = m;
    return runs;
fail:
    out[0] = '\0';
    return -1;
}
