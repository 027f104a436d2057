/* Gate configuration (docs/design.md, "Configuration"): JSON bytes in, a
 * tg__config out. No I/O. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "config.h"
#include "error.h"
#include "input.h"
#include "json_in.h"

/* Bounds on what a configuration may ask for (STYLE habit 10). */
#define TG__CONFIG_MAX_DEPTH 32
/* Far beyond any useful TTL (≈ 31,700 years), small enough that now + ttl +
 * grace can never overflow an int64_t. */
#define TG__CONFIG_MS_MAX 1000000000000000LL
#define TG__CONFIG_ENTRIES_MAX 1000000000ULL

#define TG__DEFAULT_PROVIDER_TYPE "file"
#define TG__DEFAULT_PROVIDER_JSON "{\"path\":\"accounts.json\"}"

#define TG__TOOL_RULE "1-128 characters of A-Z a-z 0-9 _ - . : /"
#define TG__CONNECTION_RULE "1-64 characters of A-Z a-z 0-9 _ - : and space"

/* A key as it may appear in a message: keys come from the file, so they are
 * quoted through tg__excerpt (printable, escaped, cut after 64 bytes). */
typedef struct tg__shown {
    char text[64 * 4 + 4];
} tg__shown;

static const char *tg__show(tg__shown *out, const char *s)
{
    tg__excerpt(s, strnlen(s, 65), 64, out->text, sizeof out->text);
    return out->text;
}

static int tg__oom(void)
{
    return tg__fail(TG_ENOMEM, "config: out of memory");
}

static char *tg__dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Parse the text into a tree whose top level is an object, every key once. */
static int tg__parse_tree(const char *json, size_t len, json_object **out)
{
    static const tg__json_limits lim = { "config", TG__CONFIG_MAX_BYTES, TG__CONFIG_MAX_DEPTH,
                                         TG__JSON_STRICT | TG__JSON_UNIQUE_KEYS | TG__JSON_OBJECT,
                                         TG_ECONFIG };
    return tg__json_parse(json, len, &lim, out);
}

static int tg__unknown_key(const char *parent, const char *key)
{
    tg__shown k;
    if (parent)
        return tg__fail(TG_ECONFIG, "config: unknown key \"%s.%s\"", parent, tg__show(&k, key));
    return tg__fail(TG_ECONFIG, "config: unknown key \"%s\"", tg__show(&k, key));
}

static int tg__want_object(json_object *v, const char *path)
{
    if (!json_object_is_type(v, json_type_object))
        return tg__fail(TG_ECONFIG, "config: \"%s\" must be an object", path);
    return TG_OK;
}

/* A string without embedded NUL (the \u0000 scan makes that certain, the
 * length check keeps it so if the scan is ever removed). */
static int tg__is_c_string(json_object *v)
{
    return json_object_is_type(v, json_type_string) &&
           strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

/* A non-negative millisecond count. Only the JSON integer type is accepted:
 * 1.5, "100" and true are configuration errors, not numbers to coerce. */
static int tg__get_ms(json_object *v, const char *path, int64_t *out)
{
    int64_t x;
    if (!json_object_is_type(v, json_type_int))
        return tg__fail(TG_ECONFIG, "config: \"%s\" must be a non-negative integer", path);
    x = json_object_get_int64(v);
    if (x < 0)
        return tg__fail(TG_ECONFIG, "config: \"%s\" must be a non-negative integer", path);
    if (x > TG__CONFIG_MS_MAX)
        return tg__fail(TG_ECONFIG, "config: \"%s\" must be at most %lld", path,
                        (long long)TG__CONFIG_MS_MAX);
    *out = x;
    return TG_OK;
}

static int tg__parse_provider(json_object *v, tg__config *c)
{
    json_object *type;
    const char *text;

    if (tg__want_object(v, "provider") != TG_OK)
        return TG_ECONFIG;
    if (json_object_object_get_ex(v, "type", &type)) {
        if (!tg__is_c_string(type) || json_object_get_string_len(type) == 0)
            return tg__fail(TG_ECONFIG, "config: \"provider.type\" must be a non-empty string");
        c->provider_type = tg__dup(json_object_get_string(type));
        json_object_object_del(v, "type");
    } else {
        c->provider_type = tg__dup(TG__DEFAULT_PROVIDER_TYPE);
    }
    if (!c->provider_type)
        return tg__oom();
    /* How long a provider round may take, for the fleet lock (the provider
     * checks the value itself). */
    if (json_object_object_get_ex(v, "timeout_ms", &type) &&
        json_object_is_type(type, json_type_int) && json_object_get_int64(type) > 0 &&
        json_object_get_int64(type) <= 600000)
        c->provider_timeout_ms = json_object_get_int64(type);
    /* Slashes stay unescaped so URLs and paths read naturally; the text is
     * the same JSON value either way. */
    text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text)
        return tg__oom();
    c->provider_json = tg__dup(text);
    if (!c->provider_json)
        return tg__oom();
    return TG_OK;
}

