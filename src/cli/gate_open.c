/* Finding the configuration file and opening the gate from it. */
#include <stdlib.h>

#include "cli.h"

#define CLI_DEFAULT_CONFIG "./toolgate.json"

const char *cli_config_path(const cli_args *args, int *defaulted)
{
    const char *path = args->config;

    *defaulted = 0;
    if (!path) {
        path = getenv("TOOLGATE_CONFIG");
        if (!path || !path[0]) {
            path = CLI_DEFAULT_CONFIG;
            *defaulted = 1;
        }
    }
    return path;
}

int cli_open_gate(const cli_args *args, tg_gate **out)
{
    const char *path, *detail, *hint = "";
    int defaulted, rc;

    path = cli_config_path(args, &defaulted);
    rc = tg_gate_new_from_file(out, path);
    if (rc == TG_OK)
        return CLI_EXIT_OK;
    *out = NULL;

    detail = tg_error_message();
    if (!detail || !detail[0])
        detail = tg_strerror(rc);
    if (rc == TG_EIO && defaulted)
        hint = " (no --config given and TOOLGATE_CONFIG is not set)";
    cli_error("config %s: %s%s", path, detail, hint);

    switch (rc) {
    case TG_EINVAL:
    case TG_ECONFIG:
    case TG_EIO:
    case TG_EPLUGIN:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_FAILURE;
    }
}

int cli_open_gate_and_decision(const cli_args *args, tg_gate **gate, tg_decision **d)
{
    int rc = cli_open_gate(args, gate);

    if (rc != 0)
        return rc;
    *d = tg_decision_new();
    if (!*d) {
        tg_gate_free(*gate);
        *gate = NULL;
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    return 0;
}
