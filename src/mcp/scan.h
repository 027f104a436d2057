/*
 * The JSON-RPC scanner of `toolgate mcp-proxy`: fed the bytes of one line
 * from the client, in pieces of any size, it finds the few members the proxy
 * acts on — "method", "id", "params"."name" and, in an initialize request,
 * "params"."capabilities"."elicitation"."url" — in the line's object, or in
 * each element of a batch (an array), without building the JSON.
 *
 * It follows the structure only: strings (with their escapes), objects,
 * arrays, keys and values. Bare tokens (numbers, true, false, null) are not
 * checked, so it accepts a superset of JSON: a text that a JSON parser reads
 * as a tools/call is one here too, and what it finds is what that parser
 * finds ("last key wins", as in JavaScript, Python and Go; the counts tell a
 * key given twice). Keys are compared after their escapes are decoded.
 *
 * Memory: the scanner keeps one bit per level of nesting, grown on demand
 * up to MCP_SCAN_DEPTH_MAX, and small fixed captures. Pure: no I/O.
 */
#ifndef TG_MCP_SCAN_H
#define TG_MCP_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting followed; deeper is MCP_SCAN_TOO_DEEP. */
#define MCP_SCAN_DEPTH_MAX ((size_t)1 << 26)
/* Raw bytes of a method value kept (a longer one is neither method of
 * interest: "tools/call" fully escaped is 62 bytes). */
#define MCP_SCAN_METHOD_MAX 64
/* Raw bytes of an id kept for an answer (a longer id is answered as null). */
#define MCP_SCAN_ID_MAX 1024

/* A range of the line: [off, off + len). */
typedef struct mcp_span {
    size_t off, len;
} mcp_span;

/* One message: the line's object, or one element of a batch. */
typedef struct mcp_message {
    mcp_span whole;          /* the message's bytes */
    int is_object;           /* 0: a batch element that is not an object */
    unsigned methods;        /* "method" members seen */
    int method_call;         /* some "method" is the string "tools/call" */
    int method_initialize;   /* the last "method" is the string "initialize" */
    unsigned ids;            /* "id" members seen */
    mcp_span id;             /* raw JSON of the last "id" */
    char id_raw[MCP_SCAN_ID_MAX]; /* the same bytes, when id.len <= MCP_SCAN_ID_MAX */
    unsigned params;         /* "params" members seen */
    unsigned names;          /* "params"."name" members seen */
    mcp_span name;           /* raw JSON of the last one */
    int url_elicitation;     /* the last params.capabilities.elicitation.url is an object */
} mcp_message;

/* Called at the end of each message with its fields; @p m is valid for the
 * call only. */
typedef void (*mcp_scan_message_fn)(void *ctx, const mcp_message *m);

/* What the line holds, once finished. */
typedef enum mcp_scan_kind {
    MCP_SCAN_EMPTY = 0,    /* only whitespace */
    MCP_SCAN_OBJECT = 1,   /* one object: one message */
    MCP_SCAN_BATCH = 2,    /* an array: one message per element */
    MCP_SCAN_SCALAR = 3,   /* a string or a bare token */
    MCP_SCAN_INVALID = 4,  /* not one JSON value (or cut short) */
    MCP_SCAN_TOO_DEEP = 5  /* nested deeper than MCP_SCAN_DEPTH_MAX */
} mcp_scan_kind;

typedef struct mcp_scan {
    /* private */
    int state, in_key, escape, failed;
    mcp_scan_kind top;
    size_t pos, depth;
    uint64_t *kinds;         /* bit per level: 1 object, 0 array */
    size_t kinds_cap;        /* in levels */
    unsigned char node[8];   /* what the container at depth d (< 8) is */
    unsigned char field[8];  /* the member being read in it */
    size_t value_start[8];
    unsigned char pending;   /* field of the key just read */
    char key[80];           /* raw key: "capabilities" fully escaped is 74 */
    size_t key_len;
    int key_over;
    char cap[MCP_SCAN_ID_MAX];
    size_t cap_len, cap_depth, cap_from;
    int capturing, cap_over;
    const char *chunk;       /* the bytes being fed, at position chunk_base */
    size_t chunk_base;
    mcp_message msg;
    mcp_scan_message_fn on_message;
    void *ctx;
} mcp_scan;

/* Start a line. @p s is zeroed before its first use; later calls reuse its
 * memory. @p on_message may be NULL. */
void mcp_scan_init(mcp_scan *s, mcp_scan_message_fn on_message, void *ctx);
/* Free what the scanner holds. */
void mcp_scan_free(mcp_scan *s);

/**
 * Scan the next @p n bytes of the line (no newline among them). Messages that
 * end in them are reported, in order, before it returns.
 * @return 0; -1 once the line cannot be JSON (invalid or too deep: see
 *         mcp_scan_finish), after which further bytes are ignored.
 */
int mcp_scan_feed(mcp_scan *s, const char *bytes, size_t n);

/* The line has ended: what it held. Then mcp_scan_init again for another. */
mcp_scan_kind mcp_scan_finish(mcp_scan *s);

/* Why the scanner stopped following the line: MCP_SCAN_INVALID or
 * MCP_SCAN_TOO_DEEP; MCP_SCAN_EMPTY while it follows it. */
mcp_scan_kind mcp_scan_failure(const mcp_scan *s);

/* Bytes fed so far. */
size_t mcp_scan_pos(const mcp_scan *s);

/**
 * Decode a raw JSON string (with its quotes) into @p out (NUL-terminated).
 * @return its length; -1 when @p raw is not one JSON string, holds a NUL or
 *         does not fit in @p cap bytes.
 */
long mcp_json_string(const char *raw, size_t n, char *out, size_t cap);

#endif
