/* The file provider: its accounts-file parser on canned bytes, then the
 * provider through its method table against files in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "accounts.h"
#include "plugin.h"

/* ---- helpers ------------------------------------------------------------ */

/* Parse NUL-free text passed without its terminator, so an over-read shows
 * under ASan. */
static int parse_text(const char *text, tg__accounts **out, char *err, size_t errlen)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    int rc;
    assert_non_null(copy);
    memcpy(copy, text, n);
    rc = tg__accounts_parse(tg__host(), copy, n, out, err, errlen);
    free(copy);
    return rc;
}

static void expect_parse_error(const char *text, const char *message)
{
    tg__accounts *a = (tg__accounts *)1;
    char err[TG__ACCOUNTS_ERR_MAX];
    int rc = parse_text(text, &a, err, sizeof err);
    if (rc != TG_ECONFIG || strcmp(err, message) != 0)
        print_error("input: %s\nexpected: %s\nactual (%d): %s\n", text, message, rc, err);
    assert_int_equal(rc, TG_ECONFIG);
    assert_null(a);
    assert_string_equal(err, message);
}

static void expect_parse_error_prefix(const char *text, const char *prefix)
{
    tg__accounts *a = (tg__accounts *)1;
    char err[TG__ACCOUNTS_ERR_MAX];
    int rc = parse_text(text, &a, err, sizeof err);
    if (rc != TG_ECONFIG || strncmp(err, prefix, strlen(prefix)) != 0)
        print_error("input: %.200s\nexpected prefix: %s\nactual (%d): %s\n", text, prefix, rc,
                    err);
    assert_int_equal(rc, TG_ECONFIG);
    assert_null(a);
    assert_memory_equal(err, prefix, strlen(prefix));
}

static tg_status find_status(const tg__accounts *a, const char *c, const char *i)
{
    tg_status s = (tg_status)99;
    assert_int_equal(tg__accounts_find(a, c, i, &s), 1);
    return s;
}

typedef struct tmpdir {
    char path[256];
} tmpdir;

static void tmpdir_make(tmpdir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/tg_file_provider_XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static void tmpdir_remove(tmpdir *d)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
    assert_int_equal(system(cmd), 0);
}

static void join(char *out, size_t cap, const tmpdir *d, const char *name)
{
    snprintf(out, cap, "%s/%s", d->path, name);
}

/* Replace a file atomically, as editors and deploy scripts do. */
static void write_file_rename(const tmpdir *d, const char *name, const char *content)
{
    char tmp[320], final[320];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", d->path, name);
    join(final, sizeof final, d, name);
    f = fopen(tmp, "w");
    if (!f)
        abort(); /* also called from a writer thread: no cmocka asserts */
    fputs(content, f);
    if (fclose(f) != 0 || rename(tmp, final) != 0)
        abort();
}

/* Rewrite in place: same inode, possibly the same size. */
static void write_file_in_place(const tmpdir *d, const char *name, const char *content)
{
    char final[320];
    FILE *f;
    join(final, sizeof final, d, name);
    f = fopen(final, "w");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

static const char *k_accounts =
    "{\"link_base\": \"https://connect.example.com/authorize\",\n"
    " \"accounts\": [\n"
    "  {\"connection\": \"gmail\", \"identifier\": \"user_123\", \"status\": \"ACTIVE\"},\n"
    "  {\"connection\": \"gmail\", \"identifier\": \"user_456\", \"status\": \"EXPIRED\"},\n"
    "  {\"connection\": \"slack\", \"identifier\": \"user_123\", \"status\": \"PENDING_AUTH\"}\n"
    " ]}\n";

static const tg_provider *file_vt(void)
{
    const tg_provider *vt = tg__file_provider_entry(TG_PROVIDER_ABI_VERSION);
    assert_non_null(vt);
    return vt;
}

/* Create the provider on dir with the given config; returns the rc. */
static int provider_create(const tmpdir *d, const char *config, void **state)
{
    return file_vt()->create(tg__host(), config, d->path, NULL, state);
}

static tg_status provider_status(void *state, const char *c, const char *i)
{
    tg_status s = (tg_status)99;
    int rc = file_vt()->get_status(state, c, i, &s);
    if (rc != TG_OK)
        print_error("get_status(%s, %s): %d %s\n", c, i, rc, tg_error_message());
    assert_int_equal(rc, TG_OK);
    return s;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the parser --------------------------------------------------------- */

static void test_parse_valid(void **unused)
{
    tg__accounts *a = NULL;
    char err[TG__ACCOUNTS_ERR_MAX];
    tg_status s;
    (void)unused;

    assert_int_equal(parse_text(k_accounts, &a, err, sizeof err), TG_OK);
    assert_non_null(a);
    assert_int_equal(tg__accounts_count(a), 3);
    assert_string_equal(tg__accounts_link_base(a), "https://connect.example.com/authorize");
    assert_int_equal(find_status(a, "gmail", "user_123"), TG_STATUS_ACTIVE);
    assert_int_equal(find_status(a, "gmail", "user_456"), TG_STATUS_EXPIRED);
    assert_int_equal(find_status(a, "slack", "user_123"), TG_STATUS_PENDING);
    assert_int_equal(tg__accounts_find(a, "slack", "user_456", &s), 0);
    assert_int_equal(tg__accounts_find(a, "gmail", "user_12", &s), 0);
    assert_int_equal(tg__accounts_find(a, "gmai", "luser_123", &s), 0);
    tg__accounts_free(a);
}

static void test_parse_no_accounts(void **unused)
{
    tg__accounts *a = NULL;
    char err[TG__ACCOUNTS_ERR_MAX];
    (void)unused;

    assert_int_equal(parse_text("  {\"link_base\":\"http://127.0.0.1:8080/a?x=1\"}\r\n\t ", &a,
                                err, sizeof err),
                     TG_OK);
    assert_int_equal(tg__accounts_count(a), 0);
    assert_string_equal(tg__accounts_link_base(a), "http://127.0.0.1:8080/a?x=1");
    tg__accounts_free(a);

    assert_int_equal(parse_text("{\"accounts\":[],\"link_base\":\"HTTPS://x\"}", &a, err,
                                sizeof err),
                     TG_OK);
    assert_int_equal(tg__accounts_count(a), 0);
    tg__accounts_free(a);
}

static void test_parse_statuses(void **unused)
{
    static const struct {
        const char *json;
        tg_status want;
    } cases[] = {
        { "\"ACTIVE\"", TG_STATUS_ACTIVE },
        { "\" active \"", TG_STATUS_ACTIVE },
        { "\"1\"", TG_STATUS_ACTIVE },
        { "1", TG_STATUS_ACTIVE },
        { "2", TG_STATUS_EXPIRED },
        { "\"EXPIRED\"", TG_STATUS_EXPIRED },
        { "3", TG_STATUS_PENDING },
        { "\"PENDING\"", TG_STATUS_PENDING },
        { "\"PENDING_AUTH\"", TG_STATUS_PENDING },
        { "\"4\"", TG_STATUS_PENDING_VERIFICATION },
        { "4", TG_STATUS_PENDING_VERIFICATION },
        { "5", TG_STATUS_REVOKED },
        { "\"DISCONNECTED\"", TG_STATUS_REVOKED },
        { "\"REVOKED\"", TG_STATUS_REVOKED },
        { "0", TG_STATUS_UNKNOWN },
        { "\"CONNECTION_STATUS_UNSPECIFIED\"", TG_STATUS_UNKNOWN },
    };
    size_t i;
    (void)unused;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], err[TG__ACCOUNTS_ERR_MAX];
        tg__accounts *a = NULL;
        snprintf(text, sizeof text,
                 "{\"link_base\":\"https://x\",\"accounts\":[{\"connection\":\"c\","
                 "\"identifier\":\"i\",\"status\":%s}]}",
                 cases[i].json);
        if (parse_text(text, &a, err, sizeof err) != TG_OK)
            print_error("status %s: %s\n", cases[i].json, err);
        assert_non_null(a);
        assert_int_equal(find_status(a, "c", "i"), cases[i].want);
        tg__accounts_free(a);
    }
}

