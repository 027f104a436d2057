/*
 * The Redis tier under faults, against a real redis-server put through
 * them: down at start, killed and restarted, paused (SIGSTOP) and resumed,
 * its connections reset, slow (a script holding it). Every call is bounded
 * by timeout_ms (asserted end to end with a generous margin, against flaky
 * timing), a failure is an error and never a record, the subscriber goes
 * down and comes back up, the pool recovers, and destroy is prompt.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis_env.h"
#include "toolgate/toolgate.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */

#define WAIT_MS 15000
#define TIMEOUT_MS 200
#define MARGIN_MS 1500 /* allowed past timeout_ms: generous, against flaky timing */

static tg_redis server;

static int each_setup(void **state)
{
    (void)state;
    return tg_redis_start(&server, NULL);
}

static int each_teardown(void **state)
{
    (void)state;
    rtier_close_all(); /* those a failed test left open */
    tg_redis_stop(&server);
    return 0;
}

static void open_tier(rtier *t, int timeout_ms)
{
    int rc = rtier_open(t, &server, "f:", timeout_ms);
    if (rc != TG_OK)
        fail_msg("create: %d %s", rc, tg_error_message());
}

static void wait_up(rtier *t, int up, int calls)
{
    if (rsink_wait_up(t->sink, up, calls, WAIT_MS) != 0)
        fail_msg("subscribed() did not become %d (call %d) within %d ms: %d ups, %d downs", up,
                 calls, WAIT_MS, rsink_ups(t->sink), rsink_downs(t->sink));
    assert_int_equal(t->tier->subscribed(t->state), up);
}

/* A read that must fail with @p want within timeout_ms and the margin,
 * finding nothing. */
static void read_fails(rtier *t, int want, const char *says)
{
    tg__shared_record out;
    int found = -1, rc;
    int64_t t0 = rnow(), took;

    rc = t->tier->read(t->state, "gmail", "u", &out, &found);
    took = rnow() - t0;
    print_message("    read failed after %lld ms: %s\n", (long long)took, tg_error_message());
    assert_int_equal(rc, want);
    assert_int_equal(found, 0);
    assert_true(took <= TIMEOUT_MS + MARGIN_MS);
    if (says && !strstr(tg_error_message(), says))
        fail_msg("\"%s\" does not say %s", tg_error_message(), says);
}

static int read_ok(rtier *t, int *found)
{
    tg__shared_record out;
    int rc = t->tier->read(t->state, "gmail", "u", &out, found);
    if (rc != TG_OK)
        print_message("    read: %d %s\n", rc, tg_error_message());
    return rc;
}

/* Store an answer through a tier of its own with a generous timeout: the
 * set-up of a test is not what it measures (and valgrind is slow). */
static void write_answer(int64_t asof)
{
    rtier w;
    tg__shared_record r = rrec_answer(TG_STATUS_ACTIVE, asof);
    int applied = -1, rc;

    open_tier(&w, 10000);
    rc = w.tier->write(w.state, TG__SHARED_ANSWER, "gmail", "u", &r, 60000, &applied);
    if (rc != TG_OK)
        fail_msg("write: %d %s", rc, tg_error_message());
    assert_int_equal(applied, 1);
    rtier_close(&w);
}

static void down_at_start(void **state)
{
    rtier t;
    char where[64];
    int found = -1;

    (void)state;
    tg_redis_kill(&server);
    open_tier(&t, TIMEOUT_MS); /* the tier is down: create still works */
    assert_int_equal(t.tier->subscribed(t.state), 0);
    snprintf(where, sizeof where, "Redis at 127.0.0.1:%d", server.port);
    read_fails(&t, TG_EPROVIDER, where);
    read_fails(&t, TG_EPROVIDER, "connect");
    assert_int_equal(rsink_ups(t.sink), 0);
    assert_int_equal(tg_redis_restart(&server), 0);
    wait_up(&t, 1, 1);
    assert_int_equal(read_ok(&t, &found), TG_OK);
    assert_int_equal(found, 0);
    assert_int_equal(rsink_downs(t.sink), 0);
    rtier_close(&t);
}

