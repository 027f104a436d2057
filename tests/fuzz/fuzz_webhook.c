/* Fuzz target: webhook signatures (src/webhook.c, tg_webhook_verify).
 * The first byte picks a mode:
 * - even: every argument as fuzzed — secret, webhook-id, webhook-timestamp,
 *   webhook-signature and body, NUL-separated after two bytes of clock skew;
 * - odd: a signature made here with OpenSSL's HMAC over a fuzzed key, id,
 *   timestamp and body, so verification must succeed, then fail with
 *   TG_ESIGNATURE for a changed body and TG_ETIMESTAMP for a late clock.
 * Invariants: only the documented codes; a loggable message that never
 * quotes the secret (no 20 base64 characters of it in a row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "toolgate/toolgate.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

#define WINDOW 20 /* longer than any number a message prints (19 digits) */

static int b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '=';
}

/* No WINDOW base64 characters of the secret in a row appear in the message.
 * A message has no such run of its own, so only runs are compared. */
static void check_no_secret(const char *msg, const char *secret)
{
    size_t m = strlen(msg), s = strlen(secret), i = 0, j, k;

    while (i < m) {
        size_t start = i;
        while (i < m && b64_char((unsigned char)msg[i]))
            i++;
        for (j = start; i - start >= WINDOW && j + WINDOW <= i; j++)
            for (k = 0; k + WINDOW <= s; k++)
                FZ_CHECK(memcmp(msg + j, secret + k, WINDOW) != 0,
                         "the message quotes the secret: %s", msg);
        if (i == start)
            i++;
    }
}

static void check_result(int rc, const char *secret)
{
    if (rc == TG_OK)
        return;
    FZ_CHECK(rc == TG_EINVAL || rc == TG_ESIGNATURE || rc == TG_ETIMESTAMP, "verify gave %d: %s",
             rc, tg_error_message());
    fz_check_message("webhook", tg_error_message(), "webhook: ");
    check_no_secret(tg_error_message(), secret);
}

/* Standard base64, with or without padding. Caller frees. */
static char *b64_encode(const unsigned char *p, size_t n, int pad)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * (n / 3 + 1) + 1), *o = out;
    size_t i;

    if (!out)
        abort();
    for (i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        if (pad) {
            *o++ = '=';
            *o++ = '=';
        }
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int64_t digits_value(const char *s, int *ok)
{
    int64_t v = 0;
    size_t i, n = strlen(s);

    *ok = n >= 1 && n <= 18;
    for (i = 0; *ok && i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            *ok = 0;
        else
            v = v * 10 + (s[i] - '0');
    }
    return *ok ? v : 0;
}

static void fuzz_raw(fz_bytes *in)
{
    int16_t skew = (int16_t)(fz_byte(in) | fz_byte(in) << 8);
    char *secret = fz_field(in, NULL), *id = fz_field(in, NULL), *ts = fz_field(in, NULL);
    char *sig = fz_field(in, NULL), *body;
    size_t len;
    int ok;
    int64_t t = digits_value(ts, &ok), now = (ok ? t : 1700000000) + skew;

    body = fz_rest(in, &len);
    check_result(tg_webhook_verify(secret, id, ts, sig, body, len, now), secret);
    free(body);
    free(sig);
    free(ts);
    free(id);
    free(secret);
}

/* Map fuzzed bytes onto a set of characters, within lengths [1, max]. */
static void fit(char *s, const char *set, size_t max, const char *fallback)
{
    size_t i, n = strlen(s), k = strlen(set);
    if (n == 0) {
        strcpy(s, fallback);
        return;
    }
    if (n > max)
        s[max] = '\0';
    for (i = 0; s[i]; i++)
        s[i] = set[(unsigned char)s[i] % k];
}

static void fuzz_signed(uint8_t flags, fz_bytes *in)
{
    static const char printable[] =
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~";
    int8_t skew = (int8_t)fz_byte(in);
    size_t key_len, id_len, ts_len, len;
    char *key = fz_field(in, &key_len);
    char *id = fz_field(in, &id_len), *ts = fz_field(in, &ts_len), *body, *msg;
    char *b64_key, *secret, *b64_mac, *wrong, *header;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    int64_t t, now;
    int ok, rc;

    body = fz_rest(in, &len);
    if (key_len == 0) {
        free(key);
        key = strdup("k");
        key_len = 1;
    }
    if (key_len > 512)
        key_len = 512;
    /* Room for the fallbacks. */
    id = realloc(id, id_len + 4);
    ts = realloc(ts, ts_len + 4);
    if (!key || !id || !ts)
        abort();
    fit(id, printable, 256, "msg");
    fit(ts, "0123456789", 18, "1");
    t = digits_value(ts, &ok);
    FZ_CHECK(ok, "timestamp %s", ts);
    now = t + skew % 301;

    b64_key = b64_encode((const unsigned char *)key, key_len, flags & 2);
    secret = malloc(strlen(b64_key) + 7);
    if (!secret)
        abort();
    sprintf(secret, "whsec_%s", b64_key);

    msg = malloc(strlen(id) + strlen(ts) + len + 3);
    if (!msg)
        abort();
    sprintf(msg, "%s.%s.", id, ts);
    memcpy(msg + strlen(id) + strlen(ts) + 2, body, len);
    FZ_CHECK(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
                  strlen(id) + strlen(ts) + 2 + len, mac, &mac_len) != NULL &&
                 mac_len == 32,
             "HMAC failed");
    b64_mac = b64_encode(mac, mac_len, !(flags & 4));
    wrong = b64_encode((const unsigned char *)key, key_len < 32 ? key_len : 32, 1);
    header = malloc(strlen(b64_mac) + 2 * strlen(wrong) + 32);
    if (!header)
        abort();
    /* The good entry alone, or after a wrong v1 entry and another version. */
    if (flags & 8)
        sprintf(header, "v1,%s v2,%s  v1,%s", wrong, wrong, b64_mac);
    else
        sprintf(header, "v1,%s", b64_mac);

    rc = tg_webhook_verify(secret, id, ts, header, body, len, now);
    FZ_CHECK(rc == TG_OK, "a good signature was refused (%d: %s): id %s, ts %s, header %s", rc,
             tg_error_message(), id, ts, header);

    rc = tg_webhook_verify(secret, id, ts, header, body, len, t + 301);
    FZ_CHECK(rc == TG_ETIMESTAMP, "a late clock gave %d", rc);
    check_result(rc, secret);
    rc = tg_webhook_verify(secret, id, ts, header, body, len, t - 301);
    FZ_CHECK(rc == TG_ETIMESTAMP, "an early clock gave %d", rc);
    check_result(rc, secret);

    if (len > 0) {
        body[(flags >> 4) % len] ^= (char)(1u << (flags & 7));
        rc = tg_webhook_verify(secret, id, ts, header, body, len, now);
        FZ_CHECK(rc == TG_ESIGNATURE, "a changed body gave %d", rc);
        check_result(rc, secret);
    }
    free(header);
    free(wrong);
    free(b64_mac);
    free(msg);
    free(secret);
    free(b64_key);
    free(body);
    free(ts);
    free(id);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    uint8_t flags = fz_byte(&in);

    if (flags & 1)
        fuzz_signed(flags, &in);
    else
        fuzz_raw(&in);
    return 0;
}
