/* Command-line flags of a subcommand: --flag VALUE or --flag=VALUE, nothing
 * positional, each flag at most once. A small hand parser so every mistake
 * gets one clear line on stderr and exit code 2. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_DEFAULT_TIMEOUT_MS (300 * 1000)
/* Ten years: long enough for anyone, far from int64 overflow. */
#define CLI_MAX_TIMEOUT_S 315360000
/* --poll-ms: one second by default, at most ten minutes. */
#define CLI_DEFAULT_POLL_MS 1000
#define CLI_MAX_POLL_MS 600000

static const struct {
    const char *name; /* without the leading "--" */
    unsigned bit;
} cli_flags[] = {
    { "config", CLI_OPT_CONFIG },         { "tool", CLI_OPT_TOOL },
    { "identifier", CLI_OPT_IDENTIFIER }, { "connection", CLI_OPT_CONNECTION },
    { "format", CLI_OPT_FORMAT },         { "timeout", CLI_OPT_TIMEOUT },
    { "request-id", CLI_OPT_REQUEST_ID },
    { "secret-env", CLI_OPT_SECRET_ENV }, { "id", CLI_OPT_WEBHOOK_ID },
    { "timestamp", CLI_OPT_WEBHOOK_TIMESTAMP }, { "signature", CLI_OPT_WEBHOOK_SIGNATURE },
    { "now", CLI_OPT_NOW },               { "verbose", CLI_OPT_VERBOSE },
    { "poll-ms", CLI_OPT_POLL_MS },
    { "server", CLI_OPT_SERVER },         { "listen", CLI_OPT_LISTEN },
    { "unix", CLI_OPT_UNIX },             { "webhook-secret-env", CLI_OPT_WEBHOOK_SECRET_ENV },
    { "api-token-env", CLI_OPT_API_TOKEN_ENV },
};
#define CLI_N_FLAGS (sizeof cli_flags / sizeof cli_flags[0])

/* SECONDS: digits, optionally a '.' and more digits; at most ten years.
 * Returns 0 with *ms set, -1 when malformed. */
static int cli_parse_timeout(const char *s, int64_t *ms)
{
    int64_t whole = 0, frac_ms = 0, scale = 100;
    const char *p = s;

    if (!(*p >= '0' && *p <= '9'))
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > CLI_MAX_TIMEOUT_S)
            return -1;
    }
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            frac_ms += (*p - '0') * scale; /* digits past milliseconds are dropped */
            scale /= 10;
        }
    }
    if (*p)
        return -1;
    *ms = whole * 1000 + frac_ms;
    return 0;
}

/* Unix seconds: 1-18 digits (no sign, no overflow). Returns 0 or -1. */
static int cli_parse_unix_seconds(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (i >= 18 || s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return -1;
    *out = v;
    return 0;
}

/* Milliseconds: 1 to CLI_MAX_POLL_MS, digits only. Returns 0 or -1. */
static int cli_parse_poll_ms(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > CLI_MAX_POLL_MS)
            return -1;
    }
    if (i == 0 || v < 1)
        return -1;
    *out = v;
    return 0;
}

static const char *cli_flag_name(unsigned bit)
{
    size_t i;
    for (i = 0; i < CLI_N_FLAGS; i++)
        if (cli_flags[i].bit == bit)
            return cli_flags[i].name;
    return "?";
}

/* A command that takes --request-id prints a decision: it takes every format. */
static int cli_prints_decision(const cli_command *cmd)
{
    return (cmd->allowed & CLI_OPT_REQUEST_ID) != 0;
}

static int cli_is_mcp_format(tg_format f)
{
    return f == TG_FORMAT_MCP || f == TG_FORMAT_MCP_INPUT_REQUIRED ||
           f == TG_FORMAT_MCP_TOOL_RESULT;
}

/* --request-id goes with an MCP format and must be a JSON-RPC id. The library
 * is the judge of an id: encoding an empty decision with it tells. */
