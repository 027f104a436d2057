#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json"
#define HTML_TYPE "text/html; charset=utf-8"

void dev_reply_clear(struct dev_reply *r)
{
  free(r->body);
  memset(r, 0, sizeof *r);
}

void dev_reply_bytes(struct dev_reply *r, int status, const char *content_type,
                     char *body, size_t len)
{
  free(r->body);
  r->status = status;
  r->content_type = content_type;
  r->body = body;
  r->len = body ? len : 0;
}

void dev_reply_json(struct dev_reply *r, int status, json_object *obj)
{
  if (obj == NULL) {
    dev_reply_bytes(r, 500, JSON_TYPE, NULL, 0);
    return;
  }
  size_t len = 0;
  const char *text = json_object_to_json_string_length(
    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  char *copy = text ? malloc(len + 1) : NULL;
  if (copy == NULL) {
    json_object_put(obj);
    dev_reply_bytes(r, 500, JSON_TYPE, NULL, 0);
    return;
  }
  memcpy(copy, text, len + 1);
  json_object_put(obj);
  dev_reply_bytes(r, status, JSON_TYPE, copy, len);
}

void dev_reply_error(struct dev_reply *r, int status, enum dev_grpc code,
                     const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *message = len >= 0 ? malloc((size_t)len + 1) : NULL;
  if (message == NULL) {
    dev_reply_json(r, 500, NULL);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(message, (size_t)len + 1, fmt, ap);
  va_end(ap);

  json_object *o = json_object_new_object();
  json_object *details = json_object_new_array();
  json_object *info = json_object_new_object();
  if (o == NULL || details == NULL || info == NULL) {
    json_object_put(o);
    json_object_put(details);
    json_object_put(info);
    free(message);
    dev_reply_json(r, 500, NULL);
    return;
  }
  json_object_object_add(info, "@type",
    json_object_new_string("type.googleapis.com/scalekit.v1.errdetails.ErrorInfo"));
  json_object_object_add(info, "error_code", json_object_new_string(dev_grpc_name(code)));
  json_object_array_add(details, info);
  json_object_object_add(o, "code", json_object_new_int((int)code));
  json_object_object_add(o, "message", json_object_new_string(message));
  json_object_object_add(o, "details", details);
  free(message);
  dev_reply_json(r, status, o);
}

void dev_reply_oauth_error(struct dev_reply *r, int status, const char *error,
                           const char *description)
{
  json_object *o = json_object_new_object();
  if (o != NULL) {
    json_object_object_add(o, "error", json_object_new_string(error));
    json_object_object_add(o, "error_description", json_object_new_string(description));
  }
  dev_reply_json(r, status, o);
  r->no_store = true;
}

/* Append s at b[*at] (capacity cap, room for the NUL kept), HTML-escaped
 * when escape is set. The caller sizes cap for the worst case. */
static void append(char *b, size_t *at, size_t cap, const char *s, bool escape)
{
  for (; *s != '\0'; s++) {
    const char *rep = NULL;
    if (escape) {
      switch (*s) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default: break;
      }
    }
    size_t n = rep ? strlen(rep) : 1;
    if (*at + n + 1 > cap)
      break;
    memcpy(b + *at, rep ? rep : s, n);
    *at += n;
  }
  b[*at] = '\0';
}

void dev_reply_html(struct dev_reply *r, int status, const char *title,
                    const char *text)
{
  static const char head[] = "<!doctype html><html><head><meta charset=\"utf-8\"><title>";
  static const char mid[] = "</title></head><body><p>";
  static const char tail[] = "</p></body></html>\n";
  /* Escaping grows a character to six at most. */
  size_t cap = sizeof head + sizeof mid + sizeof tail + 6 * (strlen(title) + strlen(text));
  char *b = malloc(cap);
  if (b == NULL) {
    dev_reply_bytes(r, 500, HTML_TYPE, NULL, 0);
    return;
  }
  size_t at = 0;
  append(b, &at, cap, head, false);
  append(b, &at, cap, title, true);
  append(b, &at, cap, mid, false);
  append(b, &at, cap, text, true);
  append(b, &at, cap, tail, false);
  dev_reply_bytes(r, status, HTML_TYPE, b, at);
}
