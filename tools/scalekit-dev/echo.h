/* The echo fault: an answer that repeats what the client sent — its
 * Authorization header or its request body — the way a careless server or
 * proxy does in an error message, in one of several encodings. Tests use it
 * to show that a client keeps the secrets it sent out of its own messages.
 * Pure functions: no sockets, no shared state. */
#ifndef SCALEKIT_DEV_ECHO_H
#define SCALEKIT_DEV_ECHO_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"

enum dev_echo_what {
  DEV_ECHO_NONE,
  DEV_ECHO_AUTHORIZATION, /* the Authorization header, "Bearer …" */
  DEV_ECHO_BODY           /* the request body (the token request's form holds the secret) */
};

enum dev_echo_encoding {
  DEV_ECHO_RAW,           /* as sent */
  DEV_ECHO_PERCENT,       /* every byte as %XX */
  DEV_ECHO_PERCENT_LOWER, /* every byte as %xx */
  DEV_ECHO_FORM,          /* form-encoded: unreserved bytes kept, ' ' as '+', others %XX */
  DEV_ECHO_JSON,          /* every byte as \u00XX (the message text holds the escapes) */
  DEV_ECHO_HTML,          /* every byte as &#xXX; */
  DEV_ECHO_SPLIT,         /* cut in two halves with "\" \"" between them */
  DEV_ECHO_TRUNCATE       /* the first half, then "..." */
};

/* The names the admin API takes ("raw", "percent", …); NULL ends it. */
extern const char *const dev_echo_encoding_names[];
extern const char *const dev_echo_what_names[];

/* text[0, len) in encoding enc, as a new string (caller frees); NULL on OOM. */
char *dev_echo_encode(const char *text, size_t len, enum dev_echo_encoding enc);

/* Rewrite r into @p status with the echo: a Scalekit error body whose
 * message is "<what> was: <echo>" (as_text false), or the echo alone as
 * text/plain (as_text true). @p sent is what the client sent (NULL: nothing). */
void dev_echo_reply(struct dev_reply *r, int status, enum dev_echo_what what,
                    enum dev_echo_encoding enc, bool as_text, const char *sent,
                    size_t sent_len);

#endif
