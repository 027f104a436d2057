/* Fuzz target: encodings of a decision (src/encode.c, tg_decision_encode;
 * src/decision.c, tg_decision_to_json) and the JSON and text writers under
 * them (src/json_out.c).
 * Input: two control bytes, 8 bytes of link expiry, then NUL-separated: an
 * identifier, the link the provider hands out, and a JSON-RPC request id.
 *   byte 0: bits 0-2 the provider's status, bit 3 a provider failure, bit 4
 *           an unmapped tool (DENY), bits 5-6 on_provider_error, bit 7: feed
 *           the identifier field straight to the writers instead;
 *   byte 1: bit 0 use the request id, the rest a short buffer's size.
 * Invariants: every format measures exactly (*needed) and writes, whatever
 * the identifier and link hold, one JSON object (parsed back with json-c;
 * no raw C0 byte, valid UTF-8; the writers escape DEL too) — or, for text,
 * one line of valid UTF-8 without control characters; the JSON form carries
 * the identifier and the link unchanged; a short buffer gets a
 * NUL-terminated prefix and TG_EBUFS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "input.h"
#include "json_out.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

#define TOOL "fz_tool"
#define UNMAPPED_TOOL "fz_unmapped"

typedef struct fake {
    tg_status status;
    int fail;
    const char *link;
    int64_t expires_at_ms;
} fake;

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
    const fake *f = state;
    (void)connection;
    (void)identifier;
    if (f->fail)
        return TG_EPROVIDER;
    *status = f->status;
    return TG_OK;
}

static int fake_link(void *state, const char *connection, const char *identifier, char *buf,
                     size_t len, int64_t *expires_at_ms)
{
    const fake *f = state;
    (void)connection;
    (void)identifier;
    if (strlen(f->link) >= len)
        return TG_EPROVIDER;
    strcpy(buf, f->link);
    *expires_at_ms = f->expires_at_ms;
    return TG_OK;
}

static const tg_provider fake_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fuzz", fake_create, fake_destroy,
    fake_status, fake_link,
};

/* A JSON-RPC id as the library must accept it: it parses as a string or an
 * integer (necessary, not sufficient: the output check does the rest). */
static int plausible_request_id(const char *id)
{
    json_object *v = fz_json_parse(id, strlen(id));
    int ok = v && (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int));
    json_object_put(v);
    return ok;
}

/* One line of valid UTF-8 without C0, DEL, C1, U+2028 or U+2029. */
static void check_text_line(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        k = fz_utf8_decode(p + i, n - i, &cp);
        FZ_CHECK(k > 0, "text: invalid UTF-8 at %zu: %s", i, s);
        FZ_CHECK(cp >= 0x20 && !(cp >= 0x7F && cp <= 0x9F) && cp != 0x2028 && cp != 0x2029,
                 "text: control character U+%04X at %zu: %s", (unsigned)cp, i, s);
        i += k;
    }
}

/* The string JSON must decode to: the input, invalid bytes as U+FFFD (and,
 * for line text, control characters too). Caller frees. */
static char *replaced(const char *s, int line)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, o = 0, k;
    char *out = malloc(3 * n + 1);
    uint32_t cp;

    if (!out)
        abort();
    while (i < n) {
        k = fz_utf8_decode(p + i, n - i, &cp);
        if (k > 0 && !(line && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 ||
                                cp == 0x2029))) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        memcpy(out + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += k ? k : 1;
    }
    out[o] = '\0';
    return out;
}

/* tg__put_string and tg__put_line_text on raw bytes, measured then written,
 * then cut short to @p cap bytes. */
static void fuzz_writers(const char *s, size_t cap)
{
    int line;

    for (line = 0; line < 2; line++) {
        tg__out m = { NULL, 0, 0 }, w, t;
        size_t needed = 0;
        char *buf, *want, *small;
        json_object *v;

        if (line)
            tg__put_line_text(&m, s);
        else
            tg__put_string(&m, s);
        FZ_CHECK(tg__out_end(&m, &needed, "fuzz") == TG_EBUFS && needed == m.used + 1,
                 "measuring");
        buf = malloc(needed);
        if (!buf)
            abort();
        w.buf = buf;
        w.len = needed;
        w.used = 0;
        if (line)
            tg__put_line_text(&w, s);
        else
            tg__put_string(&w, s);
        FZ_CHECK(tg__out_end(&w, NULL, "fuzz") == TG_OK && strlen(buf) + 1 == needed, "writing");
        want = replaced(s, line);
        if (line) {
            check_text_line(buf, needed - 1);
            FZ_CHECK(strcmp(buf, want) == 0, "line text %s, want %s", buf, want);
        } else {
            fz_check_json_text("string", buf, needed - 1);
            FZ_CHECK(!strchr(buf, 0x7F), "DEL not escaped: %s", buf);
            v = fz_json_parse(buf, needed - 1);
            FZ_CHECK(v && json_object_is_type(v, json_type_string), "not a JSON string: %s", buf);
            FZ_CHECK(strcmp(json_object_get_string(v), want) == 0,
                     "JSON string %s decodes to something else", buf);
            json_object_put(v);
        }
        if (cap > 0 && cap < needed) {
            small = malloc(cap);
            if (!small)
                abort();
            t.buf = small;
            t.len = cap;
            t.used = 0;
            if (line)
                tg__put_line_text(&t, s);
            else
                tg__put_string(&t, s);
            FZ_CHECK(tg__out_end(&t, NULL, "fuzz") == TG_EBUFS && small[cap - 1] == '\0' &&
                         memcmp(small, buf, cap - 1) == 0,
                     "a short buffer");
            free(small);
        }
        free(want);
        free(buf);
    }
}

