/* `toolgate event`: verify a webhook delivery (tg_webhook_verify) and print
 * the event it carries, normalised, as one JSON line. The command links only
 * the public library, so it reads the verified body itself with the rules of
 * tg_gate_apply_event (src/event.c): a body the gate would refuse is refused
 * here too. The secret comes from the environment and is never printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"

#define CLI_EVENT_READ_MAX (1024 * 1024) /* largest delivery tg_webhook_verify takes */
#define CLI_EVENT_BODY_MAX (64 * 1024)   /* largest event tg_gate_apply_event takes */
#define CLI_EVENT_DEPTH 16
#define CLI_EVENT_ID_MAX 128
#define CLI_EVENT_TYPE_MAX 96
#define CLI_EVENT_STATUS_TEXT_MAX 64
#define CLI_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The normalised event; strings borrowed from the parsed JSON. */
typedef struct cli_event {
    const char *id, *type, *occurred_at;
    const char *connection; /* NULL when absent */
    const char *identifier; /* NULL when absent (or invalid in an event that changes nothing) */
    const char *status;     /* toolgate name; NULL unless kind is "status" */
    const char *kind;       /* "status", "deleted", "other" */
} cli_event;

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

/* ---- the rules of src/event.c, on the public side ------------------------- */

/* JSON null counts as absent. */
static json_object *cli_member(json_object *obj, const char *snake, const char *camel)
{
    json_object *v = NULL;
    if (json_object_object_get_ex(obj, snake, &v) && v)
        return v;
    if (camel && json_object_object_get_ex(obj, camel, &v) && v)
        return v;
    return NULL;
}

/* The string of @p v when it is a string without an embedded NUL, else NULL. */
static const char *cli_string(json_object *v, size_t *n)
{
    const char *s;
    int len;

    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    s = json_object_get_string(v);
    len = json_object_get_string_len(v);
    if (!s || len < 0 || strlen(s) != (size_t)len)
        return NULL;
    *n = (size_t)len;
    return s;
}

static int cli_printable(const char *s, size_t n, size_t max)
{
    size_t i;
    if (n == 0 || n > max)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return 0;
    return 1;
}

static int cli_digits(const char *s, size_t n, int *v)
{
    size_t i;
    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* RFC 3339 date-time, as tg__rfc3339_parse accepts it (a real date, any
 * number of fraction digits, 'Z' or an offset). */
static int cli_rfc3339_ok(const char *s, size_t n)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y, mo, d, h, mi, sec, oh, om, leap;
    size_t i = 19;

    if (n < 20 || !cli_digits(s, 4, &y) || s[4] != '-' || !cli_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !cli_digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !cli_digits(s + 11, 2, &h) ||
        s[13] != ':' || !cli_digits(s + 14, 2, &mi) || s[16] != ':' ||
        !cli_digits(s + 17, 2, &sec))
        return 0;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        if (n - i < 6 || !cli_digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !cli_digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        i += 6;
    } else {
        return 0;
    }
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return i == n && mo >= 1 && mo <= 12 && d >= 1 &&
           d <= mdays[mo - 1] + (mo == 2 && leap) && h <= 23 && mi <= 59 && sec <= 60;
}

/* Length of the UTF-8 sequence at p (p[0] >= 0x80) within n bytes; 0 when
 * invalid (overlong, surrogate, past U+10FFFF, C1 control). */
static size_t cli_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                        : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    size_t k;

    if (len == 0 || len > n)
        return 0;
    for (k = 1; k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xC2 && p[1] < 0xA0) || (c == 0xE0 && p[1] < 0xA0) ||
        (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return len;
}

/* DESIGN §9: 1–512 bytes of valid UTF-8 without control characters. */
static int cli_identifier_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    if (n == 0 || n > TG_IDENTIFIER_MAX)
        return 0;
    while (i < n) {
        if (p[i] < 0x80) {
            if (p[i] < 0x20 || p[i] == 0x7F)
                return 0;
            i++;
        } else {
            k = cli_utf8_seq(p + i, n - i);
            if (k == 0)
                return 0;
            i += k;
        }
    }
    return 1;
}

/* DESIGN §9: 1–64 characters of A–Z a–z 0–9 _ - : space. */
static int cli_connection_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > TG_CONNECTION_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == ':' || c == ' '))
            return 0;
    }
    return 1;
}

