/*
 * The shared tier "redis" (src/shared.h) against a real redis-server: every
 * method and every rule of the order of writes, the identifier's time and
 * invalidations in read, the lock with two holders, changes between two
 * tier instances (never back to their sender), what the keys and values
 * hold, malformed values and messages written behind the tier's back, and
 * passwords (in the URL, from the environment; never in a message).
 * Fault injection (kill, pause, restart, reset) is test_redis_faults.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis_codec.h"
#include "redis_env.h"
#include "redis_keys.h"
#include "toolgate/toolgate.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */

#define WAIT_MS 10000

static tg_redis server;

/* A prefix of its own for each test: no test sees another's keys. */
static char prefix[32];
static int test_no;

static int group_setup(void **state)
{
    (void)state;
    return tg_redis_start(&server, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    tg_redis_stop(&server);
    return 0;
}

static int each_setup(void **state)
{
    (void)state;
    snprintf(prefix, sizeof prefix, "t%d:", ++test_no);
    return 0;
}

static tg_redis pw_server; /* passwords: a server with requirepass */

static int each_teardown(void **state)
{
    (void)state;
    rtier_close_all(); /* those a failed test left open */
    tg_redis_stop(&pw_server);
    return 0;
}

static void open_tier(rtier *t)
{
    int rc = rtier_open(t, &server, prefix, 2000);
    if (rc != TG_OK)
        fail_msg("create: %d %s", rc, tg_error_message());
}

static void open_subscribed(rtier *t)
{
    open_tier(t);
    if (rtier_wait_subscribed(t) != 0)
        fail_msg("not subscribed within %d ms", WAIT_MS);
    assert_int_equal(t->tier->subscribed(t->state), 1);
}

static int wr(rtier *t, tg__shared_write how, const char *id, tg__shared_record rec, int64_t ttl)
{
    int applied = -1, rc = t->tier->write(t->state, how, "gmail", id, &rec, ttl, &applied);
    if (rc != TG_OK)
        fail_msg("write: %d %s", rc, tg_error_message());
    return applied;
}

static tg__shared_record rd(rtier *t, const char *id, int *found)
{
    tg__shared_record r;
    int rc = t->tier->read(t->state, "gmail", id, &r, found);
    if (rc != TG_OK)
        fail_msg("read: %d %s", rc, tg_error_message());
    return r;
}

static long long pttl(const char *key)
{
    const char *argv[2] = { "PTTL", key };
    size_t lens[2] = { 4, strlen(key) };
    redisReply *r = tg_redis_cmd(&server, 2, argv, lens);
    long long v;
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

static void raw_set(const char *key, const char *value, size_t len)
{
    const char *argv[3] = { "SET", key, value };
    size_t lens[3] = { 3, strlen(key), len };
    redisReply *r = tg_redis_cmd(&server, 3, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
}

static void raw_publish(const char *payload, size_t len)
{
    char ch[TG__RD_KEY_MAX];
    const char *argv[3] = { "PUBLISH", ch, payload };
    size_t lens[3] = { 7, 0, len };
    redisReply *r;
    tg__rd_key_channel(prefix, ch);
    lens[1] = strlen(ch);
    r = tg_redis_cmd(&server, 3, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    freeReplyObject(r);
}

static void key_of(tg__rd_key_kind kind, const char *conn, const char *id, char *out)
{
    assert_int_equal(tg__rd_key(prefix, kind, conn, id, out), 0);
}

/* ---- the registry ------------------------------------------------------------ */

static void registry_has_redis(void **state)
{
    const char *known = NULL;
    const tg__shared_tier *t = tg__shared_tier_find("redis", &known);

    (void)state;
    assert_non_null(t);
    assert_string_equal(t->name, "redis");
    assert_int_equal(t->abi_version, TG__SHARED_ABI_VERSION);
    assert_int_equal(t->struct_size, sizeof(tg__shared_tier));
    assert_string_equal(known, "redis");
    assert_null(tg__shared_tier_find("memcached", &known));
    assert_string_equal(known, "redis");
    assert_null(tg__shared_tier_find(NULL, NULL));
}

/* ---- write, by the rules of tg__shared_write ------------------------------------ */

static void answer_then_read(void **state)
{
    rtier t;
    tg__shared_record in = rrec_answer(TG_STATUS_EXPIRED, 1000000), out;
    char key[TG__RD_KEY_MAX];
    int found = -1;
    long long ttl;

    (void)state;
    open_tier(&t);
    out = rd(&t, "u1", &found);
    assert_int_equal(found, 0);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u1", in, 5000), 1);
    out = rd(&t, "u1", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 1);
    assert_int_equal(out.status, TG_STATUS_EXPIRED);
    assert_int_equal(out.asof_ms, 1000000);
    assert_int_equal(out.expires_ms, in.expires_ms);
    assert_int_equal(out.event_ms, TG__NO_EVENT);
    assert_string_equal(out.link, in.link);
    assert_int_equal(out.link_expires_ms, in.link_expires_ms);
    /* Kept for the TTL given. */
    key_of(TG__RD_KEY_ACCOUNT, "gmail", "u1", key);
    ttl = pttl(key);
    assert_true(ttl > 0 && ttl <= 5000);
    /* Another account is another record. */
    out = rd(&t, "u2", &found);
    assert_int_equal(found, 0);
    rtier_close(&t);
}

static void answer_vs_answer(void **state)
{
    rtier t;
    tg__shared_record out;
    int found;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 100), 60000), 1);
    /* An older answer is refused; an equal one is not later: stored. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_REVOKED, 90), 60000), 0);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_ACTIVE);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_PENDING, 100), 60000), 1);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_EXPIRED, 110), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_EXPIRED);
    assert_int_equal(out.asof_ms, 110);
    rtier_close(&t);
}

static void answer_vs_event(void **state)
{
    rtier t;
    tg__shared_record out;
    int found;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 100), 60000), 1);
    /* A newer event replaces the status. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_REVOKED, 150), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 1);
    assert_int_equal(out.status, TG_STATUS_REVOKED);
    assert_int_equal(out.event_ms, 150);
    /* An answer asked before the event, or at its time, is refused. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 140), 60000), 0);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 150), 60000), 0);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_REVOKED);
    /* A later one is stored, and the event's time stays with the account. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 160), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_ACTIVE);
    assert_int_equal(out.asof_ms, 160);
    assert_int_equal(out.event_ms, 150);
    /* So an event older than that one is still stale. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_EXPIRED, 149), 60000), 0);
    rtier_close(&t);
}

static void event_without_record(void **state)
{
    rtier t;
    int found = -1;
    char key[TG__RD_KEY_MAX];

    (void)state;
    open_tier(&t);
    /* Not refused (and published, see changes_reach_others), never stored. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 150), 60000), 1);
    (void)rd(&t, "u", &found);
    assert_int_equal(found, 0);
    key_of(TG__RD_KEY_ACCOUNT, "gmail", "u", key);
    assert_int_equal(pttl(key), -2); /* no such key */
    rtier_close(&t);
}

static void event_vs_event(void **state)
{
    rtier t;
    tg__shared_record out;
    int found;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 100), 60000), 1);
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_EXPIRED, 200), 60000), 1);
    /* Older and equal events are stale. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 199), 60000), 0);
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 200), 60000), 0);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_EXPIRED);
    /* A newer one applies. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 201), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.status, TG_STATUS_ACTIVE);
    assert_int_equal(out.event_ms, 201);
    rtier_close(&t);
}

static void event_older_than_answer(void **state)
{
    rtier t;
    tg__shared_record out;
    char key[TG__RD_KEY_MAX];
    int found;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 200), 1000), 1);
    /* Which of the two is newer cannot be told: a tombstone at the event. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_REVOKED, 150), 1000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 150);
    /* Tombstones live an hour at least, whatever TTL the write gave. */
    key_of(TG__RD_KEY_ACCOUNT, "gmail", "u", key);
    assert_true(pttl(key) > TG__HORIZON_KEEP_MS - 60000);
    /* At the answer's own time too. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "v", rrec_answer(TG_STATUS_ACTIVE, 200), 1000), 1);
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "v", rrec_event(TG_STATUS_REVOKED, 200), 1000), 1);
    out = rd(&t, "v", &found);
    assert_int_equal(out.has_status, 0);
    /* An event on a tombstone stores nothing: events never create records. */
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 170), 1000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 150);
    rtier_close(&t);
}

