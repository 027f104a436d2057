/* Test helper: the Redis tier's instances as the tests drive them — a sink
 * that records what it is given, tiers created over a tg_redis server, the
 * library's log lines captured. Plain C, no cmocka. */
#ifndef TG_TEST_REDIS_ENV_H
#define TG_TEST_REDIS_ENV_H

#include <pthread.h>
#include <stdint.h>

#include "redis_server.h"
#include "shared.h"

#define RSINK_MAX 256

/* What a tier delivered to its sink. */
typedef struct rsink {
    pthread_mutex_t m;
    pthread_cond_t cv;
    tg__shared_change changes[RSINK_MAX];
    int n_changes;
    int ups, downs; /* subscribed(1) and subscribed(0) calls */
    int up;         /* the last one */
} rsink;

void rsink_init(rsink *s);
void rsink_destroy(rsink *s);
tg__shared_sink rsink_sink(rsink *s);
int rsink_count(rsink *s);
/* Copy change @p i into @p out when there is one by @p timeout_ms. 0 or -1. */
int rsink_wait_change(rsink *s, int i, int timeout_ms, tg__shared_change *out);
/* Wait until the last subscribed() call was @p up and there were at least
 * @p calls calls with that value. 0 or -1 after @p timeout_ms. */
int rsink_wait_up(rsink *s, int up, int calls, int timeout_ms);
int rsink_ups(rsink *s);
int rsink_downs(rsink *s);

/* A tier instance: its state and its sink (on the heap, with the state
 * remembered apart, so that rtier_close_all() can stop a tier whose test
 * failed and left its rtier behind). */
typedef struct rtier {
    const tg__shared_tier *tier;
    void *state;
    rsink *sink;
} rtier;

/* Create "redis" over @p json (the "shared" object less "type"). TG_OK or
 * the create error (tg_error_message() says what). */
int rtier_open_json(rtier *t, const char *json);
/* Over the server @p r with @p prefix and @p timeout_ms. */
int rtier_open(rtier *t, const tg_redis *r, const char *prefix, int timeout_ms);
void rtier_close(rtier *t);
/* Close every tier still open (a test's teardown). */
void rtier_close_all(void);
/* Wait until subscribed (the sink got 1), up to 10 s. 0 or -1. */
int rtier_wait_subscribed(rtier *t);

/* The library's log lines, from now on, into one buffer. */
void rlog_capture(void);
/* 1 when a captured line contains @p needle. */
int rlog_has(const char *needle);
/* The captured text (borrowed until the next capture call). */
const char *rlog_text(void);
void rlog_clear(void);

/* CLOCK_MONOTONIC ms. */
int64_t rnow(void);

/* A record with a status, as a provider's answer as of @p asof. */
tg__shared_record rrec_answer(tg_status st, int64_t asof);
/* A record with a status from an event at @p ev. */
tg__shared_record rrec_event(tg_status st, int64_t ev);
/* A tombstone at @p ev. */
tg__shared_record rrec_tomb(int64_t ev);

#endif
