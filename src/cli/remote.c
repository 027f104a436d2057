/* Client mode: check, status, link and wait asked of a `toolgate serve`
 * (--server URL or $TOOLGATE_SERVER) instead of a gate built here. The
 * server answers the very lines the local commands print, so they are
 * written out as received; exit codes and stderr lines are the local ones.
 * A server that cannot be reached (or is shutting down, or busy) is exit 11,
 * like a provider that cannot be reached. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cli.h"
#include "client.h"

/* check, status, link: how long one answer may take (the server bounds the
 * provider with provider.timeout_ms, at most 10 minutes). */
#define CLI_REMOTE_TIMEOUT_MS (11L * 60L * 1000L)
/* wait: past each long poll's own timeout. */
#define CLI_REMOTE_WAIT_SLACK_MS 60000L

const char *cli_server_url(const cli_args *args)
{
    const char *env;

    if (args->server)
        return args->server;
    if (args->config) /* an explicit configuration means a local gate */
        return NULL;
    env = getenv("TOOLGATE_SERVER");
    return env && env[0] ? env : NULL;
}

/* The query string "?connection=…&identifier=…&format=…[&extra]", malloc'd. */
static char *cli_account_target(const char *path, const cli_args *args, const char *extra)
{
    char *conn = curl_easy_escape(NULL, args->connection, 0);
    char *id = curl_easy_escape(NULL, args->identifier, 0);
    char *target = NULL;
    size_t n;

    if (conn && id) {
        n = strlen(path) + strlen(conn) + strlen(id) + (extra ? strlen(extra) : 0) + 64;
        target = malloc(n);
        if (target)
            snprintf(target, n, "%s?connection=%s&identifier=%s&format=%s%s%s", path, conn, id,
                     args->format == TG_FORMAT_TEXT ? "text" : "json", extra ? "&" : "",
                     extra ? extra : "");
    }
    curl_free(conn);
    curl_free(id);
    return target;
}