#define ACCT(c, i, s) "{\"connection\":" c ",\"identifier\":" i ",\"status\":" s "}"
#define FILE1(acct) "{\"link_base\":\"https://x\",\"accounts\":[" acct "]}"

static void test_parse_errors(void **unused)
{
    (void)unused;
    /* The example of the brief: the third account's status. */
    expect_parse_error(FILE1(ACCT("\"gmail\"", "\"a\"", "\"ACTIVE\"") ","
                             ACCT("\"gmail\"", "\"b\"", "\"ACTIVE\"") ","
                             ACCT("\"gmail\"", "\"c\"", "\"ACTIV\"")),
                       "accounts file: accounts[2].status: unknown status \"ACTIV\"");
    expect_parse_error("", "accounts file: empty");
    expect_parse_error("{", "accounts file: invalid JSON: unexpected end of input (line 1, "
                            "column 2)");
    expect_parse_error("{\"link_base\":\"https://x\"",
                       "accounts file: invalid JSON: unexpected end of input (line 1, column 25)");
    expect_parse_error("{\"link_base\":\"https://x\",}",
                       "accounts file: invalid JSON: unexpected character (line 1, column 26)");
    /* In plain words, never json-c's own ("null expected"). */
    expect_parse_error("{\"link_base\":\n  nope}",
                       "accounts file: invalid JSON: unexpected text (line 2, column 4)");
    expect_parse_error("{\"link_base\":\"https://x\"} x",
                       "accounts file: invalid JSON: unexpected text after the value (line 1, "
                       "column 27)");
    expect_parse_error("{\"link_base\":\"https://x\"}{}",
                       "accounts file: invalid JSON: unexpected text after the value (line 1, "
                       "column 26)");
    /* A key given twice is named. */
    expect_parse_error("{\"link_base\":\"https://x\",\"accounts\":[{\"connection\":\"g\","
                       "\"identifier\":\"u\",\"status\":\"REVOKED\",\"status\":\"ACTIVE\"}]}",
                       "accounts file: key \"accounts[].status\" is given twice (line 1, "
                       "column 92)");
    expect_parse_error("[]", "accounts file: the top level must be a JSON object");
    expect_parse_error("123", "accounts file: the top level must be a JSON object");
    expect_parse_error("\"x\"", "accounts file: the top level must be a JSON object");
    expect_parse_error("{}", "accounts file: missing \"link_base\"");
    expect_parse_error("{\"link_base\":\"https://x\",\"acounts\":[]}",
                       "accounts file: unknown key \"acounts\" (expected \"link_base\" and "
                       "\"accounts\")");
    expect_parse_error("{\"link_base\":5}", "accounts file: link_base: must be a string");
    expect_parse_error("{\"link_base\":null}", "accounts file: link_base: must be a string");
    expect_parse_error("{\"link_base\":\"ftp://x\"}",
                       "accounts file: link_base: must start with http:// or https://");
    expect_parse_error("{\"link_base\":\"connect.example.com\"}",
                       "accounts file: link_base: must start with http:// or https://");
    expect_parse_error("{\"link_base\":\"https://\"}", "accounts file: link_base: has no host");
    expect_parse_error("{\"link_base\":\"http:///path\"}", "accounts file: link_base: has no host");
    expect_parse_error("{\"link_base\":\"https://x/a b\"}",
                       "accounts file: link_base: byte 11 is not printable ASCII "
                       "(percent-encode it)");
    expect_parse_error("{\"link_base\":\"https://x/\\u00e9\"}",
                       "accounts file: link_base: byte 10 is not printable ASCII "
                       "(percent-encode it)");
    expect_parse_error("{\"link_base\":\"https://x/a#frag\"}",
                       "accounts file: link_base: must not contain a fragment ('#')");
    expect_parse_error("{\"link_base\":\"https://x\",\"accounts\":{}}",
                       "accounts file: accounts: must be an array");
    expect_parse_error("{\"link_base\":\"https://x\",\"accounts\":null}",
                       "accounts file: accounts: must be an array");
    expect_parse_error(FILE1("1"), "accounts file: accounts[0]: must be an object");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "1") ",[]"),
                       "accounts file: accounts[1]: must be an object");
    expect_parse_error(FILE1("{\"connection\":\"g\",\"identifier\":\"a\",\"status\":1,\"x\":1}"),
                       "accounts file: accounts[0]: unknown key \"x\"");
    expect_parse_error(FILE1("{\"identifier\":\"a\",\"status\":1}"),
                       "accounts file: accounts[0]: missing \"connection\"");
    expect_parse_error(FILE1("{\"connection\":\"g\",\"status\":1}"),
                       "accounts file: accounts[0]: missing \"identifier\"");
    expect_parse_error(FILE1("{\"connection\":\"g\",\"identifier\":\"a\"}"),
                       "accounts file: accounts[0]: missing \"status\"");
    expect_parse_error(FILE1(ACCT("5", "\"a\"", "1")),
                       "accounts file: accounts[0].connection: must be a string");
    expect_parse_error(FILE1(ACCT("\"g\"", "[]", "1")),
                       "accounts file: accounts[0].identifier: must be a string");
    expect_parse_error(FILE1(ACCT("\"gm@il\"", "\"a\"", "1")),
                       "accounts file: accounts[0].connection: invalid connection \"gm@il\" "
                       "(must be 1-64 characters of A-Z a-z 0-9 _ - : and space)");
    expect_parse_error(FILE1(ACCT("\"\"", "\"a\"", "1")),
                       "accounts file: accounts[0].connection: invalid connection \"\" "
                       "(must be 1-64 characters of A-Z a-z 0-9 _ - : and space)");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"\"", "1")),
                       "accounts file: accounts[0].identifier: invalid identifier \"\" "
                       "(must be 1-512 bytes of UTF-8 without control characters)");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\\u0001b\"", "1")),
                       "accounts file: accounts[0].identifier: invalid identifier \"a\\x01b\" "
                       "(must be 1-512 bytes of UTF-8 without control characters)");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\\u0000b\"", "1")),
                       "accounts file: invalid JSON: \"\\u0000\" is not allowed in strings "
                       "(line 1, column 71)");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "true")),
                       "accounts file: accounts[0].status: must be a string or an integer");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "1.5")),
                       "accounts file: accounts[0].status: must be a string or an integer");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "null")),
                       "accounts file: accounts[0].status: must be a string or an integer");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "7")),
                       "accounts file: accounts[0].status: unknown status \"7\"");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "-1")),
                       "accounts file: accounts[0].status: unknown status \"-1\"");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "\"\"")),
                       "accounts file: accounts[0].status: unknown status \"\"");
    expect_parse_error(FILE1(ACCT("\"g\"", "\"a\"", "\"say \\\"hi\\\"\"")),
                       "accounts file: accounts[0].status: unknown status \"say \\x22hi\\x22\"");
    /* Duplicates name both places. */
    expect_parse_error(FILE1(ACCT("\"gmail\"", "\"u\"", "1") "," ACCT("\"slack\"", "\"u\"", "1")
                             "," ACCT("\"gmail\"", "\"u\"", "2")),
                       "accounts file: accounts[2]: duplicate account (connection \"gmail\", "
                       "identifier \"u\"), first listed at accounts[0]");
    /* Quoted values are bounded and escaped. */
    {
        char text[300], msg[300];
        snprintf(text, sizeof text, "{\"link_base\":\"https://x\",\"%0100d\":1}", 0);
        snprintf(msg, sizeof msg,
                 "accounts file: unknown key \"%064d...\" (expected \"link_base\" and "
                 "\"accounts\")",
                 0);
        expect_parse_error(text, msg);
    }
    expect_parse_error("{\"link_base\":\"https://x\",\"a\\tb\\\\\u00e9\":1}",
                       "accounts file: unknown key \"a\\x09b\\x5C\\xC3\\xA9\" (expected "
                       "\"link_base\" and \"accounts\")");
    /* Not JSON that json-c would take in its lenient mode. */
    expect_parse_error_prefix("{'link_base':'https://x'}", "accounts file: invalid JSON: ");
    expect_parse_error_prefix("{\"link_base\":\"https://x\",\"accounts\":[],}",
                              "accounts file: invalid JSON: ");
    /* Invalid UTF-8 inside a string. */
    expect_parse_error_prefix("{\"link_base\":\"https://x\",\"accounts\":[" 
                              "{\"connection\":\"g\",\"identifier\":\"\xff\xfe\",\"status\":1}]}",
                              "accounts file: invalid JSON: ");
}

