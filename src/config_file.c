/* Reading a configuration file (config.h, tg__config_read_file). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolgate/toolgate.h"
#include "config.h"
#include "error.h"

/* The directory part of @p path as given (a symlink's own directory, not its
 * target's), absolute. */
static int tg__config_dir_of(const char *path, char *dir, size_t dirlen, const char *shown)
{
    const char *slash = strrchr(path, '/');
    char cwd[PATH_MAX];
    size_t n;

    if (path[0] == '/') {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n + 1 > dirlen)
            return tg__fail(TG_EIO, "config file \"%s\": path too long", shown);
        memcpy(dir, path, n);
        dir[n] = '\0';
        return TG_OK;
    }
    if (!getcwd(cwd, sizeof cwd))
        return tg__fail(TG_EIO, "config file \"%s\": cannot get the current directory: %s",
                        shown, strerror(errno));
    n = slash ? (size_t)(slash - path) : 0;
    if ((size_t)snprintf(dir, dirlen, "%s%s%.*s", cwd, n ? "/" : "", (int)n, path) >= dirlen)
        return tg__fail(TG_EIO, "config file \"%s\": path too long", shown);
    return TG_OK;
}

int tg__config_read_file(const char *path, tg__config_file *out)
{
    char shown[256];
    size_t cap = 4096, n = 0;
    char *buf;
    int fd, rc;

    memset(out, 0, sizeof *out);
    tg__excerpt(path, strnlen(path, 201), 200, shown, sizeof shown);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tg__fail(TG_EIO, "cannot open config file \"%s\": %s", shown, strerror(errno));
    if (fstat(fd, &out->st) != 0) {
        rc = tg__fail(TG_EIO, "cannot read config file \"%s\": %s", shown, strerror(errno));
        close(fd);
        return rc;
    }
    if (S_ISDIR(out->st.st_mode)) {
        close(fd);
        return tg__fail(TG_EIO, "cannot read config file \"%s\": it is a directory", shown);
    }
    /* Pipes and devices (/dev/stdin, <(...)) are read to the end like files;
     * their relative paths are relative to the current directory. */
    out->regular = S_ISREG(out->st.st_mode);
    rc = out->regular ? tg__config_dir_of(path, out->dir, sizeof out->dir, shown)
                      : tg__config_dir_of("x", out->dir, sizeof out->dir, shown);
    if (rc != TG_OK) {
        close(fd);
        return rc;
    }
    buf = malloc(cap + 1);
    for (;;) {
        ssize_t got;
        if (!buf) {
            close(fd);
            return tg__fail(TG_ENOMEM, "out of memory reading config file \"%s\"", shown);
        }
        if (n == cap) {
            char *grown;
            if (cap > TG__CONFIG_MAX_BYTES) {
                free(buf);
                close(fd);
                return tg__fail(TG_ECONFIG, "config file \"%s\" is larger than %u bytes", shown,
                                (unsigned)TG__CONFIG_MAX_BYTES);
            }
            /* Grown by hand, not realloc: the old copy is wiped, it may hold
             * a secret. */
            grown = malloc(cap * 2 + 1);
            if (grown)
                memcpy(grown, buf, n);
            explicit_bzero(buf, n);
            free(buf);
            buf = grown;
            cap *= 2;
            continue;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = tg__fail(TG_EIO, "cannot read config file \"%s\": %s", shown, strerror(errno));
            free(buf);
            close(fd);
            return rc;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (n > TG__CONFIG_MAX_BYTES) {
        explicit_bzero(buf, n);
        free(buf);
        return tg__fail(TG_ECONFIG, "config file \"%s\" is larger than %u bytes", shown,
                        (unsigned)TG__CONFIG_MAX_BYTES);
    }
    if (memchr(buf, '\0', n)) {
        explicit_bzero(buf, n);
        free(buf);
        return tg__fail(TG_ECONFIG, "config file \"%s\" contains a NUL byte", shown);
    }
    buf[n] = '\0';
    out->text = buf;
    out->len = n;
    snprintf(out->path, sizeof out->path, "%s", path);
    return TG_OK;
}

void tg__config_file_free(tg__config_file *f)
{
    /* The text may hold a client secret. */
    if (f->text)
        explicit_bzero(f->text, f->len);
    free(f->text);
    f->text = NULL;
}