static void tombstones(void **state)
{
    rtier t;
    tg__shared_record out, tomb = rrec_tomb(300);
    char key[TG__RD_KEY_MAX];
    int found;

    (void)state;
    open_tier(&t);
    /* Stored with no record before it, an hour at least. */
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", tomb, 10), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 300);
    key_of(TG__RD_KEY_ACCOUNT, "gmail", "u", key);
    assert_true(pttl(key) > TG__HORIZON_KEEP_MS - 60000);
    /* Older or equal deletions are stale; a newer one moves it. */
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", rrec_tomb(300), 10), 0);
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", rrec_tomb(250), 10), 0);
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", rrec_tomb(310), 10), 1);
    /* Answers asked before it are refused; a later one fills it again. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 305), 60000), 0);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 311), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.has_status, 1);
    assert_int_equal(out.event_ms, 310);
    /* A deletion of an account with an answer. */
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", rrec_tomb(400), 10), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.has_status, 0);
    /* A tombstone given a status is stored without it. */
    tomb = rrec_answer(TG_STATUS_ACTIVE, 0);
    tomb.event_ms = 500;
    assert_int_equal(wr(&t, TG__SHARED_TOMBSTONE, "u", tomb, 10), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 500);
    rtier_close(&t);
}

static void write_refuses_bad_arguments(void **state)
{
    rtier t;
    tg__shared_record r = rrec_answer(TG_STATUS_ACTIVE, 1);
    int applied = -1;

    (void)state;
    open_tier(&t);
    /* A TTL under 1 ms keeps it 1 ms. */
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "u", &r, 0, &applied),
                     TG_OK);
    assert_int_equal(applied, 1);
    {
        char key[TG__RD_KEY_MAX];
        int64_t until = rnow() + WAIT_MS;
        key_of(TG__RD_KEY_ACCOUNT, "gmail", "u", key);
        while (pttl(key) != -2 && rnow() < until)
            usleep(1000);
        assert_int_equal(pttl(key), -2);
    }
    applied = -1;
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gm/ail", "u", &r, 1, &applied),
                     TG_EINVAL);
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "", &r, 1, &applied),
                     TG_EINVAL);
    assert_int_equal(t.tier->write(t.state, (tg__shared_write)3, "gmail", "u", &r, 1, &applied),
                     TG_EINVAL);
    r.asof_ms = INT64_MAX;
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "u", &r, 1, &applied),
                     TG_EINVAL);
    r = rrec_tomb(5);
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "u", &r, 1, &applied),
                     TG_EINVAL); /* an answer without a status */
    r = rrec_answer(TG_STATUS_ACTIVE, 1);
    assert_int_equal(t.tier->write(t.state, TG__SHARED_EVENT, "gmail", "u", &r, 1, &applied),
                     TG_EINVAL); /* an event without its time */
    assert_int_equal(applied, 0);
    rtier_close(&t);
}