static void test_parse_nul_and_bounds(void **unused)
{
    char err[TG__ACCOUNTS_ERR_MAX];
    tg__accounts *a = (tg__accounts *)1;
    static const char with_nul[] = "{\"link_base\":\n\"https://x\"\0}";
    char *big;
    (void)unused;

    assert_int_equal(tg__accounts_parse(tg__host(), with_nul, sizeof with_nul - 1, &a, err,
                                        sizeof err),
                     TG_ECONFIG);
    assert_null(a);
    assert_string_equal(err, "accounts file: invalid JSON: a NUL byte (line 2, column 12)");

    /* Over the size bound: refused before a byte is looked at. */
    big = malloc(TG__ACCOUNTS_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, ' ', TG__ACCOUNTS_MAX_BYTES + 1);
    assert_int_equal(tg__accounts_parse(tg__host(), big, TG__ACCOUNTS_MAX_BYTES + 1, &a, err,
                                        sizeof err),
                     TG_ECONFIG);
    assert_string_equal(err, "accounts file: larger than 16777216 bytes");
    /* At the bound: parsed (and found to be only spaces). */
    assert_int_equal(tg__accounts_parse(tg__host(), big, TG__ACCOUNTS_MAX_BYTES, &a, err,
                                        sizeof err),
                     TG_ECONFIG);
    assert_string_equal(err, "accounts file: invalid JSON: unexpected end of input (line 1, "
                             "column 16777217)");
    free(big);

    /* A tiny error buffer is never overrun and stays terminated. */
    {
        char small[8];
        memset(small, 'x', sizeof small);
        assert_int_equal(parse_text("[]", &a, small, sizeof small), TG_ECONFIG);
        assert_string_equal(small, "account");
        assert_int_equal(parse_text("[]", &a, NULL, 0), TG_ECONFIG);
    }
    assert_int_equal(tg__accounts_parse(NULL, "{}", 2, &a, err, sizeof err), TG_EINVAL);
    assert_int_equal(tg__accounts_parse(tg__host(), "{}", 2, NULL, err, sizeof err), TG_EINVAL);
}

