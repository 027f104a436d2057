/* The `toolgate` command (docs/design.md §8): shared types of its parts. */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "toolgate/toolgate.h"

/* Exit codes of docs/design.md §8. */
enum {
    CLI_EXIT_OK = 0,           /* ALLOW, or the command succeeded */
    CLI_EXIT_FAILURE = 1,      /* any other failure */
    CLI_EXIT_USAGE = 2,        /* bad arguments, bad input, bad configuration */
    CLI_EXIT_NEEDS_AUTH = 10,  /* NEEDS_AUTHORIZATION; wait timed out */
    CLI_EXIT_UNAVAILABLE = 11, /* the provider could not answer */
    CLI_EXIT_DENY = 12,        /* the configuration forbids the call */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT or SIGTERM */
};

/* The flags a subcommand may take, as a bit set. */
enum {
    CLI_OPT_CONFIG = 1u << 0,
    CLI_OPT_TOOL = 1u << 1,
    CLI_OPT_IDENTIFIER = 1u << 2,
    CLI_OPT_CONNECTION = 1u << 3,
    CLI_OPT_FORMAT = 1u << 4,
    CLI_OPT_TIMEOUT = 1u << 5,
    /* --request-id; a command that takes it prints a decision, so it also
     * takes the MCP formats (the others take json and text only). */
    CLI_OPT_REQUEST_ID = 1u << 6,
    /* event: the secret's variable, the webhook-* header values, the time */
    CLI_OPT_SECRET_ENV = 1u << 7,
    CLI_OPT_WEBHOOK_ID = 1u << 8,
    CLI_OPT_WEBHOOK_TIMESTAMP = 1u << 9,
    CLI_OPT_WEBHOOK_SIGNATURE = 1u << 10,
    CLI_OPT_NOW = 1u << 11,
    /* --verbose: takes no value; the library's diagnostic lines on stderr */
    CLI_OPT_VERBOSE = 1u << 12,
    CLI_OPT_POLL_MS = 1u << 13,
    /* "-- COMMAND [ARG...]" ends the options and names a program to run */
    CLI_OPT_COMMAND = 1u << 14,
    /* check, status, link, wait: ask a `toolgate serve` instead (client mode) */
    CLI_OPT_SERVER = 1u << 15,
    /* serve: where to listen, and the variables holding its secrets */
    CLI_OPT_LISTEN = 1u << 16,
    CLI_OPT_UNIX = 1u << 17,
    CLI_OPT_WEBHOOK_SECRET_ENV = 1u << 18,
    CLI_OPT_API_TOKEN_ENV = 1u << 19
};

/* Parsed command line. Strings are borrowed from argv. */
typedef struct cli_args {
    const char *config;      /* NULL: $TOOLGATE_CONFIG, then ./toolgate.json */
    const char *tool;
    const char *identifier;
    const char *connection;
    tg_format format;        /* json or text, and the MCP formats for check */
    const char *request_id;  /* JSON-RPC id (JSON text) for the MCP formats, or NULL */
    int64_t timeout_ms;      /* wait only; default 300 s */
    const char *secret_env;  /* event: name of the variable holding the secret */
    const char *webhook_id;  /* event: the webhook-* header values */
    const char *webhook_timestamp;
    const char *webhook_signature;
    int has_now;             /* event: --now given */
    int64_t now;             /* event: Unix seconds */
    int verbose;             /* --verbose */
    int64_t poll_ms;         /* mcp-proxy: first pause of a completion watch; default 1000 */
    char **command;          /* mcp-proxy: COMMAND [ARG...] after "--", NULL-terminated */
    int has_timeout;         /* --timeout given */
    const char *server;      /* --server URL; NULL: $TOOLGATE_SERVER, else local */
    const char *listen;      /* serve: --listen HOST:PORT */
    const char *unix_path;   /* serve: --unix PATH */
    const char *webhook_secret_env; /* serve: variable holding the webhook secret */
    const char *api_token_env;      /* serve: variable holding the API token */
} cli_args;

typedef struct cli_command cli_command;
typedef int (*cli_run_fn)(const cli_command *cmd, const cli_args *args);

/* One subcommand: its name, flags, help and body. */
struct cli_command {
    const char *name;
    unsigned allowed;   /* CLI_OPT_* it accepts */
    unsigned required;  /* CLI_OPT_* it needs */
    const char *help;   /* full --help text */
    cli_run_fn run;
};

/* The subcommands, NULL-name terminated (main.c). */
extern const cli_command cli_commands[];

/* ---- args.c ---- */

/* Result of cli_parse_args beyond an exit code. */
#define CLI_PARSE_HELP (-1)

/**
 * Parse argv[first..argc) for @p cmd into @p out.
 * @return 0 on success; CLI_PARSE_HELP when --help was given (nothing else is
 *         checked after it); CLI_EXIT_USAGE after printing one line on stderr.
 */
int cli_parse_args(const cli_command *cmd, int argc, char **argv, int first, cli_args *out);

/* ---- report.c ---- */

/* Print "toolgate: <formatted>" as exactly one line on stderr: control
 * characters are escaped, so no input can break the line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same with another prefix (at most 40 bytes), e.g. "toolgate serve: ". */
