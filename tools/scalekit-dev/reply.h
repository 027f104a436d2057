/* The answer a handler builds: status, body and the few headers the dev
 * server sets. Handlers fill it; the server turns it into an HTTP response. */
#ifndef SCALEKIT_DEV_REPLY_H
#define SCALEKIT_DEV_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "wire.h"

struct dev_reply {
  int status;               /* HTTP status; 0 until a handler sets one */
  char *body;               /* owned, malloc'd; NULL means an empty body */
  size_t len;
  const char *content_type; /* static text */
  const char *allow;        /* static text: the Allow header of a 405 */
  bool no_store;            /* Cache-Control: no-store (token answers) */
};

/* Drop the body and reset the reply. */
void dev_reply_clear(struct dev_reply *r);

/* A JSON answer. Takes obj (puts it); a NULL obj becomes a 500. */
void dev_reply_json(struct dev_reply *r, int status, json_object *obj);

/* A Scalekit error body:
 * {"code":<grpc>,"message":…,"details":[{"@type":…ErrorInfo,"error_code":<grpc name>}]} */
void dev_reply_error(struct dev_reply *r, int status, enum dev_grpc code,
                     const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* An OAuth 2.0 token-endpoint error: {"error":…,"error_description":…}. */
void dev_reply_oauth_error(struct dev_reply *r, int status, const char *error,
                           const char *description);

/* A tiny HTML page whose text is HTML-escaped. */
void dev_reply_html(struct dev_reply *r, int status, const char *title,
                    const char *text);

/* Take a byte buffer as the body (owned afterwards by the reply). */
void dev_reply_bytes(struct dev_reply *r, int status, const char *content_type,
                     char *body, size_t len);

#endif