static void test_parse_link_base_length(void **unused)
{
    char lb[1100], text[1200], err[TG__ACCOUNTS_ERR_MAX];
    tg__accounts *a = NULL;
    (void)unused;

    memset(lb, 'a', sizeof lb);
    memcpy(lb, "https://", 8);
    lb[1024] = '\0';
    snprintf(text, sizeof text, "{\"link_base\":\"%s\"}", lb);
    assert_int_equal(parse_text(text, &a, err, sizeof err), TG_OK);
    assert_int_equal(strlen(tg__accounts_link_base(a)), 1024);
    tg__accounts_free(a);

    lb[1024] = 'a';
    lb[1025] = '\0';
    snprintf(text, sizeof text, "{\"link_base\":\"%s\"}", lb);
    expect_parse_error(text, "accounts file: link_base: longer than 1024 bytes");
}

static void test_parse_deep(void **unused)
{
    size_t n = 100000, i, o = 0;
    char *text = malloc(2 * n + 64);
    (void)unused;
    assert_non_null(text);

    o += (size_t)sprintf(text, "{\"link_base\":\"https://x\",\"accounts\":");
    for (i = 0; i < n; i++)
        text[o++] = '[';
    for (i = 0; i < n; i++)
        text[o++] = ']';
    text[o++] = '}';
    text[o] = '\0';
    expect_parse_error(text, "accounts file: invalid JSON: nested deeper than 8 levels (line 1, "
                             "column 44)");
    free(text);

    /* Within the depth limit but the wrong shape. */
    expect_parse_error(FILE1("[[[1]]]"), "accounts file: accounts[0]: must be an object");
}

static void test_parse_huge(void **unused)
{
    size_t n = 100000, i, o = 0, cap = n * 100 + 100;
    char *text = malloc(cap);
    char err[TG__ACCOUNTS_ERR_MAX], id[32];
    tg__accounts *a = NULL;
    (void)unused;
    assert_non_null(text);

    o += (size_t)snprintf(text, cap, "{\"link_base\":\"https://x\",\"accounts\":[");
    for (i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "%s{\"connection\":\"c%zu\",\"identifier\":\"user_%zu\","
                              "\"status\":%zu}",
                              i ? "," : "", i % 7, i, i % 6);
    o += (size_t)snprintf(text + o, cap - o, "]}");
    assert_int_equal(tg__accounts_parse(tg__host(), text, o, &a, err, sizeof err), TG_OK);
    assert_int_equal(tg__accounts_count(a), n);
    for (i = 0; i < n; i += 997) {
        char conn[8];
        snprintf(conn, sizeof conn, "c%zu", i % 7);
        snprintf(id, sizeof id, "user_%zu", i);
        assert_int_equal(find_status(a, conn, id), (tg_status)(i % 6));
    }
    assert_int_equal(tg__accounts_find(a, "c1", "user_0", NULL), 0);
    tg__accounts_free(a);
    free(text);
}

static void test_accounts_set(void **unused)
{
    tg__accounts *a = tg__accounts_new();
    char long_id[TG_IDENTIFIER_MAX + 2];
    tg_status s;
    (void)unused;

    assert_non_null(a);
    assert_null(tg__accounts_link_base(a));
    assert_int_equal(tg__accounts_find(a, "gmail", "u", &s), 0);
    assert_int_equal(tg__accounts_add(a, "gmail", "u", TG_STATUS_PENDING), 0);
    assert_int_equal(tg__accounts_add(a, "gmail", "u", TG_STATUS_ACTIVE), 1);
    assert_int_equal(find_status(a, "gmail", "u"), TG_STATUS_PENDING);
    /* The separator keeps ("ab","c") and ("a","bc") apart. */
    assert_int_equal(tg__accounts_add(a, "ab", "c", TG_STATUS_ACTIVE), 0);
    assert_int_equal(tg__accounts_find(a, "a", "bc", &s), 0);
    assert_int_equal(tg__accounts_count(a), 2);
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(tg__accounts_add(a, "gmail", long_id, TG_STATUS_ACTIVE), TG_EINVAL);
    assert_int_equal(tg__accounts_find(a, "gmail", long_id, &s), 0);
    long_id[TG_IDENTIFIER_MAX] = '\0';
    assert_int_equal(tg__accounts_add(a, "gmail", long_id, TG_STATUS_ACTIVE), 0);
    assert_int_equal(find_status(a, "gmail", long_id), TG_STATUS_ACTIVE);
    assert_int_equal(tg__accounts_add(NULL, "g", "u", TG_STATUS_ACTIVE), TG_EINVAL);
    assert_int_equal(tg__accounts_count(NULL), 0);
    tg__accounts_free(a);
    tg__accounts_free(NULL);
}