void cli_vline(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/**
 * Report a failed library call of @p cmd on stderr (one line, with
 * tg_error_message()) and return its exit code: CLI_EXIT_USAGE for TG_EINVAL,
 * CLI_EXIT_FAILURE for anything else.
 */
int cli_report_call(const cli_command *cmd, int rc);

/* Report that the provider could not answer (one line on stderr saying what
 * failed, from tg_error_message()) and return CLI_EXIT_UNAVAILABLE. */
int cli_report_unavailable(const cli_command *cmd, int rc);

/* The same two with the detail given (client mode: the server's message). */
int cli_report_detail(const cli_command *cmd, int rc, const char *detail);
int cli_report_unavailable_detail(const cli_command *cmd, int rc, const char *detail);

/* What failed, for an UNAVAILABLE decision just made: a copy of
 * tg_error_message() (anything else the command does may reuse it); "" for
 * other verdicts. */
#define CLI_WHY_MAX 512
void cli_keep_why(const tg_decision *d, char *why, size_t len);

/* Exit code for a verdict: 0, 10, 11, 12; 1 for an unknown value. */
int cli_exit_for_verdict(tg_verdict v);

/* Send the library's diagnostic lines (provider requests, times, failures;
 * never a secret) to stderr, one "toolgate: debug: ..." line each. */
void cli_log_to_stderr(void);

/* ---- gate_open.c ---- */

/* The configuration file: --config, else $TOOLGATE_CONFIG, else
 * ./toolgate.json (*defaulted set to 1). Borrowed. */
const char *cli_config_path(const cli_args *args, int *defaulted);

/**
 * Open the gate named by --config, $TOOLGATE_CONFIG or ./toolgate.json.
 * @return 0 with *out set (caller frees with tg_gate_free); otherwise the exit
 *         code after one line on stderr naming the file: CLI_EXIT_USAGE for
 *         configuration errors (TG_ECONFIG, TG_EIO, TG_EPLUGIN, TG_EINVAL),
 *         CLI_EXIT_FAILURE for the rest.
 */
int cli_open_gate(const cli_args *args, tg_gate **out);
/* cli_open_gate() and a decision for the command's answer: 0 with both set,
 * or the exit code (nothing left open). */
int cli_open_gate_and_decision(const cli_args *args, tg_gate **gate, tg_decision **d);

/* ---- render.c: the lines status, link and wait print (also served) ---- */

/* Write Unix ms @p ms as RFC 3339 UTC ("2026-11-25T15:10:00Z") into buf
 * (at least 32 bytes). Returns 0, or -1 when ms is not representable. */
int cli_format_time(int64_t ms, char *buf, size_t len);

/* {"connection","identifier","status"} (status null when the decision has
 * none), or for TG_FORMAT_TEXT "STATUS: reason" (the verdict when no status
 * is known). One line without its newline; caller frees; NULL when out of
 * memory. */
char *cli_render_status(const char *connection, const char *identifier, const tg_decision *d,
                        tg_format format);

/* {"link","link_expires_at"}, or for TG_FORMAT_TEXT the link alone. As
 * cli_render_status(). */
char *cli_render_link(const char *link, int64_t expires_at_ms, tg_format format);

/* ---- output.c ---- */

/* Write @p text and a newline to stdout and flush. Returns 0, or
 * CLI_EXIT_FAILURE after reporting (a closed pipe, a full disk). */
int cli_emit(const char *text);

/**
 * tg_decision_encode() into a malloc'd buffer with a spare byte, so that
 * buf[len] may become a newline and buf[len + 1] its NUL. @p len receives
 * the length without the NUL. NULL on failure, with the library code in *rc_out (TG_ENOMEM when
 * out of memory).
 */
char *cli_encode_decision(const tg_decision *d, tg_format format, const char *request_id,
                          size_t *len, int *rc_out);

/* Print a decision on stdout as tg_decision_encode() writes it in @p format,
 * wrapped in a JSON-RPC response when @p request_id is not NULL.
 * Returns 0, or an exit code after reporting on stderr. */
int cli_print_decision(const tg_decision *d, tg_format format, const char *request_id);

/* Print {"connection","identifier","status"} (status null when the decision
 * has none) or its text line. Returns 0, or an exit code after reporting. */
int cli_print_status(const char *connection, const char *identifier, const tg_decision *d,
                     tg_format format);

/* Print {"link","link_expires_at"} or the link alone. Returns 0 or an exit code. */
int cli_print_link(const char *link, int64_t expires_at_ms, tg_format format);

/* ---- commands ---- */
int cli_run_check(const cli_command *cmd, const cli_args *args);
int cli_run_status(const cli_command *cmd, const cli_args *args);
int cli_run_link(const cli_command *cmd, const cli_args *args);
int cli_run_wait(const cli_command *cmd, const cli_args *args);
int cli_run_event(const cli_command *cmd, const cli_args *args);
int cli_run_mcp_proxy(const cli_command *cmd, const cli_args *args);
int cli_run_serve(const cli_command *cmd, const cli_args *args);

/* ---- interrupt.c ---- */

/* Set once SIGINT or SIGTERM arrives while caught. */
extern volatile sig_atomic_t cli_interrupted;

typedef struct cli_interrupts {
    struct sigaction old_int, old_term;
} cli_interrupts;

/* Catch SIGINT and SIGTERM into cli_interrupted / put the old handlers back. */
void cli_interrupts_catch(cli_interrupts *saved);
void cli_interrupts_restore(const cli_interrupts *saved);

/* ---- remote.c: client mode ---- */

/* The server the command asks: --server, else $TOOLGATE_SERVER when no
 * --config is given; NULL: build a gate locally. */
const char *cli_server_url(const cli_args *args);

/* check, status, link and wait asked of a `toolgate serve` at @p url: they
 * print and exit as the local commands do. */
int cli_remote_check(const cli_command *cmd, const cli_args *args, const char *url);
int cli_remote_status(const cli_command *cmd, const cli_args *args, const char *url);
int cli_remote_link(const cli_command *cmd, const cli_args *args, const char *url);
int cli_remote_wait(const cli_command *cmd, const cli_args *args, const char *url);

#endif
