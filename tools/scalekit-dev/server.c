/* The libmicrohttpd daemon: one thread per connection (so a fault's sleep
 * stalls only its own connection, and keep-alive connections are served as
 * long as the client keeps them), request bodies gathered up to 64 KiB, then
 * routing, counting, fault injection and the answer. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "respond.h"

#define MAX_CONNECTIONS 512
#define IDLE_TIMEOUT_S 120
/* Request line and headers; MHD answers 414/431 past it. */
#define CONNECTION_MEMORY (64 * 1024)
/* A body streamed past DEV_MAX_BODY (chunked, no Content-Length) is read
 * and dropped up to this much so the client gets its 413; beyond it the
 * connection is closed. */
#define DISCARD_LIMIT (16u * 1024u * 1024u)

/* Per-request state, from the first call of the access handler to the
 * completion callback. */
struct dev_request {
  char method[16];
  char log_path[160];
  char allow[32];
  char *body;
  size_t len, cap;
  size_t discarded;           /* bytes dropped after the body grew too large */
  bool too_large;
  bool answered;
  int status;                 /* sent; 0 when the connection was dropped */
};

/* ---- sleeping ------------------------------------------------------------- */

bool dev_sleep_ms(struct dev_state *st, long long ms)
{
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += (time_t)(ms / 1000);
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&st->lock);
  while (!st->stopping) {
    if (pthread_cond_timedwait(&st->wake, &st->lock, &deadline) == ETIMEDOUT)
      break;
  }
  bool running = !st->stopping;
  pthread_mutex_unlock(&st->lock);
  return running;
}

/* ---- state ------------------------------------------------------------------ */

int dev_state_init(struct dev_state *st, const struct dev_config *cfg)
{
  memset(st, 0, sizeof *st);
  st->cfg = *cfg;
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0)
    return -1;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&st->wake, &attr);
  pthread_condattr_destroy(&attr);
  if (rc != 0)
    return -1;
  if (pthread_mutex_init(&st->lock, NULL) != 0) {
    pthread_cond_destroy(&st->wake);
    return -1;
  }
  dev_accounts_init(&st->accounts);
  dev_tokens_init(&st->access_tokens, DEV_MAX_ACCESS_TOKENS);
  dev_tokens_init(&st->links, DEV_MAX_LINKS);
  if (dev_stats_init(&st->stats, dev_api_route_count) != 0) {
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->wake);
    return -1;
  }
  return 0;
}

void dev_state_free(struct dev_state *st)
{
  dev_accounts_free(&st->accounts);
  dev_tokens_free(&st->access_tokens);
  dev_tokens_free(&st->links);
  dev_faults_clear(&st->faults);
  dev_stats_free(&st->stats);
  pthread_mutex_destroy(&st->lock);
  pthread_cond_destroy(&st->wake);
}

/* ---- routing ------------------------------------------------------------------- */

static bool path_matches(const struct dev_route *rt, const char *path)
{
  if (rt->prefix)
    return strncmp(path, rt->path, strlen(rt->path)) == 0;
  return strcmp(path, rt->path) == 0;
}

/* The route for (method, path); NULL if none. When the path exists under
 * other methods, allow lists them (for a 405). */
static const struct dev_route *find_route(const struct dev_route *table, size_t n,
                                          const char *method, const char *path,
                                          char *allow, size_t allow_len)
{
  allow[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (!path_matches(&table[i], path))
      continue;
    if (strcmp(table[i].method, method) == 0)
      return &table[i];
    size_t used = strlen(allow);
    snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", table[i].method);
  }
  return NULL;
}

/* ---- answering ------------------------------------------------------------------- */

static enum MHD_Result answer(struct dev_state *st, struct MHD_Connection *conn,
                              struct dev_request *rq, const char *url, const char *method)
{
  struct dev_call call = {
    .st = st, .conn = conn, .method = method, .path = url,
    .body = rq->body ? rq->body : "", .body_len = rq->len,
  };
  bool admin = strncmp(url, "/_dev/", 6) == 0;
  const struct dev_route *table = admin ? dev_admin_routes : dev_api_routes;
  size_t n = admin ? dev_admin_route_count : dev_api_route_count;
  const struct dev_route *rt = find_route(table, n, method, url, rq->allow, sizeof rq->allow);

