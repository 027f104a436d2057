/*
 * One member of a fleet, as an agent runtime's worker process would hold
 * it: its own gate over the configuration it is given, checked from several
 * threads, receiving webhooks. The fleet tests (test_fleet_*.c, through
 * harness.c) start several of these and drive each over its stdin and
 * stdout, one command a line, fields separated by tabs, one answer line per
 * command:
 *
 *   open CONFIG_JSON                     ok | err CODE MESSAGE
 *   close                                ok
 *   check TOOL ID                        ok VERDICT STATUS SOURCE MICROS LINK | err CODE MESSAGE
 *   try TOOL ID                          the same, or wouldblock (tg_gate_try_check)
 *   burst THREADS ROUNDS TOOL ID,ID,...  ok MAX_MICROS ERRORS ID=VERDICTS/STATUSES/SOURCES ...
 *   until TOOL ID VERDICT TIMEOUT_MS     ok SEEN_AT_US CHECKS SOURCE MAX_MICROS OTHERS_AFTER
 *                                        | timeout LAST_VERDICT CHECKS MAX_MICROS
 *   untildrop TOOL ID TIMEOUT_MS         ok SEEN_AT_US | timeout
 *   webhook SECRET MSG_ID TS SIG BODY    ok RESULT APPLIED_AT_US | err CODE MESSAGE
 *   invalidate CONN|- ID|-               ok APPLIED_AT_US | err CODE MESSAGE
 *   stats                                ok NAME=VALUE ...
 *   mark                                 ok
 *   waitlog TEXT COUNT TIMEOUT_MS        ok N | timeout N
 *   quit                                 (closes the gate, exits 0)
 *
 * Times *_AT_US are CLOCK_MONOTONIC microseconds, one clock for every
 * process of the host, so the test compares them across workers: when the
 * change was applied, when the first check that saw it began. VERDICTS,
 * STATUSES and SOURCES are bit masks (1 << the enum value) of what the
 * burst's checks saw for that identifier. "until" keeps checking for a
 * little while after it saw the verdict and counts the checks in that time
 * that gave another (a change that did not hold).
 *
 * Every diagnostic line of the library (DEBUG and up) goes to stderr, as
 * "log LEVEL MESSAGE"; the test reads stderr after the run for secrets.
 * Lines at INFO and up are also kept for waitlog, which counts those since
 * the last open or mark that contain TEXT. Only the public API is used.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toolgate/toolgate.h"

#define FW_LINE_MAX (64 * 1024)
#define FW_FIELDS 8
#define FW_BURST_IDS 32
#define FW_BURST_THREADS 16
/* What "until" keeps checking after it saw the verdict. */
#define FW_SETTLE_CHECKS 50
/* The log lines kept for waitlog (the oldest go first). */
#define FW_LOG_KEEP 1024

static tg_gate *gate;

/* ---- time ------------------------------------------------------------------ */

static int64_t fw_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fw_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- the library's log ---------------------------------------------------------- */

static pthread_mutex_t log_m = PTHREAD_MUTEX_INITIALIZER;
static char *log_kept[FW_LOG_KEEP];
static int log_next;

static void fw_log(void *ctx, tg_log_level level, const char *message)
{
    (void)ctx;
    pthread_mutex_lock(&log_m);
    fprintf(stderr, "log %s %s\n", tg_log_level_name(level), message);
    fflush(stderr);
    if (level <= TG_LOG_INFO) {
        free(log_kept[log_next]);
        log_kept[log_next] = strdup(message);
        log_next = (log_next + 1) % FW_LOG_KEEP;
    }
    pthread_mutex_unlock(&log_m);
}

/* Forget the lines kept so far. */
static void fw_log_mark(void)
{
    int i;
    pthread_mutex_lock(&log_m);
    for (i = 0; i < FW_LOG_KEEP; i++) {
        free(log_kept[i]);
        log_kept[i] = NULL;
    }
    pthread_mutex_unlock(&log_m);
}

static int fw_log_count(const char *text)
{
    int i, n = 0;
    pthread_mutex_lock(&log_m);
    for (i = 0; i < FW_LOG_KEEP; i++)
        if (log_kept[i] && strstr(log_kept[i], text))
            n++;
    pthread_mutex_unlock(&log_m);
    return n;
}

/* ---- answers ------------------------------------------------------------------- */

