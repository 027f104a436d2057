/* The JSON-RPC scanner of `toolgate mcp-proxy` (scan.h). */
#include "scan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

enum { ST_VALUE, ST_KEY, ST_COLON, ST_AFTER, ST_STRING, ST_BARE };

/* What a container is, for the members the proxy reads. */
enum { N_NONE, N_MSG, N_BATCH, N_PARAMS, N_CAPS, N_ELICIT };

/* The member being read in a container. */
enum { F_NONE, F_METHOD, F_ID, F_PARAMS, F_NAME, F_CAPS, F_ELICIT, F_URL, F_ELEMENT };

#define TRACKED 8 /* depths whose node and field are kept; members of interest are at 1-5 */

long mcp_json_string(const char *raw, size_t n, char *out, size_t cap)
{
    json_tokener *tok;
    json_object *o;
    const char *s;
    long len = -1;

    if (n < 2 || raw[0] != '"' || raw[n - 1] != '"' || n > INT_MAX || cap == 0)
        return -1;
    if (!memchr(raw, '\\', n)) {
        /* No escape: the bytes between the quotes are the string. */
        if (n - 2 >= cap || memchr(raw + 1, '"', n - 2))
            return -1;
        memcpy(out, raw + 1, n - 2);
        out[n - 2] = '\0';
        return (long)(n - 2);
    }
    tok = json_tokener_new();
    if (!tok)
        return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, raw, (int)n);
    if (o && json_tokener_get_error(tok) == json_tokener_success &&
        json_tokener_get_parse_end(tok) == n && json_object_is_type(o, json_type_string)) {
        size_t sl = (size_t)json_object_get_string_len(o);
        s = json_object_get_string(o);
        if (sl < cap && !memchr(s, '\0', sl)) {
            memcpy(out, s, sl + 1);
            len = (long)sl;
        }
    }
    json_object_put(o);
    json_tokener_free(tok);
    return len;
}

/* A raw JSON string equals @p want once decoded. */
static int raw_is(const char *raw, size_t n, const char *want)
{
    char buf[MCP_SCAN_METHOD_MAX];
    long len = mcp_json_string(raw, n, buf, sizeof buf);
    return len >= 0 && (size_t)len == strlen(want) && memcmp(buf, want, (size_t)len) == 0;
}

void mcp_scan_init(mcp_scan *s, mcp_scan_message_fn on_message, void *ctx)
{
    uint64_t *kinds = s->kinds;
    size_t kinds_cap = s->kinds_cap;

    /* Only what a line needs at its start; the capture buffers are written
     * before they are read. */
    s->state = ST_VALUE;
    s->in_key = s->escape = s->failed = 0;
    s->top = MCP_SCAN_EMPTY;
    s->pos = s->depth = 0;
    s->kinds = kinds;
    s->kinds_cap = kinds_cap;
    s->pending = F_NONE;
    s->key_len = 0;
    s->key_over = 0;
    s->cap_len = s->cap_depth = 0;
    s->capturing = s->cap_over = 0;
    s->on_message = on_message;
    s->ctx = ctx;
    s->node[0] = N_NONE;
    s->field[0] = F_NONE;
}

void mcp_scan_free(mcp_scan *s)
{
    free(s->kinds);
    s->kinds = NULL;
    s->kinds_cap = 0;
}

mcp_scan_kind mcp_scan_failure(const mcp_scan *s)
{
    return s->failed ? s->top : MCP_SCAN_EMPTY;
}

size_t mcp_scan_pos(const mcp_scan *s)
{
    return s->pos;
}

static int fail(mcp_scan *s, mcp_scan_kind why)
{
    s->failed = 1;
    s->top = why;
    return -1;
}

static int node_at(const mcp_scan *s, size_t d)
{
    return d < TRACKED ? s->node[d] : N_NONE;
}

static int field_at(const mcp_scan *s, size_t d)
{
    return d > 0 && d < TRACKED ? s->field[d] : F_NONE;
}

static int is_object(const mcp_scan *s, size_t d)
{
    return (int)((s->kinds[(d - 1) / 64] >> ((d - 1) % 64)) & 1);
}

static void msg_reset(mcp_scan *s, size_t off, int object)
{
    mcp_message *m = &s->msg;
    m->whole.off = off;
    m->whole.len = 0;
    m->is_object = object;
    m->methods = m->ids = m->params = m->names = 0;
    m->method_call = m->method_initialize = 0;
    m->id.off = m->id.len = 0;
    m->name.off = m->name.len = 0;
    m->url_elicitation = 0;
}

/* Append the bytes fed since the last call, up to absolute position
 * @p upto, to the value capture. */
static void cap_take(mcp_scan *s, size_t upto)
{
    size_t from = s->cap_from > s->chunk_base ? s->cap_from : s->chunk_base, n;

    if (!s->capturing || !s->chunk || upto <= from)
        return;
    n = upto - from;
    s->cap_from = upto;
    if (s->cap_over || s->cap_len + n > sizeof s->cap) {
        s->cap_over = 1;
        return;
    }
    memcpy(s->cap + s->cap_len, s->chunk + (from - s->chunk_base), n);
    s->cap_len += n;
}

