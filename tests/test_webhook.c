/*
 * tg_webhook_verify (SCALEKIT_WIRE.md "Webhooks"). Every expected signature is
 * computed here, independently of the library: OpenSSL's one-shot HMAC() over
 * the concatenated string and a base64 encoder written for this test. One
 * vector comes from the Standard Webhooks specification itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "toolgate/toolgate.h"

#define NOW 1764657094 /* 2025-12-02T06:31:34Z */
#define TS "1764657094"
#define MSG_ID "evt_0123456789"
#define BODY                                                                              \
    "{\"spec_version\":\"1\",\"id\":\"evt_0123456789\",\"type\":"                         \
    "\"connected_account.status_updated\",\"occurred_at\":\"2025-12-02T06:31:34.895815554Z\"," \
    "\"data\":{\"identifier\":\"john@acmecorp.com\",\"connection_name\":\"gmail\","      \
    "\"status\":\"EXPIRED\",\"old_status\":\"ACTIVE\"}}"

/* A 32-byte key, and another one for "wrong secret". */
static const unsigned char KEY[32] = "toolgate-test-key-0123456789abcd";
static const unsigned char OTHER_KEY[32] = "toolgate-test-key-0123456789abce";

/* ---- independent helpers -------------------------------------------------- */

/* Standard base64 with padding (RFC 4648 §4); @p pad 0 leaves '=' out. */
static void b64_encode(const unsigned char *in, size_t n, int pad, char *out, size_t cap)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;

    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        assert_true(o + 5 < cap);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        if (left > 1)
            out[o++] = abc[v >> 6 & 63];
        else if (pad)
            out[o++] = '=';
        if (left > 2)
            out[o++] = abc[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static void make_secret(const unsigned char *key, size_t n, char *out, size_t cap)
{
    char b64[100];
    b64_encode(key, n, 1, b64, sizeof b64);
    snprintf(out, cap, "whsec_%s", b64);
}

/* HMAC-SHA256 over "<id>.<ts>.<body>" with HMAC(), as raw bytes. */
static void raw_mac(const unsigned char *key, size_t key_len, const char *id, const char *ts,
                    const char *body, size_t len, unsigned char mac[32])
{
    size_t id_len = strlen(id), ts_len = strlen(ts), n = id_len + ts_len + 2 + len;
    unsigned char *msg = malloc(n + 1);
    unsigned int mac_len = 0;

    assert_non_null(msg);
    memcpy(msg, id, id_len);
    msg[id_len] = '.';
    memcpy(msg + id_len + 1, ts, ts_len);
    msg[id_len + 1 + ts_len] = '.';
    if (len)
        memcpy(msg + id_len + ts_len + 2, body, len);
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, n, mac, &mac_len));
    assert_int_equal(mac_len, 32);
    free(msg);
}

/* "v1,<base64 of the MAC>" into out. */
static void sign(const unsigned char *key, const char *id, const char *ts, const char *body,
                 size_t len, char *out, size_t cap)
{
    unsigned char mac[32];
    char b64[64];

    raw_mac(key, 32, id, ts, body, len, mac);
    b64_encode(mac, sizeof mac, 1, b64, sizeof b64);
    snprintf(out, cap, "v1,%s", b64);
}

typedef struct fixture {
    char secret[128];
    char sig[128];      /* v1 signature of BODY with KEY, MSG_ID, TS */
    char sig_b64[64];   /* the same without "v1," */
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    make_secret(KEY, sizeof KEY, fx->secret, sizeof fx->secret);
    sign(KEY, MSG_ID, TS, BODY, strlen(BODY), fx->sig, sizeof fx->sig);
    snprintf(fx->sig_b64, sizeof fx->sig_b64, "%s", fx->sig + 3);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static int verify(const fixture *fx, const char *header)
{
    return tg_webhook_verify(fx->secret, MSG_ID, TS, header, BODY, strlen(BODY), NOW);
}

#define EXPECT_RC(call, want)                                                           \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != (want))                                                              \
            fail_msg("%s = %d (%s), want %d; message: %s", #call, rc_, tg_strerror(rc_), \
                     (int)(want), tg_error_message());                                  \
    } while (0)

/* ---- tests ---------------------------------------------------------------- */

