/*
 * The parts of an http(s) URL the scalekit provider checks — scheme, host,
 * port — read from the text alone (no resolving, no normalising), for the
 * environment URL (env_url.h) and for the links the API hands out (wire.h).
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_URL_H
#define TG_PLUGINS_SCALEKIT_URL_H

#include <stddef.h>

typedef enum tg__sk_url_error {
    TG__SK_URL_OK = 0,
    TG__SK_URL_SCHEME,   /* not "http://" or "https://" (any case) */
    TG__SK_URL_USERINFO, /* '@' before the host ends */
    TG__SK_URL_NO_HOST,
    TG__SK_URL_BAD_HOST, /* a name with a byte outside A–Z a–z 0–9 - . _ ~ */
    TG__SK_URL_BAD_IPV6, /* "[…]" that is not hex digits, ':' and '.' */
    TG__SK_URL_BAD_PORT  /* not 1–65535 */
} tg__sk_url_error;

typedef struct tg__sk_url_parts {
    int https;
    size_t host, host_len; /* the host, without brackets */
    int ipv6;              /* it was in brackets */
    int port;              /* 0 when none is given */
    size_t rest;           /* where the path, query or fragment begins (or n) */
} tg__sk_url_parts;

/* Split s[0, n): scheme://host[:port] followed by nothing or by '/', '?' or
 * '#'. The caller has checked the bytes themselves. */
tg__sk_url_error tg__sk_url_split(const char *s, size_t n, tg__sk_url_parts *p);

/* 1 when s[0, n) starts with @p prefix, ignoring ASCII case. */
int tg__sk_prefix_ci(const char *s, size_t n, const char *prefix);

#endif
