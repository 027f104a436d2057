/* Fuzz target: the Scalekit wire (plugins/scalekit/wire.c, env_url.c) and
 * the RFC 3339 parser the host hands the plugin. The first byte picks what
 * the rest is:
 *   0 an account answer    1 a token answer     2 a magic-link answer
 *   3 an error answer      4 an RFC 3339 date-time
 *   5 an environment URL (and the same bytes percent-encoded)
 * Invariants: each parser succeeds or fails with its own code and a loggable
 * reason; what it accepts obeys its contract (a token fits a header line, a
 * link is an absolute http(s) URL with a host and no quote, angle bracket,
 * backslash or space, a summary is short printable ASCII); RFC 3339
 * date-times, through the host table and the core's parser, read as a
 * reference built on timegm() reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "toolgate/provider.h"
#include "plugin.h"
#include "rfc3339.h"
#include "env_url.h"
#include "wire.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static char *new_err(void)
{
    char *err = malloc(TG__SK_ERR_MAX);
    if (!err)
        abort();
    err[0] = '\0';
    return err;
}

static void check_failure(const char *what, int rc, int want, const char *err)
{
    FZ_CHECK(rc == want, "%s gave %d: %s", what, rc, err);
    FZ_CHECK(memchr(err, '\0', TG__SK_ERR_MAX) != NULL, "%s: reason not NUL-terminated", what);
    fz_check_message(what, err, NULL);
}

static void fuzz_account(const char *body, size_t len)
{
    tg__sk_account a;
    char *err = new_err();
    int rc = tg__sk_parse_account(tg__host(), body, len, NULL, &a, err, TG__SK_ERR_MAX);

    if (rc == TG_OK)
        FZ_CHECK((a.has_status == 0 && a.status == TG_STATUS_UNKNOWN) ||
                     (a.has_status == 1 && (unsigned)a.status <= TG_STATUS_NOT_FOUND),
                 "account: has_status %d, status %d", a.has_status, (int)a.status);
    else
        check_failure("account", rc, TG_EPROVIDER, err);
    free(err);
}

static void fuzz_token(const char *body, size_t len)
{
    tg__sk_token *t = malloc(sizeof *t);
    char *err = new_err();
    size_t n;
    int rc;

    if (!t)
        abort();
    rc = tg__sk_parse_token(body, len, NULL, t, err, TG__SK_ERR_MAX);
    if (rc == TG_OK) {
        n = strnlen(t->access_token, sizeof t->access_token);
        FZ_CHECK(n >= 1 && n <= TG__SK_TOKEN_MAX, "token of %zu bytes", n);
        FZ_CHECK(fz_printable_ascii(t->access_token, n) && !strchr(t->access_token, ' '),
                 "token does not fit a header line");
        FZ_CHECK(t->expires_in_s >= -1 && t->expires_in_s <= 10LL * 365 * 86400,
                 "expires_in %lld", (long long)t->expires_in_s);
    } else {
        check_failure("token", rc, TG_EPROVIDER, err);
    }
    free(err);
    free(t);
}

static void fuzz_link(const char *body, size_t len)
{
    tg__sk_link *l = malloc(sizeof *l);
    char *err = new_err();
    size_t n;
    int rc;

    if (!l)
        abort();
    rc = tg__sk_parse_link(tg__host(), body, len, 1700000000000LL, NULL, l, err, TG__SK_ERR_MAX);
    if (rc == TG_OK) {
        size_t scheme;
        n = strnlen(l->link, sizeof l->link);
        FZ_CHECK(n >= 1 && n <= TG_LINK_MAX, "link of %zu bytes", n);
        FZ_CHECK(fz_printable_ascii(l->link, n) && !strpbrk(l->link, " \"'`<>\\"), "link %s",
                 l->link);
        FZ_CHECK(strncasecmp(l->link, "http://", 7) == 0 || strncasecmp(l->link, "https://", 8) == 0,
                 "link %s", l->link);
        scheme = strncasecmp(l->link, "https://", 8) == 0 ? 8 : 7;
        FZ_CHECK(n > scheme && !strchr("/?#:@", l->link[scheme]), "link without a host: %s",
                 l->link);
        FZ_CHECK(l->expires_at_ms == 0 || l->expires_at_ms > 1700000000000LL,
                 "an expired link was accepted (%lld)", (long long)l->expires_at_ms);
    } else {
        check_failure("link", rc, TG_EPROVIDER, err);
    }
    free(err);
    free(l);
}

static void fuzz_error_summary(uint8_t cap_byte, const char *body, size_t len)
{
    size_t cap = (size_t)cap_byte + 1, n;
    char *out = malloc(cap);

    if (!out)
        abort();
    tg__sk_error_summary(body, len, NULL, out, cap);
    FZ_CHECK(memchr(out, '\0', cap) != NULL, "summary not NUL-terminated");
    n = strlen(out);
    FZ_CHECK(fz_printable_ascii(out, n), "summary not printable: %s", out);
    /* 120 bytes of the answer at most, each shown as at most 4 (\xNN), and "...". */
    FZ_CHECK(n <= 4 * 120 + 3, "summary of %zu bytes", n);
    free(out);
}

