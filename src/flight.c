/* Rounds in flight (flight.h). */
#include <stdlib.h>
#include <string.h>

#include "flight.h"

int tg__flights_init(tg__flights *fl)
{
    fl->head = NULL;
    if (pthread_mutex_init(&fl->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&fl->done, NULL) != 0) {
        pthread_mutex_destroy(&fl->lock);
        return -1;
    }
    return 0;
}

static void tg__flight_free(tg__flight *f)
{
    free(f->id_buf);
    free(f);
}

void tg__flights_destroy(tg__flights *fl)
{
    tg__flight *f, *next;
    for (f = fl->head; f; f = next) {
        next = f->next;
        tg__flight_free(f);
    }
    fl->head = NULL;
    pthread_cond_destroy(&fl->done);
    pthread_mutex_destroy(&fl->lock);
}

static int tg__flight_matches(const tg__flight *f, const tg__key *k)
{
    return f->key.hash == k->hash && f->key.conn == k->conn && f->key.id_len == k->id_len &&
           memcmp(f->key.id, k->id, k->id_len) == 0;
}

tg__flight *tg__flight_find_locked(tg__flights *fl, const tg__key *k)
{
    tg__flight *f;
    for (f = fl->head; f; f = f->next)
        if (tg__flight_matches(f, k))
            return f;
    return NULL;
}

tg__flight *tg__flight_start_locked(tg__flights *fl, const tg__key *k)
{
    tg__flight *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->id_buf = malloc(k->id_len + 1);
    if (!f->id_buf) {
        free(f);
        return NULL;
    }
    memcpy(f->id_buf, k->id, k->id_len);
    f->id_buf[k->id_len] = '\0';
    f->key = *k;
    f->key.id = f->id_buf;
    f->refs = 1;
    f->next = fl->head;
    fl->head = f;
    return f;
}

void tg__flight_join_locked(tg__flights *fl, tg__flight *f)
{
    f->refs++;
    while (!f->done)
        pthread_cond_wait(&fl->done, &fl->lock);
}

static void tg__flight_unlist(tg__flights *fl, tg__flight *f)
{
    tg__flight **pp;
    for (pp = &fl->head; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            return;
        }
}

void tg__flight_finish_locked(tg__flights *fl, tg__flight *f)
{
    f->done = 1;
    tg__flight_unlist(fl, f);
    pthread_cond_broadcast(&fl->done);
}

void tg__flight_release_locked(tg__flight *f)
{
    if (--f->refs == 0)
        tg__flight_free(f);
}

void tg__flights_supersede(tg__flights *fl, const tg__key *k)
{
    tg__flight **pp, *f;

    pthread_mutex_lock(&fl->lock);
    pp = &fl->head;
    while ((f = *pp) != NULL) {
        if (!k || ((!k->conn || f->key.conn == k->conn) &&
                   (!k->id || (f->key.id_len == k->id_len &&
                               memcmp(f->key.id, k->id, k->id_len) == 0)))) {
            f->superseded = 1;
            *pp = f->next;
        } else {
            pp = &f->next;
        }
    }
    pthread_mutex_unlock(&fl->lock);
}
