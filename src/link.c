/* Authorization links: how long a provider's link is reused, and
 * tg_gate_link (a link whatever the status). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gate.h"

/* A cached link is replaced this long before it expires… */
#define TG__LINK_MARGIN_MS 30000
/* …and reused this long when the provider gave no expiry. */
#define TG__LINK_DEFAULT_REUSE_MS 300000

/* When to stop reusing a link: a margin before its expiry (half its life
 * when that is shorter), on the gate's clock. */
static int64_t tg__link_refresh_at(int64_t now, int64_t expires_at_ms)
{
    int64_t left, margin;
    if (expires_at_ms <= 0)
        return now + TG__LINK_DEFAULT_REUSE_MS;
    left = expires_at_ms - tg__wall_ms();
    if (left <= 0)
        return now; /* expired: never reused */
    margin = left / 2 < TG__LINK_MARGIN_MS ? left / 2 : TG__LINK_MARGIN_MS;
    return now + (left - margin);
}

tg__link *tg__gate_link_for_cache(const tg_gate *g, const char *url, size_t len,
                                  int64_t expires_at_ms, int64_t now)
{
    (void)g;
    return tg__link_new(url, len, expires_at_ms, tg__link_refresh_at(now, expires_at_ms));
}

static int tg__copy_out(const char *s, size_t n, char *buf, size_t len, size_t *needed)
{
    if (needed)
        *needed = n + 1;
    if (!buf || len < n + 1) {
        if (buf && len > 0)
            buf[0] = '\0';
        return tg__fail(TG_EBUFS, "buffer of %zu bytes, %zu needed", len, n + 1);
    }
    memcpy(buf, s, n + 1);
    return TG_OK;
}

int tg_gate_link(tg_gate *g, const char *connection, const char *identifier, char *buf,
                 size_t len, size_t *needed, int64_t *expires_at_ms)
{
    tg__cache_view v;
    tg__reader *r;
    tg__key k;
    int64_t now, expires = 0;
    size_t n;
    char *fresh;
    int rc;

    if (!g || (!buf && len > 0))
        return tg__fail(TG_EINVAL, "tg_gate_link: NULL argument");
    rc = tg__gate_key(g, connection, identifier, &k);
    if (rc != TG_OK)
        return rc;
    r = tg__rcu_reader();
    if (!r)
        return tg__fail(TG_ENOMEM, "gate: out of memory registering the thread");
    now = tg__gate_now(g);

    tg__rcu_enter(r);
    if (tg__cache_read(&g->cache, k.conn, k.id, k.id_len, k.hash, &v)) {
        const tg__link *l = tg__cache_view_link(&v);
        if (l && now < l->refresh_mono) {
            rc = tg__copy_out(l->url, l->len, buf, len, needed);
            if (expires_at_ms)
                *expires_at_ms = l->expires_at_ms;
            tg__rcu_exit(r);
            return rc;
        }
    }
    tg__rcu_exit(r);

    fresh = malloc(TG_LINK_MAX + 1);
    if (!fresh)
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    tg__plugin_check_begin();
    rc = tg__provider_link(g, k.conn, identifier, fresh, TG_LINK_MAX + 1, &expires);
    tg__plugin_check_end();
    if (rc != TG_OK) {
        free(fresh);
        return rc < 0 && rc != TG_EINVAL && rc != TG_EBUFS ? rc : TG_EPROVIDER;
    }
    n = strlen(fresh);
    pthread_mutex_lock(&g->cache.lock);
    now = tg__gate_now(g);
    {
        tg__link *l = tg__gate_link_for_cache(g, fresh, n, expires, now);
        if (l)
            tg__cache_set_link_locked(&g->cache, &k, l);
    }
    pthread_mutex_unlock(&g->cache.lock);

    rc = tg__copy_out(fresh, n, buf, len, needed);
    if (expires_at_ms)
        *expires_at_ms = expires;
    free(fresh);
    return rc;
}
