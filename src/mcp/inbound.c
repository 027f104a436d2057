/* What the client sends, line by line (inbound.h). */
#include "inbound.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_limits.h"

#define NO_CUT SIZE_MAX

static void on_message(void *ctx, const mcp_message *m);

static void line_start(mcp_inbound *in)
{
    in->line.max = in->line_max + 1; /* the line and its newline */
    mcp_scan_init(&in->scan, on_message, in);
    mcp_buf_reset(&in->line, MCP_LINE_KEEP);
    mcp_buf_reset(&in->out, MCP_LINE_KEEP);
    in->streaming = 0;
    in->sent = 0;
    in->cut = NO_CUT;
    in->refused = 0;
    in->refused_id_len = 0;
    in->nrecs = in->nmsgs = 0;
    in->any_call = 0;
}

int mcp_inbound_init(mcp_inbound *in, mcp_guard *guard, const mcp_inbound_ops *ops, void *ctx)
{
    memset(in, 0, sizeof *in);
    in->guard = guard;
    in->ops = ops;
    in->ctx = ctx;
    in->line_max = MCP_LINE_MAX;
    in->recs = malloc(MCP_BATCH_MAX * sizeof *in->recs);
    if (!in->recs)
        return -1;
    line_start(in);
    return 0;
}

void mcp_inbound_free(mcp_inbound *in)
{
    mcp_scan_free(&in->scan);
    mcp_buf_free(&in->line);
    mcp_buf_free(&in->out);
    free(in->recs);
    in->recs = NULL;
}

static void to_server(mcp_inbound *in, const char *bytes, size_t n)
{
    if (n)
        in->ops->to_server(in->ctx, bytes, n);
}

static void note(mcp_inbound *in, const char *text)
{
    if (in->ops->note)
        in->ops->note(in->ctx, text);
}

/* A call refused while streaming: where to cut, and the id to answer. */
static void refuse(mcp_inbound *in, size_t cut, const char *id, size_t id_len)
{
    if (in->cut != NO_CUT)
        return;
    in->cut = cut < in->sent ? in->sent : cut;
    in->refused = 1;
    in->refused_id_len = id && id_len <= sizeof in->refused_id ? id_len : 0;
    if (in->refused_id_len)
        memcpy(in->refused_id, id, id_len);
}

static void on_message(void *ctx, const mcp_message *m)
{
    mcp_inbound *in = ctx;
    mcp_record *r;

    if (in->streaming) {
        if (m->method_initialize)
            in->guard->url_elicitation = m->url_elicitation;
        /* Cut before the message's closing brace: what the server holds
         * is then never a whole message. */
        if (m->method_call)
            refuse(in, m->whole.off + m->whole.len - 1, m->ids ? m->id_raw : NULL,
                   m->ids ? m->id.len : 0);
        return;
    }
    in->nmsgs++;
    in->any_call |= m->method_call;
    if (in->nrecs >= MCP_BATCH_MAX)
        return;
    r = &in->recs[in->nrecs++];
    r->whole = m->whole;
    r->id = m->id;
    r->name = m->name;
    r->ids = m->ids;
    r->names = m->names;
    r->params = m->params;
    r->call = m->method_call;
    r->initialize = m->method_initialize;
    r->url_elicitation = m->url_elicitation;
}

/* The line outgrew the limit: pass on what is held, unless it holds a
 * call, and stream the rest. */
static void go_streaming(mcp_inbound *in)
{
    size_t i, upto;

    in->streaming = 1;
    in->sent = 0;
    for (i = 0; i < in->nrecs; i++) {
        const mcp_record *r = &in->recs[i];
        if (r->initialize)
            in->guard->url_elicitation = r->url_elicitation;
        if (r->call) {
            refuse(in, r->whole.off + r->whole.len - 1, r->ids ? in->line.data + r->id.off : NULL,
                   r->ids ? r->id.len : 0);
            break;
        }
    }
    if (in->any_call && in->cut == NO_CUT)
        refuse(in, 0, NULL, 0); /* a call past the records kept: send nothing */
    upto = in->cut < in->line.len ? in->cut : in->line.len;
    to_server(in, in->line.data, upto);
    in->sent = upto;
    mcp_buf_reset(&in->line, MCP_LINE_KEEP);
}