/* Write the server's line(s) to stdout as received. */
static int cli_remote_print(const cli_http *h)
{
    if (h->len > 0 && (fwrite(h->body, 1, h->len, stdout) != h->len || fflush(stdout) != 0)) {
        cli_error("cannot write to stdout");
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

/* The verdict of a Toolgate-Verdict header; -1 when missing or unknown. */
static int cli_remote_verdict(const cli_http *h)
{
    int v;
    for (v = TG_VERDICT_ALLOW; v <= TG_VERDICT_DENY; v++)
        if (strcmp(h->verdict, tg_verdict_name((tg_verdict)v)) == 0)
            return v;
    return -1;
}

/* Anything but the expected answer: one line on stderr, and the exit code. */
static int cli_remote_failure(const cli_command *cmd, const char *url, const cli_http *h)
{
    json_object *root = NULL, *err, *v;
    const char *code = NULL, *message = NULL;
    int rc;

    if (h->status == 0) {
        if (h->interrupted) {
            cli_error("%s: interrupted", cmd->name);
            return CLI_EXIT_INTERRUPTED;
        }
        cli_error("%s: server %s: %s", cmd->name, url, h->fail);
        return CLI_EXIT_UNAVAILABLE;
    }
    if (h->body)
        root = json_tokener_parse(h->body);
    if (root && json_object_object_get_ex(root, "error", &err)) {
        if (json_object_object_get_ex(err, "code", &v) && json_object_is_type(v, json_type_string))
            code = json_object_get_string(v);
        if (json_object_object_get_ex(err, "message", &v) &&
            json_object_is_type(v, json_type_string))
            message = json_object_get_string(v);
    }
    if (!code || !message) {
        cli_error("%s: server %s answered HTTP %ld, not a toolgate answer", cmd->name, url,
                  h->status);
        json_object_put(root);
        return CLI_EXIT_FAILURE;
    }

    rc = serve_error_from_code(code);
    if (rc == TG_EPROVIDER || rc == TG_ETIMEOUT) {
        rc = cli_report_unavailable_detail(cmd, rc, message);
    } else if (rc != TG_OK) {
        rc = cli_report_detail(cmd, rc, message);
    } else if (strcmp(code, SERVE_ECODE_UNAUTHORIZED) == 0) {
        cli_error("%s: server %s refused the API token: set TOOLGATE_API_TOKEN to the token "
                  "of its --api-token-env",
                  cmd->name, url);
        rc = CLI_EXIT_USAGE;
    } else if (strcmp(code, SERVE_ECODE_BUSY) == 0 || strcmp(code, SERVE_ECODE_SHUTDOWN) == 0) {
        cli_error("%s: server %s: %s", cmd->name, url, message);
        rc = CLI_EXIT_UNAVAILABLE;
    } else {
        cli_error("%s: server %s: %s (HTTP %ld)", cmd->name, url, message, h->status);
        rc = CLI_EXIT_FAILURE;
    }
    json_object_put(root);
    return rc;
}

/* A 200 carrying a decision's verdict: print it and exit as the verdict says. */
static int cli_remote_verdict_answer(const cli_command *cmd, const char *url, const cli_http *h)
{
    int v = cli_remote_verdict(h), rc;

    if (v < 0) {
        cli_error("%s: server %s answered without a verdict", cmd->name, url);
        return CLI_EXIT_FAILURE;
    }
    rc = cli_remote_print(h);
    if (rc != 0)
        return rc;
    rc = cli_exit_for_verdict((tg_verdict)v);
    if (rc == CLI_EXIT_UNAVAILABLE) /* what failed, as the local command says it */
        (void)cli_report_unavailable_detail(cmd, TG_EPROVIDER, h->error);
    return rc;
}

/* GET @p target (NULL: it could not be made) into @p h. 0, or an exit code. */
static int cli_remote_get(const char *url, const char *target, long timeout_ms,
                          const volatile sig_atomic_t *interrupted, cli_http *h)
{
    if (!target) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    cli_http_request(url, "GET", target, NULL, timeout_ms, interrupted, h);
    return 0;
}

/* Before any request: a URL this client can use. */
static int cli_remote_url_ok(const cli_command *cmd, const char *url)
{
    if (cli_http_server_ok(url))
        return 1;
    cli_error("%s: the server must be http://HOST:PORT or unix:/PATH, not \"%s\"", cmd->name, url);
    return 0;
}

int cli_remote_check(const cli_command *cmd, const cli_args *args, const char *url)
{
    json_object *body = json_object_new_object();
    const char *text;
    char *with_id = NULL;
    cli_http h;
    int rc;

    if (!cli_remote_url_ok(cmd, url)) {
        json_object_put(body);
        return CLI_EXIT_USAGE;
    }
    if (!body || json_object_object_add(body, "tool", json_object_new_string(args->tool)) != 0 ||
        json_object_object_add(body, "identifier", json_object_new_string(args->identifier)) != 0 ||
        json_object_object_add(body, "format",
                               json_object_new_string(tg_format_name(args->format))) != 0 ||
        !(text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN))) {
        json_object_put(body);
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    if (args->request_id) {
        /* The id as the user wrote it (args.c checked it is a JSON-RPC id),
         * so the server echoes the same bytes the local command prints. */
        size_t n = strlen(text);
        with_id = malloc(n + strlen(args->request_id) + 16);
        if (!with_id) {
            json_object_put(body);
            cli_error("out of memory");
            return CLI_EXIT_FAILURE;
        }
        sprintf(with_id, "%.*s,\"request_id\":%s}", (int)(n - 1), text, args->request_id);
        text = with_id;
    }
    cli_http_request(url, "POST", "/v1/check", text, CLI_REMOTE_TIMEOUT_MS, NULL, &h);
    json_object_put(body);
    free(with_id);
    rc = h.status == 200 ? cli_remote_verdict_answer(cmd, url, &h)
                         : cli_remote_failure(cmd, url, &h);
    cli_http_free(&h);
    return rc;
}

/* GET one account's @p path; a 200 is printed, and its verdict header
 * gives the exit code when @p by_verdict (status), else 0 (link). */
static int cli_remote_account(const cli_command *cmd, const cli_args *args, const char *url,
                              const char *path, int by_verdict)
{
    char *target;
    cli_http h;
    int rc;

    if (!cli_remote_url_ok(cmd, url))
        return CLI_EXIT_USAGE;
    target = cli_account_target(path, args, NULL);
    rc = cli_remote_get(url, target, CLI_REMOTE_TIMEOUT_MS, NULL, &h);
    free(target);
    if (rc != 0)
        return rc;
    if (h.status != 200)
        rc = cli_remote_failure(cmd, url, &h);
    else
        rc = by_verdict ? cli_remote_verdict_answer(cmd, url, &h) : cli_remote_print(&h);
    cli_http_free(&h);
    return rc;
}

int cli_remote_status(const cli_command *cmd, const cli_args *args, const char *url)
{
    return cli_remote_account(cmd, args, url, "/v1/status", 1);
}

int cli_remote_link(const cli_command *cmd, const cli_args *args, const char *url)
{
    return cli_remote_account(cmd, args, url, "/v1/link", 0);
}

/* ---- wait --------------------------------------------------------------- */

static int64_t cli_remote_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Long polls of at most the server's limit until ACTIVE or --timeout. The
 * answer printed is the last that carried a status (as the local wait), or
 * the last one when none did. */
static int cli_remote_wait_loop(const cli_command *cmd, const cli_args *args, const char *url)
{
    int64_t deadline = cli_remote_now_ms() + args->timeout_ms, left;
    cli_http h, kept;
    char extra[48];
    char *target;
    int rc;

    memset(&kept, 0, sizeof kept);
    do {
        left = deadline - cli_remote_now_ms();
        if (left < 0)
            left = 0;
        snprintf(extra, sizeof extra, "timeout_ms=%lld",
                 (long long)(left > SERVE_WAIT_MAX_MS ? SERVE_WAIT_MAX_MS : left));
        target = cli_account_target("/v1/wait", args, extra);
        rc = cli_remote_get(url, target, (long)(left > SERVE_WAIT_MAX_MS ? SERVE_WAIT_MAX_MS
                                                                              : left) +
                                                  CLI_REMOTE_WAIT_SLACK_MS,
                            &cli_interrupted, &h);
        free(target);
        if (rc != 0)
            break;
        if (h.status != 200) {
            rc = cli_remote_failure(cmd, url, &h);
            cli_http_free(&h);
            break;
        }
        if (h.status_name[0] || !kept.status_name[0]) {
            cli_http_free(&kept);
            kept = h;
        } else {
            cli_http_free(&h);
        }
        if (strcmp(kept.status_name, tg_status_name(TG_STATUS_ACTIVE)) == 0)
            break;
    } while (cli_remote_now_ms() < deadline);

    if (rc == 0 && kept.status) {
        rc = cli_remote_print(&kept);
        if (rc == 0 && strcmp(kept.status_name, tg_status_name(TG_STATUS_ACTIVE)) != 0)
            rc = kept.status_name[0]
                     ? CLI_EXIT_NEEDS_AUTH
                     : cli_report_unavailable_detail(cmd, TG_EPROVIDER, kept.error);
    }
    cli_http_free(&kept);
    return rc;
}

int cli_remote_wait(const cli_command *cmd, const cli_args *args, const char *url)
{
    cli_interrupts saved;
    int rc;

    if (!cli_remote_url_ok(cmd, url))
        return CLI_EXIT_USAGE;
    cli_interrupts_catch(&saved);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "toolgate: waiting for the %s account of %s (asking %s)...\n",
                args->connection, args->identifier, url);
    rc = cli_remote_wait_loop(cmd, args, url);
    cli_interrupts_restore(&saved);
    return rc;
}