static void fw_reply(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* An error answer: the code and the library's message, tabs and newlines
 * made spaces so that it stays one field of one line. */
static void fw_reply_error(int rc)
{
    char msg[1024];
    size_t i;
    snprintf(msg, sizeof msg, "%s", tg_error_message());
    for (i = 0; msg[i]; i++)
        if (msg[i] == '\t' || msg[i] == '\n' || msg[i] == '\r')
            msg[i] = ' ';
    fw_reply("err\t%d\t%s", rc, msg);
}

static const char *fw_source_name(tg_source s)
{
    switch (s) {
    case TG_SOURCE_NONE: return "none";
    case TG_SOURCE_CACHE: return "cache";
    case TG_SOURCE_PROVIDER: return "provider";
    case TG_SOURCE_SHARED: return "shared";
    }
    return "?";
}

static int fw_verdict_parse(const char *name, tg_verdict *out)
{
    tg_verdict v;
    for (v = TG_VERDICT_ALLOW; v <= TG_VERDICT_DENY; v++)
        if (strcmp(tg_verdict_name(v), name) == 0) {
            *out = v;
            return 0;
        }
    return -1;
}

/* ---- commands ---------------------------------------------------------------------- */

static int fw_need_gate(void)
{
    if (gate)
        return 1;
    fw_reply("err\t0\tno gate: send open first");
    return 0;
}

static void fw_open(const char *json)
{
    int rc;
    if (gate) {
        fw_reply("err\t0\ta gate is open: send close first");
        return;
    }
    fw_log_mark();
    rc = tg_gate_new_from_json(&gate, json, NULL);
    if (rc != TG_OK) {
        fw_reply_error(rc);
        return;
    }
    fw_reply("ok");
}

static void fw_close(void)
{
    tg_gate_free(gate);
    gate = NULL;
    fw_reply("ok");
}

/* One check, timed; -1 (and an error answer) when it is not a verdict. */
static int fw_check_once(tg_decision *d, const char *tool, const char *id, int try_only,
                         int64_t *micros)
{
    int64_t t0 = fw_now_us();
    int rc = try_only ? tg_gate_try_check(gate, tool, id, d) : tg_gate_check(gate, tool, id, d);
    *micros = fw_now_us() - t0;
    return rc;
}

static void fw_check(const char *tool, const char *id, int try_only)
{
    tg_decision *d = tg_decision_new();
    int64_t micros = 0;
    int rc;

    if (!d) {
        fw_reply("err\t%d\tout of memory", TG_ENOMEM);
        return;
    }
    rc = fw_check_once(d, tool, id, try_only, &micros);
    if (rc == TG_EWOULDBLOCK && try_only)
        fw_reply("wouldblock");
    else if (rc != TG_OK)
        fw_reply_error(rc);
    else
        fw_reply("ok\t%s\t%s\t%s\t%lld\t%s", tg_verdict_name(tg_decision_verdict(d)),
                 tg_status_name(tg_decision_status(d)), fw_source_name(tg_decision_source(d)),
                 (long long)micros, tg_decision_link(d) ? tg_decision_link(d) : "-");
    tg_decision_free(d);
}

/* A burst: THREADS threads, started together, each checking every
 * identifier ROUNDS times (each from its own offset, so they collide). */
typedef struct fw_seen {
    unsigned verdicts, statuses, sources;
} fw_seen;

typedef struct fw_burst {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int waiting, go, threads, rounds;
    const char *tool;
    char *ids[FW_BURST_IDS];
    int n_ids;
    fw_seen seen[FW_BURST_IDS];
    int64_t max_micros;
    long errors;
} fw_burst;

typedef struct fw_burst_thread {
    fw_burst *b;
    int index;
} fw_burst_thread;

static void *fw_burst_run(void *arg)
{
    fw_burst_thread *t = arg;
    fw_burst *b = t->b;
    tg_decision *d = tg_decision_new();
    fw_seen seen[FW_BURST_IDS];
    int64_t max_micros = 0;
    long errors = 0;
    int r, i;

    memset(seen, 0, sizeof seen);
    pthread_mutex_lock(&b->m);
    b->waiting++;
    pthread_cond_broadcast(&b->cv);
    while (!b->go)
        pthread_cond_wait(&b->cv, &b->m);
    pthread_mutex_unlock(&b->m);
    for (r = 0; d && r < b->rounds; r++) {
        for (i = 0; i < b->n_ids; i++) {
            int k = (i + t->index) % b->n_ids;
            int64_t micros = 0;
            if (fw_check_once(d, b->tool, b->ids[k], 0, &micros) != TG_OK) {
                errors++;
                continue;
            }
            if (micros > max_micros)
                max_micros = micros;
            seen[k].verdicts |= 1u << tg_decision_verdict(d);
            seen[k].statuses |= 1u << tg_decision_status(d);
            seen[k].sources |= 1u << tg_decision_source(d);
        }
    }
    if (!d)
        errors++;
    tg_decision_free(d);
    pthread_mutex_lock(&b->m);
    for (i = 0; i < b->n_ids; i++) {
        b->seen[i].verdicts |= seen[i].verdicts;
        b->seen[i].statuses |= seen[i].statuses;
        b->seen[i].sources |= seen[i].sources;
    }
    if (max_micros > b->max_micros)
        b->max_micros = max_micros;
    b->errors += errors;
    pthread_mutex_unlock(&b->m);
    return NULL;
}

static void fw_burst_cmd(const char *threads, const char *rounds, const char *tool, char *ids)
{
    fw_burst b;
    fw_burst_thread bt[FW_BURST_THREADS];
    pthread_t th[FW_BURST_THREADS];
    char out[FW_LINE_MAX], *save = NULL, *id;
    size_t used;
    int i, started = 0;

    memset(&b, 0, sizeof b);
    b.threads = atoi(threads);
    b.rounds = atoi(rounds);
    b.tool = tool;
    for (id = strtok_r(ids, ",", &save); id && b.n_ids < FW_BURST_IDS;
         id = strtok_r(NULL, ",", &save))
        b.ids[b.n_ids++] = id;
    if (b.threads < 1 || b.threads > FW_BURST_THREADS || b.rounds < 1 || b.n_ids == 0) {
        fw_reply("err\t0\tburst: 1-%d threads, 1 round or more, 1-%d identifiers",
                 FW_BURST_THREADS, FW_BURST_IDS);
        return;
    }
    pthread_mutex_init(&b.m, NULL);
    pthread_cond_init(&b.cv, NULL);
    for (i = 0; i < b.threads; i++) {
        bt[i].b = &b;
        bt[i].index = i;
        if (pthread_create(&th[i], NULL, fw_burst_run, &bt[i]) != 0)
            break;
        started++;
    }
    pthread_mutex_lock(&b.m);
    while (b.waiting < started)
        pthread_cond_wait(&b.cv, &b.m);
    b.go = 1;
    pthread_cond_broadcast(&b.cv);
    pthread_mutex_unlock(&b.m);
    for (i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (started < b.threads)
        b.errors++;
    used = (size_t)snprintf(out, sizeof out, "ok\t%lld\t%ld", (long long)b.max_micros, b.errors);
    for (i = 0; i < b.n_ids && used < sizeof out; i++)
        used += (size_t)snprintf(out + used, sizeof out - used, "\t%s=%u/%u/%u", b.ids[i],
                                 b.seen[i].verdicts, b.seen[i].statuses, b.seen[i].sources);
    fw_reply("%s", out);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.m);
}

/* Check every millisecond until the verdict is @p want; then a few more
 * checks, counting those that give another verdict. */
static void fw_until(const char *tool, const char *id, const char *want_name,
                     const char *timeout_ms)
{
    tg_decision *d = tg_decision_new();
    tg_verdict want, last = TG_VERDICT_DENY;
    int64_t deadline, max_micros = 0, micros = 0, seen_at = 0;
    long checks = 0;
    int other_after = 0, i;
    const char *source = "none";

    if (!d || fw_verdict_parse(want_name, &want) != 0) {
        fw_reply("err\t0\tuntil: unknown verdict or out of memory");
        tg_decision_free(d);
        return;
    }
    deadline = fw_now_us() + (int64_t)atoi(timeout_ms) * 1000;
    for (;;) {
        int64_t started = fw_now_us();
        int rc = fw_check_once(d, tool, id, 0, &micros);
        checks++;
        if (micros > max_micros)
            max_micros = micros;
        if (rc != TG_OK) {
            fw_reply_error(rc);
            tg_decision_free(d);
            return;
        }
        last = tg_decision_verdict(d);
        if (last == want) {
            seen_at = started;
            source = fw_source_name(tg_decision_source(d));
            break;
        }
        if (fw_now_us() >= deadline) {
            fw_reply("timeout\t%s\t%ld\t%lld", tg_verdict_name(last), checks,
                     (long long)max_micros);
            tg_decision_free(d);
            return;
        }
        fw_sleep_ms(1);
    }
    for (i = 0; i < FW_SETTLE_CHECKS; i++) {
        if (fw_check_once(d, tool, id, 0, &micros) != TG_OK || tg_decision_verdict(d) != want)
            other_after++;
        if (micros > max_micros)
            max_micros = micros;
    }
    fw_reply("ok\t%lld\t%ld\t%s\t%lld\t%d", (long long)seen_at, checks, source,
             (long long)max_micros, other_after);
    tg_decision_free(d);
}

/* Until the entry is gone: tg_gate_try_check needs the provider. */
static void fw_until_dropped(const char *tool, const char *id, const char *timeout_ms)
{
    tg_decision *d = tg_decision_new();
    int64_t deadline = fw_now_us() + (int64_t)atoi(timeout_ms) * 1000, micros;

    while (d) {
        if (fw_check_once(d, tool, id, 1, &micros) == TG_EWOULDBLOCK) {
            fw_reply("ok\t%lld", (long long)fw_now_us());
            tg_decision_free(d);
            return;
        }
        if (fw_now_us() >= deadline)
            break;
        fw_sleep_ms(1);
    }
    fw_reply("timeout");
    tg_decision_free(d);
}

static void fw_webhook(char **f)
{
    int64_t at = fw_now_us();
    int rc = tg_gate_apply_webhook(gate, f[1], f[2], f[3], f[4], f[5], strlen(f[5]),
                                   (int64_t)time(NULL));
    if (rc < 0) {
        fw_reply_error(rc);
        return;
    }
    fw_reply("ok\t%d\t%lld", rc, (long long)at);
}

static void fw_invalidate(const char *conn, const char *id)
{
    int64_t at = fw_now_us();
    int rc = tg_gate_invalidate(gate, strcmp(conn, "-") ? conn : NULL, strcmp(id, "-") ? id : NULL);
    if (rc != TG_OK) {
        fw_reply_error(rc);
        return;
    }
    fw_reply("ok\t%lld", (long long)at);
}

static void fw_stats(void)
{
    tg_stats s = TG_STATS_INIT;
    int rc = tg_gate_stats(gate, &s);
    if (rc != TG_OK) {
        fw_reply_error(rc);
        return;
    }
    fw_reply("ok\thits=%llu\tmisses=%llu\tprovider_calls=%llu\tprovider_errors=%llu"
             "\tentries=%llu\tshared_hits=%llu\tshared_misses=%llu\tshared_errors=%llu"
             "\tshared_publishes=%llu\tshared_received=%llu",
             (unsigned long long)s.hits, (unsigned long long)s.misses,
             (unsigned long long)s.provider_calls, (unsigned long long)s.provider_errors,
             (unsigned long long)s.entries, (unsigned long long)s.shared_hits,
             (unsigned long long)s.shared_misses, (unsigned long long)s.shared_errors,
             (unsigned long long)s.shared_publishes, (unsigned long long)s.shared_received);
}

static void fw_waitlog(const char *text, const char *count, const char *timeout_ms)
{
    int64_t deadline = fw_now_us() + (int64_t)atoi(timeout_ms) * 1000;
    int want = atoi(count), n;

    while ((n = fw_log_count(text)) < want && fw_now_us() < deadline)
        fw_sleep_ms(5);
    fw_reply("%s\t%d", n >= want ? "ok" : "timeout", n);
}

/* Split @p line at tabs into at most FW_FIELDS fields; the last keeps the
 * rest. Returns the count. */
static int fw_split(char *line, char **f)
{
    int n = 0;
    char *p = line;
    while (n < FW_FIELDS) {
        char *tab = n == FW_FIELDS - 1 ? NULL : strchr(p, '\t');
        f[n++] = p;
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* Run one command; 0 to go on, 1 to quit. */
static int fw_command(char *line)
{
    char *f[FW_FIELDS];
    int n = fw_split(line, f);
    const char *c = f[0];

    if (strcmp(c, "quit") == 0)
        return 1;
    if (strcmp(c, "open") == 0 && n == 2)
        fw_open(f[1]);
    else if (strcmp(c, "close") == 0)
        fw_close();
    else if (strcmp(c, "mark") == 0) {
        fw_log_mark();
        fw_reply("ok");
    }
    else if (!fw_need_gate())
        ;
    else if ((strcmp(c, "check") == 0 || strcmp(c, "try") == 0) && n == 3)
        fw_check(f[1], f[2], c[0] == 't');
    else if (strcmp(c, "burst") == 0 && n == 5)
        fw_burst_cmd(f[1], f[2], f[3], f[4]);
    else if (strcmp(c, "until") == 0 && n == 5)
        fw_until(f[1], f[2], f[3], f[4]);
    else if (strcmp(c, "untildrop") == 0 && n == 4)
        fw_until_dropped(f[1], f[2], f[3]);
    else if (strcmp(c, "webhook") == 0 && n == 6)
        fw_webhook(f);
    else if (strcmp(c, "invalidate") == 0 && n == 3)
        fw_invalidate(f[1], f[2]);
    else if (strcmp(c, "stats") == 0)
        fw_stats();
    else if (strcmp(c, "waitlog") == 0 && n == 4)
        fw_waitlog(f[1], f[2], f[3]);
    else
        fw_reply("err\t0\tunknown command or wrong number of fields: %s", c);
    return 0;
}

int main(void)
{
    static char line[FW_LINE_MAX];

    tg_log_set(TG_LOG_DEBUG, fw_log, NULL);
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (fw_command(line))
            break;
    }
    tg_gate_free(gate);
    gate = NULL;
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
    fw_log_mark();
    return 0;
}
