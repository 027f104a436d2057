/* The routes: which path and method reach which handler, what a path that
 * exists under another method answers (405 with Allow), and the API token.
 * Paths match exactly: no prefix, no trailing slash. */
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "server.h"

static const serve_route serve_routes[] = {
    { "POST", "/v1/check", SERVE_R_CHECK, SERVE_ROUTE_TOKEN, serve_route_check },
    { "GET", "/v1/status", SERVE_R_STATUS, SERVE_ROUTE_TOKEN, serve_route_status },
    { "GET", "/v1/link", SERVE_R_LINK, SERVE_ROUTE_TOKEN, serve_route_link },
    { "POST", "/v1/invalidate", SERVE_R_INVALIDATE, SERVE_ROUTE_TOKEN, serve_route_invalidate },
    { "GET", "/v1/wait", SERVE_R_WAIT, SERVE_ROUTE_TOKEN, serve_route_wait },
    /* Webhook deliveries carry their own proof: a signature. */
    { "POST", "/v1/webhooks/scalekit", SERVE_R_WEBHOOK, SERVE_ROUTE_WEBHOOK, serve_route_webhook },
    { "GET", "/metrics", SERVE_R_METRICS, 0, serve_route_metrics },
    { "GET", "/healthz", SERVE_R_HEALTHZ, 0, serve_route_healthz },
    { "GET", "/readyz", SERVE_R_READYZ, 0, serve_route_readyz },
};
#define SERVE_N_TABLE (sizeof serve_routes / sizeof serve_routes[0])

const char *serve_route_name(serve_route_id id)
{
    size_t i;
    for (i = 0; i < SERVE_N_TABLE; i++)
        if (serve_routes[i].id == id)
            return serve_routes[i].path;
    return "other";
}

const serve_route *serve_route_find(const char *method, const char *path, serve_reply *early,
                                    serve_route_id *id)
{
    size_t i;

    *id = SERVE_R_OTHER;
    for (i = 0; i < SERVE_N_TABLE; i++) {
        if (strcmp(serve_routes[i].path, path) != 0)
            continue;
        *id = serve_routes[i].id;
        if (strcmp(serve_routes[i].method, method) == 0)
            return &serve_routes[i];
        /* Each path has one method. */
        serve_reply_error(early, 405, SERVE_ECODE_METHOD, "%s takes %s only", path,
                          serve_routes[i].method);
        early->allow = serve_routes[i].method;
        return NULL;
    }
    serve_reply_error(early, 404, SERVE_ECODE_NOT_FOUND, "no such route");
    return NULL;
}

/* Every byte is looked at whatever the others are: the time taken says
 * nothing about where two tokens differ. */
static int serve_same_bytes(const char *a, const char *b, size_t n)
{
    volatile unsigned char diff = 0;
    size_t i;

    for (i = 0; i < n; i++)
        diff = (unsigned char)(diff | ((unsigned char)a[i] ^ (unsigned char)b[i]));
    return diff == 0;
}

int serve_authorized(const serve_server *srv, struct MHD_Connection *conn)
{
    static const char scheme[] = "Bearer ";
    const char *value = NULL;
    size_t len = 0, given;

    if (!srv->api_token)
        return 1;
    if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                      strlen(MHD_HTTP_HEADER_AUTHORIZATION), &value,
                                      &len) != MHD_YES ||
        !value || len < sizeof scheme - 1 || strncasecmp(value, scheme, sizeof scheme - 1) != 0)
        return 0;
    value += sizeof scheme - 1;
    given = len - (sizeof scheme - 1);
    /* The length is not secret; the bytes are compared in constant time. */
    return given == srv->api_token_len && serve_same_bytes(value, srv->api_token, given);
}
