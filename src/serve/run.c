/* The server's life: listen, say so, wait for signals, drain. Every thread
 * has SIGTERM, SIGINT and SIGHUP blocked and the main thread takes them with
 * sigwaitinfo, so a signal is handled as ordinary code, never inside a
 * handler: SIGHUP reloads the configuration (a bad one keeps the running
 * gate), SIGTERM and SIGINT stop accepting, end the long polls, give the
 * requests in flight SERVE_DRAIN_MS to finish, and exit 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

static void serve_signal_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

void serve_signals_block(void)
{
    sigset_t set;

    serve_signal_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* A client that hangs up is an error on its socket, not a signal. */
    signal(SIGPIPE, SIG_IGN);
}

static void serve_reload(serve_server *srv)
{
    tg_gate *next = NULL;
    const char *detail;
    int rc;

    if (!srv->config_reloadable) {
        /* A pipe or a terminal cannot be read twice, and reading one could
         * block this thread, which also takes SIGTERM. */
        atomic_fetch_add_explicit(&srv->metrics.reloads_failed, 1, memory_order_relaxed);
        serve_log("reload refused, still serving the previous configuration: config %s is not "
                  "a regular file, so it cannot be read again",
                  srv->config_path);
        return;
    }
    rc = tg_gate_new_from_file(&next, srv->config_path);
    if (rc != TG_OK) {
        detail = tg_error_message();
        atomic_fetch_add_explicit(&srv->metrics.reloads_failed, 1, memory_order_relaxed);
        serve_log("reload failed, still serving the previous configuration: config %s: %s",
                  srv->config_path, detail && detail[0] ? detail : tg_strerror(rc));
        return;
    }
    if (serve_gates_swap(&srv->gates, next) != 0) {
        atomic_fetch_add_explicit(&srv->metrics.reloads_failed, 1, memory_order_relaxed);
        serve_log("reload failed, still serving the previous configuration: out of memory");
        return;
    }
    atomic_fetch_add_explicit(&srv->metrics.reloads_ok, 1, memory_order_relaxed);
    serve_log("reloaded the configuration from %s", srv->config_path);
}

/* Wait for SIGTERM or SIGINT, reloading on each SIGHUP. Returns the signal. */
static int serve_until_stopped(serve_server *srv)
{
    sigset_t set;
    siginfo_t info;

    serve_signal_set(&set);
    for (;;) {
        int sig = sigwaitinfo(&set, &info);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            serve_log("cannot wait for signals: %s; stopping", strerror(errno));
            return SIGTERM;
        }
        if (sig == SIGHUP)
            serve_reload(srv);
        else
            return sig;
    }
}

/* Stop: no new connection or request, waits ended, requests in flight
 * finished (at most SERVE_DRAIN_MS). Returns how many did not finish. */
static unsigned serve_drain(serve_server *srv)
{
    atomic_store_explicit(&srv->draining, 1, memory_order_relaxed);
    serve_daemon_quiesce(srv);
    serve_waits_cancel(&srv->waits);
    return serve_conns_drain(&srv->conns, SERVE_DRAIN_MS);
}

int serve_run(const serve_options *opts)
{
    serve_server *srv;
    unsigned unfinished;
    int fd, sig, exit_code = SERVE_EXIT_FAILURE;

    serve_signals_block();
    srv = calloc(1, sizeof *srv);
    if (!srv || serve_gates_init(&srv->gates, opts->gate) != 0) {
        if (!srv)
            tg_gate_free(opts->gate);
        free(srv);
        serve_log("out of memory");
        return SERVE_EXIT_FAILURE;
    }
    srv->config_path = opts->config_path;
    {
        struct stat st;
        srv->config_reloadable = stat(opts->config_path, &st) == 0 && S_ISREG(st.st_mode);
    }
    srv->webhook_secret = opts->webhook_secret;
    srv->api_token = opts->api_token;
    srv->api_token_len = opts->api_token ? strlen(opts->api_token) : 0;
    serve_waits_init(&srv->waits);
    serve_log_library(opts->verbose);

    if (serve_conns_start(&srv->conns, &srv->metrics) != 0) {
        serve_log("cannot start: out of threads or memory");
        goto out_conns;
    }
    fd = serve_listen(opts, srv->url, sizeof srv->url, &exit_code);
    if (fd < 0)
        goto out_listen;
    if (serve_daemon_start(srv, fd) != 0) {
        serve_log("cannot start the HTTP server on %s", srv->url);
        close(fd);
        serve_unlisten(opts);
        exit_code = SERVE_EXIT_FAILURE;
        goto out_listen;
    }

    /* The ready line: exactly one line on stdout, once listening. */
    printf("toolgate serve: listening on %s\n", srv->url);
    fflush(stdout);
    serve_log("started: config %s; webhooks %s; API token %s", srv->config_path,
              srv->webhook_secret ? "on" : "off (no --webhook-secret-env)",
              srv->api_token ? "required on /v1/" : "not required");

    sig = serve_until_stopped(srv);
    serve_log("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    unfinished = serve_drain(srv);
    if (unfinished > 0) {
        /* Their provider calls may run long; the process must not. */
        serve_log("stopped with %u requests unfinished after %d ms", unfinished, SERVE_DRAIN_MS);
        serve_unlisten(opts);
        fflush(NULL);
        _exit(SERVE_EXIT_OK);
    }
    serve_daemon_stop(srv);
    serve_unlisten(opts);
    serve_log("stopped");
    exit_code = SERVE_EXIT_OK;

out_listen:
    serve_conns_stop(&srv->conns);
out_conns:
    tg_log_set(TG_LOG_ERROR, NULL, NULL);
    serve_waits_free(&srv->waits);
    serve_gates_free(&srv->gates);
    free(srv);
    return exit_code;
}
