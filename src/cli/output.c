/* What the commands print on stdout: a decision as the library encodes it
 * (tg_decision_encode), other answers as JSON (json-c, plain, '/' unescaped)
 * or one line of text for a person. Never anything secret: only names,
 * statuses, links and the decision's reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"

#define CLI_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int cli_format_time(int64_t ms, char *buf, size_t len)
{
    struct tm tm;
    time_t secs;

    if (ms <= 0 || len < 32)
        return -1;
    secs = (time_t)(ms / 1000);
    if (!gmtime_r(&secs, &tm))
        return -1;
    if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return -1;
    return 0;
}

/* Write @p text and a newline to stdout, then flush; a closed pipe or a full
 * disk is a failure the caller must hear about. */
static int cli_emit(const char *text)
{
    if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        cli_error("cannot write to stdout: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

static int cli_out_of_memory(void)
{
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
}

/* Add key → string, or key → null when @p value is NULL. -1 when out of memory. */
static int cli_json_add(json_object *obj, const char *key, const char *value)
{
    json_object *v = NULL;

    if (value) {
        v = json_object_new_string(value);
        if (!v)
            return -1;
    }
    if (json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

/* Print @p obj as one line and release it. */
static int cli_emit_json(json_object *obj)
{
    const char *text = json_object_to_json_string_ext(obj, CLI_JSON_FLAGS);
    int rc = text ? cli_emit(text) : cli_out_of_memory();

    json_object_put(obj);
    return rc;
}

int cli_print_decision(const tg_decision *d, tg_format format, const char *request_id)
{
    char small[2048];
    char *buf = small, *grown = NULL;
    size_t len = sizeof small, needed = 0;
    int rc;

    /* The encoding says how much it needs: grow to that and encode again. */
    for (;;) {
        rc = tg_decision_encode(d, format, request_id, buf, len, &needed);
        if (rc != TG_EBUFS || needed <= len)
            break;
        free(grown);
        grown = malloc(needed);
        if (!grown)
            return cli_out_of_memory();
        buf = grown;
        len = needed;
    }
    if (rc != TG_OK) {
        const char *detail = tg_error_message();
        free(grown);
        cli_error("cannot encode the decision: %s", detail && detail[0] ? detail : tg_strerror(rc));
        return CLI_EXIT_FAILURE;
    }
    rc = cli_emit(buf);
    free(grown);
    return rc;
}

int cli_print_status(const char *connection, const char *identifier, const tg_decision *d,
                     tg_format format)
{
    const char *status = tg_decision_has_status(d) ? tg_status_name(tg_decision_status(d)) : NULL;
    json_object *obj;

    if (format == TG_FORMAT_TEXT) {
        /* The status when known, else what the gate concluded (e.g. UNAVAILABLE). */
        printf("%s: %s", status ? status : tg_verdict_name(tg_decision_verdict(d)),
               tg_decision_reason(d));
        return cli_emit("");
    }

    obj = json_object_new_object();
    if (!obj || cli_json_add(obj, "connection", connection) != 0 ||
        cli_json_add(obj, "identifier", identifier) != 0 ||
        cli_json_add(obj, "status", status) != 0) {
        json_object_put(obj);
        return cli_out_of_memory();
    }
    return cli_emit_json(obj);
}

int cli_print_link(const char *link, int64_t expires_at_ms, tg_format format)
{
    char when[64];
    const char *expires = cli_format_time(expires_at_ms, when, sizeof when) == 0 ? when : NULL;
    json_object *obj;

    if (format == TG_FORMAT_TEXT)
        return cli_emit(link);

    obj = json_object_new_object();
    if (!obj || cli_json_add(obj, "link", link) != 0 ||
        cli_json_add(obj, "link_expires_at", expires) != 0) {
        json_object_put(obj);
        return cli_out_of_memory();
    }
    return cli_emit_json(obj);
}
