/* `toolgate wait`: tg_gate_wait until the account is ACTIVE or the time is
 * up; SIGINT or SIGTERM end it with exit 130 (docs/design.md §8). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct cli_wait_view {
    const cli_args *args;
    int tty;
    int link_shown;
} cli_wait_view;

/* Progress for a person watching a terminal: the link once, then one line
 * rewritten in place. */
static void cli_wait_polled(void *ctx, const tg_decision *d, int64_t left_ms)
{
    cli_wait_view *v = ctx;
    const char *what = tg_decision_has_status(d) ? tg_status_name(tg_decision_status(d))
                                                 : tg_verdict_name(tg_decision_verdict(d));
    const char *link = tg_decision_link(d);

    if (!v->tty)
        return;
    if (link && !v->link_shown) {
        fprintf(stderr, "\r\033[Ktoolgate: the user can authorize at %s\n", link);
        v->link_shown = 1;
    }
    fprintf(stderr, "\rtoolgate: waiting for the %s account of %s (%s), %lld s left\033[K",
            v->args->connection, v->args->identifier, what, (long long)((left_ms + 999) / 1000));
    fflush(stderr);
}

int cli_run_wait(const cli_command *cmd, const cli_args *args)
{
    tg_wait_options opts = TG_WAIT_OPTIONS_INIT;
    cli_wait_view view = { args, isatty(STDERR_FILENO), 0 };
    cli_interrupts saved;
    const char *server = cli_server_url(args);
    tg_gate *gate = NULL;
    tg_decision *d;
    int rc;

    if (server)
        return cli_remote_wait(cmd, args, server);
    rc = cli_open_gate_and_decision(args, &gate, &d);
    if (rc != 0)
        return rc;

    cli_interrupts_catch(&saved);
    opts.timeout_ms = args->timeout_ms;
    opts.cancel = (const volatile int *)&cli_interrupted;
    opts.on_poll = cli_wait_polled;
    opts.ctx = &view;

    rc = tg_gate_wait(gate, args->connection, args->identifier, &opts, d);
    cli_interrupts_restore(&saved);
    if (view.tty)
        fputs("\r\033[K", stderr);

    if (rc == TG_OK) {
        rc = cli_print_status(args->connection, args->identifier, d, args->format);
        if (rc == 0 && tg_decision_status(d) != TG_STATUS_ACTIVE)
            rc = CLI_EXIT_NEEDS_AUTH;
    } else if (rc == TG_ECANCELED) {
        cli_error("%s: interrupted", cmd->name);
        rc = CLI_EXIT_INTERRUPTED;
    } else if (rc == TG_EPROVIDER || rc == TG_ETIMEOUT) {
        cli_print_status(args->connection, args->identifier, d, args->format);
        rc = cli_report_unavailable(cmd, rc);
    } else {
        rc = cli_report_call(cmd, rc);
    }
    tg_decision_free(d);
    tg_gate_free(gate);
    return rc;
}
