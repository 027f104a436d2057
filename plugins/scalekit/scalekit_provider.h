/*
 * The "scalekit" provider: connected-account statuses and authorization links
 * from Scalekit's REST API (connected accounts, as wire.h describes) over libcurl.
 *
 * Built into libtoolgate (compiled with TG_PROVIDER_BUILTIN, entry below) and
 * as the loadable module toolgate-provider-scalekit (entry
 * TG_PROVIDER_ENTRY_SYMBOL) from the same source; either way it reaches the
 * host only through the tg_host table.
 */
#ifndef TG_PLUGINS_SCALEKIT_PROVIDER_H
#define TG_PLUGINS_SCALEKIT_PROVIDER_H

#include <stdint.h>

#include "toolgate/provider.h"

/* The built-in entry: the method table, or NULL for another host ABI. */
const tg_provider *tg__scalekit_provider_entry(uint32_t host_abi_version);

#endif