static int two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return 0;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

/* RFC 3339 §5.6 as a reference: the grammar checked field by field, the date
 * checked and converted by timegm()/gmtime_r(). */
static int ref_rfc3339(const char *s, size_t n, int64_t *ms)
{
    int year, hi, lo, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0, frac = 0, kept = 0;
    struct tm tm, back;
    time_t t;
    size_t i;

    if (n < 20 || !two_digits(s, &hi) || !two_digits(s + 2, &lo) || s[4] != '-' ||
        !two_digits(s + 5, &mon) || s[7] != '-' || !two_digits(s + 8, &day) ||
        !strchr("Tt ", s[10]) || s[10] == '\0' || !two_digits(s + 11, &hour) || s[13] != ':' ||
        !two_digits(s + 14, &min) || s[16] != ':' || !two_digits(s + 17, &sec))
        return -1;
    year = hi * 100 + lo;
    i = 19;
    if (s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return -1;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (kept < 3) {
                frac = frac * 10 + (s[i] - '0');
                kept++;
            }
        for (; kept < 3; kept++)
            frac *= 10;
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        sign = 0;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && two_digits(s + i + 1, &oh) &&
               s[i + 3] == ':' && two_digits(s + i + 4, &om)) {
        sign = s[i] == '+' ? 1 : -1;
    } else {
        return -1;
    }
    if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 60 || oh > 23 || om > 59)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    t = timegm(&tm);
    if (!gmtime_r(&t, &back) || back.tm_mday != day || back.tm_mon != mon - 1)
        return -1; /* a day the month does not have */
    *ms = ((int64_t)t + sec - (int64_t)sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return 0;
}

