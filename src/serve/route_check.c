/* POST /v1/check {"tool","identifier"[,"format"][,"request_id"]}: the
 * decision exactly as `toolgate check --format FORMAT` prints it (the same
 * bytes, newline included), for every verdict, with the verdict in a header.
 * A blocked call is a 200 like any verdict: an HTTP error means the gate
 * could not decide. */
#include <string.h>

#include "cli.h"
#include "server.h"

static const char *const serve_check_keys[] = { "tool", "identifier", "format", "request_id",
                                                NULL };

static int serve_is_mcp(tg_format f)
{
    return f == TG_FORMAT_MCP || f == TG_FORMAT_MCP_INPUT_REQUIRED ||
           f == TG_FORMAT_MCP_TOOL_RESULT;
}

/* The longest request id the encodings take, and its room here. */
#define SERVE_REQUEST_ID_MAX 1024

/* "request_id": a JSON-RPC id (a string or an integer), as JSON text, into
 * @p out: the bytes the client sent, so the answer echoes its id exactly as
 * `toolgate check --request-id` does. 0 when absent (*out NULL) or good; -1
 * after a 400. */
static int serve_request_id(serve_call *c, json_object *body, tg_format format, char *raw,
                            const char **out)
{
    json_object *v;

    *out = NULL;
    if (!json_object_object_get_ex(body, "request_id", &v) ||
        json_object_is_type(v, json_type_null))
        return 0;
    if (!serve_is_mcp(format)) {
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "\"request_id\" needs format mcp, mcp-input-required or "
                          "mcp-tool-result");
        return -1;
    }
    if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int)) {
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "\"request_id\" must be a JSON-RPC id: a string or an integer");
        return -1;
    }
    if (serve_body_raw(c, "request_id", raw, SERVE_REQUEST_ID_MAX + 2) == 0)
        *out = raw;
    else /* its key written with escapes, or too long for the encodings anyway */
        *out = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
    return 0;
}

void serve_route_check(serve_call *c)
{
    const char *tool, *identifier, *format_name, *request_id = NULL;
    char raw_id[SERVE_REQUEST_ID_MAX + 2];
    tg_format format = TG_FORMAT_JSON;
    json_object *body;
    serve_gate *g;
    char *text;
    size_t len;
    int rc;

    body = serve_body_object(c, serve_check_keys);
    if (!body)
        return;
    tool = serve_body_string(c, body, "tool", 1);
    identifier = tool ? serve_body_string(c, body, "identifier", 1) : NULL;
    if (!identifier)
        goto out;
    format_name = serve_body_string(c, body, "format", 0);
    if (c->reply.status)
        goto out;
    if (format_name && tg_format_parse(format_name, &format) != TG_OK) {
        serve_reply_error(&c->reply, 400, "EINVAL",
                          "\"format\" must be json, text, mcp, mcp-input-required or "
                          "mcp-tool-result");
        goto out;
    }
    if (serve_request_id(c, body, format, raw_id, &request_id) != 0)
        goto out;

    g = serve_gates_acquire(&c->srv->gates);
    rc = tg_gate_check(g->gate, tool, identifier, c->sc->decision);
    if (rc != TG_OK) {
        serve_reply_failure(&c->reply, rc);
    } else {
        /* What failed, as the command says it on exit 11; before encoding,
         * which may reuse the message. */
        if (tg_decision_verdict(c->sc->decision) == TG_VERDICT_UNAVAILABLE)
            serve_reply_why(&c->reply, tg_error_message());
        /* The decision's strings live as long as its gate: encode first. */
        text = cli_encode_decision(c->sc->decision, format, request_id, &len, &rc);
        if (!text) {
            serve_reply_failure(&c->reply, rc);
        } else {
            text[len] = '\n';
            text[len + 1] = '\0';
            serve_reply_take(&c->reply, 200,
                             format == TG_FORMAT_TEXT ? SERVE_TYPE_TEXT : SERVE_TYPE_JSON, text,
                             len + 1);
            serve_reply_decision_headers(&c->reply, c->sc->decision);
        }
    }
    serve_gates_release(&c->srv->gates, g);
out:
    json_object_put(body);
}
