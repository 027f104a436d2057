/* Test helper: the counting in-process provider (fake_provider.h). */
#include "fake_provider.h"
#include "pct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fake_create(const tg_host *host, const char *config_json, const char *base_dir,
                       void *arg, void **state)
{
    fake *f = arg;
    (void)config_json;
    (void)base_dir;
    pthread_mutex_lock(&f->lock);
    f->host = host;
    pthread_mutex_unlock(&f->lock);
    *state = f;
    return TG_OK;
}

static void fake_destroy_state(void *state)
{
    (void)state;
}

static uint64_t fake_hash(const char *conn, size_t cl, const char *id, size_t il)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < cl; i++)
        h = (h ^ (unsigned char)conn[i]) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (i = 0; i < il; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* The account's slot, or the free slot where it would go. Lock held. */
static fake_account *fake_slot(fake *f, const char *conn, const char *id)
{
    size_t cl = strlen(conn), il = strlen(id);
    size_t i = (size_t)fake_hash(conn, cl, id, il) & (f->cap - 1);
    for (;;) {
        fake_account *a = &f->slots[i];
        if (!a->key || (a->conn_len == cl && a->id_len == il && memcmp(a->key, conn, cl) == 0 &&
                        memcmp(a->key + cl + 1, id, il) == 0))
            return a;
        i = (i + 1) & (f->cap - 1);
    }
}

/* The account's record, created when absent. Lock held. */
static fake_account *fake_account_of(fake *f, const char *conn, const char *id)
{
    fake_account *a = fake_slot(f, conn, id);
    size_t cl, il;
    if (a->key)
        return a;
    if ((f->n + 1) * 2 > f->cap) {
        fprintf(stderr, "fake provider: more accounts than it was set up for\n");
        abort();
    }
    cl = strlen(conn);
    il = strlen(id);
    a->key = malloc(cl + il + 2);
    if (!a->key)
        abort();
    memcpy(a->key, conn, cl + 1);
    memcpy(a->key + cl + 1, id, il + 1);
    a->conn_len = cl;
    a->id_len = il;
    a->status = f->missing;
    f->n++;
    return a;
}

static int fake_get_status(void *state, const char *conn, const char *id, tg_status *out)
{
    fake *f = state;
    fake_account *a;
    int rc = TG_OK;

    pthread_mutex_lock(&f->lock);
    f->status_calls++;
    a = f->track ? fake_account_of(f, conn, id) : fake_slot(f, conn, id);
    if (a->key)
        a->status_calls++;
    if (f->fail_status == FAKE_BAD) {
        *out = (tg_status)42;
        f->status_errors++;
    } else if (f->fail_status) {
        rc = f->fail_status;
        f->status_errors++;
        f->host->set_error("fake provider: status fails on purpose");
    } else {
        *out = a->key ? a->status : f->missing;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

void fake_link_prefix(char *buf, size_t len, const char *conn, const char *id)
{
    char c[3 * TG_CONNECTION_MAX + 1], i[3 * TG_IDENTIFIER_MAX + 1];
    pct_encode(c, sizeof c, conn);
    pct_encode(i, sizeof i, id);
    snprintf(buf, len, "https://auth.example/%s/%s?n=", c, i);
}

void fake_link_text(char *buf, size_t len, const char *conn, const char *id, long k)
{
    size_t n;
    fake_link_prefix(buf, len, conn, id);
    n = strlen(buf);
    snprintf(buf + n, len - n, "%ld", k);
}

static int fake_get_link(void *state, const char *conn, const char *id, char *buf, size_t len,
                         int64_t *expires)
{
    fake *f = state;
    fake_account *a;
    int rc = TG_OK;

    pthread_mutex_lock(&f->lock);
    f->link_calls++;
    a = f->track ? fake_account_of(f, conn, id) : fake_slot(f, conn, id);
    if (a->key)
        a->link_calls++;
    if (f->fail_link == FAKE_BAD) {
        buf[0] = '\0';
        *expires = 0;
        f->link_errors++;
    } else if (f->fail_link) {
        rc = f->fail_link;
        f->link_errors++;
        f->host->set_error("fake provider: link fails on purpose");
    } else {
        long k = 1;
        *expires = f->link_ttl_ms ? f->host->wall_ms() + f->link_ttl_ms : 0;
        if (a->key) {
            k = ++a->links;
            a->link_expires_at = *expires;
        }
        fake_link_text(buf, len, conn, id, k);
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

const tg_provider fake_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "fake", fake_create, fake_destroy_state,
    fake_get_status, fake_get_link,
};

int fake_init(fake *f, size_t max_accounts, tg_status missing, int track)
{
    size_t cap = 16;
    memset(f, 0, sizeof *f);
    while (cap < 2 * max_accounts + 2)
        cap *= 2;
    f->slots = calloc(cap, sizeof f->slots[0]);
    if (!f->slots)
        return -1;
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f->slots);
        return -1;
    }
    f->cap = cap;
    f->missing = missing;
    f->track = track;
    return 0;
}

void fake_destroy(fake *f)
{
    size_t i;
    for (i = 0; i < f->cap; i++)
        free(f->slots[i].key);
    free(f->slots);
    pthread_mutex_destroy(&f->lock);
    memset(f, 0, sizeof *f);
}

void fake_set(fake *f, const char *conn, const char *id, tg_status s)
{
    pthread_mutex_lock(&f->lock);
    fake_account_of(f, conn, id)->status = s;
    pthread_mutex_unlock(&f->lock);
}

void fake_fail(fake *f, int status_rc, int link_rc)
{
    pthread_mutex_lock(&f->lock);
    f->fail_status = status_rc;
    f->fail_link = link_rc;
    pthread_mutex_unlock(&f->lock);
}

fake_account fake_get(fake *f, const char *conn, const char *id)
{
    fake_account a;
    pthread_mutex_lock(&f->lock);
    a = *fake_slot(f, conn, id);
    if (!a.key)
        a.status = f->missing;
    a.key = NULL;
    pthread_mutex_unlock(&f->lock);
    return a;
}

void fake_totals(fake *f, long *status_calls, long *link_calls, long *errors)
{
    pthread_mutex_lock(&f->lock);
    if (status_calls)
        *status_calls = f->status_calls;
    if (link_calls)
        *link_calls = f->link_calls;
    if (errors)
        *errors = f->status_errors + f->link_errors;
    pthread_mutex_unlock(&f->lock);
}
