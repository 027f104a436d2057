/* Injected faults: the queue the admin API fills and the request path
 * drains, and the body rewrites that need no socket. Not thread-safe: the
 * server holds its lock around every call. */
#ifndef SCALEKIT_DEV_FAULTS_H
#define SCALEKIT_DEV_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "echo.h"
#include "reply.h"

#define DEV_MAX_FAULTS 1024
#define DEV_FAULT_ROUTES_MAX 128
/* An "oversize" body is at least this large: past the 64 KiB clients accept. */
#define DEV_OVERSIZE_PADDING (70u * 1024u)

enum dev_fault_body {
  DEV_FAULT_BODY_NONE,
  DEV_FAULT_BODY_TRUNCATE, /* Content-Length larger than what is sent, then close */
  DEV_FAULT_BODY_OVERSIZE, /* 200 with a valid JSON body over 64 KiB */
  DEV_FAULT_BODY_GARBAGE,  /* 200 with a body that is not JSON */
  DEV_FAULT_BODY_CLOSE,    /* close the connection without an answer */
  DEV_FAULT_BODY_SLOW      /* the real answer, one byte at a time */
};

struct dev_fault {
  struct dev_fault *next;
  long long latency_ms;     /* wait before answering */
  int status;               /* answer with this HTTP status; 0: no */
  enum dev_fault_body body;
  long long byte_delay_ms;  /* "slow": pause before each byte */
  enum dev_echo_what echo;  /* answer with what the request sent; NONE: no */
  enum dev_echo_encoding echo_encoding;
  bool echo_text;           /* the echo as a text/plain body, not in a JSON error */
  unsigned long count;      /* matching requests still to hit */
  char routes[DEV_FAULT_ROUTES_MAX]; /* path prefix; "" = /api/ and /oauth/ */
};

struct dev_faults {
  struct dev_fault *head, *tail;
  size_t n;
};

/* Parse an admin request {"latency_ms","status","count","body","routes",
 * "byte_delay_ms","echo","echo_encoding","echo_as"}. Returns 0, or -1 with a
 * reason naming the key. */
int dev_fault_parse(json_object *o, struct dev_fault *out, char *err, size_t errlen);

/* Queue a copy of f. Returns 0, or -1 when the queue is full or memory is out. */
int dev_faults_push(struct dev_faults *q, const struct dev_fault *f);

/* For a request to path: the first queued fault whose routes match, copied
 * to *out with one use consumed (dropped when used up). False if none. */
bool dev_faults_take(struct dev_faults *q, const char *path, struct dev_fault *out);

void dev_faults_clear(struct dev_faults *q);

/* Rewrite r into a 200 with the same JSON plus a "padding" member that makes
 * it larger than DEV_OVERSIZE_PADDING. */
void dev_fault_oversize(struct dev_reply *r);

/* Rewrite r into a 200 whose body is not JSON. */
void dev_fault_garbage(struct dev_reply *r);

#endif
