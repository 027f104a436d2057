#include "respond.h"

#include <stdlib.h>
#include <string.h>

/* A body sent through a reader callback: cut short or trickled. */
struct stream {
  struct dev_state *st;
  char *body;
  size_t len;           /* bytes of body that exist */
  size_t limit;         /* "truncate": send this many, then fail */
  long long delay_ms;   /* "slow": pause before each byte */
};

static void stream_free(void *cls)
{
  struct stream *s = cls;
  free(s->body);
  free(s);
}

/* Send up to limit bytes, then end with an error: MHD closes the connection
 * with the announced Content-Length unmet. */
static ssize_t read_truncated(void *cls, uint64_t pos, char *buf, size_t max)
{
  struct stream *s = cls;
  if (pos >= s->limit)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  size_t n = s->limit - (size_t)pos;
  if (n > max)
    n = max;
  memcpy(buf, s->body + pos, n);
  return (ssize_t)n;
}

/* One byte per call, after a pause that a stopping server cuts short. */
static ssize_t read_slowly(void *cls, uint64_t pos, char *buf, size_t max)
{
  struct stream *s = cls;
  if (pos >= s->len)
    return MHD_CONTENT_READER_END_OF_STREAM;
  if (max == 0)
    return 0;
  if (!dev_sleep_ms(s->st, s->delay_ms))
    return MHD_CONTENT_READER_END_WITH_ERROR;
  buf[0] = s->body[pos];
  return 1;
}

static struct MHD_Response *stream_response(struct dev_state *st, struct dev_reply *r,
                                            const struct dev_fault *fault)
{
  struct stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->st = st;
  s->body = r->body;
  s->len = r->len;
  r->body = NULL;
  r->len = 0;
  uint64_t announced = s->len;
  MHD_ContentReaderCallback reader = read_slowly;
  size_t block = 1;
  if (fault->body == DEV_FAULT_BODY_TRUNCATE) {
    reader = read_truncated;
    s->limit = s->len / 2;
    if (announced == 0)
      announced = 64; /* an empty body still promises bytes it never sends */
    block = 4096;
  } else {
    s->delay_ms = fault->byte_delay_ms;
  }
  struct MHD_Response *resp =
    MHD_create_response_from_callback(announced, block, reader, s, stream_free);
  if (resp == NULL)
    stream_free(s);
  return resp;
}

enum MHD_Result dev_respond(struct dev_state *st, struct MHD_Connection *conn,
                            struct dev_reply *r, const struct dev_fault *fault)
{
  struct MHD_Response *resp;
  if (fault != NULL && (fault->body == DEV_FAULT_BODY_TRUNCATE ||
                        fault->body == DEV_FAULT_BODY_SLOW)) {
    resp = stream_response(st, r, fault);
  } else if (r->body != NULL) {
    resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (resp != NULL)
      r->body = NULL;
  } else {
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  }
  if (resp == NULL) {
    dev_reply_clear(r);
    return MHD_NO;
  }
  if (r->content_type != NULL)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  if (r->allow != NULL)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
  if (r->no_store)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  enum MHD_Result rc = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  dev_reply_clear(r);
  return rc;
}