static void killed_and_restarted(void **state)
{
    rtier a, b;
    tg__shared_change c;
    int found = -1;

    (void)state;
    open_tier(&a, TIMEOUT_MS);
    open_tier(&b, TIMEOUT_MS);
    wait_up(&a, 1, 1);
    wait_up(&b, 1, 1);
    write_answer(100);
    assert_int_equal(read_ok(&a, &found), TG_OK); /* a pooled connection to go stale */
    assert_int_equal(found, 1);
    tg_redis_kill(&server);
    wait_up(&a, 0, 1);
    wait_up(&b, 0, 1);
    read_fails(&b, TG_EPROVIDER, NULL); /* b: a keeps its stale connection */
    assert_int_equal(tg_redis_restart(&server), 0);
    /* The first call after the restart goes through: the pooled connection
     * Redis closed is seen and replaced. No persistence: the record is gone. */
    assert_int_equal(read_ok(&a, &found), TG_OK);
    assert_int_equal(found, 0);
    wait_up(&a, 1, 2);
    wait_up(&b, 1, 2);
    /* And changes flow again. */
    write_answer(200);
    assert_int_equal(rsink_wait_change(b.sink, 1, WAIT_MS, &c), 0);
    assert_int_equal(c.record.asof_ms, 200);
    rtier_close(&a);
    rtier_close(&b);
}

typedef struct paused_caller {
    rtier *t;
    int calls, bounded, failed_clean;
} paused_caller;

static void *paused_reads(void *arg)
{
    paused_caller *p = arg;
    int i;
    for (i = 0; i < p->calls; i++) {
        tg__shared_record out;
        int found = -1, rc;
        int64_t t0 = rnow();
        rc = p->t->tier->read(p->t->state, "gmail", "u", &out, &found);
        if (rnow() - t0 <= TIMEOUT_MS + MARGIN_MS)
            p->bounded++;
        if (rc == TG_ETIMEOUT && found == 0)
            p->failed_clean++;
    }
    return NULL;
}

