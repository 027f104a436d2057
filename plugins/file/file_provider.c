/*
 * The "file" provider: account statuses from a JSON accounts file (docs/design.md §7),
 * re-read when it changes on disk.
 *
 * Built into libtoolgate (TG_PROVIDER_BUILTIN) and as a loadable module from
 * this same source; either way it reaches the host only through tg_host.
 *
 * Thread safety: one mutex guards the reload and the lookup. This is the
 * gate's miss path, where a stat() per call already dominates.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>

#include "toolgate/provider.h"
#include "accounts.h"

#define TG__FILE_DEFAULT_PATH "accounts.json"
#define TG__FILE_PATH_MAX 4096              /* provider.path and the joined path */
#define TG__FILE_CONFIG_DEPTH 4             /* the provider object holds scalars only */
#define TG__FILE_CONFIG_MAX (64 * 1024)     /* bytes of the provider object */
#define TG__FILE_LINK_TTL_MS (10 * 60 * 1000)
/* A file changed this recently may change again within the file system's
 * timestamp granularity without its signature changing: read it again on the
 * next call instead of trusting the signature ("racy git"). */
#define TG__FILE_RACY_MS 100
#define TG__FILE_ERR_MAX 512

/* What stat() says about the file; equal signatures mean "unchanged". */
typedef struct tg__file_sig {
    int valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
    struct timespec ctim;
} tg__file_sig;

typedef struct tg__file_state {
    const tg_host *host;
    char *path;            /* resolved against base_dir */
    int create_missing;
    pthread_mutex_t lock;  /* guards everything below */
    tg__accounts *accounts;  /* the last file that parsed */
    tg__file_sig sig;        /* of that file; invalid: read again */
    /* Accounts created in memory by get-or-create; the file wins over these.
     * Bounded: past the limit an unlisted account is still reported PENDING,
     * just not remembered. */
    tg__accounts *created;
} tg__file_state;

#define TG__FILE_CREATED_MAX 100000u

/* ---- configuration ------------------------------------------------------ */

static json_object *tg__file_parse_config(const tg_host *host, const char *text)
{
    char why[TG__ACCOUNTS_ERR_MAX];
    json_object *root = NULL;
    int rc = host->parse_json(text, strnlen(text, TG__FILE_CONFIG_MAX + 1), TG__FILE_CONFIG_MAX,
                              TG__FILE_CONFIG_DEPTH, TG_JSON_OBJECT, "config: \"provider\"",
                              &root, why, sizeof why);
    if (rc != TG_OK) {
        host->set_error("%s", rc == TG_ENOMEM ? "out of memory" : why);
        return NULL;
    }
    return root;
}

/* Read "path" and "create_missing"; refuse anything else. */
static int tg__file_config(const tg_host *host, const char *config_json, const char *base_dir,
                           char **path_out, int *create_missing)
{
    json_object *root, *v;
    struct json_object_iterator it, end;
    const char *path = TG__FILE_DEFAULT_PATH;
    char ex[TG__ACCOUNTS_EXCERPT_BUF];
    size_t plen, blen;
    char *full;
    int rc = TG_ECONFIG;

    *path_out = NULL;
    *create_missing = 1;
    root = tg__file_parse_config(host, config_json);
    if (!root)
        return TG_ECONFIG;
    if (!json_object_is_type(root, json_type_object)) {
        host->set_error("config: \"provider\" must be an object");
        goto out;
    }
    it = json_object_iter_begin(root);
    end = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *k = json_object_iter_peek_name(&it);
        if (strcmp(k, "path") != 0 && strcmp(k, "create_missing") != 0) {
            host->excerpt(k, strlen(k), 64, ex, sizeof ex);
            host->set_error("config: unknown key \"provider.%s\"", ex);
            goto out;
        }
    }
    if (json_object_object_get_ex(root, "path", &v)) {
        if (!json_object_is_type(v, json_type_string)) {
            host->set_error("config: \"provider.path\" must be a string");
            goto out;
        }
        path = json_object_get_string(v);
        if (strlen(path) != (size_t)json_object_get_string_len(v)) {
            host->set_error("config: \"provider.path\" contains a NUL character");
            goto out;
        }
        if (!path[0]) {
            host->set_error("config: \"provider.path\" must not be empty");
            goto out;
        }
    }
    if (json_object_object_get_ex(root, "create_missing", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            host->set_error("config: \"provider.create_missing\" must be a boolean");
            goto out;
        }
        *create_missing = json_object_get_boolean(v) ? 1 : 0;
    }
    plen = strlen(path);
    blen = path[0] == '/' ? 0 : strlen(base_dir);
    if (plen + blen + 2 > TG__FILE_PATH_MAX) {
        host->set_error("config: \"provider.path\" is longer than %d bytes",
                        TG__FILE_PATH_MAX - 2);
        goto out;
    }
    full = malloc(plen + blen + 2);
    if (!full) {
        host->set_error("out of memory");
        rc = TG_ENOMEM;
        goto out;
    }
    if (blen)
        snprintf(full, plen + blen + 2, "%s%s%s", base_dir,
                 base_dir[blen - 1] == '/' ? "" : "/", path);
    else
        memcpy(full, path, plen + 1);
    *path_out = full;
    rc = TG_OK;
