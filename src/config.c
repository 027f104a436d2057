/* Gate configuration (DESIGN §7): JSON bytes in, a tg__config out. No I/O. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"
#include "config.h"
#include "error.h"
#include "input.h"

/* Bounds on what a configuration may ask for (STYLE habit 10). */
#define TG__CONFIG_MAX_DEPTH 32
/* Far beyond any useful TTL (≈ 31,700 years), small enough that now + ttl +
 * grace can never overflow an int64_t. */
#define TG__CONFIG_MS_MAX 1000000000000000LL
#define TG__CONFIG_ENTRIES_MAX 1000000000ULL

#define TG__DEFAULT_PROVIDER_TYPE "file"
#define TG__DEFAULT_PROVIDER_JSON "{\"path\":\"accounts.json\"}"

#define TG__TOOL_RULE "1-128 characters of A-Z a-z 0-9 _ - . :"
#define TG__CONNECTION_RULE "1-64 characters of A-Z a-z 0-9 _ - : and space"

/* A key as it may appear in a message: printable ASCII, the rest as \xHH,
 * cut after 64 bytes. Keys come from the file, so they are shown escaped. */
typedef struct tg__shown {
    char text[64 * 4 + 4];
} tg__shown;

static const char *tg__show(tg__shown *out, const char *s)
{
    size_t i, o = 0;
    for (i = 0; s[i] && i < 64; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out->text[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            out->text[o++] = '\\';
            out->text[o++] = 'x';
            out->text[o++] = hex[c >> 4];
            out->text[o++] = hex[c & 15];
        }
    }
    if (s[i]) {
        memcpy(out->text + o, "...", 3);
        o += 3;
    }
    out->text[o] = '\0';
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

/* Line and column (both 1-based) of byte @p off, for error messages. */
static void tg__position(const char *json, size_t off, size_t *line, size_t *col)
{
    size_t i;
    *line = 1;
    *col = 1;
    for (i = 0; i < off; i++) {
        if (json[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Length of the UTF-8 sequence at p[0] (>= 0x80) within @p left bytes, 0 when
 * invalid. Stricter than json-c's own check: overlong forms, surrogates and
 * code points past U+10FFFF are refused (RFC 8259 asks for UTF-8). */
static size_t tg__utf8_seq(const unsigned char *p, size_t left)
{
    size_t n, i;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (left < n)
        return 0;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* One pass over the raw bytes before json-c sees them:
 * - the text must be valid UTF-8;
 * - "\u0000" is refused anywhere: json-c keeps object keys as C strings, so
 *   it would silently cut a key short (and a value, for every C reader).
 *   Outside strings a backslash is invalid JSON anyway, so counting
 *   backslashes is enough to tell an escape from text. */
static int tg__check_bytes(const char *json, size_t len)
{
    const unsigned char *p = (const unsigned char *)json;
    size_t i = 0, backslashes = 0, line, col;

    while (i < len) {
        if (p[i] >= 0x80) {
            size_t n = tg__utf8_seq(p + i, len - i);
            if (n == 0) {
                tg__position(json, i, &line, &col);
                return tg__fail(TG_ECONFIG,
                                "config: invalid JSON: invalid UTF-8 (line %zu, column %zu)",
                                line, col);
            }
            i += n;
            backslashes = 0;
            continue;
        }
        if (p[i] != '\\') {
            backslashes = 0;
            i++;
            continue;
        }
        backslashes++;
        if (backslashes % 2 == 1 && len - i >= 6 && memcmp(json + i + 1, "u0000", 5) == 0) {
            tg__position(json, i, &line, &col);
            return tg__fail(TG_ECONFIG,
                            "config: \"\\u0000\" is not allowed in strings (line %zu, column %zu)",
                            line, col);
        }
        i++;
    }
    return TG_OK;
}

static int tg__is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse the text into a tree whose top level is an object. */
static int tg__parse_tree(const char *json, size_t len, json_object **out)
{
    struct json_tokener *tok;
    json_object *root;
    enum json_tokener_error jerr;
    size_t end, line, col;
    int rc;

    *out = NULL;
    if (len > TG__CONFIG_MAX_BYTES)
        return tg__fail(TG_ECONFIG, "config: larger than %u bytes", TG__CONFIG_MAX_BYTES);
    rc = tg__check_bytes(json, len);
    if (rc != TG_OK)
        return rc;

    tok = json_tokener_new_ex(TG__CONFIG_MAX_DEPTH);
    if (!tok)
        return tg__oom();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, json, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* Out of bytes: a NUL tells json-c the input has ended, which
         * completes a bare top-level scalar ("1", "true"). */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_success) {
            json_object_put(root);
            root = NULL;
            jerr = json_tokener_continue;
        }
    }
    json_tokener_free(tok);

    if (jerr == json_tokener_continue) {
        json_object_put(root);
        return tg__fail(TG_ECONFIG, "config: invalid JSON: unexpected end of input");
    }
    if (jerr != json_tokener_success) {
        json_object_put(root);
        tg__position(json, end < len ? end : len, &line, &col);
        if (jerr == json_tokener_error_depth)
            return tg__fail(TG_ECONFIG,
                            "config: invalid JSON: nested deeper than %d levels "
                            "(line %zu, column %zu)",
                            TG__CONFIG_MAX_DEPTH, line, col);
        return tg__fail(TG_ECONFIG, "config: invalid JSON: %s (line %zu, column %zu)",
                        json_tokener_error_desc(jerr), line, col);
    }
    while (end < len && tg__is_ws(json[end]))
        end++;
    if (end < len) {
        json_object_put(root);
        tg__position(json, end, &line, &col);
        return tg__fail(TG_ECONFIG,
                        "config: invalid JSON: unexpected data after the top-level value "
                        "(line %zu, column %zu)",
                        line, col);
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return tg__fail(TG_ECONFIG, "config: the top level must be a JSON object");
    }
    *out = root;
    return TG_OK;
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
    free(c->provider_json);
    tg__free_rules(c->map, c->n_map);
    tg__free_rules(c->prefixes, c->n_prefixes);
    memset(c, 0, sizeof *c);
}
