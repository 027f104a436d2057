/* Fuzz target: the configuration parser (src/config.c, tg__config_parse).
 * The input is the configuration text. Invariants:
 * - the parse succeeds or fails with TG_ECONFIG and a loggable message that
 *   starts with "config: ";
 * - what parses holds only valid values (names by docs/design.md §9, bounded TTLs);
 * - what parses survives a round trip: written back as JSON — provider_json
 *   with its "type", the rules in order, every setting — and parsed again, it
 *   gives the same tg__config, provider_json byte for byte. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "config.h"
#include "input.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static json_object *rules_object(const tg__rule *rules, size_t n)
{
    json_object *o = json_object_new_object();
    size_t i;
    for (i = 0; i < n; i++)
        json_object_object_add(o, rules[i].match, json_object_new_string(rules[i].connection));
    return o;
}

static const char *policy_name(tg__policy p)
{
    switch (p) {
    case TG__POLICY_CLOSED: return "closed";
    case TG__POLICY_STALE: return "stale";
    case TG__POLICY_OPEN: return "open";
    }
    FZ_CHECK(0, "policy %d", (int)p);
    return NULL;
}

/* The configuration as JSON text, every value explicit. Caller frees. */
static char *config_to_json(const tg__config *c)
{
    json_object *root = json_object_new_object(), *provider, *tools, *cache;
    char *text;

    provider = fz_json_parse(c->provider_json, strlen(c->provider_json));
    FZ_CHECK(provider && json_object_is_type(provider, json_type_object),
             "provider_json is not a JSON object: %s", c->provider_json);
    FZ_CHECK(!json_object_object_get_ex(provider, "type", NULL),
             "provider_json still has \"type\": %s", c->provider_json);
    json_object_object_add(provider, "type", json_object_new_string(c->provider_type));
    json_object_object_add(root, "provider", provider);

    tools = json_object_new_object();
    json_object_object_add(tools, "map", rules_object(c->map, c->n_map));
    json_object_object_add(tools, "prefixes", rules_object(c->prefixes, c->n_prefixes));
    json_object_object_add(tools, "unmapped",
                           json_object_new_string(c->unmapped_deny ? "deny" : "allow"));
    json_object_object_add(root, "tools", tools);

    cache = json_object_new_object();
    json_object_object_add(cache, "active_ttl_ms", json_object_new_int64(c->active_ttl_ms));
    json_object_object_add(cache, "inactive_ttl_ms", json_object_new_int64(c->inactive_ttl_ms));
    json_object_object_add(cache, "max_entries", json_object_new_int64((int64_t)c->max_entries));
    json_object_object_add(root, "cache", cache);

    json_object_object_add(root, "on_provider_error",
                           json_object_new_string(policy_name(c->on_provider_error)));
    json_object_object_add(root, "stale_grace_ms", json_object_new_int64(c->stale_grace_ms));

    text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    FZ_CHECK(text != NULL, "out of memory");
    json_object_put(root);
    return text;
}

static void check_rules(const tg__rule *r, size_t n, int prefixes)
{
    size_t i;
    for (i = 0; i < n; i++) {
        size_t len = strlen(r[i].match);
        if (prefixes)
            FZ_CHECK(len >= 1 && len <= TG_TOOL_MAX && tg__valid_tool_chars(r[i].match, len),
                     "bad prefix \"%s\"", r[i].match);
        else
            FZ_CHECK(tg__valid_tool(r[i].match, NULL), "bad tool \"%s\"", r[i].match);
        FZ_CHECK(tg__valid_connection(r[i].connection, NULL), "bad connection \"%s\"",
                 r[i].connection);
    }
}

static void check_valid(const tg__config *c)
{
    FZ_CHECK(c->provider_type && c->provider_type[0], "empty provider type");
    FZ_CHECK(c->provider_json != NULL, "no provider_json");
    check_rules(c->map, c->n_map, 0);
    check_rules(c->prefixes, c->n_prefixes, 1);
    FZ_CHECK(c->active_ttl_ms >= 0 && c->inactive_ttl_ms >= 0 && c->stale_grace_ms >= 0,
             "negative time");
    FZ_CHECK(c->active_ttl_ms <= 1000000000000000LL && c->inactive_ttl_ms <= 1000000000000000LL &&
                 c->stale_grace_ms <= 1000000000000000LL,
             "time past the bound");
    FZ_CHECK(c->max_entries >= 1 && c->max_entries <= 1000000000ULL, "max_entries %llu",
             (unsigned long long)c->max_entries);
}

static void check_same_rules(const tg__rule *a, size_t na, const tg__rule *b, size_t nb)
{
    size_t i;
    FZ_CHECK(na == nb, "%zu rules, then %zu", na, nb);
    for (i = 0; i < na; i++)
        FZ_CHECK(strcmp(a[i].match, b[i].match) == 0 &&
                     strcmp(a[i].connection, b[i].connection) == 0,
                 "rule %zu: %s -> %s, then %s -> %s", i, a[i].match, a[i].connection,
                 b[i].match, b[i].connection);
}

static void check_same(const tg__config *a, const tg__config *b)
{
    FZ_CHECK(strcmp(a->provider_type, b->provider_type) == 0, "provider type %s, then %s",
             a->provider_type, b->provider_type);
    FZ_CHECK(strcmp(a->provider_json, b->provider_json) == 0, "provider_json %s, then %s",
             a->provider_json, b->provider_json);
    check_same_rules(a->map, a->n_map, b->map, b->n_map);
    check_same_rules(a->prefixes, a->n_prefixes, b->prefixes, b->n_prefixes);
    FZ_CHECK(a->unmapped_deny == b->unmapped_deny && a->active_ttl_ms == b->active_ttl_ms &&
                 a->inactive_ttl_ms == b->inactive_ttl_ms && a->max_entries == b->max_entries &&
                 a->on_provider_error == b->on_provider_error &&
                 a->stale_grace_ms == b->stale_grace_ms,
             "settings differ after the round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg__config c, again;
    char *text;
    int rc;

    rc = tg__config_parse((const char *)data, size, &c);
    if (rc != TG_OK) {
        FZ_CHECK(rc == TG_ECONFIG, "parse gave %d: %s", rc, tg_error_message());
        fz_check_message("config", tg_error_message(), "config: ");
        return 0;
    }
    check_valid(&c);

    text = config_to_json(&c);
    rc = tg__config_parse(text, strlen(text), &again);
    FZ_CHECK(rc == TG_OK, "the written-back configuration does not parse (%s): %s",
             tg_error_message(), text);
    check_same(&c, &again);

    tg__config_free(&again);
    tg__config_free(&c);
    free(text);
    return 0;
}
