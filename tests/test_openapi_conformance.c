/*
 * The scalekit provider's requests against Scalekit's OpenAPI document
 * ("AgentKit APIs" 1.0.0, kept as tests/data/agentkit-openapi.json so the
 * test needs nothing outside the repository).
 *
 * 1. Against the dev server (tools/scalekit-dev, started on port 0 and always
 *    stopped): the provider runs through all its paths — token, status,
 *    create-missing, the 409 race of get-or-create, the link, a token refresh
 *    on 401 — and every route the server's /_dev/stats counted is a
 *    (method, path) of the document; the credential route
 *    GET /api/v1/connected_accounts/auth is never used. The dev server answers
 *    400 to a missing or malformed connector/identifier and to a body that is
 *    not one JSON object, so that every call here succeeded already shows the
 *    parameters it needs were sent, under the right names, decodable.
 *
 * 2. Against a recorder (a tiny HTTP server in this file that keeps every
 *    request and answers like Scalekit): what the dev server's counters cannot
 *    show — every query parameter and every body field the provider sends is
 *    one the document lists for that operation (body fields at every depth,
 *    resolved through the schemas' $refs, with their types), with the exact
 *    values, URL-encoded
 *    correctly; a create sends the body the official SDKs send
 *    ({"connector","identifier","connected_account":{"authorization_details":
 *    {"oauth_token":{}}}}); JSON bodies say application/json; API calls carry the bearer
 *    token; the token request is the client-credentials form of the
 *    document's oauth2 security scheme (tokenUrl).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "plugin.h"
#include "scalekit_provider.h"
#include "dev_server.h"

#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the built scalekit-dev binary"
#endif
#ifndef TG_TEST_DATA_DIR
#error "TG_TEST_DATA_DIR must name tests/data"
#endif

#define OPENAPI_PATH TG_TEST_DATA_DIR "/agentkit-openapi.json"
#define DEV_ID "dev_client"
#define DEV_SECRET "s3cr3t-XYZ-123"
#define ROUTE_CREDENTIALS "GET /api/v1/connected_accounts/auth"

static tg_dev dev = { 0, -1, "" };
static json_object *openapi; /* the document */

/* ---- the document --------------------------------------------------------- */

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/* The operation object for (method, path), or NULL. @p method in upper case. */
static json_object *operation(const char *method, const char *path)
{
    char m[16];
    size_t i;
    for (i = 0; method[i] && i + 1 < sizeof m; i++)
        m[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] - 'A' + 'a' : method[i]);
    m[i] = '\0';
    return member(member(member(openapi, "paths"), path), m);
}

/* The path of the oauth2 client-credentials tokenUrl
 * ("https://$SCALEKIT_ENVIRONMENT_URL/oauth/token" → "/oauth/token"). */
static const char *token_path(void)
{
    json_object *u = member(
        member(member(member(member(member(openapi, "components"), "securitySchemes"),
                             "oauth2"),
                      "flows"),
               "clientCredentials"),
        "tokenUrl");
    const char *s, *p;
    assert_non_null(u);
    s = json_object_get_string(u);
    p = strstr(s, "://");
    assert_non_null(p);
    p = strchr(p + 3, '/');
    assert_non_null(p);
    return p;
}

/* Is (method, path) a route of the document? The token endpoint is the
 * document's too: its security scheme names it (POST, as OAuth 2.0 says). */
static int documented(const char *method, const char *path)
{
    if (strcmp(method, "POST") == 0 && strcmp(path, token_path()) == 0)
        return 1;
    return operation(method, path) != NULL;
}

/* Is @p name a query parameter the operation documents? */
static int documented_query_param(const char *method, const char *path, const char *name)
{
    json_object *params = member(operation(method, path), "parameters");
    size_t i, n;
    if (!params || !json_object_is_type(params, json_type_array))
        return 0;
    n = json_object_array_length(params);
    for (i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(params, i);
        const char *in = json_object_get_string(member(p, "in"));
        const char *nm = json_object_get_string(member(p, "name"));
        if (in && nm && strcmp(in, "query") == 0 && strcmp(nm, name) == 0)
            return 1;
    }
    return 0;
}