static void check_json_fields(json_object *o, const tg_decision *d)
{
    const char *id = tg_decision_identifier(d), *link = tg_decision_link(d), *s;

    s = fz_json_string(o, "verdict");
    FZ_CHECK(s && strcmp(s, tg_verdict_name(tg_decision_verdict(d))) == 0, "verdict %s",
             s ? s : "(none)");
    s = fz_json_string(o, "identifier");
    FZ_CHECK(s && id && strcmp(s, id) == 0, "identifier %s, want %s", s ? s : "(none)", id);
    s = fz_json_string(o, "link");
    if (link && fz_utf8_valid(link, strlen(link)))
        FZ_CHECK(s && strcmp(s, link) == 0, "link %s, want %s", s ? s : "(none)", link);
    else if (!link)
        FZ_CHECK(s == NULL, "a link without one");
}

static void check_encodings(const tg_decision *d, const char *rid, size_t cap)
{
    tg_format f;

    for (f = TG_FORMAT_JSON; f <= TG_FORMAT_MCP_TOOL_RESULT; f++) {
        size_t needed = 0, again = 0;
        char *buf, *small;
        json_object *o;
        int rc = tg_decision_encode(d, f, rid, NULL, 0, &needed);

        if (rc == TG_EINVAL) {
            FZ_CHECK(rid != NULL, "format %d refused: %s", (int)f, tg_error_message());
            fz_check_message("encode", tg_error_message(), "tg_decision_encode: ");
            continue;
        }
        FZ_CHECK(rc == TG_EBUFS && needed > 1, "measuring format %d gave %d", (int)f, rc);
        FZ_CHECK(!rid || plausible_request_id(rid), "request id %s accepted", rid);
        buf = malloc(needed);
        if (!buf)
            abort();
        rc = tg_decision_encode(d, f, rid, buf, needed, &again);
        FZ_CHECK(rc == TG_OK && again == needed && strlen(buf) + 1 == needed,
                 "format %d: %d, needed %zu then %zu, wrote %zu", (int)f, rc, needed, again,
                 strlen(buf));
        if (f == TG_FORMAT_TEXT) {
            check_text_line(buf, needed - 1);
        } else {
            o = fz_check_json_object(tg_format_name(f), buf, needed - 1);
            if (f == TG_FORMAT_JSON)
                check_json_fields(o, d);
            json_object_put(o);
        }
        if (f == TG_FORMAT_JSON) {
            char *plain = malloc(needed);
            if (!plain)
                abort();
            FZ_CHECK(tg_decision_to_json(d, plain, needed, NULL) == TG_OK &&
                         strcmp(plain, buf) == 0,
                     "tg_decision_to_json differs from the json format");
            free(plain);
        }
        if (cap > 0 && cap < needed) {
            small = malloc(cap);
            if (!small)
                abort();
            rc = tg_decision_encode(d, f, rid, small, cap, NULL);
            FZ_CHECK(rc == TG_EBUFS && small[cap - 1] == '\0' && memcmp(small, buf, cap - 1) == 0,
                     "format %d into %zu bytes: %d", (int)f, cap, rc);
            free(small);
        }
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const policies[] = { "closed", "stale", "open", "closed" };
    fz_bytes in = { data, size };
    uint8_t b0 = fz_byte(&in), b1 = fz_byte(&in);
    int64_t expires = (int64_t)fz_u64(&in);
    char *id = fz_field(&in, NULL), *link = fz_field(&in, NULL), *rid = fz_field(&in, NULL);
    fake f = { (tg_status)((b0 & 7) % 7), (b0 >> 3) & 1, link, expires };
    char config[256];
    tg_gate *g = NULL;
    tg_decision *d;
    int rc;

    if (b0 & 0x80) {
        fuzz_writers(id, b1);
        goto out;
    }
    /* A gate per input: a kept one would hold memory from input to input
     * (entries wait for RCU reclamation), and libFuzzer would then scan for
     * leaks after every run. */
    snprintf(config, sizeof config,
             "{\"tools\":{\"map\":{\"" TOOL "\":\"fz conn\"},\"unmapped\":\"deny\"},"
             "\"on_provider_error\":\"%s\"}",
             policies[(b0 >> 5) & 3]);
    rc = tg_gate_new_with_provider(&g, config, ".", &fake_provider, &f);
    FZ_CHECK(rc == TG_OK, "gate: %s", tg_error_message());
    d = tg_decision_new();
    if (!d)
        abort();
    rc = tg_gate_check(g, (b0 & 0x10) ? UNMAPPED_TOOL : TOOL, id, d);
    if (rc != TG_OK) {
        FZ_CHECK(rc == TG_EINVAL && !tg__valid_identifier(id, NULL), "check gave %d: %s", rc,
                 tg_error_message());
        fz_check_message("check", tg_error_message(), NULL);
    } else {
        check_encodings(d, (b1 & 1) ? rid : NULL, b1 >> 1);
    }
    tg_decision_free(d);
    tg_gate_free(g);
out:
    free(rid);
    free(link);
    free(id);
    return 0;
}