static void paused_and_resumed(void **state)
{
    rtier t;
    tg__shared_record r = rrec_answer(TG_STATUS_ACTIVE, 5), out;
    tg__shared_change c;
    paused_caller pc[4];
    pthread_t th[4];
    int64_t t0, took;
    int rc, got = -1, applied = -1, found = -1, i;

    (void)state;
    open_tier(&t, TIMEOUT_MS);
    wait_up(&t, 1, 1);
    write_answer(1);
    assert_int_equal(tg_redis_pause(&server), 0);

    read_fails(&t, TG_ETIMEOUT, "timed out");
    t0 = rnow();
    rc = t.tier->write(t.state, TG__SHARED_ANSWER, "gmail", "u", &r, 60000, &applied);
    took = rnow() - t0;
    assert_int_equal(rc, TG_ETIMEOUT);
    assert_int_equal(applied, 0);
    assert_true(took <= TIMEOUT_MS + MARGIN_MS);
    assert_non_null(strstr(tg_error_message(), "timeout_ms 200"));
    memset(&c, 0, sizeof c);
    c.kind = TG__CHANGE_INVALIDATE;
    t0 = rnow();
    rc = t.tier->publish(t.state, &c);
    assert_int_equal(rc, TG_ETIMEOUT);
    assert_true(rnow() - t0 <= TIMEOUT_MS + MARGIN_MS);
    t0 = rnow();
    rc = t.tier->lock(t.state, "gmail", "u", 1000, &got);
    assert_int_equal(rc, TG_ETIMEOUT);
    assert_int_equal(got, 0);
    assert_true(rnow() - t0 <= TIMEOUT_MS + MARGIN_MS);
    t0 = rnow();
    t.tier->unlock(t.state, "gmail", "u");
    assert_true(rnow() - t0 <= TIMEOUT_MS + MARGIN_MS);

    /* Many callers at once, more than the pool holds: none wedged. */
    for (i = 0; i < 4; i++) {
        pc[i].t = &t;
        pc[i].calls = 5;
        pc[i].bounded = pc[i].failed_clean = 0;
        assert_int_equal(pthread_create(&th[i], NULL, paused_reads, &pc[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(pc[i].bounded, 5);
        assert_int_equal(pc[i].failed_clean, 5);
    }
    /* The subscriber hears nothing back from its PING: down. */
    wait_up(&t, 0, 1);
    assert_int_equal(tg_redis_resume(&server), 0);
    wait_up(&t, 1, 2);
    rc = t.tier->read(t.state, "gmail", "u", &out, &found);
    assert_int_equal(rc, TG_OK);
    assert_int_equal(found, 1);
    /* A call that timed out has an unknown outcome: the write sent before
     * the pause may have been run when Redis resumed. */
    assert_true(out.asof_ms == 1 || out.asof_ms == 5);
    rtier_close(&t);
}

static redisReply *raw(const char *cmd)
{
    redisContext *c = tg_redis_client(&server);
    redisReply *r;
    assert_non_null(c);
    r = redisCommand(c, cmd);
    redisFree(c);
    return r;
}

static void connections_reset(void **state)
{
    rtier t;
    redisReply *r;
    int found = -1;

    (void)state;
    open_tier(&t, TIMEOUT_MS);
    wait_up(&t, 1, 1);
    write_answer(1);
    assert_int_equal(read_ok(&t, &found), TG_OK);
    /* Every command connection reset: the next call still goes through. */
    r = raw("CLIENT KILL TYPE normal");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
    assert_int_equal(read_ok(&t, &found), TG_OK);
    assert_int_equal(found, 1);
    assert_int_equal(rsink_downs(t.sink), 0);
    /* The subscription reset: down, then up again. */
    r = raw("CLIENT KILL TYPE pubsub");
    assert_non_null(r);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    wait_up(&t, 0, 1);
    wait_up(&t, 1, 2);
    rtier_close(&t);
}

typedef struct busy {
    int port;
    int ok;
} busy;

/* Hold Redis in a script for 1.5 s (under lua-time-limit, so no BUSY). */
static void *busy_script(void *arg)
{
    busy *b = arg;
    struct timeval tv = { 10, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", b->port, tv);
    redisReply *r;

    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    r = redisCommand(c, "EVAL %s 0",
                     "local s = redis.call('TIME') "
                     "local n repeat n = redis.call('TIME') "
                     "until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 1500000 return 1");
    b->ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

static void slow(void **state)
{
    rtier t;
    busy b = { 0, 0 };
    pthread_t th;
    int found = -1;

    (void)state;
    open_tier(&t, TIMEOUT_MS);
    write_answer(1);
    b.port = server.port;
    assert_int_equal(pthread_create(&th, NULL, busy_script, &b), 0);
    usleep(300000);
    read_fails(&t, TG_ETIMEOUT, "timed out");
    pthread_join(th, NULL);
    assert_int_equal(b.ok, 1);
    assert_int_equal(read_ok(&t, &found), TG_OK);
    assert_int_equal(found, 1);
    rtier_close(&t);
}

static void destroy_is_prompt(void **state)
{
    rtier t;
    int64_t t0;

    (void)state;
    /* Subscribed, Redis paused: the subscriber waits on a silent socket. */
    open_tier(&t, 5000);
    wait_up(&t, 1, 1);
    assert_int_equal(tg_redis_pause(&server), 0);
    usleep(300000);
    t0 = rnow();
    rtier_close(&t);
    assert_true(rnow() - t0 <= MARGIN_MS);
    assert_int_equal(tg_redis_resume(&server), 0);
    /* Down: the subscriber is in its backoff. */
    tg_redis_kill(&server);
    open_tier(&t, TIMEOUT_MS);
    usleep(1500000);
    t0 = rnow();
    rtier_close(&t);
    assert_true(rnow() - t0 <= MARGIN_MS);
}

typedef struct worker {
    rtier *t;
    int id, ops, errors;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char ident[16];
    int i;

    for (i = 0; i < w->ops; i++) {
        tg__shared_record r, out;
        int applied, found, got, rc = TG_OK;
        snprintf(ident, sizeof ident, "u%d", i % 5);
        switch (i % 4) {
        case 0:
            r = rrec_answer(TG_STATUS_ACTIVE, 1000 + i);
            rc = w->t->tier->write(w->t->state, TG__SHARED_ANSWER, "gmail", ident, &r, 60000,
                                   &applied);
            break;
        case 1:
            rc = w->t->tier->read(w->t->state, "gmail", ident, &out, &found);
            break;
        case 2:
            r = rrec_event(TG_STATUS_EXPIRED, 1000 + i);
            rc = w->t->tier->write(w->t->state, TG__SHARED_EVENT, "gmail", ident, &r, 60000,
                                   &applied);
            break;
        default:
            rc = w->t->tier->lock(w->t->state, "gmail", ident, 5000, &got);
            if (rc == TG_OK && got)
                w->t->tier->unlock(w->t->state, "gmail", ident);
            break;
        }
        if (rc != TG_OK)
            w->errors++;
    }
    return NULL;
}

static void many_threads(void **state)
{
    rtier a, b;
    worker w[4];
    pthread_t th[4];
    int i;

    (void)state;
    open_tier(&a, 5000);
    open_tier(&b, 5000);
    wait_up(&a, 1, 1);
    wait_up(&b, 1, 1);
    for (i = 0; i < 4; i++) {
        w[i].t = i % 2 ? &b : &a;
        w[i].id = i;
        w[i].ops = 200;
        w[i].errors = 0;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    /* Each saw the other's changes. */
    assert_true(rsink_count(a.sink) > 0);
    assert_true(rsink_count(b.sink) > 0);
    rtier_close(&a);
    rtier_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(down_at_start, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(killed_and_restarted, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(paused_and_resumed, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(connections_reset, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(slow, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(destroy_is_prompt, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(many_threads, each_setup, each_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
