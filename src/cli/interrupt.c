/* SIGINT and SIGTERM while `wait` waits: a flag instead of the default
 * death, so the command can say it was interrupted and exit 130. */
#include <string.h>

#include "cli.h"

volatile sig_atomic_t cli_interrupted;

static void cli_on_interrupt(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_interrupts_catch(cli_interrupts *saved)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &saved->old_int);
    sigaction(SIGTERM, &sa, &saved->old_term);
}

void cli_interrupts_restore(const cli_interrupts *saved)
{
    sigaction(SIGINT, &saved->old_int, NULL);
    sigaction(SIGTERM, &saved->old_term, NULL);
}
