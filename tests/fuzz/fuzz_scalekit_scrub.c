/* Fuzz target: the scalekit provider's secret scrubber (plugins/scalekit/
 * scrub.c) and its quoting of provider text (quote.c).
 *
 * Input: byte 0 gives the secret's length (1 + b % 40), byte 1 and byte 2
 * how it is hidden, then the secret's bytes (a NUL becomes 'x'), then filler
 * text (any bytes). The text scrubbed is the filler with the secret put in
 * its middle, encoded by up to two layers of: raw, %XX (upper or lower hex),
 * form (+ for a space), \u00XX, \xNN, &#xNN;, &#NN; — and then, by byte 2,
 * cut short or split by a quote pair.
 *
 * Invariants, checked with a reference written apart from the scrubber (its
 * own decoder, its own search: tests/secret_check.c): in the scrubbed text, and in up to four
 * rounds of decoding it, no run of 8 bytes of the secret (all of it when it
 * is shorter) shows, the bytes " ' ` + , [ ] and white space ignored; a text
 * in which the reference finds nothing comes back unchanged; the quote of the
 * text is printable ASCII, bounded, and as clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "scrub.h"
#include "../secret_check.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

/* ---- hiding the secret ---------------------------------------------------- */

/* s[0, n) in encoding e into a new buffer; its length in *out_n. */
static char *encode(const char *s, size_t n, int e, size_t *out_n)
{
    char *out = malloc(n * 10 + 1);
    size_t i, o = 0;
    if (!out)
        abort();
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (e) {
        case 1: o += (size_t)sprintf(out + o, "%%%02X", c); break;
        case 2: o += (size_t)sprintf(out + o, "%%%02x", c); break;
        case 3:
            if (c == ' ')
                out[o++] = '+';
            else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                out[o++] = (char)c;
            else
                o += (size_t)sprintf(out + o, "%%%02X", c);
            break;
        case 4: o += (size_t)sprintf(out + o, "\\u%04x", c); break;
        case 5: o += (size_t)sprintf(out + o, "\\x%02X", c); break;
        case 6: o += (size_t)sprintf(out + o, "&#x%X;", c); break;
        case 7: o += (size_t)sprintf(out + o, "&#%d;", c); break;
        default: out[o++] = (char)c; break;
        }
    }
    *out_n = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t slen, i, n1, n2, en, tn, half, cut, out_len = 0;
    char secret[48], *e1, *e2, *text, *out, *quoted;
    tg__sk_secrets secrets = { { NULL } };
    uint8_t plan, plan2;
    int runs;

    if (size < 3)
        return 0;
    slen = 1 + data[0] % 40;
    plan = data[1];
    plan2 = data[2];
    data += 3;
    size -= 3;
    if (size < slen)
        return 0;
    for (i = 0; i < slen; i++)
        secret[i] = data[i] ? (char)data[i] : 'x';
    secret[slen] = '\0';
    data += slen;
    size -= slen;
    secrets.item[plan2 & 1] = secret;

    /* The secret, encoded by one or two layers, cut or split. */
    e1 = encode(secret, slen, plan & 7, &n1);
    e2 = encode(e1, n1, (plan >> 3) & 7, &n2);
    free(e1);
    if (plan & 0x40) { /* cut short, not below the run that must be caught */
        cut = n2 * (size_t)(plan2 >> 1) / 127;
        if (cut < n2)
            n2 = cut;
    }
    half = size / 2;
    text = malloc(size + n2 + 8);
    if (!text)
        abort();
    memcpy(text, data, half);
    tn = half;
    if ((plan & 0x80) && n2 > 1) { /* split by a quote pair */
        en = n2 / 2;
        memcpy(text + tn, e2, en);
        tn += en;
        memcpy(text + tn, "\" \"", 3);
        tn += 3;
        memcpy(text + tn, e2 + en, n2 - en);
        tn += n2 - en;
    } else {
        memcpy(text + tn, e2, n2);
        tn += n2;
    }
    memcpy(text + tn, data + half, size - half);
    tn += size - half;
    free(e2);
    if (tn > TG__SK_SCRUB_IN_MAX)
        tn = TG__SK_SCRUB_IN_MAX;

    /* Scrubbed: nothing of the secret in any decoding. */
    out = malloc(4 * tn + 64);
    if (!out)
        abort();
    runs = tg__sk_scrub(text, tn, &secrets, out, 4 * tn + 64, &out_len);
    FZ_CHECK(runs >= 0, "scrub failed (%d)", runs);
    FZ_CHECK(out_len <= 4 * tn + 63 && out[out_len] == '\0', "length %zu", out_len);
    FZ_CHECK(!tg_test_secret_shows(out, out_len, secret), "the secret survives the scrub: %.*s",
             (int)(out_len < 400 ? out_len : 400), out);
    /* Nothing found: nothing changed. */
    if (!tg_test_secret_shows(text, tn, secret))
        FZ_CHECK(runs == 0 && out_len == tn && memcmp(out, text, tn) == 0,
                 "a text without the secret was changed (%d runs)", runs);
    else
        FZ_CHECK(runs > 0 || out_len == 0, "the secret was in the text, no run was redacted");

    /* Quoted: printable, bounded, clean. */
    quoted = malloc(512);
    if (!quoted)
        abort();
    tg__sk_quote(text, tn, 100, &secrets, quoted, 512);
    FZ_CHECK(fz_printable_ascii(quoted, strlen(quoted)), "quote not printable: %s", quoted);
    FZ_CHECK(strlen(quoted) < 512, "quote of %zu bytes", strlen(quoted));
    FZ_CHECK(!tg_test_secret_shows(quoted, strlen(quoted), secret), "the secret survives the quote: %s",
             quoted);
    free(quoted);
    free(out);
    free(text);
    return 0;
}
