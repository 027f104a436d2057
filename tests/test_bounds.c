/*
 * Resource bounds over long runs:
 *  - the cache never holds more than cache.max_entries: the statistics after
 *    every insertion (checks and events) of 200,000 unique identifiers;
 *  - memory stays flat over that run (resident set from /proc/self/statm);
 *  - no file descriptor leaks across 10,000 misses through the file provider
 *    (with the accounts file rewritten, and broken, now and then), nor across
 *    2,000 misses through the scalekit provider against the dev server (plus
 *    misses under injected faults and against a refused port).
 *
 * The resident-set check is skipped, with a message, under AddressSanitizer
 * (its quarantine keeps freed memory), ThreadSanitizer (shadow memory) and
 * valgrind (its own allocator keeps a queue of freed blocks); leaks there are
 * the sanitizer's or memcheck's to find. TG_BOUNDS_SCALE=N divides every run
 * by N (default 1), for a quick look.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "dev_server.h"
#include "fake_provider.h"
#include "when.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TG_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TG_SANITIZED 1
#endif
#endif
#ifndef TG_SANITIZED
#define TG_SANITIZED 0
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the built scalekit-dev binary"
#endif

/* Growth of the resident set allowed between the warm-up and the end of the
 * unique-identifier run. A leak of even the smallest glibc chunk (32 bytes
 * with its header) per miss would add 180,000 x 32 B = 5.5 MiB over the
 * measured part; the cache itself is bounded (1,000 entries of about 100
 * bytes, a slot array of at most 4,096 pointers, 64 retired objects awaiting
 * reclamation) and was full before the warm-up ended, so what remains is
 * allocator noise, well under a MiB in practice. 4 MiB separates the two. */
#define RSS_GROWTH_MAX_KIB 4096

#define UNIQUE_IDS 200000
#define UNIQUE_WARMUP 20000
#define UNIQUE_MAX_ENTRIES 1000
#define FILE_MISSES 10000
#define SCALEKIT_MISSES 2000
#define DEV_ID "dev_client"
#define DEV_SECRET "dev_secret"

