/*
 * Trust (docs/design.md, "Trust"): the configuration and provider modules are
 * trusted like code, so whoever can change them must be trusted too. A file
 * or a directory holding it that is writable by group or others (a
 * directory with the sticky bit aside), or owned by a user other than root
 * or the process's effective user, is refused.
 */
#ifndef TG_SRC_TRUST_H
#define TG_SRC_TRUST_H

#include <sys/stat.h>

/* Check the file whose status is @p st (from fstat of the open file) and the
 * directories holding it: that of @p path as given and that of its
 * resolved path. @p what names it in the message ("provider module").
 * TG_OK or TG_ECONFIG naming the path and what is wrong. */
TG_WARN_UNUSED int tg__trust_file(const char *what, const char *path, const struct stat *st);

#endif