  struct dev_fault fault;
  bool faulted = false;
  if (!admin) {
    pthread_mutex_lock(&st->lock);
    st->stats.requests++;
    if (rt != NULL) {
      st->stats.routes[rt - dev_api_routes]++;
      if (strcmp(rt->path, "/oauth/token") == 0)
        st->stats.token_requests++;
    }
    faulted = dev_faults_take(&st->faults, url, &fault);
    pthread_mutex_unlock(&st->lock);
  }

  if (faulted && fault.latency_ms > 0 && !dev_sleep_ms(st, fault.latency_ms))
    return MHD_NO; /* stopping */
  if (faulted && fault.body == DEV_FAULT_BODY_CLOSE)
    return MHD_NO; /* MHD closes the connection without a response */

  if (faulted && fault.echo == DEV_ECHO_AUTHORIZATION) {
    const char *h = dev_call_header(&call, MHD_HTTP_HEADER_AUTHORIZATION);
    dev_echo_reply(&call.reply, fault.status, fault.echo, fault.echo_encoding, fault.echo_text,
                   h, h ? strlen(h) : 0);
  } else if (faulted && fault.echo == DEV_ECHO_BODY) {
    dev_echo_reply(&call.reply, fault.status, fault.echo, fault.echo_encoding, fault.echo_text,
                   call.body, call.body_len);
  } else if (faulted && fault.status != 0) {
    dev_reply_error(&call.reply, fault.status, dev_grpc_for_http(fault.status),
                    "injected fault: %s", dev_http_reason(fault.status));
  } else if (faulted && fault.body == DEV_FAULT_BODY_GARBAGE) {
    dev_fault_garbage(&call.reply);
  } else if (rt == NULL && rq->allow[0] != '\0') {
    dev_reply_error(&call.reply, 405, DEV_GRPC_UNIMPLEMENTED, "Method Not Allowed");
    call.reply.allow = rq->allow;
  } else if (rt == NULL) {
    dev_reply_error(&call.reply, 404, DEV_GRPC_NOT_FOUND, "Not Found");
  } else if (!rt->auth || dev_call_authorized(&call)) {
    rt->handle(&call);
  }
  if (call.reply.status == 0)
    dev_reply_error(&call.reply, 500, DEV_GRPC_INTERNAL, "no answer");
  if (faulted && fault.body == DEV_FAULT_BODY_OVERSIZE)
    dev_fault_oversize(&call.reply);
  rq->status = call.reply.status;
  return dev_respond(st, conn, &call.reply, faulted ? &fault : NULL);
}

static enum MHD_Result answer_too_large(struct dev_state *st, struct MHD_Connection *conn,
                                        struct dev_request *rq, const char *url)
{
  struct dev_reply r = {0};
  rq->answered = true;
  if (strncmp(url, "/_dev/", 6) != 0) {
    pthread_mutex_lock(&st->lock);
    st->stats.requests++;
    pthread_mutex_unlock(&st->lock);
  }
  dev_reply_error(&r, 413, DEV_GRPC_RESOURCE_EXHAUSTED,
                  "request body is larger than %u bytes", DEV_MAX_BODY);
  rq->status = 413;
  return dev_respond(st, conn, &r, NULL);
}

static bool append_body(struct dev_request *rq, const char *data, size_t n)
{
  if (rq->len + n + 1 > rq->cap) {
    size_t cap = rq->cap ? rq->cap : 1024;
    while (cap < rq->len + n + 1)
      cap *= 2;
    char *bigger = realloc(rq->body, cap);
    if (bigger == NULL)
      return false;
    rq->body = bigger;
    rq->cap = cap;
  }
  memcpy(rq->body + rq->len, data, n);
  rq->len += n;
  rq->body[rq->len] = '\0';
  return true;
}

