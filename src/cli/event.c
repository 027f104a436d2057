/* `toolgate event`: verify a webhook delivery (tg_webhook_verify) and print
 * the event it carries, normalised by tg_event_to_json (the parser that
 * tg_gate_apply_event uses), as one JSON line. The secret comes from the
 * environment and is never printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define CLI_EVENT_READ_MAX (1024 * 1024) /* largest delivery tg_webhook_verify takes */

/* ---- standard input ------------------------------------------------------ */

/* Read all of stdin, at most CLI_EVENT_READ_MAX bytes. 0 with *body (caller
 * frees) and *len set; otherwise the exit code after one line on stderr. */
static int cli_read_stdin(char **body, size_t *len)
{
    size_t cap = 64 * 1024, n = 0, got;
    char *buf = malloc(cap), *grown;

    if (!buf) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    for (;;) {
        if (n == cap) {
            if (cap > CLI_EVENT_READ_MAX) {
                free(buf);
                cli_error("event: the body on stdin is larger than %d bytes", CLI_EVENT_READ_MAX);
                return CLI_EXIT_USAGE;
            }
            cap = cap * 2 > CLI_EVENT_READ_MAX + 1 ? CLI_EVENT_READ_MAX + 1 : cap * 2;
            grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                cli_error("out of memory");
                return CLI_EXIT_FAILURE;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        free(buf);
        cli_error("event: cannot read the body from stdin: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    if (n > CLI_EVENT_READ_MAX) {
        free(buf);
        cli_error("event: the body on stdin is larger than %d bytes", CLI_EVENT_READ_MAX);
        return CLI_EXIT_USAGE;
    }
    *body = buf;
    *len = n;
    return 0;
}

/* Print the normalised event; the exit code. */
static int cli_print_event(const cli_command *cmd, const char *body, size_t len)
{
    size_t needed = 0;
    char *out;
    int rc = tg_event_to_json(body, len, NULL, 0, &needed);

    if (rc != TG_EBUFS)
        return cli_report_call(cmd, rc == TG_OK ? TG_EINVAL : rc);
    out = malloc(needed);
    if (!out) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    rc = tg_event_to_json(body, len, out, needed, NULL);
    if (rc != TG_OK) {
        free(out);
        return cli_report_call(cmd, rc);
    }
    if (puts(out) == EOF || fflush(stdout) != 0) {
        cli_error("cannot write to stdout: %s", strerror(errno));
        rc = CLI_EXIT_FAILURE;
    } else {
        rc = CLI_EXIT_OK;
    }
    free(out);
    return rc;
}

int cli_run_event(const cli_command *cmd, const cli_args *args)
{
    const char *secret = getenv(args->secret_env);
    int64_t now = args->has_now ? args->now : (int64_t)time(NULL);
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (!secret || !secret[0]) {
        cli_error("%s: environment variable %s is not set (--secret-env names the variable "
                  "that holds the webhook secret)",
                  cmd->name, args->secret_env);
        return CLI_EXIT_USAGE;
    }
    rc = cli_read_stdin(&body, &len);
    if (rc != 0)
        return rc;

    rc = tg_webhook_verify(secret, args->webhook_id, args->webhook_timestamp,
                           args->webhook_signature, body, len, now);
    if (rc == TG_ESIGNATURE || rc == TG_ETIMESTAMP) {
        /* Not verified: one line saying why, never the secret or the expected MAC. */
        cli_error("%s: not verified: %s", cmd->name, tg_error_message());
        rc = CLI_EXIT_FAILURE;
    } else if (rc != TG_OK) {
        rc = cli_report_call(cmd, rc);
    } else {
        rc = cli_print_event(cmd, body, len);
    }
    free(body);
    return rc;
}