out:
    json_object_put(root);
    return rc;
}

/* ---- reading the file --------------------------------------------------- */

static void tg__file_sig_of(const struct stat *st, tg__file_sig *sig)
{
    sig->valid = 1;
    sig->dev = st->st_dev;
    sig->ino = st->st_ino;
    sig->size = st->st_size;
    sig->mtim = st->st_mtim;
    sig->ctim = st->st_ctim;
}

static int tg__file_sig_equal(const tg__file_sig *a, const tg__file_sig *b)
{
    return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
           a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static int64_t tg__file_ts_ms(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when the file had changed so shortly before @p read_ms (when we began
 * reading it) that a further change could keep the same signature. A
 * timestamp far in the future (clock skew) does not count, or the file would
 * be read on every call. */
static int tg__file_sig_racy(const tg__file_sig *sig, int64_t read_ms)
{
    int64_t newest = tg__file_ts_ms(sig->mtim), c = tg__file_ts_ms(sig->ctim);
    int64_t age;
    if (c > newest)
        newest = c;
    age = read_ms - newest;
    return age > -1000 && age < TG__FILE_RACY_MS;
}

static void tg__file_strerror(int errnum, char *buf, size_t len)
{
    if (strerror_r(errnum, buf, len) != 0)
        snprintf(buf, len, "error %d", errnum);
}

/* Read the whole file, at most TG__ACCOUNTS_MAX_BYTES. On failure *why gets
 * a short reason. @return TG_OK; TG_EIO; TG_ENOMEM. */
static int tg__file_read(const char *path, char **out, size_t *out_len, tg__file_sig *sig,
                         char *why, size_t whylen)
{
    struct stat st;
    char *buf = NULL;
    size_t cap, len = 0;
    int fd, rc = TG_EIO;

    *out = NULL;
    *out_len = 0;
    /* O_NONBLOCK: a FIFO in place of the file must not hang the caller. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        tg__file_strerror(errno, why, whylen);
        return TG_EIO;
    }
    if (fstat(fd, &st) != 0) {
        tg__file_strerror(errno, why, whylen);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        goto out;
    }
    if (st.st_size > (off_t)TG__ACCOUNTS_MAX_BYTES) {
        snprintf(why, whylen, "larger than %u bytes", (unsigned)TG__ACCOUNTS_MAX_BYTES);
        goto out;
    }
    cap = (size_t)st.st_size + 1; /* +1 notices a file that grew since fstat */
    buf = malloc(cap);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        rc = TG_ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap = cap * 2;
            char *nbuf;
            if (cap > TG__ACCOUNTS_MAX_BYTES) {
                snprintf(why, whylen, "larger than %u bytes", (unsigned)TG__ACCOUNTS_MAX_BYTES);
                goto out;
            }
            if (ncap > (size_t)TG__ACCOUNTS_MAX_BYTES + 1)
                ncap = (size_t)TG__ACCOUNTS_MAX_BYTES + 1;
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                snprintf(why, whylen, "out of memory");
                rc = TG_ENOMEM;
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            tg__file_strerror(errno, why, whylen);
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > TG__ACCOUNTS_MAX_BYTES) {
        snprintf(why, whylen, "larger than %u bytes", (unsigned)TG__ACCOUNTS_MAX_BYTES);
        goto out;
    }
    tg__file_sig_of(&st, sig);
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = TG_OK;
out:
    free(buf);
    close(fd);
    return rc;
}

/* Read and parse the file. On failure the message (naming the path) is in
 * msg. @return TG_OK; TG_EIO (unreadable); TG_ECONFIG (invalid); TG_ENOMEM. */
static int tg__file_load(tg__file_state *s, tg__accounts **out, tg__file_sig *sig, char *msg,
                         size_t msglen)
{
    char why[TG__FILE_ERR_MAX], perr[TG__ACCOUNTS_ERR_MAX];
    char *bytes;
    size_t len;
    int64_t read_ms;
    int rc;

    *out = NULL;
    read_ms = s->host->wall_ms();
    rc = tg__file_read(s->path, &bytes, &len, sig, why, sizeof why);
    if (rc != TG_OK) {
        snprintf(msg, msglen, "cannot read accounts file \"%s\": %s", s->path, why);
        return rc;
    }
    rc = tg__accounts_parse(s->host, bytes, len, out, perr, sizeof perr);
    free(bytes);
    if (rc != TG_OK) {
        snprintf(msg, msglen, "%s (in \"%s\")", perr, s->path);
        return rc;
    }
    if (tg__file_sig_racy(sig, read_ms))
        sig->valid = 0;
    return TG_OK;
}

/* With the lock held: make s->accounts reflect the file on disk. A failure
 * leaves the old signature in place, so the next call reads again. */
static int tg__file_refresh(tg__file_state *s)
{
    struct stat st;
    tg__file_sig now, sig;
    tg__accounts *fresh;
    char msg[TG__FILE_ERR_MAX + TG__ACCOUNTS_ERR_MAX];
    int rc;

    if (stat(s->path, &st) != 0) {
        char why[128];
        tg__file_strerror(errno, why, sizeof why);
        s->host->set_error("cannot read accounts file \"%s\": %s", s->path, why);
        return TG_EPROVIDER;
    }
    tg__file_sig_of(&st, &now);
    if (tg__file_sig_equal(&now, &s->sig))
        return TG_OK;
    rc = tg__file_load(s, &fresh, &sig, msg, sizeof msg);
    if (rc != TG_OK) {
        s->host->set_error("%s", msg);
        return rc == TG_ENOMEM ? TG_ENOMEM : TG_EPROVIDER;
    }
    tg__accounts_free(s->accounts);
    s->accounts = fresh;
    s->sig = sig;
    return TG_OK;
}

/* ---- methods ------------------------------------------------------------ */

static int tg__file_host_usable(const tg_host *host)
{
    return host && host->abi_version == TG_PROVIDER_ABI_VERSION &&
           host->struct_size >= offsetof(tg_host, excerpt) + sizeof host->excerpt &&
           host->set_error && host->status_parse && host->wall_ms && host->valid_connection &&
           host->valid_identifier && host->parse_json && host->excerpt;
}

static void tg__file_destroy(void *state);

static int tg__file_create(const tg_host *host, const char *config_json, const char *base_dir,
                           void *arg, void **state)
{
    tg__file_state *s;
    char msg[TG__FILE_ERR_MAX + TG__ACCOUNTS_ERR_MAX];
    int rc;

    (void)arg;
    if (!state)
        return TG_EINVAL;
    *state = NULL;
    if (!tg__file_host_usable(host)) {
        if (host && host->set_error)
            host->set_error("file provider: incompatible host services table");
        return TG_EPLUGIN;
    }
    if (!config_json)
        config_json = "{}";
    if (!base_dir)
        base_dir = ".";
    s = calloc(1, sizeof *s);
    if (!s) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    s->host = host;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        host->set_error("file provider: cannot create a mutex");
        return TG_ENOMEM;
    }
    rc = tg__file_config(host, config_json, base_dir, &s->path, &s->create_missing);
    if (rc != TG_OK)
        goto fail;
    s->created = tg__accounts_new();
    if (!s->created) {
        host->set_error("out of memory");
        rc = TG_ENOMEM;
        goto fail;
    }
    /* A missing or invalid file at start is a configuration problem. */
    rc = tg__file_load(s, &s->accounts, &s->sig, msg, sizeof msg);
    if (rc != TG_OK) {
        /* The parser's message already says "accounts file: …". */
        host->set_error("%s%s", rc == TG_EIO ? "config: " : "", msg);
        if (rc != TG_ENOMEM)
            rc = TG_ECONFIG;
        goto fail;
    }
    *state = s;
    return TG_OK;
fail:
    tg__file_destroy(s);
    return rc;
}