static void test_standard_webhooks_vector(void **state)
{
    static const char body[] = "{\"test\": 2432232314}";
    (void)state;
    EXPECT_RC(tg_webhook_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body,
                                strlen(body), 1614265330),
              TG_OK);
    EXPECT_RC(tg_webhook_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body,
                                strlen(body) - 1, 1614265330),
              TG_ESIGNATURE);
}

static void test_valid_single(void **state)
{
    fixture *fx = *state;
    EXPECT_RC(verify(fx, fx->sig), TG_OK);
}

static void test_valid_among_several(void **state)
{
    fixture *fx = *state;
    char other[128], header[1024];

    sign(OTHER_KEY, MSG_ID, TS, BODY, strlen(BODY), other, sizeof other);
    /* The matching entry first, in the middle, last; other versions ignored;
     * extra spaces tolerated. */
    snprintf(header, sizeof header, "%s %s", fx->sig, other);
    EXPECT_RC(verify(fx, header), TG_OK);
    snprintf(header, sizeof header, "%s v1,%s %s", other, "AAAA", fx->sig);
    EXPECT_RC(verify(fx, header), TG_OK);
    snprintf(header, sizeof header, "v2,%s %s v1,garbage!! %s", fx->sig_b64, other, fx->sig);
    EXPECT_RC(verify(fx, header), TG_OK);
    snprintf(header, sizeof header, "  %s   %s  ", other, fx->sig);
    EXPECT_RC(verify(fx, header), TG_OK);
    /* Several entries, none matching. */
    snprintf(header, sizeof header, "%s %s", other, other);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
}

static void test_tampered_body(void **state)
{
    fixture *fx = *state;
    size_t n = strlen(BODY), positions[] = { 0, 1, 57, n / 2, n - 2, n - 1 }, i;
    char *body = malloc(n + 1);

    assert_non_null(body);
    for (i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        memcpy(body, BODY, n + 1);
        body[positions[i]] ^= 0x01;
        EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, body, n, NOW),
                  TG_ESIGNATURE);
    }
    /* Shorter and longer bodies. */
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, BODY, n - 1, NOW), TG_ESIGNATURE);
    memcpy(body, BODY, n + 1);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, body, n + 1, NOW),
              TG_ESIGNATURE);
    free(body);
    assert_non_null(strstr(tg_error_message(), "no v1 signature matches"));
}

static void test_tampered_id_and_timestamp(void **state)
{
    fixture *fx = *state;
    EXPECT_RC(tg_webhook_verify(fx->secret, "evt_0123456788", TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_ESIGNATURE);
    /* Still within tolerance, but not the signed timestamp. */
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, "1764657095", fx->sig, BODY, strlen(BODY), NOW),
              TG_ESIGNATURE);
    /* The same number written with a leading zero is another signed string. */
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, "01764657094", fx->sig, BODY, strlen(BODY),
                                NOW),
              TG_ESIGNATURE);
}

