/* Tool rules: one open-addressing table holds exact names and prefixes
 * (told apart by seed and flag). A lookup is one probe for the exact name,
 * then one probe per distinct prefix length that fits the tool, longest
 * first — never a scan over the rules. Built once, read-only afterwards. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "hash.h"
#include "rules.h"

/* Different seeds for the two kinds, so "gmail_" as an exact name and as a
 * prefix land in different places of the shared table. */
#define TG__RULE_SEED_EXACT 0x72756c6565786163ull
#define TG__RULE_SEED_PREFIX 0x72756c6570726566ull

typedef struct tg__rule_slot {
    uint64_t hash;
    const char *match;    /* in the rules' string arena; NULL: empty slot */
    const tg__conn *conn;
    uint32_t len;
    uint32_t prefix;      /* 1 for a prefix rule, 0 for an exact name */
} tg__rule_slot;

struct tg__rules {
    tg__rule_slot *slots;
    size_t mask;
    size_t n_exact;
    /* Distinct prefix lengths, longest first, and for each tool length L the
     * index in that list of the first length <= L. */
    uint8_t lengths[TG_TOOL_MAX];
    uint8_t first_fit[TG_TOOL_MAX + 1];
    size_t n_lengths;
    char *arena;
};

static uint64_t tg__rule_hash(const char *s, size_t len, int prefix)
{
    return tg__hash_bytes(s, len, prefix ? TG__RULE_SEED_PREFIX : TG__RULE_SEED_EXACT);
}

static const tg__rule_slot *tg__rule_find(const tg__rules *r, const char *s, size_t len,
                                          int prefix)
{
    uint64_t h = tg__rule_hash(s, len, prefix);
    size_t i = (size_t)h & r->mask;

    for (;;) {
        const tg__rule_slot *e = &r->slots[i];
        if (!e->match)
            return NULL;
        if (e->hash == h && e->len == len && e->prefix == (uint32_t)prefix &&
            memcmp(e->match, s, len) == 0)
            return e;
        i = (i + 1) & r->mask;
    }
}

/* Insert or, for a repeated key, replace (the last rule wins). */
static void tg__rule_put(tg__rules *r, const char *s, size_t len, int prefix,
                         const tg__conn *conn)
{
    uint64_t h = tg__rule_hash(s, len, prefix);
    size_t i = (size_t)h & r->mask;

    for (;;) {
        tg__rule_slot *e = &r->slots[i];
        if (!e->match) {
            e->hash = h;
            e->match = s;
            e->conn = conn;
            e->len = (uint32_t)len;
            e->prefix = (uint32_t)prefix;
            if (!prefix)
                r->n_exact++;
            return;
        }
        if (e->hash == h && e->len == len && e->prefix == (uint32_t)prefix &&
            memcmp(e->match, s, len) == 0) {
            e->conn = conn;
            return;
        }
        i = (i + 1) & r->mask;
    }
}

static int tg__rule_check(const tg__rule *rule, const char *kind)
{
    size_t n = rule->match ? strlen(rule->match) : 0;
    if (n == 0 || n > TG_TOOL_MAX || !rule->connection)
        return tg__fail(TG_EINVAL, "invalid tool %s rule", kind);
    return TG_OK;
}

/* Copy the rule texts into one arena; set the table size. */
static int tg__rules_alloc(const tg__config *cfg, tg__rules *r)
{
    size_t i, bytes = 0, n = cfg->n_map + cfg->n_prefixes, cap = 16;
    int rc;

    for (i = 0; i < cfg->n_map; i++) {
        if ((rc = tg__rule_check(&cfg->map[i], "name")) != TG_OK)
            return rc;
        bytes += strlen(cfg->map[i].match) + 1;
    }
    for (i = 0; i < cfg->n_prefixes; i++) {
        if ((rc = tg__rule_check(&cfg->prefixes[i], "prefix")) != TG_OK)
            return rc;
        bytes += strlen(cfg->prefixes[i].match) + 1;
    }
    while (cap < 2 * n) {
        if (cap > SIZE_MAX / 4 / sizeof *r->slots)
            return tg__fail(TG_ENOMEM, "out of memory");
        cap *= 2;
    }
    r->slots = calloc(cap, sizeof *r->slots);
    r->arena = malloc(bytes ? bytes : 1);
    if (!r->slots || !r->arena)
        return tg__fail(TG_ENOMEM, "out of memory");
    r->mask = cap - 1;
    return TG_OK;
}

