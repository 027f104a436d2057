/* Scalekit webhook events (SCALEKIT_WIRE.md "Webhooks"): bytes in, struct out.
 * Strict where the gate acts on a field (id, type, occurred_at, and the
 * account of a status change or deletion), liberal elsewhere: unknown keys
 * and the fields of events that change nothing are not checked. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "event.h"
#include "json_in.h"
#include "json_out.h"
#include "input.h"
#include "rfc3339.h"

#define TG__EVENT_JSON_DEPTH 16
/* Longest status text worth looking up ("CONNECTION_STATUS_UNSPECIFIED" is 29). */
#define TG__EVENT_STATUS_TEXT_MAX 64
/* Longest quote of untrusted text in an error message. */
#define TG__EVENT_EXCERPT_MAX 64

static const char tg__event_type_prefix[] = "connected_account.";
static const char tg__event_type_deleted[] = "connected_account.deleted";

/* A member by its snake_case name, else its lowerCamelCase one (camel may be
 * NULL). JSON null counts as absent. */
static json_object *tg__event_member(json_object *obj, const char *snake, const char *camel)
{
    json_object *v = NULL;
    if (json_object_object_get_ex(obj, snake, &v) && v)
        return v;
    if (camel && json_object_object_get_ex(obj, camel, &v) && v)
        return v;
    return NULL;
}

/* 1 with *s, *n set when @p v is a string without an embedded NUL. */
static int tg__event_string(json_object *v, const char **s, size_t *n)
{
    int len;
    if (!v || !json_object_is_type(v, json_type_string))
        return 0;
    *s = json_object_get_string(v);
    len = json_object_get_string_len(v);
    if (!*s || len < 0 || memchr(*s, '\0', (size_t)len))
        return 0;
    *n = (size_t)len;
    return 1;
}

/* 1 when s[0..n) is 1..max bytes of printable ASCII. */
static int tg__event_printable(const char *s, size_t n, size_t max)
{
    size_t i;
    if (n == 0 || n > max)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return 0;
    return 1;
}

/* Parse the body into a JSON object: bounded, nesting-limited, strict,
 * every key once (a body could otherwise say two statuses and be read as
 * either), nothing after the value. @return TG_OK with *out set (caller puts
 * it); TG_EINVAL, TG_ENOMEM. */
static int tg__event_json(const char *body, size_t len, json_object **out)
{
    static const tg__json_limits lim = { "event", TG__EVENT_BODY_MAX, TG__EVENT_JSON_DEPTH,
                                         TG__JSON_STRICT | TG__JSON_UNIQUE_KEYS | TG__JSON_OBJECT,
                                         TG_EINVAL };
    return tg__json_parse(body, len, &lim, out);
}

