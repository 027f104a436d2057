/* The HTTP side: libmicrohttpd with one thread per connection (a route may
 * block on the provider or hold a long poll without stalling anyone else),
 * a bounded number of connections, and each request taken in three steps:
 * its headers (route, method, token, declared size), its body (gathered up
 * to the route's limit), then the answer. A declared size over the limit is
 * refused at once, and the connection closed; other refusals (404, 405,
 * 401, 503) wait for the end of the request, so the connection stays
 * usable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server.h"

/* Request line and headers; libmicrohttpd answers 414 or 431 past it. */
#define SERVE_CONNECTION_MEMORY (32u * 1024u)
/* A body streamed past its limit (no Content-Length) is read and dropped up
 * to this much, so the client can read its 413; then the connection closes. */
#define SERVE_DISCARD_MAX (4u * 1024u * 1024u)

/* One request, from its headers to its answer. */
typedef struct serve_request {
    const serve_route *route;
    serve_route_id id;   /* the path's route, for the counters */
    serve_reply refusal; /* decided from the headers, sent at the end */
    char *body;
    size_t len, cap, limit, discarded;
    int too_large;
    int answered; /* answered from its headers: what follows is dropped */
} serve_request;

/* Send @p r, count it under @p route and release its body. 0, or -1 when
 * libmicrohttpd refused it. */
