/*
 * The "scalekit" provider: get-or-create the connected account, read its
 * status, make its authorization link, over Scalekit's REST API.
 *
 * Status comes from GET /api/v1/connected_accounts/details, the route that
 * returns no credentials. provider.timeout_ms bounds one whole check: the
 * status and the link the gate asks for in the same check, token fetch and
 * retries included, count from when the check began (state.h).
 *
 * Every failure gets a message that says what failed (describe.h), logged at
 * TG_LOG_WARN too; requests are logged at TG_LOG_DEBUG (http.h).
 *
 * Thread safety: every method but create/destroy may run on many threads at
 * once. The access token is shared (token.h); HTTP handles come from a pool
 * (http.h), so connections are reused across calls and threads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toolgate/provider.h"
#include "api.h"
#include "host.h"
#include "scalekit_provider.h"
#include "state.h"
#include "wipe.h"

/* ---- life --------------------------------------------------------------- */

static int tg__sk_host_usable(const tg_host *host)
{
    return host && host->abi_version == TG_PROVIDER_ABI_VERSION &&
           host->struct_size >= offsetof(tg_host, valid_identifier) + sizeof host->valid_identifier &&
           host->set_error && host->status_parse && host->wall_ms && host->valid_connection &&
           host->valid_identifier;
}

static void tg__sk_destroy(void *state);

static const char *tg__sk_getenv(const char *name)
{
    return getenv(name);
}

static int tg__sk_create(const tg_host *host, const char *config_json, const char *base_dir,
                         void *arg, void **state)
{
    tg__sk_state *s;
    pthread_condattr_t attr;
    char why[TG__SK_MSG_MAX];
    int rc;

    (void)base_dir;
    (void)arg;
    if (!state)
        return TG_EINVAL;
    *state = NULL;
    if (!tg__sk_host_usable(host)) {
        if (host && host->set_error)
            host->set_error("scalekit provider: incompatible host services table");
        return TG_EPLUGIN;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    s->host = host;
    if (pthread_mutex_init(&s->tok_lock, NULL) != 0) {
        free(s);
        host->set_error("scalekit provider: cannot create a mutex");
        return TG_ENOMEM;
    }
    if (pthread_condattr_init(&attr) != 0) {
        pthread_mutex_destroy(&s->tok_lock);
        free(s);
        host->set_error("scalekit provider: cannot create a condition variable");
        return TG_ENOMEM;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&s->tok_cond, &attr) == 0
             ? TG_OK
             : TG_ENOMEM;
    pthread_condattr_destroy(&attr);
    if (rc != TG_OK) {
        pthread_mutex_destroy(&s->tok_lock);
        free(s);
        host->set_error("scalekit provider: cannot create a condition variable");
        return rc;
    }
    rc = tg__sk_config_parse(host, config_json ? config_json : "{}", tg__sk_getenv, &s->cfg);
    if (rc != TG_OK)
        goto fail;
    s->token_url = tg__sk_join(s->cfg.environment_url, TG__SK_ROUTE_TOKEN, (char *)NULL);
    if (!s->token_url) {
        host->set_error("out of memory");
        rc = TG_ENOMEM;
        goto fail;
    }
    s->http = tg__sk_http_new(host, &s->cfg.url, why, sizeof why);
    if (!s->http) {
        host->set_error("scalekit provider: %s", why);
        rc = TG_ENOMEM;
        goto fail;
    }
    *state = s;
    return TG_OK;
fail:
    tg__sk_destroy(s); /* wipes what the configuration held */
    return rc;
}

static void tg__sk_destroy(void *state)
{
    tg__sk_state *s = state;
    if (!s)
        return;
    tg__sk_http_free(s->http);
    free(s->token_url);
    tg__sk_config_clear(&s->cfg);
    tg__sk_wipe(s->token, sizeof s->token);
    pthread_cond_destroy(&s->tok_cond);
    pthread_mutex_destroy(&s->tok_lock);
    free(s);
}

/* ---- methods ------------------------------------------------------------ */

static int tg__sk_check_names(const tg_host *host, const char *connection,
                              const char *identifier)
{
    if (!connection || !host->valid_connection(connection)) {
        host->set_error("scalekit provider: invalid connection name");
        return TG_EINVAL;
    }
    if (!identifier || !host->valid_identifier(identifier)) {
        host->set_error("scalekit provider: invalid identifier");
        return TG_EINVAL;
    }
    return TG_OK;
}

/* End a call; on failure its message for tg_error_message() and the log. */
static int tg__sk_finish(tg__sk_call *c, int rc)
{
    if (rc != TG_OK) {
        c->s->host->set_error("%s", c->err);
        size_t skip = strncmp(c->err, "scalekit: ", 10) == 0 ? 10 : 0;
        tg__sk_log(c->s->host, TG_LOG_WARN, "%s", c->err + skip);
    }
    tg__sk_call_end(c);
    return rc;
}

static int tg__sk_get_status(void *state, const char *connection, const char *identifier,
                             tg_status *status)
{
    tg__sk_state *s = state;
    tg__sk_call c;
    int rc, found = 0, has = 0;
    tg_status st = TG_STATUS_UNKNOWN;

    if (!s || !status)
        return TG_EINVAL;
    rc = tg__sk_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_call_begin(&c, s) != TG_OK)
        return tg__sk_finish(&c, TG_ENOMEM);
    rc = tg__sk_api_read(&c, connection, identifier, &found, &st);
    if (rc == TG_OK && !found) {
        if (!s->cfg.create_missing) {
            *status = TG_STATUS_NOT_FOUND;
            return tg__sk_finish(&c, TG_OK);
        }
        rc = tg__sk_api_create(&c, connection, identifier, &has, &st);
        if (rc == TG_OK && !has) {
            rc = tg__sk_api_read(&c, connection, identifier, &found, &st);
            if (rc == TG_OK && !found) {
                snprintf(c.err, sizeof c.err,
                         "scalekit: HTTP 404 from " TG__SK_ROUTE_DETAILS
                         ": the account was created but reads as missing");
                rc = TG_EPROVIDER;
            }
        }
    }
    if (rc == TG_OK)
        *status = st;
    return tg__sk_finish(&c, rc);
}

