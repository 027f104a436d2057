/* Client mode's HTTP: one request to a `toolgate serve` (client.c). */
#ifndef TG_CLI_CLIENT_H
#define TG_CLI_CLIENT_H

#include <signal.h>
#include <stddef.h>

#include "wire.h"

#include <curl/curl.h>

/* An answer. */
typedef struct cli_http {
    long status;          /* HTTP status; 0 when no answer came */
    char *body;           /* NUL-terminated (may be NULL when empty) */
    size_t len;
    char verdict[32];     /* the Toolgate-Verdict header, "" when absent */
    char status_name[32]; /* Toolgate-Status */
    char error[256];      /* Toolgate-Error */
    int interrupted;      /* no answer: the interrupted flag was set */
    char fail[CURL_ERROR_SIZE]; /* no answer: why */
} cli_http;

/* http://…, https://… or unix:PATH. */
int cli_http_server_ok(const char *server);

/**
 * @p method ("GET" or "POST") @p target (path and query, already encoded)
 * on @p server, with @p json_body for a POST. @p timeout_ms bounds the
 * whole request (0: none). The request is abandoned, within about a second,
 * once *interrupted becomes non-zero (when not NULL).
 * @return 0 with out->status set; -1 when no answer came (out->fail says
 *         why). Free @p out with cli_http_free() either way.
 */
int cli_http_request(const char *server, const char *method, const char *target,
                     const char *json_body, long timeout_ms,
                     const volatile sig_atomic_t *interrupted, cli_http *out);
void cli_http_free(cli_http *h);

#endif
