/* The command's HTTP client for client mode: one request to a `toolgate
 * serve` at http://HOST:PORT (or https://) or unix:/PATH, with libcurl. No
 * proxy (a sidecar is reached directly); the API token, when the server
 * wants one, comes from $TOOLGATE_API_TOKEN and is sent only as a header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client.h"

#define CLI_HTTP_CONNECT_TIMEOUT_MS 10000L
/* What an answer may hold: the largest decision, with room to spare. */
#define CLI_HTTP_BODY_MAX (4u * 1024u * 1024u)

typedef struct cli_http_call {
    cli_http *out;
    const volatile sig_atomic_t *interrupted;
    int too_large;
} cli_http_call;

static size_t cli_http_body(char *data, size_t size, size_t n, void *arg)
{
    cli_http_call *call = arg;
    cli_http *h = call->out;
    size_t len = size * n;
    char *grown;

    if (h->len + len > CLI_HTTP_BODY_MAX) {
        call->too_large = 1;
        return 0;
    }
    grown = realloc(h->body, h->len + len + 1);
    if (!grown)
        return 0;
    memcpy(grown + h->len, data, len);
    h->body = grown;
    h->len += len;
    h->body[h->len] = '\0';
    return len;
}

/* Copy a header's value (trimmed, printable ASCII) into @p dst. */
static void cli_http_header_value(const char *v, size_t n, char *dst, size_t cap)
{
    size_t o = 0;

    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    for (; n > 0 && o + 1 < cap; v++, n--)
        dst[o++] = (*v >= 0x20 && *v < 0x7F) ? *v : '?';
    dst[o] = '\0';
}

static size_t cli_http_header(char *line, size_t size, size_t n, void *arg)
{
    static const struct {
        const char *name;
        size_t offset, cap;
    } wanted[] = {
        { SERVE_HEADER_VERDICT, offsetof(cli_http, verdict), sizeof ((cli_http *)0)->verdict },
        { SERVE_HEADER_STATUS, offsetof(cli_http, status_name),
          sizeof ((cli_http *)0)->status_name },
        { SERVE_HEADER_ERROR, offsetof(cli_http, error), sizeof ((cli_http *)0)->error },
    };
    cli_http_call *call = arg;
    size_t len = size * n, i, name_len;

    for (i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        name_len = strlen(wanted[i].name);
        if (len > name_len && line[name_len] == ':' &&
            strncasecmp(line, wanted[i].name, name_len) == 0)
            cli_http_header_value(line + name_len + 1, len - name_len - 1,
                                  (char *)call->out + wanted[i].offset, wanted[i].cap);
    }
    return len;
}

static int cli_http_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                             curl_off_t ulnow)
{
    cli_http_call *call = arg;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return call->interrupted && *call->interrupted ? 1 : 0;
}

int cli_http_server_ok(const char *server)
{
    return strncmp(server, "http://", 7) == 0 || strncmp(server, "https://", 8) == 0 ||
           (strncmp(server, "unix:", 5) == 0 && server[5] != '\0');
}

void cli_http_free(cli_http *h)
{
    free(h->body);
    memset(h, 0, sizeof *h);
}

int cli_http_request(const char *server, const char *method, const char *target,
                     const char *json_body, long timeout_ms,
                     const volatile sig_atomic_t *interrupted, cli_http *out)
{
    static int initialised;
    cli_http_call call = { out, interrupted, 0 };
    struct curl_slist *headers = NULL;
    const char *token = getenv("TOOLGATE_API_TOKEN");
    char *url = NULL, *auth = NULL;
    size_t base_len;
    CURLcode rc;
    CURL *c;

    memset(out, 0, sizeof *out);
    if (!initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(out->fail, sizeof out->fail, "libcurl could not start");
            return -1;
        }
        initialised = 1;
    }
    c = curl_easy_init();
    if (strncmp(server, "unix:", 5) == 0) {
        base_len = strlen("http://localhost");
        url = malloc(base_len + strlen(target) + 1);
        if (url)
            sprintf(url, "http://localhost%s", target);
    } else {
        base_len = strlen(server);
        while (base_len > 0 && server[base_len - 1] == '/')
            base_len--;
        url = malloc(base_len + strlen(target) + 1);
        if (url)
            sprintf(url, "%.*s%s", (int)base_len, server, target);
    }
    if (token && token[0]) {
        auth = malloc(strlen(token) + 32);
        if (auth)
            sprintf(auth, "Authorization: Bearer %s", token);
    }
    if (!c || !url || (token && token[0] && !auth)) {
        snprintf(out->fail, sizeof out->fail, "out of memory");
        free(url);
        free(auth);
        curl_easy_cleanup(c);
        return -1;
    }
    if (auth)
        headers = curl_slist_append(headers, auth);
    if (json_body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */

    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strncmp(server, "unix:", 5) == 0)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, server + 5);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CLI_HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->fail);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_http_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &call);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, cli_http_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &call);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, cli_http_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &call);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body ? json_body : "");

    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    } else {
        out->status = 0;
        out->interrupted = rc == CURLE_ABORTED_BY_CALLBACK;
        if (call.too_large)
            snprintf(out->fail, sizeof out->fail, "the answer is larger than %u bytes",
                     CLI_HTTP_BODY_MAX);
        else if (!out->fail[0])
            snprintf(out->fail, sizeof out->fail, "%s", curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    free(url);
    return rc == CURLE_OK ? 0 : -1;
}
