/* `toolgate wait`: ask the provider again, with backoff, until the account is
 * ACTIVE or the time is up. Each poll drops the cached entry first, so it is
 * the provider's answer, not the cache's, that ends the wait. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CLI_WAIT_FIRST_DELAY_MS 250
#define CLI_WAIT_MAX_DELAY_MS 5000

static int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cli_sleep_ms(int64_t ms)
{
    struct timespec req, rem;

    req.tv_sec = (time_t)(ms / 1000);
    req.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}

/* Progress for a person watching a terminal: rewrite one line in place. */
static void cli_progress(const cli_args *args, const tg_decision *d, int64_t left_ms)
{
    const char *what = tg_decision_has_status(d) ? tg_status_name(tg_decision_status(d))
                                                 : tg_verdict_name(tg_decision_verdict(d));

    fprintf(stderr, "\rtoolgate: waiting for the %s account of %s (%s), %lld s left\033[K",
            args->connection, args->identifier, what, (long long)((left_ms + 999) / 1000));
    fflush(stderr);
}

int cli_run_wait(const cli_command *cmd, const cli_args *args)
{
    tg_gate *gate = NULL;
    tg_decision *d;
    int64_t deadline, delay = CLI_WAIT_FIRST_DELAY_MS;
    int tty = isatty(STDERR_FILENO), link_shown = 0, rc;

    rc = cli_open_gate(args, &gate);
    if (rc != 0)
        return rc;
    d = tg_decision_new();
    if (!d) {
        tg_gate_free(gate);
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }

    deadline = cli_now_ms() + args->timeout_ms;
    for (;;) {
        int64_t now, left;

        rc = tg_gate_invalidate(gate, args->connection, args->identifier);
        if (rc == TG_OK)
            rc = tg_gate_check_connection(gate, args->connection, args->identifier, d);
        if (rc != TG_OK) {
            if (tty)
                fputc('\n', stderr);
            rc = cli_report_call(cmd, rc);
            break;
        }

        if (tg_decision_has_status(d) && tg_decision_status(d) == TG_STATUS_ACTIVE) {
            if (tty)
                fputs("\r\033[K", stderr);
            rc = cli_print_status(args->connection, args->identifier, d, args->format);
            break;
        }
        /* Anything else — not yet authorized, or the provider could not answer
         * (UNAVAILABLE) — is asked again until the deadline. */
        now = cli_now_ms();
        left = deadline - now;
        if (left <= 0) {
            if (tty)
                fputc('\n', stderr);
            rc = cli_print_status(args->connection, args->identifier, d, args->format);
            if (rc == 0)
                rc = CLI_EXIT_NEEDS_AUTH;
            break;
        }
        if (tty) {
            const char *link = tg_decision_link(d);
            if (link && !link_shown) {
                fprintf(stderr, "toolgate: the user can authorize at %s\n", link);
                link_shown = 1;
            }
            cli_progress(args, d, left);
        }
        cli_sleep_ms(delay < left ? delay : left);
        delay = delay * 3 / 2;
        if (delay > CLI_WAIT_MAX_DELAY_MS)
            delay = CLI_WAIT_MAX_DELAY_MS;
    }

    tg_decision_free(d);
    tg_gate_free(gate);
    return rc;
}
