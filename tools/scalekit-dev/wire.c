#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const status_names[] = {
  "CONNECTION_STATUS_UNSPECIFIED", "ACTIVE", "EXPIRED",
  "PENDING_AUTH", "PENDING_VERIFICATION", "DISCONNECTED"};

const char *dev_status_name(enum dev_status s)
{
  if ((unsigned)s < sizeof status_names / sizeof status_names[0])
    return status_names[s];
  return status_names[0];
}

int dev_status_parse(const json_object *v, enum dev_status *out)
{
  static const struct { const char *word; enum dev_status status; } words[] = {
    {"PENDING", DEV_STATUS_PENDING_AUTH},
    {"REVOKED", DEV_STATUS_DISCONNECTED},
    {"UNSPECIFIED", DEV_STATUS_UNSPECIFIED},
  };
  if (json_object_is_type(v, json_type_int)) {
    int64_t n = json_object_get_int64(v);
    if (n < 0 || n > DEV_STATUS_DISCONNECTED)
      return -1;
    *out = (enum dev_status)n;
    return 0;
  }
  if (!json_object_is_type(v, json_type_string))
    return -1;
  const char *s = json_object_get_string((json_object *)v);
  size_t len = (size_t)json_object_get_string_len(v);
  if (len == 1 && s[0] >= '0' && s[0] <= '5') {
    *out = (enum dev_status)(s[0] - '0');
    return 0;
  }
  for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
    if (strlen(status_names[i]) == len && strcasecmp(s, status_names[i]) == 0) {
      *out = (enum dev_status)i;
      return 0;
    }
  }
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strlen(words[i].word) == len && strcasecmp(s, words[i].word) == 0) {
      *out = words[i].status;
      return 0;
    }
  }
  return -1;
}

const char *dev_grpc_name(enum dev_grpc code)
{
  switch (code) {
  case DEV_GRPC_OK: return "OK";
  case DEV_GRPC_UNKNOWN: return "UNKNOWN";
  case DEV_GRPC_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case DEV_GRPC_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
  case DEV_GRPC_NOT_FOUND: return "NOT_FOUND";
  case DEV_GRPC_ALREADY_EXISTS: return "ALREADY_EXISTS";
  case DEV_GRPC_PERMISSION_DENIED: return "PERMISSION_DENIED";
  case DEV_GRPC_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
  case DEV_GRPC_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
  case DEV_GRPC_UNIMPLEMENTED: return "UNIMPLEMENTED";
  case DEV_GRPC_INTERNAL: return "INTERNAL";
  case DEV_GRPC_UNAVAILABLE: return "UNAVAILABLE";
  case DEV_GRPC_UNAUTHENTICATED: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

enum dev_grpc dev_grpc_for_http(int http_status)
{
  switch (http_status) {
  case 400: return DEV_GRPC_INVALID_ARGUMENT;
  case 401: return DEV_GRPC_UNAUTHENTICATED;
  case 403: return DEV_GRPC_PERMISSION_DENIED;
  case 404: return DEV_GRPC_NOT_FOUND;
  case 405: return DEV_GRPC_UNIMPLEMENTED;
  case 409: return DEV_GRPC_ALREADY_EXISTS;
  case 412: return DEV_GRPC_FAILED_PRECONDITION;
  case 413: return DEV_GRPC_RESOURCE_EXHAUSTED;
  case 429: return DEV_GRPC_RESOURCE_EXHAUSTED;
  case 500: return DEV_GRPC_INTERNAL;
  case 501: return DEV_GRPC_UNIMPLEMENTED;
  case 503: return DEV_GRPC_UNAVAILABLE;
  case 504: return DEV_GRPC_DEADLINE_EXCEEDED;
  default: return http_status < 400 ? DEV_GRPC_OK : DEV_GRPC_UNKNOWN;
  }
}

const char *dev_http_reason(int http_status)
{
  switch (http_status) {
  case 200: return "OK";
  case 201: return "Created";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 412: return "Precondition Failed";
  case 413: return "Payload Too Large";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Error";
  }
}

void dev_format_time(time_t t, char buf[32])
{
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

long long dev_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool dev_valid_connector(const char *s, size_t len)
{
  if (s == NULL || len == 0 || len > DEV_MAX_CONNECTOR)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(isalnum(c) || c == '_' || c == '-' || c == ':' || c == ' '))
      return false;
  }
  return true;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  size_t need;
  unsigned min;
  unsigned cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) { need = 2; cp = c & 0x1Fu; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { need = 3; cp = c & 0x0Fu; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 4; cp = c & 0x07u; min = 0x10000; }
  else return 0;
  if (need > n)
    return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xC0u) != 0x80u)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return need;
}

bool dev_valid_identifier(const char *s, size_t len)
{
  if (s == NULL || len == 0 || len > DEV_MAX_IDENTIFIER)
    return false;
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    if (p[i] < 0x20 || p[i] == 0x7F)
      return false;
    size_t n = utf8_seq_len(p + i, len - i);
    if (n == 0)
      return false;
    if (n == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)
      return false; /* C1 control characters */
    i += n;
  }
  return true;
}

int dev_json_parse_object(const char *buf, size_t len, json_object **out,
                          char *err, size_t errlen)
{
  *out = NULL;
  size_t start = 0;
  while (start < len && (buf[start] == ' ' || buf[start] == '\t' ||
                         buf[start] == '\r' || buf[start] == '\n'))
    start++;
  if (start == len) {
    *out = json_object_new_object();
    if (*out == NULL) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    return 0;
  }
  if (memchr(buf, '\0', len) != NULL) {
    snprintf(err, errlen, "invalid JSON body: it contains a NUL byte");
    return -1;
  }
  if (len > DEV_MAX_BODY) {
    snprintf(err, errlen, "request body is larger than %u bytes", DEV_MAX_BODY);
    return -1;
  }
  json_tokener *tok = json_tokener_new_ex(DEV_MAX_JSON_DEPTH);
  if (tok == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  json_tokener_free(tok);
  if (jerr != json_tokener_success) {
    if (jerr == json_tokener_continue)
      snprintf(err, errlen, "invalid JSON body: unexpected end of input");
    else
      snprintf(err, errlen, "invalid JSON body: %s", json_tokener_error_desc(jerr));
    json_object_put(obj);
    return -1;
  }
  for (size_t i = end; i < len; i++) {
    if (!(buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) {
      snprintf(err, errlen, "invalid JSON body: trailing characters after the value");
      json_object_put(obj);
      return -1;
    }
  }
  if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
    snprintf(err, errlen, "invalid JSON body: expected a JSON object");
    json_object_put(obj);
    return -1;
  }
  *out = obj;
  return 0;
}
