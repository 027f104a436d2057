/* Interned connection registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "toolgate/toolgate.h"
#include "conns.h"

static int setup(void **state)
{
    static tg__conns c;
    if (tg__conns_init(&c) != TG_OK)
        return -1;
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    tg__conns_destroy(*state);
    return 0;
}

static const tg__conn *intern(tg__conns *c, const char *name)
{
    int err = 12345;
    const tg__conn *e = tg__conns_intern(c, name, strlen(name), &err);
    if (!e)
        fail_msg("intern(\"%s\") failed: %d", name, err);
    assert_int_equal(err, TG_OK);
    return e;
}

static void test_intern_and_find(void **state)
{
    tg__conns *c = *state;
    const tg__conn *g;

    assert_null(tg__conns_find(c, "gmail", 5));
    g = intern(c, "gmail");
    assert_string_equal(g->name, "gmail");
    assert_int_equal(g->len, 5);
    assert_int_equal(g->index, 0);
    assert_ptr_equal(tg__conns_find(c, "gmail", 5), g);
    assert_int_equal(c->n, 1);
    assert_ptr_equal(c->items[0], g);

    /* lookups compare whole names */
    assert_null(tg__conns_find(c, "gmai", 4));
    assert_null(tg__conns_find(c, "gmailx", 6));
    assert_null(tg__conns_find(c, "GMAIL", 5));
    assert_null(tg__conns_find(c, "", 0));
    assert_null(tg__conns_find(c, NULL, 3));
}

static void test_dedupe(void **state)
{
    tg__conns *c = *state;
    const tg__conn *a = intern(c, "slack");
    const tg__conn *b = intern(c, "slack");
    char copy[] = "slack";

    assert_ptr_equal(a, b);
    assert_ptr_equal(intern(c, copy), a);
    assert_int_equal(c->n, 1);
    assert_ptr_not_equal(intern(c, "Slack"), a);
    assert_int_equal(c->n, 2);
}

/* The name is taken by length: no NUL needed after it, one is added. */
static void test_length_bounded_name(void **state)
{
    tg__conns *c = *state;
    int err;
    const tg__conn *e = tg__conns_intern(c, "gmail_send_email", 5, &err);

    assert_non_null(e);
    assert_int_equal(err, TG_OK);
    assert_string_equal(e->name, "gmail");
    assert_int_equal(e->len, 5);
    assert_ptr_equal(tg__conns_find(c, "gmail!!", 5), e);
    assert_ptr_equal(intern(c, "gmail"), e);
    /* a NULL err is allowed */
    assert_ptr_equal(tg__conns_intern(c, "gmail", 5, NULL), e);
}

static void test_hash_fixed(void **state)
{
    tg__conns *c = *state, other;
    const tg__conn *a, *b, *d;

    a = intern(c, "github");
    d = intern(c, "gitlab");
    assert_int_equal(tg__conns_init(&other), TG_OK);
    intern(&other, "zzz");
    b = intern(&other, "github");
    /* the same name hashes the same in every registry, and not like another */
    assert_true(a->hash == b->hash);
    assert_true(a->hash != d->hash);
    assert_int_equal(b->index, 1);
    tg__conns_destroy(&other);
}

static void test_dense_indexes(void **state)
{
    tg__conns *c = *state;
    char name[32];
    size_t i;

    for (i = 0; i < 300; i++) {
        const tg__conn *e;
        snprintf(name, sizeof name, "conn %zu", i);
        e = intern(c, name);
        assert_int_equal(e->index, i);
        assert_ptr_equal(c->items[i], e);
        /* re-interning an old name gives the old index */
        assert_int_equal(intern(c, "conn 0")->index, 0);
    }
    assert_int_equal(c->n, 300);
    for (i = 0; i < 300; i++) {
        const tg__conn *e;
        snprintf(name, sizeof name, "conn %zu", i);
        e = tg__conns_find(c, name, strlen(name));
        assert_non_null(e);
        assert_int_equal(e->index, i);
        assert_string_equal(e->name, name);
    }
}