/* "#/components/schemas/X" → that schema; anything else → itself. */
static json_object *resolve(json_object *schema)
{
    json_object *ref = member(schema, "$ref");
    const char *s, *prefix = "#/components/schemas/";
    if (!ref)
        return schema;
    s = json_object_get_string(ref);
    assert_int_equal(strncmp(s, prefix, strlen(prefix)), 0);
    return member(member(member(openapi, "components"), "schemas"), s + strlen(prefix));
}

/* The properties of the operation's application/json request body. */
static json_object *body_properties(const char *method, const char *path)
{
    json_object *schema = member(
        member(member(member(operation(method, path), "requestBody"), "content"),
               "application/json"),
        "schema");
    return member(resolve(schema), "properties");
}

static int load_openapi(void)
{
    openapi = json_object_from_file(OPENAPI_PATH);
    if (!openapi) {
        fprintf(stderr, "cannot read the OpenAPI document %s\n", OPENAPI_PATH);
        return -1;
    }
    return 0;
}

/* The checker itself tells documented from undocumented. */
static void test_document(void **unused)
{
    (void)unused;
    assert_string_equal(json_object_get_string(member(member(openapi, "info"), "version")),
                        "1.0.0");
    assert_string_equal(token_path(), "/oauth/token");
    assert_true(documented("GET", "/api/v1/connected_accounts/details"));
    assert_true(documented("POST", "/api/v1/connected_accounts"));
    assert_true(documented("POST", "/api/v1/connected_accounts/magic_link"));
    assert_true(documented("POST", "/oauth/token"));
    assert_false(documented("POST", "/api/v1/connected_accounts/details"));
    assert_false(documented("GET", "/oauth/token"));
    assert_false(documented("GET", "/api/v1/connected_account/details"));
    assert_true(documented_query_param("GET", "/api/v1/connected_accounts/details", "connector"));
    assert_true(documented_query_param("GET", "/api/v1/connected_accounts/details", "identifier"));
    assert_false(documented_query_param("GET", "/api/v1/connected_accounts/details",
                                        "connection_name"));
    assert_non_null(member(body_properties("POST", "/api/v1/connected_accounts"),
                           "connected_account"));
    assert_non_null(member(body_properties("POST", "/api/v1/connected_accounts/magic_link"),
                           "identifier"));
    assert_null(member(body_properties("POST", "/api/v1/connected_accounts/magic_link"),
                       "connection_name"));
    /* The create's account: authorization_details, and in it oauth_token. */
    {
        json_object *acct =
            resolve(member(body_properties("POST", "/api/v1/connected_accounts"),
                           "connected_account"));
        json_object *details = resolve(member(member(acct, "properties"), "authorization_details"));
        assert_non_null(member(member(details, "properties"), "oauth_token"));
        assert_null(member(member(details, "properties"), "oauthToken"));
    }
}

/* ---- the provider --------------------------------------------------------- */

static const tg_provider *vt(void)
{
    const tg_provider *p = tg__scalekit_provider_entry(TG_PROVIDER_ABI_VERSION);
    assert_non_null(p);
    return p;
}

static void *make_provider(const char *url, const char *id, const char *secret)
{
    json_object *o = json_object_new_object();
    void *state = NULL;
    int rc;
    json_object_object_add(o, "environment_url", json_object_new_string(url));
    json_object_object_add(o, "client_id", json_object_new_string(id));
    json_object_object_add(o, "client_secret", json_object_new_string(secret));
    json_object_object_add(o, "timeout_ms", json_object_new_int(3000));
    rc = vt()->create(tg__host(), json_object_to_json_string(o), ".", NULL, &state);
    json_object_put(o);
    if (rc != TG_OK)
        fail_msg("create: %d %s", rc, tg_error_message());
    return state;
}