/* ---- the provider ------------------------------------------------------- */

static void test_entry(void **unused)
{
    const tg_provider *vt = file_vt();
    (void)unused;
    assert_int_equal(vt->abi_version, TG_PROVIDER_ABI_VERSION);
    assert_int_equal(vt->struct_size, sizeof(tg_provider));
    assert_string_equal(vt->name, "file");
    assert_non_null(vt->create);
    assert_non_null(vt->destroy);
    assert_non_null(vt->get_status);
    assert_non_null(vt->get_link);
    assert_null(tg__file_provider_entry(TG_PROVIDER_ABI_VERSION + 1));
    assert_null(tg__file_provider_entry(0));
}

static void test_statuses(void **unused)
{
    tmpdir d;
    void *st = NULL;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", k_accounts);
    assert_int_equal(provider_create(&d, "{}", &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "user_123"), TG_STATUS_ACTIVE);
    assert_int_equal(provider_status(st, "gmail", "user_456"), TG_STATUS_EXPIRED);
    assert_int_equal(provider_status(st, "slack", "user_123"), TG_STATUS_PENDING);
    /* create_missing defaults to true: get-or-create gives PENDING, twice. */
    assert_int_equal(provider_status(st, "gmail", "user_789"), TG_STATUS_PENDING);
    assert_int_equal(provider_status(st, "gmail", "user_789"), TG_STATUS_PENDING);
    /* Invalid names are refused, not looked up. */
    {
        tg_status s;
        assert_int_equal(file_vt()->get_status(st, "gm@il", "u", &s), TG_EINVAL);
        assert_int_equal(file_vt()->get_status(st, "gmail", "", &s), TG_EINVAL);
        assert_int_equal(file_vt()->get_status(st, NULL, "u", &s), TG_EINVAL);
        assert_int_equal(file_vt()->get_status(st, "gmail", "u", NULL), TG_EINVAL);
    }
    file_vt()->destroy(st);

    assert_int_equal(provider_create(&d, "{\"create_missing\": false}", &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "user_123"), TG_STATUS_ACTIVE);
    assert_int_equal(provider_status(st, "gmail", "user_789"), TG_STATUS_NOT_FOUND);
    file_vt()->destroy(st);

    assert_int_equal(provider_create(&d, "{\"create_missing\": true, \"path\": \"accounts.json\"}",
                                     &st),
                     TG_OK);
    assert_int_equal(provider_status(st, "gmail", "user_789"), TG_STATUS_PENDING);
    file_vt()->destroy(st);
    file_vt()->destroy(NULL);
    tmpdir_remove(&d);
}

static void test_created_then_listed(void **unused)
{
    tmpdir d;
    void *st = NULL;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x\"}");
    assert_int_equal(provider_create(&d, "{}", &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "new_user"), TG_STATUS_PENDING);
    /* The user connects: the file lists the account, which wins. */
    write_file_rename(&d, "accounts.json",
                      FILE1(ACCT("\"gmail\"", "\"new_user\"", "\"ACTIVE\"")));
    assert_int_equal(provider_status(st, "gmail", "new_user"), TG_STATUS_ACTIVE);
    /* Dropped from the file again: created in memory, so PENDING. */
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x\",\"accounts\":[]}");
    assert_int_equal(provider_status(st, "gmail", "new_user"), TG_STATUS_PENDING);
    file_vt()->destroy(st);
    tmpdir_remove(&d);
}

static void test_reload(void **unused)
{
    tmpdir d;
    void *st = NULL;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"EXPIRED\"")));
    assert_int_equal(provider_create(&d, "{\"create_missing\":false}", &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_EXPIRED);

    /* Replaced by rename, same size: seen at once. */
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"REVOKED\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_REVOKED);
    /* Rewritten in place, same size, same inode, within one timestamp tick. */
    write_file_in_place(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"EXPIRED\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_EXPIRED);
    write_file_in_place(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"REVOKED\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_REVOKED);

    /* A quiet file is not re-read: still correct after the racy window. */
    usleep(150 * 1000);
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_REVOKED);
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_REVOKED);
    write_file_in_place(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIVE\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_ACTIVE);
    file_vt()->destroy(st);
    tmpdir_remove(&d);
}

