/* The scalekit provider through its method table, against the dev server
 * (tools/scalekit-dev) over loopback: statuses, get-or-create, links, the
 * access token's life, every injected fault within the time budget,
 * keep-alive and concurrency. The tests start the server (port 0) and always
 * stop it. Tests that need no server (configuration, refused connections, the
 * loadable module) run without it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "plugin.h"
#include "scalekit_provider.h"
#include "dev_server.h"
#include "secret_check.h"

#define DEV_ID "dev_client"
/* Distinctive, so a leak in any encoding is found (secret_check.h). */
#define DEV_SECRET "s3cr3t-dev-XYZ-0815"
#define WRONG_SECRET "not-the-s3cr3t-4711"
#define MARGIN_MS 1500 /* allowed past timeout_ms: generous, against flaky timing */

/* ---- the dev server ----------------------------------------------------- */

static tg_dev dev = { 0, -1, "" };

/* One handle, so the test's own requests share one kept-alive connection and
 * the server's connection counter shows the provider's. Main thread only. */
static CURL *admin_handle;

static int group_setup(void **unused)
{
    (void)unused;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    return tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, DEV_SECRET);
}

static int group_teardown(void **unused)
{
    int rc;
    (void)unused;
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
    rc = tg_dev_stop(&dev);
    if (admin_handle)
        curl_easy_cleanup(admin_handle);
    admin_handle = NULL;
    if (rc != 0) {
        fprintf(stderr, "scalekit-dev did not exit cleanly on SIGTERM (%d)\n", rc);
        return -1;
    }
    return 0;
}

/* ---- talking to the dev server directly -------------------------------- */

typedef struct buf {
    char *data;
    size_t len;
} buf;

static size_t buf_write(char *p, size_t size, size_t n, void *u)
{
    buf *b = u;
    char *d = realloc(b->data, b->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, size * n);
    b->data = d;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* A request to the dev server; returns the HTTP status, body in *out. */
static long dev_http(const char *method, const char *url, const char *body, char **out)
{
    CURL *c = admin_handle;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    buf b = { NULL, 0 };
    long status = 0;
    if (!c)
        c = admin_handle = curl_easy_init();
    assert_non_null(c);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_reset(c);
    curl_slist_free_all(h);
    if (out)
        *out = b.data;
    else
        free(b.data);
    return status;
}

static void dev_admin(const char *path, const char *body)
{
    char url[256];
    char *out = NULL;
    long st;
    snprintf(url, sizeof url, "%s%s", dev.url, path);
    st = dev_http("POST", url, body, &out);
    if (st != 200)
        print_error("POST %s %s: HTTP %ld %s\n", path, body ? body : "", st, out ? out : "");
    free(out);
    assert_int_equal(st, 200);
}

static void set_account(const char *connector, const char *identifier, const char *status)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "connector", json_object_new_string(connector));
    json_object_object_add(o, "identifier", json_object_new_string(identifier));
    json_object_object_add(o, "status", json_object_new_string(status));
    dev_admin("/_dev/accounts", json_object_to_json_string(o));
    json_object_put(o);
}

static void fault(const char *json)
{
    dev_admin("/_dev/faults", json);
}

/* A counter from GET /_dev/stats: a top-level field, or "routes"/"keys"
 * member when sub is given. Missing counts as 0. */
static long long stat(const char *field, const char *sub)
{
    char url[256];
    char *out = NULL;
    json_object *root, *v;
    long long n = 0;
    snprintf(url, sizeof url, "%s/_dev/stats", dev.url);
    assert_int_equal(dev_http("GET", url, NULL, &out), 200);
    root = json_tokener_parse(out);
    free(out);
    assert_non_null(root);
    if (json_object_object_get_ex(root, field, &v)) {
        if (sub) {
            json_object *w;
            if (json_object_object_get_ex(v, sub, &w))
                n = json_object_get_int64(w);
        } else {
            n = json_object_get_int64(v);
        }
    }
    json_object_put(root);
    return n;
}

#define ROUTE_DETAILS "GET /api/v1/connected_accounts/details"
#define ROUTE_CREATE "POST /api/v1/connected_accounts"
#define ROUTE_LINK "POST /api/v1/connected_accounts/magic_link"
#define ROUTE_CREDENTIALS "GET /api/v1/connected_accounts/auth"

/* Per test: no fault left queued, counters at zero. */
static int needs_dev(void **unused)
{
    (void)unused;
    dev_admin("/_dev/reset", "{}");
    return 0;
}

/* ---- the provider ------------------------------------------------------- */

