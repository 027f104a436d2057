/*
 * Encodings of a decision (docs/encodings.md): the JSON object of docs/design.md §5,
 * one text line, and the answers an MCP server gives a client — a 2025-11-25
 * URLElicitationRequiredError, a 2026-07-28 input_required result, or a
 * CallToolResult for clients that show nothing but a tool's text.
 *
 * Only NEEDS_AUTHORIZATION with a link becomes an elicitation: UNAVAILABLE and
 * DENY have nothing for the user to open, so they are a plain JSON-RPC error
 * (mcp) or a failed tool result (the other two).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "toolgate/toolgate.h"
#include "decision.h"
#include "error.h"
#include "input.h"
#include "json_out.h"

/* Longest request id accepted, in bytes of JSON text. */
#define TG__REQUEST_ID_MAX 1024
/* Digest bytes shown in an elicitation id: 128 bits, as 32 hex digits. */
#define TG__ELICITATION_ID_BYTES 16
#define TG__EM_DASH "\xE2\x80\x94"

static const char *const tg__format_names[] = { "json", "text", "mcp", "mcp-input-required",
                                                "mcp-tool-result" };
#define TG__N_FORMATS (sizeof tg__format_names / sizeof tg__format_names[0])

const char *tg_format_name(tg_format f)
{
    return (unsigned)f < TG__N_FORMATS ? tg__format_names[f] : NULL;
}

int tg_format_parse(const char *name, tg_format *out)
{
    size_t i;

    if (!name || !out)
        return tg__fail(TG_EINVAL, "tg_format_parse: NULL argument");
    for (i = 0; i < TG__N_FORMATS; i++) {
        if (strcmp(name, tg__format_names[i]) == 0) {
            *out = (tg_format)i;
            return TG_OK;
        }
    }
    return tg__fail(TG_EINVAL,
                    "unknown format: expected json, text, mcp, mcp-input-required or "
                    "mcp-tool-result");
}

/* ---- request ids ------------------------------------------------------- */