static void test_wrong_secret(void **state)
{
    fixture *fx = *state;
    char secret[128];

    make_secret(OTHER_KEY, sizeof OTHER_KEY, secret, sizeof secret);
    EXPECT_RC(tg_webhook_verify(secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_ESIGNATURE);
    /* A key that is a prefix of the right one. */
    make_secret(KEY, 31, secret, sizeof secret);
    EXPECT_RC(tg_webhook_verify(secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_ESIGNATURE);
    /* Never the secret or the expected MAC in the message. */
    assert_null(strstr(tg_error_message(), secret + 6));
    assert_null(strstr(tg_error_message(), fx->sig_b64));
}

static void test_secret_forms(void **state)
{
    fixture *fx = *state;
    char b64[64], secret[128];

    /* Unpadded base64 is accepted. */
    b64_encode(KEY, sizeof KEY, 0, b64, sizeof b64);
    assert_null(strchr(b64, '='));
    snprintf(secret, sizeof secret, "whsec_%s", b64);
    EXPECT_RC(tg_webhook_verify(secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW), TG_OK);
    /* The key is whatever follows the first '_'. */
    b64_encode(KEY, sizeof KEY, 1, b64, sizeof b64);
    snprintf(secret, sizeof secret, "sk_%s", b64);
    EXPECT_RC(tg_webhook_verify(secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW), TG_OK);
}

static void test_malformed_secret(void **state)
{
    fixture *fx = *state;
    char b64[64], secret[2048];
    const char *bad[] = {
        "",                     /* empty */
        "whsec",                /* no '_' */
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", /* base64 alone, no prefix */
        "whsec_",               /* nothing after '_' */
        "whsec_!!!!",           /* not the alphabet */
        "whsec_MfKQ9r8G-YqrTwjUPD8ILPZIo2LaLaSw", /* URL-safe alphabet */
        "whsec_MfKQ9r8G YqrTwjUPD8ILPZIo2LaLaSw", /* space inside */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", /* trailing newline */
        "whsec_QQ=",            /* bad padding */
        "whsec_Q",              /* impossible length */
        "whsec_QR==",           /* non-zero leftover bits */
        "whsec_QQ==QQ==",       /* padding in the middle */
        "whsec_====",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = tg_webhook_verify(bad[i], MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW);
        if (rc != TG_EINVAL)
            fail_msg("secret \"%s\": %d, want TG_EINVAL", bad[i], rc);
        assert_non_null(strstr(tg_error_message(), "secret must look like whsec_<base64>"));
        if (strlen(bad[i]) > 6)
            assert_null(strstr(tg_error_message(), bad[i] + 6));
    }
    /* Absurdly long. */
    b64_encode(KEY, sizeof KEY, 1, b64, sizeof b64);
    memset(secret, 'A', sizeof secret - 1);
    memcpy(secret, "whsec_", 6);
    secret[sizeof secret - 1] = '\0';
    EXPECT_RC(tg_webhook_verify(secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW), TG_EINVAL);
}

static void test_no_v1_signature(void **state)
{
    fixture *fx = *state;
    char header[256];

    snprintf(header, sizeof header, "v2,%s", fx->sig_b64);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    assert_non_null(strstr(tg_error_message(), "no v1 signature"));
    snprintf(header, sizeof header, "v1a,%s V1,%s v,%s", fx->sig_b64, fx->sig_b64, fx->sig_b64);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    assert_non_null(strstr(tg_error_message(), "no v1 signature"));
}

static void test_garbage_signatures(void **state)
{
    fixture *fx = *state;
    unsigned char mac[32], twice[64];
    char header[512], b64[128];
    size_t n = strlen(fx->sig);
    const char *junk[] = { "v1,", "v1,@@@@", "v1,AAAA", "v1,====", "v1,A", "v1,=" };
    size_t i;

    for (i = 0; i < sizeof junk / sizeof junk[0]; i++)
        EXPECT_RC(verify(fx, junk[i]), TG_ESIGNATURE);
    /* The right signature, truncated by one character, or with one too many. */
    snprintf(header, sizeof header, "%.*s", (int)(n - 2), fx->sig);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    snprintf(header, sizeof header, "%s=", fx->sig);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    snprintf(header, sizeof header, "%sAAAA", fx->sig);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    /* The right MAC followed by more bytes; the first 31 bytes alone. */
    raw_mac(KEY, 32, MSG_ID, TS, BODY, strlen(BODY), mac);
    memcpy(twice, mac, 32);
    memcpy(twice + 32, mac, 32);
    b64_encode(twice, 64, 1, b64, sizeof b64);
    snprintf(header, sizeof header, "v1,%s", b64);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    b64_encode(mac, 31, 1, b64, sizeof b64);
    snprintf(header, sizeof header, "v1,%s", b64);
    EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    /* The right MAC in base64url: another alphabet is not ours. */
    b64_encode(mac, 32, 1, b64, sizeof b64);
    for (i = 0; b64[i]; i++)
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    if (strchr(b64, '-') || strchr(b64, '_')) {
        snprintf(header, sizeof header, "v1,%s", b64);
        EXPECT_RC(verify(fx, header), TG_ESIGNATURE);
    }
    /* Unpadded form of the right MAC matches. */
    b64_encode(mac, 32, 0, b64, sizeof b64);
    snprintf(header, sizeof header, "v1,%s", b64);
    EXPECT_RC(verify(fx, header), TG_OK);
}

static void test_malformed_header(void **state)
{
    fixture *fx = *state;
    char header[256];
    const char *bad[] = { "", "   ", "v1", ",abc", "v1;abc" };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = verify(fx, bad[i]);
        if (rc != TG_EINVAL)
            fail_msg("header \"%s\": %d, want TG_EINVAL", bad[i], rc);
    }
    /* A control character, even next to a good signature. */
    snprintf(header, sizeof header, "%s\tv2,abc", fx->sig);
    EXPECT_RC(verify(fx, header), TG_EINVAL);
    snprintf(header, sizeof header, "%s\n", fx->sig);
    EXPECT_RC(verify(fx, header), TG_EINVAL);
    /* An entry without a version next to a good one. */
    snprintf(header, sizeof header, "%s garbage", fx->sig);
    EXPECT_RC(verify(fx, header), TG_EINVAL);
}

static void test_long_header(void **state)
{
    fixture *fx = *state;
    char *header = malloc(8192);
    size_t n = 0;

    assert_non_null(header);
    /* Exactly 4096 bytes, the matching entry last: accepted. */
    while (n + 8 + 1 + strlen(fx->sig) <= 4096) {
        memcpy(header + n, "v2,AAAA ", 8);
        n += 8;
    }
    memset(header + n, ' ', 4096 - n - strlen(fx->sig));
    n = 4096 - strlen(fx->sig);
    memcpy(header + n, fx->sig, strlen(fx->sig) + 1);
    assert_int_equal(strlen(header), 4096);
    EXPECT_RC(verify(fx, header), TG_OK);
    /* One byte more: refused before any work. */
    memmove(header + 1, header, 4097);
    header[0] = ' ';
    assert_int_equal(strlen(header), 4097);
    EXPECT_RC(verify(fx, header), TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "4096"));
    /* Very long. */
    memset(header, 'A', 8191);
    memcpy(header, "v1,", 3);
    header[8191] = '\0';
    EXPECT_RC(verify(fx, header), TG_EINVAL);
    free(header);
}