static tg_status status_of(void *p, const char *c, const char *i)
{
    tg_status s = (tg_status)99;
    int rc = vt()->get_status(p, c, i, &s);
    if (rc != TG_OK)
        fail_msg("get_status(%s, %s): %d %s", c, i, rc, tg_error_message());
    return s;
}

static void link_of(void *p, const char *c, const char *i, int64_t *expires)
{
    char link[TG_LINK_MAX + 1];
    int rc = vt()->get_link(p, c, i, link, sizeof link, expires);
    if (rc != TG_OK)
        fail_msg("get_link(%s, %s): %d %s", c, i, rc, tg_error_message());
    assert_true(link[0] != '\0');
}

/* ---- 1. against the dev server -------------------------------------------- */

static void test_dev_server_routes(void **unused)
{
    json_object *stats, *routes;
    struct json_object_iterator it, end;
    int64_t expires = 0;
    int used = 0;
    void *p;
    (void)unused;

    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "oa_active", "ACTIVE"), 200);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "oa_expired", "EXPIRED"), 200);
    assert_int_equal(tg_dev_set_account(&dev, "google drive:v2", "ann+x@example.com", "ACTIVE"),
                     200);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "oa_race", "ACTIVE"), 200);
    p = make_provider(dev.url, DEV_ID, DEV_SECRET);

    /* Status: ACTIVE, not ACTIVE, and names that need encoding. */
    assert_int_equal(status_of(p, "gmail", "oa_active"), TG_STATUS_ACTIVE);
    assert_int_equal(status_of(p, "gmail", "oa_expired"), TG_STATUS_EXPIRED);
    assert_int_equal(status_of(p, "google drive:v2", "ann+x@example.com"), TG_STATUS_ACTIVE);
    /* The link. */
    link_of(p, "gmail", "oa_expired", &expires);
    assert_true(expires > 0);
    /* Get-or-create: missing, created, PENDING; and a link for another
     * missing account. */
    assert_int_equal(status_of(p, "gmail", "oa_missing"), TG_STATUS_PENDING);
    link_of(p, "gmail", "oa_missing_link", NULL);
    assert_int_equal(tg_dev_stat(&dev, "routes", "POST /api/v1/connected_accounts"), 2);
    /* The race: the read says 404 (someone else is creating it), the create
     * says 409 (they did), the provider reads again and gets the account. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"status\":404,\"count\":1,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    assert_int_equal(status_of(p, "gmail", "oa_race"), TG_STATUS_ACTIVE);
    assert_int_equal(tg_dev_stat(&dev, "routes", "POST /api/v1/connected_accounts"), 3);
    /* The token stops working: one 401, a new token, the call again. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/tokens/revoke", "{}"), 200);
    assert_int_equal(status_of(p, "gmail", "oa_active"), TG_STATUS_ACTIVE);
    vt()->destroy(p);

    stats = tg_dev_stats(&dev);
    assert_non_null(stats);
    routes = member(stats, "routes");
    assert_non_null(routes);
    print_message("    routes the provider used:\n");
    it = json_object_iter_begin(routes);
    end = json_object_iter_end(routes);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *route = json_object_iter_peek_name(&it);
        int64_t n = json_object_get_int64(json_object_iter_peek_value(&it));
        char method[16], path[256];
        if (n == 0)
            continue;
        if (sscanf(route, "%15s %255s", method, path) != 2)
            fail_msg("cannot read route \"%s\"", route);
        print_message("      %-48s %3lld  %s\n", route, (long long)n,
                      documented(method, path) ? "in the document" : "NOT IN THE DOCUMENT");
        if (!documented(method, path))
            fail_msg("the provider used %s, which %s does not document", route, OPENAPI_PATH);
        used++;
    }
    /* Never the route that returns credentials. */
    assert_int_equal(json_object_get_int64(member(routes, ROUTE_CREDENTIALS)), 0);
    /* And it did go through every path it has. */
    assert_true(json_object_get_int64(member(routes, "POST /oauth/token")) >= 2);
    assert_true(json_object_get_int64(member(routes, "GET /api/v1/connected_accounts/details")) >=
                7);
    assert_int_equal(json_object_get_int64(member(routes, "POST /api/v1/connected_accounts")), 3);
    /* Links: the EXPIRED account, and the missing one (which may be asked
     * for before and after it is created). */
    assert_true(
        json_object_get_int64(member(routes, "POST /api/v1/connected_accounts/magic_link")) >= 2);
    assert_int_equal(used, 4);
    json_object_put(stats);
}

