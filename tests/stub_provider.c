/* Broken provider modules for the loader's tests, one per TG_STUB_KIND:
 * 1: exports no entry symbol; 2: its entry returns NULL; 3: its table has
 * another ABI version; 4: its table lacks get_link.
 * Each also runs a constructor when loaded: it creates the file named by
 * $TG_STUB_MARKER, so a test can tell whether any of its code ran. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "toolgate/provider.h"

#define TG_STUB_EXPORT __attribute__((visibility("default")))

__attribute__((constructor)) static void stub_loaded(void)
{
    const char *marker = getenv("TG_STUB_MARKER");
    if (marker && marker[0]) {
        int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
}

TG_STUB_EXPORT int tg_stub_kind(void);
TG_STUB_EXPORT int tg_stub_kind(void)
{
    return TG_STUB_KIND;
}

#if TG_STUB_KIND != 1
static int stub_create(const tg_host *host, const char *config_json, const char *base_dir,
                       void *arg, void **state)
{
    (void)host;
    (void)config_json;
    (void)base_dir;
    (void)arg;
    *state = NULL;
    return TG_OK;
}

static void stub_destroy(void *state)
{
    (void)state;
}

static int stub_get_status(void *state, const char *connection, const char *identifier,
                           tg_status *status)
{
    (void)state;
    (void)connection;
    (void)identifier;
    *status = TG_STATUS_ACTIVE;
    return TG_OK;
}

static const tg_provider stub_table = {
    TG_STUB_KIND == 3 ? TG_PROVIDER_ABI_VERSION + 1 : TG_PROVIDER_ABI_VERSION,
    (uint32_t)sizeof(tg_provider),
    "stub",
    stub_create,
    stub_destroy,
    stub_get_status,
    NULL,
};

TG_STUB_EXPORT const tg_provider *tg_provider_entry(uint32_t host_abi_version);
TG_STUB_EXPORT const tg_provider *tg_provider_entry(uint32_t host_abi_version)
{
    (void)host_abi_version;
    return TG_STUB_KIND == 2 ? NULL : &stub_table;
}
#endif
