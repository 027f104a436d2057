/* `toolgate mcp-proxy`: the gate in front of an MCP server over stdio
 * (src/mcp/proxy.h). This part checks the arguments and opens the gate. */
#include <stdlib.h>

#include "cli.h"
#include "proxy.h"

static void cli_proxy_note(const char *text)
{
    cli_error("mcp-proxy: %s", text);
}

int cli_run_mcp_proxy(const cli_command *cmd, const cli_args *args)
{
    mcp_proxy_options o;
    const char *identifier = args->identifier;
    tg_gate *gate = NULL;
    tg_decision *d;
    int rc;

    if (!identifier) {
        identifier = getenv("TOOLGATE_IDENTIFIER");
        if (!identifier || !identifier[0]) {
            cli_error("%s: no end user: give --identifier ID or set TOOLGATE_IDENTIFIER "
                      "(a stdio server serves one user)",
                      cmd->name);
            return CLI_EXIT_USAGE;
        }
    }
    rc = cli_open_gate_and_decision(args, &gate, &d);
    if (rc != 0)
        return rc;
    /* The identifier is checked once, here, by a check that cannot reach
     * the provider: "-" is a valid tool name that no rule maps. */
    rc = tg_gate_try_check(gate, "-", identifier, d);
    tg_decision_free(d);
    if (rc == TG_EINVAL) {
        cli_error("%s: the identifier is not valid: %s", cmd->name, tg_error_message());
        tg_gate_free(gate);
        return CLI_EXIT_USAGE;
    }

    o.gate = gate;
    o.identifier = identifier;
    o.poll_ms = args->poll_ms;
    o.argv = args->command;
    o.note = cli_proxy_note;
    rc = mcp_proxy_run(&o);
    tg_gate_free(gate);
    return rc;
}