static const tg_provider *vt(void)
{
    const tg_provider *p = tg__scalekit_provider_entry(TG_PROVIDER_ABI_VERSION);
    assert_non_null(p);
    return p;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A provider on the dev server with the given credentials and extra keys. */
static void *make_with(const char *id, const char *secret, const char *extra)
{
    char config[1024];
    void *state = NULL;
    int rc;
    snprintf(config, sizeof config,
             "{\"environment_url\":\"%s\",\"client_id\":\"%s\",\"client_secret\":\"%s\"%s%s}",
             dev.url, id, secret, extra ? "," : "", extra ? extra : "");
    rc = vt()->create(tg__host(), config, ".", NULL, &state);
    if (rc != TG_OK)
        print_error("create: %d %s\n", rc, tg_error_message());
    assert_int_equal(rc, TG_OK);
    assert_non_null(state);
    return state;
}

static void *make(const char *extra)
{
    return make_with(DEV_ID, DEV_SECRET, extra);
}

static tg_status status_of(void *p, const char *c, const char *i)
{
    tg_status s = (tg_status)99;
    int rc = vt()->get_status(p, c, i, &s);
    if (rc != TG_OK)
        print_error("get_status(%s, %s): %d %s\n", c, i, rc, tg_error_message());
    assert_int_equal(rc, TG_OK);
    return s;
}

/* @p text never shows the client secrets or a token the server issued, in
 * any encoding (secret_check.h). */
static void assert_clean(const char *what, const char *text)
{
    json_object *tokens = tg_dev_tokens(&dev);
    size_t i, n = strlen(text);
    assert_non_null(tokens);
    if (tg_test_secret_shows(text, n, DEV_SECRET) || tg_test_secret_shows(text, n, WRONG_SECRET))
        fail_msg("%s shows the client secret: %s", what, text);
    for (i = 0; i < json_object_array_length(tokens); i++) {
        const char *t = json_object_get_string(json_object_array_get_idx(tokens, i));
        if (tg_test_secret_shows(text, n, t))
            fail_msg("%s shows an access token: %s", what, text);
    }
    json_object_put(tokens);
}

/* The message of the last failure never shows a secret. */
static void assert_no_secret(void)
{
    assert_clean("tg_error_message()", tg_error_message());
}

/* The last failure's message is exactly @p want. */
static void expect_message(const char *want)
{
    if (strcmp(tg_error_message(), want) != 0)
        fail_msg("message\n  expected: %s\n  actual:   %s", want, tg_error_message());
}

/* The last failure's message begins with @p want. */
static void expect_prefix(const char *want)
{
    if (strncmp(tg_error_message(), want, strlen(want)) != 0)
        fail_msg("message\n  expected to begin: %s\n  actual: %s", want, tg_error_message());
}

/* ---- statuses ----------------------------------------------------------- */

static void test_active(void **unused)
{
    void *p;
    (void)unused;
    set_account("gmail", "user_123", "ACTIVE");
    set_account("gmail", "john+x@acme.com", "ACTIVE");
    set_account("google drive:v2", "a b&c=d/e?f#g", "ACTIVE");
    p = make(NULL);
    assert_int_equal(status_of(p, "gmail", "user_123"), TG_STATUS_ACTIVE);
    assert_int_equal(status_of(p, "gmail", "john+x@acme.com"), TG_STATUS_ACTIVE);
    assert_int_equal(status_of(p, "google drive:v2", "a b&c=d/e?f#g"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
    /* Encoded and decoded right: the server counted exactly these keys. */
    assert_int_equal(stat("keys", "gmail|user_123"), 1);
    assert_int_equal(stat("keys", "gmail|john+x@acme.com"), 1);
    assert_int_equal(stat("keys", "google drive:v2|a b&c=d/e?f#g"), 1);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 3);
    assert_int_equal(stat("routes", ROUTE_CREDENTIALS), 0);
    assert_int_equal(stat("routes", ROUTE_CREATE), 0);
}

static void test_statuses(void **unused)
{
    static const struct {
        const char *wire;
        tg_status status;
    } cases[] = {
        { "EXPIRED", TG_STATUS_EXPIRED },
        { "PENDING_AUTH", TG_STATUS_PENDING },
        { "PENDING_VERIFICATION", TG_STATUS_PENDING_VERIFICATION },
        { "DISCONNECTED", TG_STATUS_REVOKED },
        { "CONNECTION_STATUS_UNSPECIFIED", TG_STATUS_UNKNOWN },
        { "ACTIVE", TG_STATUS_ACTIVE },
    };
    void *p;
    size_t i;
    char id[64];
    (void)unused;
    p = make(NULL);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(id, sizeof id, "status_%s", cases[i].wire);
        set_account("slack", id, cases[i].wire);
        assert_int_equal(status_of(p, "slack", id), cases[i].status);
    }
    /* A status change on the server shows on the next call (no caching here). */
    set_account("slack", "status_ACTIVE", "EXPIRED");
    assert_int_equal(status_of(p, "slack", "status_ACTIVE"), TG_STATUS_EXPIRED);
    vt()->destroy(p);
    assert_int_equal(stat("routes", ROUTE_CREATE), 0);
}

static void test_missing_created(void **unused)
{
    void *p;
    (void)unused;
    p = make(NULL);
    assert_int_equal(status_of(p, "notion", "new_user_1"), TG_STATUS_PENDING);
    assert_int_equal(stat("routes", ROUTE_CREATE), 1);
    /* It exists now: read, not created again. */
    assert_int_equal(status_of(p, "notion", "new_user_1"), TG_STATUS_PENDING);
    assert_int_equal(stat("routes", ROUTE_CREATE), 1);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 2);
    vt()->destroy(p);

    p = make("\"create_missing\":false");
    assert_int_equal(status_of(p, "notion", "new_user_2"), TG_STATUS_NOT_FOUND);
    assert_int_equal(status_of(p, "notion", "new_user_2"), TG_STATUS_NOT_FOUND);
    assert_int_equal(stat("routes", ROUTE_CREATE), 1);
    vt()->destroy(p);
}

/* ---- links -------------------------------------------------------------- */

static void test_link(void **unused)
{
    char link[TG_LINK_MAX + 1], prefix[128];
    int64_t expires = -1, before = wall_ms();
    void *p;
    (void)unused;
    set_account("gmail", "link_user", "EXPIRED");
    p = make(NULL);
    assert_int_equal(status_of(p, "gmail", "link_user"), TG_STATUS_EXPIRED);
    assert_int_equal(vt()->get_link(p, "gmail", "link_user", link, sizeof link, &expires), TG_OK);
    snprintf(prefix, sizeof prefix, "%s/magic/", dev.url);
    assert_memory_equal(link, prefix, strlen(prefix));
    assert_true(expires > before);
    assert_true(expires < before + 24LL * 3600 * 1000);
    assert_int_equal(stat("routes", ROUTE_LINK), 1);

    /* The user opens the link: the account becomes ACTIVE. */
    assert_int_equal(dev_http("GET", link, NULL, NULL), 200);
    assert_int_equal(status_of(p, "gmail", "link_user"), TG_STATUS_ACTIVE);

    /* A NULL expiry pointer is fine too. */
    assert_int_equal(vt()->get_link(p, "gmail", "link_user", link, sizeof link, NULL), TG_OK);
    vt()->destroy(p);
}

static void test_link_missing_account(void **unused)
{
    char link[TG_LINK_MAX + 1];
    int64_t expires = -1;
    void *p;
    (void)unused;
    p = make(NULL);
    assert_int_equal(vt()->get_link(p, "gmail", "link_new_1", link, sizeof link, &expires), TG_OK);
    assert_true(strlen(link) > 0);
    assert_true(expires > 0);
    assert_int_equal(status_of(p, "gmail", "link_new_1"), TG_STATUS_PENDING);
    vt()->destroy(p);

    p = make("\"create_missing\":false");
    assert_int_equal(vt()->get_link(p, "gmail", "link_new_2", link, sizeof link, &expires),
                     TG_EPROVIDER);
    assert_string_equal(link, "");
    assert_int_equal(expires, 0);
    assert_non_null(strstr(tg_error_message(), "create_missing is false"));
    vt()->destroy(p);
}

/* ---- the access token --------------------------------------------------- */

static void test_token_reuse(void **unused)
{
    void *p;
    int i;
    (void)unused;
    set_account("gmail", "token_user", "ACTIVE");
    p = make(NULL);
    for (i = 0; i < 50; i++)
        assert_int_equal(status_of(p, "gmail", "token_user"), TG_STATUS_ACTIVE);
    assert_int_equal(stat("token_requests", NULL), 1);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 50);
    vt()->destroy(p);
}

