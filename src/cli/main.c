/* `toolgate`: subcommand dispatch, top-level --help and --version. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"

#define CLI_CONFIG_HELP                                                                  \
    "  --config FILE         configuration file (default: $TOOLGATE_CONFIG, then\n"     \
    "                        ./toolgate.json)\n"
#define CLI_FORMAT_HELP                                                                  \
    "  --format json|text    output format (default json; text is one line for a\n"     \
    "                        person)\n"
#define CLI_VERBOSE_HELP                                                                 \
    "  --verbose             diagnostic lines on stderr: each provider request, its\n"  \
    "                        result and time (never a secret)\n"
#define CLI_HELP_HELP "  -h, --help            show this help and exit\n"
#define CLI_SERVER_HELP                                                                  \
    "  --server URL          ask the `toolgate serve` at URL (http://HOST:PORT or\n"      \
    "                        unix:/PATH) instead of building a gate here (default:\n"   \
    "                        $TOOLGATE_SERVER unless --config is given); the API\n"     \
    "                        token, if it wants one, comes from $TOOLGATE_API_TOKEN\n"
#define CLI_VALUE_NOTE                                                                   \
    "\nA value may also be written --flag=VALUE (needed when it starts with \"--\").\n"

static const char cli_check_help[] =
    "Usage: toolgate check [--config FILE] --tool NAME --identifier ID\n"
    "                      [--format FORMAT] [--request-id ID]\n"
    "\n"
    "Decide whether tool NAME may run for the end user ID: the tool is mapped to a\n"
    "connection by the configured tool rules and the user's connected account for it\n"
    "must be ACTIVE. Prints the decision on stdout.\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --tool NAME           tool the agent wants to call, e.g. gmail_send_email\n"
    "  --identifier ID       end user the call is made for, e.g. user_123\n"
    "  --format FORMAT       how to print the decision (default json):\n"
    "                        json                the decision object\n"
    "                        text                one line for a person\n"
    "                        mcp                 MCP 2025-11-25: a blocked call is a\n"
    "                                            JSON-RPC error (-32042 with the link\n"
    "                                            as a URL elicitation)\n"
    "                        mcp-input-required  MCP 2026-07-28: an input_required\n"
    "                                            result with a URL elicitation\n"
    "                        mcp-tool-result     a CallToolResult whose text holds\n"
    "                                            the link (isError unless ALLOW)\n"
    "  --request-id ID       JSON-RPC id of the request, as JSON (7 or '\"abc\"'):\n"
    "                        an MCP format then prints a whole JSON-RPC response\n"
        CLI_SERVER_HELP CLI_VERBOSE_HELP CLI_HELP_HELP
    "\n"
    "Exit status: 0 ALLOW, 10 NEEDS_AUTHORIZATION (the decision carries the link),\n"
    "11 UNAVAILABLE, 12 DENY, 2 bad arguments, input or configuration, 1 other failure.\n"
    CLI_VALUE_NOTE;

static const char cli_status_help[] =
    "Usage: toolgate status [--config FILE] --connection NAME --identifier ID\n"
    "                       [--format json|text]\n"
    "\n"
    "Print the status of the end user's connected account for a connection, as\n"
    "{\"connection\":...,\"identifier\":...,\"status\":...} (status null when unknown).\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --connection NAME     connection, e.g. gmail\n"
    "  --identifier ID       end user, e.g. user_123\n" CLI_FORMAT_HELP CLI_SERVER_HELP
        CLI_VERBOSE_HELP
        CLI_HELP_HELP
    "\n"
    "Exit status: 0 ACTIVE, 10 not ACTIVE, 11 provider unavailable, 2 bad arguments,\n"
    "input or configuration, 1 other failure.\n" CLI_VALUE_NOTE;

static const char cli_link_help[] =
    "Usage: toolgate link [--config FILE] --connection NAME --identifier ID\n"
    "                     [--format json|text]\n"
    "\n"
    "Print an authorization link for the end user's connected account, whatever its\n"
    "status, as {\"link\":...,\"link_expires_at\":...} (expiry in RFC 3339 UTC, null\n"
    "when none). --format text prints the link alone.\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --connection NAME     connection, e.g. gmail\n"
    "  --identifier ID       end user, e.g. user_123\n" CLI_FORMAT_HELP CLI_SERVER_HELP
        CLI_VERBOSE_HELP
        CLI_HELP_HELP
    "\n"
    "Exit status: 0 success, 11 the provider failed, 2 bad arguments, input or\n"
    "configuration, 1 other failure (e.g. the provider has no links).\n" CLI_VALUE_NOTE;

static const char cli_wait_help[] =
    "Usage: toolgate wait [--config FILE] --connection NAME --identifier ID\n"
    "                     [--timeout SECONDS] [--format json|text]\n"
    "\n"
    "Wait until the end user's connected account is ACTIVE, asking the provider\n"
    "again with backoff (250 ms, growing 1.5x up to 5 s). A provider that cannot\n"
    "answer is asked again. Prints the last status known as `toolgate status`\n"
    "does; shows the link and progress on stderr when stderr is a terminal.\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --connection NAME     connection, e.g. gmail\n"
    "  --identifier ID       end user, e.g. user_123\n"
    "  --timeout SECONDS     give up after this long (default 300; decimals allowed)\n"
        CLI_FORMAT_HELP CLI_SERVER_HELP CLI_VERBOSE_HELP CLI_HELP_HELP
    "\n"
    "Exit status: 0 ACTIVE, 10 timed out while the provider answered, 11 timed out\n"
    "without the provider ever answering, 130 interrupted (SIGINT, SIGTERM), 2 bad\n"
    "arguments, input or configuration, 1 other failure.\n" CLI_VALUE_NOTE;

static const char cli_event_help[] =
    "Usage: toolgate event --secret-env NAME --id ID --timestamp SECONDS\n"
    "                      --signature SIGS [--now SECONDS] < BODY\n"
    "\n"
    "Verify a Scalekit webhook delivery (HMAC-SHA256, Standard Webhooks) and print\n"
    "the event it carries as one JSON line:\n"
    "{\"id\":...,\"type\":...,\"occurred_at\":...,\"connection\":...,\"identifier\":...,\n"
    " \"status\":...,\"kind\":\"status\"|\"deleted\"|\"other\"} (status is the toolgate\n"
    "name, null unless kind is \"status\"; absent values are null).\n"
    "The body is read from standard input exactly as received (at most 1 MiB).\n"
    "\n"
    "Options:\n"
    "  --secret-env NAME     environment variable that holds the signing secret\n"
    "                        (whsec_...); the secret is never read from arguments\n"
    "  --id ID               the webhook-id header\n"
    "  --timestamp SECONDS   the webhook-timestamp header (Unix seconds)\n"
    "  --signature SIGS      the webhook-signature header (\"v1,<base64> ...\")\n"
    "  --now SECONDS         the current time, Unix seconds (default: the clock);\n"
    "                        the timestamp must be within 300 s of it\n" CLI_HELP_HELP
    "\n"
    "Exit status: 0 verified (the event is printed), 1 not verified (no signature\n"
    "matches, or the timestamp is too old or too far ahead) or other failure,\n"
    "2 bad arguments or input (malformed header, secret or event; unset variable).\n"
    CLI_VALUE_NOTE;

static const char cli_mcp_proxy_help[] =
    "Usage: toolgate mcp-proxy [--config FILE] [--identifier ID] [--poll-ms N]\n"
    "                          -- COMMAND [ARG...]\n"
    "\n"
    "Put the gate in front of an MCP server over stdio: start COMMAND (the server) and\n"
    "relay newline-delimited JSON-RPC between it and the client on this process's\n"
    "standard input and output. Every message passes unchanged except a tools/call\n"
    "the end user may not make yet: the proxy answers it itself with the request's\n"
    "id. A NEEDS_AUTHORIZATION answer is error -32042 with the authorization link as\n"
    "a URL elicitation when the client declared capabilities.elicitation.url, else a\n"
    "tool result with isError and the link in its text; UNAVAILABLE, DENY and bad\n"
    "tool names are tool results with isError. Once the account of an elicitation\n"
    "is ACTIVE, the client gets notifications/elicitation/complete, and its retry\n"
    "goes through. The server's standard error is the proxy's.\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --identifier ID       the end user this server serves (default:\n"
    "                        $TOOLGATE_IDENTIFIER; one of the two is required)\n"
    "  --poll-ms N           first pause, in ms, between provider looks while an\n"
    "                        elicitation is outstanding (default 1000; each pause is\n"
    "                        1.5x the last, up to 5 s; 10 minutes in all)\n"
    "  -- COMMAND [ARG...]   the MCP server to run, with its arguments\n"
        CLI_VERBOSE_HELP CLI_HELP_HELP
    "\n"
    "Ending: when the server exits, so does the proxy, with its exit status (128+N\n"
    "when signal N ended it). At the end of the client's input the server's input\n"
    "is closed; a server still running gets SIGTERM 5 s later and SIGKILL 10 s later.\n"
    "SIGTERM, SIGINT, SIGHUP and SIGQUIT are passed to the server.\n"
    "\n"
    "Exit status: the server's; 2 bad arguments or configuration (before the server\n"
    "starts), 127 COMMAND not found, 126 COMMAND not executable, 1 other failure.\n"
    CLI_VALUE_NOTE;
static const char cli_serve_help[] =
    "Usage: toolgate serve [--config FILE] [--listen HOST:PORT | --unix PATH]\n"
    "                      [--webhook-secret-env VAR] [--api-token-env VAR] [--verbose]\n"
    "\n"
    "Run one long-lived gate behind HTTP: for agents in any language (its cache,\n"
    "single flight and link reuse are shared by all their checks) and to receive\n"
    "Scalekit's webhooks. Once listening it prints one line on stdout,\n"
    "\"toolgate serve: listening on URL\"; it logs on stderr.\n"
    "\n"
    "  POST /v1/check          {\"tool\",\"identifier\"[,\"format\"][,\"request_id\"]}\n"
    "  GET  /v1/status         ?connection=&identifier=\n"
    "  GET  /v1/link           ?connection=&identifier=\n"
    "  POST /v1/invalidate     {\"connection\",\"identifier\"}\n"
    "  GET  /v1/wait           ?connection=&identifier=&timeout_ms=  (long poll)\n"
    "  POST /v1/webhooks/scalekit   Scalekit's deliveries (signed)\n"
    "  GET  /metrics  /healthz  /readyz\n"
    "\n"
    "The commands check, status, link and wait ask such a server with --server URL\n"
    "(or $TOOLGATE_SERVER).\n"
    "\n"
    "Options:\n" CLI_CONFIG_HELP
    "  --listen HOST:PORT    where to listen (default 127.0.0.1:8777; port 0 picks a\n"
    "                        free one); HOST is an IPv4 address, [IPv6] or localhost.\n"
    "                        An address that is not loopback needs --api-token-env\n"
    "  --unix PATH           listen on a unix socket instead (created mode 0600)\n"
    "  --webhook-secret-env VAR\n"
    "                        environment variable holding Scalekit's webhook signing\n"
    "                        secret (whsec_...); without it the webhook route is 404\n"
    "  --api-token-env VAR   environment variable holding a token that every /v1/\n"
    "                        request but the webhook must show as\n"
    "                        \"Authorization: Bearer <token>\" (else 401)\n"
    "  --verbose             also log the library's diagnostic lines (each provider\n"
    "                        request, its result and time; never a secret)\n" CLI_HELP_HELP
    "\n"
    "Signals: SIGHUP reloads the configuration (a bad one keeps the running gate and\n"
    "says why on stderr); SIGTERM or SIGINT stops accepting, lets the requests in\n"
    "flight finish (at most 5 s) and exits 0.\n"
    "\n"
    "Exit status: 0 stopped by SIGTERM or SIGINT, 2 bad arguments or configuration,\n"
    "1 cannot listen or other failure.\n" CLI_VALUE_NOTE;

const cli_command cli_commands[] = {
    { "check",
      CLI_OPT_CONFIG | CLI_OPT_TOOL | CLI_OPT_IDENTIFIER | CLI_OPT_FORMAT | CLI_OPT_REQUEST_ID |
          CLI_OPT_VERBOSE | CLI_OPT_SERVER,
      CLI_OPT_TOOL | CLI_OPT_IDENTIFIER, cli_check_help, cli_run_check },
    { "status",
      CLI_OPT_CONFIG | CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER | CLI_OPT_FORMAT | CLI_OPT_VERBOSE |
          CLI_OPT_SERVER,
      CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER, cli_status_help, cli_run_status },
    { "link",
      CLI_OPT_CONFIG | CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER | CLI_OPT_FORMAT | CLI_OPT_VERBOSE |
          CLI_OPT_SERVER,
      CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER, cli_link_help, cli_run_link },
    { "wait",
      CLI_OPT_CONFIG | CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER | CLI_OPT_FORMAT |
          CLI_OPT_TIMEOUT | CLI_OPT_VERBOSE | CLI_OPT_SERVER,
      CLI_OPT_CONNECTION | CLI_OPT_IDENTIFIER, cli_wait_help, cli_run_wait },
    { "event",
      CLI_OPT_SECRET_ENV | CLI_OPT_WEBHOOK_ID | CLI_OPT_WEBHOOK_TIMESTAMP |
          CLI_OPT_WEBHOOK_SIGNATURE | CLI_OPT_NOW,
      CLI_OPT_SECRET_ENV | CLI_OPT_WEBHOOK_ID | CLI_OPT_WEBHOOK_TIMESTAMP |
          CLI_OPT_WEBHOOK_SIGNATURE,
      cli_event_help, cli_run_event },
    { "mcp-proxy",
      CLI_OPT_CONFIG | CLI_OPT_IDENTIFIER | CLI_OPT_POLL_MS | CLI_OPT_COMMAND | CLI_OPT_VERBOSE,
      CLI_OPT_COMMAND, cli_mcp_proxy_help, cli_run_mcp_proxy },
    { "serve",
      CLI_OPT_CONFIG | CLI_OPT_LISTEN | CLI_OPT_UNIX | CLI_OPT_WEBHOOK_SECRET_ENV |
          CLI_OPT_API_TOKEN_ENV | CLI_OPT_VERBOSE,
      0, cli_serve_help, cli_run_serve },
    { NULL, 0, 0, NULL, NULL }
};

static const char cli_main_help[] =
    "Usage: toolgate COMMAND [OPTIONS]\n"
    "       toolgate --help | --version\n"
    "\n"
    "Check an AI agent's tool call against the end user's connected-account status\n"
    "before the tool runs. A blocked call prints the authorization link to send to\n"
    "the user.\n"
    "\n"
    "Commands:\n"
    "  check   --tool NAME --identifier ID             may this tool run for this user?\n"
    "  status  --connection NAME --identifier ID       status of the user's account\n"
    "  link    --connection NAME --identifier ID       authorization link for the user\n"
    "  wait    --connection NAME --identifier ID       wait until the account is ACTIVE\n"
    "          [--timeout SECONDS]\n"
    "  event   --secret-env NAME --id ID               verify a webhook delivery (body\n"
    "          --timestamp SECONDS --signature SIGS    on stdin) and print its event\n"
    "  mcp-proxy [--identifier ID] -- COMMAND [ARG...] gate an MCP server's tools/call\n"
    "                                                  (stdio gateway)\n"
    "  serve   [--listen HOST:PORT | --unix PATH]      one long-lived gate behind HTTP\n"
    "\n"
    "Every command takes --config FILE (default: $TOOLGATE_CONFIG, then\n"
    "./toolgate.json), --format json|text (default json) and --help. check also\n"
    "prints MCP answers: --format mcp|mcp-input-required|mcp-tool-result.\n"
    "check, status, link and wait take --server URL (or $TOOLGATE_SERVER) to ask a\n"
    "`toolgate serve` instead of building a gate; they print and exit the same.\n"
    "event is the exception: it reads no configuration and takes only its own\n"
    "options (see 'toolgate event --help'); mcp-proxy prints no decision and has\n"
    "no --format (see 'toolgate mcp-proxy --help'); nor has serve.\n"
    "\n"
    "Exit status:\n"
    "  0   ALLOW, or success\n"
    "  10  NEEDS_AUTHORIZATION (and `wait` timing out)\n"
    "  11  UNAVAILABLE: the provider could not answer\n"
    "  12  DENY: the configuration forbids the call\n"
    "  2   bad arguments, bad input or bad configuration (one line on stderr)\n"
    "  130 interrupted (`wait`)\n"
    "  1   any other failure\n"
    "\n"
    "Run `toolgate COMMAND --help` for a command's options.\n";

/* The command holds provider credentials in memory (the client secret, access
 * tokens): no core dump of it, and no ptrace or /proc/PID/mem access by other
 * processes of the same user. Dumps for debugging: run it under a debugger
 * as root, or remove this for a build of your own. */