static int tg__sk_get_link(void *state, const char *connection, const char *identifier,
                           char *buf, size_t len, int64_t *expires_at_ms)
{
    tg__sk_state *s = state;
    tg__sk_call c;
    tg__sk_link *link;
    int rc, found = 0, has = 0;
    tg_status st;
    size_t n;

    if (!s || !buf || len == 0)
        return TG_EINVAL;
    buf[0] = '\0';
    if (expires_at_ms)
        *expires_at_ms = 0;
    rc = tg__sk_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    link = malloc(sizeof *link);
    if (!link || tg__sk_call_begin(&c, s) != TG_OK) {
        free(link);
        s->host->set_error("scalekit: out of memory");
        return TG_ENOMEM;
    }
    rc = tg__sk_api_link(&c, connection, identifier, &found, link);
    if (rc == TG_OK && !found && s->cfg.create_missing) {
        rc = tg__sk_api_create(&c, connection, identifier, &has, &st);
        if (rc == TG_OK)
            rc = tg__sk_api_link(&c, connection, identifier, &found, link);
    }
    if (rc == TG_OK && !found) {
        snprintf(c.err, sizeof c.err,
                 "scalekit: HTTP 404 from " TG__SK_ROUTE_LINK ": no such connected account%s",
                 s->cfg.create_missing ? "" : " (provider.create_missing is false)");
        rc = TG_EPROVIDER;
    }
    if (rc == TG_OK) {
        n = strlen(link->link);
        if (n >= len) {
            snprintf(c.err, sizeof c.err,
                     "scalekit: the answer of " TG__SK_ROUTE_LINK
                     " has a link longer than %zu bytes",
                     len - 1);
            rc = TG_EPROVIDER;
        } else {
            memcpy(buf, link->link, n + 1);
            if (expires_at_ms)
                *expires_at_ms = link->expires_at_ms;
        }
    }
    free(link);
    return tg__sk_finish(&c, rc);
}

static const tg_provider tg__sk_provider = {
    TG_PROVIDER_ABI_VERSION,
    (uint32_t)sizeof(tg_provider),
    "scalekit",
    tg__sk_create,
    tg__sk_destroy,
    tg__sk_get_status,
    tg__sk_get_link,
};

static const tg_provider *tg__sk_entry(uint32_t host_abi_version)
{
    return host_abi_version == TG_PROVIDER_ABI_VERSION ? &tg__sk_provider : NULL;
}

#ifdef TG_PROVIDER_BUILTIN
const tg_provider *tg__scalekit_provider_entry(uint32_t host_abi_version)
{
    return tg__sk_entry(host_abi_version);
}
#else
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version);
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version)
{
    return tg__sk_entry(host_abi_version);
}
#endif
