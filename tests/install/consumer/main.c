/*
 * An application of the installed library: only <toolgate/toolgate.h>, found
 * through find_package(toolgate) or pkg-config.
 *
 *   consumer DIR [PROVIDER_MODULE]
 *
 * Writes DIR/accounts.json, opens a gate on it (the built-in file provider,
 * or the loadable one when PROVIDER_MODULE is given) and prints one line per
 * check: "tool identifier VERDICT [link]". Exits non-zero on any surprise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <toolgate/toolgate.h>

static const char accounts[] =
    "{\"link_base\": \"https://connect.example.com/authorize\",\n"
    " \"accounts\": [\n"
    "  {\"connection\": \"gmail\", \"identifier\": \"user_123\", \"status\": \"ACTIVE\"},\n"
    "  {\"connection\": \"gmail\", \"identifier\": \"user_456\", \"status\": \"EXPIRED\"}]}\n";

static int write_accounts(const char *dir)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/accounts.json", dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(accounts, f);
    return fclose(f);
}

static int check(tg_gate *gate, tg_decision *d, const char *tool, const char *id)
{
    int rc = tg_gate_check(gate, tool, id, d);
    const char *link;
    if (rc != TG_OK) {
        fprintf(stderr, "check %s %s: %s: %s\n", tool, id, tg_strerror(rc), tg_error_message());
        return -1;
    }
    link = tg_decision_link(d);
    printf("%s %s %s%s%s\n", tool, id, tg_verdict_name(tg_decision_verdict(d)),
           link ? " " : "", link ? link : "");
    return 0;
}

int main(int argc, char **argv)
{
    char config[8192], json[8192];
    tg_gate *gate = NULL;
    tg_decision *d;
    size_t needed = 0;
    int rc, bad = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s DIR [PROVIDER_MODULE]\n", argv[0]);
        return 2;
    }
    if (write_accounts(argv[1]) != 0) {
        fprintf(stderr, "cannot write %s/accounts.json\n", argv[1]);
        return 1;
    }
    snprintf(config, sizeof config,
             "{\"provider\": {\"type\": \"%s\", \"path\": \"accounts.json\"},\n"
             " \"tools\": {\"map\": {\"gmail_send_email\": \"gmail\"},\n"
             "           \"prefixes\": {\"slack_\": \"slack\"}, \"unmapped\": \"deny\"}}",
             argc == 3 ? argv[2] : "file");
    rc = tg_gate_new_from_json(&gate, config, argv[1]);
    if (rc != TG_OK) {
        fprintf(stderr, "gate: %s: %s\n", tg_strerror(rc), tg_error_message());
        return 1;
    }
    d = tg_decision_new();
    if (!d)
        return 1;
    printf("toolgate %s\n", tg_version());
    bad |= check(gate, d, "gmail_send_email", "user_123");
    bad |= check(gate, d, "gmail_send_email", "user_456");
    bad |= check(gate, d, "slack_post_message", "user_123");
    bad |= check(gate, d, "calendar_create_event", "user_123");
    bad |= check(gate, d, "gmail_send_email", "user_123"); /* now from the cache */
    if (tg_decision_source(d) != TG_SOURCE_CACHE) {
        fprintf(stderr, "second check did not come from the cache\n");
        bad = -1;
    }

    /* The JSON encoding of a blocked call, with the caller-buffer protocol. */
    if (tg_gate_check(gate, "gmail_send_email", "user_456", d) != TG_OK)
        bad = -1;
    rc = tg_decision_to_json(d, NULL, 0, &needed);
    if (rc != TG_EBUFS || needed < 2 || needed > sizeof json) {
        fprintf(stderr, "to_json sizing: rc %d needed %zu\n", rc, needed);
        bad = -1;
    } else if (tg_decision_to_json(d, json, needed, NULL) != TG_OK ||
               strlen(json) + 1 != needed ||
               !strstr(json, "\"verdict\":\"NEEDS_AUTHORIZATION\"") ||
               !strstr(json, "\"status\":\"EXPIRED\"") ||
               !strstr(json, "\"identifier\":\"user_456\"") ||
               !strstr(json, "\"link\":\"https://connect.example.com/authorize?")) {
        fprintf(stderr, "unexpected JSON: %s\n", json);
        bad = -1;
    } else {
        printf("json ok\n");
    }
    tg_decision_free(d);
    tg_gate_free(gate);
    return bad ? 1 : 0;
}
