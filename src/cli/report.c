/* Errors on stderr (one line each) and the exit codes of docs/design.md §8. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_ERROR_MAX 2048

void cli_vline(const char *prefix, const char *fmt, va_list ap)
{
    char msg[CLI_ERROR_MAX];
    char line[CLI_ERROR_MAX * 4 + 64];
    size_t i, o = 0;
    int n;

    n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "(error message could not be formatted)");

    o = (size_t)snprintf(line, sizeof line, "%.40s", prefix);
    for (i = 0; msg[i]; i++) {
        unsigned char c = (unsigned char)msg[i];
        /* Escape control characters: one failure, one line, whatever the input. */
        if (c < 0x20 || c == 0x7F)
            o += (size_t)snprintf(line + o, sizeof line - o, "\\x%02X", c);
        else
            line[o++] = (char)c;
    }
    if (n >= (int)sizeof msg)
        o += (size_t)snprintf(line + o, sizeof line - o, "...");
    line[o++] = '\n';
    fwrite(line, 1, o, stderr);
    fflush(stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vline("toolgate: ", fmt, ap);
    va_end(ap);
}

int cli_report_detail(const cli_command *cmd, int rc, const char *detail)
{
    if (!detail || !detail[0])
        detail = tg_strerror(rc);
    /* Bad input, or a configuration found bad only when first used (e.g.
     * client credentials the token endpoint refuses): docs/design.md §8 exit 2. */
    if (rc == TG_EINVAL || rc == TG_ECONFIG || rc == TG_EPLUGIN) {
        size_t n = strlen(cmd->name);
        /* "event: ..." from the library needs no second "event: ". */
        if (strncmp(detail, cmd->name, n) == 0 && detail[n] == ':')
            cli_error("%s", detail);
        else
            cli_error("%s: %s", cmd->name, detail);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(detail, tg_strerror(rc)) == 0)
        cli_error("%s: %s", cmd->name, detail);
    else
        cli_error("%s: %s: %s", cmd->name, tg_strerror(rc), detail);
    return CLI_EXIT_FAILURE;
}

static void cli_log_line(void *ctx, tg_log_level level, const char *message)
{
    (void)ctx;
    fprintf(stderr, "toolgate: %s: %s\n",
            level == TG_LOG_DEBUG ? "debug" : level == TG_LOG_INFO ? "info"
                                          : level == TG_LOG_WARN ? "warning" : "error",
            message);
    fflush(stderr);
}

void cli_log_to_stderr(void)
{
    tg_log_set(TG_LOG_DEBUG, cli_log_line, NULL);
}

int cli_report_call(const cli_command *cmd, int rc)
{
    return cli_report_detail(cmd, rc, tg_error_message());
}

int cli_report_unavailable_detail(const cli_command *cmd, int rc, const char *detail)
{
    cli_error("%s: %s: %s", cmd->name, tg_strerror(rc),
              detail && detail[0] ? detail : "no detail");
    return CLI_EXIT_UNAVAILABLE;
}

int cli_report_unavailable(const cli_command *cmd, int rc)
{
    return cli_report_unavailable_detail(cmd, rc, tg_error_message());
}

void cli_keep_why(const tg_decision *d, char *why, size_t len)
{
    const char *msg = tg_error_message();

    if (tg_decision_verdict(d) == TG_VERDICT_UNAVAILABLE && msg && msg[0])
        snprintf(why, len, "%s", msg);
    else if (len > 0)
        why[0] = '\0';
}

int cli_exit_for_verdict(tg_verdict v)
{
    switch (v) {
    case TG_VERDICT_ALLOW: return CLI_EXIT_OK;
    case TG_VERDICT_NEEDS_AUTHORIZATION: return CLI_EXIT_NEEDS_AUTH;
    case TG_VERDICT_UNAVAILABLE: return CLI_EXIT_UNAVAILABLE;
    case TG_VERDICT_DENY: return CLI_EXIT_DENY;
    }
    return CLI_EXIT_FAILURE;
}
