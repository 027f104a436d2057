/*
 * toolgate provider plugin ABI.
 *
 * A provider answers two questions for the gate: the status of the connected
 * account (connection, identifier), and an authorization link for it. It is
 * either built into the library ("file", "scalekit") or loaded from a shared
 * object named by "provider.type" (a path containing '/').
 *
 * A loadable provider exports exactly one symbol, TG_PROVIDER_ENTRY_SYMBOL, of
 * type tg_provider_entry_fn. It never links libtoolgate: what it needs from the
 * host (error reporting, status parsing, the clock, input checks) arrives in the
 * tg_host table passed to create(). Both tables start with abi_version and
 * struct_size and only grow: a newer host checks struct_size before reading a
 * field an older plugin does not have, and the reverse.
 */
#ifndef TOOLGATE_PROVIDER_H
#define TOOLGATE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* json-c's object type (<json-c/json_object.h>): parse_json hands one out. */
struct json_object;

/* parse_json flags. */
#define TG_JSON_OBJECT 1u /* the top-level value must be an object */

/* Major ABI version: a plugin built for another major version is refused. */
#define TG_PROVIDER_ABI_VERSION 1u
#define TG_PROVIDER_ENTRY_SYMBOL "tg_provider_entry"

/* Services the host hands to a provider. Valid until the provider's destroy(). */
typedef struct tg_host {
    uint32_t abi_version;  /* TG_PROVIDER_ABI_VERSION */
    uint32_t struct_size;  /* sizeof(tg_host) as the host was built */
    /* Record the detail of a failure for tg_error_message() on this thread.
     * printf-style. Never pass secrets. */
    void (*set_error)(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;
    /* tg_status_parse() of the host. */
    int (*status_parse)(const char *text, tg_status *out);
    /* Wall clock, Unix milliseconds. */
    int64_t (*wall_ms)(void);
    /* docs/design.md §9 checks of a NUL-terminated name: 1 when valid, 0 otherwise. */
    int (*valid_connection)(const char *connection);
    int (*valid_identifier)(const char *identifier);
    /* ---- added in the same ABI version; check struct_size first ---- */
    /* A diagnostic line for the host's tg_log_set() sink, printf-style.
     * Never pass secrets. */
    void (*log)(tg_log_level level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
    /* 1 when a line at @p level would be delivered: skip building it otherwise. */
    int (*log_enabled)(tg_log_level level);
    /* Parse an RFC 3339 date-time ("2026-11-25T15:10:00.5Z", any offset) into
     * Unix ms. TG_OK or TG_EINVAL. */
    int (*parse_rfc3339)(const char *text, size_t len, int64_t *unix_ms);
    /* The monotonic clock (CLOCK_MONOTONIC), ms. */
    int64_t (*mono_ms)(void);
    /* When the check being answered on this thread began asking the provider,
     * on mono_ms()'s clock; 0 outside a check. One check may call get_status
     * and then get_link: a provider's own timeout bounds both together when
     * counted from here, retries included. */
    int64_t (*check_started_ms)(void);
    /* Parse JSON from outside (a file, an answer from the network): at most
     * @p max_bytes and @p max_depth levels, RFC 8259 strictly, valid UTF-8,
     * no "\u0000", every key at most once per object, nothing after the
     * value. On failure writes one line into @p err naming @p what, the
     * problem and its line and column (never json-c's wording).
     * @return TG_OK with *out set (a json-c object; the provider puts it —
     *         it links json-c itself); TG_EINVAL; TG_ENOMEM. */
    int (*parse_json)(const char *text, size_t len, size_t max_bytes, int max_depth,
                      unsigned flags, const char *what, struct json_object **out, char *err,
                      size_t errlen);
    /* Quote untrusted bytes for a message: at most @p max of the @p n bytes of
     * @p s, printable ASCII kept, the rest (and quotes, backslashes) as \xNN,
     * "..." when cut; always NUL-terminated within @p cap (> 0). */
    void (*excerpt)(const char *s, size_t n, size_t max, char *out, size_t cap);
} tg_host;

/*
 * The provider's method table. All methods but create() and destroy() may be
 * called from many threads at once, for different or equal keys: a provider
 * is thread safe. Methods return TG_OK or a negative tg_err code and report
 * detail with host->set_error(). Every call is bounded in time by the
 * provider's own timeout.
 */
typedef struct tg_provider {
    uint32_t abi_version;  /* TG_PROVIDER_ABI_VERSION */
    uint32_t struct_size;  /* sizeof(tg_provider) as the plugin was built */
    const char *name;      /* short name, e.g. "file" */

    /**
     * Build the provider's state from its configuration.
     * @param host         host services; borrowed until destroy().
     * @param config_json  the configuration's "provider" object as JSON text,
     *                     "type" removed ("{}" when absent). The provider must
     *                     refuse unknown keys and wrong types with TG_ECONFIG
     *                     and a message naming the key ("provider.<key>").
     * @param base_dir     directory for relative paths (never NULL).
     * @param arg          tg_gate_new_with_provider()'s arg; NULL otherwise.
     * @param state        receives the provider's state.
     * @return TG_OK; TG_ECONFIG; TG_EIO; TG_ENOMEM.
     */
    int (*create)(const tg_host *host, const char *config_json, const char *base_dir,
                  void *arg, void **state);

    /* Free the state. Called once, after every other call has returned. */
    void (*destroy)(void *state);

    /**
     * Status of the account. An account the provider does not know is
     * TG_STATUS_NOT_FOUND, or created and reported TG_STATUS_PENDING when the
     * provider is configured to create missing accounts.
     * @return TG_OK with *status set; TG_EPROVIDER, TG_ETIMEOUT on failure —
     *         never a status standing in for a failure.
     */
    int (*get_status)(void *state, const char *connection, const char *identifier,
                      tg_status *status);

    /**
     * An authorization link for the account, written NUL-terminated into buf
     * (len is at least TG_LINK_MAX + 1).
     * @param expires_at_ms  receives the link's expiry, Unix ms (0: none given).
     * @return TG_OK; TG_EPROVIDER, TG_ETIMEOUT; TG_ENOTSUP.
     */
    int (*get_link)(void *state, const char *connection, const char *identifier, char *buf,
                    size_t len, int64_t *expires_at_ms);
} tg_provider;

/* The one symbol a loadable provider exports. Returns its static method table,
 * or NULL when it cannot serve a host of @p host_abi_version. */
typedef const tg_provider *(*tg_provider_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* TOOLGATE_PROVIDER_H */
