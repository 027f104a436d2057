/* Fuzz target: webhook event bodies (src/event.c: tg__event_parse and
 * tg_event_to_json). The input is the body. Invariants:
 * - the parse succeeds or fails with TG_EINVAL and a loggable message that
 *   starts with "event: ";
 * - a parsed event holds valid fields: printable id and type, an RFC 3339
 *   occurred_at that gives the same milliseconds again, a valid account
 *   for the kinds the gate acts on, a known status;
 * - tg_event_to_json measures exactly (*needed), writes one JSON object
 *   (parsed back with json-c) whose fields equal the parsed event, and
 *   leaves a NUL-terminated prefix when the buffer is one byte short;
 * - an event for a named account, applied to a gate (tg_gate_apply_event),
 *   sets or drops its cache entry at once, and its replay is a duplicate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "event.h"
#include "input.h"
#include "rfc3339.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static void check_field(json_object *o, const char *key, const char *want)
{
    const char *got = fz_json_string(o, key);
    json_object *v;

    if (!want) {
        FZ_CHECK(json_object_object_get_ex(o, key, &v) && v == NULL, "\"%s\" is not null", key);
        return;
    }
    FZ_CHECK(got && strcmp(got, want) == 0, "\"%s\" is %s, want %s", key, got ? got : "(none)",
             want);
}

static void check_event(const tg__event *ev)
{
    int64_t ms = 0;
    size_t n;

    n = strlen(ev->id);
    FZ_CHECK(n >= 1 && fz_printable_ascii(ev->id, n), "id %s", ev->id);
    n = strlen(ev->type);
    FZ_CHECK(n >= 1 && fz_printable_ascii(ev->type, n), "type %s", ev->type);
    FZ_CHECK(tg__rfc3339_parse(ev->occurred_at, strlen(ev->occurred_at), &ms) == 0 &&
                 ms == ev->occurred_at_ms,
             "occurred_at %s", ev->occurred_at);
    FZ_CHECK(ev->connection[0] == '\0' || tg__valid_connection(ev->connection, NULL),
             "connection %s", ev->connection);
    FZ_CHECK(ev->identifier[0] == '\0' || tg__valid_identifier(ev->identifier, NULL),
             "identifier %s", ev->identifier);
    switch (ev->kind) {
    case TG__EVENT_STATUS:
        FZ_CHECK((unsigned)ev->status <= TG_STATUS_NOT_FOUND, "status %d", (int)ev->status);
        /* fall through */
    case TG__EVENT_DELETED:
        FZ_CHECK(ev->identifier[0] != '\0', "no identifier for a %s event", ev->type);
        FZ_CHECK(strncmp(ev->type, "connected_account.", 18) == 0, "type %s", ev->type);
        break;
    case TG__EVENT_OTHER:
        FZ_CHECK(ev->status == TG_STATUS_UNKNOWN, "a status on an event that changes nothing");
        break;
    default:
        FZ_CHECK(0, "kind %d", (int)ev->kind);
    }
}

static void check_to_json(const tg__event *ev, const char *body, size_t len)
{
    static const char *const kinds[] = { "status", "deleted", "other" };
    size_t needed = 0, again = 0;
    char *buf;
    json_object *o;
    int rc;

    rc = tg_event_to_json(body, len, NULL, 0, &needed);
    FZ_CHECK(rc == TG_EBUFS && needed > 1, "measuring gave %d, needed %zu", rc, needed);
    buf = malloc(needed);
    if (!buf)
        abort();
    rc = tg_event_to_json(body, len, buf, needed, &again);
    FZ_CHECK(rc == TG_OK && again == needed && strlen(buf) + 1 == needed,
             "writing gave %d, needed %zu then %zu, wrote %zu", rc, needed, again, strlen(buf));
    o = fz_check_json_object("tg_event_to_json", buf, needed - 1);
    check_field(o, "id", ev->id);
    check_field(o, "type", ev->type);
    check_field(o, "occurred_at", ev->occurred_at);
    check_field(o, "connection", ev->connection[0] ? ev->connection : NULL);
    check_field(o, "identifier", ev->identifier[0] ? ev->identifier : NULL);
    check_field(o, "status", ev->kind == TG__EVENT_STATUS ? tg_status_name(ev->status) : NULL);
    check_field(o, "kind", kinds[ev->kind]);
    json_object_put(o);

    {
        char *full = strdup(buf);
        if (!full)
            abort();
        rc = tg_event_to_json(body, len, buf, needed - 1, &again);
        FZ_CHECK(rc == TG_EBUFS && again == needed && buf[needed - 2] == '\0' &&
                     memcmp(buf, full, needed - 2) == 0,
                 "a buffer one byte short gave %d", rc);
        free(full);
    }
    free(buf);
}

/* A provider that counts its calls; the account is EXPIRED unless an event
 * says otherwise. */
static int status_calls;

static int fake_create(const tg_host *host, const char *config_json, const char *base_dir,
                       void *arg, void **state)
{
    (void)host;
    (void)config_json;
    (void)base_dir;
    *state = arg;
    return TG_OK;
}

