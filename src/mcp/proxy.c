/* `toolgate mcp-proxy`: the relay's threads, signals and ending (proxy.h). */
#define _GNU_SOURCE /* pipe2 */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "inbound.h"
#include "mcp_limits.h"
#include "output.h"
#include "watch.h"

typedef struct mcp_proxy {
    const mcp_proxy_options *o;
    mcp_child child;
    mcp_output out;
    mcp_guard guard;
    mcp_inbound in;
    mcp_watches watches;
    int events[2];        /* the relay threads say they are done: 'i', 'o' */
    int stop[2];          /* closing stop[1] tells the relay threads to end */
    int server_gone;      /* writing to the child failed (client thread only) */
    atomic_int in_done, out_done;
} mcp_proxy;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the client's side ------------------------------------------------ */

static int to_server(void *ctx, const char *bytes, size_t n)
{
    mcp_proxy *p = ctx;

    if (p->server_gone)
        return -1;
    if (mcp_write_all(p->child.to_child, bytes, n, p->stop[0]) != 0) {
        p->server_gone = 1; /* the server closed its input: what follows is dropped */
        return -1;
    }
    return 0;
}

static void to_client(void *ctx, const char *msg, size_t n)
{
    mcp_proxy *p = ctx;
    mcp_output_message(&p->out, msg, n);
}

static void note(void *ctx, const char *text)
{
    mcp_proxy *p = ctx;
    if (p->o->note)
        p->o->note(text);
}

static void elicited(void *ctx, const char *connection, const char *elicitation_id)
{
    mcp_proxy *p = ctx;
    mcp_watches_start(&p->watches, connection, elicitation_id);
}

static const mcp_inbound_ops inbound_ops = { to_server, to_client, note };

static void say_done(mcp_proxy *p, char what)
{
    ssize_t w;
    do
        w = write(p->events[1], &what, 1);
    while (w < 0 && errno == EINTR);
}