static void test_bound(void **state)
{
    tg__conns *c = *state;
    const tg__conn *first, *e;
    char name[32];
    size_t i;
    int err;

    first = intern(c, "c0");
    for (i = 1; i < TG__MAX_CONNECTIONS; i++) {
        snprintf(name, sizeof name, "c%zu", i);
        intern(c, name);
    }
    assert_int_equal(c->n, TG__MAX_CONNECTIONS);

    err = 0;
    e = tg__conns_intern(c, "one too many", 12, &err);
    assert_null(e);
    assert_int_equal(err, TG_EINVAL);
    assert_non_null(strstr(tg_error_message(), "connections"));
    assert_int_equal(c->n, TG__MAX_CONNECTIONS);
    assert_null(tg__conns_find(c, "one too many", 12));

    /* known names still intern and resolve at the bound; nothing moved */
    assert_ptr_equal(intern(c, "c0"), first);
    assert_string_equal(first->name, "c0");
    for (i = 0; i < TG__MAX_CONNECTIONS; i++) {
        snprintf(name, sizeof name, "c%zu", i);
        e = tg__conns_find(c, name, strlen(name));
        assert_non_null(e);
        assert_int_equal(e->index, i);
    }
}

static void test_invalid_arguments(void **state)
{
    tg__conns *c = *state;
    char longname[TG_CONNECTION_MAX + 2];
    int err = 0;

    assert_null(tg__conns_intern(c, NULL, 3, &err));
    assert_int_equal(err, TG_EINVAL);
    err = 0;
    assert_null(tg__conns_intern(c, "x", 0, &err));
    assert_int_equal(err, TG_EINVAL);
    memset(longname, 'l', sizeof longname);
    err = 0;
    assert_null(tg__conns_intern(c, longname, TG_CONNECTION_MAX + 1, &err));
    assert_int_equal(err, TG_EINVAL);
    assert_non_null(tg__conns_intern(c, longname, TG_CONNECTION_MAX, &err));
    assert_int_equal(c->n, 1);
}

static void test_destroy_zeroed_and_twice(void **state)
{
    tg__conns z;
    (void)state;
    memset(&z, 0, sizeof z);
    tg__conns_destroy(&z);
    assert_int_equal(tg__conns_init(&z), TG_OK);
    intern(&z, "a");
    tg__conns_destroy(&z);
    tg__conns_destroy(&z);
    tg__conns_destroy(NULL);
}

/* ---- threads: every thread interns the same names in a different order ---- */

#define N_THREADS 4
#define N_NAMES 1000

typedef struct worker {
    tg__conns *c;
    size_t start;
    const tg__conn *got[N_NAMES];
    int failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char name[32];
    size_t k;

    for (k = 0; k < N_NAMES; k++) {
        size_t i = (w->start + k * 7) % N_NAMES;
        const tg__conn *found;
        int err;
        snprintf(name, sizeof name, "shared-%zu", i);
        w->got[i] = tg__conns_intern(w->c, name, strlen(name), &err);
        if (!w->got[i] || err != TG_OK)
            w->failed = 1;
        found = tg__conns_find(w->c, name, strlen(name));
        if (found != w->got[i])
            w->failed = 1;
    }
    return NULL;
}

static void test_concurrent_intern(void **state)
{
    tg__conns *c = *state;
    static worker w[N_THREADS];
    pthread_t t[N_THREADS];
    unsigned char seen[N_NAMES];
    size_t i, j;

    for (i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].c = c;
        w[i].start = i * 250;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    assert_int_equal(c->n, N_NAMES);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < N_THREADS; i++) {
        assert_false(w[i].failed);
        for (j = 0; j < N_NAMES; j++)
            assert_ptr_equal(w[i].got[j], w[0].got[j]);
    }
    /* every index 0..N-1 is used exactly once */
    for (j = 0; j < N_NAMES; j++) {
        uint32_t idx = w[0].got[j]->index;
        assert_true(idx < N_NAMES);
        assert_false(seen[idx]);
        seen[idx] = 1;
        assert_ptr_equal(c->items[idx], w[0].got[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intern_and_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_bounded_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_fixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dense_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
        cmocka_unit_test(test_destroy_zeroed_and_twice),
        cmocka_unit_test_setup_teardown(test_concurrent_intern, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