static int cli_check_request_id(const cli_command *cmd, const cli_args *args)
{
    tg_decision *probe;
    int rc;

    if (!args->request_id)
        return 0;
    if (!cli_is_mcp_format(args->format)) {
        cli_error("%s: --request-id needs --format mcp, mcp-input-required or mcp-tool-result",
                  cmd->name);
        return CLI_EXIT_USAGE;
    }
    probe = tg_decision_new();
    if (!probe) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    rc = tg_decision_encode(probe, args->format, args->request_id, NULL, 0, NULL);
    tg_decision_free(probe);
    if (rc == TG_EINVAL) {
        cli_error("%s: --request-id must be a JSON string (with its quotes, e.g. '\"abc\"') "
                  "or a JSON integer, not %s",
                  cmd->name, args->request_id);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* The name of an environment variable: non-empty, no '='. */
static int cli_env_name(const cli_command *cmd, const char *flag, const char *value,
                        const char **out)
{
    if (!value[0] || strchr(value, '=')) {
        cli_error("%s: --%s needs the name of an environment variable, not \"%s\"", cmd->name,
                  flag, value);
        return CLI_EXIT_USAGE;
    }
    *out = value;
    return 0;
}

static int cli_store(const cli_command *cmd, unsigned bit, const char *value, cli_args *out)
{
    switch (bit) {
    case CLI_OPT_CONFIG:
        if (!value[0]) {
            cli_error("%s: --config needs a file name, not \"\"", cmd->name);
            return CLI_EXIT_USAGE;
        }
        out->config = value;
        break;
    case CLI_OPT_TOOL:
        out->tool = value;
        break;
    case CLI_OPT_IDENTIFIER:
        out->identifier = value;
        break;
    case CLI_OPT_CONNECTION:
        out->connection = value;
        break;
    case CLI_OPT_FORMAT:
        if (tg_format_parse(value, &out->format) != TG_OK ||
            (!cli_prints_decision(cmd) && out->format != TG_FORMAT_JSON &&
             out->format != TG_FORMAT_TEXT)) {
            if (cli_prints_decision(cmd))
                cli_error("%s: --format must be json, text, mcp, mcp-input-required or "
                          "mcp-tool-result, not \"%s\"",
                          cmd->name, value);
            else
                cli_error("%s: --format must be json or text, not \"%s\"", cmd->name, value);
            return CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_REQUEST_ID:
        out->request_id = value;
        break;
    case CLI_OPT_TIMEOUT:
        if (cli_parse_timeout(value, &out->timeout_ms) != 0) {
            cli_error("%s: --timeout must be a number of seconds from 0 to %d, not \"%s\"",
                      cmd->name, CLI_MAX_TIMEOUT_S, value);
            return CLI_EXIT_USAGE;
        }
        out->has_timeout = 1;
        break;
    case CLI_OPT_SECRET_ENV:
        return cli_env_name(cmd, "secret-env", value, &out->secret_env);
    case CLI_OPT_WEBHOOK_SECRET_ENV:
        return cli_env_name(cmd, "webhook-secret-env", value, &out->webhook_secret_env);
    case CLI_OPT_API_TOKEN_ENV:
        return cli_env_name(cmd, "api-token-env", value, &out->api_token_env);
    case CLI_OPT_SERVER:
        if (!value[0]) {
            cli_error("%s: --server needs a URL (http://HOST:PORT or unix:/PATH), not \"\"",
                      cmd->name);
            return CLI_EXIT_USAGE;
        }
        out->server = value;
        break;
    case CLI_OPT_LISTEN:
        out->listen = value;
        break;
    case CLI_OPT_UNIX:
        out->unix_path = value;
        break;
    case CLI_OPT_WEBHOOK_ID:
        out->webhook_id = value;
        break;
    case CLI_OPT_WEBHOOK_TIMESTAMP:
        out->webhook_timestamp = value;
        break;
    case CLI_OPT_WEBHOOK_SIGNATURE:
        out->webhook_signature = value;
        break;
    case CLI_OPT_POLL_MS:
        if (cli_parse_poll_ms(value, &out->poll_ms) != 0) {
            cli_error("%s: --poll-ms must be a whole number of milliseconds from 1 to %d, "
                      "not \"%s\"",
                      cmd->name, CLI_MAX_POLL_MS, value);
            return CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_NOW:
        if (cli_parse_unix_seconds(value, &out->now) != 0) {
            cli_error("%s: --now must be Unix seconds (digits only), not \"%s\"", cmd->name,
                      value);
            return CLI_EXIT_USAGE;
        }
        out->has_now = 1;
        break;
    default:
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_parse_args(const cli_command *cmd, int argc, char **argv, int first, cli_args *out)
{
    unsigned seen = 0;
    size_t f;
    int i, rc;

    memset(out, 0, sizeof *out);
    out->format = TG_FORMAT_JSON;
    out->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    out->poll_ms = CLI_DEFAULT_POLL_MS;

    for (i = first; i < argc; i++) {
        const char *arg = argv[i], *name, *eq, *value;
        size_t name_len;
        unsigned bit = 0;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return CLI_PARSE_HELP;
        if (strcmp(arg, "--") == 0 && (cmd->allowed & CLI_OPT_COMMAND)) {
            /* Everything after it is the program and its arguments. */
            if (i + 1 >= argc) {
                cli_error("%s: \"--\" must be followed by the command to run", cmd->name);
                return CLI_EXIT_USAGE;
            }
            out->command = &argv[i + 1];
            seen |= CLI_OPT_COMMAND;
            break;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            cli_error("%s: unexpected argument \"%s\"; options are --flag VALUE, see "
                      "'toolgate %s --help'",
                      cmd->name, arg, cmd->name);
            return CLI_EXIT_USAGE;
        }
        name = arg + 2;
        eq = strchr(name, '=');
        name_len = eq ? (size_t)(eq - name) : strlen(name);
        for (f = 0; f < CLI_N_FLAGS; f++)
            if (strlen(cli_flags[f].name) == name_len &&
                strncmp(cli_flags[f].name, name, name_len) == 0)
                bit = cli_flags[f].bit;
        if (!bit) {
            cli_error("%s: unknown option \"%.*s\"; see 'toolgate %s --help'", cmd->name,
                      (int)(name_len + 2), arg, cmd->name);
            return CLI_EXIT_USAGE;
        }
        if (!(cmd->allowed & bit)) {
            cli_error("%s: --%s is not an option of this command; see 'toolgate %s --help'",
                      cmd->name, cli_flag_name(bit), cmd->name);
            return CLI_EXIT_USAGE;
        }
        if (seen & bit) {
            cli_error("%s: --%s given twice", cmd->name, cli_flag_name(bit));
            return CLI_EXIT_USAGE;
        }
        seen |= bit;
        if (bit == CLI_OPT_VERBOSE) { /* a switch: no value */
            if (eq) {
                cli_error("%s: --verbose takes no value", cmd->name);
                return CLI_EXIT_USAGE;
            }
            out->verbose = 1;
            continue;
        }
        if (eq) {
            value = eq + 1;
        } else {
            /* A following flag is not taken as the value: "--tool --identifier x"
             * is a forgotten value far more often than a tool named "--identifier". */
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                cli_error("%s: --%s needs a value", cmd->name, cli_flag_name(bit));
                return CLI_EXIT_USAGE;
            }
            value = argv[++i];
        }
        rc = cli_store(cmd, bit, value, out);
        if (rc != 0)
            return rc;
    }

    for (f = 0; f < CLI_N_FLAGS; f++) {
        unsigned bit = cli_flags[f].bit;
        if ((cmd->required & bit) && !(seen & bit)) {
            cli_error("%s: missing --%s; see 'toolgate %s --help'", cmd->name,
                      cli_flags[f].name, cmd->name);
            return CLI_EXIT_USAGE;
        }
    }
    if ((cmd->required & CLI_OPT_COMMAND) && !(seen & CLI_OPT_COMMAND)) {
        cli_error("%s: missing \"-- COMMAND [ARG...]\", the MCP server to run; see "
                  "'toolgate %s --help'",
                  cmd->name, cmd->name);
        return CLI_EXIT_USAGE;
    }
    if ((seen & CLI_OPT_SERVER) && (seen & CLI_OPT_CONFIG)) {
        cli_error("%s: --config and --server exclude each other (the server reads its own "
                  "configuration)",
                  cmd->name);
        return CLI_EXIT_USAGE;
    }
    if ((seen & CLI_OPT_LISTEN) && (seen & CLI_OPT_UNIX)) {
        cli_error("%s: --listen and --unix exclude each other", cmd->name);
        return CLI_EXIT_USAGE;
    }
    return cli_check_request_id(cmd, out);
}