static void stream(mcp_inbound *in, const char *bytes, size_t n)
{
    size_t pos0 = mcp_scan_pos(&in->scan), end = pos0 + n, upto;

    if (mcp_scan_feed(&in->scan, bytes, n) != 0 &&
        mcp_scan_failure(&in->scan) == MCP_SCAN_TOO_DEEP)
        refuse(in, pos0, NULL, 0); /* cannot follow it: cannot let it through */
    upto = in->cut < end ? in->cut : end;
    if (upto > in->sent) {
        to_server(in, bytes + (in->sent - pos0), upto - in->sent);
        in->sent = upto;
    }
}

/* Bytes of the current line, no newline among them. */
static void line_bytes(mcp_inbound *in, const char *bytes, size_t n)
{
    if (!in->streaming && in->line.len + n > in->line_max) {
        size_t fit = in->line_max - in->line.len;
        /* Hold up to the limit exactly, then stream. */
        if (fit) {
            mcp_buf_add(&in->line, bytes, fit);
            mcp_scan_feed(&in->scan, bytes, fit);
            bytes += fit;
            n -= fit;
        }
        go_streaming(in);
    }
    if (in->streaming) {
        stream(in, bytes, n);
        return;
    }
    if (mcp_buf_add(&in->line, bytes, n) != 0) {
        /* Out of memory below the limit: stream from here, as over it. */
        go_streaming(in);
        stream(in, bytes, n);
        return;
    }
    mcp_scan_feed(&in->scan, bytes, n);
}

static mcp_call call_of(const mcp_inbound *in, const mcp_record *r)
{
    mcp_call c;

    memset(&c, 0, sizeof c);
    if (r->names) {
        c.name = in->line.data + r->name.off;
        c.name_len = r->name.len;
    }
    c.ambiguous = r->names > 1 || r->params > 1;
    if (r->ids) {
        c.id = in->line.data + r->id.off;
        c.id_len = r->id.len;
    }
    return c;
}

static void dropped(mcp_inbound *in)
{
    note(in, "a tools/call notification (no id) was not allowed: dropped");
}

/* One message, not in a batch. */
static void handle_object(mcp_inbound *in)
{
    const mcp_record *r = &in->recs[0];
    mcp_call c;
    const char *answer = NULL;
    size_t len = 0;

    if (r->initialize)
        in->guard->url_elicitation = r->url_elicitation;
    if (!r->call) {
        to_server(in, in->line.data, in->line.len);
        return;
    }
    c = call_of(in, r);
    switch (mcp_guard_decide(in->guard, &c, &answer, &len)) {
    case MCP_FORWARD:
        to_server(in, in->line.data, in->line.len);
        break;
    case MCP_ANSWER:
        in->ops->to_client(in->ctx, answer, len);
        break;
    case MCP_DROP:
        dropped(in);
        break;
    }
}

