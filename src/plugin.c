/* Provider loading: the host services table, built-in providers and shared
 * objects found by path (STYLE habit 7). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "error.h"
#include "input.h"
#include "json_in.h"
#include "log.h"
#include "config.h"
#include "plugin.h"
#include "rfc3339.h"
#include "scalekit_provider.h"
#include "trust.h"

/* ---- host services ------------------------------------------------------ */

static void tg__host_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void tg__host_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg__set_error_v(fmt, ap);
    va_end(ap);
}

static int64_t tg__host_wall_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tg__host_valid_connection(const char *connection)
{
    return tg__valid_connection(connection, NULL);
}

static int tg__host_valid_identifier(const char *identifier)
{
    return tg__valid_identifier(identifier, NULL);
}

static void tg__host_log(tg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tg__host_log(tg_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg__log_v(level, fmt, ap);
    va_end(ap);
}

static int tg__host_parse_rfc3339(const char *text, size_t len, int64_t *unix_ms)
{
    if (!text || !unix_ms)
        return TG_EINVAL;
    return tg__rfc3339_parse(text, len, unix_ms) == 0 ? TG_OK : TG_EINVAL;
}

static _Thread_local int64_t tg__check_started;

static int64_t tg__host_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t tg__host_check_started_ms(void)
{
    return tg__check_started;
}

static int tg__host_parse_json(const char *text, size_t len, size_t max_bytes, int max_depth,
                               unsigned flags, const char *what, struct json_object **out,
                               char *err, size_t errlen)
{
    tg__json_limits lim;
    int rc;

    if (!out)
        return TG_EINVAL;
    *out = NULL;
    lim.what = what ? what : "JSON";
    lim.max_bytes = max_bytes;
    lim.max_depth = max_depth > 0 ? max_depth : 1;
    lim.flags = TG__JSON_STRICT | TG__JSON_UNIQUE_KEYS |
                (flags & TG_JSON_OBJECT ? TG__JSON_OBJECT : 0u);
    lim.err = TG_EINVAL;
    rc = tg__json_parse(text, len, &lim, out);
    if (rc != TG_OK && err && errlen)
        snprintf(err, errlen, "%s", tg_error_message());
    return rc;
}

static void tg__host_excerpt(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    if (!s) {
        out[0] = '\0';
        return;
    }
    tg__excerpt(s, n, max, out, cap);
}

void tg__plugin_check_begin(void)
{
    tg__check_started = tg__host_mono_ms();
}

void tg__plugin_check_end(void)
{
    tg__check_started = 0;
}

static const tg_host tg__host_table = {
    TG_PROVIDER_ABI_VERSION,
    (uint32_t)sizeof(tg_host),
    tg__host_set_error,
    tg_status_parse,
    tg__host_wall_ms,
    tg__host_valid_connection,
    tg__host_valid_identifier,
    tg__host_log,
    tg__log_enabled,
    tg__host_parse_rfc3339,
    tg__host_mono_ms,
    tg__host_check_started_ms,
    tg__host_parse_json,
    tg__host_excerpt,
};

const tg_host *tg__host(void)
{
    return &tg__host_table;
}

/* ---- built-in providers ------------------------------------------------- */

/* Providers linked into the library, by "provider.type". A new built-in is
 * one more row here, and one more name in the message of tg__plugin_open(). */
static const struct {
    const char *name;
    tg_provider_entry_fn entry;
} tg__builtins[] = {
    { "file", tg__file_provider_entry },
    { "scalekit", tg__scalekit_provider_entry },
};

/* ---- validation --------------------------------------------------------- */

/* The fields this host calls: everything up to and including get_link. */
#define TG__PROVIDER_MIN_SIZE \
    (offsetof(tg_provider, get_link) + sizeof(((tg_provider *)0)->get_link))

/* Check a method table; @p what names it in messages ("provider module \"…\""). */
static int tg__plugin_check_table(const tg_provider *vt, const char *what)
{
    const char *missing = NULL;

    if (!vt)
        return tg__fail(TG_EPLUGIN, "%s: no method table", what);
    if (vt->abi_version != TG_PROVIDER_ABI_VERSION)
        return tg__fail(TG_EPLUGIN, "%s: built for provider ABI version %u, this library has %u",
                        what, (unsigned)vt->abi_version, (unsigned)TG_PROVIDER_ABI_VERSION);
    if (vt->struct_size < TG__PROVIDER_MIN_SIZE)
        return tg__fail(TG_EPLUGIN, "%s: method table of %u bytes, at least %u needed", what,
                        (unsigned)vt->struct_size, (unsigned)TG__PROVIDER_MIN_SIZE);
    if (!vt->create)
        missing = "create";
    else if (!vt->destroy)
        missing = "destroy";
    else if (!vt->get_status)
        missing = "get_status";
    else if (!vt->get_link)
        missing = "get_link";
    if (missing)
        return tg__fail(TG_EPLUGIN, "%s: method table lacks %s()", what, missing);
    return TG_OK;
}

/* Validate, then create the provider's state. */
static int tg__plugin_create(tg__plugin *p, const tg_provider *vt, const char *what,
                             const char *config_json, const char *base_dir, void *arg)
{
    void *state = NULL;
    int rc;

    rc = tg__plugin_check_table(vt, what);
    if (rc != TG_OK)
        return rc;
    /* A provider that fails without a word still leaves a useful message. */
    tg__set_error("%s: create() failed", what);
    rc = vt->create(&tg__host_table, config_json ? config_json : "{}",
                    base_dir ? base_dir : ".", arg, &state);
    if (rc == TG_OK)
        tg__set_error("%s", ""); /* created: no failure to report */
    if (rc != TG_OK) {
        if (rc > 0 || rc < TG_EPLUGIN)
            return tg__fail(TG_EPLUGIN, "%s: create() returned the unknown code %d", what, rc);
        return rc;
    }
    p->vt = vt;
    p->state = state;
    return TG_OK;
}

/* ---- loading ------------------------------------------------------------ */

/* Load the module at @p type (absolute, or relative to @p base_dir — never to
 * the working directory) after checking that it, and the configuration that
 * names it, can be trusted: nothing of the module runs before that. The
 * file checked is the file loaded (dlopen of the open descriptor). */
static int tg__plugin_open_module(tg__plugin *p, const char *type, const char *config_json,
                                  const char *base_dir, const tg__config_file *from)
{
    char ex[1024], what[1100], fdpath[64];
    char *path;
    const char *err;
    void *dl, *sym;
    tg_provider_entry_fn entry;
    const tg_provider *vt;
    size_t tlen = strlen(type), blen = 0;
    struct stat st;
    int rc, fd;

    tg__excerpt(type, strnlen(type, 201), 200, ex, sizeof ex);
    if (type[0] != '/') {
        if (!base_dir)
            return tg__fail(TG_ECONFIG,
                            "config: provider module \"%s\" is a relative path, and this "
                            "configuration has no directory to be relative to: give an "
                            "absolute path",
                            ex);
        blen = strlen(base_dir);
    }
    if (from) {
        rc = tg__trust_file("configuration file", from->path, &from->st);
        if (rc != TG_OK)
            return rc;
    }
    path = malloc(blen + 1 + tlen + 1);
    if (!path)
        return tg__fail(TG_ENOMEM, "out of memory");
    if (blen)
        snprintf(path, blen + 1 + tlen + 1, "%s%s%s", base_dir,
                 base_dir[blen - 1] == '/' ? "" : "/", type);
    else
        memcpy(path, type, tlen + 1);
    tg__excerpt(path, strnlen(path, 201), 200, ex, sizeof ex);
    snprintf(what, sizeof what, "provider module \"%s\"", ex);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = tg__fail(TG_EPLUGIN, "%s: cannot load: %s", what, strerror(errno));
        free(path);
        return rc;
    }
    rc = fstat(fd, &st) != 0 ? tg__fail(TG_EPLUGIN, "%s: cannot load: %s", what, strerror(errno))
                             : tg__trust_file("provider module", path, &st);
    free(path);
    if (rc != TG_OK) {
        close(fd);
        return rc;
    }
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
    close(fd);
    if (!dl) {
        size_t plen = strlen(fdpath);
        err = dlerror();
        if (!err)
            err = "unknown error";
        /* dlerror() repeats the path the message already names. */
        if (strncmp(err, fdpath, plen) == 0 && err[plen] == ':' && err[plen + 1] == ' ')
            err += plen + 2;
        return tg__fail(TG_EPLUGIN, "%s: cannot load: %s", what, err);
    }
    (void)dlerror();
    sym = dlsym(dl, TG_PROVIDER_ENTRY_SYMBOL);
    if (!sym) {
        dlclose(dl);
        return tg__fail(TG_EPLUGIN, "%s: does not export %s()", what, TG_PROVIDER_ENTRY_SYMBOL);
    }
    /* POSIX guarantees a function's address survives the trip through void *;
     * memcpy says so without the cast ISO C frowns on. */
    _Static_assert(sizeof entry == sizeof sym, "function and object pointers differ in size");
    memcpy(&entry, &sym, sizeof entry);
    vt = entry(TG_PROVIDER_ABI_VERSION);
    if (!vt) {
        dlclose(dl);
        return tg__fail(TG_EPLUGIN, "%s: cannot serve a host of provider ABI version %u", what,
                        (unsigned)TG_PROVIDER_ABI_VERSION);
    }
    rc = tg__plugin_create(p, vt, what, config_json, base_dir, NULL);
    if (rc != TG_OK) {
        dlclose(dl);
        return rc;
    }
    p->dl = dl;
    return TG_OK;
}