static void start_request(struct dev_request *rq, const char *method, const char *url)
{
  snprintf(rq->method, sizeof rq->method, "%s", method);
  /* A magic-link token grants consent: keep it out of the log. */
  if (strncmp(url, "/magic/", 7) == 0)
    snprintf(rq->log_path, sizeof rq->log_path, "/magic/<token>");
  else
    snprintf(rq->log_path, sizeof rq->log_path, "%s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
  (void)version;
  struct dev_state *st = cls;
  struct dev_request *rq = *con_cls;
  if (rq == NULL) {
    rq = calloc(1, sizeof *rq);
    if (rq == NULL)
      return MHD_NO;
    start_request(rq, method, url);
    *con_cls = rq;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
      char *end = NULL;
      errno = 0;
      unsigned long long declared = strtoull(cl, &end, 10);
      if (errno != 0 || declared > DEV_MAX_BODY)
        return answer_too_large(st, conn, rq, url);
    }
    return MHD_YES;
  }
  if (rq->answered) { /* answered early; drop what still arrives */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    if (rq->too_large || rq->len + *upload_data_size > DEV_MAX_BODY) {
      rq->too_large = true;
      rq->discarded += *upload_data_size;
      if (rq->discarded > DISCARD_LIMIT)
        return MHD_NO;
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (!append_body(rq, upload_data, *upload_data_size))
      return MHD_NO;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (rq->too_large)
    return answer_too_large(st, conn, rq, url);
  rq->answered = true;
  return answer(st, conn, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  (void)conn;
  struct dev_state *st = cls;
  struct dev_request *rq = *con_cls;
  if (rq == NULL)
    return;
  if (st->cfg.log) {
    /* Method, path and status only: never headers (Authorization) or bodies. */
    if (rq->status != 0 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
      fprintf(stderr, "scalekit-dev: %s %s %d\n", rq->method, rq->log_path, rq->status);
    else
      fprintf(stderr, "scalekit-dev: %s %s %d (connection closed)\n", rq->method,
              rq->log_path, rq->status);
  }
  free(rq->body);
  free(rq);
  *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
  (void)conn;
  (void)socket_context;
  struct dev_state *st = cls;
  if (code != MHD_CONNECTION_NOTIFY_STARTED)
    return;
  pthread_mutex_lock(&st->lock);
  st->stats.connections++;
  pthread_mutex_unlock(&st->lock);
}

/* ---- the daemon ------------------------------------------------------------------- */

/* A listening TCP socket on 127.0.0.1:port; -1 with the reason in err. */
static int listen_socket(unsigned port, char *err, size_t errlen)
{
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
    close(fd);
    return -1;
  }
  if (listen(fd, SOMAXCONN) != 0) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

struct MHD_Daemon *dev_server_start(struct dev_state *st, char *err, size_t errlen)
{
  int fd = listen_socket(st->cfg.port, err, errlen);
  if (fd < 0)
    return NULL;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_AUTO;
  if (st->cfg.log)
    flags |= MHD_USE_ERROR_LOG;
  /* MHD takes the socket: MHD_stop_daemon() closes it. */
  struct MHD_Daemon *d = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, st,
    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, st,
    MHD_OPTION_NOTIFY_CONNECTION, on_connection, st,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
    MHD_OPTION_END);
  if (d == NULL) {
    close(fd);
    snprintf(err, errlen, "libmicrohttpd could not start serving 127.0.0.1:%u (run with --log "
                          "for its reason)", st->cfg.port);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (info == NULL || info->port == 0) {
    MHD_stop_daemon(d);
    snprintf(err, errlen, "cannot tell which port 127.0.0.1 was bound to");
    return NULL;
  }
  pthread_mutex_lock(&st->lock);
  st->port = info->port;
  pthread_mutex_unlock(&st->lock);
  return d;
}

void dev_server_stop(struct dev_state *st, struct MHD_Daemon *d)
{
  pthread_mutex_lock(&st->lock);
  st->stopping = true;
  pthread_cond_broadcast(&st->wake);
  pthread_mutex_unlock(&st->lock);
  MHD_stop_daemon(d);
}