static void fuzz_rfc3339(const char *s, size_t n)
{
    int64_t sk = 0, core = 0, ref = 0;
    int sk_ok = tg__host()->parse_rfc3339(s, n, &sk) == TG_OK;
    int core_ok = tg__rfc3339_parse(s, n, &core) == 0;
    int ref_ok = ref_rfc3339(s, n, &ref) == 0;

    FZ_CHECK(sk_ok == ref_ok, "host parser %s, reference %s: %.*s", sk_ok ? "accepts" : "refuses",
             ref_ok ? "accepts" : "refuses", (int)n, s);
    FZ_CHECK(core_ok == ref_ok, "core parser %s, reference %s: %.*s",
             core_ok ? "accepts" : "refuses", ref_ok ? "accepts" : "refuses", (int)n, s);
    if (ref_ok)
        FZ_CHECK(sk == ref && core == ref, "%.*s: host %lld, core %lld, reference %lld", (int)n, s,
                 (long long)sk, (long long)core, (long long)ref);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void fuzz_pct_encode(const char *in, size_t n)
{
    size_t cap = 3 * n + 1, i, o = 0, len;
    char *out = malloc(cap), *tight;

    if (!out)
        abort();
    FZ_CHECK(tg__sk_pct_encode(in, out, cap) == TG_OK, "3n+1 bytes are not enough");
    len = strlen(out);
    for (i = 0; i < len; o++) {
        if (out[i] == '%') {
            int h = i + 2 < len ? hex_value(out[i + 1]) : -1, l = h >= 0 ? hex_value(out[i + 2]) : -1;
            FZ_CHECK(h >= 0 && l >= 0, "bad escape in %s", out);
            FZ_CHECK(o < n && (unsigned char)in[o] == (unsigned)(h * 16 + l) &&
                         !unreserved((unsigned char)in[o]),
                     "escape %zu does not decode to the input", i);
            i += 3;
        } else {
            FZ_CHECK(unreserved((unsigned char)out[i]) && o < n && out[i] == in[o],
                     "plain byte %zu of %s", i, out);
            i++;
        }
    }
    FZ_CHECK(o == n, "decoded %zu of %zu bytes", o, n);
    /* No room for the NUL: refused, and the buffer left empty. */
    tight = malloc(len ? len : 1);
    if (!tight)
        abort();
    if (len > 0) {
        FZ_CHECK(tg__sk_pct_encode(in, tight, len) == TG_EBUFS && tight[0] == '\0',
                 "a buffer one byte short was accepted");
    }
    free(tight);
    free(out);
}

static void fuzz_env_url(uint8_t cap_byte, const char *url, size_t n)
{
    size_t cap = (size_t)cap_byte * 4 + 1, len;
    char *out = malloc(cap), *err = new_err();
    tg__sk_env_url info;
    int loopback, rc;

    if (!out)
        abort();
    rc = tg__sk_check_env_url(url, out, cap, &info, err, TG__SK_ERR_MAX);
    loopback = info.loopback;
    FZ_CHECK(memchr(out, '\0', cap) != NULL, "URL not NUL-terminated");
    if (rc == TG_OK) {
        len = strlen(out);
        FZ_CHECK(len >= 1 && len < cap && len <= n &&
                     (memcmp(out, url, len) == 0 || info.pin_localhost),
                 "URL %s from %s", out, url);
        FZ_CHECK(strncasecmp(out, url, len) == 0, "URL %s from %s", out, url);
        FZ_CHECK(strspn(url + len, "/") == n - len, "URL %s cut from %s", out, url);
        FZ_CHECK(!strpbrk(out, "?#@ ") && fz_printable_ascii(out, len), "URL %s", out);
        FZ_CHECK(strncasecmp(out, "https://", 8) == 0 ||
                     (loopback == 1 && strncasecmp(out, "http://", 7) == 0),
                 "URL %s (loopback %d)", out, loopback);
        FZ_CHECK(info.port >= 1 && info.port <= 65535 && info.hostport[0] != '\0',
                 "URL %s: port %d, host %s", out, info.port, info.hostport);
        if (loopback == 1 && !info.pin_localhost) /* a literal address, never a name */
            FZ_CHECK(strstr(out, "://127.") || strstr(out, "://[::1]"), "loopback URL %s", out);
    } else {
        FZ_CHECK(loopback == 0, "loopback %d on failure", loopback);
        check_failure("env URL", rc, rc == TG_EBUFS ? TG_EBUFS : TG_EINVAL, err);
    }
    free(err);
    free(out);
    fuzz_pct_encode(url, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    uint8_t pick = fz_byte(&in), extra = fz_byte(&in);
    size_t n;
    char *s;

    switch (pick % 6) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
        /* Exactly the bytes, no terminator: these parsers take a length. */
        n = in.n;
        s = fz_copy(in.p, n);
        if (pick % 6 == 0)
            fuzz_account(s, n);
        else if (pick % 6 == 1)
            fuzz_token(s, n);
        else if (pick % 6 == 2)
            fuzz_link(s, n);
        else if (pick % 6 == 3)
            fuzz_error_summary(extra, s, n);
        else
            fuzz_rfc3339(s, n);
        free(s);
        break;
    default:
        s = fz_field(&in, &n);
        fuzz_env_url(extra, s, n);
        free(s);
        break;
    }
    return 0;
}