/* data.status → toolgate name; NULL after reporting. */
static const char *cli_event_status(json_object *v)
{
    char text[CLI_EVENT_STATUS_TEXT_MAX + 1];
    const char *s;
    size_t n = 0;
    tg_status st;

    if (json_object_is_type(v, json_type_int)) {
        int64_t num = json_object_get_int64(v);
        if (num >= TG_STATUS_UNKNOWN && num <= TG_STATUS_REVOKED)
            return tg_status_name((tg_status)num);
        cli_error("event: data.status: unknown status %lld", (long long)num);
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        cli_error("event: data.status: must be a status name or number");
        return NULL;
    }
    s = cli_string(v, &n);
    if (s && n <= CLI_EVENT_STATUS_TEXT_MAX) {
        memcpy(text, s, n);
        text[n] = '\0';
        if (tg_status_parse(text, &st) == TG_OK)
            return tg_status_name(st);
    }
    cli_error("event: data.status: unknown status \"%.64s\"", json_object_get_string(v));
    return NULL;
}

/* Read the account fields of data. @p strict: the event changes a status, so
 * the identifier is required and both must be valid; otherwise what is not
 * valid is left out. 0, or an exit code after reporting. */
static int cli_event_account(json_object *data, int strict, cli_event *ev)
{
    json_object *v = cli_member(data, "identifier", NULL);
    const char *s;
    size_t n = 0;

    s = cli_string(v, &n);
    if (s && cli_identifier_ok(s, n)) {
        ev->identifier = s;
    } else if (strict) {
        if (!v)
            cli_error("event: data.identifier: missing");
        else if (!s)
            cli_error("event: data.identifier: must be a string");
        else
            cli_error("event: data.identifier: invalid identifier \"%.64s\": must be 1-%d bytes "
                      "of valid UTF-8 without control characters",
                      s, TG_IDENTIFIER_MAX);
        return CLI_EXIT_USAGE;
    }

    v = cli_member(data, "connection_name", "connectionName");
    s = cli_string(v, &n);
    if (s && n == 0)
        return 0; /* proto3 JSON writes an unset string as "" */
    if (s && cli_connection_ok(s, n)) {
        ev->connection = s;
    } else if (strict && v) {
        if (!s)
            cli_error("event: data.connection_name: must be a string");
        else
            cli_error("event: data.connection_name: invalid connection \"%.64s\": must be 1-%d "
                      "characters of A-Z a-z 0-9 _ - : and space",
                      s, TG_CONNECTION_MAX);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int cli_event_fields(json_object *root, cli_event *ev)
{
    static const char prefix[] = "connected_account.";
    json_object *v, *data, *status;
    size_t n = 0;
    int rc;

    v = cli_member(root, "id", NULL);
    ev->id = cli_string(v, &n);
    if (!v) {
        cli_error("event: id: missing");
        return CLI_EXIT_USAGE;
    }
    if (!ev->id || !cli_printable(ev->id, n, CLI_EVENT_ID_MAX)) {
        cli_error("event: id: must be a string of 1-%d printable ASCII characters",
                  CLI_EVENT_ID_MAX);
        return CLI_EXIT_USAGE;
    }
    v = cli_member(root, "type", NULL);
    ev->type = cli_string(v, &n);
    if (!v) {
        cli_error("event: type: missing");
        return CLI_EXIT_USAGE;
    }
    if (!ev->type || !cli_printable(ev->type, n, CLI_EVENT_TYPE_MAX)) {
        cli_error("event: type: must be a string of 1-%d printable ASCII characters",
                  CLI_EVENT_TYPE_MAX);
        return CLI_EXIT_USAGE;
    }
    v = cli_member(root, "occurred_at", "occurredAt");
    ev->occurred_at = cli_string(v, &n);
    if (!v) {
        cli_error("event: occurred_at: missing");
        return CLI_EXIT_USAGE;
    }
    if (!ev->occurred_at || !cli_rfc3339_ok(ev->occurred_at, n)) {
        cli_error("event: occurred_at: \"%.64s\" is not an RFC 3339 date-time",
                  json_object_get_string(v));
        return CLI_EXIT_USAGE;
    }
    data = cli_member(root, "data", NULL);
    if (!data || !json_object_is_type(data, json_type_object)) {
        if (data)
            cli_error("event: data: must be an object");
        else
            cli_error("event: data: missing");
        return CLI_EXIT_USAGE;
    }

    status = cli_member(data, "status", NULL);
    if (strcmp(ev->type, "connected_account.deleted") == 0)
        ev->kind = "deleted";
    else if (strncmp(ev->type, prefix, sizeof prefix - 1) == 0 && status)
        ev->kind = "status";
    else
        ev->kind = "other";
    rc = cli_event_account(data, strcmp(ev->kind, "other") != 0, ev);
    if (rc != 0)
        return rc;
    if (strcmp(ev->kind, "status") == 0) {
        ev->status = cli_event_status(status);
        if (!ev->status)
            return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Parse the body as tg_gate_apply_event does. 0 with *root set (caller puts
 * it), or an exit code after reporting. */
static int cli_event_json(const char *body, size_t len, json_object **root)
{
    json_tokener *tok;
    enum json_tokener_error jerr;
    size_t end;

    *root = NULL;
    if (len == 0) {
        cli_error("event: the body is empty");
        return CLI_EXIT_USAGE;
    }
    if (len > CLI_EVENT_BODY_MAX) {
        cli_error("event: the body is larger than %d bytes", CLI_EVENT_BODY_MAX);
        return CLI_EXIT_USAGE;
    }
    if (memchr(body, '\0', len)) {
        cli_error("event: the body is not JSON (it contains a NUL byte)");
        return CLI_EXIT_USAGE;
    }
    tok = json_tokener_new_ex(CLI_EVENT_DEPTH);
    if (!tok) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    *root = json_tokener_parse_ex(tok, body, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (*root && end < len &&
           (body[end] == ' ' || body[end] == '\t' || body[end] == '\n' || body[end] == '\r'))
        end++;
    if (!*root || end < len || !json_object_is_type(*root, json_type_object)) {
        if (jerr == json_tokener_error_depth)
            cli_error("event: the body is nested deeper than %d levels", CLI_EVENT_DEPTH);
        else if (*root && end < len)
            cli_error("event: the body is not JSON (text follows the value)");
        else if (jerr != json_tokener_success)
            cli_error("event: the body is not JSON (%s)",
                      jerr == json_tokener_continue ? "it ends too early"
                                                    : json_tokener_error_desc(jerr));
        else
            cli_error("event: the body is not a JSON object");
        json_object_put(*root);
        *root = NULL;
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- the command ---------------------------------------------------------- */

static int cli_json_put(json_object *obj, const char *key, const char *value)
{
    json_object *v = value ? json_object_new_string(value) : NULL;

    if ((value && !v) || json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static int cli_print_event(const cli_event *ev)
{
    json_object *obj = json_object_new_object();
    const char *text;
    int rc = CLI_EXIT_FAILURE;

    if (!obj || cli_json_put(obj, "id", ev->id) != 0 || cli_json_put(obj, "type", ev->type) != 0 ||
        cli_json_put(obj, "occurred_at", ev->occurred_at) != 0 ||
        cli_json_put(obj, "connection", ev->connection) != 0 ||
        cli_json_put(obj, "identifier", ev->identifier) != 0 ||
        cli_json_put(obj, "status", ev->status) != 0 || cli_json_put(obj, "kind", ev->kind) != 0 ||
        !(text = json_object_to_json_string_ext(obj, CLI_JSON_FLAGS))) {
        cli_error("out of memory");
    } else if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        cli_error("cannot write to stdout: %s", strerror(errno));
    } else {
        rc = CLI_EXIT_OK;
    }
    json_object_put(obj);
    return rc;
}

int cli_run_event(const cli_command *cmd, const cli_args *args)
{
    const char *secret = getenv(args->secret_env);
    int64_t now = args->has_now ? args->now : (int64_t)time(NULL);
    json_object *root = NULL;
    cli_event ev;
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
        memset(&ev, 0, sizeof ev);
        rc = cli_event_json(body, len, &root);
        if (rc == 0)
            rc = cli_event_fields(root, &ev);
        if (rc == 0)
            rc = cli_print_event(&ev);
        json_object_put(root);
    }
    free(body);
    return rc;
}
