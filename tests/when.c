/* Test helper: RFC 3339 for now + an offset (when.h). */
#include <stdio.h>
#include <time.h>

#include "when.h"

const char *when_rfc3339(char *buf, int64_t offset_ms)
{
    struct timespec ts;
    struct tm tm;
    int64_t ms;
    time_t secs;
    char day[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms;
    secs = (time_t)(ms / 1000);
    gmtime_r(&secs, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, WHEN_MAX, "%s.%03dZ", day, (int)(ms % 1000));
    return buf;
}
