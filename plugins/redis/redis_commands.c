/*
 * The command side of the Redis tier: read (one MGET), write and publish
 * (one script each: decide, store, publish). Every call is bounded by the
 * tier's timeout_ms, connection included; a failure is an error, never a
 * status.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "redis_tier.h"

#define TG__RD_WHYLEN 256

static int tg__rd_names(const tg__rd_tier *t, const char *connection, const char *identifier)
{
    if (!connection || !t->host->valid_connection(connection)) {
        t->host->set_error("invalid connection name");
        return TG_EINVAL;
    }
    if (!identifier || !t->host->valid_identifier(identifier)) {
        t->host->set_error("invalid identifier");
        return TG_EINVAL;
    }
    return TG_OK;
}

/* An error reply of Redis as a failure. */
static int tg__rd_error_reply(const tg__rd_tier *t, const redisReply *r, const char *what)
{
    char ex[160];

    if (r->type == REDIS_REPLY_ERROR && r->len >= 11 && memcmp(r->str, "TGMALFORMED", 11) == 0) {
        size_t skip = r->len > 12 ? 12 : r->len;
        t->host->excerpt(r->str + skip, r->len - skip, 120, ex, sizeof ex);
        t->host->set_error("Redis at %s: %s: %s", t->cfg.where, what, ex);
        return TG_EPROVIDER;
    }
    if (r->type == REDIS_REPLY_ERROR)
        t->host->excerpt(r->str, r->len, 120, ex, sizeof ex);
    else
        snprintf(ex, sizeof ex, "an unexpected reply (type %d)", r->type);
    t->host->set_error("Redis at %s: %s failed: %s", t->cfg.where, what, ex);
    return TG_EPROVIDER;
}

/* One stored value of the MGET reply: NULL (none) or decoded into @p v. */
static int tg__rd_mget_value(const tg__rd_tier *t, const redisReply *e, const char *what,
                             tg__rd_value *v, int *present)
{
    char why[TG__RD_WHYLEN];

    *present = 0;
    if (e->type == REDIS_REPLY_NIL)
        return TG_OK;
    if (e->type != REDIS_REPLY_STRING) {
        t->host->set_error("Redis at %s: %s is not a string (type %d)",
                           t->cfg.where, what, e->type);
        return TG_EPROVIDER;
    }
    if (tg__rd_value_decode(e->str, e->len, v, why, sizeof why) != 0) {
        t->host->set_error("Redis at %s: %s is malformed: %s", t->cfg.where, what,
                           why);
        return TG_EPROVIDER;
    }
    *present = 1;
    return TG_OK;
}

/* A time (an identifier's, a connection's invalidation): a tombstone with
 * an event time naming exactly @p connection and @p identifier. */
static int tg__rd_time_of(const tg__rd_tier *t, const tg__rd_value *v, int present,
                          const char *connection, const char *identifier, const char *what,
                          int64_t *out)
{
    *out = TG__NO_EVENT;
    if (!present)
        return TG_OK;
    if (v->rec.has_status || v->rec.event_ms == TG__NO_EVENT ||
        strcmp(v->connection, connection) != 0 || strcmp(v->identifier, identifier) != 0) {
        t->host->set_error("Redis at %s: %s is malformed: not a time of this key",
                           t->cfg.where, what);
        return TG_EPROVIDER;
    }
    *out = v->rec.event_ms;
    return TG_OK;
}