static void test_token_refresh_on_401(void **unused)
{
    void *p;
    (void)unused;
    set_account("gmail", "refresh_user", "ACTIVE");
    p = make(NULL);
    assert_int_equal(status_of(p, "gmail", "refresh_user"), TG_STATUS_ACTIVE);
    assert_int_equal(stat("token_requests", NULL), 1);
    dev_admin("/_dev/tokens/revoke", "{}");
    assert_int_equal(status_of(p, "gmail", "refresh_user"), TG_STATUS_ACTIVE);
    assert_int_equal(stat("token_requests", NULL), 2);
    /* One 401, one retry. */
    assert_int_equal(stat("routes", ROUTE_DETAILS), 3);
    /* And the new token is kept. */
    assert_int_equal(status_of(p, "gmail", "refresh_user"), TG_STATUS_ACTIVE);
    assert_int_equal(stat("token_requests", NULL), 2);
    vt()->destroy(p);
}

static void test_bad_credentials(void **unused)
{
    char link[TG_LINK_MAX + 1];
    tg_status s;
    void *p;
    int rc;
    (void)unused;
    set_account("gmail", "cred_user", "ACTIVE");
    p = make_with(DEV_ID, WRONG_SECRET, NULL); /* creating does not talk to the server */
    rc = vt()->get_status(p, "gmail", "cred_user", &s);
    assert_int_equal(rc, TG_ECONFIG);
    assert_string_equal(tg_error_message(),
                        "scalekit: HTTP 401 from /oauth/token: the token endpoint refused the "
                        "client credentials (check provider.client_id and "
                        "provider.client_secret)");
    assert_no_secret();
    rc = vt()->get_link(p, "gmail", "cred_user", link, sizeof link, NULL);
    assert_int_equal(rc, TG_ECONFIG);
    assert_no_secret();
    vt()->destroy(p);

    p = make_with("someone_else", DEV_SECRET, NULL);
    assert_int_equal(vt()->get_status(p, "gmail", "cred_user", &s), TG_ECONFIG);
    assert_no_secret();
    vt()->destroy(p);
    /* Never retried, never reached the API. */
    assert_int_equal(stat("token_requests", NULL), 3);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 0);
}

/* ---- faults ------------------------------------------------------------- */

/* get_status on an ACTIVE account under the queued fault: the result code,
 * within timeout_ms + MARGIN_MS; prints the measured time. */
static int faulty_call(void *p, const char *id, int64_t timeout_ms, const char *what,
                       int64_t *elapsed_out)
{
    tg_status s = (tg_status)99;
    int64_t t0 = now_ms(), elapsed;
    int rc = vt()->get_status(p, "gmail", id, &s);
    elapsed = now_ms() - t0;
    print_message("    %-28s rc=%d after %4lld ms: %s\n", what, rc, (long long)elapsed,
                  rc == TG_OK ? "ok" : tg_error_message());
    if (rc != TG_OK) {
        assert_int_equal(s, 99); /* no status standing in for a failure */
        assert_no_secret();
    }
    assert_true(elapsed <= timeout_ms + MARGIN_MS);
    if (elapsed_out)
        *elapsed_out = elapsed;
    return rc;
}

static void *fault_provider(const char *id, int64_t timeout_ms)
{
    char extra[64];
    void *p;
    snprintf(extra, sizeof extra, "\"timeout_ms\":%lld", (long long)timeout_ms);
    set_account("gmail", id, "ACTIVE");
    p = make(extra);
    /* The token is fetched before any fault, which then hits the API only. */
    assert_int_equal(status_of(p, "gmail", id), TG_STATUS_ACTIVE);
    return p;
}

static void expect_failure(int rc)
{
    if (rc != TG_EPROVIDER && rc != TG_ETIMEOUT)
        print_error("expected a provider error or a timeout, got %d\n", rc);
    assert_true(rc == TG_EPROVIDER || rc == TG_ETIMEOUT);
}

