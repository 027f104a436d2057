/* Gate configuration (docs/design.md §7): parsed from JSON bytes, no I/O. */
#ifndef TG_SRC_CONFIG_H
#define TG_SRC_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Largest configuration accepted, in bytes (file or memory). */
#define TG__CONFIG_MAX_BYTES (1024u * 1024u)

typedef enum tg__policy {
    TG__POLICY_CLOSED = 0,
    TG__POLICY_STALE = 1,
    TG__POLICY_OPEN = 2
} tg__policy;

/* One tool rule: an exact tool name or a tool-name prefix → a connection. */
typedef struct tg__rule {
    char *match;       /* tool name or prefix, validated */
    char *connection;  /* connection name, validated */
} tg__rule;

typedef struct tg__config {
    char *provider_type;   /* "file" when absent */
    char *provider_json;   /* the "provider" object without "type"; "{}" when absent.
                            * With no "provider" key at all: {"path":"accounts.json"} */
    tg__rule *map;         /* tools.map, in document order */
    size_t n_map;
    tg__rule *prefixes;    /* tools.prefixes, in document order */
    size_t n_prefixes;
    int unmapped_deny;     /* tools.unmapped == "deny" */
    int64_t active_ttl_ms;     /* default 60000 */
    int64_t inactive_ttl_ms;   /* default 5000 */
    uint64_t max_entries;      /* default 100000, at least 1 */
    tg__policy on_provider_error; /* default closed */
    int64_t stale_grace_ms;       /* default 300000 */
    int64_t provider_timeout_ms;  /* provider.timeout_ms when given as an integer; 0 */
    char *shared_type;            /* "shared.type"; NULL: no shared tier */
    char *shared_json;            /* the "shared" object without "type" */
    int64_t degraded_ttl_ms;      /* shared.degraded_ttl_ms, default 5000 */
} tg__config;

/**
 * Parse a configuration. @p json need not be NUL-terminated.
 * @return TG_OK (out filled; free with tg__config_free); TG_ECONFIG with a
 *         message naming the key ("config: unknown key \"cache.foo\"") for
 *         bad JSON, unknown keys, wrong types or out-of-range values;
 *         TG_ENOMEM. On failure *out is zeroed.
 */
TG_WARN_UNUSED int tg__config_parse(const char *json, size_t len, tg__config *out);
void tg__config_free(tg__config *c);

/* A configuration file as read. */
typedef struct tg__config_file {
    char *text;           /* NUL-terminated; free with tg__config_file_free */
    size_t len;
    struct stat st;       /* of the file read (fstat) */
    int regular;          /* a regular file (not a pipe or device) */
    char dir[PATH_MAX];   /* relative paths in it are relative to this */
    char path[PATH_MAX];  /* as given */
} tg__config_file;

/**
 * Read a configuration file: at most TG__CONFIG_MAX_BYTES, no NUL byte. Pipes
 * and devices (/dev/stdin, a shell's <(...)) are read like files. Relative
 * paths in it are relative to the directory of @p path as given (a
 * symlink's own directory), or to the current directory for a pipe.
 * @return TG_OK; TG_EIO (cannot open or read); TG_ECONFIG (too large, NUL
 *         byte); TG_ENOMEM.
 */
TG_WARN_UNUSED int tg__config_read_file(const char *path, tg__config_file *out);
void tg__config_file_free(tg__config_file *f);

#endif
