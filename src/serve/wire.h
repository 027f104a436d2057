/* The HTTP contract of `toolgate serve`, shared by the server and by the
 * command's client mode (--server): header names, error codes and limits.
 * docs/serve.md describes it for people. */
#ifndef TG_SERVE_WIRE_H
#define TG_SERVE_WIRE_H

/* Response headers beyond the body. */
#define SERVE_HEADER_VERDICT "Toolgate-Verdict" /* check, status, wait: the verdict name */
#define SERVE_HEADER_STATUS "Toolgate-Status"   /* check, status, wait: the status, when known */
/* What failed (printable ASCII): check and status when the verdict is
 * UNAVAILABLE, wait when the provider never answered. */
#define SERVE_HEADER_ERROR "Toolgate-Error"

/* Request bodies: at most this many bytes (webhook deliveries: the second). */
#define SERVE_BODY_MAX (64u * 1024u)
#define SERVE_WEBHOOK_BODY_MAX (1024u * 1024u)

/* /v1/wait: timeout_ms is 0 to SERVE_WAIT_MAX_MS; default SERVE_WAIT_DEFAULT_MS. */
#define SERVE_WAIT_MAX_MS 600000
#define SERVE_WAIT_DEFAULT_MS 30000

/* Error codes of {"error":{"code":…}} that are not a library error. */
#define SERVE_ECODE_NOT_FOUND "ENOTFOUND"         /* 404: no such route */
#define SERVE_ECODE_METHOD "EMETHOD"              /* 405: the route takes another method */
#define SERVE_ECODE_TOO_LARGE "ETOOLARGE"         /* 413 */
#define SERVE_ECODE_UNAUTHORIZED "EUNAUTHORIZED"  /* 401: missing or wrong API token */
#define SERVE_ECODE_BUSY "EBUSY"                  /* 503: too many waits at once */
#define SERVE_ECODE_SHUTDOWN "ESHUTDOWN"          /* 503: the server is stopping */

/* The code of a library error (TG_EINVAL → "EINVAL"); "EUNKNOWN" otherwise.
 * Static text. */
const char *serve_error_code(int err);

/* The library error a code names ("EPROVIDER" → TG_EPROVIDER); 0 (TG_OK)
 * when it names none of them. */
int serve_error_from_code(const char *code);

#endif
