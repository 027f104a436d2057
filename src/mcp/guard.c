/* The gating of one tools/call (guard.h). */
#include "guard.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "mcp_limits.h"
#include "scan.h"

/* Longest decoded tool name read (a valid one has at most TG_TOOL_MAX). */
#define MCP_NAME_MAX 1024
#define MCP_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int mcp_guard_init(mcp_guard *g, tg_gate *gate, const char *identifier,
                   mcp_elicited_fn on_elicited, void *ctx)
{
    memset(g, 0, sizeof *g);
    g->gate = gate;
    g->identifier = identifier;
    g->on_elicited = on_elicited;
    g->ctx = ctx;
    g->d = tg_decision_new();
    return g->d ? 0 : -1;
}

void mcp_guard_free(mcp_guard *g)
{
    tg_decision_free(g->d);
    g->d = NULL;
    mcp_buf_free(&g->answer);
    mcp_buf_free(&g->enc);
}

/* The request's id is echoed as its own bytes when they are one JSON
 * string, number or null (the scanner does not check bare tokens); else the
 * answer's id is null, as JSON-RPC has it for a request it cannot read. */
static int echoable_id(const char *id, size_t len)
{
    char text[MCP_SCAN_ID_MAX + 1];
    json_tokener *tok;
    json_object *o;
    int ok;

    if (len == 0 || len > MCP_SCAN_ID_MAX || !(tok = json_tokener_new()))
        return 0;
    /* With its NUL: json-c ends a number at the end of its text only then. */
    memcpy(text, id, len);
    text[len] = '\0';
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, text, (int)len + 1);
    ok = json_tokener_get_error(tok) == json_tokener_success &&
         json_tokener_get_parse_end(tok) >= len &&
         (o == NULL || json_object_is_type(o, json_type_string) ||
          json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double));
    json_object_put(o);
    json_tokener_free(tok);
    return ok;
}

/* {"jsonrpc":"2.0","id":<id>,"<member>":<body>} into g->answer. */
static int envelope(mcp_guard *g, const char *id, size_t id_len, const char *member,
                    const char *body)
{
    if (!echoable_id(id, id_len)) {
        id = "null";
        id_len = 4;
    }
    mcp_buf_reset(&g->answer, 1 << 16);
    return mcp_buf_adds(&g->answer, "{\"jsonrpc\":\"2.0\",\"id\":") ||
                   mcp_buf_add(&g->answer, id, id_len) || mcp_buf_adds(&g->answer, ",\"") ||
                   mcp_buf_adds(&g->answer, member) || mcp_buf_adds(&g->answer, "\":") ||
                   mcp_buf_adds(&g->answer, body) || mcp_buf_adds(&g->answer, "}")
               ? -1
               : 0;
}

/* A CallToolResult with isError and one text. */
static int tool_error(mcp_guard *g, const mcp_call *c, const char *text)
{
    json_object *r = json_object_new_object(), *content = json_object_new_array(),
                *item = json_object_new_object();
    int rc = -1;

    if (r && content && item) {
        json_object_object_add(item, "type", json_object_new_string("text"));
        json_object_object_add(item, "text", json_object_new_string(text));
        json_object_array_add(content, item);
        item = NULL;
        json_object_object_add(r, "resultType", json_object_new_string("complete"));
        json_object_object_add(r, "content", content);
        content = NULL;
        json_object_object_add(r, "isError", json_object_new_boolean(1));
        rc = envelope(g, c->id, c->id_len, "result", json_object_to_json_string_ext(r, MCP_JSON_FLAGS));
    }
    json_object_put(item);
    json_object_put(content);
    json_object_put(r);
    return rc;
}

/* The decision in @p format, without a request id, into g->enc. */
static int encode(mcp_guard *g, tg_format format)
{
    size_t needed = 0;

    if (tg_decision_encode(g->d, format, NULL, NULL, 0, &needed) != TG_EBUFS || needed == 0)
        return -1;
    mcp_buf_reset(&g->enc, 1 << 16);
    if (mcp_buf_reserve(&g->enc, needed) != 0)
        return -1;
    return tg_decision_encode(g->d, format, NULL, g->enc.data, needed, NULL) == TG_OK ? 0 : -1;
}

/* NEEDS_AUTHORIZATION to a client that takes URL elicitations: -32042, and
 * the account watched until it is ACTIVE. */
