/*
 * The Scalekit REST wire as the scalekit provider reads and writes it
 * (../shared/SCALEKIT_WIRE.md): pure functions from bytes to structs — no
 * sockets, no globals, no clock — so tests and fuzzers feed them directly
 * (STYLE habit 8).
 *
 * Parsing is liberal in what it accepts (snake_case or lowerCamelCase keys,
 * a status as a name or a number, any extra fields) and strict about bounds:
 * bodies over TG__SK_BODY_MAX bytes and JSON nested deeper than
 * TG__SK_JSON_DEPTH are refused.
 *
 * Thread safety: every function is reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_WIRE_H
#define TG_PLUGINS_SCALEKIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"

#define TG__SK_BODY_MAX (64 * 1024) /* bytes of an answer we read */
#define TG__SK_JSON_DEPTH 32        /* nesting of an answer */
#define TG__SK_TOKEN_MAX 8192       /* bytes of an access token */
#define TG__SK_ERR_MAX 256          /* bytes of a parser's message */

/* A connected account, as much of it as the gate needs. */
typedef struct tg__sk_account {
    int has_status;   /* 0: the body was an object without a status */
    tg_status status; /* valid when has_status */
} tg__sk_account;

/* The token endpoint's answer. */
typedef struct tg__sk_token {
    char access_token[TG__SK_TOKEN_MAX + 1]; /* printable ASCII, no spaces */
    int64_t expires_in_s;                    /* -1 when the answer gave none */
} tg__sk_token;

/* The magic-link endpoint's answer. */
typedef struct tg__sk_link {
    char link[TG_LINK_MAX + 1]; /* an http(s) URL without control characters */
    int64_t expires_at_ms;      /* Unix ms; 0 when absent or unreadable */
} tg__sk_link;

/**
 * Parse an account answer: {"connected_account":{…,"status":…}} (also
 * "connectedAccount", or the account object itself). "status" is a name
 * (parsed with host->status_parse) or a number 0–5.
 * @param body  @p len bytes, not necessarily NUL-terminated.
 * @return TG_OK (check out->has_status); TG_EPROVIDER with a reason in @p err
 *         (not JSON, too large or deep, status of a wrong type or unknown).
 */
int tg__sk_parse_account(const tg_host *host, const char *body, size_t len,
                         tg__sk_account *out, char *err, size_t errlen);

/**
 * Parse a token answer: "access_token" (or "accessToken") and "expires_in"
 * (or "expiresIn") as a number or a numeric string.
 * @return TG_OK; TG_EPROVIDER with a reason in @p err (no usable token).
 */
int tg__sk_parse_token(const char *body, size_t len, tg__sk_token *out, char *err,
                       size_t errlen);

/**
 * Parse a magic-link answer: "link" and its expiry ("expiry", "expires_at" or
 * "expiresAt", RFC 3339). A missing or unreadable expiry gives 0.
 * @return TG_OK; TG_EPROVIDER with a reason in @p err (no usable link).
 */
int tg__sk_parse_link(const char *body, size_t len, tg__sk_link *out, char *err,
                      size_t errlen);

/**
 * RFC 3339 date-time ("2026-01-15T10:05:00Z", "…T10:05:00.123456+02:00") to
 * Unix milliseconds; fractions past the millisecond are truncated.
 * @return TG_OK; TG_EINVAL when @p s (@p len bytes) is not one.
 */
int tg__sk_parse_rfc3339(const char *s, size_t len, int64_t *ms);

/**
 * The human part of an error answer ("message", "error_description" or
 * "error"), reduced to printable ASCII and at most about 120 characters, into
 * @p out. Empty when there is none.
 */
void tg__sk_error_summary(const char *body, size_t len, char *out, size_t outlen);

/**
 * Percent-encode @p in (every byte but A–Z a–z 0–9 - . _ ~) into @p out,
 * NUL-terminated. Valid both in a query and in a form body.
 * @return TG_OK; TG_EBUFS when @p cap is too small (3 × strlen + 1 always fits).
 */
int tg__sk_pct_encode(const char *in, char *out, size_t cap);

/**
 * Check an environment URL and copy it, without trailing '/', into @p out:
 * https://host[:port][/path], or http:// for a loopback host (127.0.0.0/8,
 * [::1], localhost); no user info, query or fragment.
 * @param loopback  receives 1 when the host is a loopback host.
 * @return TG_OK; TG_EINVAL with the reason in @p err; TG_EBUFS (too long).
 */
int tg__sk_check_env_url(const char *url, char *out, size_t cap, int *loopback, char *err,
                         size_t errlen);

#endif
