/*
 * The Scalekit REST wire as the scalekit provider reads and writes it: pure
 * functions from bytes to structs — no sockets, no globals, no clock — so
 * tests and fuzzers feed them directly. What they need of
 * the host (status names, RFC 3339) arrives in the tg_host table.
 *
 * Parsing is liberal in what it accepts (snake_case or lowerCamelCase keys,
 * a status as a name or a number, any extra fields) and strict about bounds:
 * bodies over TG__SK_BODY_MAX bytes and JSON nested deeper than
 * TG__SK_JSON_DEPTH are refused.
 *
 * A parser's reason is a predicate about "the answer", to be put after the
 * words "the answer of <route>": e.g. "is not JSON", "has no status". Text
 * of the answer quoted in it goes through tg__sk_quote() (secrets scrubbed).
 * Every JSON document parsed here is wiped before it is freed: a token
 * answer holds the access token.
 *
 * Thread safety: every function is reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_WIRE_H
#define TG_PLUGINS_SCALEKIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"
#include "scrub.h"

#define TG__SK_BODY_MAX (64 * 1024) /* bytes of an answer we read */
#define TG__SK_JSON_DEPTH 32        /* nesting of an answer */
#define TG__SK_TOKEN_MAX 8192       /* bytes of an access token */
#define TG__SK_ERR_MAX 256          /* bytes of a parser's reason */
#define TG__SK_SUMMARY_MAX 120      /* bytes of provider text quoted in a message */

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
    char link[TG_LINK_MAX + 1]; /* see tg__sk_link_check() */
    int64_t expires_at_ms;      /* Unix ms; 0 when absent or unreadable */
} tg__sk_link;

/**
 * Parse an account answer: {"connected_account":{…,"status":…}} (also
 * "connectedAccount", or the account object itself). "status" is a name
 * (parsed with host->status_parse) or a number 0–5.
 * @param body     @p len bytes, not necessarily NUL-terminated.
 * @param secrets  scrubbed from text quoted in @p err; may be NULL.
 * @return TG_OK (check out->has_status); TG_EPROVIDER with a reason in @p err
 *         (not JSON, too large or deep, status of a wrong type or unknown).
 */
int tg__sk_parse_account(const tg_host *host, const char *body, size_t len,
                         const tg__sk_secrets *secrets, tg__sk_account *out, char *err,
                         size_t errlen);

/**
 * Parse a token answer: "access_token" (or "accessToken") and "expires_in"
 * (or "expiresIn") as a number or a numeric string. The reason never quotes
 * the answer: one that does not parse may still hold a token.
 * @return TG_OK; TG_EPROVIDER with a reason in @p err (no usable token).
 */
int tg__sk_parse_token(const char *body, size_t len, const tg__sk_secrets *secrets,
                       tg__sk_token *out, char *err, size_t errlen);

/**
 * Parse a magic-link answer: "link" (checked with tg__sk_link_check()) and
 * its expiry ("expiry", "expires_at" or "expiresAt", RFC 3339, read with
 * host->parse_rfc3339 when the host has it). A missing or unreadable expiry
 * gives 0 (none given).
 * @param now_ms  the wall clock, Unix ms: an expiry at or before it is a
 *                failure (the gate would have nothing to show the user).
 * @return TG_OK; TG_EPROVIDER with a reason in @p err.
 */
int tg__sk_parse_link(const tg_host *host, const char *body, size_t len, int64_t now_ms,
                      const tg__sk_secrets *secrets, tg__sk_link *out, char *err,
                      size_t errlen);

/**
 * Check an authorization link: at most TG_LINK_MAX bytes; "http://" or
 * "https://" (any case), then a host — a name of letters, digits, '-', '.',
 * '_' and '~', or an IPv6 address in brackets — with an optional port
 * 1–65535 and no user info; then optionally '/', '?' or '#' and the rest.
 * No byte outside printable ASCII, no space, no quote (" ' `), no angle
 * bracket, no backslash anywhere.
 * @return NULL when it is one; otherwise a reason ("has a link …"), static text.
 */
const char *tg__sk_link_check(const char *s, size_t n);

/**
 * The human part of an error answer, for a message: "message",
 * "error_description", "error" (a string, or an object with "message"), or,
 * when the body is not JSON, its beginning — quoted (tg__sk_quote(), at most
 * TG__SK_SUMMARY_MAX bytes) into @p out. Empty when there is nothing to say.
 */
void tg__sk_error_summary(const char *body, size_t len, const tg__sk_secrets *secrets, char *out,
                          size_t outlen);

/**
 * Percent-encode @p in (every byte but A–Z a–z 0–9 - . _ ~) into @p out,
 * NUL-terminated. Valid both in a query and in a form body.
 * @return TG_OK; TG_EBUFS when @p cap is too small (3 × strlen + 1 always fits).
 */
int tg__sk_pct_encode(const char *in, char *out, size_t cap);

#endif