static void test_fault_latency(void **unused)
{
    int64_t elapsed;
    void *p;
    (void)unused;
    p = fault_provider("fault_latency", 1000);
    fault("{\"latency_ms\":3000,\"routes\":\"/api/\"}");
    assert_int_equal(faulty_call(p, "fault_latency", 1000, "latency 3000 ms", &elapsed),
                     TG_ETIMEOUT);
    assert_true(elapsed >= 900);
    expect_message("scalekit: timed out after 1000 ms waiting for "
                   "/api/v1/connected_accounts/details (provider.timeout_ms bounds the whole "
                   "check)");
    /* It recovers. */
    assert_int_equal(status_of(p, "gmail", "fault_latency"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
}

static void test_fault_503_burst(void **unused)
{
    void *p;
    (void)unused;
    p = fault_provider("fault_503", 2000);
    dev_admin("/_dev/reset", "{}");
    fault("{\"status\":503,\"count\":2,\"routes\":\"/api/\"}");
    assert_int_equal(faulty_call(p, "fault_503", 2000, "503 x2 then ok", NULL), TG_OK);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 3);
    vt()->destroy(p);
}

static void test_fault_503_forever(void **unused)
{
    void *p;
    int64_t elapsed;
    (void)unused;
    p = fault_provider("fault_503_forever", 1000);
    dev_admin("/_dev/reset", "{}");
    fault("{\"status\":503,\"count\":100000,\"routes\":\"/api/\"}");
    assert_int_equal(faulty_call(p, "fault_503_forever", 1000, "503 forever", &elapsed),
                     TG_EPROVIDER);
    /* What failed, where, how often, and the service's own words. */
    {
        char want[256];
        snprintf(want, sizeof want,
                 "scalekit: HTTP 503 from /api/v1/connected_accounts/details after %lld "
                 "attempts: \"injected fault: Service Unavailable\"",
                 stat("routes", ROUTE_DETAILS));
        expect_message(want);
    }
    /* Retried with backoff, not hammered. */
    assert_true(stat("routes", ROUTE_DETAILS) >= 3);
    assert_true(stat("routes", ROUTE_DETAILS) <= 12);
    vt()->destroy(p);
    dev_admin("/_dev/reset", "{}");
}

static void test_fault_429(void **unused)
{
    void *p;
    int64_t elapsed;
    (void)unused;
    p = fault_provider("fault_429", 1000);
    dev_admin("/_dev/reset", "{}");
    fault("{\"status\":429,\"count\":5,\"routes\":\"/api/\"}");
    assert_int_equal(faulty_call(p, "fault_429", 1000, "429", &elapsed), TG_EPROVIDER);
    expect_message("scalekit: HTTP 429 (rate limited) from /api/v1/connected_accounts/details: "
                   "\"injected fault: Too Many Requests\"");
    assert_int_equal(stat("routes", ROUTE_DETAILS), 1); /* not retried */
    assert_true(elapsed < 500);
    vt()->destroy(p);
    dev_admin("/_dev/reset", "{}");
}

static void test_fault_500(void **unused)
{
    void *p;
    (void)unused;
    p = fault_provider("fault_500", 1000);
    dev_admin("/_dev/reset", "{}");
    fault("{\"status\":500,\"routes\":\"/api/\"}");
    expect_failure(faulty_call(p, "fault_500", 1000, "500", NULL));
    expect_message("scalekit: HTTP 500 from /api/v1/connected_accounts/details: "
                   "\"injected fault: Internal Server Error\"");
    assert_int_equal(stat("routes", ROUTE_DETAILS), 1);
    assert_int_equal(status_of(p, "gmail", "fault_500"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
}

static void body_fault(const char *kind, int count, const char *expect_text)
{
    char json[128], id[64], what[64];
    void *p;
    snprintf(id, sizeof id, "fault_body_%s", kind);
    p = fault_provider(id, 1000);
    snprintf(json, sizeof json, "{\"body\":\"%s\",\"count\":%d,\"routes\":\"/api/\"}", kind,
             count);
    fault(json);
    snprintf(what, sizeof what, "body %s", kind);
    expect_failure(faulty_call(p, id, 1000, what, NULL));
    if (strncmp(tg_error_message(), expect_text, strlen(expect_text)) != 0)
        fail_msg("message does not begin \"%s\": %s", expect_text, tg_error_message());
    /* The provider recovers on the next call. */
    assert_int_equal(status_of(p, "gmail", id), TG_STATUS_ACTIVE);
    vt()->destroy(p);
}

static void test_fault_truncate(void **unused)
{
    (void)unused;
    body_fault("truncate", 1,
               "scalekit: the answer of /api/v1/connected_accounts/details was cut short");
}

static void test_fault_oversize(void **unused)
{
    (void)unused;
    body_fault("oversize", 1,
               "scalekit: the answer of /api/v1/connected_accounts/details is larger than 65536 "
               "bytes");
}

static void test_fault_garbage(void **unused)
{
    (void)unused;
    body_fault("garbage", 1,
               "scalekit: the answer of /api/v1/connected_accounts/details is not JSON (a syntax "
               "error): it begins \"<html><body><h1>502 Bad Gateway</h1>");
}

static void test_fault_close(void **unused)
{
    (void)unused;
    /* libcurl itself resends a request once when a reused connection dies
     * before any answer (the server may have closed it while idle): the
     * second close is the one the provider sees. */
    {
        char want[160];
        snprintf(want, sizeof want, "scalekit: %s closed the connection without answering "
                                    "/api/v1/connected_accounts/details",
                 dev.url + strlen("http://"));
        body_fault("close", 2, want);
    }
}

static void test_fault_slow(void **unused)
{
    (void)unused;
    body_fault("slow", 1,
               "scalekit: timed out after 1000 ms waiting for /api/v1/connected_accounts/details");
}

/* Faults at the token endpoint, on a provider without a token yet. */
static void test_fault_token_endpoint(void **unused)
{
    void *p;
    (void)unused;
    set_account("gmail", "fault_token", "ACTIVE");
    p = make("\"timeout_ms\":1000");
    fault("{\"status\":503,\"count\":100000,\"routes\":\"/oauth/\"}");
    assert_int_equal(faulty_call(p, "fault_token", 1000, "token 503 forever", NULL), TG_EPROVIDER);
    expect_prefix("scalekit: HTTP 503 from /oauth/token after ");
    dev_admin("/_dev/reset", "{}");
    fault("{\"status\":429,\"routes\":\"/oauth/\"}");
    assert_int_equal(faulty_call(p, "fault_token", 1000, "token 429", NULL), TG_EPROVIDER);
    expect_prefix("scalekit: HTTP 429 (rate limited) from /oauth/token");
    assert_int_equal(stat("token_requests", NULL), 1);
    fault("{\"body\":\"garbage\",\"routes\":\"/oauth/\"}");
    assert_int_equal(faulty_call(p, "fault_token", 1000, "token garbage", NULL), TG_EPROVIDER);
    expect_prefix("scalekit: the answer of /oauth/token is not JSON");
    fault("{\"latency_ms\":3000,\"routes\":\"/oauth/\"}");
    assert_int_equal(faulty_call(p, "fault_token", 1000, "token latency", NULL), TG_ETIMEOUT);
    expect_prefix("scalekit: timed out after 1000 ms waiting for /oauth/token");
    assert_int_equal(status_of(p, "gmail", "fault_token"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
}

/* Faults on the create and link routes. */
static void test_fault_other_routes(void **unused)
{
    char link[TG_LINK_MAX + 1];
    void *p;
    int rc;
    (void)unused;
    p = fault_provider("fault_routes", 1000);
    fault("{\"status\":503,\"count\":100000,\"routes\":\"/api/v1/connected_accounts/magic_link\"}");
    rc = vt()->get_link(p, "gmail", "fault_routes", link, sizeof link, NULL);
    assert_int_equal(rc, TG_EPROVIDER);
    assert_string_equal(link, "");
    dev_admin("/_dev/reset", "{}");
    fault("{\"body\":\"garbage\",\"routes\":\"/api/v1/connected_accounts/magic_link\"}");
    rc = vt()->get_link(p, "gmail", "fault_routes", link, sizeof link, NULL);
    assert_int_equal(rc, TG_EPROVIDER);
    dev_admin("/_dev/reset", "{}");
    /* A missing account whose creation fails: an error, not a status. */
    /* Faults match in queue order: the 404 takes the read, the 500 the create. */
    fault("{\"status\":404,\"routes\":\"/api/v1/connected_accounts/details\",\"count\":1}");
    fault("{\"status\":500,\"routes\":\"/api/v1/connected_accounts\",\"count\":1}");
    assert_int_equal(faulty_call(p, "fault_routes_missing", 1000, "500 on create", NULL),
                     TG_EPROVIDER);
    vt()->destroy(p);
}

/* ---- connections -------------------------------------------------------- */

static void test_keepalive(void **unused)
{
    void *p;
    int i;
    (void)unused;
    set_account("gmail", "keepalive_user", "EXPIRED");
    p = make(NULL);
    dev_admin("/_dev/reset", "{}");
    for (i = 0; i < 100; i++)
        assert_int_equal(status_of(p, "gmail", "keepalive_user"), TG_STATUS_EXPIRED);
    print_message("    100 sequential calls: %lld connections, %lld requests\n",
                  stat("connections", NULL), stat("requests", NULL));
    assert_true(stat("connections", NULL) <= 2);
    assert_int_equal(stat("routes", ROUTE_DETAILS), 100);
    vt()->destroy(p);
}

typedef struct worker {
    void *p;
    int index;
    int calls;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char id[64];
    int i;
    for (i = 0; i < w->calls; i++) {
        tg_status s = (tg_status)99;
        /* Every fourth call is on an account nobody created: get-or-create
         * races between threads (201 for one, 409 for the others). */
        if (i % 4 == 3)
            snprintf(id, sizeof id, "race_%d", i);
        else
            snprintf(id, sizeof id, "conc_%d", (w->index + i) % 8);
        if (vt()->get_status(w->p, "gmail", id, &s) != TG_OK) {
            fprintf(stderr, "thread %d call %d: %s\n", w->index, i, tg_error_message());
            w->failures++;
        } else if (i % 4 == 3 ? s != TG_STATUS_PENDING : s != TG_STATUS_ACTIVE) {
            fprintf(stderr, "thread %d call %d: status %d\n", w->index, i, (int)s);
            w->failures++;
        }
    }
    return NULL;
}

static void test_concurrency(void **unused)
{
    enum { THREADS = 16, CALLS = 60 };
    pthread_t t[THREADS];
    worker w[THREADS];
    char id[64];
    void *p;
    int i;
    (void)unused;
    for (i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "conc_%d", i);
        set_account("gmail", id, "ACTIVE");
    }
    p = make(NULL);
    dev_admin("/_dev/reset", "{}");
    for (i = 0; i < THREADS; i++) {
        w[i].p = p;
        w[i].index = i;
        w[i].calls = CALLS;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < THREADS; i++)
        assert_int_equal(w[i].failures, 0);
    print_message("    %d threads x %d calls: %lld token requests, %lld connections, "
                  "%lld creates\n",
                  THREADS, CALLS, stat("token_requests", NULL), stat("connections", NULL),
                  stat("routes", ROUTE_CREATE));
    assert_int_equal(stat("token_requests", NULL), 1);
    assert_true(stat("connections", NULL) <= THREADS + 1);
    vt()->destroy(p);
}

/* ---- through a gate ----------------------------------------------------- */

static tg_gate *make_gate(void)
{
    char config[1024];
    tg_gate *g = NULL;
    int rc;
    snprintf(config, sizeof config,
             "{\"provider\":{\"environment_url\":\"%s\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" DEV_SECRET "\",\"timeout_ms\":1000},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             dev.url);
    rc = tg_gate_new_with_provider(&g, config, ".", vt(), NULL);
    if (rc != TG_OK)
        print_error("gate: %d %s\n", rc, tg_error_message());
    assert_int_equal(rc, TG_OK);
    return g;
}

/* The seed flow end to end: blocked with a link, the user consents, allowed;
 * and a provider outage is UNAVAILABLE, never NEEDS_AUTHORIZATION. */
static void test_gate_flow(void **unused)
{
    tg_decision *d = tg_decision_new();
    char prefix[128];
    int64_t t0, elapsed;
    tg_gate *g;
    (void)unused;
    assert_non_null(d);
    set_account("gmail", "flow_user", "EXPIRED");
    g = make_gate();
    assert_int_equal(tg_gate_check(g, "gmail_send_email", "flow_user", d), TG_OK);
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(d), TG_STATUS_EXPIRED);
    snprintf(prefix, sizeof prefix, "%s/magic/", dev.url);
    assert_non_null(tg_decision_link(d));
    assert_memory_equal(tg_decision_link(d), prefix, strlen(prefix));
    assert_true(tg_decision_link_expires_at(d) > 0);

    assert_int_equal(dev_http("GET", tg_decision_link(d), NULL, NULL), 200);
    assert_int_equal(tg_gate_invalidate(g, "gmail", "flow_user"), TG_OK);
    assert_int_equal(tg_gate_check(g, "gmail_send_email", "flow_user", d), TG_OK);
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_ALLOW);

    /* A missing account: created, PENDING, with a link. */
    assert_int_equal(tg_gate_check(g, "gmail_send_email", "flow_new_user", d), TG_OK);
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_NEEDS_AUTHORIZATION);
    assert_int_equal(tg_decision_status(d), TG_STATUS_PENDING);
    assert_non_null(tg_decision_link(d));

    /* Outage. */
    assert_int_equal(tg_gate_invalidate(g, "gmail", "flow_user"), TG_OK);
    fault("{\"status\":503,\"count\":100000,\"routes\":\"/api/\"}");
    t0 = now_ms();
    assert_int_equal(tg_gate_check(g, "gmail_send_email", "flow_user", d), TG_OK);
    elapsed = now_ms() - t0;
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_UNAVAILABLE);
    assert_null(tg_decision_link(d));
    assert_true(elapsed <= 1000 + MARGIN_MS);
    dev_admin("/_dev/reset", "{}");
    tg_gate_free(g);
    tg_decision_free(d);
}

typedef struct herd {
    tg_gate *g;
    pthread_barrier_t *start;
    int verdict;
} herd;

static void *herd_check(void *arg)
{
    herd *h = arg;
    tg_decision *d = tg_decision_new();
    pthread_barrier_wait(h->start);
    if (d && tg_gate_check(h->g, "gmail_send_email", "herd_user", d) == TG_OK)
        h->verdict = (int)tg_decision_verdict(d);
    tg_decision_free(d);
    return NULL;
}

/* Many threads miss one key at once: one token fetch, one request. */
static void test_gate_herd(void **unused)
{
    enum { THREADS = 32 };
    pthread_barrier_t start;
    pthread_t t[THREADS];
    herd h[THREADS];
    tg_gate *g;
    int i;
    (void)unused;
    set_account("gmail", "herd_user", "ACTIVE");
    g = make_gate();
    dev_admin("/_dev/reset", "{}");
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (i = 0; i < THREADS; i++) {
        h[i].g = g;
        h[i].start = &start;
        h[i].verdict = -1;
        assert_int_equal(pthread_create(&t[i], NULL, herd_check, &h[i]), 0);
    }
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (i = 0; i < THREADS; i++)
        assert_int_equal(h[i].verdict, TG_VERDICT_ALLOW);
    assert_int_equal(stat("token_requests", NULL), 1);
    assert_int_equal(stat("keys", "gmail|herd_user"), 1);
    tg_gate_free(g);
}

/* ---- secrets echoed by the service ---------------------------------------- */

/* ---- log lines (tg_log_set) ---- */

static struct {
    pthread_mutex_t lock;
    char *text;     /* every line, "LEVEL message\n" */
    size_t len, cap;
} logs = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };

