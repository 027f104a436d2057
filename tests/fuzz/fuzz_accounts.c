/* Fuzz target: the file provider's accounts file (plugins/file/accounts.c,
 * tg__accounts_parse) with the library's own host services (tg__host()).
 * The input is the file's content. Invariants:
 * - the parse succeeds or fails with TG_ECONFIG and a loggable message in
 *   the caller's buffer (exactly TG__ACCOUNTS_ERR_MAX bytes) that starts
 *   with "accounts file: ";
 * - a file that parses has a printable http(s) link_base, and every entry of
 *   its "accounts" array (read again with json-c) is found with its status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "toolgate/provider.h"
#include "accounts.h"
#include "plugin.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static tg_status status_of(const tg_host *host, json_object *v)
{
    char num[32];
    const char *text;
    tg_status st = TG_STATUS_UNKNOWN;

    if (json_object_is_type(v, json_type_int)) {
        snprintf(num, sizeof num, "%lld", (long long)json_object_get_int64(v));
        text = num;
    } else {
        FZ_CHECK(json_object_is_type(v, json_type_string), "status of a wrong type accepted");
        text = json_object_get_string(v);
    }
    FZ_CHECK(host->status_parse(text, &st) == TG_OK, "status \"%s\" accepted", text);
    return st;
}

static void check_parsed(const tg_host *host, const tg__accounts *a, const uint8_t *data,
                         size_t size)
{
    const char *base = tg__accounts_link_base(a);
    json_object *root, *list;
    size_t i, n = 0;

    FZ_CHECK(base != NULL, "no link_base");
    FZ_CHECK(strncasecmp(base, "http://", 7) == 0 || strncasecmp(base, "https://", 8) == 0,
             "link_base %s", base);
    FZ_CHECK(fz_printable_ascii(base, strlen(base)) && !strchr(base, ' ') && !strchr(base, '#'),
             "link_base %s", base);

    root = fz_json_parse((const char *)data, size);
    FZ_CHECK(root != NULL, "accepted a file json-c cannot parse");
    if (json_object_object_get_ex(root, "accounts", &list)) {
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
            json_object *acct = json_object_array_get_idx(list, i), *c, *id, *st;
            tg_status found = TG_STATUS_UNKNOWN;
            FZ_CHECK(json_object_object_get_ex(acct, "connection", &c) &&
                         json_object_object_get_ex(acct, "identifier", &id) &&
                         json_object_object_get_ex(acct, "status", &st),
                     "accounts[%zu] accepted without a field", i);
            FZ_CHECK(host->valid_connection(json_object_get_string(c)) &&
                         host->valid_identifier(json_object_get_string(id)),
                     "accounts[%zu] accepted with an invalid name", i);
            FZ_CHECK(tg__accounts_find(a, json_object_get_string(c), json_object_get_string(id),
                                       &found) == 1,
                     "accounts[%zu] not found", i);
            FZ_CHECK(found == status_of(host, st), "accounts[%zu]: status %d", i, (int)found);
        }
    }
    FZ_CHECK(tg__accounts_count(a) == n, "%zu accounts, %zu in the file", tg__accounts_count(a),
             n);
    json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tg_host *host = tg__host();
    char *err = malloc(TG__ACCOUNTS_ERR_MAX);
    tg__accounts *a = NULL;
    int rc;

    if (!err)
        abort();
    rc = tg__accounts_parse(host, (const char *)data, size, &a, err, TG__ACCOUNTS_ERR_MAX);
    FZ_CHECK(memchr(err, '\0', TG__ACCOUNTS_ERR_MAX) != NULL, "message not NUL-terminated");
    if (rc != TG_OK) {
        FZ_CHECK(rc == TG_ECONFIG, "parse gave %d: %s", rc, err);
        FZ_CHECK(a == NULL, "a result on failure");
        fz_check_message("accounts", err, "accounts file: ");
    } else {
        FZ_CHECK(a != NULL, "no result");
        check_parsed(host, a, data, size);
    }
    tg__accounts_free(a);
    free(err);
    return 0;
}
