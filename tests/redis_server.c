/* Test helper: redis-server as a child process; see redis_server.h. */
#include "redis_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dev_server.h"

#define TG_REDIS_MAX_RUNNING 8

/* The servers started and not yet stopped, by value (a test that failed may
 * have left its tg_redis behind on a stack that is gone): killed and their
 * directories removed at exit. */
static struct {
    char dir[64];
    pid_t pid;
} tg_redis_left[TG_REDIS_MAX_RUNNING];
static int tg_redis_atexit_set;

static void tg_redis_rmdir(char *dir);

static void tg_redis_at_exit(void)
{
    int i;
    for (i = 0; i < TG_REDIS_MAX_RUNNING; i++) {
        if (!tg_redis_left[i].dir[0])
            continue;
        if (tg_redis_left[i].pid > 0) {
            kill(tg_redis_left[i].pid, SIGKILL);
            kill(tg_redis_left[i].pid, SIGCONT);
            waitpid(tg_redis_left[i].pid, NULL, 0);
        }
        tg_redis_rmdir(tg_redis_left[i].dir);
    }
}

/* Record @p r's directory and process as they are now; @p gone: forget it. */
static void tg_redis_track(const tg_redis *r, int gone)
{
    int i, slot = -1;
    if (!tg_redis_atexit_set) {
        atexit(tg_redis_at_exit);
        tg_redis_atexit_set = 1;
    }
    for (i = 0; i < TG_REDIS_MAX_RUNNING; i++) {
        if (tg_redis_left[i].dir[0] && strcmp(tg_redis_left[i].dir, r->dir) == 0) {
            slot = i;
            break;
        }
        if (!tg_redis_left[i].dir[0] && slot < 0)
            slot = i;
    }
    if (slot < 0)
        return;
    if (gone) {
        if (strcmp(tg_redis_left[slot].dir, r->dir) == 0)
            memset(&tg_redis_left[slot], 0, sizeof tg_redis_left[slot]);
        return;
    }
    snprintf(tg_redis_left[slot].dir, sizeof tg_redis_left[slot].dir, "%s", r->dir);
    tg_redis_left[slot].pid = r->pid;
}

/* redis-server's path on PATH, resolved before fork. */
static int tg_redis_exe(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    char *save = NULL, *d;

    snprintf(dirs, sizeof dirs, "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, cap, "%s/redis-server", d);
        if (access(out, X_OK) == 0)
            return 0;
    }
    fprintf(stderr, "redis-server is not on PATH (Debian: redis-server)\n");
    return -1;
}

redisContext *tg_redis_client(const tg_redis *r)
{
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);

    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->password[0]) {
        redisReply *rep = redisCommand(c, "AUTH %s", r->password);
        int ok = rep && rep->type == REDIS_REPLY_STATUS;
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

redisReply *tg_redis_cmd(const tg_redis *r, int argc, const char **argv, const size_t *lens)
{
    redisContext *c = tg_redis_client(r);
    redisReply *rep;

    if (!c)
        return NULL;
    rep = redisCommandArgv(c, argc, argv, lens);
    redisFree(c);
    return rep;
}

static int tg_redis_answers(const tg_redis *r)
{
    redisContext *c = tg_redis_client(r);
    redisReply *rep;
    int ok;

    if (!c)
        return 0;
    rep = redisCommand(c, "PING");
    ok = rep && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
    if (rep)
        freeReplyObject(rep);
    redisFree(c);
    return ok;
}

static void tg_redis_log_tail(const tg_redis *r)
{
    char p[128], line[512];
    FILE *f;

    snprintf(p, sizeof p, "%s/redis.log", r->dir);
    f = fopen(p, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  redis.log: %s", line);
    fclose(f);
}

static int tg_redis_spawn(tg_redis *r)
{
    char exe[512], port[16], log[128], sock[128];
    int64_t deadline;
    pid_t pid;

    if (tg_redis_exe(exe, sizeof exe) != 0)
        return -1;
    snprintf(port, sizeof port, "%d", r->port);
    snprintf(log, sizeof log, "%s/redis.log", r->dir);
    snprintf(sock, sizeof sock, "%s/redis.sock", r->dir);
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const char *argv[24];
        int n = 0, fd;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            dup2(fd, STDOUT_FILENO);
        }
        argv[n++] = exe;
        argv[n++] = "--port";
        argv[n++] = port;
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--save";
        argv[n++] = "";
        argv[n++] = "--appendonly";
        argv[n++] = "no";
        argv[n++] = "--dir";
        argv[n++] = r->dir;
        argv[n++] = "--logfile";
        argv[n++] = log;
        argv[n++] = "--unixsocket";
        argv[n++] = sock;
        argv[n++] = "--unixsocketperm";
        argv[n++] = "700";
        argv[n++] = "--daemonize";
        argv[n++] = "no";
        if (r->password[0]) {
            argv[n++] = "--requirepass";
            argv[n++] = r->password;
        }
        argv[n] = NULL;
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    r->paused = 0;
    tg_redis_track(r, 0);
    deadline = tg_dev_now_ms() + 10000;
    while (tg_dev_now_ms() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            r->pid = 0;
            tg_redis_track(r, 0);
            fprintf(stderr, "redis-server exited at start\n");
            tg_redis_log_tail(r);
            return -1;
        }
        if (tg_redis_answers(r))
            return 0;
        usleep(20000);
    }
    fprintf(stderr, "redis-server on port %d did not answer PING within 10 s\n", r->port);
    tg_redis_log_tail(r);
    tg_redis_kill(r);
    return -1;
}

int tg_redis_start(tg_redis *r, const char *password)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/tg-redis-XXXXXX");
    if (!mkdtemp(r->dir)) {
        r->dir[0] = '\0';
        return -1;
    }
    if (password)
        snprintf(r->password, sizeof r->password, "%s", password);
    r->port = tg_dev_closed_port();
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/0", r->port);
    if (r->port <= 0 || tg_redis_spawn(r) != 0) {
        tg_redis_stop(r);
        return -1;
    }
    return 0;
}

void tg_redis_kill(tg_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        if (r->paused)
            kill(r->pid, SIGCONT);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = 0;
    r->paused = 0;
    if (r->dir[0])
        tg_redis_track(r, 0);
}

int tg_redis_restart(tg_redis *r)
{
    int64_t deadline = tg_dev_now_ms() + 10000;

    tg_redis_kill(r);
    /* The port is ours again once the kernel has closed the old listener. */
    while (tg_dev_now_ms() < deadline) {
        if (tg_redis_spawn(r) == 0)
            return 0;
        usleep(100000);
    }
    return -1;
}

int tg_redis_pause(tg_redis *r)
{
    if (r->pid <= 0 || kill(r->pid, SIGSTOP) != 0)
        return -1;
    r->paused = 1;
    return 0;
}

int tg_redis_resume(tg_redis *r)
{
    if (r->pid <= 0 || kill(r->pid, SIGCONT) != 0)
        return -1;
    r->paused = 0;
    return 0;
}

static void tg_redis_rmdir(char *dir)
{
    DIR *d;
    struct dirent *e;
    char p[512];

    if (!dir[0])
        return;
    d = opendir(dir);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    dir[0] = '\0';
}

void tg_redis_stop(tg_redis *r)
{
    tg_redis_kill(r);
    if (r->dir[0])
        tg_redis_track(r, 1);
    tg_redis_rmdir(r->dir);
}