static void cli_harden(void)
{
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
    const cli_command *cmd;
    cli_args args;
    int rc;

    if (argc < 2) {
        cli_error("missing command (check, status, link, wait, event, mcp-proxy or serve); "
                  "see 'toolgate --help'");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc > 2) {
            cli_error("unexpected argument \"%s\" after %s", argv[2], argv[1]);
            return CLI_EXIT_USAGE;
        }
        fputs(cli_main_help, stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        if (argc > 2) {
            cli_error("unexpected argument \"%s\" after --version", argv[2]);
            return CLI_EXIT_USAGE;
        }
        printf("toolgate %s\n", tg_version());
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }

    for (cmd = cli_commands; cmd->name; cmd++)
        if (strcmp(argv[1], cmd->name) == 0)
            break;
    if (!cmd->name) {
        if (argv[1][0] == '-')
            cli_error("unknown option \"%s\" (a command comes first); see 'toolgate --help'",
                      argv[1]);
        else
            cli_error("unknown command \"%s\"; see 'toolgate --help'", argv[1]);
        return CLI_EXIT_USAGE;
    }

    cli_harden();
    rc = cli_parse_args(cmd, argc, argv, 2, &args);
    if (rc == CLI_PARSE_HELP) {
        fputs(cmd->help, stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    if (rc != 0)
        return rc;
    if (args.verbose)
        cli_log_to_stderr();
    return cmd->run(cmd, &args);
}
