/* Fuzz target: request bodies of `toolgate serve` (src/serve/request.c:
 * serve_body_object, serve_body_raw, serve_body_string). The input is the
 * body of a POST /v1/check. Invariants:
 * - the body is taken (an object with none but the route's keys, each once)
 *   or refused with a 400 whose body is one JSON error object, code EINVAL,
 *   and a message safe to log;
 * - a body taken is one that json-c parses on its own to an equal object;
 * - the raw text of a member, as serve_body_raw cuts it from the bytes sent
 *   (what the server echoes as a request id), parses to that member's value;
 * - serve_body_string gives a member's string exactly, or refuses one that
 *   is not a string (or holds a NUL) with a 400. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "server.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static const char *const keys[] = { "tool", "identifier", "format", "request_id", NULL };

static void check_refusal(const serve_reply *r)
{
    json_object *root, *err, *code, *msg;

    FZ_CHECK(r->status == 400, "a refused body got HTTP %d", r->status);
    FZ_CHECK(r->body && r->len > 1 && r->body[r->len - 1] == '\n', "the refusal is not one line");
    root = fz_check_json_object("refusal", r->body, r->len - 1);
    FZ_CHECK(json_object_object_get_ex(root, "error", &err) &&
                 json_object_object_get_ex(err, "code", &code) &&
                 json_object_object_get_ex(err, "message", &msg),
             "not an error object: %s", r->body);
    FZ_CHECK(strcmp(json_object_get_string(code), "EINVAL") == 0, "code %s",
             json_object_get_string(code));
    fz_check_message("refusal", json_object_get_string(msg), NULL);
    json_object_put(root);
}

static void check_member(serve_call *c, json_object *body, const char *key, json_object *value)
{
    char raw[4096];
    const char *s;

    if (serve_body_raw(c, key, raw, sizeof raw) == 0) {
        json_object *again = fz_json_parse(raw, strlen(raw));
        FZ_CHECK(again && json_object_equal(again, value),
                 "the raw text of \"%s\" (%s) is not its value", key, raw);
        json_object_put(again);
    }
    s = serve_body_string(c, body, key, 0);
    if (json_object_is_type(value, json_type_string) &&
        strlen(json_object_get_string(value)) == (size_t)json_object_get_string_len(value)) {
        FZ_CHECK(s && strcmp(s, json_object_get_string(value)) == 0, "\"%s\" not given back", key);
        FZ_CHECK(c->reply.status == 0, "a string member was refused");
    } else if (json_object_is_type(value, json_type_null)) {
        FZ_CHECK(!s && c->reply.status == 0, "a null member is absent, not refused");
    } else {
        FZ_CHECK(!s, "\"%s\" is not a string, yet one was given", key);
        check_refusal(&c->reply);
        serve_reply_clear(&c->reply);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    json_object *body, *alone;
    serve_call c;

    FZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&c, 0, sizeof c);
    c.body = text;
    c.body_len = size;

    body = serve_body_object(&c, keys);
    if (!body) {
        check_refusal(&c.reply);
    } else {
        FZ_CHECK(c.reply.status == 0, "a body taken, and a reply %d", c.reply.status);
        alone = fz_json_parse(text, size);
        FZ_CHECK(alone && json_object_equal(alone, body), "json-c alone reads it otherwise");
        json_object_put(alone);
        json_object_object_foreach(body, key, value) {
            size_t k;
            for (k = 0; keys[k] && strcmp(keys[k], key) != 0; k++) {
            }
            FZ_CHECK(keys[k] != NULL, "unknown key \"%s\" taken", key);
            check_member(&c, body, key, value);
        }
    }
    json_object_put(body);
    serve_reply_clear(&c.reply);
    free(text);
    return 0;
}