static void test_bad_file_after_change(void **unused)
{
    tmpdir d;
    void *st = NULL;
    tg_status s;
    char link[TG_LINK_MAX + 1];
    int64_t exp;
    char path[320];
    (void)unused;

    tmpdir_make(&d);
    join(path, sizeof path, &d, "accounts.json");
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIVE\"")));
    assert_int_equal(provider_create(&d, "{}", &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_ACTIVE);

    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIV\"")));
    assert_int_equal(file_vt()->get_status(st, "gmail", "u", &s), TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(),
                           "accounts file: accounts[0].status: unknown status \"ACTIV\""));
    assert_non_null(strstr(tg_error_message(), path));
    /* Not cached as a failure: every call reads again, and fails again. */
    assert_int_equal(file_vt()->get_status(st, "gmail", "u", &s), TG_EPROVIDER);
    assert_int_equal(file_vt()->get_link(st, "gmail", "u", link, sizeof link, &exp),
                     TG_EPROVIDER);
    usleep(150 * 1000);
    assert_int_equal(file_vt()->get_status(st, "gmail", "u", &s), TG_EPROVIDER);

    /* Fixed: recovered on the next call. */
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"EXPIRED\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_EXPIRED);

    /* Gone: a provider failure naming the path; back: recovered. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(file_vt()->get_status(st, "gmail", "u", &s), TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), path));
    assert_non_null(strstr(tg_error_message(), "No such file"));
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIVE\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_ACTIVE);

    /* Broken in place, then fixed in place with the old size. */
    write_file_in_place(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIVE!\"")));
    assert_int_equal(file_vt()->get_status(st, "gmail", "u", &s), TG_EPROVIDER);
    write_file_in_place(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"REVOKED\"")));
    assert_int_equal(provider_status(st, "gmail", "u"), TG_STATUS_REVOKED);
    file_vt()->destroy(st);
    tmpdir_remove(&d);
}

static void expect_link(void *st, const char *c, const char *i, const char *want)
{
    char buf[TG_LINK_MAX + 1];
    int64_t exp = 0, before = now_ms();
    int rc = file_vt()->get_link(st, c, i, buf, sizeof buf, &exp);
    if (rc != TG_OK)
        print_error("get_link: %d %s\n", rc, tg_error_message());
    assert_int_equal(rc, TG_OK);
    assert_string_equal(buf, want);
    assert_true(exp >= before + 10 * 60 * 1000);
    assert_true(exp <= now_ms() + 10 * 60 * 1000);
}

static void test_links(void **unused)
{
    tmpdir d;
    void *st = NULL;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", k_accounts);
    assert_int_equal(provider_create(&d, "{}", &st), TG_OK);
    expect_link(st, "gmail", "user_123",
                "https://connect.example.com/authorize?connection=gmail&identifier=user_123");
    /* Listed or not, a link for any valid account. */
    expect_link(st, "gmail", "jane.doe+work@example.com",
                "https://connect.example.com/authorize?connection=gmail"
                "&identifier=jane.doe%2Bwork%40example.com");
    expect_link(st, "google drive", "Jos\xC3\xA9 Garc\xC3\xAD" "a",
                "https://connect.example.com/authorize?connection=google%20drive"
                "&identifier=Jos%C3%A9%20Garc%C3%ADa");
    expect_link(st, "a:b-c_d", "A-z.0_9~/?#&=%",
                "https://connect.example.com/authorize?connection=a%3Ab-c_d"
                "&identifier=A-z.0_9~%2F%3F%23%26%3D%25");
    {
        char buf[TG_LINK_MAX + 1];
        assert_int_equal(file_vt()->get_link(st, "gmail", "u", buf, sizeof buf, NULL), TG_OK);
        assert_int_equal(file_vt()->get_link(st, "bad/conn", "u", buf, sizeof buf, NULL),
                         TG_EINVAL);
    }

    /* link_base with a query already. */
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x.test/auth?tenant=acme\"}");
    expect_link(st, "gmail", "u", "https://x.test/auth?tenant=acme&connection=gmail&identifier=u");
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x.test/auth?\"}");
    expect_link(st, "gmail", "u", "https://x.test/auth?connection=gmail&identifier=u");
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"http://127.0.0.1:9/a?b=1&\"}");
    expect_link(st, "gmail", "u", "http://127.0.0.1:9/a?b=1&connection=gmail&identifier=u");
    file_vt()->destroy(st);
    tmpdir_remove(&d);
}

static void test_link_buffer(void **unused)
{
    tmpdir d;
    void *st = NULL;
    const char *want = "https://x.test/a?connection=gmail&identifier=u%40x";
    size_t need = strlen(want) + 1;
    char buf[TG_LINK_MAX + 1], lb[1100], file[1200], id[TG_IDENTIFIER_MAX + 1];
    int64_t exp = 0;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x.test/a\"}");
    assert_int_equal(provider_create(&d, "{}", &st), TG_OK);
    assert_int_equal(file_vt()->get_link(st, "gmail", "u@x", buf, need, &exp), TG_OK);
    assert_string_equal(buf, want);
    memset(buf, 'z', sizeof buf);
    assert_int_equal(file_vt()->get_link(st, "gmail", "u@x", buf, need - 1, &exp), TG_EPROVIDER);
    assert_string_equal(buf, "");
    assert_int_equal(buf[need - 1], 'z'); /* nothing written past len */
    assert_int_equal(file_vt()->get_link(st, "gmail", "u@x", buf, 1, &exp), TG_EPROVIDER);
    assert_int_equal(file_vt()->get_link(st, "gmail", "u@x", buf, 0, &exp), TG_EINVAL);

    /* The longest link_base and identifier cannot fit TG_LINK_MAX: a provider
     * failure, not an overflow. */
    memset(lb, 'a', sizeof lb);
    memcpy(lb, "https://", 8);
    lb[1024] = '\0';
    snprintf(file, sizeof file, "{\"link_base\":\"%s\"}", lb);
    write_file_rename(&d, "accounts.json", file);
    memset(id, '@', TG_IDENTIFIER_MAX);
    id[TG_IDENTIFIER_MAX] = '\0';
    assert_int_equal(file_vt()->get_link(st, "gmail", id, buf, sizeof buf, &exp), TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), "longer than 2048 bytes"));
    id[200] = '\0';
    assert_int_equal(file_vt()->get_link(st, "gmail", id, buf, sizeof buf, &exp), TG_OK);
    assert_int_equal(strlen(buf), 1024 + strlen("?connection=gmail&identifier=") + 600);
    file_vt()->destroy(st);
    tmpdir_remove(&d);
}

