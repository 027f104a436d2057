/* The host services the scalekit provider may find missing; see host.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "host.h"

#define TG__SK_LOG_LINE_MAX 1024

int tg__sk_log_on(const tg_host *host, tg_log_level level)
{
    return host && TG__SK_HOST_HAS(host, log) && TG__SK_HOST_HAS(host, log_enabled) &&
           host->log_enabled(level);
}

void tg__sk_log(const tg_host *host, tg_log_level level, const char *fmt, ...)
{
    char line[TG__SK_LOG_LINE_MAX];
    va_list ap;

    if (!tg__sk_log_on(host, level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    host->log(level, "scalekit: %s", line);
}

int64_t tg__sk_mono_ms(const tg_host *host)
{
    struct timespec ts;
    if (host && TG__SK_HOST_HAS(host, mono_ms))
        return host->mono_ms();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tg__sk_check_started_ms(const tg_host *host)
{
    if (host && TG__SK_HOST_HAS(host, check_started_ms))
        return host->check_started_ms();
    return 0;
}