/* "shared": the tier's type (required), degraded_ttl_ms (the gate's; also
 * passed on), and the rest as JSON for the tier, which checks its own keys. */
static int tg__parse_shared(json_object *v, tg__config *c)
{
    json_object *x;
    const char *text;

    if (tg__want_object(v, "shared") != TG_OK)
        return TG_ECONFIG;
    if (!json_object_object_get_ex(v, "type", &x))
        return tg__fail(TG_ECONFIG, "config: \"shared.type\" is missing (e.g. \"redis\")");
    if (!tg__is_c_string(x) || json_object_get_string_len(x) == 0)
        return tg__fail(TG_ECONFIG, "config: \"shared.type\" must be a non-empty string");
    c->shared_type = tg__dup(json_object_get_string(x));
    if (!c->shared_type)
        return tg__oom();
    json_object_object_del(v, "type");
    if (json_object_object_get_ex(v, "degraded_ttl_ms", &x)) {
        int rc = tg__get_ms(x, "shared.degraded_ttl_ms", &c->degraded_ttl_ms);
        if (rc != TG_OK)
            return rc;
    }
    text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text)
        return tg__oom();
    c->shared_json = tg__dup(text);
    return c->shared_json ? TG_OK : tg__oom();
}

/* tools.map or tools.prefixes: an object of tool name (or prefix) →
 * connection name, kept in document order. */
static int tg__parse_rules(json_object *v, const char *path, int prefixes, tg__rule **out,
                           size_t *n_out)
{
    size_t cap, n = 0;
    tg__rule *rules;
    tg__shown k;

    if (tg__want_object(v, path) != TG_OK)
        return TG_ECONFIG;
    cap = (size_t)json_object_object_length(v);
    if (cap == 0)
        return TG_OK;
    rules = calloc(cap, sizeof *rules);
    if (!rules)
        return tg__oom();
    /* Publish the array at once so tg__config_free releases it on any error. */
    *out = rules;
    *n_out = 0;

    json_object_object_foreach(v, key, val)
    {
        size_t klen = strlen(key);
        if (prefixes) {
            if (klen == 0 || klen > TG_TOOL_MAX || !tg__valid_tool_chars(key, klen))
                return tg__fail(TG_ECONFIG,
                                "config: \"%s\" key \"%s\" is not a valid tool-name prefix "
                                "(" TG__TOOL_RULE ")",
                                path, tg__show(&k, key));
        } else if (!tg__valid_tool(key, NULL)) {
            return tg__fail(TG_ECONFIG,
                            "config: \"%s\" key \"%s\" is not a valid tool name "
                            "(" TG__TOOL_RULE ")",
                            path, tg__show(&k, key));
        }
        if (!tg__is_c_string(val) || !tg__valid_connection(json_object_get_string(val), NULL))
            return tg__fail(TG_ECONFIG,
                            "config: \"%s.%s\" must be a connection name (" TG__CONNECTION_RULE
                            ")",
                            path, key);
        rules[n].match = tg__dup(key);
        rules[n].connection = tg__dup(json_object_get_string(val));
        n++;
        *n_out = n;
        if (!rules[n - 1].match || !rules[n - 1].connection)
            return tg__oom();
    }
    return TG_OK;
}

