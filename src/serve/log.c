/* The server's log: one line on stderr per event worth a line (start,
 * reload, shutdown), and the library's warnings and errors. Lines never
 * carry a secret: the token and the webhook secret are never passed here,
 * and the library's lines are secret-free by contract. */
#include <stdarg.h>

#include "cli.h"
#include "server.h"

#define SERVE_LOG_PREFIX "toolgate serve: "

void serve_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vline(SERVE_LOG_PREFIX, fmt, ap);
    va_end(ap);
}

static void serve_library_line(void *ctx, tg_log_level level, const char *message)
{
    (void)ctx;
    serve_log("%s: %s", tg_log_level_name(level), message);
}

void serve_log_library(int verbose)
{
    tg_log_set(verbose ? TG_LOG_DEBUG : TG_LOG_WARN, serve_library_line, NULL);
}