static void handle_batch(mcp_inbound *in, size_t with_newline)
{
    const char *answer = NULL;
    size_t i, len = 0, answers = 0, kept = 0;
    unsigned char *blocked;
    int any_blocked = 0;

    for (i = 0; i < in->nrecs; i++)
        if (in->recs[i].initialize)
            in->guard->url_elicitation = in->recs[i].url_elicitation;
    if (!in->any_call) {
        to_server(in, in->line.data, in->line.len);
        return;
    }
    if (in->nmsgs > in->nrecs) {
        if (mcp_guard_batch_refusal(in->guard, in->nmsgs, MCP_BATCH_MAX, &answer, &len) == 0)
            in->ops->to_client(in->ctx, answer, len);
        note(in, "a batch too large to split around a tools/call was refused");
        return;
    }
    blocked = calloc(in->nrecs ? in->nrecs : 1, 1);
    if (!blocked) {
        note(in, "out of memory: a batch with a tools/call was dropped");
        return;
    }
    mcp_buf_reset(&in->out, MCP_LINE_KEEP);
    for (i = 0; i < in->nrecs; i++) {
        mcp_call c;
        mcp_action a;
        if (!in->recs[i].call)
            continue;
        c = call_of(in, &in->recs[i]);
        a = mcp_guard_decide(in->guard, &c, &answer, &len);
        if (a == MCP_FORWARD)
            continue;
        blocked[i] = 1;
        any_blocked = 1;
        if (a == MCP_DROP) {
            dropped(in);
            continue;
        }
        if (mcp_buf_add(&in->out, answers ? "," : "[", 1) == 0 &&
            mcp_buf_add(&in->out, answer, len) == 0)
            answers++;
    }
    if (!any_blocked) {
        to_server(in, in->line.data, in->line.len);
        free(blocked);
        return;
    }
    if (answers && mcp_buf_add(&in->out, "]", 1) == 0)
        in->ops->to_client(in->ctx, in->out.data, in->out.len);

    /* The messages not blocked, as one batch, each one's bytes unchanged. */
    mcp_buf_reset(&in->out, MCP_LINE_KEEP);
    for (i = 0; i < in->nrecs; i++) {
        const mcp_span *w = &in->recs[i].whole;
        if (blocked[i])
            continue;
        if (mcp_buf_add(&in->out, kept ? "," : "[", 1) != 0 ||
            mcp_buf_add(&in->out, in->line.data + w->off, w->len) != 0)
            break;
        kept++;
    }
    if (kept && i == in->nrecs && mcp_buf_add(&in->out, "]\n", with_newline ? 2 : 1) == 0)
        to_server(in, in->out.data, in->out.len);
    else if (kept)
        note(in, "out of memory: the rest of a batch was dropped");
    free(blocked);
}

/* The line ended (with its newline, or with the client's input). */
static void line_end(mcp_inbound *in, int newline)
{
    mcp_scan_kind kind = mcp_scan_finish(&in->scan);

    if (in->streaming) {
        if (newline)
            to_server(in, "\n", 1);
        if (in->refused) {
            mcp_call c;
            const char *answer = NULL;
            size_t len = 0;
            memset(&c, 0, sizeof c);
            c.too_large = 1;
            if (in->refused_id_len) {
                c.id = in->refused_id;
                c.id_len = in->refused_id_len;
            }
            if (mcp_guard_decide(in->guard, &c, &answer, &len) == MCP_ANSWER)
                in->ops->to_client(in->ctx, answer, len);
            note(in, "a tools/call over the line limit was cut short and refused");
        }
        line_start(in);
        return;
    }
    if (newline && mcp_buf_add(&in->line, "\n", 1) != 0) {
        /* cannot happen: the buffer's ceiling leaves room for it */
        note(in, "out of memory: a line was dropped");
        line_start(in);
        return;
    }
    switch (kind) {
    case MCP_SCAN_OBJECT:
        handle_object(in);
        break;
    case MCP_SCAN_BATCH:
        handle_batch(in, (size_t)newline);
        break;
    default:
        to_server(in, in->line.data, in->line.len);
        break;
    }
    line_start(in);
}

void mcp_inbound_feed(mcp_inbound *in, const char *bytes, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(bytes, '\n', n);
        size_t part = nl ? (size_t)(nl - bytes) : n;

        if (part)
            line_bytes(in, bytes, part);
        if (!nl)
            return;
        line_end(in, 1);
        bytes += part + 1;
        n -= part + 1;
    }
}

void mcp_inbound_end(mcp_inbound *in)
{
    if (in->streaming || in->line.len > 0)
        line_end(in, 0);
}
