/*
 * The environment URL of the scalekit provider: which URLs are accepted, and
 * which count as loopback (plain http:// allowed, no proxy, no DNS).
 *
 * Loopback is decided on the literal text, never by resolving a name:
 *   - a canonical dotted quad 127.x.y.z (four decimal numbers 0–255 without
 *     leading zeros): "127.0.0.1", "127.1.2.3";
 *   - "[::1]";
 *   - the name "localhost" (any ASCII case), which the provider then pins to
 *     127.0.0.1 (libcurl's CURLOPT_RESOLVE): it never goes through DNS.
 * Anything else is not loopback, however it might resolve: "localhost."
 * (a fully qualified name a resolver may send to DNS), "127.1" and
 * "0x7f.0.0.1" (shorthand that only some resolvers read as 127.0.0.1),
 * "127.000.0.1" (leading zeros read as octal by some), "127.0.0.1.nip.io",
 * "[::ffff:127.0.0.1]", "[0:0:0:0:0:0:0:1]".
 *
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_ENV_URL_H
#define TG_PLUGINS_SCALEKIT_ENV_URL_H

#include <stddef.h>

#define TG__SK_HOSTPORT_MAX 300 /* "host:port" of an environment URL */

typedef struct tg__sk_env_url {
    int loopback;                        /* a loopback host (above) */
    int pin_localhost;                   /* the host is "localhost": pin it to 127.0.0.1 */
    int port;                            /* explicit or the scheme's default */
    char hostport[TG__SK_HOSTPORT_MAX];  /* "host:port" as written, for messages */
} tg__sk_env_url;

/**
 * Check an environment URL and copy it, without trailing '/', into @p out:
 * https://host[:port][/path], or http:// for a loopback host; no user info,
 * query or fragment. A host "localhost" is written in lower case.
 * @param info  receives what the URL says (zeroed on failure).
 * @return TG_OK; TG_EINVAL with the reason in @p err; TG_EBUFS (too long).
 */
int tg__sk_check_env_url(const char *url, char *out, size_t cap, tg__sk_env_url *info,
                         char *err, size_t errlen);

#endif