/* ---- read: the identifier's time, invalidations -------------------------------- */

static void identifier_time_in_read(void **state)
{
    rtier t;
    tg__shared_change c;
    tg__shared_record out;
    char key[TG__RD_KEY_MAX];
    int found;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 100), 60000), 1);
    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_IDENTIFIER;
    strcpy(c.identifier, "u");
    c.record.event_ms = 120;
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    /* At or after the answer: a tombstone at the identifier's time. */
    out = rd(&t, "u", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 120);
    /* Kept an hour at least. */
    key_of(TG__RD_KEY_IDENTIFIER, NULL, "u", key);
    assert_true(pttl(key) > TG__HORIZON_KEEP_MS - 60000);
    /* A later answer keeps its status; the event time is raised to it. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 130), 60000), 1);
    out = rd(&t, "u", &found);
    assert_int_equal(out.has_status, 1);
    assert_int_equal(out.event_ms, 120);
    /* Raised only: an older identifier change leaves it. */
    c.record.event_ms = 110;
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    out = rd(&t, "u", &found);
    assert_int_equal(out.event_ms, 120);
    c.record.event_ms = 140;
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    out = rd(&t, "u", &found);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 140);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "w", rrec_answer(TG_STATUS_ACTIVE, 100), 60000), 1);
    /* Other accounts of other identifiers are untouched. */
    out = rd(&t, "w", &found);
    assert_int_equal(out.has_status, 1);
    /* At the answer's own time: a tombstone too. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "eq", rrec_answer(TG_STATUS_ACTIVE, 150), 60000), 1);
    strcpy(c.identifier, "eq");
    c.record.event_ms = 150;
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    out = rd(&t, "eq", &found);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, 150);
    /* With no record, nothing is found. */
    (void)rd(&t, "nobody", &found);
    assert_int_equal(found, 0);
    rtier_close(&t);
}