/* ---- 2. against the recorder ---------------------------------------------- */

#define REC_MAX 64
#define REC_BODY_MAX 65536
#define REC_TOKEN "rec-token-1"

typedef struct rec_request {
    char method[16];
    char path[512];
    char query[2048]; /* without '?' */
    char content_type[128];
    char authorization[256];
    int chunked;
    char *body; /* NUL-terminated, may be empty */
    size_t body_len;
} rec_request;

/* The recorder's accounts: connector|identifier, status, and a flag that
 * makes the next details read say 404 although the account exists. */
typedef struct rec_account {
    char key[1100];
    char status[32];
    int hide_once;
} rec_account;

static struct {
    int listen_fd;
    int stop_pipe[2];
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    rec_request req[REC_MAX];
    int n;
    rec_account acct[16];
    int n_acct;
} rec;

/* Percent-decoding as application/x-www-form-urlencoded ('+' is a space).
 * Returns -1 on a malformed escape. */
static int url_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            unsigned v;
            char hex[3];
            if (i + 2 >= len)
                return -1;
            hex[0] = s[i + 1];
            hex[1] = s[i + 2];
            hex[2] = '\0';
            if (sscanf(hex, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[0]) ||
                !strchr("0123456789abcdefABCDEF", hex[1]))
                return -1;
            c = (int)v;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* Split "a=1&b=2" into a JSON object of decoded names → decoded values;
 * NULL when malformed or a name repeats. */
static json_object *form_parse(const char *s)
{
    json_object *o = json_object_new_object();
    char name[256], value[2048];
    while (*s) {
        const char *amp = strchr(s, '&'), *eq;
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        eq = memchr(s, '=', len);
        if (!eq || url_decode(s, (size_t)(eq - s), name, sizeof name) != 0 ||
            url_decode(eq + 1, len - (size_t)(eq - s) - 1, value, sizeof value) != 0 ||
            json_object_object_get_ex(o, name, NULL)) {
            json_object_put(o);
            return NULL;
        }
        json_object_object_add(o, name, json_object_new_string(value));
        s += len + (amp ? 1 : 0);
    }
    return o;
}

static rec_account *rec_find(const char *connector, const char *identifier)
{
    char key[1100];
    int i;
    snprintf(key, sizeof key, "%s|%s", connector, identifier);
    for (i = 0; i < rec.n_acct; i++)
        if (strcmp(rec.acct[i].key, key) == 0)
            return &rec.acct[i];
    return NULL;
}

static rec_account *rec_add(const char *connector, const char *identifier, const char *status)
{
    rec_account *a;
    if (rec.n_acct == (int)(sizeof rec.acct / sizeof rec.acct[0]))
        return NULL;
    a = &rec.acct[rec.n_acct++];
    snprintf(a->key, sizeof a->key, "%s|%s", connector, identifier);
    snprintf(a->status, sizeof a->status, "%s", status);
    a->hide_once = 0;
    return a;
}

static void rec_reply(int fd, int status, const char *reason, const char *body)
{
    char head[256];
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, len);
    if (write(fd, head, (size_t)n) != n || write(fd, body, len) != (ssize_t)len)
        fprintf(stderr, "recorder: short write\n");
}

