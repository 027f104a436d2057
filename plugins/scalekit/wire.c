/* The Scalekit REST wire: answers parsed from bytes, values encoded to bytes.
 * No I/O and no state; see wire.h. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "rfc3339.h"
#include "wire.h"

#define TG__SK_STATUS_TEXT_MAX 64          /* bytes of a status name */
#define TG__SK_SUMMARY_MAX 120             /* characters of an error summary */
#define TG__SK_EXPIRES_MAX (10LL * 365 * 86400) /* clamp for expires_in, seconds */

static void tg__sk_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tg__sk_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A printable, bounded excerpt of untrusted text for a message. */
static void tg__sk_excerpt(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    size_t i, o = 0;
    if (cap == 0)
        return;
    for (i = 0; i < n && i < max && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (i < n && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* ---- JSON --------------------------------------------------------------- */

/* Parse a whole answer that must be one JSON object. NULL with a reason in
 * err otherwise. The caller puts the result. */
static json_object *tg__sk_json_object(const char *body, size_t len, char *err, size_t errlen)
{
    json_tokener *tok;
    json_object *root;
    enum json_tokener_error jerr;
    size_t end;

    if (len > TG__SK_BODY_MAX) {
        tg__sk_err(err, errlen, "the answer is larger than %d bytes", TG__SK_BODY_MAX);
        return NULL;
    }
    if (len == 0 || !body) {
        tg__sk_err(err, errlen, "the answer is empty");
        return NULL;
    }
    if (memchr(body, '\0', len)) {
        tg__sk_err(err, errlen, "the answer is not JSON (it contains a NUL byte)");
        return NULL;
    }
    tok = json_tokener_new_ex(TG__SK_JSON_DEPTH);
    if (!tok) {
        tg__sk_err(err, errlen, "out of memory");
        return NULL;
    }
    root = json_tokener_parse_ex(tok, body, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root) {
        if (jerr == json_tokener_error_depth)
            tg__sk_err(err, errlen, "the answer is nested deeper than %d levels",
                       TG__SK_JSON_DEPTH);
        else if (jerr == json_tokener_continue)
            tg__sk_err(err, errlen, "the answer is not JSON (it ends too early)");
        else
            tg__sk_err(err, errlen, "the answer is not JSON");
        return NULL;
    }
    while (end < len && (body[end] == ' ' || body[end] == '\t' || body[end] == '\n' ||
                         body[end] == '\r'))
        end++;
    if (end < len) {
        json_object_put(root);
        tg__sk_err(err, errlen, "the answer is not JSON (text follows the value)");
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        tg__sk_err(err, errlen, "the answer is not a JSON object");
        return NULL;
    }
    return root;
}

/* The first of @p keys present in @p obj with a non-null value. */
static json_object *tg__sk_member(json_object *obj, const char *const *keys)
{
    json_object *v;
    for (; *keys; keys++)
        if (json_object_object_get_ex(obj, *keys, &v) && v)
            return v;
    return NULL;
}

/* A JSON string as bytes; 0 when @p v is not a string or holds a NUL. */
static int tg__sk_string(json_object *v, const char **s, size_t *n)
{
    int len;
    if (!v || !json_object_is_type(v, json_type_string))
        return 0;
    *s = json_object_get_string(v);
    len = json_object_get_string_len(v);
    if (!*s || len < 0 || strlen(*s) != (size_t)len)
        return 0;
    *n = (size_t)len;
    return 1;
}

/* ---- accounts ----------------------------------------------------------- */

int tg__sk_parse_account(const tg_host *host, const char *body, size_t len,
                         tg__sk_account *out, char *err, size_t errlen)
{
    static const char *const wrappers[] = { "connected_account", "connectedAccount", NULL };
    static const char *const status_keys[] = { "status", NULL };
    json_object *root, *acct, *st;
    char ex[TG__SK_STATUS_TEXT_MAX + 8];
    int rc = TG_EPROVIDER;

    out->has_status = 0;
    out->status = TG_STATUS_UNKNOWN;
    root = tg__sk_json_object(body, len, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    acct = tg__sk_member(root, wrappers);
    if (acct && !json_object_is_type(acct, json_type_object)) {
        tg__sk_err(err, errlen, "\"connected_account\" is not an object");
        goto out;
    }
    if (!acct)
        acct = root;
    st = tg__sk_member(acct, status_keys);
    if (!st) {
        rc = TG_OK;
        goto out;
    }
    if (json_object_is_type(st, json_type_string)) {
        const char *s;
        char text[TG__SK_STATUS_TEXT_MAX + 1];
        size_t n;
        tg_status parsed;
        if (!tg__sk_string(st, &s, &n) || n == 0 || n > TG__SK_STATUS_TEXT_MAX) {
            tg__sk_err(err, errlen, "the account's status is not a status name");
            goto out;
        }
        memcpy(text, s, n);
        text[n] = '\0';
        if (host->status_parse(text, &parsed) != TG_OK || (unsigned)parsed > TG_STATUS_NOT_FOUND) {
            tg__sk_excerpt(s, n, TG__SK_STATUS_TEXT_MAX, ex, sizeof ex);
            tg__sk_err(err, errlen, "the account's status \"%s\" is unknown", ex);
            goto out;
        }
        out->status = parsed;
    } else if (json_object_is_type(st, json_type_int)) {
        int64_t v = json_object_get_int64(st);
        if (v < TG_STATUS_UNKNOWN || v > TG_STATUS_REVOKED) {
            tg__sk_err(err, errlen, "the account's status %lld is unknown", (long long)v);
            goto out;
        }
        out->status = (tg_status)v;
    } else {
        tg__sk_err(err, errlen, "the account's status is neither a name nor a number");
        goto out;
    }
    out->has_status = 1;
    rc = TG_OK;
out:
    json_object_put(root);
    return rc;
}

/* ---- tokens ------------------------------------------------------------- */

/* Seconds from a JSON number or a numeric string; -1 when neither. */
static int64_t tg__sk_seconds(json_object *v)
{
    int64_t secs = -1;
    if (!v)
        return -1;
    if (json_object_is_type(v, json_type_int)) {
        secs = json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (!isfinite(d))
            return -1;
        secs = d <= 0 ? 0 : d >= (double)TG__SK_EXPIRES_MAX ? TG__SK_EXPIRES_MAX : (int64_t)d;
    } else {
        const char *s;
        size_t n, i;
        if (!tg__sk_string(v, &s, &n))
            return -1;
        while (n > 0 && s[0] == ' ') {
            s++;
            n--;
        }
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n == 0 || n > 18)
            return -1;
        secs = 0;
        for (i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            secs = secs * 10 + (s[i] - '0');
        }
    }
    if (secs < 0)
        secs = 0;
    if (secs > TG__SK_EXPIRES_MAX)
        secs = TG__SK_EXPIRES_MAX;
    return secs;
}

int tg__sk_parse_token(const char *body, size_t len, tg__sk_token *out, char *err,
                       size_t errlen)
{
    static const char *const token_keys[] = { "access_token", "accessToken", NULL };
    static const char *const expiry_keys[] = { "expires_in", "expiresIn", NULL };
    json_object *root, *v;
    const char *s;
    size_t n, i;
    int rc = TG_EPROVIDER;

    out->access_token[0] = '\0';
    out->expires_in_s = -1;
    root = tg__sk_json_object(body, len, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    v = tg__sk_member(root, token_keys);
    if (!v) {
        tg__sk_err(err, errlen, "the answer has no access_token");
        goto out;
    }
    if (!tg__sk_string(v, &s, &n) || n == 0) {
        tg__sk_err(err, errlen, "the answer's access_token is not a non-empty string");
        goto out;
    }
    if (n > TG__SK_TOKEN_MAX) {
        tg__sk_err(err, errlen, "the answer's access_token is longer than %d bytes",
                   TG__SK_TOKEN_MAX);
        goto out;
    }
    /* It goes into a header line: printable ASCII without spaces only. */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F) {
            tg__sk_err(err, errlen, "the answer's access_token contains a byte that is not "
                                    "printable ASCII");
            goto out;
        }
    }
    memcpy(out->access_token, s, n);
    out->access_token[n] = '\0';
    out->expires_in_s = tg__sk_seconds(tg__sk_member(root, expiry_keys));
    rc = TG_OK;
out:
    json_object_put(root);
    return rc;
}

/* ---- links -------------------------------------------------------------- */

static int tg__sk_prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t i, p = strlen(prefix);
    if (n < p)
        return 0;
    for (i = 0; i < p; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

int tg__sk_parse_link(const char *body, size_t len, tg__sk_link *out, char *err,
                      size_t errlen)
{
    static const char *const link_keys[] = { "link", NULL };
    static const char *const expiry_keys[] = { "expiry", "expires_at", "expiresAt", NULL };
    json_object *root, *v;
    const char *s;
    size_t n, i;
    int rc = TG_EPROVIDER;

    out->link[0] = '\0';
    out->expires_at_ms = 0;
    root = tg__sk_json_object(body, len, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    v = tg__sk_member(root, link_keys);
    if (!v) {
        tg__sk_err(err, errlen, "the answer has no link");
        goto out;
    }
    if (!tg__sk_string(v, &s, &n) || n == 0) {
        tg__sk_err(err, errlen, "the answer's link is not a non-empty string");
        goto out;
    }
    if (n > TG_LINK_MAX) {
        tg__sk_err(err, errlen, "the answer's link is longer than %d bytes", TG_LINK_MAX);
        goto out;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F) {
            tg__sk_err(err, errlen, "the answer's link contains a space or a byte that is not "
                                    "printable ASCII");
            goto out;
        }
    }
    if (!tg__sk_prefix_ci(s, n, "https://") && !tg__sk_prefix_ci(s, n, "http://")) {
        tg__sk_err(err, errlen, "the answer's link is not an http(s) URL");
        goto out;
    }
    memcpy(out->link, s, n);
    out->link[n] = '\0';
    v = tg__sk_member(root, expiry_keys);
    if (tg__sk_string(v, &s, &n) && tg__sk_parse_rfc3339(s, n, &out->expires_at_ms) != TG_OK)
        out->expires_at_ms = 0;
    rc = TG_OK;
out:
    json_object_put(root);
    return rc;
}

/* ---- RFC 3339 ----------------------------------------------------------- */

/* The library's parser (src/rfc3339.c, pure, compiled into this module too). */
int tg__sk_parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
    if (!s || !ms)
        return TG_EINVAL;
    return tg__rfc3339_parse(s, len, ms) == 0 ? TG_OK : TG_EINVAL;
}

/* ---- error answers ------------------------------------------------------ */

void tg__sk_error_summary(const char *body, size_t len, char *out, size_t outlen)
{
    static const char *const keys[] = { "message", "error_description", "error", NULL };
    static const char *const inner[] = { "message", NULL };
    json_object *root, *v;
    const char *s;
    size_t n;

    if (!out || outlen == 0)
        return;
    out[0] = '\0';
    root = tg__sk_json_object(body, len, NULL, 0);
    if (!root)
        return;
    v = tg__sk_member(root, keys);
    if (v && json_object_is_type(v, json_type_object)) /* {"error":{"message":…}} */
        v = tg__sk_member(v, inner);
    if (tg__sk_string(v, &s, &n))
        tg__sk_excerpt(s, n, TG__SK_SUMMARY_MAX, out, outlen);
    json_object_put(root);
}

/* ---- encoding ----------------------------------------------------------- */

int tg__sk_pct_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;

    if (!out || cap == 0)
        return TG_EBUFS;
    for (; *p; p++) {
        unsigned char c = *p;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (o + (plain ? 1 : 3) >= cap) {
            out[0] = '\0';
            return TG_EBUFS;
        }
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0x0F];
        }
    }
    out[o] = '\0';
    return TG_OK;
}

