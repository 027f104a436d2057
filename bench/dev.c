/* The Scalekit dev server for the figures that need HTTP (dev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bench.h"
#include "dev.h"

size_t bench_buf_write(char *p, size_t size, size_t n, void *arg)
{
    bench_buf *b = arg;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, size * n);
    b->data = grown;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

json_object *bench_dev_call(const bench_dev *s, const char *method, const char *path,
                            const char *body)
{
    CURL *c = curl_easy_init();
    bench_buf b = { NULL, 0 };
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
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(c) == CURLE_OK && b.data)
        o = json_tokener_parse(b.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(b.data);
    return o;
}

int bench_dev_start(bench_dev *s, const char *path, const char *state_file)
{
    char *const plain[] = { (char *)path, "--port", "0", NULL };
    char *const seeded[] = { (char *)path, "--port", "0", "--state", (char *)state_file, NULL };

    if (bench_start_server(state_file ? seeded : plain,
                           "scalekit-dev listening on http://127.0.0.1:%d", 0, &s->pid,
                           &s->port) != 0)
        return -1;
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    return 0;
}

void bench_dev_stop(bench_dev *s)
{
    bench_stop_server(s->pid);
}

void bench_dev_account(const bench_dev *s, const char *identifier, const char *status)
{
    char body[256];
    json_object *o;
    snprintf(body, sizeof body, "{\"connector\":\"gmail\",\"identifier\":\"%s\",\"status\":\"%s\"}",
             identifier, status);
    o = bench_dev_call(s, "POST", "/_dev/accounts", body);
    if (!o)
        bench_die("dev server: cannot set an account");
    json_object_put(o);
}

long bench_dev_api_requests(const bench_dev *s, const char *only_route)
{
    json_object *o = bench_dev_call(s, "GET", "/_dev/stats", NULL), *routes;
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

tg_gate *bench_dev_gate(const bench_dev *s, long ttl_ms, const char *extra_json)
{
    char cfg[1024];
    tg_gate *g;
    snprintf(cfg, sizeof cfg,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"dev_client\",\"client_secret\":\"dev_secret\","
             "\"timeout_ms\":5000},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}},"
             "\"cache\":{\"active_ttl_ms\":%ld,\"inactive_ttl_ms\":%ld}%s}",
             s->base, ttl_ms, ttl_ms, extra_json);
    if (tg_gate_new_from_json(&g, cfg, NULL) != TG_OK)
        bench_die("scalekit gate");
    return g;
}
