#include "faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  enum dev_fault_body body;
} body_names[] = {
  {"truncate", DEV_FAULT_BODY_TRUNCATE}, {"oversize", DEV_FAULT_BODY_OVERSIZE},
  {"garbage", DEV_FAULT_BODY_GARBAGE},   {"close", DEV_FAULT_BODY_CLOSE},
  {"slow", DEV_FAULT_BODY_SLOW},
};

/* The index of v's string in names (NULL-terminated), or -1. */
static int name_index(json_object *v, const char *const *names)
{
  const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
  for (int i = 0; s != NULL && names[i] != NULL; i++)
    if (names[i][0] != '\0' && strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

/* An integer member within [min, max]; absent leaves *out unchanged. */
static int int_member(json_object *v, const char *key, long long min, long long max,
                      long long *out, char *err, size_t errlen)
{
  if (!json_object_is_type(v, json_type_int)) {
    snprintf(err, errlen, "%s must be an integer", key);
    return -1;
  }
  long long n = (long long)json_object_get_int64(v);
  if (n < min || n > max) {
    snprintf(err, errlen, "%s must be between %lld and %lld", key, min, max);
    return -1;
  }
  *out = n;
  return 0;
}

int dev_fault_parse(json_object *o, struct dev_fault *out, char *err, size_t errlen)
{
  bool echo_options = false;
  memset(out, 0, sizeof *out);
  out->count = 1;
  out->byte_delay_ms = 100;
  json_object_object_foreach(o, key, v) {
    long long n = 0;
    if (strcmp(key, "latency_ms") == 0) {
      if (int_member(v, key, 0, 600000, &n, err, errlen) != 0)
        return -1;
      out->latency_ms = n;
    } else if (strcmp(key, "status") == 0) {
      if (int_member(v, key, 400, 599, &n, err, errlen) != 0)
        return -1;
      out->status = (int)n;
    } else if (strcmp(key, "count") == 0) {
      if (int_member(v, key, 1, 1000000, &n, err, errlen) != 0)
        return -1;
      out->count = (unsigned long)n;
    } else if (strcmp(key, "byte_delay_ms") == 0) {
      if (int_member(v, key, 1, 10000, &n, err, errlen) != 0)
        return -1;
      out->byte_delay_ms = n;
    } else if (strcmp(key, "body") == 0) {
      const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
      for (size_t i = 0; s != NULL && i < sizeof body_names / sizeof body_names[0]; i++)
        if (strcmp(s, body_names[i].name) == 0)
          out->body = body_names[i].body;
      if (out->body == DEV_FAULT_BODY_NONE) {
        snprintf(err, errlen,
                 "body must be one of \"truncate\", \"oversize\", \"garbage\", \"close\", \"slow\"");
        return -1;
      }
    } else if (strcmp(key, "echo") == 0) {
      int i = name_index(v, dev_echo_what_names);
      if (i < 0) {
        snprintf(err, errlen, "echo must be \"authorization\" or \"body\"");
        return -1;
      }
      out->echo = (enum dev_echo_what)i;
    } else if (strcmp(key, "echo_encoding") == 0) {
      int i = name_index(v, dev_echo_encoding_names);
      if (i < 0) {
        snprintf(err, errlen, "echo_encoding must be one of \"raw\", \"percent\", "
                              "\"percent_lower\", \"form\", \"json\", \"html\", "
                              "\"split\", \"truncate\"");
        return -1;
      }
      out->echo_encoding = (enum dev_echo_encoding)i;
      echo_options = true;
    } else if (strcmp(key, "echo_as") == 0) {
      const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
      if (strcmp(s, "message") != 0 && strcmp(s, "text") != 0) {
        snprintf(err, errlen, "echo_as must be \"message\" or \"text\"");
        return -1;
      }
      out->echo_text = strcmp(s, "text") == 0;
      echo_options = true;
    } else if (strcmp(key, "routes") == 0) {
      if (!json_object_is_type(v, json_type_string)) {
        snprintf(err, errlen, "routes must be a string");
        return -1;
      }
      const char *s = json_object_get_string(v);
      size_t len = (size_t)json_object_get_string_len(v);
      if (len == 0 || len >= sizeof out->routes || s[0] != '/' || strlen(s) != len ||
          strncmp(s, "/_dev/", 6) == 0) {
        snprintf(err, errlen, "routes must be a path prefix such as \"/api/\" (not /_dev/)");
        return -1;
      }
      memcpy(out->routes, s, len + 1);
    } else {
      snprintf(err, errlen, "unknown key \"%.64s\"", key);
      return -1;
    }
  }
  if (out->status != 0 && out->body != DEV_FAULT_BODY_NONE) {
    snprintf(err, errlen, "status and body cannot be combined");
    return -1;
  }
  if (out->echo != DEV_ECHO_NONE && out->body != DEV_FAULT_BODY_NONE) {
    snprintf(err, errlen, "echo and body cannot be combined");
    return -1;
  }
  if (echo_options && out->echo == DEV_ECHO_NONE) {
    snprintf(err, errlen, "echo_encoding and echo_as need echo");
    return -1;
  }
  if (out->echo != DEV_ECHO_NONE && out->status == 0)
    out->status = 403;
  if (out->latency_ms == 0 && out->status == 0 && out->body == DEV_FAULT_BODY_NONE) {
    snprintf(err, errlen, "a fault needs latency_ms, status, body or echo");
    return -1;
  }
  return 0;
}

int dev_faults_push(struct dev_faults *q, const struct dev_fault *f)
{
  if (q->n >= DEV_MAX_FAULTS)
    return -1;
  struct dev_fault *copy = malloc(sizeof *copy);
  if (copy == NULL)
    return -1;
  *copy = *f;
  copy->next = NULL;
  if (q->tail != NULL)
    q->tail->next = copy;
  else
    q->head = copy;
  q->tail = copy;
  q->n++;
  return 0;
}

static bool matches(const struct dev_fault *f, const char *path)
{
  if (f->routes[0] != '\0')
    return strncmp(path, f->routes, strlen(f->routes)) == 0;
  return strncmp(path, "/api/", 5) == 0 || strncmp(path, "/oauth/", 7) == 0;
}

bool dev_faults_take(struct dev_faults *q, const char *path, struct dev_fault *out)
{
  struct dev_fault *prev = NULL;
  for (struct dev_fault *f = q->head; f != NULL; prev = f, f = f->next) {
    if (!matches(f, path))
      continue;
    *out = *f;
    out->next = NULL;
    if (--f->count == 0) {
      if (prev != NULL)
        prev->next = f->next;
      else
        q->head = f->next;
      if (q->tail == f)
        q->tail = prev;
      q->n--;
      free(f);
    }
    return true;
  }
  return false;
}

void dev_faults_clear(struct dev_faults *q)
{
  struct dev_fault *f = q->head;
  while (f != NULL) {
    struct dev_fault *next = f->next;
    free(f);
    f = next;
  }
  q->head = q->tail = NULL;
  q->n = 0;
}

void dev_fault_oversize(struct dev_reply *r)
{
  static const char head[] = "{\"padding\":\"";
  /* The original object's members follow the padding; "{}" has none. */
  const char *rest = "}";
  if (r->body != NULL && r->len >= 2 && r->body[0] == '{') {
    rest = r->body + 1;
    while (*rest == ' ')
      rest++;
  }
  bool empty = *rest == '}';
  size_t rest_len = strlen(rest);
  size_t len = sizeof head - 1 + DEV_OVERSIZE_PADDING + 1 + (empty ? 0 : 1) + rest_len;
  char *b = malloc(len + 1);
  if (b == NULL) {
    dev_reply_bytes(r, 500, "application/json", NULL, 0);
    return;
  }
  size_t at = 0;
  memcpy(b, head, sizeof head - 1);
  at += sizeof head - 1;
  memset(b + at, 'x', DEV_OVERSIZE_PADDING);
  at += DEV_OVERSIZE_PADDING;
  b[at++] = '"';
  if (!empty)
    b[at++] = ',';
  memcpy(b + at, rest, rest_len);
  at += rest_len;
  b[at] = '\0';
  dev_reply_bytes(r, 200, "application/json", b, at);
}

void dev_fault_garbage(struct dev_reply *r)
{
  static const char text[] =
    "<html><body><h1>502 Bad Gateway</h1></body></html>\n{\"connected_account\":";
  char *b = malloc(sizeof text);
  if (b != NULL)
    memcpy(b, text, sizeof text);
  dev_reply_bytes(r, 200, "application/json", b, b ? sizeof text - 1 : 0);
}