/* ---- environment URL ---------------------------------------------------- */

static int tg__sk_ascii_eq_ci(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && tg__sk_prefix_ci(a, n, b);
}

/* 127.0.0.0/8 in dotted decimal. */
static int tg__sk_ipv4_loopback(const char *h, size_t n)
{
    size_t i = 0;
    int part, first = -1;
    for (part = 0; part < 4; part++) {
        int v = 0, digits = 0;
        while (i < n && h[i] >= '0' && h[i] <= '9' && digits < 3) {
            v = v * 10 + (h[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || v > 255)
            return 0;
        if (part == 0)
            first = v;
        if (part < 3) {
            if (i >= n || h[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n && first == 127;
}

int tg__sk_check_env_url(const char *url, char *out, size_t cap, int *loopback, char *err,
                         size_t errlen)
{
    size_t n, i, scheme, auth_end, host_start, host_end, port_start;
    int https, is_loop;

    *loopback = 0;
    if (cap)
        out[0] = '\0';
    n = strlen(url);
    if (n == 0) {
        tg__sk_err(err, errlen, "is empty");
        return TG_EINVAL;
    }
    if (n >= cap) {
        tg__sk_err(err, errlen, "is longer than %zu bytes", cap ? cap - 1 : 0);
        return TG_EBUFS;
    }
    if (tg__sk_prefix_ci(url, n, "https://")) {
        https = 1;
        scheme = 8;
    } else if (tg__sk_prefix_ci(url, n, "http://")) {
        https = 0;
        scheme = 7;
    } else {
        tg__sk_err(err, errlen, "must start with https://");
        return TG_EINVAL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c == '@') {
            tg__sk_err(err, errlen, "must not contain user info ('@')");
            return TG_EINVAL;
        }
        if (c == '?' || c == '#') {
            tg__sk_err(err, errlen, "must not contain a query or a fragment");
            return TG_EINVAL;
        }
        if (c <= 0x20 || c >= 0x7F || strchr("\\\"<>`{}|^", c)) {
            tg__sk_err(err, errlen, "contains a character that is not allowed in a URL");
            return TG_EINVAL;
        }
    }
    auth_end = scheme;
    while (auth_end < n && url[auth_end] != '/')
        auth_end++;
    if (url[scheme] == '[') {
        host_start = scheme + 1;
        host_end = host_start;
        while (host_end < auth_end && url[host_end] != ']') {
            char c = url[host_end];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.')) {
                tg__sk_err(err, errlen, "has an invalid IPv6 address");
                return TG_EINVAL;
            }
            host_end++;
        }
        if (host_end >= auth_end || host_end == host_start) {
            tg__sk_err(err, errlen, "has an invalid IPv6 address");
            return TG_EINVAL;
        }
        port_start = host_end + 1;
        is_loop = tg__sk_ascii_eq_ci(url + host_start, host_end - host_start, "::1");
    } else {
        host_start = scheme;
        host_end = host_start;
        while (host_end < auth_end && url[host_end] != ':') {
            char c = url[host_end];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '.' || c == '_')) {
                tg__sk_err(err, errlen, "has an invalid host name");
                return TG_EINVAL;
            }
            host_end++;
        }
        if (host_end == host_start) {
            tg__sk_err(err, errlen, "has no host");
            return TG_EINVAL;
        }
        port_start = host_end;
        is_loop = tg__sk_ascii_eq_ci(url + host_start, host_end - host_start, "localhost") ||
                  tg__sk_ascii_eq_ci(url + host_start, host_end - host_start, "localhost.") ||
                  tg__sk_ipv4_loopback(url + host_start, host_end - host_start);
    }
    if (port_start < auth_end) {
        long port = 0;
        size_t digits = 0;
        if (url[port_start] != ':') {
            tg__sk_err(err, errlen, "has an invalid host name");
            return TG_EINVAL;
        }
        for (i = port_start + 1; i < auth_end; i++) {
            if (url[i] < '0' || url[i] > '9' || ++digits > 5) {
                tg__sk_err(err, errlen, "has an invalid port");
                return TG_EINVAL;
            }
            port = port * 10 + (url[i] - '0');
        }
        if (digits == 0 || port < 1 || port > 65535) {
            tg__sk_err(err, errlen, "has an invalid port");
            return TG_EINVAL;
        }
    }
    if (!https && !is_loop) {
        tg__sk_err(err, errlen,
                   "must use https:// (plain http:// is accepted only for loopback hosts)");
        return TG_EINVAL;
    }
    while (n > auth_end && url[n - 1] == '/')
        n--;
    memcpy(out, url, n);
    out[n] = '\0';
    *loopback = is_loop;
    return TG_OK;
}
