/* The completion of URL elicitations (watch.h). */
#include "watch.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/*
 * A watcher ends early when its own thread receives SIGUSR2: the handler sets
 * that thread's flag, which tg_gate_wait reads as its cancel flag. The flag
 * is written and read on one thread only, so it needs no atomics; the signal
 * is thread-directed (pthread_kill) and blocked in every other thread.
 */
#define MCP_WATCH_SIGNAL SIGUSR2

static _Thread_local volatile sig_atomic_t watch_cancelled;

static void on_cancel(int sig)
{
    (void)sig;
    watch_cancelled = 1;
}

int mcp_watches_init(mcp_watches *w, tg_gate *gate, const char *identifier, int64_t poll_ms,
                     mcp_send_fn send, mcp_note_fn note, void *ctx)
{
    struct sigaction sa;

    memset(w, 0, sizeof *w);
    w->gate = gate;
    w->identifier = identifier;
    w->poll_ms = poll_ms;
    w->timeout_ms = MCP_WATCH_MS;
    w->send = send;
    w->note = note;
    w->ctx = ctx;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cancel;
    sigemptyset(&sa.sa_mask);
    if (sigaction(MCP_WATCH_SIGNAL, &sa, NULL) != 0)
        return -1;
    return pthread_mutex_init(&w->lock, NULL) == 0 ? 0 : -1;
}

/* An elicitation id made of letters, digits, '-' and '_' (the library's are
 * "tg-" and hex), so it goes into JSON as it is. */
static int plain_id(const char *id)
{
    size_t i, n = strlen(id);

    if (n == 0 || n >= sizeof ((mcp_watcher *)0)->elicitation_id)
        return 0;
    for (i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static void *watch_run(void *arg)
{
    mcp_watcher *s = arg;
    mcp_watches *w = s->owner;
    tg_wait_options opts = TG_WAIT_OPTIONS_INIT;
    tg_decision *d = tg_decision_new();
    sigset_t set;
    int rc = TG_ENOMEM;

    sigemptyset(&set);
    sigaddset(&set, MCP_WATCH_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    opts.timeout_ms = w->timeout_ms;
    opts.poll_ms = w->poll_ms;
    opts.max_poll_ms = w->poll_ms > 5000 ? w->poll_ms : 5000;
    opts.cancel = (const volatile int *)&watch_cancelled;
    if (d)
        rc = tg_gate_wait(w->gate, s->connection, w->identifier, &opts, d);
    if (rc == TG_OK && tg_decision_status(d) == TG_STATUS_ACTIVE && !watch_cancelled) {
        char msg[256];
        int n = snprintf(msg, sizeof msg,
                         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/elicitation/complete\","
                         "\"params\":{\"elicitationId\":\"%s\"}}",
                         s->elicitation_id);
        if (n > 0 && (size_t)n < sizeof msg)
            w->send(w->ctx, msg, (size_t)n);
    }
    tg_decision_free(d);
    pthread_mutex_lock(&w->lock);
    s->running = 0;
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Join finished watchers. Lock held. */
static void reap(mcp_watches *w)
{
    size_t i;

    for (i = 0; i < MCP_WATCH_MAX; i++) {
        if (w->slot[i].used && !w->slot[i].running) {
            pthread_join(w->slot[i].thread, NULL);
            w->slot[i].used = 0;
        }
    }
}

void mcp_watches_start(mcp_watches *w, const char *connection, const char *elicitation_id)
{
    mcp_watcher *free_slot = NULL;
    sigset_t all, old;
    size_t i;

    if (!plain_id(elicitation_id) || strlen(connection) > TG_CONNECTION_MAX)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return;
    }
    reap(w);
    for (i = 0; i < MCP_WATCH_MAX; i++) {
        if (w->slot[i].used && strcmp(w->slot[i].elicitation_id, elicitation_id) == 0) {
            pthread_mutex_unlock(&w->lock);
            return; /* watched already */
        }
        if (!w->slot[i].used && !free_slot)
            free_slot = &w->slot[i];
    }
    if (!free_slot) {
        pthread_mutex_unlock(&w->lock);
        if (w->note)
            w->note(w->ctx, "too many elicitations outstanding: this one is not watched for "
                            "its completion");
        return;
    }
    strcpy(free_slot->elicitation_id, elicitation_id);
    strcpy(free_slot->connection, connection);
    free_slot->owner = w;
    free_slot->used = free_slot->running = 1;
    /* The watcher starts with every signal blocked; it unblocks its own. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&free_slot->thread, NULL, watch_run, free_slot) != 0)
        free_slot->used = free_slot->running = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_unlock(&w->lock);
}

int mcp_watches_running(mcp_watches *w)
{
    int n = 0;
    size_t i;

    pthread_mutex_lock(&w->lock);
    for (i = 0; i < MCP_WATCH_MAX; i++)
        n += w->slot[i].running;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void mcp_watches_stop(mcp_watches *w)
{
    size_t i;

    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    for (i = 0; i < MCP_WATCH_MAX; i++)
        if (w->slot[i].used)
            pthread_kill(w->slot[i].thread, MCP_WATCH_SIGNAL);
    pthread_mutex_unlock(&w->lock);
    /* Joined without the lock: a finishing watcher takes it. */
    for (i = 0; i < MCP_WATCH_MAX; i++) {
        if (w->slot[i].used) {
            pthread_join(w->slot[i].thread, NULL);
            w->slot[i].used = 0;
        }
    }
    pthread_mutex_destroy(&w->lock);
}
