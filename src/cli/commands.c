/* `toolgate check`, `status` and `link`: one gate, one question, one answer
 * (or, in client mode, one request to a `toolgate serve`: remote.c). */
#include <stdlib.h>

#include "cli.h"

int cli_run_check(const cli_command *cmd, const cli_args *args)
{
    const char *server = cli_server_url(args);
    tg_gate *gate = NULL;
    tg_decision *d = NULL;
    int rc;

    if (server)
        return cli_remote_check(cmd, args, server);
    rc = cli_open_gate_and_decision(args, &gate, &d);
    if (rc != 0)
        return rc;
    rc = tg_gate_check(gate, args->tool, args->identifier, d);
    if (rc != TG_OK) {
        rc = cli_report_call(cmd, rc);
    } else {
        char why[CLI_WHY_MAX];
        cli_keep_why(d, why, sizeof why); /* printing may reuse the message */
        rc = cli_print_decision(d, args->format, args->request_id);
        if (rc == 0)
            rc = cli_exit_for_verdict(tg_decision_verdict(d));
        if (rc == CLI_EXIT_UNAVAILABLE)
            (void)cli_report_unavailable_detail(cmd, TG_EPROVIDER, why);
    }
    tg_decision_free(d);
    tg_gate_free(gate);
    return rc;
}

int cli_run_status(const cli_command *cmd, const cli_args *args)
{
    const char *server = cli_server_url(args);
    tg_gate *gate = NULL;
    tg_decision *d = NULL;
    int rc;

    if (server)
        return cli_remote_status(cmd, args, server);
    rc = cli_open_gate_and_decision(args, &gate, &d);
    if (rc != 0)
        return rc;
    rc = tg_gate_check_connection(gate, args->connection, args->identifier, d);
    if (rc != TG_OK) {
        rc = cli_report_call(cmd, rc);
    } else {
        char why[CLI_WHY_MAX];
        cli_keep_why(d, why, sizeof why);
        rc = cli_print_status(args->connection, args->identifier, d, args->format);
        if (rc == 0)
            rc = cli_exit_for_verdict(tg_decision_verdict(d));
        if (rc == CLI_EXIT_UNAVAILABLE)
            (void)cli_report_unavailable_detail(cmd, TG_EPROVIDER, why);
    }
    tg_decision_free(d);
    tg_gate_free(gate);
    return rc;
}

int cli_run_link(const cli_command *cmd, const cli_args *args)
{
    char small[TG_LINK_MAX + 1];
    char *buf = small, *grown = NULL;
    size_t len = sizeof small, needed = 0;
    int64_t expires_at_ms = 0;
    const char *server = cli_server_url(args);
    tg_gate *gate = NULL;
    int rc;

    if (server)
        return cli_remote_link(cmd, args, server);
    rc = cli_open_gate(args, &gate);
    if (rc != 0)
        return rc;
    for (;;) {
        rc = tg_gate_link(gate, args->connection, args->identifier, buf, len, &needed,
                          &expires_at_ms);
        if (rc != TG_EBUFS || needed <= len)
            break;
        free(grown);
        grown = malloc(needed);
        if (!grown) {
            tg_gate_free(gate);
            cli_error("out of memory");
            return CLI_EXIT_FAILURE;
        }
        buf = grown;
        len = needed;
    }

    if (rc == TG_OK) {
        rc = cli_print_link(buf, expires_at_ms, args->format);
    } else if (rc == TG_EPROVIDER || rc == TG_ETIMEOUT) {
        rc = cli_report_unavailable(cmd, rc);
    } else {
        rc = cli_report_call(cmd, rc);
    }
    free(grown);
    tg_gate_free(gate);
    return rc;
}
