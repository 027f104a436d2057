/*
 * The scalekit provider's configuration: the "provider" object of the gate's
 * configuration (without "type"), with the SCALEKIT_* environment variables
 * as fallbacks.
 * Parsed from bytes into a struct; the environment arrives as a function, so
 * tests pass their own.
 *
 * Thread safety: reentrant, as long as @p getenv_fn is.
 */
#ifndef TG_PLUGINS_SCALEKIT_PROVIDER_CONFIG_H
#define TG_PLUGINS_SCALEKIT_PROVIDER_CONFIG_H

#include <stdint.h>

#include "toolgate/provider.h"
#include "env_url.h"

#define TG__SK_URL_MAX 2048        /* bytes of environment_url */
#define TG__SK_CREDENTIAL_MAX 1024 /* bytes of client_id and of client_secret */
#define TG__SK_TIMEOUT_DEFAULT_MS 5000
#define TG__SK_TIMEOUT_MAX_MS 600000

typedef struct tg__sk_config {
    char *environment_url; /* checked, without trailing '/' */
    char *client_id;
    char *client_secret;   /* never printed */
    int64_t timeout_ms;    /* the budget of one check: its status and link together */
    int create_missing;
    tg__sk_env_url url;    /* what environment_url says: loopback, port, … */
} tg__sk_config;

/* getenv() or a stand-in; returns NULL for an unset variable. */
typedef const char *(*tg__sk_getenv_fn)(const char *name);

/**
 * Parse @p config_json into @p cfg.
 * @return TG_OK; TG_ECONFIG (unknown key, wrong type, missing URL or
 *         credentials, a URL that is not https:// or loopback http://) with a
 *         message through host->set_error naming the key; TG_ENOMEM.
 *         On failure @p cfg holds nothing to free.
 * Ownership: free with tg__sk_config_clear().
 */
int tg__sk_config_parse(const tg_host *host, const char *config_json, tg__sk_getenv_fn getenv_fn,
                        tg__sk_config *cfg);

/* Free what tg__sk_config_parse() allocated, wiping the secret first. The
 * parsed JSON document is wiped before it is freed too (json_doc.h). */
void tg__sk_config_clear(tg__sk_config *cfg);

#endif
