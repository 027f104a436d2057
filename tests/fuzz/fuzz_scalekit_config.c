/* Fuzz target: the scalekit provider's configuration
 * (plugins/scalekit/provider_config.c, tg__sk_config_parse): the "provider"
 * object of the configuration file, with SCALEKIT_* environment variables as
 * fallbacks. Input: one byte saying which variables are set (bits 0-2: URL,
 * client id, client secret), then NUL-separated: the provider JSON and the
 * three variables' values.
 * Invariants:
 * - the parse succeeds or fails with TG_ECONFIG and a loggable message that
 *   starts with "config: ";
 * - the message never depends on the client secret: parsed again with the
 *   secret (from the JSON or the environment) replaced by as many 'Q's, the
 *   result and the message are the same;
 * - what parses holds a checked URL (checking it again changes nothing),
 *   credentials within their bounds and a timeout in range. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "plugin.h"
#include "provider_config.h"
#include "wire.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

/* The environment of the current input. */
static const char *env_url, *env_id, *env_secret;

static const char *fake_getenv(const char *name)
{
    if (strcmp(name, "SCALEKIT_ENVIRONMENT_URL") == 0)
        return env_url;
    if (strcmp(name, "SCALEKIT_CLIENT_ID") == 0)
        return env_id;
    if (strcmp(name, "SCALEKIT_CLIENT_SECRET") == 0)
        return env_secret;
    FZ_CHECK(0, "unexpected variable %s", name);
    return NULL;
}

typedef struct outcome {
    int rc;
    char message[512];
    tg__sk_config cfg;
} outcome;

static void parse(const char *json, outcome *o)
{
    o->rc = tg__sk_config_parse(tg__host(), json, fake_getenv, &o->cfg);
    snprintf(o->message, sizeof o->message, "%s", o->rc == TG_OK ? "" : tg_error_message());
}

static char *all_q(size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memset(s, 'Q', n);
    s[n] = '\0';
    return s;
}

/* The JSON with "client_secret" replaced, or NULL when it has no such string
 * (or is not JSON json-c reads strictly, or the secret holds a NUL). */
static char *json_without_secret(const char *json)
{
    json_object *root = fz_json_parse(json, strlen(json)), *v;
    char *text = NULL, *q;

    if (root && json_object_is_type(root, json_type_object) &&
        json_object_object_get_ex(root, "client_secret", &v) &&
        json_object_is_type(v, json_type_string) &&
        strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v)) {
        q = all_q((size_t)json_object_get_string_len(v));
        json_object_object_add(root, "client_secret", json_object_new_string(q));
        free(q);
        text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
        if (!text)
            abort();
    }
    json_object_put(root);
    return text;
}

static void check_same(const outcome *a, const outcome *b, const char *how)
{
    FZ_CHECK(a->rc == b->rc && strcmp(a->message, b->message) == 0,
             "with the secret replaced (%s): %d \"%s\", then %d \"%s\"", how, a->rc, a->message,
             b->rc, b->message);
    if (a->rc == TG_OK)
        FZ_CHECK(strcmp(a->cfg.environment_url, b->cfg.environment_url) == 0 &&
                     strcmp(a->cfg.client_id, b->cfg.client_id) == 0,
                 "with the secret replaced (%s), the rest differs", how);
}

static void check_valid(const tg__sk_config *c)
{
    char again[TG__SK_URL_MAX + 1], err[TG__SK_ERR_MAX];
    tg__sk_env_url info;

    FZ_CHECK(tg__sk_check_env_url(c->environment_url, again, sizeof again, &info, err,
                                  sizeof err) == TG_OK &&
                 strcmp(again, c->environment_url) == 0 &&
                 memcmp(&info, &c->url, sizeof info) == 0,
             "URL %s does not check again", c->environment_url);
    FZ_CHECK(c->client_id && c->client_id[0] && strlen(c->client_id) <= TG__SK_CREDENTIAL_MAX,
             "client id");
    FZ_CHECK(c->client_secret && c->client_secret[0] &&
                 strlen(c->client_secret) <= TG__SK_CREDENTIAL_MAX,
             "client secret");
    FZ_CHECK(c->timeout_ms >= 1 && c->timeout_ms <= TG__SK_TIMEOUT_MAX_MS, "timeout %lld",
             (long long)c->timeout_ms);
    FZ_CHECK(c->create_missing == 0 || c->create_missing == 1, "create_missing");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    uint8_t set = fz_byte(&in);
    char *json = fz_field(&in, NULL), *url = fz_field(&in, NULL), *id = fz_field(&in, NULL);
    char *secret = fz_field(&in, NULL), *replaced, *q;
    outcome *first = calloc(1, sizeof *first), *second = calloc(1, sizeof *second);

    if (!first || !second)
        abort();
    env_url = (set & 1) ? url : NULL;
    env_id = (set & 2) ? id : NULL;
    env_secret = (set & 4) ? secret : NULL;

    parse(json, first);
    if (first->rc == TG_OK) {
        check_valid(&first->cfg);
    } else {
        FZ_CHECK(first->rc == TG_ECONFIG, "parse gave %d: %s", first->rc, first->message);
        fz_check_message("scalekit config", first->message, "config: ");
    }

    /* The secret from the JSON, replaced. */
    replaced = json_without_secret(json);
    if (replaced) {
        parse(replaced, second);
        check_same(first, second, "in the JSON");
        tg__sk_config_clear(&second->cfg);
        free(replaced);
    }
    /* The secret from the environment, replaced. */
    if (env_secret) {
        q = all_q(strlen(env_secret));
        env_secret = q;
        parse(json, second);
        check_same(first, second, "in the environment");
        tg__sk_config_clear(&second->cfg);
        free(q);
    }

    tg__sk_config_clear(&first->cfg);
    free(second);
    free(first);
    free(secret);
    free(id);
    free(url);
    free(json);
    return 0;
}
