/* Fuzz target: the client's side of `toolgate mcp-proxy` — the line framer
 * and scanner (src/mcp/inbound.c, src/mcp/scan.c) and the gating of calls
 * (src/mcp/guard.c) over a real gate whose provider says the "a" account is
 * ACTIVE and the "b" one EXPIRED; tools other than a_* and b_* are denied.
 * Input: one control byte, then the client's bytes.
 *   byte 0: bits 0-5 the size of the pieces fed (0: all at once), bit 6 the
 *           client declared URL elicitation, bit 7 end the input after it.
 * Invariants:
 *  - what reaches the server never holds a tools/call that a strict JSON
 *    parser (json-c) reads, alone or in a batch, unless it names an a_* tool;
 *  - a line in which json-c sees no tools/call, and our scanner no method
 *    tools/call, reaches the server as the same bytes;
 *  - every message the proxy writes to the client is one strict JSON value. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "inbound.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

typedef struct sink {
    mcp_buf server;
    size_t answers;
} sink;

static int fk_create(const tg_host *host, const char *config_json, const char *base_dir,
                     void *arg, void **state)
{
    (void)host;
    (void)config_json;
    (void)base_dir;
    (void)arg;
    *state = NULL;
    return TG_OK;
}

static void fk_destroy(void *state)
{
    (void)state;
}

static int fk_status(void *state, const char *connection, const char *identifier,
                     tg_status *status)
{
    (void)state;
    (void)identifier;
    *status = strcmp(connection, "a") == 0 ? TG_STATUS_ACTIVE : TG_STATUS_EXPIRED;
    return TG_OK;
}

static int fk_link(void *state, const char *connection, const char *identifier, char *buf,
                   size_t len, int64_t *expires_at_ms)
{
    (void)state;
    *expires_at_ms = 0;
    return snprintf(buf, len, "https://auth.example/%s/%s", connection, identifier) < (int)len
               ? TG_OK
               : TG_EPROVIDER;
}

static const tg_provider fk_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fuzz", fk_create, fk_destroy,
    fk_status, fk_link,
};

static int to_server(void *ctx, const char *bytes, size_t n)
{
    sink *s = ctx;
    if (mcp_buf_add(&s->server, bytes, n) != 0)
        abort();
    return 0;
}

static void to_client(void *ctx, const char *msg, size_t n)
{
    sink *s = ctx;
    json_object *o = fz_json_parse(msg, n);
    FZ_CHECK(o != NULL, "the proxy wrote invalid JSON: %.*s", (int)n, msg);
    json_object_put(o);
    s->answers++;
}

static const mcp_inbound_ops ops = { to_server, to_client, NULL };

/* json-c reads @p o as a tools/call; *allowed says whether it names a_*. */
static int is_call(json_object *o, int *allowed)
{
    json_object *m, *params, *name;
    const char *n;

    *allowed = 0;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "method", &m) ||
        !json_object_is_type(m, json_type_string) ||
        strcmp(json_object_get_string(m), "tools/call") != 0)
        return 0;
    if (json_object_object_get_ex(o, "params", &params) &&
        json_object_object_get_ex(params, "name", &name) &&
        json_object_is_type(name, json_type_string)) {
        n = json_object_get_string(name);
        *allowed = strncmp(n, "a_", 2) == 0 &&
                   (size_t)json_object_get_string_len(name) == strlen(n);
    }
    return 1;
}

/* Calls json-c reads in a line: -1 none, 0 only allowed ones, 1 a blocked one. */
static int calls_in(const char *line, size_t n)
{
    json_object *o = fz_json_parse(line, n);
    int worst = -1, allowed;
    size_t i;

    if (!o)
        return -1;
    if (json_object_is_type(o, json_type_array)) {
        for (i = 0; i < json_object_array_length(o); i++)
            if (is_call(json_object_array_get_idx(o, i), &allowed))
                worst = allowed && worst < 1 ? 0 : 1;
    } else if (is_call(o, &allowed)) {
        worst = allowed ? 0 : 1;
    }
    json_object_put(o);
    return worst;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    uint8_t ctl = fz_byte(&in);
    const char *text = in.n ? (const char *)in.p : "", *server;
    size_t n = in.n, piece = ctl & 0x3F, i, start;
    tg_gate *gate = NULL; /* one per input, as in fuzz_encode.c */
    mcp_guard guard;
    mcp_inbound inbound;
    sink s;

    if (tg_gate_new_with_provider(&gate,
                                  "{\"tools\":{\"prefixes\":{\"a_\":\"a\",\"b_\":\"b\"},"
                                  "\"unmapped\":\"deny\"}}",
                                  NULL, &fk_provider, NULL) != TG_OK)
        abort();
    memset(&s, 0, sizeof s);
    if (mcp_guard_init(&guard, gate, "user", NULL, NULL) != 0 ||
        mcp_inbound_init(&inbound, &guard, &ops, &s) != 0)
        abort();
    guard.url_elicitation = (ctl >> 6) & 1;
    if (piece == 0)
        piece = n ? n : 1;
    for (i = 0; i < n; i += piece)
        mcp_inbound_feed(&inbound, text + i, n - i < piece ? n - i : piece);
    if (ctl & 0x80)
        mcp_inbound_end(&inbound);

    /* The server's lines: no blocked call json-c can read. */
    server = s.server.len ? s.server.data : "";
    for (start = 0, i = 0; i <= s.server.len; i++) {
        if (i < s.server.len && server[i] != '\n')
            continue;
        FZ_CHECK(calls_in(server + start, i - start) < 1,
                 "a blocked tools/call reached the server: %.*s", (int)(i - start),
                 server + start);
        start = i + 1;
    }
    /* Whole input lines without any call pass unchanged: each one is found
     * in the server's bytes at the position it would have. */
    if (s.answers == 0 && (ctl & 0x80)) {
        int calls = 0;
        for (start = 0, i = 0; i <= n; i++) {
            if (i < n && text[i] != '\n')
                continue;
            if (calls_in(text + start, i - start) >= 0 || memmem(text + start, i - start, "call", 4))
                calls = 1;
            start = i + 1;
        }
        if (!calls)
            FZ_CHECK(s.server.len == n && (n == 0 || memcmp(server, text, n) == 0),
                     "a line without a call was changed");
    }
    mcp_inbound_free(&inbound);
    mcp_guard_free(&guard);
    mcp_buf_free(&s.server);
    tg_gate_free(gate);
    return 0;
}
