/* The Scalekit REST wire: answers parsed from bytes, values encoded to bytes.
 * No I/O and no state; see wire.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>

#include "host.h"
#include "json_doc.h"
#include "quote.h"
#include "url.h"
#include "wire.h"

#define TG__SK_STATUS_TEXT_MAX 64          /* bytes of a status name */
#define TG__SK_BEGINS_MAX 60               /* bytes of a non-JSON answer quoted */
#define TG__SK_EXPIRES_MAX (10LL * 365 * 86400) /* clamp for expires_in, seconds */
#define TG__SK_STR_(x) #x
#define TG__SK_STR(x) TG__SK_STR_(x)


/* ---- JSON --------------------------------------------------------------- */

/* Parse a whole answer that must be one JSON object. NULL with a reason in
 * err otherwise, quoting how a text that is not JSON begins when @p quote is
 * set. Free the result with tg__sk_json_free(). */
static json_object *tg__sk_json_object(const char *body, size_t len,
                                       const tg__sk_secrets *secrets, int quote, char *err,
                                       size_t errlen)
{
    tg__sk_json_error why;
    json_object *root;
    char begins[TG__SK_BEGINS_MAX * 4 + 8];

    if (len > TG__SK_BODY_MAX) {
        tg__sk_format(err, errlen, "is larger than %d bytes", TG__SK_BODY_MAX);
        return NULL;
    }
    root = tg__sk_json_parse(body, len, TG__SK_JSON_DEPTH, 0, &why);
    if (!root) {
        switch (why) {
        case TG__SK_JSON_EMPTY:
            tg__sk_format(err, errlen, "is empty");
            break;
        case TG__SK_JSON_NOMEM:
            tg__sk_format(err, errlen, "could not be read: out of memory");
            break;
        case TG__SK_JSON_DEEP:
            tg__sk_format(err, errlen, "is nested deeper than %d levels", TG__SK_JSON_DEPTH);
            break;
        default:
            if (quote)
                tg__sk_quote(body, len, TG__SK_BEGINS_MAX, secrets, begins, sizeof begins);
            tg__sk_format(err, errlen, "is not JSON (%s)%s%s%s",
                       why == TG__SK_JSON_NUL        ? "it holds a NUL byte"
                       : why == TG__SK_JSON_CUT      ? "it ends too early"
                       : why == TG__SK_JSON_TRAILING ? "text follows the value"
                                                     : "a syntax error",
                       quote ? ": it begins \"" : "", quote ? begins : "", quote ? "\"" : "");
            break;
        }
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object)) {
        tg__sk_json_free(root);
        tg__sk_format(err, errlen, "is not a JSON object");
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
                         const tg__sk_secrets *secrets, tg__sk_account *out, char *err,
                         size_t errlen)
{
    static const char *const wrappers[] = { "connected_account", "connectedAccount", NULL };
    static const char *const status_keys[] = { "status", NULL };
    json_object *root, *acct, *st;
    char ex[TG__SK_STATUS_TEXT_MAX * 4 + 8];
    int rc = TG_EPROVIDER;

    out->has_status = 0;
    out->status = TG_STATUS_UNKNOWN;
    root = tg__sk_json_object(body, len, secrets, 1, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    acct = tg__sk_member(root, wrappers);
    if (acct && !json_object_is_type(acct, json_type_object)) {
        tg__sk_format(err, errlen, "has a \"connected_account\" that is not an object");
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
            tg__sk_format(err, errlen, "has a status that is not a status name");
            goto out;
        }
        memcpy(text, s, n);
        text[n] = '\0';
        if (host->status_parse(text, &parsed) != TG_OK || (unsigned)parsed > TG_STATUS_NOT_FOUND) {
            tg__sk_quote(s, n, TG__SK_STATUS_TEXT_MAX, secrets, ex, sizeof ex);
            tg__sk_format(err, errlen, "has an unknown status \"%s\"", ex);
            goto out;
        }
        out->status = parsed;
    } else if (json_object_is_type(st, json_type_int)) {
        int64_t v = json_object_get_int64(st);
        if (v < TG_STATUS_UNKNOWN || v > TG_STATUS_REVOKED) {
            tg__sk_format(err, errlen, "has an unknown status %lld", (long long)v);
            goto out;
        }
        out->status = (tg_status)v;
    } else {
        tg__sk_format(err, errlen, "has a status that is neither a name nor a number");
        goto out;
    }
    out->has_status = 1;
    rc = TG_OK;
out:
    tg__sk_json_free(root);
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

int tg__sk_parse_token(const char *body, size_t len, const tg__sk_secrets *secrets,
                       tg__sk_token *out, char *err, size_t errlen)
{
    static const char *const token_keys[] = { "access_token", "accessToken", NULL };
    static const char *const expiry_keys[] = { "expires_in", "expiresIn", NULL };
    json_object *root, *v;
    const char *s;
    size_t n, i;
    int rc = TG_EPROVIDER;

    out->access_token[0] = '\0';
    out->expires_in_s = -1;
    /* Never quoted: a token answer that does not parse may still hold a
     * token, which no scrubber could know. */
    root = tg__sk_json_object(body, len, secrets, 0, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    v = tg__sk_member(root, token_keys);
    if (!v) {
        tg__sk_format(err, errlen, "has no access_token");
        goto out;
    }
    if (!tg__sk_string(v, &s, &n) || n == 0) {
        tg__sk_format(err, errlen, "has an access_token that is not a non-empty string");
        goto out;
    }
    if (n > TG__SK_TOKEN_MAX) {
        tg__sk_format(err, errlen, "has an access_token longer than %d bytes", TG__SK_TOKEN_MAX);
        goto out;
    }
    /* It goes into a header line: printable ASCII without spaces only. */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F) {
            tg__sk_format(err, errlen, "has an access_token with a byte that is not printable "
                                    "ASCII");
            goto out;
        }
    }
    memcpy(out->access_token, s, n);
    out->access_token[n] = '\0';
    out->expires_in_s = tg__sk_seconds(tg__sk_member(root, expiry_keys));
    rc = TG_OK;
out:
    tg__sk_json_free(root);
    return rc;
}

