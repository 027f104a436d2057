/* The Redis tier's configuration; see redis_config.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>

#include "redis_config.h"

#define TG__RD_CONFIG_MAX (64 * 1024) /* bytes of the "shared" object */
#define TG__RD_CONFIG_DEPTH 4
#define TG__RD_HOST_MAX 253
#define TG__RD_UNIX_PATH_MAX 107 /* sun_path less its NUL */
#define TG__RD_DB_MAX 99999

static void tg__rd_wipe(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
    }
}

void tg__rd_config_clear(tg__rd_config *cfg)
{
    if (!cfg)
        return;
    tg__rd_wipe(cfg->password);
    tg__rd_wipe(cfg->username);
    free(cfg->password);
    free(cfg->username);
    free(cfg->host);
    free(cfg->unix_path);
    free(cfg->prefix);
    memset(cfg, 0, sizeof *cfg);
}

static char *tg__rd_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int tg__rd_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode @p n bytes of user information into a new string. NULL
 * with *bad set when malformed (a bad escape, a NUL, too long). */
static char *tg__rd_userinfo(const char *s, size_t n, int *bad)
{
    char *d;
    size_t i, o = 0;

    *bad = 0;
    if (n > 3 * TG__RD_SECRET_MAX) {
        *bad = 1;
        return NULL;
    }
    d = malloc(n + 1);
    if (!d)
        return NULL;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || tg__rd_hexval(s[i + 1]) < 0 || tg__rd_hexval(s[i + 2]) < 0)
                goto bad;
            c = (char)(tg__rd_hexval(s[i + 1]) * 16 + tg__rd_hexval(s[i + 2]));
            if (c == '\0')
                goto bad;
            i += 2;
        }
        d[o++] = c;
    }
    d[o] = '\0';
    if (o > TG__RD_SECRET_MAX)
        goto bad;
    return d;
bad:
    memset(d, 0, n + 1);
    free(d);
    *bad = 1;
    return NULL;
}

/* Digits only, no sign, value from @p lo to @p hi. */
static int tg__rd_number(const char *s, size_t n, long lo, long hi, long *out)
{
    long v = 0;
    size_t i;

    if (n == 0 || n > 9)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int tg__rd_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

static int tg__rd_v6_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
           c == ':' || c == '.';
}

#define TG__RD_WHY(...) (snprintf(why, whycap, __VA_ARGS__), TG_ECONFIG)

static int tg__rd_url_unix(const char *url, size_t len, tg__rd_config *cfg, char *why,
                           size_t whycap)
{
    const char *path = url + 5;
    size_t n = len - 5;

    if (n == 0 || path[0] != '/')
        return TG__RD_WHY("needs an absolute socket path after \"unix:\"");
    if (n > TG__RD_UNIX_PATH_MAX)
        return TG__RD_WHY("has a socket path longer than %d bytes", TG__RD_UNIX_PATH_MAX);
    if (memchr(path, '\0', n))
        return TG__RD_WHY("contains a NUL character");
    cfg->unix_path = tg__rd_strndup(path, n);
    if (!cfg->unix_path)
        return TG_ENOMEM;
    snprintf(cfg->where, sizeof cfg->where, "unix:%s", cfg->unix_path);
    return TG_OK;
}

/* user:password, :password — never echoed. */
static int tg__rd_url_userinfo(const char *ui, size_t n, tg__rd_config *cfg, char *why,
                               size_t whycap)
{
    const char *colon = memchr(ui, ':', n);
    int bad = 0;

    if (!colon)
        return TG__RD_WHY("has user information without ':' (use redis://:PASSWORD@host "
                          "or redis://USER:PASSWORD@host)");
    if (colon > ui) {
        cfg->username = tg__rd_userinfo(ui, (size_t)(colon - ui), &bad);
        if (!cfg->username)
            return bad ? TG__RD_WHY("has a malformed or too long user name") : TG_ENOMEM;
    }
    if ((size_t)(colon - ui) + 1 == n)
        return TG__RD_WHY("has an empty password");
    cfg->password = tg__rd_userinfo(colon + 1, n - (size_t)(colon - ui) - 1, &bad);
    if (!cfg->password)
        return bad ? TG__RD_WHY("has a malformed or too long password (percent-encode "
                                "reserved characters; at most %d bytes)",
                                TG__RD_SECRET_MAX)
                   : TG_ENOMEM;
    return TG_OK;
}

