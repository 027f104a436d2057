/* Event horizons (horizon.h): a chained hash table of small records. */
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "horizon.h"

#define TG__HORIZON_MIN_BUCKETS 64
/* Pruning scans every record: at most once in this long. */
#define TG__HORIZON_PRUNE_EVERY_MS 60000

struct tg__horizon {
    struct tg__horizon *next;
    uint64_t hash;
    const tg__conn *conn;
    int64_t event_ms;
    int64_t raised_mono;
    uint32_t id_len;
    char id[];
};

void tg__horizons_init(tg__horizons *h)
{
    memset(h, 0, sizeof *h);
}

void tg__horizons_destroy(tg__horizons *h)
{
    size_t i;
    if (h->buckets) {
        for (i = 0; i <= h->mask; i++) {
            tg__horizon *r = h->buckets[i], *next;
            for (; r; r = next) {
                next = r->next;
                free(r);
            }
        }
        free(h->buckets);
    }
    memset(h, 0, sizeof *h);
}

static tg__horizon **tg__horizon_slot(const tg__horizons *h, const tg__conn *conn,
                                      const char *id, size_t id_len, uint64_t hash)
{
    tg__horizon **pp = &h->buckets[hash & h->mask];
    for (; *pp; pp = &(*pp)->next) {
        const tg__horizon *r = *pp;
        if (r->hash == hash && r->conn == conn && r->id_len == id_len &&
            memcmp(r->id, id, id_len) == 0)
            break;
    }
    return pp;
}

int64_t tg__horizon_get(const tg__horizons *h, const tg__conn *conn, const char *id,
                        size_t id_len, uint64_t hash)
{
    tg__horizon **pp;
    if (!h->buckets)
        return TG__NO_EVENT;
    pp = tg__horizon_slot(h, conn, id, id_len, hash);
    return *pp ? (*pp)->event_ms : TG__NO_EVENT;
}

static void tg__horizons_prune(tg__horizons *h, int64_t now_mono)
{
    size_t i;
    h->pruned_at = now_mono;
    for (i = 0; i <= h->mask; i++) {
        tg__horizon **pp = &h->buckets[i], *r;
        while ((r = *pp) != NULL) {
            if (now_mono - r->raised_mono > TG__HORIZON_KEEP_MS) {
                *pp = r->next;
                free(r);
                h->count--;
            } else {
                pp = &r->next;
            }
        }
    }
}

/* Double the buckets when records outnumber them. Out of memory: keep the
 * longer chains, which are still correct. */
static void tg__horizons_grow(tg__horizons *h)
{
    size_t n = (h->mask + 1) * 2, i;
    tg__horizon **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (i = 0; i <= h->mask; i++) {
        tg__horizon *r = h->buckets[i], *next;
        for (; r; r = next) {
            next = r->next;
            r->next = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
        }
    }
    free(h->buckets);
    h->buckets = b;
    h->mask = n - 1;
}

int tg__horizon_raise(tg__horizons *h, const tg__conn *conn, const char *id, size_t id_len,
                      uint64_t hash, int64_t event_ms, int64_t now_mono)
{
    tg__horizon **pp, *r;

    if (!h->buckets) {
        h->buckets = calloc(TG__HORIZON_MIN_BUCKETS, sizeof *h->buckets);
        if (!h->buckets)
            return tg__fail(TG_ENOMEM, "events: out of memory");
        h->mask = TG__HORIZON_MIN_BUCKETS - 1;
        h->pruned_at = now_mono;
    }
    if (now_mono - h->pruned_at > TG__HORIZON_PRUNE_EVERY_MS)
        tg__horizons_prune(h, now_mono);
    pp = tg__horizon_slot(h, conn, id, id_len, hash);
    if (*pp) {
        if (event_ms > (*pp)->event_ms)
            (*pp)->event_ms = event_ms;
        (*pp)->raised_mono = now_mono;
        return TG_OK;
    }
    r = malloc(sizeof *r + id_len);
    if (!r)
        return tg__fail(TG_ENOMEM, "events: out of memory");
    r->hash = hash;
    r->conn = conn;
    r->event_ms = event_ms;
    r->raised_mono = now_mono;
    r->id_len = (uint32_t)id_len;
    memcpy(r->id, id, id_len);
    r->next = NULL;
    *pp = r;
    if (++h->count > 2 * (h->mask + 1))
        tg__horizons_grow(h);
    return TG_OK;
}