static void tg__file_destroy(void *state)
{
    tg__file_state *s = state;
    if (!s)
        return;
    tg__accounts_free(s->accounts);
    tg__accounts_free(s->created);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

static int tg__file_check_names(const tg_host *host, const char *connection,
                                const char *identifier)
{
    if (!host->valid_connection(connection)) {
        host->set_error("file provider: invalid connection name");
        return TG_EINVAL;
    }
    if (!host->valid_identifier(identifier)) {
        host->set_error("file provider: invalid identifier");
        return TG_EINVAL;
    }
    return TG_OK;
}

static int tg__file_get_status(void *state, const char *connection, const char *identifier,
                               tg_status *status)
{
    tg__file_state *s = state;
    tg_status st;
    int rc;

    if (!s || !status)
        return TG_EINVAL;
    rc = tg__file_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    pthread_mutex_lock(&s->lock);
    rc = tg__file_refresh(s);
    if (rc == TG_OK) {
        if (tg__accounts_find(s->accounts, connection, identifier, &st)) {
            *status = st;
        } else if (!s->create_missing) {
            *status = TG_STATUS_NOT_FOUND;
        } else {
            /* Get-or-create: remember the account; a failure to remember
             * changes nothing the caller can see. */
            if (tg__accounts_count(s->created) < TG__FILE_CREATED_MAX &&
                tg__accounts_add(s->created, connection, identifier, TG_STATUS_PENDING) < 0)
                s->host->log(TG_LOG_DEBUG, "file provider: a created account is not remembered");
            *status = TG_STATUS_PENDING;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int tg__file_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append to buf[*pos..len); 0 when it does not fit (NUL included). */
static int tg__file_put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
    if (n >= len - *pos)
        return 0;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return 1;
}

static int tg__file_put_encoded(char *buf, size_t len, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    char tmp[3];

    for (; *p; p++) {
        if (tg__file_unreserved(*p)) {
            if (!tg__file_put(buf, len, pos, (const char *)p, 1))
                return 0;
        } else {
            tmp[0] = '%';
            tmp[1] = hex[*p >> 4];
            tmp[2] = hex[*p & 0x0F];
            if (!tg__file_put(buf, len, pos, tmp, 3))
                return 0;
        }
    }
    return 1;
}

static int tg__file_get_link(void *state, const char *connection, const char *identifier,
                             char *buf, size_t len, int64_t *expires_at_ms)
{
    tg__file_state *s = state;
    const char *base, *sep;
    size_t pos = 0, blen;
    int rc, ok;

    if (!s || !buf || len == 0)
        return TG_EINVAL;
    buf[0] = '\0';
    rc = tg__file_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    pthread_mutex_lock(&s->lock);
    rc = tg__file_refresh(s);
    if (rc != TG_OK) {
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    base = tg__accounts_link_base(s->accounts);
    blen = strlen(base);
    if (strchr(base, '?'))
        sep = (base[blen - 1] == '?' || base[blen - 1] == '&') ? "" : "&";
    else
        sep = "?";
    ok = tg__file_put(buf, len, &pos, base, blen) &&
         tg__file_put(buf, len, &pos, sep, strlen(sep)) &&
         tg__file_put(buf, len, &pos, "connection=", 11) &&
         tg__file_put_encoded(buf, len, &pos, connection) &&
         tg__file_put(buf, len, &pos, "&identifier=", 12) &&
         tg__file_put_encoded(buf, len, &pos, identifier);
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        buf[0] = '\0';
        s->host->set_error("file provider: the authorization link is longer than %zu bytes",
                           len - 1);
        return TG_EPROVIDER;
    }
    if (expires_at_ms)
        *expires_at_ms = s->host->wall_ms() + TG__FILE_LINK_TTL_MS;
    return TG_OK;
}

static const tg_provider tg__file_provider = {
    TG_PROVIDER_ABI_VERSION,
    (uint32_t)sizeof(tg_provider),
    "file",
    tg__file_create,
    tg__file_destroy,
    tg__file_get_status,
    tg__file_get_link,
};

static const tg_provider *tg__file_entry(uint32_t host_abi_version)
{
    return host_abi_version == TG_PROVIDER_ABI_VERSION ? &tg__file_provider : NULL;
}

#ifdef TG_PROVIDER_BUILTIN
const tg_provider *tg__file_provider_entry(uint32_t host_abi_version);
const tg_provider *tg__file_provider_entry(uint32_t host_abi_version)
{
    return tg__file_entry(host_abi_version);
}
#else
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version);
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version)
{
    return tg__file_entry(host_abi_version);
}
#endif