static int url_elicitation(mcp_guard *g, const mcp_call *c)
{
    json_object *err, *data, *list, *first, *eid;
    const char *conn = tg_decision_connection(g->d);
    int rc;

    if (encode(g, TG_FORMAT_MCP) != 0)
        return -1;
    rc = envelope(g, c->id, c->id_len, "error", g->enc.data);
    if (rc != 0 || !g->on_elicited || !conn)
        return rc;
    err = json_tokener_parse(g->enc.data);
    if (err && json_object_object_get_ex(err, "data", &data) &&
        json_object_object_get_ex(data, "elicitations", &list) &&
        (first = json_object_array_get_idx(list, 0)) != NULL &&
        json_object_object_get_ex(first, "elicitationId", &eid))
        g->on_elicited(g->ctx, conn, json_object_get_string(eid));
    json_object_put(err);
    return 0;
}

/* Every other verdict that is not ALLOW: the library's CallToolResult
 * without structuredContent. */
static int tool_result(mcp_guard *g, const mcp_call *c)
{
    json_object *r;
    int rc = -1;

    if (encode(g, TG_FORMAT_MCP_TOOL_RESULT) != 0)
        return -1;
    r = json_tokener_parse(g->enc.data);
    if (r) {
        json_object_object_del(r, "structuredContent");
        rc = envelope(g, c->id, c->id_len, "result", json_object_to_json_string_ext(r, MCP_JSON_FLAGS));
    }
    json_object_put(r);
    return rc;
}

static mcp_action answered(mcp_guard *g, const mcp_call *c, int rc, const char **answer,
                           size_t *len)
{
    if (!c->id)
        return MCP_DROP;
    if (rc != 0 &&
        tool_error(g, c, "The tool did not run: the gateway ran out of memory.") != 0) {
        static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                  "\"message\":\"out of memory\"}}";
        *answer = oom;
        *len = sizeof oom - 1;
        return MCP_ANSWER;
    }
    *answer = g->answer.data;
    *len = g->answer.len;
    return MCP_ANSWER;
}

mcp_action mcp_guard_decide(mcp_guard *g, const mcp_call *c, const char **answer, size_t *len)
{
    char name[MCP_NAME_MAX], text[2048];
    long name_len = -1;
    int rc;

    if (c->too_large) {
        snprintf(text, sizeof text,
                 "The tool did not run: the request is larger than the gateway's limit of "
                 "%u MiB for a tool call.",
                 (unsigned)(MCP_LINE_MAX >> 20));
        return answered(g, c, c->id ? tool_error(g, c, text) : 0, answer, len);
    }
    if (c->ambiguous)
        return answered(g, c,
                        c->id ? tool_error(g, c,
                                           "The tool did not run: the request gives its "
                                           "params or params.name more than once.")
                              : 0,
                        answer, len);
    if (c->name)
        name_len = mcp_json_string(c->name, c->name_len, name, sizeof name);
    if (name_len < 0) {
        const char *why = c->name && c->name[0] == '"'
                              ? "The tool did not run: its name is not a valid tool name "
                                "(1-128 characters of A-Z a-z 0-9 _ - . : /)."
                              : "The tool did not run: the request names no tool "
                                "(params.name must be a string).";
        return answered(g, c, c->id ? tool_error(g, c, why) : 0, answer, len);
    }

    rc = tg_gate_check(g->gate, name, g->identifier, g->d);
    if (rc != TG_OK) {
        snprintf(text, sizeof text, "The tool did not run: %s%s",
                 rc == TG_EINVAL ? "" : "the gateway could not check it: ",
                 tg_error_message()[0] ? tg_error_message() : tg_strerror(rc));
        return answered(g, c, c->id ? tool_error(g, c, text) : 0, answer, len);
    }
    switch (tg_decision_verdict(g->d)) {
    case TG_VERDICT_ALLOW:
        return MCP_FORWARD;
    case TG_VERDICT_NEEDS_AUTHORIZATION:
        if (!c->id)
            return MCP_DROP;
        if (g->url_elicitation && tg_decision_link(g->d))
            return answered(g, c, url_elicitation(g, c), answer, len);
        return answered(g, c, tool_result(g, c), answer, len);
    default:
        return answered(g, c, c->id ? tool_result(g, c) : 0, answer, len);
    }
}

int mcp_guard_batch_refusal(mcp_guard *g, size_t messages, size_t limit, const char **answer,
                            size_t *len)
{
    char body[256];

    snprintf(body, sizeof body,
             "{\"code\":-32600,\"message\":\"Invalid Request: a batch of %zu messages with a "
             "tools/call among them is over the gateway's limit of %zu\"}",
             messages, limit);
    if (envelope(g, "null", 4, "error", body) != 0)
        return -1;
    *answer = g->answer.data;
    *len = g->answer.len;
    return 0;
}