static void rec_account_body(char *out, size_t cap, const char *connector,
                             const char *identifier, const char *status, const char *wrapper)
{
    json_object *o = json_object_new_object(), *a = json_object_new_object();
    json_object_object_add(a, "id", json_object_new_string("ca_rec"));
    json_object_object_add(a, "identifier", json_object_new_string(identifier));
    json_object_object_add(a, "connector", json_object_new_string(connector));
    json_object_object_add(a, "status", json_object_new_string(status));
    json_object_object_add(o, wrapper, a);
    snprintf(out, cap, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* Scalekit's answer to one recorded request (lock held). */
static void rec_answer(int fd, const rec_request *r)
{
    char body[4096];
    const char *connector = NULL, *identifier = NULL;
    json_object *params = NULL;
    rec_account *a;

    if (strcmp(r->method, "POST") == 0 && strcmp(r->path, "/oauth/token") == 0) {
        rec_reply(fd, 200, "OK",
                  "{\"access_token\":\"" REC_TOKEN "\",\"token_type\":\"Bearer\","
                  "\"expires_in\":3600,\"scope\":\"openid\"}");
        return;
    }
    if (strcmp(r->method, "GET") == 0)
        params = form_parse(r->query);
    else
        params = json_tokener_parse(r->body);
    if (params && json_object_is_type(params, json_type_object)) {
        connector = json_object_get_string(member(params, "connector"));
        identifier = json_object_get_string(member(params, "identifier"));
    }
    if (!connector || !identifier) {
        rec_reply(fd, 400, "Bad Request", "{\"code\":3,\"message\":\"connector and identifier\"}");
    } else if (strcmp(r->method, "GET") == 0 &&
               strcmp(r->path, "/api/v1/connected_accounts/details") == 0) {
        a = rec_find(connector, identifier);
        if (!a || a->hide_once) {
            if (a)
                a->hide_once = 0;
            rec_reply(fd, 404, "Not Found", "{\"code\":5,\"message\":\"not found\"}");
        } else {
            rec_account_body(body, sizeof body, connector, identifier, a->status,
                             "connected_account");
            rec_reply(fd, 200, "OK", body);
        }
    } else if (strcmp(r->method, "POST") == 0 &&
               strcmp(r->path, "/api/v1/connected_accounts") == 0) {
        if (rec_find(connector, identifier)) {
            rec_reply(fd, 409, "Conflict", "{\"code\":6,\"message\":\"already exists\"}");
        } else {
            rec_add(connector, identifier, "PENDING_AUTH");
            rec_account_body(body, sizeof body, connector, identifier, "PENDING_AUTH",
                             "connected_account");
            rec_reply(fd, 201, "Created", body);
        }
    } else if (strcmp(r->method, "POST") == 0 &&
               strcmp(r->path, "/api/v1/connected_accounts/magic_link") == 0) {
        rec_reply(fd, 200, "OK",
                  "{\"link\":\"https://rec.example.com/magic/1\","
                  "\"expiry\":\"2099-01-01T00:00:00Z\"}");
    } else {
        rec_reply(fd, 404, "Not Found", "{\"code\":5,\"message\":\"no such route\"}");
    }
    json_object_put(params);
}

/* The value of header @p name in @p head (lines after the request line). */
static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    const char *p = strstr(head, "\r\n");
    size_t nlen = strlen(name);
    out[0] = '\0';
    while (p && p[2] != '\r') {
        const char *line = p + 2, *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            size_t len;
            while (*v == ' ' || *v == '\t')
                v++;
            len = (size_t)(eol - v);
            if (len >= cap)
                len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return;
        }
        p = eol;
    }
}

