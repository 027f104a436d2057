/*
 * The shared tier "redis": create, destroy and the method table. See
 * redis_tier.h, and docs/fleet.md for the keys, values, scripts and
 * faults.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "redis_entry.h"
#include "redis_tier.h"

int tg__rd_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[64];
    size_t got = 0, i;

    if (n > sizeof b)
        return -1;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
    return 0;
}

tg__rd_wait tg__rd_call_wait(const tg__rd_tier *t)
{
    tg__rd_wait w;
    w.host = t->host;
    w.deadline_ms = t->host->mono_ms() + t->cfg.timeout_ms;
    w.stop_fd = -1;
    return w;
}

int tg__rd_fail(const tg__rd_tier *t, int rc, const char *why)
{
    if (rc == TG_ETIMEOUT)
        t->host->set_error("Redis at %s: %s (timeout_ms %lld)", t->cfg.where, why,
                           (long long)t->cfg.timeout_ms);
    else
        t->host->set_error("Redis at %s: %s", t->cfg.where, why);
    return rc;
}

static void tg__rd_destroy(void *state)
{
    tg__rd_tier *t = state;

    if (!t)
        return;
    tg__rd_sub_stop(t->sub);
    tg__rd_pool_destroy(&t->pool);
    pthread_mutex_destroy(&t->held_lock);
    free(t->held);
    tg__rd_config_clear(&t->cfg);
    free(t);
}

/* The host fields the tier calls, through excerpt. */
static int tg__rd_host_ok(const tg_host *host)
{
    return host && host->abi_version == TG_PROVIDER_ABI_VERSION &&
           host->struct_size >= offsetof(tg_host, excerpt) + sizeof host->excerpt;
}

static int tg__rd_create(const tg_host *host, const char *config_json,
                         const tg__shared_sink *sink, void **state)
{
    tg__rd_tier *t;
    int rc;

    if (!state)
        return TG_EINVAL;
    *state = NULL;
    if (!tg__rd_host_ok(host))
        return TG_EPLUGIN;
    if (!sink || !sink->change || !sink->subscribed) {
        host->set_error("shared tier: create needs a sink with change and subscribed");
        return TG_EINVAL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    t->host = host;
    rc = tg__rd_config_parse(host, config_json, &t->cfg);
    if (rc != TG_OK) {
        free(t);
        return rc;
    }
    if (pthread_mutex_init(&t->held_lock, NULL) != 0) {
        tg__rd_config_clear(&t->cfg);
        free(t);
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    if (tg__rd_pool_init(&t->pool, &t->cfg) != TG_OK) {
        pthread_mutex_destroy(&t->held_lock);
        tg__rd_config_clear(&t->cfg);
        free(t);
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    if (tg__rd_scripts_init(&t->scripts) != 0 ||
        tg__rd_random_hex(t->origin, TG__RD_ORIGIN_LEN / 2) != 0) {
        tg__rd_destroy(t);
        host->set_error("shared tier: no hash or randomness from the system");
        return TG_ENOMEM;
    }
    tg__rd_key_channel(t->cfg.prefix, t->channel);
    tg__rd_key_all(t->cfg.prefix, t->key_all);
    rc = tg__rd_sub_start(t, sink, &t->sub);
    if (rc != TG_OK) {
        tg__rd_destroy(t);
        host->set_error("shared tier: cannot start the subscriber thread");
        return rc;
    }
    *state = t;
    return TG_OK;
}

static int tg__rd_subscribed(void *state)
{
    const tg__rd_tier *t = state;
    return t && t->sub ? tg__rd_sub_up(t->sub) : 0;
}

static const tg__shared_tier tg__rd_tier_table = {
    TG__SHARED_ABI_VERSION,
    (uint32_t)sizeof(tg__shared_tier),
    "redis",
    tg__rd_create,
    tg__rd_destroy,
    tg__rd_read,
    tg__rd_write,
    tg__rd_publish,
    tg__rd_lock,
    tg__rd_unlock,
    tg__rd_subscribed,
};

const tg__shared_tier *tg__shared_tier_redis(void)
{
    return &tg__rd_tier_table;
}