static void invalidations_in_read(void **state)
{
    rtier t;
    tg__shared_change c;
    tg__shared_record out;
    int64_t now = (int64_t)time(NULL) * 1000;
    int found, rc;

    (void)state;
    open_tier(&t);
    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_INVALIDATE;
    /* One account: its record is gone; one with an event keeps the time. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "a", rrec_answer(TG_STATUS_ACTIVE, now - 5000), 60000), 1);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "b", rrec_answer(TG_STATUS_ACTIVE, now - 5000), 60000), 1);
    assert_int_equal(wr(&t, TG__SHARED_EVENT, "b", rrec_event(TG_STATUS_EXPIRED, now - 4000), 60000), 1);
    strcpy(c.connection, "gmail");
    strcpy(c.identifier, "a");
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    (void)rd(&t, "a", &found);
    assert_int_equal(found, 0);
    strcpy(c.identifier, "b");
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    out = rd(&t, "b", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 0);
    assert_int_equal(out.event_ms, now - 4000);
    /* A whole connection: every account of it, not those of others. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "c", rrec_answer(TG_STATUS_ACTIVE, now - 3000), 60000), 1);
    {
        tg__shared_record r = rrec_answer(TG_STATUS_ACTIVE, now - 3000);
        int applied;
        assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "slack", "c", &r, 60000, &applied),
                         TG_OK);
    }
    strcpy(c.identifier, "");
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    (void)rd(&t, "c", &found);
    assert_int_equal(found, 0);
    rc = t.tier->read(t.state, "slack", "c", &out, &found);
    assert_int_equal(rc, TG_OK);
    assert_int_equal(found, 1);
    /* An answer asked after the invalidation is found again. */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "c", rrec_answer(TG_STATUS_ACTIVE, now + 60000), 60000), 1);
    out = rd(&t, "c", &found);
    assert_int_equal(found, 1);
    assert_int_equal(out.has_status, 1);
    /* Everything. */
    strcpy(c.connection, "");
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    rc = t.tier->read(t.state, "slack", "c", &out, &found);
    assert_int_equal(rc, TG_OK);
    assert_int_equal(found, 0);
    /* Still there: asked after it. */
    out = rd(&t, "c", &found);
    assert_int_equal(found, 1);
    /* Wrong shapes are refused. */
    strcpy(c.identifier, "x");
    assert_int_equal(t.tier->publish(t.state, &c), TG_EINVAL);
    c.kind = TG__CHANGE_IDENTIFIER;
    strcpy(c.connection, "gmail");
    assert_int_equal(t.tier->publish(t.state, &c), TG_EINVAL);
    c.kind = TG__CHANGE_ANSWER;
    assert_int_equal(t.tier->publish(t.state, &c), TG_EINVAL);
    rtier_close(&t);
}

/* ---- the lock ---------------------------------------------------------------- */

static void lock_two_holders(void **state)
{
    rtier a, b;
    int got = -1;
    int64_t until;

    (void)state;
    open_tier(&a);
    open_tier(&b);
    assert_int_equal(a.tier->lock(a.state, "gmail", "u", 30000, &got), TG_OK);
    assert_int_equal(got, 1);
    assert_int_equal(b.tier->lock(b.state, "gmail", "u", 30000, &got), TG_OK);
    assert_int_equal(got, 0);
    /* Another account's lock is another lock. */
    assert_int_equal(b.tier->lock(b.state, "gmail", "v", 30000, &got), TG_OK);
    assert_int_equal(got, 1);
    /* Releasing what one does not hold releases nothing. */
    b.tier->unlock(b.state, "gmail", "u");
    assert_int_equal(b.tier->lock(b.state, "gmail", "u", 30000, &got), TG_OK);
    assert_int_equal(got, 0);
    /* The holder's release frees it for the other. */
    a.tier->unlock(a.state, "gmail", "u");
    assert_int_equal(b.tier->lock(b.state, "gmail", "u", 30000, &got), TG_OK);
    assert_int_equal(got, 1);
    b.tier->unlock(b.state, "gmail", "u");
    b.tier->unlock(b.state, "gmail", "v");

    /* An expired lock is free; its old holder's release then leaves the
     * new holder's lock alone. */
    assert_int_equal(a.tier->lock(a.state, "gmail", "w", 200, &got), TG_OK);
    assert_int_equal(got, 1);
    until = rnow() + WAIT_MS;
    do {
        assert_int_equal(b.tier->lock(b.state, "gmail", "w", 30000, &got), TG_OK);
        if (!got)
            usleep(50000);
    } while (!got && rnow() < until);
    assert_int_equal(got, 1);
    a.tier->unlock(a.state, "gmail", "w");
    assert_int_equal(a.tier->lock(a.state, "gmail", "w", 30000, &got), TG_OK);
    assert_int_equal(got, 0);
    b.tier->unlock(b.state, "gmail", "w");
    assert_int_equal(a.tier->lock(a.state, "gmail", "w", 30000, &got), TG_OK);
    assert_int_equal(got, 1);
    a.tier->unlock(a.state, "gmail", "w");
    /* Bad arguments. */
    assert_int_equal(a.tier->lock(a.state, "gmail", "w", 0, &got), TG_EINVAL);
    assert_int_equal(a.tier->lock(a.state, "", "w", 10, &got), TG_EINVAL);
    rtier_close(&a);
    rtier_close(&b);
}

