/* redis-server for the fleet figures (redis_server.h). */
#include "redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* What the exit handler stops: a copy, since the caller's may be gone by
 * then. Only the process that started it stops it (forked children share the
 * handler). */
static bench_redis bench_redis_running;
static pid_t bench_redis_owner;

static void bench_redis_at_exit(void)
{
    if (bench_redis_owner == getpid())
        bench_redis_stop(&bench_redis_running);
}

int bench_redis_find(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096], *save = NULL, *d;

    snprintf(dirs, sizeof dirs, "%s", path && *path ? path : "/usr/bin:/bin");
    for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, cap, "%s/redis-server", d);
        if (access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

static int loopback_socket(int port, struct sockaddr_in *a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* A port nothing listens on now (bound, then closed). */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = loopback_socket(0, &a), port = -1;

    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 1 when the server answers PING with +PONG. */
static int answers_ping(int port)
{
    struct sockaddr_in a;
    struct timeval tv = { 1, 0 };
    char reply[16] = "";
    int fd = loopback_socket(port, &a), ok = 0;

    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6 && recv(fd, reply, sizeof reply - 1, 0) > 0)
        ok = strncmp(reply, "+PONG", 5) == 0;
    close(fd);
    return ok;
}

static void show_log(const bench_redis *r)
{
    char p[128], line[512];
    FILE *f;

    snprintf(p, sizeof p, "%s/redis.log", r->dir);
    if (!(f = fopen(p, "r")))
        return;
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  redis.log: %s", line);
    fclose(f);
}

/* One attempt on a port picked now: 0 answering, -1 gone (reaped). */
static int spawn(bench_redis *r, const char *exe)
{
    char port[16], log[128];
    double deadline;

    r->port = free_port();
    if (r->port <= 0)
        return -1;
    snprintf(port, sizeof port, "%d", r->port);
    snprintf(log, sizeof log, "%s/redis.log", r->dir);
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        r->pid = 0;
        return -1;
    }
    if (r->pid == 0) {
        char *const argv[] = { (char *)exe, "--port", port, "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", r->dir,
                               "--logfile", log, "--daemonize", "no", NULL };
        int null = open("/dev/null", O_RDWR);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        execv(exe, argv);
        _exit(127);
    }
    bench_redis_running = *r;
    deadline = bench_now_ns() + 10e9;
    while (bench_now_ns() < deadline) {
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            r->pid = 0;
            bench_redis_running.pid = 0;
            fprintf(stderr, "toolgate-bench: redis-server exited at start on port %d\n",
                    r->port);
            show_log(r);
            return -1;
        }
        if (answers_ping(r->port))
            return 0;
        usleep(20000);
    }
    fprintf(stderr, "toolgate-bench: redis-server did not answer PING within 10 s\n");
    show_log(r);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
    bench_redis_running.pid = 0;
    return -1;
}

int bench_redis_start(bench_redis *r, const char *exe)
{
    int attempt;

    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/tg-bench-redis-XXXXXX");
    if (!mkdtemp(r->dir)) {
        perror("toolgate-bench: mkdtemp");
        return -1;
    }
    if (!bench_redis_owner)
        atexit(bench_redis_at_exit);
    bench_redis_owner = getpid();
    /* Another process may take the port between its pick and the bind. */
    for (attempt = 0; attempt < 3; attempt++) {
        if (spawn(r, exe) == 0) {
            snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/0", r->port);
            bench_redis_running = *r;
            return 0;
        }
    }
    bench_redis_stop(r);
    return -1;
}

void bench_redis_stop(bench_redis *r)
{
    char p[128];

    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->dir[0]) {
        snprintf(p, sizeof p, "%s/redis.log", r->dir);
        unlink(p);
        rmdir(r->dir);
        r->dir[0] = '\0';
    }
    if (bench_redis_running.dir[0] && r != &bench_redis_running)
        memset(&bench_redis_running, 0, sizeof bench_redis_running);
}