/* Client → server, until the client's input ends or the proxy stops. */
static void *client_thread(void *arg)
{
    mcp_proxy *p = arg;
    char *buf = malloc(MCP_READ_CHUNK);

    while (buf && mcp_wait_fd(STDIN_FILENO, POLLIN, p->stop[0])) {
        ssize_t n = read(STDIN_FILENO, buf, MCP_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        mcp_inbound_feed(&p->in, buf, (size_t)n);
    }
    free(buf);
    mcp_inbound_end(&p->in);
    /* End of the client's input: the server's too. */
    close(p->child.to_child);
    p->child.to_child = -1;
    atomic_store(&p->in_done, 1);
    say_done(p, 'i');
    return NULL;
}

/* Server → client, unchanged, until the server's output ends or the proxy
 * stops. */
static void *server_thread(void *arg)
{
    mcp_proxy *p = arg;
    char *buf = malloc(MCP_READ_CHUNK);

    while (buf && mcp_wait_fd(p->child.from_child, POLLIN, p->stop[0])) {
        ssize_t n = read(p->child.from_child, buf, MCP_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        mcp_output_relay(&p->out, buf, (size_t)n);
    }
    free(buf);
    mcp_output_relay_end(&p->out);
    atomic_store(&p->out_done, 1);
    say_done(p, 'o');
    return NULL;
}

static void send_notification(void *ctx, const char *msg, size_t n)
{
    to_client(ctx, msg, n);
}

/* ---- the main thread ----------------------------------------------------- */

typedef struct ending {
    int exited, code;
    int64_t term_at, kill_at, drain_until; /* 0: not scheduled */
    int term_sent, kill_sent;
} ending;

static void on_signal(mcp_proxy *p, ending *e, const struct signalfd_siginfo *si)
{
    int status;

    if (si->ssi_signo == SIGCHLD) {
        if (!e->exited && waitpid(p->child.pid, &status, WNOHANG) == p->child.pid) {
            e->exited = 1;
            e->code = mcp_child_exit_code(status);
            e->drain_until = now_ms() + MCP_DRAIN_MS;
        }
        return;
    }
    /* A terminal's signal went to the whole process group, the child
     * included: passing it on would deliver it twice. */
    if (!e->exited && si->ssi_code != SI_KERNEL)
        kill(p->child.pid, (int)si->ssi_signo);
}

static void on_event(mcp_proxy *p, ending *e, char what)
{
    (void)p;
    if (what == 'i' && !e->term_at) {
        int64_t t = now_ms();
        e->term_at = t + MCP_TERM_AFTER_EOF_MS;
        e->kill_at = t + MCP_KILL_AFTER_EOF_MS;
    }
}

/* Wait for the child's end and what must follow it. */
static void run_loop(mcp_proxy *p, int sfd, ending *e)
{
    for (;;) {
        struct pollfd fds[2] = { { sfd, POLLIN, 0 }, { p->events[0], POLLIN, 0 } };
        int64_t t = now_ms(), next = -1;
        int timeout;

        if (e->exited && (atomic_load(&p->out_done) || t >= e->drain_until))
            return;
        if (!e->exited && e->term_at && !e->term_sent && t >= e->term_at) {
            kill(p->child.pid, SIGTERM);
            e->term_sent = 1;
        }
        if (!e->exited && e->kill_at && !e->kill_sent && t >= e->kill_at) {
            kill(p->child.pid, SIGKILL);
            e->kill_sent = 1;
        }
        if (e->exited)
            next = e->drain_until;
        else if (e->term_at && !e->term_sent)
            next = e->term_at;
        else if (e->kill_at && !e->kill_sent)
            next = e->kill_at;
        timeout = next < 0 ? -1 : (int)(next > t ? next - t : 0);
        if (poll(fds, 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                on_signal(p, e, &si);
        }
        if (fds[1].revents & POLLIN) {
            char what[8];
            ssize_t n = read(p->events[0], what, sizeof what), i;
            for (i = 0; i < n; i++)
                on_event(p, e, what[i]);
        }
        if (fds[1].revents & (POLLHUP | POLLERR))
            return;
    }
}

static int start_failed(const mcp_proxy_options *o, int err)
{
    char msg[512];

    snprintf(msg, sizeof msg, "cannot run %s: %s", o->argv[0], strerror(err));
    if (o->note)
        o->note(msg);
    return err == ENOENT ? 127 : err == EACCES || err == ENOEXEC ? 126 : 1;
}

int mcp_proxy_run(const mcp_proxy_options *o)
{
    mcp_proxy *p = calloc(1, sizeof *p);
    struct sigaction ign, old_pipe;
    sigset_t set, old_mask;
    pthread_t in_thread, out_thread;
    ending e;
    int sfd = -1, rc, started = 0, watching = 0;

    if (!p)
        return 1;
    memset(&e, 0, sizeof e);
    p->o = o;
    p->events[0] = p->events[1] = p->stop[0] = p->stop[1] = -1;
    e.code = 1;

    /* Signals come through a signalfd on this thread: blocked everywhere,
     * before any thread starts; the child gets the mask we were given. */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe); /* a peer gone is an error from write */

    if (pipe2(p->stop, O_CLOEXEC) != 0 || mcp_output_init(&p->out, STDOUT_FILENO, p->stop[0]) != 0 ||
        mcp_guard_init(&p->guard, o->gate, o->identifier, elicited, p) != 0 ||
        mcp_inbound_init(&p->in, &p->guard, &inbound_ops, p) != 0 ||
        (watching = mcp_watches_init(&p->watches, o->gate, o->identifier, o->poll_ms,
                                     send_notification, note, p) == 0) == 0 ||
        pipe2(p->events, O_CLOEXEC) != 0 ||
        (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        note(p, "cannot set up the relay (out of memory or descriptors)");
        e.code = 1;
        goto out;
    }
    rc = mcp_child_start(&p->child, o->argv, &old_mask, old_pipe.sa_handler == SIG_IGN);
    if (rc != 0) {
        e.code = start_failed(o, rc);
        goto out;
    }
    started = 1;
    if (pthread_create(&in_thread, NULL, client_thread, p) != 0 ||
        pthread_create(&out_thread, NULL, server_thread, p) != 0) {
        /* Cannot relay: end the child, as at the end of the input. */
        note(p, "cannot start the relay threads");
        kill(p->child.pid, SIGKILL);
        waitpid(p->child.pid, NULL, 0);
        exit(1);
    }

    run_loop(p, sfd, &e);

    mcp_watches_stop(&p->watches);
    watching = 0;
    /* The relay threads end at their next wait: for the client (its input
     * may never end), for the child's output (a grandchild may hold it
     * open), or for a reader that stopped reading. A call being checked
     * finishes first (the provider's timeout bounds it). */
    close(p->stop[1]);
    p->stop[1] = -1;
    pthread_join(in_thread, NULL);
    pthread_join(out_thread, NULL);
    if (!e.exited) {
        kill(p->child.pid, SIGKILL);
        waitpid(p->child.pid, NULL, 0);
    }
out:
    if (started) {
        if (p->child.to_child >= 0)
            close(p->child.to_child);
        close(p->child.from_child);
    }
    if (watching)
        mcp_watches_stop(&p->watches);
    if (sfd >= 0)
        close(sfd);
    if (p->events[0] >= 0) {
        close(p->events[0]);
        close(p->events[1]);
    }
    if (p->stop[0] >= 0)
        close(p->stop[0]);
    if (p->stop[1] >= 0)
        close(p->stop[1]);
    mcp_inbound_free(&p->in);
    mcp_guard_free(&p->guard);
    mcp_output_destroy(&p->out);
    sigaction(SIGPIPE, &old_pipe, NULL);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    rc = e.code;
    free(p);
    return rc;
}
