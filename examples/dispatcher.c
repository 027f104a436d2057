/*
 * Wrapping a tool dispatcher with toolgate.
 *
 * The agent runtime's dispatcher runs tools; tg_gate_invoke runs it only when
 * the user's connected account is ACTIVE, and turns a token the upstream API
 * rejects into one "needs authorization" answer with a fresh link instead of
 * a failed tool call.
 *
 * Runs on its own: it writes a file-provider configuration into a temporary
 * directory. Usage: toolgate-example-dispatcher
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <toolgate/toolgate.h>

/* The runtime's dispatcher. Here a stand-in: "gmail_send_email" works for
 * alice, and Gmail answers 401 for bob (his token was revoked upstream). */
static int run_tool(void *ctx, const char *tool, const char *user, const char *args_json)
{
    const char *accounts_path = ctx;
    printf("    dispatch: %s for %s with %s\n", tool, user, args_json);
    if (strcmp(user, "bob") == 0) {
        /* What the authorization service would now report, too. */
        FILE *f = fopen(accounts_path, "w");
        if (f) {
            fputs("{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
                  "{\"connection\":\"gmail\",\"identifier\":\"alice\",\"status\":\"ACTIVE\"},"
                  "{\"connection\":\"gmail\",\"identifier\":\"bob\",\"status\":\"REVOKED\"}]}",
                  f);
            fclose(f);
        }
        return TG_DISPATCH_CREDENTIALS_REJECTED;
    }
    return 0;
}

static int call(tg_gate *gate, tg_decision *d, const char *user, const char *accounts,
                tg_verdict expect)
{
    int tool_rc = 0;
    int rc = tg_gate_invoke(gate, "gmail_send_email", user, "{\"to\":\"team@example.com\"}",
                            run_tool, (void *)accounts, d, &tool_rc);
    if (rc != TG_OK) {
        fprintf(stderr, "check failed: %s\n", tg_error_message());
        return 1;
    }
    printf("  %s: %s — %s\n", user, tg_verdict_name(tg_decision_verdict(d)),
           tg_decision_reason(d));
    if (tg_decision_link(d))
        printf("    send the user this link: %s\n", tg_decision_link(d));
    return tg_decision_verdict(d) != expect;
}

int main(void)
{
    char dir[] = "/tmp/toolgate-example-XXXXXX", config[512], accounts[512];
    tg_gate *gate;
    tg_decision *d;
    FILE *f;
    int failed = 0;

    if (!mkdtemp(dir))
        return 1;
    snprintf(config, sizeof config, "%s/toolgate.json", dir);
    snprintf(accounts, sizeof accounts, "%s/accounts.json", dir);
    f = fopen(accounts, "w");
    if (!f)
        return 1;
    fputs("{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
          "{\"connection\":\"gmail\",\"identifier\":\"alice\",\"status\":\"ACTIVE\"},"
          "{\"connection\":\"gmail\",\"identifier\":\"bob\",\"status\":\"ACTIVE\"},"
          "{\"connection\":\"gmail\",\"identifier\":\"carol\",\"status\":\"EXPIRED\"}]}",
          f);
    fclose(f);
    f = fopen(config, "w");
    if (!f)
        return 1;
    fputs("{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"
          "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
          f);
    fclose(f);

    if (tg_gate_new_from_file(&gate, config) != TG_OK) {
        fprintf(stderr, "toolgate: %s\n", tg_error_message());
        return 1;
    }
    d = tg_decision_new();
    if (!d)
        return 1;

    puts("alice is connected: the tool runs");
    failed |= call(gate, d, "alice", accounts, TG_VERDICT_ALLOW);
    puts("carol's token expired: the tool does not run, carol gets a link");
    failed |= call(gate, d, "carol", accounts, TG_VERDICT_NEEDS_AUTHORIZATION);
    puts("bob looked connected, but Gmail rejects his token: one re-authorization");
    failed |= call(gate, d, "bob", accounts, TG_VERDICT_NEEDS_AUTHORIZATION);

    tg_decision_free(d);
    tg_gate_free(gate);
    unlink(accounts);
    unlink(config);
    rmdir(dir);
    puts(failed ? "unexpected verdicts" : "done");
    return failed;
}
