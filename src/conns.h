/* Interned connection names of one gate. A connection object lives as long
 * as its gate, so the cache keys and decisions can point at it. */
#ifndef TG_SRC_CONNS_H
#define TG_SRC_CONNS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TG__MAX_CONNECTIONS 4096

typedef struct tg__conn {
    uint64_t hash;     /* hash of the name, mixed into cache keys */
    uint32_t index;    /* 0-based, dense */
    uint32_t len;
    char name[];       /* NUL-terminated, validated */
} tg__conn;

typedef struct tg__conns {
    pthread_mutex_t lock;
    tg__conn **items;   /* items[i]->index == i; allocated once, never moves */
    size_t n, cap;
    tg__conn **slots;   /* open-addressing index by hash: lookups take no lock */
} tg__conns;

TG_WARN_UNUSED int tg__conns_init(tg__conns *c);
void tg__conns_destroy(tg__conns *c);
/* Find or add (validated name of length len). Returns NULL and sets the error
 * (TG_ENOMEM, or TG_EINVAL past TG__MAX_CONNECTIONS) in *err. Thread safe. */
const tg__conn *tg__conns_intern(tg__conns *c, const char *name, size_t len, int *err);
/* Find only; NULL when unknown. Thread safe. */
const tg__conn *tg__conns_find(tg__conns *c, const char *name, size_t len);

#endif
