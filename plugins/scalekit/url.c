/* The parts of an http(s) URL; see url.h. */
#include <string.h>

#include "url.h"

int tg__sk_prefix_ci(const char *s, size_t n, const char *prefix)
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

static int tg__sk_name_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int tg__sk_ipv6_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == ':' || c == '.';
}

tg__sk_url_error tg__sk_url_split(const char *s, size_t n, tg__sk_url_parts *p)
{
    size_t scheme, end, i, host_end;

    memset(p, 0, sizeof *p);
    if (tg__sk_prefix_ci(s, n, "https://")) {
        p->https = 1;
        scheme = 8;
    } else if (tg__sk_prefix_ci(s, n, "http://")) {
        scheme = 7;
    } else {
        return TG__SK_URL_SCHEME;
    }
    end = scheme;
    while (end < n && s[end] != '/' && s[end] != '?' && s[end] != '#')
        end++;
    p->rest = end;
    if (memchr(s + scheme, '@', end - scheme))
        return TG__SK_URL_USERINFO;
    if (scheme < end && s[scheme] == '[') {
        p->ipv6 = 1;
        p->host = scheme + 1;
        for (i = p->host; i < end && s[i] != ']'; i++)
            if (!tg__sk_ipv6_byte(s[i]))
                return TG__SK_URL_BAD_IPV6;
        if (i >= end || i == p->host)
            return TG__SK_URL_BAD_IPV6;
        p->host_len = i - p->host;
        host_end = i + 1;
    } else {
        p->host = scheme;
        for (i = scheme; i < end && s[i] != ':'; i++)
            if (!tg__sk_name_byte(s[i]))
                return TG__SK_URL_BAD_HOST;
        if (i == scheme)
            return TG__SK_URL_NO_HOST;
        p->host_len = i - scheme;
        host_end = i;
    }
    if (host_end < end) {
        long port = 0;
        size_t digits = 0;
        if (s[host_end] != ':')
            return TG__SK_URL_BAD_HOST;
        for (i = host_end + 1; i < end; i++) {
            if (s[i] < '0' || s[i] > '9' || ++digits > 5)
                return TG__SK_URL_BAD_PORT;
            port = port * 10 + (s[i] - '0');
        }
        if (digits == 0 || port < 1 || port > 65535)
            return TG__SK_URL_BAD_PORT;
        p->port = (int)port;
    }
    return TG__SK_URL_OK;
}
