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
#include "dev.h"

static void bench_miss(const bench_opts *o, const bench_dev *s, bench_results *res)
{
    enum { MAX_REPS = 7 };
    int reps = o->quick ? 3 : 5, n = o->quick ? 200 : 1000, rep, i;
    double samples[MAX_REPS];
    long requests = 0, before;
    tg_gate *g = bench_dev_gate(s, 0, ""); /* every check finds its entry expired */
    tg_decision *d = tg_decision_new();

    bench_dev_account(s, "miss_user", "ACTIVE");
    for (i = 0; i < 20; i++) /* token and connection */
        if (tg_gate_check(g, "gmail_send_email", "miss_user", d) != TG_OK)
            bench_die("miss warm-up");
    for (rep = 0; rep < reps; rep++) {
        double t0;
        before = bench_dev_api_requests(s, NULL);
        t0 = bench_now_ns();
        for (i = 0; i < n; i++) {
            if (tg_gate_check(g, "gmail_send_email", "miss_user", d) != TG_OK ||
                tg_decision_verdict(d) != TG_VERDICT_ALLOW)
                bench_die("miss check");
        }
        samples[rep] = (bench_now_ns() - t0) / n;
        requests += bench_dev_api_requests(s, NULL) - before;
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

static void bench_single_flight(const bench_dev *s, bench_results *res)
{
    enum { THREADS = 64 };
    static const char route[] = "GET /api/v1/connected_accounts/details";
    pthread_t th[THREADS];
    sf_arg args[THREADS];
    pthread_barrier_t barrier;
    tg_gate *g = bench_dev_gate(s, 60000, "");
    tg_decision *d = tg_decision_new();
    json_object *o;
    long before;
    int i;

    bench_dev_account(s, "flight_user", "ACTIVE");
    bench_dev_account(s, "other_user", "ACTIVE");
    /* Fetch the token first, on another key, so only status requests remain. */
    if (tg_gate_check(g, "gmail_send_email", "other_user", d) != TG_OK)
        bench_die("single flight warm-up");
    /* Slow the status answer down so all threads arrive while it is out. */
    o = bench_dev_call(s, "POST", "/_dev/faults",
                 "{\"latency_ms\":200,\"count\":1,\"routes\":\"/api/v1/connected_accounts/details\"}");
    if (!o)
        bench_die("dev server: cannot inject latency");
    json_object_put(o);
    before = bench_dev_api_requests(s, route);
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
    res->singleflight_provider_calls = bench_dev_api_requests(s, route) - before;
    tg_decision_free(d);
    tg_gate_free(g);
}

/* What every peer SDK does per tool call: ask the service, parse the answer. */
static void bench_peer_style(const bench_opts *o, const bench_dev *s, bench_results *res)
{
    enum { MAX_REPS = 7 };
    int reps = o->quick ? 3 : 5, n = o->quick ? 200 : 1000, rep, i;
    double samples[MAX_REPS];
    json_object *tok, *v;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char header[1024], url[256];
    bench_buf b = { NULL, 0 };

    {
        /* The token route takes a form body: ask with a fresh handle. */
        CURL *t = curl_easy_init();
        bench_buf tb = { NULL, 0 };
        snprintf(url, sizeof url, "%s/oauth/token", s->base);
        curl_easy_setopt(t, CURLOPT_URL, url);
        curl_easy_setopt(t, CURLOPT_POSTFIELDS,
                         "grant_type=client_credentials&client_id=dev_client&client_secret=dev_secret");
        curl_easy_setopt(t, CURLOPT_WRITEFUNCTION, bench_buf_write);
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
    bench_dev_account(s, "peer_user", "ACTIVE");
    h = curl_slist_append(h, header);
    snprintf(url, sizeof url,
             "%s/api/v1/connected_accounts/details?connector=gmail&identifier=peer_user", s->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_buf_write);
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
    bench_dev s;
    if (access(o->dev_server, X_OK) != 0 || bench_dev_start(&s, o->dev_server, NULL) != 0) {
        fprintf(stderr, "toolgate-bench: cannot start the dev server %s\n", o->dev_server);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_miss(o, &s, res);
    bench_single_flight(&s, res);
    bench_peer_style(o, &s, res);
    bench_dev_stop(&s);
    curl_global_cleanup();
    return 0;
}