int tg__rd_url_parse(const char *url, size_t len, tg__rd_config *cfg, char *why, size_t whycap)
{
    const char *p, *end = url + len, *auth_end, *at, *h, *h_end;
    long port = 6379, db = 0;
    int rc;

    if (len >= 5 && memcmp(url, "unix:", 5) == 0)
        return tg__rd_url_unix(url, len, cfg, why, whycap);
    if (len >= 9 && memcmp(url, "rediss://", 9) == 0)
        return TG__RD_WHY("asks for TLS (rediss://), which this build does not support");
    if (len < 8 || memcmp(url, "redis://", 8) != 0)
        return TG__RD_WHY("must start with redis:// or unix:");
    if (memchr(url, '\0', len))
        return TG__RD_WHY("contains a NUL character");
    p = url + 8;
    for (auth_end = p; auth_end < end && *auth_end != '/'; auth_end++)
        if (*auth_end == '?' || *auth_end == '#')
            return TG__RD_WHY("has a query or fragment, which is not supported");
    /* The last '@' ends the user information (a password may hold '@'
     * percent-encoded or not). */
    at = NULL;
    for (h = p; h < auth_end; h++)
        if (*h == '@')
            at = h;
    if (at) {
        rc = tg__rd_url_userinfo(p, (size_t)(at - p), cfg, why, whycap);
        if (rc != TG_OK)
            return rc;
        p = at + 1;
    }
    if (p < auth_end && *p == '[') {
        h = p + 1;
        for (h_end = h; h_end < auth_end && *h_end != ']'; h_end++)
            if (!tg__rd_v6_char(*h_end))
                return TG__RD_WHY("has an IPv6 address with a character other than hex "
                                  "digits, ':' and '.'");
        if (h_end == auth_end || h_end == h)
            return TG__RD_WHY("has an unterminated or empty IPv6 address");
        p = h_end + 1;
    } else {
        h = p;
        for (h_end = h; h_end < auth_end && *h_end != ':'; h_end++)
            if (!tg__rd_host_char(*h_end))
                return TG__RD_WHY("has a host name with a character other than letters, "
                                  "digits, '.', '-' and '_'");
        if (h_end == h)
            return TG__RD_WHY("has no host");
        p = h_end;
    }
    if ((size_t)(h_end - h) > TG__RD_HOST_MAX)
        return TG__RD_WHY("has a host longer than %d bytes", TG__RD_HOST_MAX);
    if (p < auth_end) {
        if (*p != ':' ||
            tg__rd_number(p + 1, (size_t)(auth_end - p - 1), 1, 65535, &port) != 0)
            return TG__RD_WHY("has a port that is not a number from 1 to 65535");
    }
    if (auth_end < end && auth_end + 1 < end &&
        tg__rd_number(auth_end + 1, (size_t)(end - auth_end - 1), 0, TG__RD_DB_MAX, &db) != 0)
        return TG__RD_WHY("has a database that is not a number from 0 to %d", TG__RD_DB_MAX);
    cfg->host = tg__rd_strndup(h, (size_t)(h_end - h));
    if (!cfg->host)
        return TG_ENOMEM;
    cfg->port = (int)port;
    cfg->db = (int)db;
    snprintf(cfg->where, sizeof cfg->where, strchr(cfg->host, ':') ? "[%s]:%d" : "%s:%d",
             cfg->host, cfg->port);
    return TG_OK;
}

#undef TG__RD_WHY

static int tg__rd_known_key(const char *k)
{
    static const char *const keys[] = { "url", "prefix", "timeout_ms", "degraded_ttl_ms",
                                        "password_env", NULL };
    const char *const *p;
    for (p = keys; *p; p++)
        if (strcmp(k, *p) == 0)
            return 1;
    return 0;
}

/* A string member: NULL *s when absent. */
static int tg__rd_string(const tg_host *host, json_object *root, const char *key, size_t max,
                         const char **s, size_t *n)
{
    json_object *v;

    *s = NULL;
    *n = 0;
    if (!json_object_object_get_ex(root, key, &v))
        return TG_OK;
    if (!json_object_is_type(v, json_type_string)) {
        host->set_error("config: \"shared.%s\" must be a string", key);
        return TG_ECONFIG;
    }
    *s = json_object_get_string(v);
    *n = (size_t)json_object_get_string_len(v);
    if (*n == 0) {
        host->set_error("config: \"shared.%s\" must not be empty", key);
        return TG_ECONFIG;
    }
    if (*n > max) {
        host->set_error("config: \"shared.%s\" is longer than %zu bytes", key, max);
        return TG_ECONFIG;
    }
    return TG_OK;
}

static int tg__rd_integer(const tg_host *host, json_object *root, const char *key, int64_t lo,
                          int64_t hi, int64_t *out)
{
    json_object *v;
    int64_t t;

    if (!json_object_object_get_ex(root, key, &v))
        return TG_OK;
    if (!json_object_is_type(v, json_type_int)) {
        host->set_error("config: \"shared.%s\" must be an integer", key);
        return TG_ECONFIG;
    }
    t = json_object_get_int64(v);
    if (t < lo || t > hi) {
        host->set_error("config: \"shared.%s\" must be from %lld to %lld", key, (long long)lo,
                        (long long)hi);
        return TG_ECONFIG;
    }
    *out = t;
    return TG_OK;
}

