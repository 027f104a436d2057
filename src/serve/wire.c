/* Error codes on the wire: the library's tg_err values by name. */
#include <string.h>

#include "toolgate/toolgate.h"
#include "wire.h"

static const struct {
    int err;
    const char *code;
} serve_codes[] = {
    { TG_EINVAL, "EINVAL" },         { TG_ENOMEM, "ENOMEM" },
    { TG_ECONFIG, "ECONFIG" },       { TG_EPROVIDER, "EPROVIDER" },
    { TG_ETIMEOUT, "ETIMEOUT" },     { TG_EBUFS, "EBUFS" },
    { TG_EIO, "EIO" },               { TG_ENOTSUP, "ENOTSUP" },
    { TG_EPLUGIN, "EPLUGIN" },       { TG_ESIGNATURE, "ESIGNATURE" },
    { TG_ETIMESTAMP, "ETIMESTAMP" }, { TG_ECANCELED, "ECANCELED" },
    { TG_EWOULDBLOCK, "EWOULDBLOCK" },
};
#define SERVE_N_CODES (sizeof serve_codes / sizeof serve_codes[0])

const char *serve_error_code(int err)
{
    size_t i;
    for (i = 0; i < SERVE_N_CODES; i++)
        if (serve_codes[i].err == err)
            return serve_codes[i].code;
    return "EUNKNOWN";
}

int serve_error_from_code(const char *code)
{
    size_t i;
    if (!code)
        return TG_OK;
    for (i = 0; i < SERVE_N_CODES; i++)
        if (strcmp(serve_codes[i].code, code) == 0)
            return serve_codes[i].err;
    return TG_OK;
}
