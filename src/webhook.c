/* Webhook signatures (Standard Webhooks, as Scalekit sends them):
 * HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed with the base64 part of
 * "whsec_<base64>", checked against every "v1,<base64>" entry of the header.
 * Every input is bounded and checked for shape before any MAC is computed;
 * the secret and the expected MAC never appear in a message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "toolgate/toolgate.h"
#include "error.h"

#define TG__WH_ID_MAX 256
#define TG__WH_HEADER_MAX 4096
#define TG__WH_BODY_MAX (1024 * 1024)
/* Decimal Unix seconds: 18 digits cannot overflow int64. */
#define TG__WH_TIMESTAMP_DIGITS_MAX 18
#define TG__WH_TOLERANCE_S 300
/* Longest "whsec_…" accepted; Standard Webhooks keys are 24–64 bytes. */
#define TG__WH_SECRET_MAX 1024
#define TG__WH_KEY_MAX (TG__WH_SECRET_MAX / 4 * 3)
#define TG__WH_MAC_LEN 32

/* ---- base64 (RFC 4648 §4, standard alphabet) ------------------------------ */

static int tg__b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/**
 * Decode s[0..n), padded or not, into out (room for @p cap bytes). Refuses
 * characters outside the alphabet, misplaced '=', a length no encoding has
 * and leftover bits that are not zero (so each value has one spelling).
 * @return 0 with *outlen set; -1 when malformed or longer than cap.
 */
static int tg__b64_decode(const char *s, size_t n, unsigned char *out, size_t cap,
                          size_t *outlen)
{
    size_t i, o = 0, rem;
    uint32_t acc = 0;

    if (n % 4 == 0 && n > 0 && s[n - 1] == '=') {
        n--;
        if (s[n - 1] == '=')
            n--;
    }
    rem = n % 4;
    if (rem == 1)
        return -1;
    if (n / 4 * 3 + (rem ? rem - 1 : 0) > cap)
        return -1;
    for (i = 0; i < n; i++) {
        int v = tg__b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (rem == 2) {
        if (acc & 0x0F)
            return -1;
        out[o++] = (unsigned char)(acc >> 4);
    } else if (rem == 3) {
        if (acc & 0x03)
            return -1;
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    *outlen = o;
    return 0;
}

/* ---- the inputs ----------------------------------------------------------- */

/* "<prefix>_<base64>" → key. Messages never quote the secret. */
static int tg__wh_key(const char *secret, unsigned char *key, size_t *key_len)
{
    static const char rule[] = "webhook: secret must look like whsec_<base64>";
    size_t n = strnlen(secret, TG__WH_SECRET_MAX + 1);
    const char *b64 = memchr(secret, '_', n);

    if (n > TG__WH_SECRET_MAX)
        return tg__fail(TG_EINVAL, "%s (it is longer than %d characters)", rule, TG__WH_SECRET_MAX);
    if (!b64)
        return tg__fail(TG_EINVAL, "%s (it has no '_')", rule);
    b64++;
    if (tg__b64_decode(b64, (size_t)(secret + n - b64), key, TG__WH_KEY_MAX, key_len) != 0 ||
        *key_len == 0)
        return tg__fail(TG_EINVAL, "%s (the part after '_' is not base64)", rule);
    return TG_OK;
}

static int tg__wh_check_id(const char *id, size_t *id_len)
{
    size_t i, n = strnlen(id, TG__WH_ID_MAX + 1);

    if (n == 0 || n > TG__WH_ID_MAX)
        return tg__fail(TG_EINVAL, "webhook: webhook-id must be 1-%d characters", TG__WH_ID_MAX);
    for (i = 0; i < n; i++)
        if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7F)
            return tg__fail(TG_EINVAL,
                            "webhook: webhook-id must be printable ASCII without spaces");
    *id_len = n;
    return TG_OK;
}

/* Decimal Unix seconds, digits only. */
static int tg__wh_timestamp(const char *text, size_t *text_len, int64_t *ts)
{
    size_t i, n = strnlen(text, TG__WH_TIMESTAMP_DIGITS_MAX + 1);

    *ts = 0;
    if (n == 0 || n > TG__WH_TIMESTAMP_DIGITS_MAX)
        return tg__fail(TG_EINVAL, "webhook: webhook-timestamp must be 1-%d decimal digits "
                                   "(Unix seconds)",
                        TG__WH_TIMESTAMP_DIGITS_MAX);
    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return tg__fail(TG_EINVAL,
                            "webhook: webhook-timestamp must be decimal Unix seconds, "
                            "digits only");
        *ts = *ts * 10 + (text[i] - '0');
    }
    *text_len = n;
    return TG_OK;
}

/* Check the header's shape: entries "<version>,<value>" separated by spaces.
 * @return TG_OK with *v1_count set; TG_EINVAL. */