static int tg__rd_prefix_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F)
            return 0;
    return 1;
}

static int tg__rd_env_name_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* The password from the environment variable @p name. */
static int tg__rd_password_env(const tg_host *host, const char *name, tg__rd_config *cfg)
{
    const char *v = getenv(name);
    size_t n = v ? strlen(v) : 0;

    if (cfg->password) {
        host->set_error("config: \"shared.password_env\" and a password in \"shared.url\" "
                        "both give the password: keep one");
        return TG_ECONFIG;
    }
    if (n == 0) {
        host->set_error("config: \"shared.password_env\": the environment variable %s is "
                        "not set or empty",
                        name);
        return TG_ECONFIG;
    }
    if (n > TG__RD_SECRET_MAX) {
        host->set_error("config: \"shared.password_env\": the password in %s is longer than "
                        "%d bytes",
                        name, TG__RD_SECRET_MAX);
        return TG_ECONFIG;
    }
    cfg->password = tg__rd_strndup(v, n);
    if (!cfg->password) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    return TG_OK;
}

int tg__rd_config_parse(const tg_host *host, const char *config_json, tg__rd_config *cfg)
{
    json_object *root = NULL;
    struct json_object_iterator it, end;
    const char *text = config_json ? config_json : "{}", *s;
    char err[256], why[200], env[TG__RD_ENV_NAME_MAX + 1];
    size_t n;
    int rc;

    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_ms = TG__RD_TIMEOUT_DEFAULT_MS;
    cfg->degraded_ttl_ms = TG__RD_DEGRADED_DEFAULT_MS;
    env[0] = '\0';
    rc = host->parse_json(text, strlen(text), TG__RD_CONFIG_MAX, TG__RD_CONFIG_DEPTH,
                          TG_JSON_OBJECT, "\"shared\"", &root, err, sizeof err);
    if (rc != TG_OK) {
        if (rc == TG_ENOMEM) {
            host->set_error("out of memory");
            return TG_ENOMEM;
        }
        host->set_error("config: %s", err);
        return TG_ECONFIG;
    }
    rc = TG_ECONFIG;
    it = json_object_iter_begin(root);
    end = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *k = json_object_iter_peek_name(&it);
        if (!tg__rd_known_key(k)) {
            char ex[80];
            host->excerpt(k, strlen(k), 40, ex, sizeof ex);
            host->set_error("config: unknown key \"shared.%s\"", ex);
            goto out;
        }
    }
    if (tg__rd_integer(host, root, "timeout_ms", 1, TG__RD_TIMEOUT_MAX_MS, &cfg->timeout_ms) ||
        tg__rd_integer(host, root, "degraded_ttl_ms", 0, TG__RD_DEGRADED_MAX_MS,
                       &cfg->degraded_ttl_ms))
        goto out;
    if (tg__rd_string(host, root, "prefix", TG__RD_PREFIX_MAX, &s, &n))
        goto out;
    if (s && !tg__rd_prefix_ok(s, n)) {
        host->set_error("config: \"shared.prefix\" must be printable ASCII without spaces");
        goto out;
    }
    cfg->prefix = s ? tg__rd_strndup(s, n) : tg__rd_strndup(TG__RD_PREFIX_DEFAULT,
                                                           strlen(TG__RD_PREFIX_DEFAULT));
    if (!cfg->prefix)
        goto oom;
    if (tg__rd_string(host, root, "password_env", TG__RD_ENV_NAME_MAX, &s, &n))
        goto out;
    if (s) {
        if (!tg__rd_env_name_ok(s, n)) {
            host->set_error("config: \"shared.password_env\" must name an environment "
                            "variable (letters, digits and '_', not starting with a digit)");
            goto out;
        }
        memcpy(env, s, n + 1);
    }
    if (tg__rd_string(host, root, "url", TG__RD_URL_MAX, &s, &n))
        goto out;
    if (!s) {
        s = TG__RD_URL_DEFAULT;
        n = strlen(s);
    }
    rc = tg__rd_url_parse(s, n, cfg, why, sizeof why);
    if (rc == TG_ENOMEM)
        goto oom;
    if (rc != TG_OK) {
        host->set_error("config: \"shared.url\" %s", why);
        goto out;
    }
    if (env[0]) {
        rc = tg__rd_password_env(host, env, cfg);
        if (rc != TG_OK)
            goto out;
    }
    rc = TG_OK;
    goto out;
oom:
    host->set_error("out of memory");
    rc = TG_ENOMEM;
out:
    json_object_put(root);
    if (rc != TG_OK)
        tg__rd_config_clear(cfg);
    return rc;
}