/* ---- changes between tiers ---------------------------------------------------- */

/* B's next change, which must come within WAIT_MS. */
static tg__shared_change next_change(rtier *b, int *seen)
{
    tg__shared_change c;
    if (rsink_wait_change(b->sink, *seen, WAIT_MS, &c) != 0)
        fail_msg("change %d did not arrive", *seen);
    (*seen)++;
    return c;
}

static void changes_reach_others(void **state)
{
    rtier a, b;
    tg__shared_record r = rrec_answer(TG_STATUS_PENDING, 1000);
    tg__shared_change c, in;
    int seen = 0;

    (void)state;
    open_subscribed(&a);
    open_subscribed(&b);
    assert_int_equal(wr(&a, TG__SHARED_ANSWER, "u", r, 60000), 1);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_ANSWER);
    assert_string_equal(c.connection, "gmail");
    assert_string_equal(c.identifier, "u");
    assert_int_equal(c.record.has_status, 1);
    assert_int_equal(c.record.status, TG_STATUS_PENDING);
    assert_int_equal(c.record.asof_ms, 1000);
    assert_int_equal(c.record.expires_ms, r.expires_ms);
    assert_string_equal(c.record.link, r.link);
    assert_int_equal(c.record.link_expires_ms, r.link_expires_ms);
    assert_int_equal(c.record.event_ms, TG__NO_EVENT);

    /* A refused write is not published: the next change B sees is the
     * event that follows it. */
    assert_int_equal(wr(&a, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 900), 60000), 0);
    assert_int_equal(wr(&a, TG__SHARED_EVENT, "u", rrec_event(TG_STATUS_ACTIVE, 2000), 60000), 1);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_EVENT);
    assert_int_equal(c.record.status, TG_STATUS_ACTIVE);
    assert_int_equal(c.record.event_ms, 2000);
    /* An event with no record is published all the same. */
    assert_int_equal(wr(&a, TG__SHARED_EVENT, "nobody", rrec_event(TG_STATUS_REVOKED, 2000), 60000), 1);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_EVENT);
    assert_string_equal(c.identifier, "nobody");
    /* The event that became a tombstone is published as the event given. */
    assert_int_equal(wr(&a, TG__SHARED_ANSWER, "x", rrec_answer(TG_STATUS_ACTIVE, 3000), 60000), 1);
    assert_int_equal(wr(&a, TG__SHARED_EVENT, "x", rrec_event(TG_STATUS_REVOKED, 2500), 60000), 1);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_ANSWER);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_EVENT);
    assert_int_equal(c.record.has_status, 1);
    assert_int_equal(c.record.status, TG_STATUS_REVOKED);
    assert_int_equal(wr(&a, TG__SHARED_TOMBSTONE, "u", rrec_tomb(2100), 60000), 1);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_TOMBSTONE);
    assert_int_equal(c.record.has_status, 0);
    assert_int_equal(c.record.event_ms, 2100);

    memset(&in, 0, sizeof in);
    in.kind = TG__CHANGE_IDENTIFIER;
    strcpy(in.identifier, "u");
    in.record.event_ms = 2200;
    assert_int_equal(a.tier->publish(a.state, &in), TG_OK);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_IDENTIFIER);
    assert_string_equal(c.connection, "");
    assert_string_equal(c.identifier, "u");
    assert_int_equal(c.record.event_ms, 2200);

    in.kind = TG__CHANGE_INVALIDATE;
    strcpy(in.connection, "gmail");
    assert_int_equal(a.tier->publish(a.state, &in), TG_OK);
    in.identifier[0] = '\0';
    assert_int_equal(a.tier->publish(a.state, &in), TG_OK);
    in.connection[0] = '\0';
    assert_int_equal(a.tier->publish(a.state, &in), TG_OK);
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_INVALIDATE);
    assert_string_equal(c.connection, "gmail");
    assert_string_equal(c.identifier, "u");
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_INVALIDATE);
    assert_string_equal(c.connection, "gmail");
    assert_string_equal(c.identifier, "");
    c = next_change(&b, &seen);
    assert_int_equal(c.kind, TG__CHANGE_INVALIDATE);
    assert_string_equal(c.connection, "");

    /* Now B writes: A gets B's change, and none of its own came back to it
     * before (the channel keeps one publisher's order per subscriber). */
    assert_int_equal(wr(&b, TG__SHARED_ANSWER, "from-b", rrec_answer(TG_STATUS_ACTIVE, 1), 60000), 1);
    c = next_change(&a, &(int){ 0 });
    assert_string_equal(c.identifier, "from-b");
    assert_int_equal(rsink_count(a.sink), 1);
    /* And B saw exactly A's changes, not its own. */
    usleep(100000);
    assert_int_equal(rsink_count(b.sink), seen);
    assert_int_equal(rsink_ups(a.sink), 1);
    assert_int_equal(rsink_downs(a.sink), 0);
    rtier_close(&a);
    rtier_close(&b);
}