static int tg__rules_add(tg__rules *r, tg__conns *conns, const tg__rule *rules, size_t n,
                         int prefix, char **arena)
{
    size_t i;

    for (i = 0; i < n; i++) {
        size_t len = strlen(rules[i].match);
        const tg__conn *conn;
        int err = TG_OK;

        conn = tg__conns_intern(conns, rules[i].connection, strlen(rules[i].connection), &err);
        if (!conn) {
            char why[128];
            if (err == TG_ENOMEM)
                return err;
            /* Copied out first: tg__fail rewrites the buffer it points to. */
            snprintf(why, sizeof why, "%s", tg_error_message());
            return tg__fail(TG_ECONFIG, "config: \"%s\": %s",
                            prefix ? "tools.prefixes" : "tools.map", why);
        }
        memcpy(*arena, rules[i].match, len + 1);
        tg__rule_put(r, *arena, len, prefix, conn);
        *arena += len + 1;
        if (prefix)
            r->lengths[len - 1] = 1; /* marked here, compacted below */
    }
    return TG_OK;
}

/* Turn the marks in lengths[] into the list of distinct lengths, longest
 * first, and fill first_fit[] for every tool length. */
static void tg__rules_index_lengths(tg__rules *r)
{
    uint8_t marked[TG_TOOL_MAX];
    size_t len, k = 0;

    memcpy(marked, r->lengths, sizeof marked);
    memset(r->lengths, 0, sizeof r->lengths);
    for (len = TG_TOOL_MAX; len >= 1; len--)
        if (marked[len - 1])
            r->lengths[k++] = (uint8_t)len;
    r->n_lengths = k;
    /* first_fit[L] = index of the first (longest) length <= L. */
    k = 0;
    for (len = TG_TOOL_MAX + 1; len-- > 0;) {
        while (k < r->n_lengths && r->lengths[k] > len)
            k++;
        r->first_fit[len] = (uint8_t)k;
    }
}

int tg__rules_build(const tg__config *cfg, tg__conns *conns, tg__rules **out)
{
    tg__rules *r;
    char *arena;
    int rc;

    if (!out)
        return tg__fail(TG_EINVAL, "tg__rules_build: NULL argument");
    *out = NULL;
    if (!cfg || !conns)
        return tg__fail(TG_EINVAL, "tg__rules_build: NULL argument");
    r = calloc(1, sizeof *r);
    if (!r)
        return tg__fail(TG_ENOMEM, "out of memory");
    rc = tg__rules_alloc(cfg, r);
    arena = r->arena;
    if (rc == TG_OK)
        rc = tg__rules_add(r, conns, cfg->map, cfg->n_map, 0, &arena);
    if (rc == TG_OK)
        rc = tg__rules_add(r, conns, cfg->prefixes, cfg->n_prefixes, 1, &arena);
    if (rc != TG_OK) {
        tg__rules_free(r);
        return rc;
    }
    tg__rules_index_lengths(r);
    *out = r;
    return TG_OK;
}

void tg__rules_free(tg__rules *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r->arena);
    free(r);
}

const tg__conn *tg__rules_resolve(const tg__rules *r, const char *tool, size_t len)
{
    const tg__rule_slot *e;
    size_t k;

    if (!r || !tool || len == 0 || len > TG_TOOL_MAX)
        return NULL;
    if (r->n_exact) {
        e = tg__rule_find(r, tool, len, 0);
        if (e)
            return e->conn;
    }
    for (k = r->first_fit[len]; k < r->n_lengths; k++) {
        e = tg__rule_find(r, tool, r->lengths[k], 1);
        if (e)
            return e->conn;
    }
    return NULL;
}
