/* Trust checks of files that hold code or say which code runs (trust.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "trust.h"

/* What is wrong with @p st for something that decides which code runs;
 * NULL when nothing. */
static const char *tg__trust_problem(const struct stat *st, int is_dir)
{
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return "is owned by another user";
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(is_dir && (st->st_mode & S_ISVTX)))
        return "is writable by group or others";
    return NULL;
}

static int tg__trust_dir_of(const char *what, const char *shown, const char *path)
{
    char dir[PATH_MAX], ex[256];
    const char *slash = strrchr(path, '/'), *problem;
    struct stat st;
    size_t n;

    if (!slash) {
        if (!getcwd(dir, sizeof dir))
            return tg__fail(TG_ECONFIG, "%s \"%s\": cannot get the current directory: %s", what,
                            shown, strerror(errno));
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return tg__fail(TG_ECONFIG, "%s \"%s\": path too long", what, shown);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    tg__excerpt(dir, strnlen(dir, 201), 200, ex, sizeof ex);
    if (stat(dir, &st) != 0)
        return tg__fail(TG_ECONFIG, "%s \"%s\": cannot check its directory \"%s\": %s", what,
                        shown, ex, strerror(errno));
    problem = tg__trust_problem(&st, 1);
    if (problem)
        return tg__fail(TG_ECONFIG,
                        "%s \"%s\": its directory \"%s\" %s: refusing to trust it (fix the "
                        "owner or mode, e.g. chmod go-w)",
                        what, shown, ex, problem);
    return TG_OK;
}

int tg__trust_file(const char *what, const char *path, const struct stat *st)
{
    char resolved[PATH_MAX], shown[256];
    const char *problem;
    int rc;

    tg__excerpt(path, strnlen(path, 201), 200, shown, sizeof shown);
    problem = tg__trust_problem(st, 0);
    if (problem)
        return tg__fail(TG_ECONFIG,
                        "%s \"%s\" %s: refusing to trust it (fix the owner or mode, e.g. chmod "
                        "go-w)",
                        what, shown, problem);
    rc = tg__trust_dir_of(what, shown, path);
    if (rc != TG_OK)
        return rc;
    if (realpath(path, resolved) && strcmp(resolved, path) != 0)
        rc = tg__trust_dir_of(what, shown, resolved);
    return rc;
}
