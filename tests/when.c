/* Test helper: RFC 3339 for now + an offset (when.h). */
#include <stdio.h>
#include <time.h>

#include "when.h"

int64_t when_ms(int64_t offset_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms;
}

const char *when_rfc3339(char *buf, int64_t offset_ms)
{
    struct tm tm;
    int64_t ms = when_ms(offset_ms);
    time_t secs;
    char day[24];

    secs = (time_t)(ms / 1000);
    gmtime_r(&secs, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, WHEN_MAX, "%s.%03dZ", day, (int)(ms % 1000));
    return buf;
}