static int serve_reply_send(serve_server *srv, struct MHD_Connection *conn,
                            serve_route_id route, serve_reply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ok;
    char retry[16];

    if (r->status == 0)
        serve_reply_error(r, 500, serve_error_code(TG_ENOMEM), "no answer");
    if (r->body) {
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (resp)
            r->body = NULL; /* libmicrohttpd frees it */
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) {
        serve_reply_clear(r);
        return -1;
    }
    if (r->content_type && r->status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->verdict)
        MHD_add_response_header(resp, SERVE_HEADER_VERDICT, r->verdict);
    if (r->status_name)
        MHD_add_response_header(resp, SERVE_HEADER_STATUS, r->status_name);
    if (r->error[0])
        MHD_add_response_header(resp, SERVE_HEADER_ERROR, r->error);
    if (r->retry_after_s > 0) {
        snprintf(retry, sizeof retry, "%d", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    }
    if (r->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    serve_metrics_http(&srv->metrics, route, r->status);
    ok = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    serve_reply_clear(r);
    return ok == MHD_YES ? 0 : -1;
}

static serve_conn *serve_conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? (serve_conn *)info->socket_context : NULL;
}

static enum MHD_Result serve_send(serve_server *srv, struct MHD_Connection *conn,
                                  serve_route_id id, serve_reply *r)
{
    serve_conn *sc = serve_conn_of(conn);

    if (sc)
        serve_conn_busy(&srv->conns, sc); /* until it is sent */
    return serve_reply_send(srv, conn, id, r) == 0 ? MHD_YES : MHD_NO;
}

/* The first call: only the headers are known. */
static enum MHD_Result serve_begin(serve_server *srv, struct MHD_Connection *conn,
                                   const char *url, const char *method, serve_request *rq)
{
    serve_reply *no = &rq->refusal;
    const char *declared;

    rq->limit = SERVE_BODY_MAX;
    rq->route = serve_route_find(method, url, no, &rq->id);
    if (!rq->route)
        return MHD_YES;
    if (atomic_load_explicit(&srv->draining, memory_order_relaxed)) {
        serve_reply_error(no, 503, SERVE_ECODE_SHUTDOWN, "the server is shutting down");
        no->close = 1;
    } else if ((rq->route->flags & SERVE_ROUTE_TOKEN) && !serve_authorized(srv, conn)) {
        serve_reply_error(no, 401, SERVE_ECODE_UNAUTHORIZED,
                          "this server needs \"Authorization: Bearer <token>\"");
        no->challenge = 1;
    } else if (rq->id == SERVE_R_WEBHOOK && !srv->webhook_secret) {
        serve_reply_error(no, 404, SERVE_ECODE_NOT_FOUND,
                          "no webhook secret is configured (--webhook-secret-env)");
    }
    if (no->status == 0 && (rq->route->flags & SERVE_ROUTE_WEBHOOK))
        rq->limit = SERVE_WEBHOOK_BODY_MAX;
    declared = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (declared) {
        char *end = NULL;
        unsigned long long n;
        serve_reply too_large = { 0 };

        errno = 0;
        n = strtoull(declared, &end, 10);
        if (errno == 0 && end != declared && n <= rq->limit)
            return MHD_YES;
        if (rq->id == SERVE_R_WEBHOOK && no->status == 0)
            serve_metrics_webhook(&srv->metrics, SERVE_WH_TOO_LARGE);
        serve_reply_error(&too_large, 413, SERVE_ECODE_TOO_LARGE,
                          "the body is larger than %zu bytes", rq->limit);
        too_large.close = 1;
        rq->answered = 1;
        return serve_send(srv, conn, rq->id, &too_large);
    }
    return MHD_YES;
}

static int serve_append(serve_request *rq, const char *data, size_t n)
{
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 1024;
        char *grown;
        while (cap < rq->len + n + 1)
            cap *= 2;
        grown = realloc(rq->body, cap);
        if (!grown)
            return -1;
        rq->body = grown;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
    return 0;
}

/* The last call: the whole body is here. */
static enum MHD_Result serve_dispatch(serve_server *srv, struct MHD_Connection *conn,
                                      serve_request *rq)
{
    serve_conn *sc = serve_conn_of(conn);
    serve_call c;

    memset(&c, 0, sizeof c);
    rq->answered = 1;
    if (rq->too_large) {
        if (rq->id == SERVE_R_WEBHOOK && rq->refusal.status == 0)
            serve_metrics_webhook(&srv->metrics, SERVE_WH_TOO_LARGE);
        serve_reply_error(&c.reply, 413, SERVE_ECODE_TOO_LARGE,
                          "the body is larger than %zu bytes", rq->limit);
        c.reply.close = 1;
        return serve_send(srv, conn, rq->id, &c.reply);
    }
    if (rq->refusal.status != 0)
        return serve_send(srv, conn, rq->id, &rq->refusal);
    if (!sc)
        return MHD_NO;
    serve_conn_busy(&srv->conns, sc);
    if (!sc->decision)
        sc->decision = tg_decision_new();
    if (!sc->decision) {
        serve_reply_failure(&c.reply, TG_ENOMEM);
        return serve_send(srv, conn, rq->route->id, &c.reply);
    }
    c.srv = srv;
    c.conn = conn;
    c.sc = sc;
    c.body = rq->body ? rq->body : "";
    c.body_len = rq->len;
    rq->route->handle(&c);
    return serve_send(srv, conn, rq->route->id, &c.reply);
}

static enum MHD_Result serve_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload_data, size_t *upload_data_size,
                                        void **con_cls)
{
    serve_server *srv = cls;
    serve_request *rq = *con_cls;

    (void)version;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return serve_begin(srv, conn, url, method, rq);
    }
    if (rq->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!rq->too_large && rq->len + *upload_data_size <= rq->limit) {
            if (serve_append(rq, upload_data, *upload_data_size) != 0)
                return MHD_NO;
        } else {
            rq->too_large = 1;
            rq->discarded += *upload_data_size;
            if (rq->discarded > SERVE_DISCARD_MAX)
                return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return serve_dispatch(srv, conn, rq);
}

static void serve_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
    serve_server *srv = cls;
    serve_request *rq = *con_cls;
    serve_conn *sc = serve_conn_of(conn);

    (void)toe;
    if (rq) {
        serve_reply_clear(&rq->refusal);
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
    if (sc)
        serve_conn_idle(&srv->conns, sc);
}

static void serve_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                                enum MHD_ConnectionNotificationCode toe)
{
    serve_server *srv = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info ? serve_conn_opened(&srv->conns, info->connect_fd) : NULL;
    } else if (*socket_context) {
        serve_conn_closed(&srv->conns, *socket_context);
        *socket_context = NULL;
    }
}

int serve_daemon_start(serve_server *srv, int listen_fd)
{
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC, 0, NULL,
        NULL, serve_on_request, srv, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_CLIENT_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_CONNECTION, serve_on_connection, srv, MHD_OPTION_NOTIFY_COMPLETED,
        serve_on_completed, srv, MHD_OPTION_END);
    return srv->daemon ? 0 : -1;
}

void serve_daemon_quiesce(serve_server *srv)
{
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

void serve_daemon_stop(serve_server *srv)
{
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}