static void log_line(void *ctx, tg_log_level level, const char *message)
{
    size_t n = strlen(message) + 16;
    (void)ctx;
    pthread_mutex_lock(&logs.lock);
    if (logs.len + n + 1 > logs.cap) {
        size_t cap = (logs.cap + n + 1) * 2;
        char *t = realloc(logs.text, cap);
        if (!t)
            abort();
        logs.text = t;
        logs.cap = cap;
    }
    logs.len += (size_t)snprintf(logs.text + logs.len, logs.cap - logs.len, "%s %s\n",
                                 tg_log_level_name(level), message);
    pthread_mutex_unlock(&logs.lock);
}

static void log_start(tg_log_level level)
{
    pthread_mutex_lock(&logs.lock);
    logs.len = 0;
    if (logs.text)
        logs.text[0] = '\0';
    pthread_mutex_unlock(&logs.lock);
    tg_log_set(level, log_line, NULL);
}

/* Stop capturing; the lines (owned by the test). */
static char *log_stop(void)
{
    char *t;
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
    pthread_mutex_lock(&logs.lock);
    t = strdup(logs.text ? logs.text : "");
    logs.len = 0;
    pthread_mutex_unlock(&logs.lock);
    assert_non_null(t);
    return t;
}

static void expect_log(const char *lines, const char *want)
{
    if (!strstr(lines, want))
        fail_msg("no log line with \"%s\" in:\n%s", want, lines);
}