/* ---- what Redis holds ---------------------------------------------------------- */

static void keys_and_values_hold_no_secret_names(void **state)
{
    rtier t;
    tg__shared_change c;
    char pattern[40];
    const char *argv[2] = { "KEYS", pattern };
    size_t lens[2] = { 4, 0 };
    redisReply *r;
    size_t i;
    int got;

    (void)state;
    open_tier(&t);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "alice@example.com",
                        rrec_answer(TG_STATUS_ACTIVE, 1), 60000),
                     1);
    assert_int_equal(t.tier->lock(t.state, "gmail", "alice@example.com", 60000, &got), TG_OK);
    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_IDENTIFIER;
    strcpy(c.identifier, "alice@example.com");
    c.record.event_ms = 5;
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    c.kind = TG__CHANGE_INVALIDATE;
    strcpy(c.connection, "gmail");
    c.identifier[0] = '\0';
    assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
    snprintf(pattern, sizeof pattern, "%s*", prefix);
    lens[1] = strlen(pattern);
    r = tg_redis_cmd(&server, 2, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4); /* a:, l:, i:, v: */
    for (i = 0; i < r->elements; i++) {
        const char *k = r->element[i]->str;
        assert_null(strstr(k, "alice"));
        assert_null(strstr(k, "example"));
        assert_null(strstr(k, "gmail"));
        assert_int_equal(strlen(k), strlen(prefix) + 2 + TG__RD_HASH_HEX);
    }
    freeReplyObject(r);
    t.tier->unlock(t.state, "gmail", "alice@example.com");
    rtier_close(&t);
}

/* ---- malformed values and messages ---------------------------------------------- */

static void expect_read_error(rtier *t, const char *id, const char *says)
{
    tg__shared_record out;
    int found = -1, rc = t->tier->read(t->state, "gmail", id, &out, &found);
    if (rc != TG_EPROVIDER)
        fail_msg("read of %s: rc %d", id, rc);
    if (!strstr(tg_error_message(), says))
        fail_msg("read of %s: \"%s\" does not say %s", id, tg_error_message(), says);
    assert_int_equal(found, 0);
}