static void begin_value(mcp_scan *s, unsigned char c)
{
    size_t d = s->depth;
    int f = field_at(s, d);

    if (d < TRACKED)
        s->value_start[d] = s->pos;
    if (d == 0) {
        s->top = c == '{' ? MCP_SCAN_OBJECT : c == '[' ? MCP_SCAN_BATCH : MCP_SCAN_SCALAR;
        if (c == '{')
            msg_reset(s, s->pos, 1);
    }
    if (f == F_ELEMENT)
        msg_reset(s, s->pos, c == '{');
    if (f == F_METHOD || f == F_ID || f == F_NAME) {
        s->capturing = 1;
        s->cap_over = 0;
        s->cap_len = 0;
        s->cap_depth = d;
        s->cap_from = s->pos;
    }
    if (f == F_URL)
        s->msg.url_elicitation = c == '{';
}

/* The value in the container at depth d (0: the line) ended just before
 * s->pos. */
static void end_value(mcp_scan *s)
{
    size_t d = s->depth;
    int f = field_at(s, d);
    mcp_message *m = &s->msg;

    if (s->capturing && s->cap_depth == d) {
        size_t start = s->value_start[d], len = s->pos - start;
        cap_take(s, s->pos);
        s->capturing = 0;
        if (f == F_METHOD) {
            int ok = !s->cap_over && s->cap_len <= MCP_SCAN_METHOD_MAX && s->cap[0] == '"';
            m->methods++;
            if (ok && raw_is(s->cap, s->cap_len, "tools/call"))
                m->method_call = 1;
            m->method_initialize = ok && raw_is(s->cap, s->cap_len, "initialize");
        } else if (f == F_ID) {
            m->ids++;
            m->id.off = start;
            m->id.len = len;
            if (!s->cap_over)
                memcpy(m->id_raw, s->cap, s->cap_len);
        } else if (f == F_NAME) {
            m->names++;
            m->name.off = start;
            m->name.len = len;
        }
    }
    if (f == F_PARAMS)
        m->params++;
    if (d > 0 && d < TRACKED && s->node[d] != N_BATCH)
        s->field[d] = F_NONE;
    if ((d == 0 && s->top == MCP_SCAN_OBJECT) || node_at(s, d) == N_BATCH) {
        m->whole.len = s->pos - m->whole.off;
        if (s->on_message)
            s->on_message(s->ctx, m);
    }
}

static int push(mcp_scan *s, int object)
{
    size_t d = s->depth + 1;
    int f = field_at(s, s->depth), node = N_NONE;

    if (d > MCP_SCAN_DEPTH_MAX)
        return fail(s, MCP_SCAN_TOO_DEEP);
    if (d > s->kinds_cap) {
        size_t cap = s->kinds_cap ? s->kinds_cap * 2 : 1024;
        uint64_t *k;
        if (cap > MCP_SCAN_DEPTH_MAX)
            cap = MCP_SCAN_DEPTH_MAX;
        k = realloc(s->kinds, cap / 64 * sizeof *k);
        if (!k)
            return fail(s, MCP_SCAN_TOO_DEEP);
        s->kinds = k;
        s->kinds_cap = cap;
    }
    if (object)
        s->kinds[(d - 1) / 64] |= (uint64_t)1 << ((d - 1) % 64);
    else
        s->kinds[(d - 1) / 64] &= ~((uint64_t)1 << ((d - 1) % 64));
    s->depth = d;
    if (d == 1)
        node = object ? N_MSG : N_BATCH;
    else if (object && f == F_ELEMENT)
        node = N_MSG;
    else if (object && f == F_PARAMS)
        node = N_PARAMS;
    else if (object && f == F_CAPS)
        node = N_CAPS;
    else if (object && f == F_ELICIT)
        node = N_ELICIT;
    if (d < TRACKED) {
        s->node[d] = (unsigned char)node;
        s->field[d] = node == N_BATCH ? F_ELEMENT : F_NONE;
    }
    s->state = object ? ST_KEY : ST_VALUE;
    return 0;
}

/* A closing bracket at s->pos. */
static int pop(mcp_scan *s, int object)
{
    if (s->depth == 0 || is_object(s, s->depth) != object)
        return fail(s, MCP_SCAN_INVALID);
    s->depth--;
    s->pos++;
    end_value(s);
    s->state = ST_AFTER;
    return 0;
}

