/* Provider loading: built-in names or a shared object path. */
#ifndef TG_SRC_PLUGIN_H
#define TG_SRC_PLUGIN_H

#include "toolgate/provider.h"

struct tg__config_file;

typedef struct tg__plugin {
    const tg_provider *vt;  /* method table */
    void *state;            /* from vt->create */
    void *dl;               /* dlopen handle, NULL for built-ins */
} tg__plugin;

/* The host services handed to every provider. */
const tg_host *tg__host(void);

/**
 * Open the provider named by @p type: a built-in name ("file") or, when it
 * contains '/', a shared object path exporting TG_PROVIDER_ENTRY_SYMBOL —
 * absolute, or relative to @p base_dir (NULL: relative paths are refused).
 * A module, its directory and the configuration file @p from (NULL: the
 * configuration came from memory) must pass the trust checks (trust.h)
 * before the module is loaded. Then create it with @p config_json.
 * @return TG_OK; TG_ECONFIG (unknown type, untrusted file, provider config
 *         errors); TG_EPLUGIN (cannot load, no entry symbol, ABI mismatch);
 *         TG_EIO; TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__plugin_open(tg__plugin *p, const char *type, const char *config_json,
                    const char *base_dir, const struct tg__config_file *from);

/* Same with a given method table (in-process provider). */
TG_WARN_UNUSED int tg__plugin_open_table(tg__plugin *p, const tg_provider *vt, const char *config_json,
                          const char *base_dir, void *arg);

/* Mark the start and end of the provider calls of one check on this thread
 * (host->check_started_ms): the provider's timeout bounds them together. */
void tg__plugin_check_begin(void);
void tg__plugin_check_end(void);

/* Destroy the state and unload. Safe on a zeroed struct. */
void tg__plugin_close(tg__plugin *p);

/* Built-in providers, linked statically. */
const tg_provider *tg__file_provider_entry(uint32_t host_abi_version);

#endif
