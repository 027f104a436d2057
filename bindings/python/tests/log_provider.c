/*
 * A provider module for the Python binding's logging test: every status it
 * reports is ACTIVE, and each get_status logs one line per level through the
 * host's sink from the calling thread, then one more from a thread of its own
 * (as a provider's background work would), so the test sees lines arrive in
 * Python's logging from both.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"

#define LOG_PROVIDER_EXPORT __attribute__((visibility("default")))

static const tg_host *log_host;

static int log_create(const tg_host *host, const char *config_json, const char *base_dir,
                      void *arg, void **state)
{
    (void)config_json;
    (void)base_dir;
    (void)arg;
    if (host->struct_size < offsetof(tg_host, log_enabled) + sizeof host->log_enabled)
        return TG_EPLUGIN;
    log_host = host;
    *state = NULL;
    return TG_OK;
}

static void log_destroy(void *state)
{
    (void)state;
}

static void *log_from_thread(void *arg)
{
    log_host->log(TG_LOG_INFO, "log_provider: from a provider thread for %s", (const char *)arg);
    return NULL;
}

static int log_get_status(void *state, const char *connection, const char *identifier,
                          tg_status *status)
{
    pthread_t t;

    (void)state;
    log_host->log(TG_LOG_ERROR, "log_provider: error line for %s|%s", connection, identifier);
    log_host->log(TG_LOG_WARN, "log_provider: warn line for %s|%s", connection, identifier);
    log_host->log(TG_LOG_INFO, "log_provider: info line for %s|%s", connection, identifier);
    if (log_host->log_enabled(TG_LOG_DEBUG))
        log_host->log(TG_LOG_DEBUG, "log_provider: debug line for %s|%s", connection,
                      identifier);
    if (pthread_create(&t, NULL, log_from_thread, (void *)identifier) == 0)
        pthread_join(t, NULL);
    *status = TG_STATUS_ACTIVE;
    return TG_OK;
}

static int log_get_link(void *state, const char *connection, const char *identifier, char *buf,
                        size_t len, int64_t *expires_at_ms)
{
    (void)state;
    (void)connection;
    (void)identifier;
    (void)buf;
    (void)len;
    (void)expires_at_ms;
    return TG_ENOTSUP;
}

static const tg_provider log_table = {
    TG_PROVIDER_ABI_VERSION, (uint32_t)sizeof(tg_provider), "log-test",
    log_create, log_destroy, log_get_status, log_get_link,
};

LOG_PROVIDER_EXPORT const tg_provider *tg_provider_entry(uint32_t host_abi_version);
LOG_PROVIDER_EXPORT const tg_provider *tg_provider_entry(uint32_t host_abi_version)
{
    return host_abi_version == TG_PROVIDER_ABI_VERSION ? &log_table : NULL;
}