/* Read one request from @p fd (5 s at most), record it, answer, close. */
static void rec_serve(int fd)
{
    size_t cap = REC_BODY_MAX + 16384, len = 0, head_len = 0, content_length = 0;
    char *buf = malloc(cap + 1), *end = NULL, target[2600], value[64], expect[64];
    rec_request r;

    if (!buf)
        return;
    memset(&r, 0, sizeof r);
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;
        if (end && len >= head_len + content_length)
            break;
        if (len == cap || poll(&p, 1, 5000) <= 0)
            goto out;
        n = read(fd, buf + len, cap - len);
        if (n <= 0)
            goto out;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            head_len = (size_t)(end - buf) + 4;
            header_value(buf, "Content-Length", value, sizeof value);
            content_length = (size_t)strtoul(value, NULL, 10);
            header_value(buf, "Transfer-Encoding", value, sizeof value);
            r.chunked = value[0] != '\0';
            if (content_length > REC_BODY_MAX || r.chunked)
                content_length = 0;
            header_value(buf, "Expect", expect, sizeof expect);
            if (strncasecmp(expect, "100-continue", 12) == 0 &&
                write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
                goto out;
        }
    }
    if (sscanf(buf, "%15s %2599s", r.method, target) != 2)
        goto out;
    {
        char *q = strchr(target, '?');
        if (q) {
            *q = '\0';
            snprintf(r.query, sizeof r.query, "%s", q + 1);
        }
        snprintf(r.path, sizeof r.path, "%.511s", target);
    }
    header_value(buf, "Content-Type", r.content_type, sizeof r.content_type);
    header_value(buf, "Authorization", r.authorization, sizeof r.authorization);
    r.body_len = content_length;
    r.body = malloc(content_length + 1);
    if (!r.body)
        goto out;
    memcpy(r.body, buf + head_len, content_length);
    r.body[content_length] = '\0';

    pthread_mutex_lock(&rec.lock);
    rec_answer(fd, &r);
    if (rec.n < REC_MAX)
        rec.req[rec.n++] = r;
    else
        free(r.body);
    pthread_mutex_unlock(&rec.lock);
out:
    free(buf);
    close(fd);
}

static void *rec_main(void *unused)
{
    (void)unused;
    for (;;) {
        struct pollfd p[2] = { { rec.listen_fd, POLLIN, 0 }, { rec.stop_pipe[0], POLLIN, 0 } };
        int fd;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        fd = accept(rec.listen_fd, NULL, NULL);
        if (fd >= 0)
            rec_serve(fd);
    }
    return NULL;
}

static void rec_start(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;

    memset(&rec, 0, sizeof rec);
    pthread_mutex_init(&rec.lock, NULL);
    rec.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(rec.listen_fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(rec.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(rec.listen_fd, (struct sockaddr *)&a, &alen), 0);
    rec.port = ntohs(a.sin_port);
    assert_int_equal(listen(rec.listen_fd, 16), 0);
    assert_int_equal(pipe(rec.stop_pipe), 0);
    assert_int_equal(pthread_create(&rec.thread, NULL, rec_main, NULL), 0);
}

static void rec_stop(void)
{
    int i;
    if (write(rec.stop_pipe[1], "x", 1) != 1)
        fprintf(stderr, "recorder: cannot stop\n");
    pthread_join(rec.thread, NULL);
    close(rec.listen_fd);
    close(rec.stop_pipe[0]);
    close(rec.stop_pipe[1]);
    for (i = 0; i < rec.n; i++)
        free(rec.req[i].body);
    rec.n = 0;
    pthread_mutex_destroy(&rec.lock);
}

/* Names and values the provider must send exactly (decoded). */
#define REC_CONNECTOR "google drive:v2"
#define REC_SECRET "s3cr3t&=+ %/?#XYZ"
#define REC_ID_ACTIVE "ann+x@example.com"
#define REC_ID_MISSING "a b&c=d/e?f#g%41"
#define REC_ID_RACE "race_user"

/* Every member of @p value, at every depth, is a property its schema lists
 * (through $ref), with the type the schema gives (object or string). */
static void check_schema(const rec_request *r, json_object *value, json_object *schema,
                         const char *where)
{
    struct json_object_iterator it, end;
    json_object *props = member(resolve(schema), "properties");

    if (!json_object_is_type(value, json_type_object))
        return;
    it = json_object_iter_begin(value);
    end = json_object_iter_end(value);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *name = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it);
        json_object *sub = member(props, name);
        const char *type;
        char path[256];
        snprintf(path, sizeof path, "%s.%s", where, name);
        if (!sub)
            fail_msg("%s %s sends body field \"%s\", which the document does not list",
                     r->method, r->path, path);
        type = json_object_get_string(member(resolve(sub), "type"));
        if (type && strcmp(type, "object") == 0 && !json_object_is_type(v, json_type_object))
            fail_msg("%s %s: %s must be an object", r->method, r->path, path);
        if (type && strcmp(type, "string") == 0 && !json_object_is_type(v, json_type_string))
            fail_msg("%s %s: %s must be a string", r->method, r->path, path);
        check_schema(r, v, sub, path);
    }
}

