/* Test helper: an in-process shared tier (fake_shared.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_shared.h"
#include "horizon.h"

#define FS_RECORDS 256
#define FS_SINKS 8

typedef struct fs_record {
    char key[TG_CONNECTION_MAX + TG_IDENTIFIER_MAX + 2]; /* "conn\x1fid"; "" free */
    tg__shared_record r;
    int64_t until;    /* wall ms */
    int locked;
} fs_record;

typedef struct fs_sink {
    tg__shared_sink copy; /* the gate's sink (a copy: the tier keeps its own) */
    int used;
} fs_sink;

typedef struct fs_id_time {
    char id[TG_IDENTIFIER_MAX + 1];
    int64_t event_ms;
} fs_id_time;

static struct {
    pthread_mutex_t lock;
    fs_record records[FS_RECORDS];
    fs_id_time ids[FS_RECORDS];
    fs_sink sinks[FS_SINKS];
    int down, fail_rc, subscribed;
    void (*before_lock)(void *ctx);
    void *before_lock_ctx;
    void (*before_write)(void *ctx);
    void *before_write_ctx;
    fake_shared_counts counts;
} fs = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_rc = TG_EPROVIDER, .subscribed = 1 };

static int64_t fs_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fs_key(char *out, size_t cap, const char *conn, const char *id)
{
    snprintf(out, cap, "%s\x1f%s", conn, id);
}

