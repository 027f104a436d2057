/*
 * The Redis tier's configuration: the configuration's "shared" object
 * without "type" — url, prefix, timeout_ms, degraded_ttl_ms, password_env —
 * parsed from bytes into a struct (the environment is read once, for
 * password_env). The password is never printed: messages name the key and
 * what is wrong with it, never the URL's user information.
 *
 * Thread safety: reentrant (getenv aside, called only at create time).
 */
#ifndef TG_PLUGINS_REDIS_CONFIG_H
#define TG_PLUGINS_REDIS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"

#define TG__RD_URL_DEFAULT "redis://127.0.0.1:6379/0"
#define TG__RD_PREFIX_DEFAULT "toolgate:"
#define TG__RD_TIMEOUT_DEFAULT_MS 50
#define TG__RD_TIMEOUT_MAX_MS 60000
#define TG__RD_DEGRADED_DEFAULT_MS 5000
#define TG__RD_DEGRADED_MAX_MS (24 * 60 * 60 * 1000)
#define TG__RD_URL_MAX 1024     /* bytes of url */
#define TG__RD_PREFIX_MAX 64    /* bytes of prefix */
#define TG__RD_SECRET_MAX 512   /* bytes of the user name and of the password */
#define TG__RD_ENV_NAME_MAX 128 /* bytes of password_env */
#define TG__RD_WHERE_MAX 300    /* bytes of tg__rd_config.where */

typedef struct tg__rd_config {
    char *host;          /* a name or an address (IPv6 without brackets); NULL for unix */
    int port;
    char *unix_path;     /* NULL for TCP */
    int db;              /* SELECT'ed on every command connection */
    char *username;      /* NULL: AUTH with the password alone */
    char *password;      /* NULL: no AUTH; never printed, wiped when cleared */
    char *prefix;        /* of every key and of the channel */
    int64_t timeout_ms;  /* bounds each method: connect and command together */
    int64_t degraded_ttl_ms; /* for the gate */
    char where[TG__RD_WHERE_MAX]; /* "host:port" or "unix:/path", for messages */
} tg__rd_config;

/**
 * Parse @p config_json ("{}" when NULL) into @p cfg.
 * @return TG_OK; TG_ECONFIG (unknown key, wrong type, a URL that is not
 *         redis://[[user]:password@]host[:port][/db] or unix:/path, a
 *         password given twice or an unset password_env), with a message
 *         through host->set_error naming "shared.<key>"; TG_ENOMEM.
 *         On failure @p cfg holds nothing to free.
 * Ownership: free with tg__rd_config_clear().
 */
TG_WARN_UNUSED int tg__rd_config_parse(const tg_host *host, const char *config_json, tg__rd_config *cfg);

/* Wipe the password and free. Safe on a cleared or zeroed config. */
void tg__rd_config_clear(tg__rd_config *cfg);

/**
 * Parse a Redis URL into @p cfg's host, port, unix_path, db, username and
 * password (the caller frees them with tg__rd_config_clear()).
 * @param why  on TG_ECONFIG, what is wrong — never the URL's user
 *             information.
 * @return TG_OK; TG_ECONFIG; TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__rd_url_parse(const char *url, size_t len, tg__rd_config *cfg, char *why, size_t whycap);

#endif