static int tg__parse_tools(json_object *v, tg__config *c)
{
    int rc;

    if (tg__want_object(v, "tools") != TG_OK)
        return TG_ECONFIG;
    json_object_object_foreach(v, key, val)
    {
        if (strcmp(key, "map") == 0) {
            rc = tg__parse_rules(val, "tools.map", 0, &c->map, &c->n_map);
        } else if (strcmp(key, "prefixes") == 0) {
            rc = tg__parse_rules(val, "tools.prefixes", 1, &c->prefixes, &c->n_prefixes);
        } else if (strcmp(key, "unmapped") == 0) {
            const char *s = tg__is_c_string(val) ? json_object_get_string(val) : "";
            if (strcmp(s, "allow") == 0)
                c->unmapped_deny = 0;
            else if (strcmp(s, "deny") == 0)
                c->unmapped_deny = 1;
            else
                return tg__fail(TG_ECONFIG,
                                "config: \"tools.unmapped\" must be \"allow\" or \"deny\"");
            rc = TG_OK;
        } else {
            rc = tg__unknown_key("tools", key);
        }
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

static int tg__parse_cache(json_object *v, tg__config *c)
{
    int rc;

    if (tg__want_object(v, "cache") != TG_OK)
        return TG_ECONFIG;
    json_object_object_foreach(v, key, val)
    {
        if (strcmp(key, "active_ttl_ms") == 0) {
            rc = tg__get_ms(val, "cache.active_ttl_ms", &c->active_ttl_ms);
        } else if (strcmp(key, "inactive_ttl_ms") == 0) {
            rc = tg__get_ms(val, "cache.inactive_ttl_ms", &c->inactive_ttl_ms);
        } else if (strcmp(key, "max_entries") == 0) {
            /* get_int64 saturates huge values at INT64_MAX, so one signed
             * comparison covers both ends. */
            int64_t x = json_object_is_type(val, json_type_int) ? json_object_get_int64(val) : 0;
            if (x < 1 || (uint64_t)x > TG__CONFIG_ENTRIES_MAX)
                return tg__fail(TG_ECONFIG,
                                "config: \"cache.max_entries\" must be an integer from 1 to %llu",
                                (unsigned long long)TG__CONFIG_ENTRIES_MAX);
            c->max_entries = (uint64_t)x;
            rc = TG_OK;
        } else {
            rc = tg__unknown_key("cache", key);
        }
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

static int tg__parse_policy(json_object *v, tg__config *c)
{
    const char *s = tg__is_c_string(v) ? json_object_get_string(v) : "";
    if (strcmp(s, "closed") == 0)
        c->on_provider_error = TG__POLICY_CLOSED;
    else if (strcmp(s, "stale") == 0)
        c->on_provider_error = TG__POLICY_STALE;
    else if (strcmp(s, "open") == 0)
        c->on_provider_error = TG__POLICY_OPEN;
    else
        return tg__fail(TG_ECONFIG,
                        "config: \"on_provider_error\" must be \"closed\", \"stale\" or \"open\"");
    return TG_OK;
}

static int tg__parse_root(json_object *root, tg__config *c)
{
    int rc;

    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "provider") == 0)
            rc = tg__parse_provider(val, c);
        else if (strcmp(key, "tools") == 0)
            rc = tg__parse_tools(val, c);
        else if (strcmp(key, "cache") == 0)
            rc = tg__parse_cache(val, c);
        else if (strcmp(key, "on_provider_error") == 0)
            rc = tg__parse_policy(val, c);
        else if (strcmp(key, "stale_grace_ms") == 0)
            rc = tg__get_ms(val, "stale_grace_ms", &c->stale_grace_ms);
        else if (strcmp(key, "shared") == 0)
            rc = tg__parse_shared(val, c);
        else
            rc = tg__unknown_key(NULL, key);
        if (rc != TG_OK)
            return rc;
    }
    if (!c->provider_type) {
        c->provider_type = tg__dup(TG__DEFAULT_PROVIDER_TYPE);
        c->provider_json = tg__dup(TG__DEFAULT_PROVIDER_JSON);
        if (!c->provider_type || !c->provider_json)
            return tg__oom();
    }
    return TG_OK;
}

int tg__config_parse(const char *json, size_t len, tg__config *out)
{
    json_object *root = NULL;
    int rc;

    if (!out)
        return tg__fail(TG_EINVAL, "config: NULL argument");
    memset(out, 0, sizeof *out);
    if (!json)
        return tg__fail(TG_EINVAL, "config: NULL argument");

    rc = tg__parse_tree(json, len, &root);
    if (rc != TG_OK)
        return rc;

    out->active_ttl_ms = 60000;
    out->inactive_ttl_ms = 5000;
    out->max_entries = 100000;
    out->on_provider_error = TG__POLICY_CLOSED;
    out->stale_grace_ms = 300000;
    out->unmapped_deny = 0;
    out->degraded_ttl_ms = 5000;

    rc = tg__parse_root(root, out);
    json_object_put(root);
    if (rc != TG_OK)
        tg__config_free(out);
    return rc;
}

static void tg__free_rules(tg__rule *rules, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(rules[i].match);
        free(rules[i].connection);
    }
    free(rules);
}

void tg__config_free(tg__config *c)
{
    if (!c)
        return;
    free(c->provider_type);
    /* The provider's configuration may hold its client secret. */
    if (c->provider_json)
        explicit_bzero(c->provider_json, strlen(c->provider_json));
    free(c->provider_json);
    free(c->shared_type);
    /* The tier's configuration may hold its password. */
    if (c->shared_json)
        explicit_bzero(c->shared_json, strlen(c->shared_json));
    free(c->shared_json);
    tg__free_rules(c->map, c->n_map);
    tg__free_rules(c->prefixes, c->n_prefixes);
    memset(c, 0, sizeof *c);
}
