/* `toolgate serve`: one long-lived gate behind HTTP. What the command hands
 * the server, and the one call that runs it. */
#ifndef TG_SERVE_SERVE_H
#define TG_SERVE_SERVE_H

#include "toolgate/toolgate.h"

/* Where to listen without --listen or --unix. */
#define SERVE_DEFAULT_LISTEN "127.0.0.1:8777"

typedef struct serve_options {
    tg_gate *gate;              /* the first gate; the server owns it from here */
    const char *config_path;    /* read again on SIGHUP */
    const char *listen;         /* "HOST:PORT"; NULL when unix_path is set */
    const char *unix_path;      /* a unix socket to create, or NULL */
    const char *webhook_secret; /* "whsec_…"; NULL: the webhook route answers 404 */
    const char *api_token;      /* NULL: no token is asked for */
    int verbose;                /* log the library's debug lines too, not only warnings */
} serve_options;

/* Exit codes, those of the command (docs/errors.md). */
#define SERVE_EXIT_OK 0
#define SERVE_EXIT_FAILURE 1
#define SERVE_EXIT_USAGE 2

/**
 * Block SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every
 * thread it starts later, the library's included): serve_run waits for them
 * with sigwaitinfo. Call it before creating the first gate.
 */
void serve_signals_block(void);

/**
 * Listen, print the ready line on stdout, serve until SIGTERM or SIGINT,
 * drain and return the exit code. SIGHUP reloads opts->config_path. Frees
 * opts->gate (and every later one) before returning.
 * @return SERVE_EXIT_OK after a clean stop; SERVE_EXIT_USAGE for a bad
 *         --listen or --unix (after one line on stderr); SERVE_EXIT_FAILURE
 *         when it cannot listen or start.
 */
int serve_run(const serve_options *opts);

/**
 * Whether "HOST:PORT" is well formed (an IPv4 or [IPv6] literal, or
 * localhost; a port 0–65535) and, in *loopback, whether the host is
 * loopback (127.0.0.0/8, [::1], localhost). Returns 0, or -1 after one line
 * on stderr saying what is wrong.
 */
int serve_check_listen(const char *listen, int *loopback);

#endif