static int tg__wh_check_header(const char *header, size_t *v1_count)
{
    size_t i, entries = 0, n = strnlen(header, TG__WH_HEADER_MAX + 1);

    *v1_count = 0;
    if (n > TG__WH_HEADER_MAX)
        return tg__fail(TG_EINVAL, "webhook: webhook-signature is longer than %d bytes",
                        TG__WH_HEADER_MAX);
    for (i = 0; i < n; i++)
        if ((unsigned char)header[i] < 0x20 || (unsigned char)header[i] >= 0x7F)
            return tg__fail(TG_EINVAL, "webhook: webhook-signature must be printable ASCII");
    for (i = 0; i < n;) {
        size_t start, comma = 0;
        if (header[i] == ' ') {
            i++;
            continue;
        }
        for (start = i; i < n && header[i] != ' '; i++)
            if (header[i] == ',' && !comma)
                comma = i;
        if (!comma || comma == start)
            return tg__fail(TG_EINVAL,
                            "webhook: webhook-signature entries must look like v1,<base64>");
        entries++;
        if (comma - start == 2 && memcmp(header + start, "v1", 2) == 0)
            (*v1_count)++;
    }
    if (entries == 0)
        return tg__fail(TG_EINVAL, "webhook: webhook-signature is empty");
    return TG_OK;
}

/* ---- the MAC -------------------------------------------------------------- */

static int tg__wh_hmac(const unsigned char *key, size_t key_len, const char *id, size_t id_len,
                       const char *ts, size_t ts_len, const char *body, size_t len,
                       unsigned char mac[TG__WH_MAC_LEN])
{
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    size_t mac_len = 0;
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
         EVP_MAC_update(ctx, (const unsigned char *)id, id_len) == 1 &&
         EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
         EVP_MAC_update(ctx, (const unsigned char *)ts, ts_len) == 1 &&
         EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
         (len == 0 || EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1) &&
         EVP_MAC_final(ctx, mac, &mac_len, TG__WH_MAC_LEN) == 1 && mac_len == TG__WH_MAC_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    if (!ok)
        return tg__fail(TG_ENOMEM, "webhook: HMAC-SHA256 is not available from OpenSSL");
    return TG_OK;
}

/* 1 when some v1 entry of the (already checked) header equals @p mac. Every
 * v1 entry is compared, each in constant time over the full MAC length. */
static int tg__wh_any_match(const char *header, const unsigned char mac[TG__WH_MAC_LEN])
{
    unsigned char cand[TG__WH_MAC_LEN];
    size_t i = 0, n = strlen(header), cand_len;
    int match = 0;

    while (i < n) {
        size_t start, end;
        if (header[i] == ' ') {
            i++;
            continue;
        }
        for (start = i; i < n && header[i] != ' '; i++)
            ;
        end = i;
        if (end - start < 3 || memcmp(header + start, "v1,", 3) != 0)
            continue; /* another version: not ours to judge */
        /* Wrong length or not base64: no match, nothing to compare. */
        if (tg__b64_decode(header + start + 3, end - start - 3, cand, sizeof cand,
                           &cand_len) != 0 ||
            cand_len != TG__WH_MAC_LEN)
            continue;
        match |= CRYPTO_memcmp(cand, mac, TG__WH_MAC_LEN) == 0;
    }
    OPENSSL_cleanse(cand, sizeof cand);
    return match;
}

int tg_webhook_verify(const char *secret, const char *webhook_id, const char *webhook_timestamp,
                      const char *webhook_signature, const char *body, size_t len,
                      int64_t now_unix)
{
    unsigned char key[TG__WH_KEY_MAX], mac[TG__WH_MAC_LEN];
    size_t key_len = 0, id_len = 0, ts_len = 0, v1_count = 0;
    int64_t ts;
    int rc;

    if (!secret || !webhook_id || !webhook_timestamp || !webhook_signature || (!body && len > 0))
        return tg__fail(TG_EINVAL, "webhook: NULL argument");
    if (len > TG__WH_BODY_MAX)
        return tg__fail(TG_EINVAL, "webhook: the body is larger than %d bytes", TG__WH_BODY_MAX);
    rc = tg__wh_check_id(webhook_id, &id_len);
    if (rc == TG_OK)
        rc = tg__wh_timestamp(webhook_timestamp, &ts_len, &ts);
    if (rc == TG_OK)
        rc = tg__wh_check_header(webhook_signature, &v1_count);
    if (rc == TG_OK)
        rc = tg__wh_key(secret, key, &key_len);
    if (rc != TG_OK)
        goto out;
    if (v1_count == 0) {
        rc = tg__fail(TG_ESIGNATURE, "webhook: webhook-signature has no v1 signature");
        goto out;
    }
    /* Both directions: a timestamp from the future is as suspect as an old one.
     * ts >= 0 and the subtractions stay in range whatever now_unix is. */
    if ((ts > now_unix && ts - TG__WH_TOLERANCE_S > now_unix) ||
        (ts <= now_unix && now_unix - TG__WH_TOLERANCE_S > ts)) {
        rc = tg__fail(TG_ETIMESTAMP,
                      "webhook: webhook-timestamp %lld is more than %d seconds from now (%lld)",
                      (long long)ts, TG__WH_TOLERANCE_S, (long long)now_unix);
        goto out;
    }
    rc = tg__wh_hmac(key, key_len, webhook_id, id_len, webhook_timestamp, ts_len, body, len, mac);
    if (rc == TG_OK && !tg__wh_any_match(webhook_signature, mac))
        rc = tg__fail(TG_ESIGNATURE, "webhook: no v1 signature matches the body");
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}