static long scale(void)
{
    const char *v = getenv("TG_BOUNDS_SCALE");
    long s = v && *v ? strtol(v, NULL, 10) : 1;
    return s > 0 ? s : 1;
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static tg_stats stats_of(tg_gate *g)
{
    tg_stats s = TG_STATS_INIT;
    assert_int_equal(tg_gate_stats(g, &s), TG_OK);
    return s;
}

/* ---- the cache bound and flat memory ---------------------------------------- */

/* An event making gmail/@p id ACTIVE, occurred a second from now (after the
 * provider's answer in the entry). */
static int apply_active(tg_gate *g, long serial, const char *id)
{
    char body[512], when[WHEN_MAX];
    snprintf(body, sizeof body,
             "{\"id\":\"evt_%ld\",\"type\":\"connected_account.status_updated\","
             "\"occurred_at\":\"%s\",\"data\":{\"connection_name\":\"gmail\","
             "\"identifier\":\"%s\",\"status\":\"ACTIVE\"}}",
             serial, when_rfc3339(when, 1000), id);
    return tg_gate_apply_event(g, body, strlen(body));
}

static void test_unique_identifiers(void **state)
{
    fake f;
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    char id[32];
    long i, n = UNIQUE_IDS / scale(), warm = UNIQUE_WARMUP / scale(), rss_warm = 0, rss_end;
    uint64_t inserted = 0;
    double t0 = mono_s();
    (void)state;

    assert_non_null(d);
    assert_int_equal(fake_init(&f, 16, TG_STATUS_ACTIVE, 0), 0);
    f.link_ttl_ms = 600000;
    assert_int_equal(tg_gate_new_with_provider(&g,
                                               "{\"cache\":{\"max_entries\":1000},"
                                               "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
                                               NULL, &fake_provider, &f),
                     TG_OK);
    for (i = 0; i < n; i++) {
        tg_stats s;
        snprintf(id, sizeof id, "id-%07ld", i);
        if (i % 7 == 3) {
            /* Filled by a check, then changed by an event. */
            f.missing = TG_STATUS_EXPIRED;
            assert_int_equal(tg_gate_check(g, "gmail_send", id, d), TG_OK);
            assert_int_equal(apply_active(g, i, id), TG_EVENT_APPLIED);
            assert_int_equal(tg_gate_check(g, "gmail_send", id, d), TG_OK);
            assert_int_equal(tg_decision_verdict(d), TG_VERDICT_ALLOW);
            assert_int_equal(tg_decision_source(d), TG_SOURCE_CACHE);
        } else {
            /* Every other account blocked: those misses fetch and cache a link. */
            f.missing = i % 2 ? TG_STATUS_ACTIVE : TG_STATUS_EXPIRED;
            assert_int_equal(tg_gate_check(g, "gmail_send", id, d), TG_OK);
            assert_int_equal(tg_decision_verdict(d), i % 2 ? TG_VERDICT_ALLOW
                                                           : TG_VERDICT_NEEDS_AUTHORIZATION);
            assert_int_equal(tg_decision_source(d), TG_SOURCE_PROVIDER);
        }
        inserted++;
        s = stats_of(g);
        if (s.entries > UNIQUE_MAX_ENTRIES)
            fail_msg("after %ld unique identifiers: %" PRIu64 " entries > max_entries %d", i + 1,
                     s.entries, UNIQUE_MAX_ENTRIES);
        /* Nothing else drops entries: the cache fills, then each insertion
         * evicts exactly one. */
        assert_int_equal(s.entries, inserted < UNIQUE_MAX_ENTRIES ? inserted : UNIQUE_MAX_ENTRIES);
        assert_int_equal(s.evictions,
                         inserted > UNIQUE_MAX_ENTRIES ? inserted - UNIQUE_MAX_ENTRIES : 0);
        if (i + 1 == warm)
            rss_warm = rss_kib();
    }
    rss_end = rss_kib();
    print_message("%ld unique identifiers (1 in 7 by event), max_entries %d: %.1f s; "
                  "RSS %ld KiB after %ld, %ld KiB at the end (%+ld KiB)\n",
                  n, UNIQUE_MAX_ENTRIES, mono_s() - t0, rss_warm, warm, rss_end,
                  rss_end - rss_warm);
    if (TG_SANITIZED || UNDER_VALGRIND())
        print_message("resident-set check skipped: %s keeps freed memory on purpose\n",
                      UNDER_VALGRIND() ? "valgrind" : "the sanitizer");
    else if (rss_end - rss_warm > RSS_GROWTH_MAX_KIB)
        fail_msg("resident set grew by %ld KiB over %ld unique identifiers (limit %d KiB)",
                 rss_end - rss_warm, n - warm, RSS_GROWTH_MAX_KIB);
    tg_decision_free(d);
    tg_gate_free(g);
    fake_destroy(&f);
}

/* ---- the file provider ---------------------------------------------------------- */

static char file_dir[64];

static void write_accounts(const char *text)
{
    char tmp[128], path[128];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s/accounts.json.tmp", file_dir);
    snprintf(path, sizeof path, "%s/accounts.json", file_dir);
    f = fopen(tmp, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void write_accounts_with(const char *first_status)
{
    char text[4096];
    int i, n;
    n = snprintf(text, sizeof text,
                 "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
                 "{\"connection\":\"gmail\",\"identifier\":\"f0\",\"status\":\"%s\"}",
                 first_status);
    for (i = 1; i < 50; i++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      ",{\"connection\":\"gmail\",\"identifier\":\"f%d\",\"status\":\"%s\"}", i,
                      i % 4 ? "ACTIVE" : "EXPIRED");
    snprintf(text + n, sizeof text - (size_t)n, "]}");
    write_accounts(text);
}

static void test_file_provider_fds(void **state)
{
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    char id[16], path[128];
    long i, n = FILE_MISSES / scale(), fds_before, fds_warm, fds_end, rewrites = 0, broken = 0;
    int active = 1;
    double t0;
    (void)state;

    assert_non_null(d);
    snprintf(file_dir, sizeof file_dir, "/tmp/tg-bounds-XXXXXX");
    assert_non_null(mkdtemp(file_dir));
    write_accounts_with("ACTIVE");
    fds_before = count_fds();
    assert_int_equal(tg_gate_new_from_json(&g,
                                           "{\"provider\":{\"type\":\"file\","
                                           "\"path\":\"accounts.json\"},"
                                           "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
                                           file_dir),
                     TG_OK);
    assert_int_equal(tg_gate_check(g, "gmail_send", "f1", d), TG_OK);
    assert_int_equal(tg_gate_invalidate(g, "gmail", "f1"), TG_OK);
    fds_warm = count_fds();
    t0 = mono_s();
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof id, "f%ld", i % 50);
        if (i % 500 == 499) {
            /* A new file: the next miss reads it (and keeps reading it while
             * it is younger than the file system's timestamp granularity). */
            active = !active;
            write_accounts_with(active ? "ACTIVE" : "REVOKED");
            rewrites++;
            assert_int_equal(tg_gate_invalidate(g, "gmail", "f0"), TG_OK);
            assert_int_equal(tg_gate_check(g, "gmail_send", "f0", d), TG_OK);
            assert_int_equal(tg_decision_verdict(d),
                             active ? TG_VERDICT_ALLOW : TG_VERDICT_NEEDS_AUTHORIZATION);
            assert_int_equal(tg_gate_invalidate(g, "gmail", "f0"), TG_OK);
        }
        if (i % 2000 == 1999) {
            /* A broken file: a provider failure (read, refused) until it is
             * fixed. */
            write_accounts("{\"accounts\":[{\"connection\":");
            broken++;
            assert_int_equal(tg_gate_check(g, "gmail_send", id, d), TG_OK);
            assert_int_equal(tg_decision_verdict(d), TG_VERDICT_UNAVAILABLE);
            write_accounts_with(active ? "ACTIVE" : "REVOKED");
        }
        assert_int_equal(tg_gate_check(g, "gmail_send", id, d), TG_OK);
        if (tg_decision_source(d) != TG_SOURCE_PROVIDER)
            fail_msg("miss %ld (%s) answered from the cache", i, id);
        if (i % 50 != 0)
            assert_int_equal(tg_decision_verdict(d), i % 50 % 4 ? TG_VERDICT_ALLOW
                                                                : TG_VERDICT_NEEDS_AUTHORIZATION);
        assert_int_equal(tg_gate_invalidate(g, "gmail", id), TG_OK);
    }
    fds_end = count_fds();
    print_message("file provider: %ld misses with invalidation, %ld rewrites, %ld broken files: "
                  "%.1f s; descriptors %ld before the gate, %ld after the first check, %ld at "
                  "the end\n",
                  n, rewrites, broken, mono_s() - t0, fds_before, fds_warm, fds_end);
    assert_int_equal(fds_end, fds_warm);
    tg_gate_free(g);
    assert_int_equal(count_fds(), fds_before);
    tg_decision_free(d);
    snprintf(path, sizeof path, "%s/accounts.json", file_dir);
    unlink(path);
    rmdir(file_dir);
}

/* ---- the scalekit provider against the dev server ------------------------------ */

static void scalekit_config(char *buf, size_t len, const char *url, int timeout_ms)
{
    snprintf(buf, len,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"" DEV_ID "\",\"client_secret\":\"" DEV_SECRET "\","
             "\"timeout_ms\":%d},\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             url, timeout_ms);
}

/* One check that must miss, then drop the entry again. */
static tg_verdict miss(tg_gate *g, tg_decision *d, const char *id)
{
    int rc = tg_gate_check(g, "gmail_send", id, d);
    if (rc != TG_OK)
        fail_msg("check %s: %s", id, tg_error_message());
    assert_int_equal(tg_gate_invalidate(g, "gmail", id), TG_OK);
    return tg_decision_verdict(d);
}

static void test_scalekit_provider_fds(void **state)
{
    tg_dev dev;
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    char cfg[1024], id[16];
    long i, n = SCALEKIT_MISSES / scale(), fds_start, fds_before, fds_warm, fds_end, fds_fault;
    long long conns0, conns1, requests0;
    double t0, t_run;
    (void)state;

    assert_non_null(d);
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    fds_start = count_fds();
    if (tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, DEV_SECRET) != 0)
        fail_msg("could not start %s", TG_SCALEKIT_DEV_PATH);
    for (i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "sk%ld", i);
        assert_int_equal(tg_dev_set_account(&dev, "gmail", id, i % 5 ? "ACTIVE" : "EXPIRED"), 200);
    }
    fds_before = count_fds();
    scalekit_config(cfg, sizeof cfg, dev.url, 2000);
    assert_int_equal(tg_gate_new_from_json(&g, cfg, NULL), TG_OK);
    /* Warm up: the token, the pooled handle and its connection. */
    for (i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "sk%ld", i);
        miss(g, d, id);
    }
    fds_warm = count_fds();
    /* Each admin call is a connection of its own, counted before it is
     * answered. */
    requests0 = tg_dev_stat(&dev, "requests", NULL);
    conns0 = tg_dev_stat(&dev, "connections", NULL);
    t0 = mono_s();
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof id, "sk%ld", i % 50);
        assert_int_equal(miss(g, d, id), i % 5 ? TG_VERDICT_ALLOW : TG_VERDICT_NEEDS_AUTHORIZATION);
        if (i % 5 == 0)
            assert_non_null(tg_decision_link(d));
        if (i % 250 == 0 && count_fds() != fds_warm)
            fail_msg("after %ld misses: %ld descriptors, %ld after the warm-up", i, count_fds(),
                     fds_warm);
    }
    t_run = mono_s() - t0;
    fds_end = count_fds();
    conns1 = tg_dev_stat(&dev, "connections", NULL) - 1;
    /* Each miss went over HTTP: the status, and a link for the blocked. */
    assert_int_equal(tg_dev_stat(&dev, "requests", NULL) - requests0, n + n / 5);

    /* Failed misses: HTTP 500, connections closed without an answer. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"status\":500,\"count\":100,\"routes\":\"/api/\"}"),
                     200);
    for (i = 0; i < 100; i++)
        assert_int_equal(miss(g, d, "sk1"), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"body\":\"close\",\"count\":40,\"routes\":\"/api/\"}"),
                     200);
    for (i = 0; i < 20; i++)
        assert_int_equal(miss(g, d, "sk1"), TG_VERDICT_UNAVAILABLE);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    for (i = 0; i < 5; i++)
        assert_int_equal(miss(g, d, "sk1"), TG_VERDICT_ALLOW);
    fds_fault = count_fds();
    tg_gate_free(g);

    print_message("scalekit provider: %ld misses with invalidation in %.1f s (%.2f ms each), "
                  "%lld new connections by the provider; descriptors %ld before the gate, %ld "
                  "after the warm-up, %ld at the end, %ld after 120 failed misses (500, close), "
                  "%ld after the gate\n",
                  n, t_run, t_run * 1000 / (double)n, conns1 - conns0, fds_before, fds_warm,
                  fds_end, fds_fault, count_fds());
    assert_int_equal(fds_end, fds_warm);
    /* One pooled connection, kept alive across every miss (one reconnect is
     * tolerated). */
    assert_true(conns1 - conns0 <= 1);
    assert_int_equal(fds_fault, fds_warm);
    assert_int_equal(count_fds(), fds_before);

    /* Refused connections: nothing listens on the port. */
    {
        char url[64];
        long fds_gate;
        snprintf(url, sizeof url, "http://127.0.0.1:%d", tg_dev_closed_port());
        scalekit_config(cfg, sizeof cfg, url, 300);
        assert_int_equal(tg_gate_new_from_json(&g, cfg, NULL), TG_OK);
        /* The first miss sets up the pooled handle (libcurl's wake-up socket
         * pair stays with it); the others must add nothing. */
        assert_int_equal(miss(g, d, "sk1"), TG_VERDICT_UNAVAILABLE);
        fds_gate = count_fds();
        t0 = mono_s();
        for (i = 0; i < 10; i++)
            assert_int_equal(miss(g, d, "sk1"), TG_VERDICT_UNAVAILABLE);
        print_message("refused connections: 10 failed misses in %.1f s; descriptors %ld after "
                      "the first, %ld after the last, %ld after the gate\n",
                      mono_s() - t0, fds_gate, count_fds(), fds_before);
        assert_int_equal(count_fds(), fds_gate);
        tg_gate_free(g);
        assert_int_equal(count_fds(), fds_before);
    }
    assert_int_equal(tg_dev_stop(&dev), 0);
    assert_int_equal(count_fds(), fds_start);
    tg_decision_free(d);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_identifiers),
        cmocka_unit_test(test_file_provider_fds),
        cmocka_unit_test(test_scalekit_provider_fds),
    };
    if (scale() > 1)
        print_message("runs divided by %ld (TG_BOUNDS_SCALE)\n", scale());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