/* The connector and identifier of a request (query or JSON body) are one of
 * the pairs used, exactly; every other field is documented. */
static void check_fields(const rec_request *r, json_object *fields, int is_query)
{
    struct json_object_iterator it = json_object_iter_begin(fields),
                                end = json_object_iter_end(fields);
    const char *c = json_object_get_string(member(fields, "connector"));
    const char *i = json_object_get_string(member(fields, "identifier"));

    if (!is_query) {
        json_object *schema = member(
            member(member(member(operation(r->method, r->path), "requestBody"), "content"),
                   "application/json"),
            "schema");
        assert_non_null(schema);
        check_schema(r, fields, schema, "body");
    }
    for (; is_query && !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *name = json_object_iter_peek_name(&it);
        if (!documented_query_param(r->method, r->path, name))
            fail_msg("%s %s sends query parameter \"%s\", which the document does not list",
                     r->method, r->path, name);
    }
    if (!c || !i)
        fail_msg("%s %s lacks connector or identifier", r->method, r->path);
    if (!json_object_is_type(member(fields, "connector"), json_type_string) ||
        !json_object_is_type(member(fields, "identifier"), json_type_string))
        fail_msg("%s %s: connector and identifier must be strings", r->method, r->path);
    assert_string_equal(c, REC_CONNECTOR);
    if (strcmp(i, REC_ID_ACTIVE) != 0 && strcmp(i, REC_ID_MISSING) != 0 &&
        strcmp(i, REC_ID_RACE) != 0)
        fail_msg("%s %s: identifier \"%s\" is none of those asked for", r->method, r->path, i);
}