/* ---- links -------------------------------------------------------------- */

const char *tg__sk_link_check(const char *s, size_t n)
{
    tg__sk_url_parts p;
    size_t i;

    if (n == 0)
        return "has an empty link";
    if (n > TG_LINK_MAX)
        return "has a link longer than " TG__SK_STR(TG_LINK_MAX) " bytes";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || strchr("\"'`<>\\", c))
            return "has a link with a space, a quote, an angle bracket, a backslash or a byte "
                   "that is not printable ASCII";
    }
    switch (tg__sk_url_split(s, n, &p)) {
    case TG__SK_URL_OK: return NULL;
    case TG__SK_URL_SCHEME: return "has a link that is not an absolute http(s) URL";
    case TG__SK_URL_USERINFO: return "has a link with user info ('@' before the host ends)";
    case TG__SK_URL_NO_HOST: return "has a link without a host";
    case TG__SK_URL_BAD_HOST: return "has a link with an invalid host";
    case TG__SK_URL_BAD_IPV6: return "has a link with an invalid IPv6 address";
    case TG__SK_URL_BAD_PORT: return "has a link with an invalid port";
    }
    return "has an invalid link";
}

int tg__sk_parse_link(const tg_host *host, const char *body, size_t len, int64_t now_ms,
                      const tg__sk_secrets *secrets, tg__sk_link *out, char *err,
                      size_t errlen)
{
    static const char *const link_keys[] = { "link", NULL };
    static const char *const expiry_keys[] = { "expiry", "expires_at", "expiresAt", NULL };
    char ex[TG__SK_SUMMARY_MAX * 4 + 8];
    json_object *root, *v;
    const char *s, *ls, *why;
    size_t n, ln;
    int rc = TG_EPROVIDER;

    out->link[0] = '\0';
    out->expires_at_ms = 0;
    root = tg__sk_json_object(body, len, secrets, 1, err, errlen);
    if (!root)
        return TG_EPROVIDER;
    v = tg__sk_member(root, link_keys);
    if (!v) {
        tg__sk_format(err, errlen, "has no link");
        goto out;
    }
    if (!tg__sk_string(v, &ls, &ln)) {
        tg__sk_format(err, errlen, "has a link that is not a string");
        goto out;
    }
    if ((why = tg__sk_link_check(ls, ln)) != NULL) {
        tg__sk_quote(ls, ln, TG__SK_SUMMARY_MAX, secrets, ex, sizeof ex);
        tg__sk_format(err, errlen, "%s: \"%s\"", why, ex);
        goto out;
    }
    v = tg__sk_member(root, expiry_keys);
    if (tg__sk_string(v, &s, &n) && host && TG__SK_HOST_HAS(host, parse_rfc3339) &&
        host->parse_rfc3339(s, n, &out->expires_at_ms) != TG_OK)
        out->expires_at_ms = 0;
    if (out->expires_at_ms != 0 && out->expires_at_ms <= now_ms) {
        tg__sk_quote(s, n, TG__SK_SUMMARY_MAX, secrets, ex, sizeof ex);
        tg__sk_format(err, errlen,
                   "has a link that expired (expiry \"%s\", %lld s before it arrived; check "
                   "both clocks)",
                   ex, (long long)((now_ms - out->expires_at_ms) / 1000));
        out->expires_at_ms = 0;
        goto out;
    }
    memcpy(out->link, ls, ln);
    out->link[ln] = '\0';
    rc = TG_OK;
out:
    tg__sk_json_free(root);
    return rc;
}

/* ---- error answers ------------------------------------------------------ */

void tg__sk_error_summary(const char *body, size_t len, const tg__sk_secrets *secrets, char *out,
                          size_t outlen)
{
    static const char *const keys[] = { "message", "error_description", "error", NULL };
    static const char *const inner[] = { "message", "error_description", NULL };
    tg__sk_json_error why;
    json_object *root, *v;
    const char *s;
    size_t n;

    if (!out || outlen == 0)
        return;
    out[0] = '\0';
    if (!body || len == 0)
        return;
    root = len <= TG__SK_BODY_MAX ? tg__sk_json_parse(body, len, TG__SK_JSON_DEPTH, 0, &why)
                                  : NULL;
    if (!root) { /* not JSON: an HTML page of a proxy, plain text… */
        tg__sk_quote(body, len, TG__SK_SUMMARY_MAX, secrets, out, outlen);
        return;
    }
    v = json_object_is_type(root, json_type_object) ? tg__sk_member(root, keys) : NULL;
    if (v && json_object_is_type(v, json_type_object)) /* {"error":{"message":…}} */
        v = tg__sk_member(v, inner);
    if (tg__sk_string(v, &s, &n))
        tg__sk_quote(s, n, TG__SK_SUMMARY_MAX, secrets, out, outlen);
    tg__sk_json_free(root);
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
