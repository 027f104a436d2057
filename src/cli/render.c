/* The lines `status`, `link` and `wait` print, as strings: the command
 * prints them and `toolgate serve` answers them, so both give the same
 * bytes. JSON through json-c (plain, '/' unescaped), or one line of text for
 * a person. Never anything secret: only names, statuses, links and the
 * decision's reason. */
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

/* @p obj as one line (malloc'd), and release it. NULL when out of memory. */
static char *cli_json_line(json_object *obj)
{
    const char *text = obj ? json_object_to_json_string_ext(obj, CLI_JSON_FLAGS) : NULL;
    char *line = text ? strdup(text) : NULL;

    json_object_put(obj);
    return line;
}

char *cli_render_status(const char *connection, const char *identifier, const tg_decision *d,
                        tg_format format)
{
    const char *status = tg_decision_has_status(d) ? tg_status_name(tg_decision_status(d)) : NULL;
    json_object *obj;

    if (format == TG_FORMAT_TEXT) {
        /* The status when known, else what the gate concluded (e.g. UNAVAILABLE). */
        const char *what = status ? status : tg_verdict_name(tg_decision_verdict(d));
        const char *reason = tg_decision_reason(d);
        size_t n = strlen(what) + 2 + strlen(reason) + 1;
        char *line = malloc(n);

        if (line)
            snprintf(line, n, "%s: %s", what, reason);
        return line;
    }

    obj = json_object_new_object();
    if (!obj || cli_json_add(obj, "connection", connection) != 0 ||
        cli_json_add(obj, "identifier", identifier) != 0 ||
        cli_json_add(obj, "status", status) != 0) {
        json_object_put(obj);
        return NULL;
    }
    return cli_json_line(obj);
}

char *cli_render_link(const char *link, int64_t expires_at_ms, tg_format format)
{
    char when[64];
    const char *expires = cli_format_time(expires_at_ms, when, sizeof when) == 0 ? when : NULL;
    json_object *obj;

    if (format == TG_FORMAT_TEXT)
        return strdup(link);

    obj = json_object_new_object();
    if (!obj || cli_json_add(obj, "link", link) != 0 ||
        cli_json_add(obj, "link_expires_at", expires) != 0) {
        json_object_put(obj);
        return NULL;
    }
    return cli_json_line(obj);
}
