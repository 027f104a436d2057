/* The figures of a fleet on Redis: a redis-server and the dev server of their
 * own, then a miss served from Redis against a provider miss
 * (fleet_miss.c), a webhook reaching every process (fleet_webhook.c) and
 * provider requests per account with 4 processes (fleet_requests.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fleet.h"

void fleet_identifier(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "fleet_%06d@example.com", i);
}

tg_gate *fleet_gate(const fleet_env *e, const char *prefix, long ttl_ms)
{
    char shared[256] = "";

    if (prefix)
        snprintf(shared, sizeof shared,
                 ",\"shared\":{\"type\":\"redis\",\"url\":\"%s\",\"prefix\":\"%s\","
                 "\"degraded_ttl_ms\":%ld}",
                 e->redis.url, prefix, ttl_ms);
    return bench_dev_gate(&e->dev, ttl_ms, shared);
}

void fleet_check(tg_gate *g, tg_decision *d, int i, tg_source source)
{
    char id[32];

    fleet_identifier(i, id, sizeof id);
    if (tg_gate_check(g, "gmail_send_email", id, d) != TG_OK)
        bench_die("fleet: check");
    if (tg_decision_verdict(d) != TG_VERDICT_ALLOW || tg_decision_source(d) != source) {
        fprintf(stderr, "toolgate-bench: fleet: %s is %s from source %d, not ALLOW from %d: %s\n",
                id, tg_verdict_name(tg_decision_verdict(d)), (int)tg_decision_source(d),
                (int)source, tg_decision_reason(d));
        exit(1);
    }
}

void *fleet_share(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        bench_die("mmap");
    return p; /* anonymous mappings are zeroed */
}

void fleet_unshare(void *p, size_t size)
{
    munmap(p, size);
}

int fleet_fork(int n, int (*child)(int index, void *arg), void *arg, int limit_s)
{
    pid_t pids[8];
    double deadline = bench_now_ns() + limit_s * 1e9;
    int i, left = n, ok = 1;

    if (n > 8)
        bench_die("fleet: too many children");
    fflush(NULL);
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            bench_die("fork");
        if (pids[i] == 0)
            _exit(child(i, arg));
    }
    while (left > 0) {
        int status;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p > 0) {
            left--;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                ok = 0;
            continue;
        }
        if (bench_now_ns() > deadline) {
            fprintf(stderr, "toolgate-bench: fleet: a process did not finish in %d s\n", limit_s);
            for (i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
            while (left > 0 && waitpid(-1, NULL, 0) > 0)
                left--;
            return -1;
        }
        usleep(1000);
    }
    return ok ? 0 : -1;
}

/* The dev server's accounts: FLEET_ACCOUNTS ACTIVE gmail accounts. */
static int write_seed(char *dir, char *path, size_t cap)
{
    FILE *f;
    int i;

    if (!mkdtemp(dir))
        return -1;
    snprintf(path, cap, "%s/accounts.json", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fputs("{\"accounts\":[", f);
    for (i = 0; i < FLEET_ACCOUNTS; i++) {
        char id[32];
        fleet_identifier(i, id, sizeof id);
        fprintf(f, "%s{\"connector\":\"gmail\",\"identifier\":\"%s\",\"status\":\"ACTIVE\"}",
                i ? "," : "", id);
    }
    fputs("]}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

/* Whether the library was built with its Redis tier (hiredis). */
#ifdef TG_BENCH_WITH_REDIS
static const int fleet_have_redis_tier = 1;
#else
static const int fleet_have_redis_tier = 0;
#endif

int bench_fleet_figures(const bench_opts *o, bench_results *r)
{
    static fleet_env e;
    char exe[512], dir[] = "/tmp/tg-bench-fleet-XXXXXX", seed[128] = "";
    int rc = -1;

    e.o = o;
    if (!fleet_have_redis_tier) {
        r->fleet_skipped = "this build has no Redis shared tier (built without hiredis)";
        return -1;
    }
    if (!o->dev_server) {
        r->fleet_skipped = "no dev server (--no-http)";
        return -1;
    }
    if (bench_redis_find(exe, sizeof exe) != 0) {
        r->fleet_skipped = "redis-server is not on PATH (Debian: redis-server)";
        return -1;
    }
    if (write_seed(dir, seed, sizeof seed) != 0) {
        r->fleet_skipped = "cannot write the dev server's accounts";
        goto out;
    }
    if (bench_dev_start(&e.dev, o->dev_server, seed) != 0) {
        r->fleet_skipped = "cannot start the dev server";
        goto out;
    }
    if (bench_redis_start(&e.redis, exe) != 0) {
        r->fleet_skipped = "cannot start redis-server";
        bench_dev_stop(&e.dev);
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fleet_miss_figures(&e, r);
    fleet_webhook_figures(&e, r);
    fleet_request_figures(&e, r);
    curl_global_cleanup();
    bench_redis_stop(&e.redis);
    bench_dev_stop(&e.dev);
    r->have_fleet = 1;
    rc = 0;
out:
    unlink(seed);
    rmdir(dir);
    return rc;
}
