/*
 * The fleet-wide lock for asking the provider about one account:
 * SET key token NX PX ttl, with a fresh random token per lock, and a
 * compare-and-delete script to release it — so a gate whose lock expired
 * never releases the lock another gate took since. The tokens of the locks
 * this tier holds are kept here, by key, until released or expired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_tier.h"

#define TG__RD_WHYLEN 256

/* Forget held locks whose time is past. Caller holds held_lock. */
static void tg__rd_held_prune(tg__rd_tier *t, int64_t now)
{
    size_t i = 0;
    while (i < t->n_held) {
        if (t->held[i].until_ms <= now)
            t->held[i] = t->held[--t->n_held];
        else
            i++;
    }
}

/* Remember @p token for @p key (replacing an older one). TG_OK; TG_ENOMEM. */
static int tg__rd_held_add(tg__rd_tier *t, const char *key, const char *token, int64_t until)
{
    size_t i;
    int rc = TG_OK;

    pthread_mutex_lock(&t->held_lock);
    tg__rd_held_prune(t, t->host->mono_ms());
    for (i = 0; i < t->n_held && strcmp(t->held[i].key, key) != 0; i++)
        ;
    if (i == t->n_held) {
        if (t->n_held == t->cap_held) {
            size_t cap = t->cap_held ? 2 * t->cap_held : 16;
            tg__rd_held *h = realloc(t->held, cap * sizeof *h);
            if (!h) {
                rc = TG_ENOMEM;
                goto out;
            }
            t->held = h;
            t->cap_held = cap;
        }
        t->n_held++;
    }
    snprintf(t->held[i].key, sizeof t->held[i].key, "%s", key);
    snprintf(t->held[i].token, sizeof t->held[i].token, "%s", token);
    t->held[i].until_ms = until;
out:
    pthread_mutex_unlock(&t->held_lock);
    return rc;
}

/* Take the token held for @p key into @p token. 1 found, 0 not. */
static int tg__rd_held_take(tg__rd_tier *t, const char *key, char *token)
{
    size_t i;
    int found = 0;

    pthread_mutex_lock(&t->held_lock);
    for (i = 0; i < t->n_held; i++) {
        if (strcmp(t->held[i].key, key) == 0) {
            memcpy(token, t->held[i].token, sizeof t->held[i].token);
            t->held[i] = t->held[--t->n_held];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&t->held_lock);
    return found;
}

/* Compare-and-delete. Errors are left to the lock's TTL. */
static void tg__rd_release(tg__rd_tier *t, const char *key, const char *token)
{
    const char *argv[5];
    size_t lens[5];
    char why[TG__RD_WHYLEN];
    redisReply *r = NULL;
    int i;
    tg__rd_wait w = tg__rd_call_wait(t);

    argv[0] = "EVALSHA";
    argv[1] = t->scripts.unlock.sha;
    argv[2] = "1";
    argv[3] = key;
    argv[4] = token;
    for (i = 0; i < 5; i++)
        lens[i] = strlen(argv[i]);
    if (tg__rd_pool_eval(&t->pool, t->scripts.unlock.text, 5, argv, lens, &w, &r, why,
                         sizeof why) == TG_OK)
        freeReplyObject(r);
}

int tg__rd_lock(void *state, const char *connection, const char *identifier, int64_t ttl_ms,
                int *acquired)
{
    tg__rd_tier *t = state;
    char key[TG__RD_KEY_MAX], token[33], ttl[24], why[TG__RD_WHYLEN];
    const char *argv[6];
    size_t lens[6];
    redisReply *r = NULL;
    int rc, i;
    int64_t start = t->host->mono_ms();
    tg__rd_wait w = tg__rd_call_wait(t);

    *acquired = 0;
    if (!connection || !identifier || !t->host->valid_connection(connection) ||
        !t->host->valid_identifier(identifier) || ttl_ms <= 0) {
        t->host->set_error("lock: an invalid account or a TTL under 1 ms");
        return TG_EINVAL;
    }
    if (tg__rd_key(t->cfg.prefix, TG__RD_KEY_LOCK, connection, identifier, key) ||
        tg__rd_random_hex(token, 16) != 0) {
        t->host->set_error("no hash or randomness from the system");
        return TG_ENOMEM;
    }
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    argv[0] = "SET";
    argv[1] = key;
    argv[2] = token;
    argv[3] = "NX";
    argv[4] = "PX";
    argv[5] = ttl;
    for (i = 0; i < 6; i++)
        lens[i] = strlen(argv[i]);
    rc = tg__rd_pool_command(&t->pool, 6, argv, lens, &w, &r, why, sizeof why);
    if (rc != TG_OK)
        return tg__rd_fail(t, rc, why);
    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        return TG_OK;
    }
    if (r->type != REDIS_REPLY_STATUS || r->len != 2 || memcmp(r->str, "OK", 2) != 0) {
        char ex[160];
        if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
            t->host->excerpt(r->str, r->len, 120, ex, sizeof ex);
        else
            snprintf(ex, sizeof ex, "an unexpected reply (type %d)", r->type);
        freeReplyObject(r);
        t->host->set_error("Redis at %s: lock failed: %s", t->cfg.where, ex);
        return TG_EPROVIDER;
    }
    freeReplyObject(r);
    /* Counted from before the SET: Redis lets it go no earlier. */
    if (tg__rd_held_add(t, key, token, start + ttl_ms) != TG_OK) {
        tg__rd_release(t, key, token);
        t->host->set_error("out of memory");
        return TG_ENOMEM;
    }
    *acquired = 1;
    return TG_OK;
}

void tg__rd_unlock(void *state, const char *connection, const char *identifier)
{
    tg__rd_tier *t = state;
    char key[TG__RD_KEY_MAX], token[33];

    if (!connection || !identifier ||
        tg__rd_key(t->cfg.prefix, TG__RD_KEY_LOCK, connection, identifier, key) ||
        !tg__rd_held_take(t, key, token))
        return;
    tg__rd_release(t, key, token);
}