static int tg__hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of "\uXXXX" at @p p (which starts at the backslash), or -1. */
static long tg__u_escape(const unsigned char *p, size_t avail)
{
    long v = 0;
    size_t i;

    if (avail < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    for (i = 2; i < 6; i++) {
        int h = tg__hex_value(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A JSON string literal of @p n bytes: valid UTF-8, no raw control character,
 * only the escapes of RFC 8259, surrogate escapes in pairs. */
static int tg__valid_json_string(const unsigned char *p, size_t n)
{
    size_t i = 1, end;

    if (n < 2 || p[0] != '"' || p[n - 1] != '"')
        return 0;
    end = n - 1; /* the closing quote */
    while (i < end) {
        unsigned char c = p[i];
        long u, lo;

        if (c == '"' || c < 0x20)
            return 0;
        if (c >= 0x80) {
            size_t k = tg__utf8_seq_at(p + i);
            if (k == 0 || i + k > end)
                return 0;
            i += k;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= end)
            return 0; /* the backslash would escape the closing quote */
        c = p[i + 1];
        if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
            c == 'r' || c == 't') {
            i += 2;
            continue;
        }
        u = tg__u_escape(p + i, end - i);
        if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
            return 0;
        i += 6;
        if (u >= 0xD800 && u <= 0xDBFF) {
            lo = tg__u_escape(p + i, end - i);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return 0;
            i += 6;
        }
    }
    return 1;
}

/* A JSON integer without fraction or exponent that fits in 64 bits. */
static int tg__valid_json_integer(const char *s, size_t n)
{
    static const char max_pos[] = "9223372036854775807";
    static const char max_neg[] = "9223372036854775808";
    size_t i = s[0] == '-' ? 1 : 0, digits = n - i, k;

    if (digits == 0)
        return 0;
    for (k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    if (s[i] == '0')
        return digits == 1;
    if (digits > sizeof max_pos - 1)
        return 0;
    if (digits == sizeof max_pos - 1)
        return memcmp(s + i, i ? max_neg : max_pos, digits) <= 0;
    return 1;
}

/* MCP's RequestId: a JSON string or integer, nothing around it. */
static int tg__valid_request_id(const char *id)
{
    size_t n = strnlen(id, TG__REQUEST_ID_MAX + 1);

    if (n == 0 || n > TG__REQUEST_ID_MAX)
        return 0;
    if (id[0] == '"')
        return tg__valid_json_string((const unsigned char *)id, n);
    return tg__valid_json_integer(id, n);
}

/* ---- pieces ------------------------------------------------------------ */

/* The opening of a JSON-RPC 2.0 response, when there is a request id. */
static void tg__rpc_open(tg__out *o, const char *id, const char *member)
{
    if (!id)
        return;
    tg__puts(o, "{\"jsonrpc\":\"2.0\",\"id\":");
    tg__puts(o, id);
    tg__puts(o, ",\"");
    tg__puts(o, member);
    tg__puts(o, "\":");
}

static void tg__rpc_close(tg__out *o, const char *id)
{
    if (id)
        tg__puts(o, "}");
}

static void tg__put_u64_be(EVP_MD_CTX *ctx, int *ok, uint64_t v)
{
    unsigned char b[8];
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)(v & 0xFF);
    *ok = *ok && EVP_DigestUpdate(ctx, b, sizeof b);
}

/*
 * "tg-" and 32 hex digits of SHA-256 over the connection, identifier and link
 * (each length-prefixed, after a fixed domain string): the same account and
 * link always give the same id, so a client's retry of one authorization is
 * recognisable, and a new link is a new elicitation.
 */
static int tg__elicitation_id(const tg_decision *d, char *out, size_t cap)
{
    static const char domain[] = "toolgate elicitation id v1";
    static const char hex[] = "0123456789abcdef";
    const char *parts[3];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL;
    size_t i;

    parts[0] = d->connection ? d->connection : "";
    parts[1] = d->identifier;
    parts[2] = d->link;
    ok = ok && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    ok = ok && EVP_DigestUpdate(ctx, domain, sizeof domain); /* NUL included */
    for (i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        tg__put_u64_be(ctx, &ok, (uint64_t)n);
        ok = ok && EVP_DigestUpdate(ctx, parts[i], n);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);
    if (!ok || md_len < TG__ELICITATION_ID_BYTES || cap < 3 + 2 * TG__ELICITATION_ID_BYTES + 1)
        return tg__fail(TG_ENOMEM, "tg_decision_encode: the elicitation id could not be computed");

    memcpy(out, "tg-", 3);
    for (i = 0; i < TG__ELICITATION_ID_BYTES; i++) {
        out[3 + 2 * i] = hex[md[i] >> 4];
        out[3 + 2 * i + 1] = hex[md[i] & 0x0F];
    }
    out[3 + 2 * TG__ELICITATION_ID_BYTES] = '\0';
    return TG_OK;
}

/* What the user is asked, in an elicitation. */
static void tg__put_elicitation_message(tg__out *o, const tg_decision *d)
{
    tg__put(o, "\"", 1);
    tg__put_chars(o, "Authorization required: ");
    tg__put_chars(o, tg_decision_reason(d));
    tg__put(o, "\"", 1);
}

/* The one line of TG_FORMAT_TEXT: "VERDICT: reason — authorize at link". */
static void tg__put_text_line(tg__out *o, const tg_decision *d)
{
    const char *link = tg_decision_link(d);

    tg__puts(o, tg_verdict_name(d->verdict));
    tg__puts(o, ": ");
    tg__put_line_text(o, tg_decision_reason(d));
    if (link) {
        tg__puts(o, " " TG__EM_DASH " authorize at ");
        tg__put_line_text(o, link);
    }
}

/* The text content of a CallToolResult: what the model reads, the link in
 * plain words. */
static void tg__put_tool_text(tg__out *o, const tg_decision *d)
{
    const char *link = tg_decision_link(d);
    char when[40];

    tg__put(o, "\"", 1);
    switch (d->verdict) {
    case TG_VERDICT_ALLOW:
        tg__put_chars(o, "Allowed: ");
        tg__put_chars(o, tg_decision_reason(d));
        tg__put_chars(o, ".");
        break;
    case TG_VERDICT_NEEDS_AUTHORIZATION:
        tg__put_chars(o, "Authorization required: ");
        tg__put_chars(o, tg_decision_reason(d));
        tg__put_chars(o, ". The tool did not run.");
        if (!link)
            break;
        tg__put_chars(o, " Ask the user to open this link to authorize");
        if (d->link_expires_at > 0 &&
            tg__format_rfc3339(d->link_expires_at, when, sizeof when) == TG_OK) {
            tg__put_chars(o, " (valid until ");
            tg__put_chars(o, when);
            tg__put_chars(o, ")");
        }
        tg__put_chars(o, ", then call the tool again: ");
        tg__put_chars(o, link);
        break;
    case TG_VERDICT_UNAVAILABLE:
    case TG_VERDICT_DENY:
    default:
        tg__put_chars(o, "The tool did not run: ");
        tg__put_chars(o, tg_decision_reason(d));
        tg__put_chars(o, ".");
        break;
    }
    tg__put(o, "\"", 1);
}

/* A CallToolResult, valid in both MCP versions (2026-07-28 requires resultType). */
static void tg__put_tool_result(tg__out *o, const tg_decision *d)
{
    tg__puts(o, "{\"resultType\":\"complete\",\"content\":[{\"type\":\"text\",\"text\":");
    tg__put_tool_text(o, d);
    tg__puts(o, "}],\"structuredContent\":");
    tg__decision_put_json(o, d);
    tg__puts(o, ",\"isError\":");
    tg__puts(o, d->verdict == TG_VERDICT_ALLOW ? "false" : "true");
    tg__puts(o, "}");
}

/* A JSON-RPC error object for a blocked call that is not an elicitation. */
static void tg__put_plain_error(tg__out *o, const tg_decision *d)
{
    const char *what;

    switch (d->verdict) {
    case TG_VERDICT_UNAVAILABLE: what = "Authorization service unavailable: "; break;
    case TG_VERDICT_NEEDS_AUTHORIZATION: what = "Authorization required: "; break;
    default: what = "Tool call denied: "; break;
    }
    /* JSON-RPC 2.0 "Internal error": the server cannot fulfil the request. */
    tg__puts(o, "{\"code\":-32603,\"message\":\"");
    tg__put_chars(o, what);
    tg__put_chars(o, tg_decision_reason(d));
    tg__puts(o, "\",\"data\":");
    tg__decision_put_json(o, d);
    tg__puts(o, "}");
}

static int tg__encode_mcp(tg__out *o, const tg_decision *d, const char *id)
{
    char eid[64];
    int rc;

    if (d->verdict == TG_VERDICT_ALLOW) {
        tg__rpc_open(o, id, "result");
        tg__decision_put_json(o, d);
        tg__rpc_close(o, id);
        return TG_OK;
    }
    tg__rpc_open(o, id, "error");
    if (d->verdict != TG_VERDICT_NEEDS_AUTHORIZATION || !d->has_link) {
        tg__put_plain_error(o, d);
        tg__rpc_close(o, id);
        return TG_OK;
    }
    rc = tg__elicitation_id(d, eid, sizeof eid);
    if (rc != TG_OK)
        return rc;
    /* MCP 2025-11-25 URLElicitationRequiredError: the user must visit a URL first. */
    tg__puts(o, "{\"code\":-32042,\"message\":\"Authorization required: ");
    tg__put_chars(o, tg_decision_reason(d));
    tg__put_chars(o, "; authorize at ");
    tg__put_chars(o, d->link);
    tg__puts(o, "\",\"data\":{\"elicitations\":[{\"mode\":\"url\",\"elicitationId\":");
    tg__put_string(o, eid);
    tg__puts(o, ",\"url\":");
    tg__put_string(o, d->link);
    tg__puts(o, ",\"message\":");
    tg__put_elicitation_message(o, d);
    tg__puts(o, "}]}}");
    tg__rpc_close(o, id);
    return TG_OK;
}

static int tg__encode_input_required(tg__out *o, const tg_decision *d, const char *id)
{
    char eid[64];
    int rc;

    tg__rpc_open(o, id, "result");
    if (d->verdict != TG_VERDICT_NEEDS_AUTHORIZATION || !d->has_link) {
        tg__put_tool_result(o, d);
        tg__rpc_close(o, id);
        return TG_OK;
    }
    rc = tg__elicitation_id(d, eid, sizeof eid);
    if (rc != TG_OK)
        return rc;
    /* inputRequests is a map: the key is the server's id for the request. */
    tg__puts(o, "{\"resultType\":\"input_required\",\"inputRequests\":{");
    tg__put_string(o, eid);
    tg__puts(o, ":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"url\",\"url\":");
    tg__put_string(o, d->link);
    tg__puts(o, ",\"message\":");
    tg__put_elicitation_message(o, d);
    tg__puts(o, "}}},\"requestState\":\"tg1.");
    tg__puts(o, eid + 3);
    tg__puts(o, "\"}");
    tg__rpc_close(o, id);
    return TG_OK;
}

int tg_decision_encode(const tg_decision *d, tg_format format, const char *request_id_json,
                       char *buf, size_t len, size_t *needed)
{
    tg__out o = { buf, len, 0 };
    int rc = TG_OK;

    if (!d || (!buf && len > 0))
        return tg__fail(TG_EINVAL, "tg_decision_encode: NULL argument");
    if ((unsigned)format >= TG__N_FORMATS)
        return tg__fail(TG_EINVAL, "tg_decision_encode: unknown format %d", (int)format);
    if (request_id_json && !tg__valid_request_id(request_id_json))
        return tg__fail(TG_EINVAL,
                        "tg_decision_encode: the request id must be a JSON string or a 64-bit "
                        "JSON integer of at most %d bytes",
                        TG__REQUEST_ID_MAX);

    switch (format) {
    case TG_FORMAT_JSON:
        tg__decision_put_json(&o, d);
        break;
    case TG_FORMAT_TEXT:
        tg__put_text_line(&o, d);
        break;
    case TG_FORMAT_MCP:
        rc = tg__encode_mcp(&o, d, request_id_json);
        break;
    case TG_FORMAT_MCP_INPUT_REQUIRED:
        rc = tg__encode_input_required(&o, d, request_id_json);
        break;
    case TG_FORMAT_MCP_TOOL_RESULT:
        tg__rpc_open(&o, request_id_json, "result");
        tg__put_tool_result(&o, d);
        tg__rpc_close(&o, request_id_json);
        break;
    }
    if (rc != TG_OK)
        return rc;
    return tg__out_end(&o, needed, "tg_decision_encode");
}
