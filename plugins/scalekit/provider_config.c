/* The scalekit provider's configuration; see provider_config.h. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>

#include "json_doc.h"
#include "provider_config.h"
#include "quote.h"
#include "wipe.h"

#define TG__SK_CONFIG_MAX (64 * 1024) /* bytes of the provider object */
#define TG__SK_CONFIG_DEPTH 8

void tg__sk_config_clear(tg__sk_config *cfg)
{
    if (!cfg)
        return;
    tg__sk_free_string(cfg->client_secret);
    free(cfg->client_id);
    free(cfg->environment_url);
    memset(cfg, 0, sizeof *cfg);
}

static json_object *tg__sk_config_json(const tg_host *host, const char *text)
{
    tg__sk_json_error why;
    json_object *root;
    size_t len = strnlen(text, TG__SK_CONFIG_MAX + 1);

    if (len > TG__SK_CONFIG_MAX) {
        host->set_error("config: \"provider\" is larger than %d bytes", TG__SK_CONFIG_MAX);
        return NULL;
    }
    root = tg__sk_json_parse(text, len, TG__SK_CONFIG_DEPTH, 1, &why);
    if (!root) {
        if (why == TG__SK_JSON_NOMEM)
            host->set_error("out of memory");
        else
            host->set_error("config: \"provider\" is not valid JSON");
    }
    return root;
}

/* A string setting from the object or, when absent, the environment.
 * *out is NULL when neither gives a non-empty value. */
static int tg__sk_config_string(const tg_host *host, json_object *root, const char *key,
                                const char *env_name, tg__sk_getenv_fn getenv_fn, size_t max,
                                char **out)
{
    json_object *v;
    const char *s = NULL;
    size_t n = 0;

    *out = NULL;
    if (json_object_object_get_ex(root, key, &v)) {
        if (!json_object_is_type(v, json_type_string)) {
            host->set_error("config: \"provider.%s\" must be a string", key);
            return TG_ECONFIG;
        }
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (strlen(s) != n) {
            host->set_error("config: \"provider.%s\" contains a NUL character", key);
            return TG_ECONFIG;
        }
        if (n == 0) {
            host->set_error("config: \"provider.%s\" must not be empty", key);
            return TG_ECONFIG;
        }
    } else if (getenv_fn) {
        s = getenv_fn(env_name);
        n = s ? strlen(s) : 0;
        if (n == 0)
            return TG_OK;
    } else {
        return TG_OK;
    }
    if (n > max) {
        host->set_error("config: \"provider.%s\" is longer than %zu bytes", key, max);
        return TG_ECONFIG;
    }
    *out = malloc(n + 1);
    if (!*out) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    memcpy(*out, s, n + 1);
    return TG_OK;
}

static int tg__sk_known_key(const char *k)
{
    static const char *const keys[] = { "environment_url", "client_id", "client_secret",
                                        "timeout_ms", "create_missing", NULL };
    const char *const *p;
    for (p = keys; *p; p++)
        if (strcmp(k, *p) == 0)
            return 1;
    return 0;
}

int tg__sk_config_parse(const tg_host *host, const char *config_json, tg__sk_getenv_fn getenv_fn,
                        tg__sk_config *cfg)
{
    json_object *root, *v;
    struct json_object_iterator it, end;
    char *raw_url = NULL, why[160], ex[64 * 4 + 8];
    int rc = TG_ECONFIG;

    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_ms = TG__SK_TIMEOUT_DEFAULT_MS;
    cfg->create_missing = 1;
    root = tg__sk_config_json(host, config_json ? config_json : "{}");
    if (!root)
        return TG_ECONFIG;
    if (!json_object_is_type(root, json_type_object)) {
        host->set_error("config: \"provider\" must be an object");
        goto out;
    }
    it = json_object_iter_begin(root);
    end = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *k = json_object_iter_peek_name(&it);
        if (!tg__sk_known_key(k)) {
            tg__sk_excerpt(k, strlen(k), 64, ex, sizeof ex);
            host->set_error("config: unknown key \"provider.%s\"", ex);
            goto out;
        }
    }
    if (json_object_object_get_ex(root, "timeout_ms", &v)) {
        int64_t t;
        if (!json_object_is_type(v, json_type_int)) {
            host->set_error("config: \"provider.timeout_ms\" must be an integer");
            goto out;
        }
        t = json_object_get_int64(v);
        if (t < 1 || t > TG__SK_TIMEOUT_MAX_MS) {
            host->set_error("config: \"provider.timeout_ms\" must be from 1 to %d",
                            TG__SK_TIMEOUT_MAX_MS);
            goto out;
        }
        cfg->timeout_ms = t;
    }
    if (json_object_object_get_ex(root, "create_missing", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            host->set_error("config: \"provider.create_missing\" must be a boolean");
            goto out;
        }
        cfg->create_missing = json_object_get_boolean(v) ? 1 : 0;
    }
    rc = tg__sk_config_string(host, root, "environment_url", "SCALEKIT_ENVIRONMENT_URL",
                              getenv_fn, TG__SK_URL_MAX, &raw_url);
    if (rc == TG_OK)
        rc = tg__sk_config_string(host, root, "client_id", "SCALEKIT_CLIENT_ID", getenv_fn,
                                  TG__SK_CREDENTIAL_MAX, &cfg->client_id);
    if (rc == TG_OK)
        rc = tg__sk_config_string(host, root, "client_secret", "SCALEKIT_CLIENT_SECRET",
                                  getenv_fn, TG__SK_CREDENTIAL_MAX, &cfg->client_secret);
    if (rc != TG_OK)
        goto out;
    rc = TG_ECONFIG;
    if (!raw_url) {
        host->set_error("config: the scalekit provider needs \"provider.environment_url\" "
                        "(or SCALEKIT_ENVIRONMENT_URL)");
        goto out;
    }
    if (!cfg->client_id) {
        host->set_error("config: the scalekit provider needs \"provider.client_id\" "
                        "(or SCALEKIT_CLIENT_ID)");
        goto out;
    }
    if (!cfg->client_secret) {
        host->set_error("config: the scalekit provider needs \"provider.client_secret\" "
                        "(or SCALEKIT_CLIENT_SECRET)");
        goto out;
    }
    cfg->environment_url = malloc(TG__SK_URL_MAX + 1);
    if (!cfg->environment_url) {
        host->set_error("out of memory");
        rc = TG_ENOMEM;
        goto out;
    }
    if (tg__sk_check_env_url(raw_url, cfg->environment_url, TG__SK_URL_MAX + 1, &cfg->url, why,
                             sizeof why) != TG_OK) {
        host->set_error("config: \"provider.environment_url\" %s", why);
        goto out;
    }
    rc = TG_OK;
out:
    free(raw_url);
    tg__sk_json_free(root);
    if (rc != TG_OK)
        tg__sk_config_clear(cfg);
    return rc;
}