static void expect_create_error(const tmpdir *d, const char *config, int code, const char *msg)
{
    void *st = (void *)1;
    int rc = provider_create(d, config, &st);
    if (rc != code || strcmp(tg_error_message(), msg) != 0)
        print_error("config %s\nexpected (%d) %s\nactual (%d) %s\n", config, code, msg, rc,
                    tg_error_message());
    assert_int_equal(rc, code);
    assert_null(st);
    assert_string_equal(tg_error_message(), msg);
}

static void test_config_errors(void **unused)
{
    tmpdir d;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", k_accounts);
    expect_create_error(&d, "{\"foo\": 1}", TG_ECONFIG, "config: unknown key \"provider.foo\"");
    expect_create_error(&d, "{\"path\": \"accounts.json\", \"type\": \"file\"}", TG_ECONFIG,
                        "config: unknown key \"provider.type\"");
    expect_create_error(&d, "{\"path\": 5}", TG_ECONFIG,
                        "config: \"provider.path\" must be a string");
    expect_create_error(&d, "{\"path\": null}", TG_ECONFIG,
                        "config: \"provider.path\" must be a string");
    expect_create_error(&d, "{\"path\": \"\"}", TG_ECONFIG,
                        "config: \"provider.path\" must not be empty");
    expect_create_error(&d, "{\"create_missing\": \"yes\"}", TG_ECONFIG,
                        "config: \"provider.create_missing\" must be a boolean");
    expect_create_error(&d, "{\"create_missing\": 1}", TG_ECONFIG,
                        "config: \"provider.create_missing\" must be a boolean");
    expect_create_error(&d, "{\"pa\\nth\\\"\": 1}", TG_ECONFIG,
                        "config: unknown key \"provider.pa\\x0Ath\\x22\"");
    expect_create_error(&d, "[]", TG_ECONFIG, "config: \"provider\": not a JSON object");
    expect_create_error(&d, "{", TG_ECONFIG,
                        "config: \"provider\": invalid JSON: unexpected end of input (line 1, "
                        "column 2)");
    expect_create_error(&d, "{} {}", TG_ECONFIG,
                        "config: \"provider\": invalid JSON: unexpected text after the value "
                        "(line 1, column 4)");
    {
        char cfg[5000];
        memset(cfg, 'p', sizeof cfg);
        memcpy(cfg, "{\"path\":\"", 9);
        memcpy(cfg + sizeof cfg - 3, "\"}", 3);
        expect_create_error(&d, cfg, TG_ECONFIG,
                            "config: \"provider.path\" is longer than 4094 bytes");
    }
    {
        void *st = NULL;
        assert_int_equal(file_vt()->create(tg__host(), "{}", d.path, NULL, NULL), TG_EINVAL);
        /* A NULL config is the empty object. */
        assert_int_equal(file_vt()->create(tg__host(), NULL, d.path, NULL, &st), TG_OK);
        file_vt()->destroy(st);
    }
    tmpdir_remove(&d);
}

static void test_create_file_errors(void **unused)
{
    tmpdir d;
    char msg[600], cfg[600];
    void *st = NULL;
    int fd;
    (void)unused;

    tmpdir_make(&d);
    /* Missing. */
    snprintf(msg, sizeof msg,
             "config: cannot read accounts file \"%s/accounts.json\": No such file or directory",
             d.path);
    expect_create_error(&d, "{}", TG_ECONFIG, msg);
    snprintf(msg, sizeof msg,
             "config: cannot read accounts file \"%s/sub/acc.json\": No such file or directory",
             d.path);
    expect_create_error(&d, "{\"path\":\"sub/acc.json\"}", TG_ECONFIG, msg);
    /* Invalid. */
    write_file_rename(&d, "accounts.json", FILE1(ACCT("\"gmail\"", "\"u\"", "\"ACTIV\"")));
    snprintf(msg, sizeof msg,
             "accounts file: accounts[0].status: unknown status \"ACTIV\" (in "
             "\"%s/accounts.json\")",
             d.path);
    expect_create_error(&d, "{}", TG_ECONFIG, msg);
    /* A directory. */
    snprintf(cfg, sizeof cfg, "%s/sub", d.path);
    assert_int_equal(mkdir(cfg, 0700), 0);
    snprintf(msg, sizeof msg, "config: cannot read accounts file \"%s/sub\": not a regular file",
             d.path);
    expect_create_error(&d, "{\"path\":\"sub\"}", TG_ECONFIG, msg);
    /* A FIFO must not hang. */
    snprintf(cfg, sizeof cfg, "%s/fifo", d.path);
    assert_int_equal(mkfifo(cfg, 0600), 0);
    snprintf(msg, sizeof msg, "config: cannot read accounts file \"%s/fifo\": not a regular file",
             d.path);
    expect_create_error(&d, "{\"path\":\"fifo\"}", TG_ECONFIG, msg);
    /* Over 16 MiB (sparse). */
    snprintf(cfg, sizeof cfg, "%s/big.json", d.path);
    fd = open(cfg, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)TG__ACCOUNTS_MAX_BYTES + 1), 0);
    close(fd);
    snprintf(msg, sizeof msg,
             "config: cannot read accounts file \"%s/big.json\": larger than 16777216 bytes",
             d.path);
    expect_create_error(&d, "{\"path\":\"big.json\"}", TG_ECONFIG, msg);

    /* An absolute path ignores base_dir; a subdirectory path joins it. */
    write_file_rename(&d, "accounts.json", k_accounts);
    snprintf(cfg, sizeof cfg, "{\"path\":\"%s/accounts.json\"}", d.path);
    assert_int_equal(file_vt()->create(tg__host(), cfg, "/nonexistent", NULL, &st), TG_OK);
    assert_int_equal(provider_status(st, "gmail", "user_123"), TG_STATUS_ACTIVE);
    file_vt()->destroy(st);
    {
        char sub[320];
        snprintf(sub, sizeof sub, "%s/", d.path); /* a trailing slash is fine */
        assert_int_equal(file_vt()->create(tg__host(), "{\"path\":\"accounts.json\"}", sub,
                                           NULL, &st),
                         TG_OK);
        assert_int_equal(provider_status(st, "gmail", "user_456"), TG_STATUS_EXPIRED);
        file_vt()->destroy(st);
    }
    tmpdir_remove(&d);
}