/* Which member a key names in the container at the current depth. */
static int member(const mcp_scan *s)
{
    static const struct {
        int node;
        const char *key;
        int field;
    } members[] = {
        { N_MSG, "method", F_METHOD },         { N_MSG, "id", F_ID },
        { N_MSG, "params", F_PARAMS },         { N_PARAMS, "name", F_NAME },
        { N_PARAMS, "capabilities", F_CAPS },  { N_CAPS, "elicitation", F_ELICIT },
        { N_ELICIT, "url", F_URL },
    };
    int node = node_at(s, s->depth);
    size_t i;

    if (node == N_NONE || node == N_BATCH || s->key_over)
        return F_NONE;
    for (i = 0; i < sizeof members / sizeof members[0]; i++)
        if (members[i].node == node && raw_is(s->key, s->key_len, members[i].key))
            return members[i].field;
    return F_NONE;
}

static int is_bare(unsigned char c)
{
    return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':' ||
             c == '{' || c == '}' || c == '[' || c == ']' || c == '"');
}

/* One structural byte (not whitespace, not inside a token) at s->pos. */
static int structural(mcp_scan *s, unsigned char c)
{
    switch (s->state) {
    case ST_VALUE:
        if (c == ']' && s->depth > 0 && !is_object(s, s->depth))
            return pop(s, 0); /* "[]", and a trailing comma (a superset is safe) */
        if (c == ',' || c == ':' || c == '}' || c == ']')
            return fail(s, MCP_SCAN_INVALID);
        begin_value(s, c);
        if (c == '{' || c == '[') {
            if (push(s, c == '{') != 0)
                return -1;
            s->pos++;
            return 0;
        }
        s->in_key = 0;
        s->state = c == '"' ? ST_STRING : ST_BARE;
        s->pos++;
        return 0;
    case ST_KEY:
        if (c == '}')
            return pop(s, 1);
        if (c != '"')
            return fail(s, MCP_SCAN_INVALID);
        s->in_key = 1;
        s->key[0] = '"';
        s->key_len = 1;
        s->key_over = 0;
        s->state = ST_STRING;
        s->pos++;
        return 0;
    case ST_COLON:
        if (c != ':')
            return fail(s, MCP_SCAN_INVALID);
        if (s->depth < TRACKED)
            s->field[s->depth] = s->pending;
        s->state = ST_VALUE;
        s->pos++;
        return 0;
    case ST_AFTER:
        if (s->depth == 0)
            return fail(s, MCP_SCAN_INVALID); /* something after the value */
        if (c == ',') {
            s->state = is_object(s, s->depth) ? ST_KEY : ST_VALUE;
            s->pos++;
            return 0;
        }
        if (c == '}' || c == ']')
            return pop(s, c == '}');
        return fail(s, MCP_SCAN_INVALID);
    default:
        return fail(s, MCP_SCAN_INVALID);
    }
}

static void key_take(mcp_scan *s, const char *bytes, size_t from, size_t upto)
{
    size_t n = upto - from;

    if (s->key_over || s->key_len + n > sizeof s->key) {
        s->key_over = 1;
        return;
    }
    memcpy(s->key + s->key_len, bytes + from, n);
    s->key_len += n;
}

int mcp_scan_feed(mcp_scan *s, const char *bytes, size_t n)
{
    size_t base = s->pos, i = 0;

    if (s->failed) {
        s->pos += n;
        return -1;
    }
    s->chunk = bytes;
    s->chunk_base = base;
    while (i < n) {
        unsigned char c = (unsigned char)bytes[i];

        if (s->state == ST_STRING) {
            size_t start = i;
            while (i < n) {
                c = (unsigned char)bytes[i];
                if (s->escape)
                    s->escape = 0;
                else if (c == '\\')
                    s->escape = 1;
                else if (c == '"')
                    break;
                i++;
            }
            if (s->in_key)
                key_take(s, bytes, start, i < n ? i + 1 : n);
            if (i == n)
                break;
            s->pos = base + ++i;
            if (s->in_key) {
                s->pending = (unsigned char)member(s);
                s->state = ST_COLON;
            } else {
                end_value(s);
                s->state = ST_AFTER;
            }
            continue;
        }
        if (s->state == ST_BARE) {
            if (is_bare(c)) {
                i++;
                continue;
            }
            s->pos = base + i;
            end_value(s);
            s->state = ST_AFTER;
            continue; /* c again, as what follows the value */
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        s->pos = base + i;
        if (structural(s, c) != 0)
            break;
        i = s->pos - base;
    }
    s->pos = base + n;
    cap_take(s, s->pos);
    s->chunk = NULL;
    return s->failed ? -1 : 0;
}
mcp_scan_kind mcp_scan_finish(mcp_scan *s)
{
    if (s->failed)
        return s->top;
    if (s->state == ST_BARE && s->depth == 0) {
        end_value(s);
        s->state = ST_AFTER;
    }
    if (s->top == MCP_SCAN_EMPTY)
        return s->state == ST_VALUE ? MCP_SCAN_EMPTY : MCP_SCAN_INVALID;
    if (s->state != ST_AFTER || s->depth != 0)
        return MCP_SCAN_INVALID;
    return s->top;
}