static void malformed_values(void **state)
{
    rtier t;
    char key[TG__RD_KEY_MAX], value[TG__RD_VALUE_MAX];
    tg__shared_record r = rrec_answer(TG_STATUS_ACTIVE, 1);
    int applied = -1;

    (void)state;
    open_tier(&t);
    key_of(TG__RD_KEY_ACCOUNT, "gmail", "g", key);
    raw_set(key, "garbage", 7);
    expect_read_error(&t, "g", "the account's record is malformed");
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "g", &r, 1000, &applied),
                     TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), "malformed"));
    assert_int_equal(applied, 0);
    raw_set(key, "tg1 1 1 - 1 0 5 1 0\ngmailgX", 27);
    expect_read_error(&t, "g", "add up");
    raw_set(key, "\xff\xfe\0\x01", 4);
    expect_read_error(&t, "g", "malformed");
    /* A well-formed record of another account under this key (a collision,
     * or a copy): never an answer for this one. */
    assert_true(tg__rd_value_encode(&r, "gmail", "other", value, sizeof value) > 0);
    raw_set(key, value, strlen(value));
    expect_read_error(&t, "g", "names another account");
    /* A key of another type. */
    {
        const char *argv[3] = { "DEL", key, NULL };
        size_t lens[3] = { 3, strlen(key), 1 };
        redisReply *x = tg_redis_cmd(&server, 2, argv, lens);
        freeReplyObject(x);
        argv[0] = "LPUSH";
        argv[2] = "x";
        lens[0] = 5;
        x = tg_redis_cmd(&server, 3, argv, lens);
        assert_non_null(x);
        freeReplyObject(x);
    }
    assert_int_equal(t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "g", &r, 1000, &applied),
                     TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), "WRONGTYPE"));
    /* The identifier's time and the invalidation times are checked too. */
    key_of(TG__RD_KEY_IDENTIFIER, NULL, "h", key);
    raw_set(key, "12", 2);
    expect_read_error(&t, "h", "the identifier's time is malformed");
    assert_true(tg__rd_value_encode(&r, "", "h", value, sizeof value) > 0); /* has a status */
    raw_set(key, value, strlen(value));
    expect_read_error(&t, "h", "not a time of this key");
    key_of(TG__RD_KEY_CONNECTION, "gmail", NULL, key);
    raw_set(key, "tg1", 3);
    expect_read_error(&t, "k", "the connection's invalidation time is malformed");
    {
        char all[TG__RD_KEY_MAX];
        const char *argv[2] = { "DEL", key };
        size_t lens[2] = { 3, strlen(key) };
        redisReply *x = tg_redis_cmd(&server, 2, argv, lens);
        freeReplyObject(x);
        tg__rd_key_all(prefix, all);
        raw_set(all, "tg1 - 0 - 0 0 0 0 0\n", 20);
        expect_read_error(&t, "k", "not a time of this key");
    }
    /* The publication of an identifier time over garbage is refused too,
     * and an invalidation drops what it cannot read. */
    {
        tg__shared_change c;
        tg__shared_record out;
        int found;
        memset(&c, 0, sizeof c);
        c.kind = TG__CHANGE_IDENTIFIER;
        strcpy(c.identifier, "h");
        c.record.event_ms = 9;
        key_of(TG__RD_KEY_IDENTIFIER, NULL, "h", key);
        raw_set(key, "junk", 4);
        assert_int_equal(t.tier->publish(t.state, &c), TG_EPROVIDER);
        assert_non_null(strstr(tg_error_message(), "malformed"));
        key_of(TG__RD_KEY_ACCOUNT, "gmail", "m", key);
        raw_set(key, "junk", 4);
        c.kind = TG__CHANGE_INVALIDATE;
        strcpy(c.connection, "gmail");
        strcpy(c.identifier, "m");
        assert_int_equal(t.tier->publish(t.state, &c), TG_OK);
        assert_int_equal(pttl(key), -2);
        /* The all-time is still garbage: reads still say so. */
        assert_int_equal(t.tier->read(t.state, "gmail", "m", &out, &found), TG_EPROVIDER);
    }
    rtier_close(&t);
}

static void malformed_messages(void **state)
{
    static const char *const bad[] = {
        "",
        "hello",
        "tgm1 0123456789abcdef 9 tg1 1 1 - 1 0 5 1 0\ngmailu",
        "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 5 1 0\ngmailuu",
        "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 5 2 0\ngmail\x01u",     /* control in id */
        "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 6 1 0\ngm/ailu",        /* bad connection */
        "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 5 1 1\ngmailu\x1b",     /* control in link */
    };
    rtier t;
    tg__shared_change c;
    size_t i, big_len = 2 * 1024 * 1024, mid_len = 20000;
    char *big;
    const char *good = "tgm1 0123456789abcdef 0 tg1 1 1 - 1 0 5 4 0\ngmailgood";

    (void)state;
    rlog_capture();
    open_subscribed(&t);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        raw_publish(bad[i], strlen(bad[i]));
    /* Larger than any message and than what the subscriber holds: read past. */
    big = malloc(big_len);
    assert_non_null(big);
    memset(big, 'z', big_len);
    raw_publish(big, big_len);
    raw_publish(big, mid_len);
    free(big);
    raw_publish(good, strlen(good));
    assert_int_equal(rsink_wait_change(t.sink, 0, WAIT_MS, &c), 0);
    assert_string_equal(c.identifier, "good");
    assert_int_equal(c.record.status, TG_STATUS_ACTIVE);
    /* Only the good one, without losing the subscription. */
    usleep(100000);
    assert_int_equal(rsink_count(t.sink), 1);
    assert_int_equal(rsink_ups(t.sink), 1);
    assert_int_equal(rsink_downs(t.sink), 0);
    assert_int_equal(t.tier->subscribed(t.state), 1);
    /* Logged, at most a line a second: the first one at least. */
    if (!rlog_has("skipped a bad message"))
        fail_msg("log: %s", rlog_text());
    rtier_close(&t);
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
}

/* ---- passwords ------------------------------------------------------------------- */