static void test_request_shapes(void **unused)
{
    char url[64];
    int64_t expires = 0;
    void *p;
    int i, tokens = 0, details = 0, creates = 0, links = 0;
    (void)unused;

    rec_start();
    rec_add(REC_CONNECTOR, REC_ID_ACTIVE, "ACTIVE");
    rec_add(REC_CONNECTOR, REC_ID_RACE, "ACTIVE")->hide_once = 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", rec.port);
    p = make_provider(url, DEV_ID, REC_SECRET);

    assert_int_equal(status_of(p, REC_CONNECTOR, REC_ID_ACTIVE), TG_STATUS_ACTIVE);
    assert_int_equal(status_of(p, REC_CONNECTOR, REC_ID_MISSING), TG_STATUS_PENDING);
    link_of(p, REC_CONNECTOR, REC_ID_MISSING, &expires);
    assert_int_equal(expires, 4070908800000LL); /* 2099-01-01T00:00:00Z */
    assert_int_equal(status_of(p, REC_CONNECTOR, REC_ID_RACE), TG_STATUS_ACTIVE); /* 404, 409 */
    vt()->destroy(p);

    pthread_mutex_lock(&rec.lock);
    print_message("    requests the provider sent:\n");
    for (i = 0; i < rec.n; i++) {
        const rec_request *r = &rec.req[i];
        print_message("      %-5s %s%s%s  %s\n", r->method, r->path, r->query[0] ? "?" : "",
                      r->query, r->body_len ? "(body)" : "");
        if (r->chunked)
            fail_msg("%s %s: chunked body", r->method, r->path);
        if (!documented(r->method, r->path))
            fail_msg("%s %s is not in the document", r->method, r->path);
        if (strcmp(r->path, "/api/v1/connected_accounts/auth") == 0)
            fail_msg("the provider called the credential route");

        if (strcmp(r->path, token_path()) == 0) {
            /* The client-credentials grant, form-encoded, values decoded exactly. */
            json_object *form = form_parse(r->body);
            tokens++;
            assert_string_equal(r->query, "");
            if (strncmp(r->content_type, "application/x-www-form-urlencoded", 33) != 0)
                fail_msg("token request Content-Type \"%s\"", r->content_type);
            if (!form)
                fail_msg("token request body is not a form: %s", r->body);
            assert_int_equal(json_object_object_length(form), 3);
            assert_string_equal(json_object_get_string(member(form, "grant_type")),
                                "client_credentials");
            assert_string_equal(json_object_get_string(member(form, "client_id")), DEV_ID);
            assert_string_equal(json_object_get_string(member(form, "client_secret")),
                                REC_SECRET);
            json_object_put(form);
            continue;
        }

        /* Every API call: the bearer token from the token endpoint. */
        assert_string_equal(r->authorization, "Bearer " REC_TOKEN);
        if (strcmp(r->method, "GET") == 0) {
            json_object *q = form_parse(r->query);
            details += strcmp(r->path, "/api/v1/connected_accounts/details") == 0;
            if (!q)
                fail_msg("malformed query: %s", r->query);
            assert_int_equal(r->body_len, 0);
            check_fields(r, q, 1);
            json_object_put(q);
        } else {
            json_object *b = json_tokener_parse(r->body);
            creates += strcmp(r->path, "/api/v1/connected_accounts") == 0;
            links += strcmp(r->path, "/api/v1/connected_accounts/magic_link") == 0;
            assert_string_equal(r->query, "");
            if (strncmp(r->content_type, "application/json", 16) != 0)
                fail_msg("%s %s: Content-Type \"%s\"", r->method, r->path, r->content_type);
            if (!b || !json_object_is_type(b, json_type_object))
                fail_msg("%s %s: body is not a JSON object: %s", r->method, r->path, r->body);
            check_fields(r, b, 0);
            /* A create says what the official SDKs say: an OAuth account whose
             * credentials come later. A link request carries no account. */
            if (strcmp(r->path, "/api/v1/connected_accounts") == 0)
                assert_string_equal(
                    json_object_to_json_string_ext(member(b, "connected_account"),
                                                   JSON_C_TO_STRING_PLAIN),
                    "{\"authorization_details\":{\"oauth_token\":{}}}");
            else
                assert_null(member(b, "connected_account"));
            assert_int_equal(json_object_object_length(b),
                             strcmp(r->path, "/api/v1/connected_accounts") == 0 ? 3 : 2);
            json_object_put(b);
        }
    }
    /* One token, reused. Reads: the ACTIVE one, the missing one (404), the
     * race (404, then again after the 409). Creates: the missing one and the
     * race (409). One link. */
    print_message("    token %d, details %d, create %d, magic_link %d\n", tokens, details,
                  creates, links);
    assert_int_equal(tokens, 1);
    assert_true(details >= 4);
    assert_int_equal(creates, 2);
    assert_int_equal(links, 1);
    pthread_mutex_unlock(&rec.lock);
    rec_stop();
}

/* ---- fixtures ------------------------------------------------------------- */

static int group_setup(void **unused)
{
    (void)unused;
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    if (load_openapi() != 0)
        return -1;
    return tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, DEV_SECRET);
}

static int group_teardown(void **unused)
{
    int rc;
    (void)unused;
    rc = tg_dev_stop(&dev);
    json_object_put(openapi);
    openapi = NULL;
    curl_global_cleanup();
    if (rc != 0) {
        fprintf(stderr, "scalekit-dev did not exit cleanly on SIGTERM (%d)\n", rc);
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_dev_server_routes),
        cmocka_unit_test(test_request_shapes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