static const char *const echo_encodings[] = { "raw",  "percent", "percent_lower", "form",
                                              "json", "html",    "split",         "truncate" };

/* The service answers with what it was sent — the Authorization header or
 * the token request's form body, in every encoding, in a JSON error or as
 * plain text: the provider's message and its log lines keep every secret
 * out. */
static void test_secret_echo(void **unused)
{
    static const struct {
        const char *what, *routes, *as;
        int status;
    } cases[] = {
        { "authorization", "/api/", "message", 403 },
        { "authorization", "/api/", "text", 502 },
        { "body", "/oauth/", "message", 500 },
        { "body", "/oauth/", "text", 403 },
    };
    char json[256], link[TG_LINK_MAX + 1], *lines;
    size_t i, e;
    tg_status st;
    void *p;
    int redacted = 0;
    (void)unused;
    set_account("gmail", "echo_user", "EXPIRED");
    log_start(TG_LOG_DEBUG);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (e = 0; e < sizeof echo_encodings / sizeof echo_encodings[0]; e++) {
            p = make("\"timeout_ms\":1000");
            if (strcmp(cases[i].routes, "/api/") == 0) /* a token first, then the echo */
                assert_int_equal(status_of(p, "gmail", "echo_user"), TG_STATUS_EXPIRED);
            snprintf(json, sizeof json,
                     "{\"echo\":\"%s\",\"echo_encoding\":\"%s\",\"echo_as\":\"%s\","
                     "\"status\":%d,\"count\":2,\"routes\":\"%s\"}",
                     cases[i].what, echo_encodings[e], cases[i].as, cases[i].status,
                     cases[i].routes);
            fault(json);
            assert_int_equal(vt()->get_status(p, "gmail", "echo_user", &st), TG_EPROVIDER);
            assert_no_secret();
            redacted += strstr(tg_error_message(), "[redacted]") != NULL;
            assert_int_equal(vt()->get_link(p, "gmail", "echo_user", link, sizeof link, NULL),
                             TG_EPROVIDER);
            assert_no_secret();
            print_message("    echo %-13s %-13s as %-7s: %s\n", cases[i].what, echo_encodings[e],
                          cases[i].as, tg_error_message());
            vt()->destroy(p);
            dev_admin("/_dev/reset", "{}");
        }
    }
    lines = log_stop();
    assert_clean("the log", lines);
    expect_log(lines, "WARN scalekit: HTTP 403 (forbidden) from /api/v1/connected_accounts/details");
    free(lines);
    /* The echo did reach the messages, scrubbed: not a test that shows nothing. */
    assert_true(redacted >= 8);
}

/* Each request at DEBUG (method, route, status, time, attempt), token
 * fetches and retries at DEBUG, a refused token at INFO, the final failure
 * at WARN; never a secret, a header, a body or a query value. */
static void test_logs(void **unused)
{
    char *lines;
    tg_status st;
    void *p;
    (void)unused;
    set_account("gmail", "log_user@example.com", "ACTIVE");
    log_start(TG_LOG_DEBUG);
    p = make("\"timeout_ms\":2000");
    assert_int_equal(status_of(p, "gmail", "log_user@example.com"), TG_STATUS_ACTIVE);
    dev_admin("/_dev/tokens/revoke", "{}");
    assert_int_equal(status_of(p, "gmail", "log_user@example.com"), TG_STATUS_ACTIVE);
    fault("{\"status\":503,\"routes\":\"/api/\"}");
    assert_int_equal(status_of(p, "gmail", "log_user@example.com"), TG_STATUS_ACTIVE);
    fault("{\"status\":500,\"routes\":\"/api/\"}");
    assert_int_equal(vt()->get_status(p, "gmail", "log_user@example.com", &st), TG_EPROVIDER);
    vt()->destroy(p);
    lines = log_stop();
    print_message("%s", lines);
    expect_log(lines, "DEBUG scalekit: fetching an access token\n");
    expect_log(lines, "DEBUG scalekit: POST /oauth/token: HTTP 200 in ");
    expect_log(lines, "DEBUG scalekit: access token fetched, valid for 3600 s\n");
    expect_log(lines, "DEBUG scalekit: GET /api/v1/connected_accounts/details: HTTP 200 in ");
    expect_log(lines, " ms (attempt 1)\n");
    expect_log(lines, "INFO scalekit: GET /api/v1/connected_accounts/details: HTTP 401, the "
                      "access token was refused: fetching a new one\n");
    expect_log(lines, "DEBUG scalekit: GET /api/v1/connected_accounts/details: HTTP 503, "
                      "retrying in ");
    expect_log(lines, " ms (attempt 2)\n");
    expect_log(lines, "WARN scalekit: HTTP 500 from /api/v1/connected_accounts/details: "
                      "\"injected fault: Internal Server Error\"\n");
    assert_null(strstr(lines, "log_user"));
    assert_null(strstr(lines, "example.com"));
    assert_null(strstr(lines, "Bearer"));
    assert_clean("the log", lines);
    free(lines);

    /* Below the level asked for, nothing. */
    log_start(TG_LOG_WARN);
    p = make(NULL);
    assert_int_equal(status_of(p, "gmail", "log_user@example.com"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
    lines = log_stop();
    assert_string_equal(lines, "");
    free(lines);
}

/* ---- loopback ---------------------------------------------------------------- */

/* "localhost" goes to 127.0.0.1 and nowhere else: with nothing there and a
 * decoy listening on [::1] at the same port, the provider is refused and the
 * decoy never sees a connection (a resolver would offer both). */
static void test_localhost_pinned(void **unused)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    socklen_t len = sizeof a6;
    char config[512];
    int decoy = -1, probe, port = 0, tries, accepted;
    tg_status st = (tg_status)99;
    void *p = NULL;
    (void)unused;

    for (tries = 0; tries < 20 && port == 0; tries++) {
        decoy = socket(AF_INET6, SOCK_STREAM, 0);
        assert_true(decoy >= 0);
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_loopback;
        if (bind(decoy, (struct sockaddr *)&a6, sizeof a6) != 0)
            fail_msg("this test needs IPv6 loopback ([::1]): %s", strerror(errno));
        assert_int_equal(getsockname(decoy, (struct sockaddr *)&a6, &len), 0);
        assert_int_equal(listen(decoy, 8), 0);
        /* Nothing may listen on 127.0.0.1 at that port. */
        probe = socket(AF_INET, SOCK_STREAM, 0);
        memset(&a4, 0, sizeof a4);
        a4.sin_family = AF_INET;
        a4.sin_port = a6.sin6_port;
        a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(probe, (struct sockaddr *)&a4, sizeof a4) == 0)
            port = ntohs(a6.sin6_port);
        else
            close(decoy);
        close(probe);
    }
    assert_true(port > 0);
    snprintf(config, sizeof config,
             "{\"environment_url\":\"http://localhost:%d\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" DEV_SECRET "\",\"timeout_ms\":500}",
             port);
    assert_int_equal(vt()->create(tg__host(), config, ".", NULL, &p), TG_OK);
    assert_int_equal(vt()->get_status(p, "gmail", "user_123", &st), TG_EPROVIDER);
    {
        char want[96];
        snprintf(want, sizeof want, "scalekit: connection refused by localhost:%d ", port);
        expect_prefix(want);
    }
    vt()->destroy(p);
    assert_int_equal(fcntl(decoy, F_SETFL, O_NONBLOCK), 0);
    accepted = accept(decoy, NULL, NULL);
    if (accepted >= 0)
        close(accepted);
    close(decoy);
    if (accepted >= 0)
        fail_msg("the provider connected to [::1]:%d for \"localhost\"", port);

    /* And localhost, any case, reaches the dev server on 127.0.0.1. */
    set_account("gmail", "localhost_user", "ACTIVE");
    snprintf(config, sizeof config,
             "{\"environment_url\":\"http://LocalHost:%s\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" DEV_SECRET "\"}",
             strrchr(dev.url, ':') + 1);
    assert_int_equal(vt()->create(tg__host(), config, ".", NULL, &p), TG_OK);
    assert_int_equal(status_of(p, "gmail", "localhost_user"), TG_STATUS_ACTIVE);
    vt()->destroy(p);
    /* "localhost." is a name a resolver may send to DNS: not loopback. */
    snprintf(config, sizeof config,
             "{\"environment_url\":\"http://localhost.:%s\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" DEV_SECRET "\"}",
             strrchr(dev.url, ':') + 1);
    assert_int_equal(vt()->create(tg__host(), config, ".", NULL, &p), TG_ECONFIG);
    assert_null(p);
}

