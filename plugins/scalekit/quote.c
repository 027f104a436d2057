/* Quoting untrusted text in a message; see quote.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "wipe.h"

void tg__sk_excerpt(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    size_t i, o = 0;

    if (!out || cap == 0)
        return;
    for (i = 0; s && i < n && i < max && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
    }
    if (s && i < n && o + 4 < cap)
        o += (size_t)snprintf(out + o, cap - o, "...");
    out[o < cap ? o : cap - 1] = '\0';
}

void tg__sk_quote(const char *s, size_t n, size_t max, const tg__sk_secrets *secrets, char *out,
                  size_t cap)
{
    /* What the excerpt can show, plus room for the markers put in. */
    size_t room = (max + 1) * sizeof TG__SK_REDACTED + 8;
    char *clean, *cut;
    size_t n_clean = 0;

    if (!out || cap == 0)
        return;
    out[0] = '\0';
    if (!s || n == 0)
        return;
    clean = malloc(room);
    cut = malloc(cap);
    if (clean && cut && tg__sk_scrub(s, n, secrets, clean, room, &n_clean) >= 0) {
        tg__sk_excerpt(clean, n_clean, max, cut, cap);
        if (tg__sk_scrub(cut, strlen(cut), secrets, out, cap, NULL) < 0)
            out[0] = '\0';
    }
    tg__sk_wipe(clean, clean ? room : 0);
    tg__sk_wipe(cut, cut ? cap : 0);
    free(clean);
    free(cut);
}

void tg__sk_format(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (!out || cap == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}