int tg__rd_read(void *state, const char *connection, const char *identifier,
                tg__shared_record *out, int *found)
{
    tg__rd_tier *t = state;
    char ka[TG__RD_KEY_MAX], ki[TG__RD_KEY_MAX], kv[TG__RD_KEY_MAX], why[TG__RD_WHYLEN];
    const char *argv[5];
    size_t lens[5];
    redisReply *r = NULL;
    tg__rd_value v[4];
    int present[4], rc, i;
    int64_t t_id, t_conn, t_all, t_inv, ev;
    tg__rd_wait w = tg__rd_call_wait(t);

    *found = 0;
    memset(out, 0, sizeof *out);
    rc = tg__rd_names(t, connection, identifier);
    if (rc != TG_OK)
        return rc;
    if (tg__rd_key(t->cfg.prefix, TG__RD_KEY_ACCOUNT, connection, identifier, ka) ||
        tg__rd_key(t->cfg.prefix, TG__RD_KEY_IDENTIFIER, NULL, identifier, ki) ||
        tg__rd_key(t->cfg.prefix, TG__RD_KEY_CONNECTION, connection, NULL, kv)) {
        t->host->set_error("hashing a key failed");
        return TG_ENOMEM;
    }
    argv[0] = "MGET";
    argv[1] = ka;
    argv[2] = ki;
    argv[3] = kv;
    argv[4] = t->key_all;
    for (i = 0; i < 5; i++)
        lens[i] = strlen(argv[i]);
    rc = tg__rd_pool_command(&t->pool, 5, argv, lens, &w, &r, why, sizeof why);
    if (rc != TG_OK)
        return tg__rd_fail(t, rc, why);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
        rc = tg__rd_error_reply(t, r, "MGET");
        freeReplyObject(r);
        return rc;
    }
    rc = tg__rd_mget_value(t, r->element[0], "the account's record", &v[0], &present[0]);
    if (rc == TG_OK)
        rc = tg__rd_mget_value(t, r->element[1], "the identifier's time", &v[1], &present[1]);
    if (rc == TG_OK)
        rc = tg__rd_mget_value(t, r->element[2], "the connection's invalidation time", &v[2],
                               &present[2]);
    if (rc == TG_OK)
        rc = tg__rd_mget_value(t, r->element[3], "the invalidation time of all", &v[3],
                               &present[3]);
    freeReplyObject(r);
    if (rc != TG_OK)
        return rc;
    if (present[0] && (strcmp(v[0].connection, connection) != 0 ||
                       strcmp(v[0].identifier, identifier) != 0)) {
        t->host->set_error("Redis at %s: the record at the account's key names "
                           "another account",
                           t->cfg.where);
        return TG_EPROVIDER;
    }
    rc = tg__rd_time_of(t, &v[1], present[1], "", identifier, "the identifier's time", &t_id);
    if (rc == TG_OK)
        rc = tg__rd_time_of(t, &v[2], present[2], connection, "",
                            "the connection's invalidation time", &t_conn);
    if (rc == TG_OK)
        rc = tg__rd_time_of(t, &v[3], present[3], "", "", "the invalidation time of all",
                            &t_all);
    if (rc != TG_OK || !present[0])
        return rc;

    *out = v[0].rec;
    ev = out->event_ms;
    /* The identifier's time: a later event for every account of it. */
    if (t_id != TG__NO_EVENT) {
        if (t_id > out->event_ms)
            out->event_ms = t_id;
        if (t_id >= out->asof_ms && t_id >= ev)
            out->has_status = 0;
    }
    /* An invalidation at or after everything the record knows drops its
     * status; its event time stays, as a tombstone, if it has one. */
    t_inv = t_conn > t_all ? t_conn : t_all;
    if (out->has_status && t_inv != TG__NO_EVENT && t_inv >= out->asof_ms &&
        t_inv >= out->event_ms) {
        if (out->event_ms == TG__NO_EVENT)
            return TG_OK; /* not found */
        out->has_status = 0;
    }
    *found = 1;
    return TG_OK;
}

/* "N" into @p buf. */
static size_t tg__rd_num(char *buf, size_t cap, int64_t n)
{
    return (size_t)snprintf(buf, cap, "%" PRId64, n);
}