/* ---- one deadline per check -------------------------------------------------- */

/* The status and then the link, each slowed by 1000 ms, in one check with
 * timeout_ms 1500: the check ends UNAVAILABLE within the budget instead of
 * NEEDS_AUTHORIZATION after two seconds. */
static void test_one_deadline_per_check(void **unused)
{
    tg_decision *d = tg_decision_new();
    char config[1024];
    int64_t t0, elapsed;
    tg_gate *g = NULL;
    (void)unused;
    assert_non_null(d);
    set_account("gmail", "deadline_user", "EXPIRED");
    snprintf(config, sizeof config,
             "{\"provider\":{\"environment_url\":\"%s\",\"client_id\":\"" DEV_ID "\","
             "\"client_secret\":\"" DEV_SECRET "\",\"timeout_ms\":1500},"
             "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             dev.url);
    assert_int_equal(tg_gate_new_with_provider(&g, config, ".", vt(), NULL), TG_OK);
    fault("{\"latency_ms\":1000,\"routes\":\"/api/v1/connected_accounts/details\"}");
    fault("{\"latency_ms\":1000,\"routes\":\"/api/v1/connected_accounts/magic_link\"}");
    t0 = now_ms();
    assert_int_equal(tg_gate_check(g, "gmail_send_email", "deadline_user", d), TG_OK);
    elapsed = now_ms() - t0;
    print_message("    status + link, 1000 ms each, timeout_ms 1500: %s after %lld ms\n",
                  tg_verdict_name(tg_decision_verdict(d)), (long long)elapsed);
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(tg_decision_status(d), TG_STATUS_EXPIRED);
    assert_true(elapsed >= 1400);
    assert_true(elapsed <= 1500 + MARGIN_MS);
    /* Both were asked: the link request met the end of the budget. */
    assert_int_equal(stat("routes", ROUTE_DETAILS), 1);
    assert_int_equal(stat("routes", ROUTE_LINK), 1);
    tg_gate_free(g);
    tg_decision_free(d);
}

/* ---- without a server --------------------------------------------------- */

static void test_connection_refused(void **unused)
{
    char config[256];
    void *p = NULL;
    tg_status s = (tg_status)99;
    int64_t t0, elapsed;
    int rc;
    (void)unused;
    snprintf(config, sizeof config,
             "{\"environment_url\":\"http://127.0.0.1:%d\",\"client_id\":\"i\","
             "\"client_secret\":\"" DEV_SECRET "\",\"timeout_ms\":700}",
             tg_dev_closed_port());
    assert_int_equal(vt()->create(tg__host(), config, ".", NULL, &p), TG_OK);
    t0 = now_ms();
    rc = vt()->get_status(p, "gmail", "user_123", &s);
    elapsed = now_ms() - t0;
    print_message("    refused connection           rc=%d after %4lld ms: %s\n", rc,
                  (long long)elapsed, tg_error_message());
    expect_failure(rc);
    assert_int_equal(s, 99);
    assert_no_secret();
    /* Retried within the budget, then given up; the message says so. */
    assert_memory_equal(tg_error_message(), "scalekit: connection refused by 127.0.0.1:",
                        strlen("scalekit: connection refused by 127.0.0.1:"));
    assert_non_null(strstr(tg_error_message(), " (/oauth/token, "));
    assert_true(elapsed >= 200);
    assert_true(elapsed <= 700 + MARGIN_MS);
    vt()->destroy(p);
}

static void test_config_errors(void **unused)
{
    void *p = (void *)1;
    (void)unused;
    unsetenv("SCALEKIT_ENVIRONMENT_URL");
    unsetenv("SCALEKIT_CLIENT_ID");
    unsetenv("SCALEKIT_CLIENT_SECRET");

    assert_int_equal(vt()->create(tg__host(), "{\"foo\":1}", ".", NULL, &p), TG_ECONFIG);
    assert_null(p);
    assert_string_equal(tg_error_message(), "config: unknown key \"provider.foo\"");
    assert_int_equal(vt()->create(tg__host(), "{}", ".", NULL, &p), TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "environment_url"));
    assert_int_equal(vt()->create(tg__host(),
                                  "{\"environment_url\":\"https://acme.scalekit.dev\"}", ".",
                                  NULL, &p),
                     TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "client_id"));
    assert_int_equal(vt()->create(tg__host(),
                                  "{\"environment_url\":\"http://acme.scalekit.dev\","
                                  "\"client_id\":\"i\",\"client_secret\":\"s\"}",
                                  ".", NULL, &p),
                     TG_ECONFIG);
    assert_non_null(strstr(tg_error_message(), "https://"));
    assert_int_equal(vt()->create(tg__host(), NULL, NULL, NULL, &p), TG_ECONFIG);
    assert_int_equal(vt()->create(tg__host(), "{}", ".", NULL, NULL), TG_EINVAL);

    /* The environment fills in; creating talks to nobody. */
    setenv("SCALEKIT_ENVIRONMENT_URL", "https://acme.scalekit.dev/", 1);
    setenv("SCALEKIT_CLIENT_ID", "skc_env", 1);
    setenv("SCALEKIT_CLIENT_SECRET", "env-secret", 1);
    assert_int_equal(vt()->create(tg__host(), "{\"timeout_ms\":100}", ".", NULL, &p), TG_OK);
    assert_non_null(p);
    vt()->destroy(p);
    unsetenv("SCALEKIT_ENVIRONMENT_URL");
    unsetenv("SCALEKIT_CLIENT_ID");
    unsetenv("SCALEKIT_CLIENT_SECRET");
    vt()->destroy(NULL);
}

