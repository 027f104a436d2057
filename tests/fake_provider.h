/* Test helper: a counting in-process provider whose answers the test sets,
 * for gate logic without any I/O (STYLE.md habit 12). Thread safe: one mutex
 * guards everything, so tests may change statuses and failures while other
 * threads check. Plain C, no cmocka: callers assert on what it reports.
 *
 * Links are "https://auth.example/<connection>/<identifier>?n=<k>" (both names
 * percent-encoded), k counting
 * the links handed out for that account (1, 2, …), so a test can tell which
 * answer a decision carries and that it belongs to the key it asked for. */
#ifndef TG_TEST_FAKE_PROVIDER_H
#define TG_TEST_FAKE_PROVIDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"

/* What get_link does when told to fail with FAKE_BAD: hand out an empty link,
 * which the gate must refuse. What get_status does: an out-of-range status. */
#define FAKE_BAD 1

typedef struct fake_account {
    char *key;               /* "connection\0identifier", malloc'd; NULL: free slot */
    size_t conn_len, id_len;
    tg_status status;
    long status_calls;       /* get_status calls for this account */
    long link_calls;         /* get_link calls for this account */
    long links;              /* links handed out (the k of the last one) */
    int64_t link_expires_at; /* expiry given with the last link (0: none) */
} fake_account;

typedef struct fake {
    pthread_mutex_t lock;
    const tg_host *host;
    fake_account *slots;     /* open addressing, power-of-two capacity */
    size_t cap, n;
    int track;               /* 1: get_status/get_link remember unknown accounts */
    tg_status missing;       /* status of an account never set */
    int64_t link_ttl_ms;     /* link expiry from now, wall clock; 0: none */
    /* Failures: 0 answers; a negative tg_err fails with it; FAKE_BAD answers
     * nonsense (see above). */
    int fail_status;
    int fail_link;
    /* Totals. */
    long status_calls, link_calls, status_errors, link_errors;
} fake;

/* The method table: create() takes the fake as its arg. */
extern const tg_provider fake_provider;

/* Set up @p f for at most @p max_accounts accounts (unknown accounts answer
 * @p missing). With @p track, accounts met in calls are remembered (and
 * counted per account) even when never set. 0, or -1 out of memory. */
int fake_init(fake *f, size_t max_accounts, tg_status missing, int track);
void fake_destroy(fake *f);

/* Set an account's status (creating the record). Aborts when full. */
void fake_set(fake *f, const char *conn, const char *id, tg_status s);
/* Failures for later calls: 0, a negative tg_err or FAKE_BAD. */
void fake_fail(fake *f, int status_rc, int link_rc);
/* A copy of the account's record (zeros and @p f->missing when unknown);
 * its key is not copied (NULL). */
fake_account fake_get(fake *f, const char *conn, const char *id);
/* Totals, under the lock. */
void fake_totals(fake *f, long *status_calls, long *link_calls, long *errors);

/* The link the fake hands out the k-th time for an account, and what all of
 * the account's links start with (connection and identifier percent-encoded,
 * as a real provider's link has them). */
void fake_link_text(char *buf, size_t len, const char *conn, const char *id, long k);
void fake_link_prefix(char *buf, size_t len, const char *conn, const char *id);

#endif