static void test_timestamp_tolerance(void **state)
{
    fixture *fx = *state;
    static const struct {
        int64_t delta; /* now - timestamp */
        int want;
    } cases[] = {
        { 0, TG_OK },   { 300, TG_OK },  { -300, TG_OK },
        { 301, TG_ETIMESTAMP }, { -301, TG_ETIMESTAMP },
        { 86400, TG_ETIMESTAMP }, { -86400, TG_ETIMESTAMP },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ts[32], sig[128];
        int64_t t = NOW - cases[i].delta;
        int rc;
        snprintf(ts, sizeof ts, "%lld", (long long)t);
        sign(KEY, MSG_ID, ts, BODY, strlen(BODY), sig, sizeof sig);
        rc = tg_webhook_verify(fx->secret, MSG_ID, ts, sig, BODY, strlen(BODY), NOW);
        if (rc != cases[i].want)
            fail_msg("now - ts = %lld: %d, want %d (%s)", (long long)cases[i].delta, rc,
                     cases[i].want, tg_error_message());
    }
    /* The tolerance is checked even when the signature is right, and a stale
     * request with a wrong signature still says "stale". */
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), NOW + 301),
              TG_ETIMESTAMP);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, "v1,AAAA", BODY, strlen(BODY), NOW - 301),
              TG_ETIMESTAMP);
    /* Extreme clocks: no overflow, just stale. */
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), INT64_MAX),
              TG_ETIMESTAMP);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, BODY, strlen(BODY), INT64_MIN),
              TG_ETIMESTAMP);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, "999999999999999999", fx->sig, BODY,
                                strlen(BODY), INT64_MIN),
              TG_ETIMESTAMP);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, "0", fx->sig, BODY, strlen(BODY), INT64_MAX),
              TG_ETIMESTAMP);
}

static void test_bad_timestamp(void **state)
{
    fixture *fx = *state;
    const char *bad[] = { "",      "abc",         "-1764657094", "+1764657094", " 1764657094",
                          "1764657094 ", "1764657094.5", "1.7e9", "0x6931f2c6",
                          "1764657094\n", "1234567890123456789" };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = tg_webhook_verify(fx->secret, MSG_ID, bad[i], fx->sig, BODY, strlen(BODY), NOW);
        if (rc != TG_EINVAL)
            fail_msg("timestamp \"%s\": %d, want TG_EINVAL", bad[i], rc);
        assert_non_null(strstr(tg_error_message(), "webhook-timestamp"));
    }
}