/* data.status as a name (any word tg_status_parse knows) or a wire number. */
static int tg__event_status(json_object *v, tg_status *out)
{
    char text[TG__EVENT_STATUS_TEXT_MAX + 1], ex[TG__EVENT_EXCERPT_MAX * 4 + 8];
    const char *s;
    size_t n;

    if (json_object_is_type(v, json_type_int)) {
        int64_t num = json_object_get_int64(v);
        if (num < TG_STATUS_UNKNOWN || num > TG_STATUS_REVOKED)
            return tg__fail(TG_EINVAL, "event: data.status: unknown status %lld", (long long)num);
        *out = (tg_status)num;
        return TG_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return tg__fail(TG_EINVAL, "event: data.status: must be a status name or number");
    if (!tg__event_string(v, &s, &n)) {
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
    } else if (n <= TG__EVENT_STATUS_TEXT_MAX) {
        memcpy(text, s, n);
        text[n] = '\0';
        if (tg_status_parse(text, out) == TG_OK)
            return TG_OK;
    }
    tg__excerpt(s, n, TG__EVENT_EXCERPT_MAX, ex, sizeof ex);
    return tg__fail(TG_EINVAL, "event: data.status: unknown status \"%s\"", ex);
}

/* data.identifier into out->identifier. @p required: missing is an error,
 * otherwise a missing or invalid value leaves "". */
static int tg__event_identifier(json_object *data, int required, tg__event *out)
{
    char ex[TG__EVENT_EXCERPT_MAX * 4 + 8];
    json_object *v = tg__event_member(data, "identifier", NULL);
    const char *s = "";
    size_t n = 0;

    if (!v) {
        if (required)
            return tg__fail(TG_EINVAL, "event: data.identifier: missing");
        return TG_OK;
    }
    if (!tg__event_string(v, &s, &n)) {
        if (required)
            return tg__fail(TG_EINVAL, "event: data.identifier: must be a string");
        return TG_OK;
    }
    if (n > TG_IDENTIFIER_MAX || !tg__valid_identifier(s, NULL)) {
        if (!required)
            return TG_OK;
        tg__excerpt(s, n, TG__EVENT_EXCERPT_MAX, ex, sizeof ex);
        return tg__fail(TG_EINVAL,
                        "event: data.identifier: invalid identifier \"%s\": must be 1-%d "
                        "bytes of valid UTF-8 without control characters",
                        ex, TG_IDENTIFIER_MAX);
    }
    memcpy(out->identifier, s, n);
    out->identifier[n] = '\0';
    return TG_OK;
}

/* data.connection_name into out->connection; absent, null and "" leave "". */
static int tg__event_connection(json_object *data, int required, tg__event *out)
{
    char ex[TG__EVENT_EXCERPT_MAX * 4 + 8];
    json_object *v = tg__event_member(data, "connection_name", "connectionName");
    const char *s = "";
    size_t n = 0;

    if (!v)
        return TG_OK;
    if (!tg__event_string(v, &s, &n)) {
        if (required)
            return tg__fail(TG_EINVAL, "event: data.connection_name: must be a string");
        return TG_OK;
    }
    if (n == 0)
        return TG_OK; /* proto3 JSON writes an unset string as "" */
    if (n > TG_CONNECTION_MAX || !tg__valid_connection(s, NULL)) {
        if (!required)
            return TG_OK;
        tg__excerpt(s, n, TG__EVENT_EXCERPT_MAX, ex, sizeof ex);
        return tg__fail(TG_EINVAL,
                        "event: data.connection_name: invalid connection \"%s\": must be 1-%d "
                        "characters of A-Z a-z 0-9 _ - : and space",
                        ex, TG_CONNECTION_MAX);
    }
    memcpy(out->connection, s, n);
    out->connection[n] = '\0';
    return TG_OK;
}

static int tg__event_fields(json_object *root, tg__event *out)
{
    char ex[TG__EVENT_EXCERPT_MAX * 4 + 8];
    json_object *v, *data, *status;
    const char *s;
    size_t n;
    int rc, acts;

    v = tg__event_member(root, "id", NULL);
    if (!v)
        return tg__fail(TG_EINVAL, "event: id: missing");
    if (!tg__event_string(v, &s, &n) || !tg__event_printable(s, n, TG__EVENT_ID_MAX))
        return tg__fail(TG_EINVAL, "event: id: must be a string of 1-%d printable ASCII characters",
                        TG__EVENT_ID_MAX);
    memcpy(out->id, s, n);
    out->id[n] = '\0';

    v = tg__event_member(root, "type", NULL);
    if (!v)
        return tg__fail(TG_EINVAL, "event: type: missing");
    if (!tg__event_string(v, &s, &n) || !tg__event_printable(s, n, TG__EVENT_TYPE_MAX))
        return tg__fail(TG_EINVAL,
                        "event: type: must be a string of 1-%d printable ASCII characters",
                        TG__EVENT_TYPE_MAX);
    memcpy(out->type, s, n);
    out->type[n] = '\0';

    v = tg__event_member(root, "occurred_at", "occurredAt");
    if (!v)
        return tg__fail(TG_EINVAL, "event: occurred_at: missing");
    if (!tg__event_string(v, &s, &n))
        return tg__fail(TG_EINVAL, "event: occurred_at: must be an RFC 3339 date-time string");
    if (n > TG__EVENT_TIME_MAX || tg__rfc3339_parse(s, n, &out->occurred_at_ms) != 0) {
        tg__excerpt(s, n, TG__EVENT_EXCERPT_MAX, ex, sizeof ex);
        return tg__fail(TG_EINVAL, "event: occurred_at: \"%s\" is not an RFC 3339 date-time", ex);
    }
    memcpy(out->occurred_at, s, n);
    out->occurred_at[n] = '\0';

    data = tg__event_member(root, "data", NULL);
    if (!data)
        return tg__fail(TG_EINVAL, "event: data: missing");
    if (!json_object_is_type(data, json_type_object))
        return tg__fail(TG_EINVAL, "event: data: must be an object");

    status = tg__event_member(data, "status", NULL);
    if (strcmp(out->type, tg__event_type_deleted) == 0)
        out->kind = TG__EVENT_DELETED;
    else if (strncmp(out->type, tg__event_type_prefix, sizeof tg__event_type_prefix - 1) == 0 &&
             status)
        out->kind = TG__EVENT_STATUS;
    else
        out->kind = TG__EVENT_OTHER;

    /* Only events the gate acts on must name a valid account. */
    acts = out->kind != TG__EVENT_OTHER;
    rc = tg__event_identifier(data, acts, out);
    if (rc != TG_OK)
        return rc;
    rc = tg__event_connection(data, acts, out);
    if (rc != TG_OK)
        return rc;
    if (out->kind == TG__EVENT_STATUS)
        return tg__event_status(status, &out->status);
    return TG_OK;
}

int tg__event_parse(const char *body, size_t len, tg__event *out)
{
    json_object *root;
    int rc;

    if (!out)
        return tg__fail(TG_EINVAL, "event: NULL argument");
    memset(out, 0, sizeof *out);
    out->kind = TG__EVENT_OTHER;
    out->status = TG_STATUS_UNKNOWN;
    rc = tg__event_json(body, len, &root);
    if (rc != TG_OK)
        return rc;
    rc = tg__event_fields(root, out);
    json_object_put(root);
    return rc;
}

int tg_event_to_json(const char *body, size_t len, char *buf, size_t buflen, size_t *needed)
{
    static const char *const kinds[] = { "status", "deleted", "other" };
    tg__event ev;
    tg__out o = { buf, buflen, 0 };
    int rc;

    if (!buf && buflen > 0)
        return tg__fail(TG_EINVAL, "tg_event_to_json: NULL buffer");
    rc = tg__event_parse(body, len, &ev);
    if (rc != TG_OK)
        return rc;
    tg__puts(&o, "{");
    tg__put_key(&o, "id", 1);
    tg__put_string(&o, ev.id);
    tg__put_opt_string(&o, "type", ev.type);
    tg__put_opt_string(&o, "occurred_at", ev.occurred_at);
    tg__put_opt_string(&o, "connection", ev.connection[0] ? ev.connection : NULL);
    tg__put_opt_string(&o, "identifier", ev.identifier[0] ? ev.identifier : NULL);
    tg__put_opt_string(&o, "status",
                       ev.kind == TG__EVENT_STATUS ? tg_status_name(ev.status) : NULL);
    tg__put_opt_string(&o, "kind", kinds[ev.kind]);
    tg__puts(&o, "}");
    return tg__out_end(&o, needed, "tg_event_to_json");
}
