/* Fuzz target: tool rules (src/rules.c) and the gate's check of a tool
 * call (tg_gate_check) over an in-process provider.
 * Input: one control byte (the provider's status in the low 3 bits, a
 * provider failure in bit 3), then NUL-separated: a configuration, an
 * identifier, and up to 8 tool names.
 * Invariants, for a configuration that parses:
 * - tg__rules_resolve gives what a linear reference gives: the exact name's
 *   connection, else the longest matching prefix's;
 * - tg_gate_check refuses invalid tools and identifiers with TG_EINVAL and
 *   a loggable message, and otherwise decides as the configuration, the
 *   provider and on_provider_error say — the same again on a second check
 *   (from the cache or the provider) — with a decision that names the tool,
 *   connection and identifier and encodes as one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "config.h"
#include "conns.h"
#include "input.h"
#include "rules.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

#define MAX_TOOLS 8

typedef struct fake {
    tg_status status;
    int fail;
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
    FZ_CHECK(tg__valid_connection(connection, NULL) && tg__valid_identifier(identifier, NULL),
             "the provider was asked about an invalid account");
    if (f->fail)
        return TG_EPROVIDER;
    *status = f->status;
    return TG_OK;
}

static int fake_link(void *state, const char *connection, const char *identifier, char *buf,
                     size_t len, int64_t *expires_at_ms)
{
    size_t i, o;
    (void)state;
    (void)identifier;
    /* Connection names may hold spaces and colons: percent-encode them. */
    o = (size_t)snprintf(buf, len, "https://auth.example/authorize?connection=");
    for (i = 0; connection[i] && o + 4 < len; i++) {
        unsigned char c = (unsigned char)connection[i];
        if (c == ' ' || c == ':')
            o += (size_t)snprintf(buf + o, len - o, "%%%02X", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    *expires_at_ms = 0;
    return TG_OK;
}

static const tg_provider fake_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fuzz", fake_create, fake_destroy,
    fake_status, fake_link,
};

/* The exact name's connection, else the longest matching prefix's. */
static const char *ref_resolve(const tg__config *c, const char *tool, size_t len)
{
    const char *best = NULL;
    size_t i, best_len = 0;

    for (i = 0; i < c->n_map; i++)
        if (strcmp(c->map[i].match, tool) == 0)
            best = c->map[i].connection;
    if (best)
        return best;
    for (i = 0; i < c->n_prefixes; i++) {
        size_t n = strlen(c->prefixes[i].match);
        if (n <= len && n >= best_len && memcmp(c->prefixes[i].match, tool, n) == 0) {
            best = c->prefixes[i].connection;
            best_len = n;
        }
    }
    return best;
}

static void check_resolve(const tg__config *c, const tg__rules *r, const char *tool)
{
    size_t len = strlen(tool);
    const tg__conn *got;
    const char *want;

    if (!tg__valid_tool(tool, NULL))
        return; /* the gate checks the name first */
    got = tg__rules_resolve(r, tool, len);
    want = ref_resolve(c, tool, len);
    FZ_CHECK((got == NULL) == (want == NULL) && (!got || strcmp(got->name, want) == 0),
             "tool %s resolves to %s, want %s", tool, got ? got->name : "(none)",
             want ? want : "(none)");
}

static tg_verdict expected_verdict(const tg__config *c, const char *conn, const fake *f)
{
    if (!conn)
        return c->unmapped_deny ? TG_VERDICT_DENY : TG_VERDICT_ALLOW;
    if (f->fail)
        return c->on_provider_error == TG__POLICY_OPEN ? TG_VERDICT_ALLOW
                                                       : TG_VERDICT_UNAVAILABLE;
    return f->status == TG_STATUS_ACTIVE ? TG_VERDICT_ALLOW : TG_VERDICT_NEEDS_AUTHORIZATION;
}

