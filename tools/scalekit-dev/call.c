/* A request's inputs: query arguments, headers, the JSON body and the bearer
 * token, each checked the way the Scalekit API checks them (400 naming the
 * field, 401 with the gRPC UNAUTHENTICATED body). */
#include "server.h"

#include <string.h>
#include <strings.h>

#include <microhttpd.h>

const char *dev_call_query(const struct dev_call *c, const char *name, size_t *len)
{
  const char *v = NULL;
  size_t n = 0;
  if (MHD_lookup_connection_value_n(c->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
                                    &v, &n) != MHD_YES)
    return NULL;
  if (v == NULL) /* "?name" without "=" */
    v = "";
  if (len != NULL)
    *len = n;
  return v;
}

const char *dev_call_header(const struct dev_call *c, const char *name)
{
  return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

static bool valid(enum dev_field kind, const char *s, size_t len)
{
  switch (kind) {
  case DEV_FIELD_CONNECTOR: return dev_valid_connector(s, len);
  case DEV_FIELD_IDENTIFIER: return dev_valid_identifier(s, len);
  case DEV_FIELD_ANY: return strlen(s) == len && len <= 2048;
  }
  return false;
}

static void reply_invalid(struct dev_call *c, const char *name, enum dev_field kind)
{
  switch (kind) {
  case DEV_FIELD_CONNECTOR:
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT,
                    "%s is invalid: use 1 to %d letters, digits, spaces, '-', '_' or ':'",
                    name, DEV_MAX_CONNECTOR);
    break;
  case DEV_FIELD_IDENTIFIER:
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT,
                    "%s is invalid: use 1 to %d bytes of UTF-8 without control characters",
                    name, DEV_MAX_IDENTIFIER);
    break;
  case DEV_FIELD_ANY:
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s is invalid", name);
    break;
  }
}

const char *dev_call_need_query(struct dev_call *c, const char *name, enum dev_field kind)
{
  size_t len = 0;
  const char *v = dev_call_query(c, name, &len);
  if (v == NULL || len == 0) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s is required", name);
    return NULL;
  }
  if (!valid(kind, v, len)) {
    reply_invalid(c, name, kind);
    return NULL;
  }
  return v;
}

json_object *dev_call_json_body(struct dev_call *c)
{
  char err[256];
  json_object *o = NULL;
  if (dev_json_parse_object(c->body, c->body_len, &o, err, sizeof err) != 0) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s", err);
    return NULL;
  }
  return o;
}

const char *dev_call_body_string(struct dev_call *c, json_object *body, const char *name,
                                 enum dev_field kind, bool required)
{
  json_object *v = NULL;
  bool present = json_object_object_get_ex(body, name, &v) && v != NULL;
  if (present && !json_object_is_type(v, json_type_string)) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s must be a string", name);
    return NULL;
  }
  size_t len = present ? (size_t)json_object_get_string_len(v) : 0;
  if (len == 0) { /* protobuf: an empty string is an unset field */
    if (required)
      dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s is required", name);
    return NULL;
  }
  const char *s = json_object_get_string(v);
  if (!valid(kind, s, len)) {
    reply_invalid(c, name, kind);
    return NULL;
  }
  return s;
}

bool dev_call_authorized(struct dev_call *c)
{
  const char *h = dev_call_header(c, MHD_HTTP_HEADER_AUTHORIZATION);
  const char *token = NULL;
  size_t len = 0;
  if (h != NULL) {
    while (*h == ' ' || *h == '\t')
      h++;
    if (strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\t' || h[6] == '\0')) {
      token = h + 6;
      while (*token == ' ' || *token == '\t')
        token++;
      len = strlen(token);
      while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
        len--;
    } else {
      token = h; /* some other scheme: a token that is not ours */
      len = strlen(h);
    }
  }
  if (token == NULL || len == 0) {
    dev_reply_error(&c->reply, 401, DEV_GRPC_UNAUTHENTICATED, "Token empty");
    return false;
  }
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  bool ok = dev_tokens_find(&st->access_tokens, token, len, dev_now_ms()) != NULL;
  pthread_mutex_unlock(&st->lock);
  if (!ok)
    dev_reply_error(&c->reply, 401, DEV_GRPC_UNAUTHENTICATED, "invalid token");
  return ok;
}
