/* Interned connection names. Writers (intern) serialise on the mutex; readers
 * (find) probe a fixed open-addressing table without a lock. That works
 * because nothing ever moves or is freed before tg__conns_destroy: the table
 * and the item array are allocated once at their final size, a slot goes from
 * NULL to a finished connection exactly once (release store), and a reader
 * that meets NULL ends its probe (acquire load). */
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "conns.h"
#include "error.h"
#include "hash.h"

/* Twice the bound, a power of two: the load never passes 0.5. */
#define TG__CONN_SLOTS 8192u
#define TG__CONN_SLOT_MASK (TG__CONN_SLOTS - 1u)
/* Connection hashes are fixed ("toolgate"); caches mix in their own seed. */
#define TG__CONN_HASH_SEED 0x746f6f6c67617465ull

_Static_assert(TG__CONN_SLOTS >= 2u * TG__MAX_CONNECTIONS, "connection table too small");
_Static_assert((TG__CONN_SLOTS & TG__CONN_SLOT_MASK) == 0, "slots must be a power of two");

int tg__conns_init(tg__conns *c)
{
    int rc;

    if (!c)
        return tg__fail(TG_EINVAL, "tg__conns_init: NULL argument");
    memset(c, 0, sizeof *c);
    c->items = calloc(TG__MAX_CONNECTIONS, sizeof *c->items);
    c->slots = calloc(TG__CONN_SLOTS, sizeof *c->slots);
    if (!c->items || !c->slots) {
        free(c->items);
        free(c->slots);
        memset(c, 0, sizeof *c);
        return tg__fail(TG_ENOMEM, "out of memory");
    }
    rc = pthread_mutex_init(&c->lock, NULL);
    if (rc != 0) {
        free(c->items);
        free(c->slots);
        memset(c, 0, sizeof *c);
        return tg__fail(TG_ENOMEM, "cannot create a mutex");
    }
    c->cap = TG__MAX_CONNECTIONS;
    return TG_OK;
}

void tg__conns_destroy(tg__conns *c)
{
    size_t i;

    if (!c || !c->items)
        return;
    for (i = 0; i < c->n; i++)
        free(c->items[i]);
    free(c->items);
    free(c->slots);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof *c);
}

static uint64_t tg__conn_hash(const char *name, size_t len)
{
    return tg__hash_bytes(name, len, TG__CONN_HASH_SEED);
}

/* Probe for @p name; returns the connection, or NULL with *empty set to the
 * first free slot of its probe sequence. */
static const tg__conn *tg__probe(const tg__conns *c, const char *name, size_t len,
                                 uint64_t hash, size_t *empty)
{
    size_t i = (size_t)hash & TG__CONN_SLOT_MASK;

    for (;;) {
        const tg__conn *e = __atomic_load_n(&c->slots[i], __ATOMIC_ACQUIRE);
        if (!e) {
            if (empty)
                *empty = i;
            return NULL;
        }
        if (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0)
            return e;
        i = (i + 1) & TG__CONN_SLOT_MASK;
    }
}

const tg__conn *tg__conns_find(tg__conns *c, const char *name, size_t len)
{
    if (!c || !c->slots || !name || len == 0 || len > TG_CONNECTION_MAX)
        return NULL;
    return tg__probe(c, name, len, tg__conn_hash(name, len), NULL);
}

static const tg__conn *tg__intern_fail(int *err, int code)
{
    if (err)
        *err = code;
    return NULL;
}

const tg__conn *tg__conns_intern(tg__conns *c, const char *name, size_t len, int *err)
{
    const tg__conn *found;
    tg__conn *e;
    uint64_t hash;
    size_t slot = 0;

    if (err)
        *err = TG_OK;
    if (!c || !c->slots || !name || len == 0 || len > TG_CONNECTION_MAX)
        return tg__intern_fail(err, tg__fail(TG_EINVAL, "invalid connection name"));

    hash = tg__conn_hash(name, len);
    found = tg__probe(c, name, len, hash, NULL);
    if (found)
        return found;

    pthread_mutex_lock(&c->lock);
    /* Probe again under the lock: another thread may have added it. */
    found = tg__probe(c, name, len, hash, &slot);
    if (found) {
        pthread_mutex_unlock(&c->lock);
        return found;
    }
    if (c->n >= TG__MAX_CONNECTIONS) {
        pthread_mutex_unlock(&c->lock);
        return tg__intern_fail(err, tg__fail(TG_EINVAL, "too many connections (at most %d)",
                                             TG__MAX_CONNECTIONS));
    }
    e = malloc(sizeof *e + len + 1);
    if (!e) {
        pthread_mutex_unlock(&c->lock);
        return tg__intern_fail(err, tg__fail(TG_ENOMEM, "out of memory"));
    }
    e->hash = hash;
    e->index = (uint32_t)c->n;
    e->len = (uint32_t)len;
    memcpy(e->name, name, len);
    e->name[len] = '\0';

    c->items[c->n] = e;
    __atomic_store_n(&c->n, c->n + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&c->slots[slot], e, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->lock);
    return e;
}