int tg__plugin_open(tg__plugin *p, const char *type, const char *config_json,
                    const char *base_dir, const tg__config_file *from)
{
    char ex[300], what[400];
    size_t i;

    if (!p)
        return tg__fail(TG_EINVAL, "tg__plugin_open: NULL argument");
    memset(p, 0, sizeof *p);
    if (!type)
        type = "file";
    if (strchr(type, '/'))
        return tg__plugin_open_module(p, type, config_json, base_dir, from);
    for (i = 0; i < sizeof tg__builtins / sizeof tg__builtins[0]; i++) {
        if (strcmp(type, tg__builtins[i].name) == 0) {
            snprintf(what, sizeof what, "provider \"%s\"", tg__builtins[i].name);
            return tg__plugin_create(p, tg__builtins[i].entry(TG_PROVIDER_ABI_VERSION), what,
                                     config_json, base_dir, NULL);
        }
    }
    tg__excerpt(type, strnlen(type, 201), 200, ex, sizeof ex);
    return tg__fail(TG_ECONFIG,
                    "config: unknown provider type \"%s\" (expected \"file\", \"scalekit\" "
                    "or a path to a provider module)",
                    ex);
}

int tg__plugin_open_table(tg__plugin *p, const tg_provider *vt, const char *config_json,
                          const char *base_dir, void *arg)
{
    char ex[300], what[400];

    if (!p)
        return tg__fail(TG_EINVAL, "tg__plugin_open_table: NULL argument");
    memset(p, 0, sizeof *p);
    if (vt && vt->abi_version == TG_PROVIDER_ABI_VERSION &&
        vt->struct_size >= TG__PROVIDER_MIN_SIZE && vt->name) {
        tg__excerpt(vt->name, strnlen(vt->name, 201), 200, ex, sizeof ex);
        snprintf(what, sizeof what, "provider \"%s\"", ex);
    } else {
        snprintf(what, sizeof what, "in-process provider");
    }
    return tg__plugin_create(p, vt, what, config_json, base_dir, arg);
}

void tg__plugin_close(tg__plugin *p)
{
    if (!p)
        return;
    if (p->vt) /* set only once create() succeeded */
        p->vt->destroy(p->state);
    if (p->dl)
        dlclose(p->dl);
    memset(p, 0, sizeof *p);
}