static void passwords(void **state)
{
    tg_redis *pw = &pw_server;
    rtier t;
    char json[512];
    int found = -1, rc;
    tg__shared_record out;

    (void)state;
    assert_int_equal(tg_redis_start(pw, "Pa55-w0rd-Xy"), 0);
    rlog_capture();
    /* In the URL. */
    snprintf(json, sizeof json, "{\"url\":\"redis://:Pa55-w0rd-Xy@127.0.0.1:%d/0\",\"timeout_ms\":2000}",
             pw->port);
    assert_int_equal(rtier_open_json(&t, json), TG_OK);
    assert_int_equal(rtier_wait_subscribed(&t), 0);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 1), 60000), 1);
    (void)rd(&t, "u", &found);
    assert_int_equal(found, 1);
    rtier_close(&t);
    /* From the environment, with a database. */
    setenv("TG_TEST_REDIS_PW", "Pa55-w0rd-Xy", 1);
    snprintf(json, sizeof json,
             "{\"url\":\"redis://127.0.0.1:%d/2\",\"password_env\":\"TG_TEST_REDIS_PW\","
             "\"timeout_ms\":2000}",
             pw->port);
    assert_int_equal(rtier_open_json(&t, json), TG_OK);
    assert_int_equal(rtier_wait_subscribed(&t), 0);
    (void)rd(&t, "u", &found);
    assert_int_equal(found, 0); /* another database */
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 1), 60000), 1);
    (void)rd(&t, "u", &found);
    assert_int_equal(found, 1);
    rtier_close(&t);
    unsetenv("TG_TEST_REDIS_PW");
    /* A wrong one: every call fails, saying AUTH was refused, never the
     * password; the subscriber logs the same. */
    snprintf(json, sizeof json,
             "{\"url\":\"redis://:Wr0ng-Pa55-Zq@127.0.0.1:%d/0\",\"timeout_ms\":2000}", pw->port);
    assert_int_equal(rtier_open_json(&t, json), TG_OK);
    rc = t.tier->read(t.state, "gmail", "u", &out, &found);
    assert_int_equal(rc, TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), "AUTH refused"));
    assert_null(strstr(tg_error_message(), "Wr0ng"));
    {
        int64_t until = rnow() + WAIT_MS;
        while (!rlog_has("cannot subscribe") && rnow() < until)
            usleep(20000);
    }
    assert_true(rlog_has("AUTH refused"));
    assert_int_equal(t.tier->subscribed(t.state), 0);
    rtier_close(&t);
    /* None: NOAUTH. */
    snprintf(json, sizeof json, "{\"url\":\"%s\",\"timeout_ms\":2000}", pw->url);
    assert_int_equal(rtier_open_json(&t, json), TG_OK);
    rc = t.tier->read(t.state, "gmail", "u", &out, &found);
    assert_int_equal(rc, TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), "NOAUTH"));
    rtier_close(&t);
    if (strstr(rlog_text(), "Pa55") || strstr(rlog_text(), "Wr0ng"))
        fail_msg("a password is in the log: %s", rlog_text());
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
    tg_redis_stop(pw);
}

static void unix_socket(void **state)
{
    rtier t;
    char json[256];
    int found = -1;

    (void)state;
    snprintf(json, sizeof json, "{\"url\":\"unix:%s/redis.sock\",\"prefix\":\"%s\"}",
             server.dir, prefix);
    assert_int_equal(rtier_open_json(&t, json), TG_OK);
    assert_int_equal(rtier_wait_subscribed(&t), 0);
    assert_int_equal(wr(&t, TG__SHARED_ANSWER, "u", rrec_answer(TG_STATUS_ACTIVE, 1), 60000), 1);
    (void)rd(&t, "u", &found);
    assert_int_equal(found, 1);
    rtier_close(&t);
    /* A socket that is not there: an error naming it. */
    assert_int_equal(rtier_open_json(&t, "{\"url\":\"unix:/nonexistent/redis.sock\"}"), TG_OK);
    {
        tg__shared_record out;
        assert_int_equal(t.tier->read(t.state, "gmail", "u", &out, &found), TG_EPROVIDER);
        assert_non_null(strstr(tg_error_message(), "unix:/nonexistent/redis.sock"));
    }
    rtier_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_has_redis),
        cmocka_unit_test_setup_teardown(answer_then_read, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(answer_vs_answer, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(answer_vs_event, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(event_without_record, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(event_vs_event, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(event_older_than_answer, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(tombstones, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(write_refuses_bad_arguments, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(identifier_time_in_read, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(invalidations_in_read, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(lock_two_holders, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(changes_reach_others, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(keys_and_values_hold_no_secret_names, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(malformed_values, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(malformed_messages, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(passwords, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(unix_socket, each_setup, each_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
