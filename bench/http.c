/* Figures 6, 7 and 8, against the Scalekit dev server on loopback: a miss
 * (expired entry, token cached), single flight (64 threads, one key), and a
 * peer-style check (one HTTP request per check, no cache). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "bench.h"

typedef struct dev_server {
    pid_t pid;
    int port;
    char base[64];
} dev_server;

typedef struct buf {
    char *data;
    size_t len;
} buf;

static size_t buf_write(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, size * n);
    b->data = grown;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* One request with a fresh handle (admin calls only); the body is returned. */
static json_object *dev_call(const dev_server *s, const char *method, const char *path,
                             const char *body)
{
    CURL *c = curl_easy_init();
    buf b = { NULL, 0 };
    char url[256];
    json_object *o = NULL;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

    snprintf(url, sizeof url, "%s%s", s->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(c) == CURLE_OK && b.data)
        o = json_tokener_parse(b.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(b.data);
    return o;
}

static int dev_start(dev_server *s, const char *path)
{
    char *const argv[] = { (char *)path, "--port", "0", NULL };

    if (bench_start_server(argv, "scalekit-dev listening on http://127.0.0.1:%d", 0, &s->pid,
                           &s->port) != 0)
        return -1;
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    return 0;
}

static void dev_account(const dev_server *s, const char *id, const char *status)
{
    char body[256];
    json_object *o;
    snprintf(body, sizeof body, "{\"connector\":\"gmail\",\"identifier\":\"%s\",\"status\":\"%s\"}",
             id, status);
    o = dev_call(s, "POST", "/_dev/accounts", body);
    if (!o)
        bench_die("dev server: cannot set an account");
    json_object_put(o);
}

/* Requests the provider made: every /api/ and /oauth/ route. */
static long dev_api_requests(const dev_server *s, const char *only_route)
{
    json_object *o = dev_call(s, "GET", "/_dev/stats", NULL), *routes;
    long n = 0;
    if (!o || !json_object_object_get_ex(o, "routes", &routes))
        bench_die("dev server: no stats");
    json_object_object_foreach(routes, route, count) {
        if (only_route ? strcmp(route, only_route) == 0
                       : (strstr(route, " /api/") || strstr(route, " /oauth/")))
            n += (long)json_object_get_int64(count);
    }
    json_object_put(o);
    return n;
}

static tg_gate *scalekit_gate(const dev_server *s, int ttl_ms)
{
    char cfg[1024];
    tg_gate *g;
    snprintf(cfg, sizeof cfg,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"dev_client\",\"client_secret\":\"dev_secret\","
             "\"timeout_ms\":5000},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},"
             "\"cache\":{\"active_ttl_ms\":%d,\"inactive_ttl_ms\":%d}}",
             s->base, ttl_ms, ttl_ms);
    if (tg_gate_new_from_json(&g, cfg, NULL) != TG_OK)
        bench_die("scalekit gate");
    return g;
}

static void bench_miss(const bench_opts *o, const dev_server *s, bench_results *res)
{
    enum { MAX_REPS = 7 };
    int reps = o->quick ? 3 : 5, n = o->quick ? 200 : 1000, rep, i;
    double samples[MAX_REPS];
    long requests = 0, before;
    tg_gate *g = scalekit_gate(s, 0); /* every check finds its entry expired */
    tg_decision *d = tg_decision_new();

    dev_account(s, "miss_user", "ACTIVE");
    for (i = 0; i < 20; i++) /* token and connection */
        if (tg_gate_check(g, "gmail_send_email", "miss_user", d) != TG_OK)
            bench_die("miss warm-up");
    for (rep = 0; rep < reps; rep++) {
        double t0;
        before = dev_api_requests(s, NULL);
        t0 = bench_now_ns();
        for (i = 0; i < n; i++) {
            if (tg_gate_check(g, "gmail_send_email", "miss_user", d) != TG_OK ||
                tg_decision_verdict(d) != TG_VERDICT_ALLOW)
                bench_die("miss check");
        }
        samples[rep] = (bench_now_ns() - t0) / n;
        requests += dev_api_requests(s, NULL) - before;
    }
    res->miss_ns = bench_summarise(samples, reps);
    res->http_requests_per_miss = (double)requests / ((double)reps * n);
    tg_decision_free(d);
    tg_gate_free(g);
}

typedef struct sf_arg {
    tg_gate *g;
    pthread_barrier_t *barrier;
    int ok;
} sf_arg;

static void *sf_run(void *p)
{
    sf_arg *a = p;
    tg_decision *d = tg_decision_new();
    pthread_barrier_wait(a->barrier);
    a->ok = d && tg_gate_check(a->g, "gmail_send_email", "flight_user", d) == TG_OK &&
            tg_decision_verdict(d) == TG_VERDICT_ALLOW;
    tg_decision_free(d);
    return NULL;
}

static void bench_single_flight(const dev_server *s, bench_results *res)
{
    enum { THREADS = 64 };
    static const char route[] = "GET /api/v1/connected_accounts/details";
    pthread_t th[THREADS];
    sf_arg args[THREADS];
    pthread_barrier_t barrier;
    tg_gate *g = scalekit_gate(s, 60000);
    tg_decision *d = tg_decision_new();
    json_object *o;
    long before;
    int i;

    dev_account(s, "flight_user", "ACTIVE");
    dev_account(s, "other_user", "ACTIVE");
    /* Fetch the token first, on another key, so only status requests remain. */
    if (tg_gate_check(g, "gmail_send_email", "other_user", d) != TG_OK)
        bench_die("single flight warm-up");
    /* Slow the status answer down so all threads arrive while it is out. */
    o = dev_call(s, "POST", "/_dev/faults",
                 "{\"latency_ms\":200,\"count\":1,\"routes\":\"/api/v1/connected_accounts/details\"}");
    if (!o)
        bench_die("dev server: cannot inject latency");
    json_object_put(o);
    before = dev_api_requests(s, route);
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (i = 0; i < THREADS; i++) {
        args[i] = (sf_arg){ g, &barrier, 0 };
        if (pthread_create(&th[i], NULL, sf_run, &args[i]) != 0)
            bench_die("pthread_create");
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (!args[i].ok)
            bench_die("a single-flight check failed");
    }
    pthread_barrier_destroy(&barrier);
    res->singleflight_provider_calls = dev_api_requests(s, route) - before;
    tg_decision_free(d);
    tg_gate_free(g);
}

/* What every peer SDK does per tool call: ask the service, parse the answer. */
static void bench_peer_style(const bench_opts *o, const dev_server *s, bench_results *res)
{
    enum { MAX_REPS = 7 };
    int reps = o->quick ? 3 : 5, n = o->quick ? 200 : 1000, rep, i;
    double samples[MAX_REPS];
    json_object *tok, *v;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char header[1024], url[256];
    buf b = { NULL, 0 };

    {
        /* The token route takes a form body: ask with a fresh handle. */
        CURL *t = curl_easy_init();
        buf tb = { NULL, 0 };
        snprintf(url, sizeof url, "%s/oauth/token", s->base);
        curl_easy_setopt(t, CURLOPT_URL, url);
        curl_easy_setopt(t, CURLOPT_POSTFIELDS,
                         "grant_type=client_credentials&client_id=dev_client&client_secret=dev_secret");
        curl_easy_setopt(t, CURLOPT_WRITEFUNCTION, buf_write);
        curl_easy_setopt(t, CURLOPT_WRITEDATA, &tb);
        if (curl_easy_perform(t) != CURLE_OK || !tb.data)
            bench_die("peer-style: token");
        tok = json_tokener_parse(tb.data);
        if (!tok || !json_object_object_get_ex(tok, "access_token", &v))
            bench_die("peer-style: token answer");
        snprintf(header, sizeof header, "Authorization: Bearer %s", json_object_get_string(v));
        json_object_put(tok);
        free(tb.data);
        curl_easy_cleanup(t);
    }
    dev_account(s, "peer_user", "ACTIVE");
    h = curl_slist_append(h, header);
    snprintf(url, sizeof url,
             "%s/api/v1/connected_accounts/details?connector=gmail&identifier=peer_user", s->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);

    for (rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        double t0 = bench_now_ns();
        for (i = 0; i < n; i++) {
            json_object *body, *acct, *st;
            b.len = 0;
            if (curl_easy_perform(c) != CURLE_OK || !b.data)
                bench_die("peer-style request");
            body = json_tokener_parse(b.data);
            if (!body || !json_object_object_get_ex(body, "connected_account", &acct) ||
                !json_object_object_get_ex(acct, "status", &st) ||
                strcmp(json_object_get_string(st), "ACTIVE") != 0)
                bench_die("peer-style answer");
            json_object_put(body);
        }
        if (rep >= 0)
            samples[rep] = (bench_now_ns() - t0) / n;
    }
    res->peer_ns = bench_summarise(samples, reps);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(b.data);
}

int bench_http_figures(const bench_opts *o, bench_results *res)
{
    dev_server s;
    if (access(o->dev_server, X_OK) != 0 || dev_start(&s, o->dev_server) != 0) {
        fprintf(stderr, "toolgate-bench: cannot start the dev server %s\n", o->dev_server);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_miss(o, &s, res);
    bench_single_flight(&s, res);
    bench_peer_style(o, &s, res);
    bench_stop_server(s.pid);
    curl_global_cleanup();
    return 0;
}