static void fake_destroy(void *state)
{
    (void)state;
}

static int fake_status(void *state, const char *connection, const char *identifier,
                       tg_status *status)
{
    (void)state;
    (void)connection;
    (void)identifier;
    status_calls++;
    *status = TG_STATUS_EXPIRED;
    return TG_OK;
}

static int fake_link(void *state, const char *connection, const char *identifier, char *buf,
                     size_t len, int64_t *expires_at_ms)
{
    (void)state;
    (void)connection;
    (void)identifier;
    snprintf(buf, len, "https://auth.example/authorize");
    *expires_at_ms = 0;
    return TG_OK;
}

static const tg_provider fake_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fuzz", fake_create, fake_destroy,
    fake_status, fake_link,
};

/* The same event under another id, as JSON text. Caller frees. The body is
 * read as event.c reads it: json-c's default (not strict) mode. */
static char *same_event_new_id(const tg__event *ev, const char *body, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *root;
    char id[TG__EVENT_ID_MAX + 2];
    char *text;

    if (!tok)
        abort();
    root = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    FZ_CHECK(root != NULL, "a body json-c cannot parse was accepted");
    snprintf(id, sizeof id, "%.*s%c", TG__EVENT_ID_MAX - 1, ev->id,
             ev->id[0] == 'x' ? 'y' : 'x');
    json_object_object_add(root, "id", json_object_new_string(id));
    text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    if (!text)
        abort();
    json_object_put(root);
    return text;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An event the gate acts on, applied to a gate whose provider filled the
 * account's entry just before: a replay of its id is a duplicate, the same
 * change under a new id is stale; a status newer than the provider's answer
 * is kept (no provider call after it), a deletion or a status older than
 * that answer drops the entry (the next check asks the provider). */
static void check_apply(const tg__event *ev, const char *body, size_t len)
{
    tg_gate *g = NULL;
    tg_decision *d = tg_decision_new();
    int64_t before, after;
    char *again;
    int rc;

    if (!d)
        abort();
    FZ_CHECK(tg_gate_new_with_provider(&g, "{}", ".", &fake_provider, NULL) == TG_OK, "gate: %s",
             tg_error_message());
    status_calls = 0;
    before = wall_ms();
    FZ_CHECK(tg_gate_check_connection(g, ev->connection, ev->identifier, d) == TG_OK,
             "check: %s", tg_error_message());
    after = wall_ms();
    FZ_CHECK(status_calls == 1, "%d provider calls", status_calls);
    rc = tg_gate_apply_event(g, body, len);
    FZ_CHECK(rc == TG_EVENT_APPLIED, "applying gave %d: %s", rc, tg_error_message());
    rc = tg_gate_apply_event(g, body, len);
    FZ_CHECK(rc == TG_EVENT_DUPLICATE, "applying twice gave %d", rc);
    again = same_event_new_id(ev, body, len);
    rc = tg_gate_apply_event(g, again, strlen(again));
    FZ_CHECK(rc == TG_EVENT_STALE, "the same event under a new id gave %d: %s", rc, again);
    free(again);

    status_calls = 0;
    FZ_CHECK(tg_gate_check_connection(g, ev->connection, ev->identifier, d) == TG_OK, "check: %s",
             tg_error_message());
    if (ev->kind == TG__EVENT_STATUS && ev->occurred_at_ms > after) {
        FZ_CHECK(status_calls == 0 && tg_decision_has_status(d) &&
                     tg_decision_status(d) == ev->status &&
                     (tg_decision_verdict(d) == TG_VERDICT_ALLOW) ==
                         (ev->status == TG_STATUS_ACTIVE),
                 "after a newer %s event: %d provider calls, status %s, verdict %s",
                 tg_status_name(ev->status), status_calls, tg_status_name(tg_decision_status(d)),
                 tg_verdict_name(tg_decision_verdict(d)));
    } else if (ev->kind == TG__EVENT_DELETED || ev->occurred_at_ms <= before) {
        FZ_CHECK(status_calls == 1 && tg_decision_status(d) == TG_STATUS_EXPIRED,
                 "after a deletion or an older event: %d provider calls, status %s",
                 status_calls, tg_status_name(tg_decision_status(d)));
    }
    tg_decision_free(d);
    tg_gate_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg__event *ev = malloc(sizeof *ev);
    int rc;

    if (!ev)
        abort();
    rc = tg__event_parse((const char *)data, size, ev);
    if (rc != TG_OK) {
        FZ_CHECK(rc == TG_EINVAL, "parse gave %d: %s", rc, tg_error_message());
        fz_check_message("event", tg_error_message(), "event: ");
        FZ_CHECK(tg_event_to_json((const char *)data, size, NULL, 0, NULL) == rc,
                 "tg_event_to_json disagrees");
    } else {
        check_event(ev);
        check_to_json(ev, (const char *)data, size);
        if (ev->kind != TG__EVENT_OTHER && ev->connection[0])
            check_apply(ev, (const char *)data, size);
    }
    free(ev);
    return 0;
}
