/* Answers as data: the body and headers a route builds, and the JSON error
 * object. Sending them is daemon.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define SERVE_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void serve_reply_clear(serve_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

void serve_reply_take(serve_reply *r, int http, const char *content_type, char *body, size_t len)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
    if (!body && len > 0) {
        serve_reply_error(r, 500, serve_error_code(TG_ENOMEM), "out of memory");
        return;
    }
    r->status = http;
    r->content_type = content_type;
    r->body = body;
    r->len = len;
}

void serve_reply_text(serve_reply *r, int http, const char *content_type, const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n + 1);

    if (copy)
        memcpy(copy, text, n + 1);
    serve_reply_take(r, http, content_type, copy, copy ? n : 1);
}

void serve_reply_line(serve_reply *r, const char *content_type, char *line)
{
    size_t n;
    char *grown;

    if (!line) {
        serve_reply_take(r, 500, content_type, NULL, 1);
        return;
    }
    n = strlen(line);
    grown = realloc(line, n + 2);
    if (!grown) {
        free(line);
        serve_reply_take(r, 500, content_type, NULL, 1);
        return;
    }
    grown[n] = '\n';
    grown[n + 1] = '\0';
    serve_reply_take(r, 200, content_type, grown, n + 1);
}

void serve_reply_error(serve_reply *r, int http, const char *code, const char *fmt, ...)
{
    char message[1024];
    json_object *root, *err;
    const char *text;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    free(r->body);
    r->body = NULL;
    r->len = 0;
    r->status = http;
    r->content_type = SERVE_TYPE_JSON;
    root = json_object_new_object();
    err = json_object_new_object();
    if (root && err) {
        json_object_object_add(err, "code", json_object_new_string(code));
        json_object_object_add(err, "message", json_object_new_string(message));
        if (json_object_object_add(root, "error", err) == 0)
            err = NULL; /* root owns it */
        text = json_object_to_json_string_ext(root, SERVE_JSON_FLAGS);
        if (text) {
            size_t n = strlen(text);
            r->body = malloc(n + 2);
            if (r->body) {
                memcpy(r->body, text, n);
                r->body[n] = '\n';
                r->body[n + 1] = '\0';
                r->len = n + 1;
            }
        }
    }
    json_object_put(err);
    json_object_put(root);
    if (!r->body) {
        r->status = 500;
        r->content_type = SERVE_TYPE_TEXT;
    }
}

void serve_reply_failure(serve_reply *r, int rc)
{
    const char *detail = tg_error_message();
    int http;

    if (!detail || !detail[0])
        detail = tg_strerror(rc);
    switch (rc) {
    case TG_EINVAL: http = 400; break;
    case TG_EPROVIDER:
    case TG_ETIMEOUT: http = 503; break;
    case TG_ENOTSUP: http = 501; break;
    default: http = 500; break;
    }
    serve_reply_error(r, http, serve_error_code(rc), "%s", detail);
}

void serve_reply_why(serve_reply *r, const char *message)
{
    size_t i;

    /* Printable ASCII only, so that any message fits in a header. */
    for (i = 0; message && message[i] && i + 1 < sizeof r->error; i++) {
        unsigned char ch = (unsigned char)message[i];
        r->error[i] = ch >= 0x20 && ch < 0x7F ? (char)ch : '?';
    }
    r->error[i] = '\0';
}

void serve_reply_decision_headers(serve_reply *r, const tg_decision *d)
{
    r->verdict = tg_verdict_name(tg_decision_verdict(d));
    r->status_name = tg_decision_has_status(d) ? tg_status_name(tg_decision_status(d)) : NULL;
}