static void test_bad_host(void **unused)
{
    tmpdir d;
    tg_host h = *tg__host();
    void *st = (void *)1;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", k_accounts);
    h.abi_version = 2;
    assert_int_equal(file_vt()->create(&h, "{}", d.path, NULL, &st), TG_EPLUGIN);
    assert_null(st);
    h = *tg__host();
    h.struct_size = 8;
    assert_int_equal(file_vt()->create(&h, "{}", d.path, NULL, &st), TG_EPLUGIN);
    assert_int_equal(file_vt()->create(NULL, "{}", d.path, NULL, &st), TG_EPLUGIN);
    tmpdir_remove(&d);
}

/* ---- threads ------------------------------------------------------------ */

#define READERS 4
#define CALLS 10000

typedef struct race {
    void *state;
    const tmpdir *dir;
    atomic_int stop;
    int failures;  /* guarded by lock */
    int provider_errors;
    pthread_mutex_t lock;
} race;

static void *race_reader(void *arg)
{
    race *r = arg;
    int i, bad = 0, perr = 0;
    char link[TG_LINK_MAX + 1];
    for (i = 0; i < CALLS; i++) {
        tg_status s = (tg_status)99;
        char id[32];
        int rc;
        snprintf(id, sizeof id, "user_%d", i % 50);
        rc = file_vt()->get_status(r->state, "gmail", id, &s);
        if (rc == TG_EPROVIDER)
            perr++; /* the writer's broken versions */
        else if (rc != TG_OK ||
                 (s != TG_STATUS_ACTIVE && s != TG_STATUS_EXPIRED && s != TG_STATUS_PENDING))
            bad++;
        if (i % 100 == 0) {
            int64_t exp;
            rc = file_vt()->get_link(r->state, "gmail", id, link, sizeof link, &exp);
            if (rc == TG_OK && strncmp(link, "https://x/", 10) != 0)
                bad++;
            else if (rc != TG_OK && rc != TG_EPROVIDER)
                bad++;
        }
    }
    pthread_mutex_lock(&r->lock);
    r->failures += bad;
    r->provider_errors += perr;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void *race_writer(void *arg)
{
    race *r = arg;
    unsigned n = 0;
    char *text = malloc(64 * 1024);
    if (!text)
        abort();
    while (!atomic_load(&r->stop)) {
        size_t o = 0;
        int i, first = 1;
        if (n % 16 == 15) {
            write_file_rename(r->dir, "accounts.json", "{\"link_base\": broken");
        } else {
            o += (size_t)sprintf(text + o, "{\"link_base\":\"https://x/%u\",\"accounts\":[", n);
            for (i = 0; i < 50; i++)
                if ((unsigned)i % 3 != n % 3) {
                    o += (size_t)sprintf(text + o,
                                         "%s{\"connection\":\"gmail\",\"identifier\":\"user_%d\","
                                         "\"status\":\"%s\"}",
                                         first ? "" : ",", i,
                                         (n + (unsigned)i) % 2 ? "ACTIVE" : "EXPIRED");
                    first = 0;
                }
            sprintf(text + o, "]}");
            write_file_rename(r->dir, "accounts.json", text);
        }
        n++;
        usleep(200);
    }
    write_file_rename(r->dir, "accounts.json", "{\"link_base\":\"https://x/\"}");
    free(text);
    return NULL;
}

static void test_threads(void **unused)
{
    tmpdir d;
    race r;
    pthread_t readers[READERS], writer;
    int i;
    tg_status s;
    (void)unused;

    tmpdir_make(&d);
    write_file_rename(&d, "accounts.json", "{\"link_base\":\"https://x/\"}");
    memset(&r, 0, sizeof r);
    atomic_init(&r.stop, 0);
    r.dir = &d;
    pthread_mutex_init(&r.lock, NULL);
    assert_int_equal(provider_create(&d, "{}", &r.state), TG_OK);
    assert_int_equal(pthread_create(&writer, NULL, race_writer, &r), 0);
    for (i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &r), 0);
    for (i = 0; i < READERS; i++)
        pthread_join(readers[i], NULL);
    atomic_store(&r.stop, 1);
    pthread_join(writer, NULL);
    assert_int_equal(r.failures, 0);
    /* After the storm, the last file is what counts. */
    assert_int_equal(file_vt()->get_status(r.state, "gmail", "user_1", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_PENDING);
    file_vt()->destroy(r.state);
    pthread_mutex_destroy(&r.lock);
    tmpdir_remove(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_no_accounts),
        cmocka_unit_test(test_parse_statuses),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_nul_and_bounds),
        cmocka_unit_test(test_parse_link_base_length),
        cmocka_unit_test(test_parse_deep),
        cmocka_unit_test(test_parse_huge),
        cmocka_unit_test(test_accounts_set),
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_created_then_listed),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_bad_file_after_change),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_link_buffer),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_create_file_errors),
        cmocka_unit_test(test_bad_host),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
