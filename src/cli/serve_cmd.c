/* `toolgate serve`: check the flags and the secrets they name, build the
 * first gate (a bad configuration is exit 2 before anything listens), then
 * hand over to the server (src/serve/). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

/* The value of the variable a --*-env flag names; NULL after reporting. */
static const char *cli_serve_env(const char *flag, const char *var)
{
    const char *value = getenv(var);

    if (!value || !value[0]) {
        cli_error("serve: --%s %s: the variable is not set or empty", flag, var);
        return NULL;
    }
    return value;
}

/* The webhook secret must look like whsec_<base64>: ask the verifier with a
 * well-formed delivery, whose only possible malformation is then the secret. */
static int cli_serve_secret_ok(const char *var, const char *secret)
{
    static const char probe_sig[] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    int rc = tg_webhook_verify(secret, "msg_probe", "1", probe_sig, "", 0, 1);

    if (rc == TG_EINVAL) {
        cli_error("serve: --webhook-secret-env %s: %s", var, tg_error_message());
        return 0;
    }
    return 1;
}

/* The API token travels in a header: visible ASCII, no spaces. */
static int cli_serve_token_ok(const char *var, const char *token)
{
    size_t i;

    for (i = 0; token[i]; i++) {
        if (token[i] < 0x21 || token[i] > 0x7E) {
            cli_error("serve: --api-token-env %s: the token must be printable ASCII without "
                      "spaces",
                      var);
            return 0;
        }
    }
    if (i > 4096) {
        cli_error("serve: --api-token-env %s: the token is longer than 4096 bytes", var);
        return 0;
    }
    return 1;
}

int cli_run_serve(const cli_command *cmd, const cli_args *args)
{
    serve_options opts;
    int loopback = 1, defaulted, rc;

    (void)cmd;
    memset(&opts, 0, sizeof opts);
    opts.listen = args->listen;
    opts.unix_path = args->unix_path;
    opts.verbose = args->verbose;
    if (args->listen && serve_check_listen(args->listen, &loopback) != 0)
        return CLI_EXIT_USAGE;
    if (args->webhook_secret_env) {
        opts.webhook_secret = cli_serve_env("webhook-secret-env", args->webhook_secret_env);
        if (!opts.webhook_secret || !cli_serve_secret_ok(args->webhook_secret_env,
                                                         opts.webhook_secret))
            return CLI_EXIT_USAGE;
    }
    if (args->api_token_env) {
        opts.api_token = cli_serve_env("api-token-env", args->api_token_env);
        if (!opts.api_token || !cli_serve_token_ok(args->api_token_env, opts.api_token))
            return CLI_EXIT_USAGE;
    }
    if (!loopback && !opts.api_token) {
        cli_error("serve: --listen %s is not a loopback address: give --api-token-env VAR too, "
                  "so that every client must show the token",
                  args->listen);
        return CLI_EXIT_USAGE;
    }

    /* Before the first gate: no thread of the library may take a signal
     * meant for the server's loop. */
    serve_signals_block();
    rc = cli_open_gate(args, &opts.gate);
    if (rc != 0)
        return rc;
    opts.config_path = cli_config_path(args, &defaulted);
    return serve_run(&opts);
}
