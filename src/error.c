/* Error codes as text, and the thread-local detail of the last failure. */
#include <stdarg.h>
#include <stdio.h>

#include "toolgate/toolgate.h"
#include "error.h"

#define TG__ERROR_MAX 512

static _Thread_local char tg__last_error[TG__ERROR_MAX];

void tg__set_error_v(const char *fmt, va_list ap)
{
    vsnprintf(tg__last_error, sizeof tg__last_error, fmt, ap);
}

void tg__set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg__set_error_v(fmt, ap);
    va_end(ap);
}

int tg__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg__set_error_v(fmt, ap);
    va_end(ap);
    return code;
}

const char *tg_error_message(void)
{
    return tg__last_error;
}

const char *tg_strerror(int code)
{
    switch (code) {
    case TG_OK: return "success";
    case TG_EINVAL: return "invalid argument or input";
    case TG_ENOMEM: return "out of memory";
    case TG_ECONFIG: return "invalid configuration";
    case TG_EPROVIDER: return "the provider failed";
    case TG_ETIMEOUT: return "the provider did not answer in time";
    case TG_EBUFS: return "buffer too small";
    case TG_EIO: return "a file could not be read";
    case TG_ENOTSUP: return "operation not supported";
    case TG_EPLUGIN: return "a provider plugin could not be loaded";
    case TG_ESIGNATURE: return "the webhook signature does not match";
    case TG_ETIMESTAMP: return "the webhook timestamp is outside the tolerance";
    case TG_ECANCELED: return "cancelled";
    case TG_EWOULDBLOCK: return "the answer needs the provider";
    default: return "unknown error code";
    }
}

const char *tg_version(void)
{
    return TG_VERSION_STRING;
}

void tg__excerpt(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n && i < max && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
    }
    if (i < n && o + 4 < cap)
        o += (size_t)snprintf(out + o, cap - o, "...");
    out[o < cap ? o : cap - 1] = '\0';
}