/* The record slot of the account (live or not), or a free one; lock held. */
static fs_record *fs_find(const char *conn, const char *id, int create)
{
    char key[sizeof fs.records[0].key];
    fs_record *free_slot = NULL;
    size_t i;

    fs_key(key, sizeof key, conn, id);
    for (i = 0; i < FS_RECORDS; i++) {
        if (strcmp(fs.records[i].key, key) == 0)
            return &fs.records[i];
        if (!fs.records[i].key[0] && !free_slot)
            free_slot = &fs.records[i];
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    memcpy(free_slot->key, key, sizeof key);
    free_slot->r.event_ms = TG__NO_EVENT;
    return free_slot;
}

static int fs_live(const fs_record *rec)
{
    return rec && (rec->r.has_status || rec->r.event_ms != TG__NO_EVENT) &&
           rec->until > fs_wall();
}

static int64_t fs_id_time_of(const char *id)
{
    size_t i;
    for (i = 0; i < FS_RECORDS; i++)
        if (fs.ids[i].id[0] && strcmp(fs.ids[i].id, id) == 0)
            return fs.ids[i].event_ms;
    return TG__NO_EVENT;
}

/* Deliver @p c to every sink but @p from's; no lock held. */
static void fs_deliver(const fs_sink *from, const tg__shared_change *c)
{
    tg__shared_sink targets[FS_SINKS];
    int n = 0, i;

    pthread_mutex_lock(&fs.lock);
    fs.counts.publishes++;
    if (fs.subscribed)
        for (i = 0; i < FS_SINKS; i++)
            if (fs.sinks[i].used && &fs.sinks[i] != from)
                targets[n++] = fs.sinks[i].copy;
    pthread_mutex_unlock(&fs.lock);
    for (i = 0; i < n; i++)
        targets[i].change(targets[i].ctx, c);
}

/* Call a hook (fs.before_*), no lock held. */
static void fs_call(void (*const *fn)(void *ctx), void *const *ctx)
{
    void (*hook)(void *ctx);
    void *hook_ctx;
    pthread_mutex_lock(&fs.lock);
    hook = *fn;
    hook_ctx = *ctx;
    pthread_mutex_unlock(&fs.lock);
    if (hook)
        hook(hook_ctx);
}

static int fs_fail_if_down(void)
{
    /* Lock held. */
    return fs.down ? fs.fail_rc : TG_OK;
}

static int fs_create(const tg_host *host, const char *config_json, const tg__shared_sink *sink,
                     void **state)
{
    int i, slot = -1, up;
    (void)host;
    (void)config_json;
    pthread_mutex_lock(&fs.lock);
    for (i = 0; i < FS_SINKS && slot < 0; i++)
        if (!fs.sinks[i].used)
            slot = i;
    if (slot >= 0) {
        fs.sinks[slot].used = 1;
        fs.sinks[slot].copy = *sink;
    }
    up = fs.subscribed;
    pthread_mutex_unlock(&fs.lock);
    if (slot < 0)
        return TG_ENOMEM;
    *state = &fs.sinks[slot];
    if (up)
        sink->subscribed(sink->ctx, 1);
    return TG_OK;
}

static void fs_destroy(void *state)
{
    pthread_mutex_lock(&fs.lock);
    memset(state, 0, sizeof fs.sinks[0]);
    pthread_mutex_unlock(&fs.lock);
}

static int fs_read(void *state, const char *conn, const char *id, tg__shared_record *out,
                   int *found)
{
    fs_record *rec;
    int64_t id_ms;
    int rc;
    (void)state;
    pthread_mutex_lock(&fs.lock);
    fs.counts.reads++;
    rc = fs_fail_if_down();
    if (rc == TG_OK) {
        rec = fs_find(conn, id, 0);
        *found = fs_live(rec);
        if (*found) {
            *out = rec->r;
            id_ms = fs_id_time_of(id);
            if (id_ms > out->event_ms)
                out->event_ms = id_ms;
            if (id_ms != TG__NO_EVENT && id_ms >= out->asof_ms && id_ms >= rec->r.event_ms)
                out->has_status = 0;
        }
    }
    pthread_mutex_unlock(&fs.lock);
    return rc;
}

static int fs_write(void *state, tg__shared_write how, const char *conn, const char *id,
                    const tg__shared_record *r, int64_t ttl_ms, int *applied)
{
    fs_record *rec;
    tg__shared_change c;
    int rc, live;

    fs_call(&fs.before_write, &fs.before_write_ctx);
    pthread_mutex_lock(&fs.lock);
    fs.counts.writes++;
    rc = fs_fail_if_down();
    if (rc != TG_OK) {
        pthread_mutex_unlock(&fs.lock);
        return rc;
    }
    rec = fs_find(conn, id, 1);
    live = fs_live(rec);
    *applied = 1;
    switch (how) {
    case TG__SHARED_ANSWER:
        if (live && (rec->r.asof_ms > r->asof_ms || rec->r.event_ms >= r->asof_ms)) {
            *applied = 0;
        } else {
            rec->r = *r;
            rec->r.event_ms = live ? rec->r.event_ms : TG__NO_EVENT;
            if (live && rec->r.event_ms < r->event_ms)
                rec->r.event_ms = r->event_ms;
            rec->until = fs_wall() + ttl_ms;
        }
        break;
    case TG__SHARED_EVENT:
        if (live && rec->r.event_ms >= r->event_ms) {
            *applied = 0;
        } else if (!live) {
            /* events never create records */
        } else if (rec->r.has_status && rec->r.asof_ms >= r->event_ms) {
            memset(&rec->r, 0, sizeof rec->r);
            rec->r.event_ms = r->event_ms;
            rec->until = fs_wall() + TG__HORIZON_KEEP_MS;
        } else {
            rec->r = *r;
            rec->r.asof_ms = 0;
            rec->until = fs_wall() + ttl_ms;
        }
        break;
    case TG__SHARED_TOMBSTONE:
        if (live && rec->r.event_ms >= r->event_ms) {
            *applied = 0;
        } else {
            memset(&rec->r, 0, sizeof rec->r);
            rec->r.event_ms = r->event_ms;
            rec->until = fs_wall() + TG__HORIZON_KEEP_MS;
        }
        break;
    }
    if (!*applied)
        fs.counts.refused++;
    pthread_mutex_unlock(&fs.lock);
    if (*applied) {
        memset(&c, 0, sizeof c);
        c.kind = (tg__change_kind)how;
        snprintf(c.connection, sizeof c.connection, "%s", conn);
        snprintf(c.identifier, sizeof c.identifier, "%s", id);
        c.record = *r;
        fs_deliver(state, &c);
    }
    return TG_OK;
}

static int fs_publish(void *state, const tg__shared_change *c)
{
    int rc;
    size_t i;
    pthread_mutex_lock(&fs.lock);
    rc = fs_fail_if_down();
    if (rc == TG_OK && c->kind == TG__CHANGE_IDENTIFIER) {
        for (i = 0; i < FS_RECORDS; i++)
            if (!fs.ids[i].id[0] || strcmp(fs.ids[i].id, c->identifier) == 0) {
                snprintf(fs.ids[i].id, sizeof fs.ids[i].id, "%s", c->identifier);
                if (c->record.event_ms > fs.ids[i].event_ms || fs.ids[i].event_ms == 0)
                    fs.ids[i].event_ms = c->record.event_ms;
                break;
            }
    }
    pthread_mutex_unlock(&fs.lock);
    if (rc == TG_OK)
        fs_deliver(state, c);
    return rc;
}

static int fs_lock(void *state, const char *conn, const char *id, int64_t ttl_ms, int *acquired)
{
    fs_record *rec;
    int rc;
    (void)state;
    (void)ttl_ms;
    fs_call(&fs.before_lock, &fs.before_lock_ctx);
    pthread_mutex_lock(&fs.lock);
    fs.counts.locks++;
    rc = fs_fail_if_down();
    if (rc == TG_OK) {
        rec = fs_find(conn, id, 1);
        *acquired = rec && !rec->locked;
        if (*acquired)
            rec->locked = 1;
        else
            fs.counts.lock_refusals++;
    }
    pthread_mutex_unlock(&fs.lock);
    return rc;
}

static void fs_unlock(void *state, const char *conn, const char *id)
{
    fs_record *rec;
    (void)state;
    pthread_mutex_lock(&fs.lock);
    rec = fs_find(conn, id, 0);
    if (rec)
        rec->locked = 0;
    pthread_mutex_unlock(&fs.lock);
}

static int fs_subscribed(void *state)
{
    int up;
    (void)state;
    pthread_mutex_lock(&fs.lock);
    up = fs.subscribed;
    pthread_mutex_unlock(&fs.lock);
    return up;
}

const tg__shared_tier fake_shared_tier = {
    TG__SHARED_ABI_VERSION, sizeof(tg__shared_tier), "fake", fs_create, fs_destroy, fs_read,
    fs_write, fs_publish, fs_lock, fs_unlock, fs_subscribed,
};

void fake_shared_reset(void)
{
    pthread_mutex_lock(&fs.lock);
    memset(fs.records, 0, sizeof fs.records);
    memset(fs.ids, 0, sizeof fs.ids);
    memset(&fs.counts, 0, sizeof fs.counts);
    fs.down = 0;
    fs.fail_rc = TG_EPROVIDER;
    fs.subscribed = 1;
    fs.before_lock = fs.before_write = NULL;
    fs.before_lock_ctx = fs.before_write_ctx = NULL;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_fail_with(int rc)
{
    pthread_mutex_lock(&fs.lock);
    fs.fail_rc = rc;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_before_write(void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&fs.lock);
    fs.before_write = fn;
    fs.before_write_ctx = ctx;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_before_lock(void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&fs.lock);
    fs.before_lock = fn;
    fs.before_lock_ctx = ctx;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_set_down(int down)
{
    pthread_mutex_lock(&fs.lock);
    fs.down = down;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_set_subscribed(int up)
{
    tg__shared_sink targets[FS_SINKS];
    int n = 0, i;
    pthread_mutex_lock(&fs.lock);
    fs.subscribed = up;
    for (i = 0; i < FS_SINKS; i++)
        if (fs.sinks[i].used)
            targets[n++] = fs.sinks[i].copy;
    pthread_mutex_unlock(&fs.lock);
    for (i = 0; i < n; i++)
        targets[i].subscribed(targets[i].ctx, up);
}

void fake_shared_hold_lock(const char *connection, const char *identifier, int held)
{
    fs_record *rec;
    pthread_mutex_lock(&fs.lock);
    rec = fs_find(connection, identifier, 1);
    if (rec)
        rec->locked = held;
    pthread_mutex_unlock(&fs.lock);
}

void fake_shared_put_answer(const char *connection, const char *identifier,
                            const tg__shared_record *r, int64_t ttl_ms)
{
    int applied;
    (void)fs_write(NULL, TG__SHARED_ANSWER, connection, identifier, r, ttl_ms, &applied);
}

int fake_shared_get(const char *connection, const char *identifier, tg__shared_record *out)
{
    fs_record *rec;
    int found;
    pthread_mutex_lock(&fs.lock);
    rec = fs_find(connection, identifier, 0);
    found = fs_live(rec);
    if (found)
        *out = rec->r;
    pthread_mutex_unlock(&fs.lock);
    return found;
}

fake_shared_counts fake_shared_counted(void)
{
    fake_shared_counts c;
    pthread_mutex_lock(&fs.lock);
    c = fs.counts;
    pthread_mutex_unlock(&fs.lock);
    return c;
}