int tg__rd_write(void *state, tg__shared_write how, const char *connection,
                 const char *identifier, const tg__shared_record *rec, int64_t ttl_ms,
                 int *applied)
{
    tg__rd_tier *t = state;
    char key[TG__RD_KEY_MAX], value[TG__RD_VALUE_MAX], tomb[TG__RD_VALUE_MAX];
    char msg[TG__RD_MESSAGE_MAX], ttl[24], ttl_tomb[24], why[TG__RD_WHYLEN];
    const char *argv[10];
    size_t lens[10];
    tg__shared_change c;
    tg__shared_record tr;
    redisReply *r = NULL;
    int rc, i;
    tg__rd_wait w;

    *applied = 0;
    rc = tg__rd_names(t, connection, identifier);
    if (rc != TG_OK)
        return rc;
    if (!rec || (int)how < 0 || (int)how > 2 ||
        (how != TG__SHARED_TOMBSTONE && !rec->has_status) ||
        (how != TG__SHARED_ANSWER && rec->event_ms == TG__NO_EVENT)) {
        t->host->set_error("write: a record that does not fit the kind of write");
        return TG_EINVAL;
    }
    memset(&c, 0, sizeof c);
    c.kind = (tg__change_kind)how;
    strcpy(c.connection, connection);
    strcpy(c.identifier, identifier);
    c.record = *rec;
    if (how == TG__SHARED_TOMBSTONE)
        c.record.has_status = 0;
    tr = *rec;
    tr.has_status = 0;
    tr.link[0] = '\0';
    tr.link_expires_ms = 0;
    if (!tg__rd_value_encode(&c.record, connection, identifier, value, sizeof value) ||
        !tg__rd_value_encode(&tr, connection, identifier, tomb, sizeof tomb) ||
        !tg__rd_message_encode(t->origin, &c, msg, sizeof msg)) {
        t->host->set_error("write: a time beyond +-2^53 ms, an unknown status or "
                           "a link too long");
        return TG_EINVAL;
    }
    if (tg__rd_key(t->cfg.prefix, TG__RD_KEY_ACCOUNT, connection, identifier, key)) {
        t->host->set_error("hashing a key failed");
        return TG_ENOMEM;
    }
    /* A status kept for no time (a gate trusting ACTIVE for 0 ms while it is
     * not subscribed) still takes its place, for a millisecond. */
    if (ttl_ms < 1)
        ttl_ms = 1;
    tg__rd_num(ttl, sizeof ttl, ttl_ms);
    tg__rd_num(ttl_tomb, sizeof ttl_tomb,
               ttl_ms > TG__HORIZON_KEEP_MS ? ttl_ms : TG__HORIZON_KEEP_MS);
    argv[0] = "EVALSHA";
    argv[1] = t->scripts.write.sha;
    argv[2] = "1";
    argv[3] = key;
    argv[4] = how == TG__SHARED_ANSWER ? "0" : how == TG__SHARED_EVENT ? "1" : "2";
    argv[5] = value;
    argv[6] = ttl;
    argv[7] = ttl_tomb;
    argv[8] = t->channel;
    argv[9] = msg;
    for (i = 0; i < 10; i++)
        lens[i] = strlen(argv[i]);
    {
        const char *av[11];
        size_t al[11];
        memcpy(av, argv, sizeof argv);
        memcpy(al, lens, sizeof lens);
        av[10] = tomb;
        al[10] = strlen(tomb);
        w = tg__rd_call_wait(t);
        rc = tg__rd_pool_eval(&t->pool, t->scripts.write.text, 11, av, al, &w, &r, why,
                              sizeof why);
    }
    if (rc != TG_OK)
        return tg__rd_fail(t, rc, why);
    if (r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1)) {
        *applied = (int)r->integer;
        rc = TG_OK;
    } else {
        rc = tg__rd_error_reply(t, r, "write");
    }
    freeReplyObject(r);
    return rc;
}