static void test_bad_id(void **state)
{
    fixture *fx = *state;
    char id[300], sig[128];

    EXPECT_RC(tg_webhook_verify(fx->secret, "", TS, fx->sig, BODY, strlen(BODY), NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, "evt 1", TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, "evt\x01", TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, "evt_\xC3\xA9", TS, fx->sig, BODY, strlen(BODY), NOW),
              TG_EINVAL);
    /* 256 characters: fine; 257: refused. */
    memset(id, 'x', 256);
    id[256] = '\0';
    sign(KEY, id, TS, BODY, strlen(BODY), sig, sizeof sig);
    EXPECT_RC(tg_webhook_verify(fx->secret, id, TS, sig, BODY, strlen(BODY), NOW), TG_OK);
    id[256] = 'x';
    id[257] = '\0';
    EXPECT_RC(tg_webhook_verify(fx->secret, id, TS, sig, BODY, strlen(BODY), NOW), TG_EINVAL);
}

static void test_nul_bytes_in_body(void **state)
{
    fixture *fx = *state;
    static const char body[] = "{\"a\":1}\0tail\0\0end";
    size_t n = sizeof body - 1;
    char sig[128], copy[sizeof body];

    sign(KEY, MSG_ID, TS, body, n, sig, sizeof sig);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, body, n, NOW), TG_OK);
    /* Everything after the first NUL counts. */
    memcpy(copy, body, sizeof body);
    copy[n - 1] = 'D';
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, copy, n, NOW), TG_ESIGNATURE);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, body, strlen(body), NOW),
              TG_ESIGNATURE);
}

static void test_empty_body(void **state)
{
    fixture *fx = *state;
    char sig[128];

    sign(KEY, MSG_ID, TS, "", 0, sig, sizeof sig);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, "", 0, NOW), TG_OK);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, NULL, 0, NOW), TG_OK);
}

static void test_body_bound(void **state)
{
    fixture *fx = *state;
    size_t max = 1024 * 1024;
    char *body = malloc(max + 1), sig[128];

    assert_non_null(body);
    memset(body, 'x', max + 1);
    sign(KEY, MSG_ID, TS, body, max, sig, sizeof sig);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, body, max, NOW), TG_OK);
    sign(KEY, MSG_ID, TS, body, max + 1, sig, sizeof sig);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, body, max + 1, NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, sig, body, SIZE_MAX, NOW), TG_EINVAL);
    free(body);
}

static void test_null_arguments(void **state)
{
    fixture *fx = *state;
    size_t n = strlen(BODY);

    EXPECT_RC(tg_webhook_verify(NULL, MSG_ID, TS, fx->sig, BODY, n, NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, NULL, TS, fx->sig, BODY, n, NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, NULL, fx->sig, BODY, n, NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, NULL, BODY, n, NOW), TG_EINVAL);
    EXPECT_RC(tg_webhook_verify(fx->secret, MSG_ID, TS, fx->sig, NULL, n, NOW), TG_EINVAL);
}

static void test_error_texts(void **state)
{
    (void)state;
    assert_int_equal(TG_ESIGNATURE, -10);
    assert_int_equal(TG_ETIMESTAMP, -11);
    assert_string_not_equal(tg_strerror(TG_ESIGNATURE), tg_strerror(12345));
    assert_string_not_equal(tg_strerror(TG_ETIMESTAMP), tg_strerror(12345));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_standard_webhooks_vector),
        T(test_valid_single),
        T(test_valid_among_several),
        T(test_tampered_body),
        T(test_tampered_id_and_timestamp),
        T(test_wrong_secret),
        T(test_secret_forms),
        T(test_malformed_secret),
        T(test_no_v1_signature),
        T(test_garbage_signatures),
        T(test_malformed_header),
        T(test_long_header),
        T(test_timestamp_tolerance),
        T(test_bad_timestamp),
        T(test_bad_id),
        T(test_nul_bytes_in_body),
        T(test_empty_body),
        T(test_body_bound),
        T(test_null_arguments),
        T(test_error_texts),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
