/* RFC 3339 date-times to Unix milliseconds: fixed fields, no locale, no libc time. */
#include <stddef.h>
#include <stdint.h>

#include "rfc3339.h"

/* 1 and *v set when s[0..n) are all decimal digits. */
static int tg__digits(const char *s, size_t n, int *v)
{
    size_t i;
    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

static int tg__is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int tg__days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tg__is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to a proleptic Gregorian date (years 0–9999 here). */
static int64_t tg__days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int tg__rfc3339_parse(const char *s, size_t len, int64_t *ms)
{
    int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0, secs;
    size_t i;

    /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes; a zone needs at least one more. */
    if (!s || !ms || len < 20)
        return -1;
    if (!tg__digits(s, 4, &year) || s[4] != '-' || !tg__digits(s + 5, 2, &mon) ||
        s[7] != '-' || !tg__digits(s + 8, 2, &day))
        return -1;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return -1;
    if (!tg__digits(s + 11, 2, &hour) || s[13] != ':' || !tg__digits(s + 14, 2, &min) ||
        s[16] != ':' || !tg__digits(s + 17, 2, &sec))
        return -1;

    i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        int kept = 0;
        /* Any number of digits; those past milliseconds are dropped. */
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (kept < 3) {
                frac = frac * 10 + (s[i] - '0');
                kept++;
            }
            i++;
        }
        if (i == start)
            return -1;
        for (; kept < 3; kept++)
            frac *= 10;
    }

    if (i >= len)
        return -1;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (len - i < 6 || !tg__digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !tg__digits(s + i + 4, 2, &om))
            return -1;
        i += 6;
    } else {
        return -1;
    }
    if (i != len)
        return -1;

    if (mon < 1 || mon > 12 || day < 1 || day > tg__days_in_month(year, mon) || hour > 23 ||
        min > 59 || sec > 60 || oh > 23 || om > 59)
        return -1;
    secs = ((tg__days_from_civil(year, mon, day) * 24 + hour) * 60 + min) * 60 + sec;
    /* Local time = UTC + offset, so UTC = local time - offset. */
    secs -= (int64_t)sign * (oh * 3600 + om * 60);
    *ms = secs * 1000 + frac;
    return 0;
}
