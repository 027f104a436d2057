/* The environment URL and what counts as loopback; see env_url.h. */
#include <stdio.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "env_url.h"
#include "quote.h"
#include "url.h"


/* 127.x.y.z written canonically: four decimal numbers 0-255, no leading
 * zero, first 127. */
static int tg__sk_ipv4_loopback(const char *h, size_t n)
{
    size_t i = 0;
    int part, first = -1;
    for (part = 0; part < 4; part++) {
        int v = 0, digits = 0;
        size_t start = i;
        while (i < n && h[i] >= '0' && h[i] <= '9' && digits < 4) {
            v = v * 10 + (h[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || v > 255 || (digits > 1 && h[start] == '0'))
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

static int tg__sk_eq_ci(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && tg__sk_prefix_ci(s, n, word);
}

int tg__sk_check_env_url(const char *url, char *out, size_t cap, tg__sk_env_url *info,
                         char *err, size_t errlen)
{
    tg__sk_url_parts p;
    size_t n, i, end;
    const char *host;

    memset(info, 0, sizeof *info);
    if (cap)
        out[0] = '\0';
    n = strlen(url);
    if (n == 0) {
        tg__sk_format(err, errlen, "is empty");
        return TG_EINVAL;
    }
    if (n >= cap) {
        tg__sk_format(err, errlen, "is longer than %zu bytes", cap ? cap - 1 : 0);
        return TG_EBUFS;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c == '@') {
            tg__sk_format(err, errlen, "must not contain user info ('@')");
            return TG_EINVAL;
        }
        if (c == '?' || c == '#') {
            tg__sk_format(err, errlen, "must not contain a query or a fragment");
            return TG_EINVAL;
        }
        if (c <= 0x20 || c >= 0x7F || strchr("\\\"<>`{}|^'", c)) {
            tg__sk_format(err, errlen, "contains a character that is not allowed in a URL");
            return TG_EINVAL;
        }
    }
    switch (tg__sk_url_split(url, n, &p)) {
    case TG__SK_URL_OK: break;
    case TG__SK_URL_SCHEME:
        tg__sk_format(err, errlen, "must start with https://");
        return TG_EINVAL;
    case TG__SK_URL_USERINFO:
        tg__sk_format(err, errlen, "must not contain user info ('@')");
        return TG_EINVAL;
    case TG__SK_URL_NO_HOST:
        tg__sk_format(err, errlen, "has no host");
        return TG_EINVAL;
    case TG__SK_URL_BAD_HOST:
        tg__sk_format(err, errlen, "has an invalid host name");
        return TG_EINVAL;
    case TG__SK_URL_BAD_IPV6:
        tg__sk_format(err, errlen, "has an invalid IPv6 address");
        return TG_EINVAL;
    case TG__SK_URL_BAD_PORT:
        tg__sk_format(err, errlen, "has an invalid port");
        return TG_EINVAL;
    }
    host = url + p.host;
    if (p.ipv6) {
        info->loopback = tg__sk_eq_ci(host, p.host_len, "::1");
    } else if (tg__sk_eq_ci(host, p.host_len, "localhost")) {
        info->loopback = 1;
        info->pin_localhost = 1;
    } else {
        info->loopback = tg__sk_ipv4_loopback(host, p.host_len);
    }
    if (!p.https && !info->loopback) {
        memset(info, 0, sizeof *info);
        tg__sk_format(err, errlen,
                       "must use https:// (plain http:// is accepted only for 127.x.y.z, "
                       "[::1] and localhost)");
        return TG_EINVAL;
    }
    info->port = p.port ? p.port : p.https ? 443 : 80;
    snprintf(info->hostport, sizeof info->hostport, "%s%.*s%s:%d", p.ipv6 ? "[" : "",
             (int)p.host_len, host, p.ipv6 ? "]" : "", info->port);
    end = n;
    while (end > p.rest && url[end - 1] == '/')
        end--;
    memcpy(out, url, end);
    out[end] = '\0';
    if (info->pin_localhost) { /* the name pinned, as the pin writes it */
        memcpy(out + p.host, "localhost", 9);
        memcpy(info->hostport, "localhost", 9);
    }
    return TG_OK;
}