/* Run the raise or invalidate script for @p c. */
static int tg__rd_publish_script(tg__rd_tier *t, const tg__rd_script *s, const char *key,
                                 const char *value, const char *ttl, const char *msg)
{
    const char *argv[8];
    size_t lens[8];
    char why[TG__RD_WHYLEN];
    redisReply *r = NULL;
    int argc = 0, rc, i;
    tg__rd_wait w = tg__rd_call_wait(t);

    argv[argc++] = "EVALSHA";
    argv[argc++] = s->sha;
    argv[argc++] = "1";
    argv[argc++] = key;
    if (value)
        argv[argc++] = value;
    argv[argc++] = ttl;
    argv[argc++] = t->channel;
    argv[argc++] = msg;
    for (i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    rc = tg__rd_pool_eval(&t->pool, s->text, argc, argv, lens, &w, &r, why, sizeof why);
    if (rc != TG_OK)
        return tg__rd_fail(t, rc, why);
    rc = r->type == REDIS_REPLY_INTEGER ? TG_OK : tg__rd_error_reply(t, r, "publish");
    freeReplyObject(r);
    return rc;
}

int tg__rd_publish(void *state, const tg__shared_change *change)
{
    tg__rd_tier *t = state;
    char key[TG__RD_KEY_MAX], value[TG__RD_VALUE_MAX], msg[TG__RD_MESSAGE_MAX], keep[24];
    tg__shared_change c;
    int has_conn, has_id, rc;

    if (!change || (change->kind != TG__CHANGE_IDENTIFIER &&
                    change->kind != TG__CHANGE_INVALIDATE)) {
        t->host->set_error("publish takes an IDENTIFIER or INVALIDATE change");
        return TG_EINVAL;
    }
    c = *change;
    c.connection[TG_CONNECTION_MAX] = '\0';
    c.identifier[TG_IDENTIFIER_MAX] = '\0';
    has_conn = c.connection[0] != '\0';
    has_id = c.identifier[0] != '\0';
    if ((has_conn && !t->host->valid_connection(c.connection)) ||
        (has_id && !t->host->valid_identifier(c.identifier)) ||
        (c.kind == TG__CHANGE_IDENTIFIER &&
         (has_conn || !has_id || c.record.event_ms == TG__NO_EVENT)) ||
        (c.kind == TG__CHANGE_INVALIDATE && has_id && !has_conn)) {
        t->host->set_error("publish: a change naming the wrong account (IDENTIFIER: "
                           "an identifier and an event time; INVALIDATE: a connection and an "
                           "identifier, a connection, or neither)");
        return TG_EINVAL;
    }
    /* What is published and stored: the names and the time, no status. */
    memset(&c.record, 0, sizeof c.record);
    c.record.event_ms = change->kind == TG__CHANGE_IDENTIFIER ? change->record.event_ms
                                                                : t->host->wall_ms();
    if (!tg__rd_message_encode(t->origin, &c, msg, sizeof msg) ||
        !tg__rd_value_encode(&c.record, c.connection, c.identifier, value, sizeof value)) {
        t->host->set_error("publish: a time beyond +-2^53 ms");
        return TG_EINVAL;
    }
    tg__rd_num(keep, sizeof keep, TG__HORIZON_KEEP_MS);
    if (c.kind == TG__CHANGE_IDENTIFIER) {
        rc = tg__rd_key(t->cfg.prefix, TG__RD_KEY_IDENTIFIER, NULL, c.identifier, key);
        return rc ? TG_ENOMEM
                  : tg__rd_publish_script(t, &t->scripts.raise, key, value, keep, msg);
    }
    if (has_id) {
        rc = tg__rd_key(t->cfg.prefix, TG__RD_KEY_ACCOUNT, c.connection, c.identifier, key);
        return rc ? TG_ENOMEM
                  : tg__rd_publish_script(t, &t->scripts.invalidate, key, NULL, keep, msg);
    }
    if (has_conn && tg__rd_key(t->cfg.prefix, TG__RD_KEY_CONNECTION, c.connection, NULL, key))
        return TG_ENOMEM;
    /* Invalidation times are few (one per connection) and kept for good. */
    return tg__rd_publish_script(t, &t->scripts.raise, has_conn ? key : t->key_all, value, "0",
                                 msg);
}
