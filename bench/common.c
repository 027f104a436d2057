/* Timing, statistics, the keys, the in-process provider, and starting the
 * servers the HTTP figures run against. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_figure bench_summarise(double *samples, int n)
{
    bench_figure f;
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    f.min = samples[0];
    f.max = samples[n - 1];
    f.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    f.reps = n;
    return f;
}

double bench_percentile(double *samples, int n, double p)
{
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    return samples[(int)(p * (n - 1) + 0.5)];
}

int bench_start_server(char *const *argv, const char *ready, int quiet, pid_t *pid, int *port)
{
    int out[2];
    char line[256];
    FILE *f;

    if (pipe(out) != 0)
        return -1;
    *pid = fork();
    if (*pid < 0)
        return -1;
    if (*pid == 0) {
        int null;
        /* Stopped with us, however the benchmark ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        null = quiet ? open("/dev/null", O_WRONLY) : -1;
        dup2(out[1], 1);
        if (null >= 0)
            dup2(null, 2);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    if (!f || !fgets(line, sizeof line, f) || sscanf(line, ready, port) != 1) {
        if (f)
            fclose(f);
        bench_stop_server(*pid);
        return -1;
    }
    fclose(f);
    return 0;
}

void bench_stop_server(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

_Noreturn void bench_die(const char *what)
{
    fprintf(stderr, "toolgate-bench: %s: %s\n", what, tg_error_message());
    exit(1);
}

/* Tools that go through the prefix rules (no exact-name rule matches them). */
static const char *const tools[] = { "gmail_send_email", "slack_post_message",
                                     "notion_create_page", "github_create_issue" };
static const char *const connections[] = { "gmail", "slack", "notion", "github" };

const char bench_rules_json[] =
    "\"tools\":{\"map\":{\"calendar_create_event\":\"gcal\",\"drive_upload\":\"gdrive\"},"
    "\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\",\"notion_\":\"notion\","
    "\"github_\":\"github\",\"gmail_admin_\":\"gadmin\",\"jira_\":\"jira\"}}";

void bench_keys_init(bench_keys *k)
{
    unsigned seed = 12345;
    int i;
    for (i = 0; i < BENCH_ACCOUNTS; i++) {
        int c = i % 4;
        k->tool[i] = tools[c];
        k->connection[i] = connections[c];
        snprintf(k->identifier[i], sizeof k->identifier[i], "user_%06d@example.com", i);
        k->composite_len[i] = (size_t)snprintf(k->composite[i], sizeof k->composite[i],
                                               "%s\x1f%s", connections[c], k->identifier[i]);
        k->order[i] = i;
    }
    for (i = BENCH_ACCOUNTS - 1; i > 0; i--) {
        int j, t;
        seed = seed * 1103515245u + 12345u;
        j = (int)((seed >> 8) % (unsigned)(i + 1));
        t = k->order[i];
        k->order[i] = k->order[j];
        k->order[j] = t;
    }
}

static int bp_create(const tg_host *host, const char *config_json, const char *base_dir,
                     void *arg, void **state)
{
    (void)host;
    (void)config_json;
    (void)base_dir;
    *state = arg;
    return TG_OK;
}

static void bp_destroy(void *state)
{
    (void)state;
}

static int bp_status(void *state, const char *connection, const char *identifier,
                     tg_status *out)
{
    (void)connection;
    (void)identifier;
    *out = ((bench_provider_state *)state)->status;
    return TG_OK;
}

static int bp_link(void *state, const char *connection, const char *identifier, char *buf,
                   size_t len, int64_t *expires_at_ms)
{
    (void)state;
    snprintf(buf, len, "https://connect.example.com/authorize?connection=%s&identifier=%s",
             connection, identifier);
    *expires_at_ms = 0;
    return TG_OK;
}

const tg_provider bench_provider = { TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "bench",
                                     bp_create, bp_destroy, bp_status, bp_link };
