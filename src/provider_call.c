/* Every call the gate makes to its provider: timed, counted, logged at
 * DEBUG, and its answer checked before anything keeps it. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "gate.h"
#include "log.h"

int64_t tg__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tg__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t tg__mono_ms(void)
{
    return tg__mono_us() / 1000;
}

/* A byte a link may not hold: control characters, space, quotes, angle
 * brackets, backslash — what could break out of HTML, a shell or a
 * message that quotes it. */
static int tg__link_bad_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7F || c == '"' || c == '\'' || c == '`' || c == '<' ||
           c == '>' || c == '\\';
}

/* An absolute http(s) URL with a host, within TG_LINK_MAX bytes and NUL-
 * terminated inside @p cap. NULL when acceptable, else what is wrong. */
static const char *tg__link_problem(const char *url, size_t cap, size_t *len)
{
    size_t n = strnlen(url, cap), i, host;

    if (n == cap || n > TG_LINK_MAX)
        return "is longer than the limit";
    if (n == 0)
        return "is empty";
    for (i = 0; i < n; i++)
        if (tg__link_bad_byte((unsigned char)url[i]) || (unsigned char)url[i] >= 0x80)
            return "holds a character a link may not hold";
    if (strncmp(url, "https://", 8) == 0)
        host = 8;
    else if (strncmp(url, "http://", 7) == 0)
        host = 7;
    else
        return "is not an absolute http(s) URL";
    for (i = host; i < n && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++)
        if (url[i] == '@')
            return "carries user information before its host";
    if (i == host || url[host] == ':')
        return "has no host";
    *len = n;
    return NULL;
}

int tg__provider_status(tg_gate *g, const tg__conn *conn, const char *id, tg_status *st)
{
    const char *name = g->plugin.vt->name;
    int64_t t0 = tg__mono_us(), us;
    int rc = g->plugin.vt->get_status(g->plugin.state, conn->name, id, st);

    if (rc == TG_OK && (unsigned)*st > TG_STATUS_NOT_FOUND)
        rc = tg__fail(TG_EPROVIDER, "provider %s returned an invalid status %d", name, (int)*st);
    us = tg__mono_us() - t0;
    tg__stats_provider_call(&g->stats, us, rc, tg__wall_ms());
    if (tg__log_enabled(TG_LOG_DEBUG)) {
        if (rc == TG_OK)
            tg__log(TG_LOG_DEBUG, "provider %s: status of a %s account: %s in %lld us", name,
                    conn->name, tg_status_name(*st), (long long)us);
        else
            tg__log(TG_LOG_DEBUG, "provider %s: status of a %s account failed in %lld us: %s",
                    name, conn->name, (long long)us, tg_error_message());
    }
    return rc;
}

int tg__provider_link(tg_gate *g, const tg__conn *conn, const char *id, char *buf, size_t len,
                      int64_t *expires_at_ms)
{
    const char *name = g->plugin.vt->name, *problem;
    int64_t t0 = tg__mono_us(), us;
    size_t n;
    int rc;

    buf[0] = '\0';
    *expires_at_ms = 0;
    rc = g->plugin.vt->get_link(g->plugin.state, conn->name, id, buf, len, expires_at_ms);
    if (rc == TG_OK) {
        problem = tg__link_problem(buf, len, &n);
        if (problem)
            rc = tg__fail(TG_EPROVIDER, "provider %s returned an authorization link that %s",
                          name, problem);
        else if (*expires_at_ms != 0 && *expires_at_ms <= tg__wall_ms())
            rc = tg__fail(TG_EPROVIDER, "provider %s returned an authorization link that has "
                          "already expired", name);
    }
    us = tg__mono_us() - t0;
    tg__stats_provider_call(&g->stats, us, rc, tg__wall_ms());
    if (tg__log_enabled(TG_LOG_DEBUG)) {
        if (rc == TG_OK)
            tg__log(TG_LOG_DEBUG, "provider %s: link for a %s account in %lld us", name,
                    conn->name, (long long)us);
        else
            tg__log(TG_LOG_DEBUG, "provider %s: link for a %s account failed in %lld us: %s",
                    name, conn->name, (long long)us, tg_error_message());
    }
    if (rc != TG_OK)
        buf[0] = '\0';
    return rc;
}