static void check_decision(const tg_decision *d, const char *tool, const char *id,
                           const char *conn, tg_verdict want)
{
    const char *got_conn = tg_decision_connection(d);
    size_t needed = 0;
    char *buf;
    json_object *o;

    FZ_CHECK(tg_decision_verdict(d) == want, "tool %s: verdict %s, want %s", tool,
             tg_verdict_name(tg_decision_verdict(d)), tg_verdict_name(want));
    FZ_CHECK(tg_decision_tool(d) && strcmp(tg_decision_tool(d), tool) == 0, "tool %s", tool);
    FZ_CHECK(tg_decision_identifier(d) && strcmp(tg_decision_identifier(d), id) == 0,
             "identifier %s", id);
    FZ_CHECK((got_conn == NULL) == (conn == NULL) && (!conn || strcmp(got_conn, conn) == 0),
             "tool %s: connection %s, want %s", tool, got_conn ? got_conn : "(none)",
             conn ? conn : "(none)");
    FZ_CHECK((tg_decision_link(d) != NULL) == (want == TG_VERDICT_NEEDS_AUTHORIZATION),
             "tool %s: a link with verdict %s", tool, tg_verdict_name(want));

    FZ_CHECK(tg_decision_to_json(d, NULL, 0, &needed) == TG_EBUFS, "measuring the decision");
    buf = malloc(needed);
    if (!buf)
        abort();
    FZ_CHECK(tg_decision_to_json(d, buf, needed, NULL) == TG_OK, "encoding the decision");
    o = fz_check_json_object("tg_decision_to_json", buf, needed - 1);
    json_object_put(o);
    free(buf);
}

static void check_gate(tg_gate *g, const tg__config *c, const fake *f, const char *id,
                       char **tools, size_t n_tools)
{
    tg_decision *d = tg_decision_new();
    size_t i;
    int round;

    if (!d)
        abort();
    for (round = 0; round < 2; round++) {
        for (i = 0; i < n_tools; i++) {
            const char *conn = NULL;
            int valid_tool = tg__valid_tool(tools[i], NULL);
            int rc = tg_gate_check(g, tools[i], id, d);

            if (valid_tool)
                conn = ref_resolve(c, tools[i], strlen(tools[i]));
            if (!valid_tool || !tg__valid_identifier(id, NULL)) {
                FZ_CHECK(rc == TG_EINVAL, "tool \"%s\", identifier \"%s\": %d, want TG_EINVAL",
                         tools[i], id, rc);
                fz_check_message("check", tg_error_message(), NULL);
                continue;
            }
            FZ_CHECK(rc == TG_OK, "tool %s: %d (%s)", tools[i], rc, tg_error_message());
            check_decision(d, tools[i], id, conn, expected_verdict(c, conn, f));
        }
    }
    tg_decision_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    uint8_t control = fz_byte(&in);
    fake f = { (tg_status)((control & 7) % 7), (control >> 3) & 1 };
    size_t config_len, n_tools = 0, i;
    char *config = fz_field(&in, &config_len), *id = fz_field(&in, NULL);
    char *tools[MAX_TOOLS];
    tg__config c;
    tg__conns conns;
    tg__rules *r = NULL;
    tg_gate *g = NULL;
    int rc;

    while (in.n > 0 && n_tools < MAX_TOOLS)
        tools[n_tools++] = fz_field(&in, NULL);

    if (tg__config_parse(config, config_len, &c) == TG_OK) {
        FZ_CHECK(tg__conns_init(&conns) == TG_OK, "tg__conns_init");
        rc = tg__rules_build(&c, &conns, &r);
        FZ_CHECK(rc == TG_OK, "tg__rules_build gave %d: %s", rc, tg_error_message());
        for (i = 0; i < n_tools; i++)
            check_resolve(&c, r, tools[i]);
        tg__rules_free(r);
        tg__conns_destroy(&conns);

        rc = tg_gate_new_with_provider(&g, config, ".", &fake_provider, &f);
        FZ_CHECK(rc == TG_OK, "tg_gate_new_with_provider gave %d: %s", rc, tg_error_message());
        check_gate(g, &c, &f, id, tools, n_tools);
        tg_gate_free(g);
        tg__config_free(&c);
    }
    for (i = 0; i < n_tools; i++)
        free(tools[i]);
    free(id);
    free(config);
    return 0;
}