static void test_bad_input(void **unused)
{
    char config[256], link[TG_LINK_MAX + 1];
    void *p = NULL;
    tg_status s;
    (void)unused;
    snprintf(config, sizeof config,
             "{\"environment_url\":\"http://127.0.0.1:%d\",\"client_id\":\"i\","
             "\"client_secret\":\"s\",\"timeout_ms\":100}",
             tg_dev_closed_port());
    assert_int_equal(vt()->create(tg__host(), config, ".", NULL, &p), TG_OK);
    assert_int_equal(vt()->get_status(p, "gm/ail", "user", &s), TG_EINVAL);
    assert_int_equal(vt()->get_status(p, "gmail", "", &s), TG_EINVAL);
    assert_int_equal(vt()->get_status(p, "gmail", "a\nb", &s), TG_EINVAL);
    assert_int_equal(vt()->get_status(p, NULL, "user", &s), TG_EINVAL);
    assert_int_equal(vt()->get_status(p, "gmail", "user", NULL), TG_EINVAL);
    assert_int_equal(vt()->get_status(NULL, "gmail", "user", &s), TG_EINVAL);
    assert_int_equal(vt()->get_link(p, "gmail", "a\x01", link, sizeof link, NULL), TG_EINVAL);
    assert_int_equal(vt()->get_link(p, "gmail", "user", NULL, 10, NULL), TG_EINVAL);
    assert_int_equal(vt()->get_link(p, "gmail", "user", link, 0, NULL), TG_EINVAL);
    vt()->destroy(p);
}

static void test_entry_and_module(void **unused)
{
    const tg_provider *m;
    tg_provider_entry_fn entry;
    void *dl, *p = NULL;
    (void)unused;

    assert_null(tg__scalekit_provider_entry(TG_PROVIDER_ABI_VERSION + 1));
    assert_string_equal(vt()->name, "scalekit");
    assert_int_equal(vt()->struct_size, sizeof(tg_provider));

#ifdef TG_SCALEKIT_MODULE_PATH
    dl = dlopen(TG_SCALEKIT_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        print_error("dlopen: %s\n", dlerror());
    assert_non_null(dl);
    *(void **)&entry = dlsym(dl, TG_PROVIDER_ENTRY_SYMBOL);
    assert_non_null(entry);
    /* Nothing else is exported. */
    assert_null(dlsym(dl, "tg__scalekit_provider_entry"));
    assert_null(dlsym(dl, "tg__sk_parse_account"));
    m = entry(TG_PROVIDER_ABI_VERSION);
    assert_non_null(m);
    assert_null(entry(TG_PROVIDER_ABI_VERSION + 1));
    assert_string_equal(m->name, "scalekit");
    assert_int_equal(m->create(tg__host(),
                               "{\"environment_url\":\"https://acme.scalekit.dev\","
                               "\"client_id\":\"i\",\"client_secret\":\"s\"}",
                               ".", NULL, &p),
                     TG_OK);
    m->destroy(p);
    assert_int_equal(m->create(tg__host(), "{\"bogus\":true}", ".", NULL, &p), TG_ECONFIG);
    assert_string_equal(tg_error_message(), "config: unknown key \"provider.bogus\"");
    dlclose(dl);
#else
    (void)m;
    (void)entry;
    (void)dl;
    (void)p;
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_entry_and_module),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test_setup(test_active, needs_dev),
        cmocka_unit_test_setup(test_statuses, needs_dev),
        cmocka_unit_test_setup(test_missing_created, needs_dev),
        cmocka_unit_test_setup(test_link, needs_dev),
        cmocka_unit_test_setup(test_link_missing_account, needs_dev),
        cmocka_unit_test_setup(test_token_reuse, needs_dev),
        cmocka_unit_test_setup(test_token_refresh_on_401, needs_dev),
        cmocka_unit_test_setup(test_bad_credentials, needs_dev),
        cmocka_unit_test_setup(test_fault_latency, needs_dev),
        cmocka_unit_test_setup(test_fault_503_burst, needs_dev),
        cmocka_unit_test_setup(test_fault_503_forever, needs_dev),
        cmocka_unit_test_setup(test_fault_429, needs_dev),
        cmocka_unit_test_setup(test_fault_500, needs_dev),
        cmocka_unit_test_setup(test_fault_truncate, needs_dev),
        cmocka_unit_test_setup(test_fault_oversize, needs_dev),
        cmocka_unit_test_setup(test_fault_garbage, needs_dev),
        cmocka_unit_test_setup(test_fault_close, needs_dev),
        cmocka_unit_test_setup(test_fault_slow, needs_dev),
        cmocka_unit_test_setup(test_fault_token_endpoint, needs_dev),
        cmocka_unit_test_setup(test_fault_other_routes, needs_dev),
        cmocka_unit_test_setup(test_keepalive, needs_dev),
        cmocka_unit_test_setup(test_concurrency, needs_dev),
        cmocka_unit_test_setup(test_gate_flow, needs_dev),
        cmocka_unit_test_setup(test_gate_herd, needs_dev),
        cmocka_unit_test_setup(test_secret_echo, needs_dev),
        cmocka_unit_test_setup(test_logs, needs_dev),
        cmocka_unit_test_setup(test_localhost_pinned, needs_dev),
        cmocka_unit_test_setup(test_one_deadline_per_check, needs_dev),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
