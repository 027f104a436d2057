/* The pool of command connections; see redis_pool.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "redis_pool.h"

int tg__rd_pool_init(tg__rd_pool *p, const tg__rd_config *cfg)
{
    pthread_condattr_t ca;

    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    if (pthread_condattr_init(&ca) != 0)
        return TG_ENOMEM;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&p->freed, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        return TG_ENOMEM;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        pthread_cond_destroy(&p->freed);
        return TG_ENOMEM;
    }
    return TG_OK;
}

void tg__rd_pool_destroy(tg__rd_pool *p)
{
    int i;
    for (i = 0; i < p->n_idle; i++)
        redisFree(p->idle[i]);
    p->n_idle = 0;
    p->n_open = 0;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
}

/* Take an idle connection that still looks alive, or a slot for a new one
 * (*c NULL). TG_OK; TG_ETIMEOUT. */
static int tg__rd_pool_take(tg__rd_pool *p, const tg__rd_wait *w, redisContext **c)
{
    redisContext *dead[TG__RD_POOL_MAX];
    int n_dead = 0, rc = TG_OK, i;

    *c = NULL;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->n_idle > 0) {
            redisContext *x = p->idle[--p->n_idle];
            if (tg__rd_idle_ok(x)) {
                *c = x;
                break;
            }
            dead[n_dead++] = x;
            p->n_open--;
        }
        if (*c)
            break;
        if (p->n_open < TG__RD_POOL_MAX) {
            p->n_open++;
            break;
        }
        {
            int64_t at = w->deadline_ms, left = at - w->host->mono_ms();
            struct timespec ts;
            if (left <= 0) {
                rc = TG_ETIMEOUT;
                break;
            }
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)(left / 1000);
            ts.tv_nsec += (long)(left % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&p->freed, &p->lock, &ts);
        }
    }
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < n_dead; i++)
        redisFree(dead[i]);
    return rc;
}

/* Give back @p c (NULL: an unused slot); close it unless @p keep. */
static void tg__rd_pool_give(tg__rd_pool *p, redisContext *c, int keep)
{
    pthread_mutex_lock(&p->lock);
    if (c && keep && p->n_idle < TG__RD_POOL_MAX) {
        p->idle[p->n_idle++] = c;
        c = NULL;
    } else {
        p->n_open--;
    }
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
    if (c)
        redisFree(c);
}

static int tg__rd_pool_get(tg__rd_pool *p, const tg__rd_wait *w, redisContext **c, char *why,
                           size_t whycap)
{
    int rc = tg__rd_pool_take(p, w, c);

    if (rc != TG_OK) {
        snprintf(why, whycap, "no connection free within the timeout (%d open)",
                 TG__RD_POOL_MAX);
        return rc;
    }
    if (*c)
        return TG_OK;
    rc = tg__rd_connect(p->cfg, 1, w, c, why, whycap);
    if (rc != TG_OK)
        tg__rd_pool_give(p, NULL, 0);
    return rc;
}

int tg__rd_pool_command(tg__rd_pool *p, int argc, const char **argv, const size_t *lens,
                        const tg__rd_wait *w, redisReply **out, char *why, size_t whycap)
{
    redisContext *c;
    int rc;

    *out = NULL;
    rc = tg__rd_pool_get(p, w, &c, why, whycap);
    if (rc != TG_OK)
        return rc;
    rc = tg__rd_command(c, argc, argv, lens, w, out, why, whycap);
    tg__rd_pool_give(p, c, rc == TG_OK);
    return rc;
}

static int tg__rd_noscript(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && r->len >= 8 && memcmp(r->str, "NOSCRIPT", 8) == 0;
}

int tg__rd_pool_eval(tg__rd_pool *p, const char *script, int argc, const char **argv,
                     const size_t *lens, const tg__rd_wait *w, redisReply **out, char *why,
                     size_t whycap)
{
    redisContext *c;
    int rc;

    *out = NULL;
    rc = tg__rd_pool_get(p, w, &c, why, whycap);
    if (rc != TG_OK)
        return rc;
    rc = tg__rd_command(c, argc, argv, lens, w, out, why, whycap);
    if (rc == TG_OK && tg__rd_noscript(*out)) {
        const char *av[TG__RD_ARGV_MAX];
        size_t al[TG__RD_ARGV_MAX];
        if (argc < 2 || argc > TG__RD_ARGV_MAX) {
            tg__rd_pool_give(p, c, 1);
            freeReplyObject(*out);
            *out = NULL;
            snprintf(why, whycap, "a script call with %d arguments", argc);
            return TG_EINVAL;
        }
        memcpy(av, argv, (size_t)argc * sizeof *av);
        memcpy(al, lens, (size_t)argc * sizeof *al);
        av[0] = "EVAL";
        al[0] = 4;
        av[1] = script;
        al[1] = strlen(script);
        freeReplyObject(*out);
        *out = NULL;
        rc = tg__rd_command(c, argc, av, al, w, out, why, whycap);
    }
    tg__rd_pool_give(p, c, rc == TG_OK);
    return rc;
}
