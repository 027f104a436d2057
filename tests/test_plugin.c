/* The provider loader: built-in names, modules by path, in-process tables,
 * and every way a plugin can be refused. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "plugin.h"

#ifndef TG_STUB_MODULE_DIR
#error "tests/CMakeLists.txt defines TG_STUB_MODULE_DIR for this test"
#endif

static char g_dir[256]; /* temporary directory holding accounts.json */

static int setup(void **unused)
{
    char path[320];
    FILE *f;
    (void)unused;
    snprintf(g_dir, sizeof g_dir, "/tmp/tg_plugin_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(path, sizeof path, "%s/accounts.json", g_dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
          "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"
          "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"}]}",
          f);
    return fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **unused)
{
    char cmd[300];
    (void)unused;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *abs_config(void)
{
    static char cfg[400];
    snprintf(cfg, sizeof cfg, "{\"path\":\"%s/accounts.json\",\"create_missing\":false}", g_dir);
    return cfg;
}

/* Drive an opened provider through both methods. */
static void exercise(tg__plugin *p)
{
    tg_status s = (tg_status)99;
    char link[TG_LINK_MAX + 1];
    int64_t exp = 0;

    assert_non_null(p->vt);
    assert_string_equal(p->vt->name, "file");
    assert_int_equal(p->vt->get_status(p->state, "gmail", "user_123", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_ACTIVE);
    assert_int_equal(p->vt->get_status(p->state, "gmail", "user_456", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_EXPIRED);
    assert_int_equal(p->vt->get_status(p->state, "gmail", "nobody", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_NOT_FOUND);
    assert_int_equal(p->vt->get_link(p->state, "gmail", "a@b", link, sizeof link, &exp), TG_OK);
    assert_string_equal(link,
                        "https://connect.example.com/authorize?connection=gmail&identifier=a%40b");
    assert_true(exp > (int64_t)time(NULL) * 1000);
}

static void expect_open(const char *type, const char *config, const char *base_dir, int code,
                        const char *message_part)
{
    tg__plugin p;
    int rc;

    memset(&p, 0xA5, sizeof p); /* open must initialise it */
    rc = tg__plugin_open(&p, type, config, base_dir, NULL);
    if (rc != code || !strstr(tg_error_message(), message_part))
        print_error("open %s: expected %d \"%s\", got %d \"%s\"\n", type, code, message_part, rc,
                    tg_error_message());
    assert_int_equal(rc, code);
    assert_non_null(strstr(tg_error_message(), message_part));
    assert_null(p.vt);
    assert_null(p.state);
    assert_null(p.dl);
    tg__plugin_close(&p);
}

/* ---- host services ------------------------------------------------------ */

static void test_host(void **unused)
{
    const tg_host *h = tg__host();
    tg_status s;
    int64_t now = (int64_t)time(NULL) * 1000;
    (void)unused;

    assert_int_equal(h->abi_version, TG_PROVIDER_ABI_VERSION);
    assert_int_equal(h->struct_size, sizeof(tg_host));
    h->set_error("from a plugin: %d %s", 42, "x");
    assert_string_equal(tg_error_message(), "from a plugin: 42 x");
    assert_int_equal(h->status_parse("PENDING_AUTH", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_PENDING);
    assert_int_equal(h->status_parse("3", &s), TG_OK);
    assert_int_equal(h->status_parse("nope", &s), TG_EINVAL);
    assert_true(h->wall_ms() >= now - 2000 && h->wall_ms() <= now + 2000);
    assert_int_equal(h->valid_connection("google drive"), 1);
    assert_int_equal(h->valid_connection("gm@il"), 0);
    assert_int_equal(h->valid_connection(NULL), 0);
    assert_int_equal(h->valid_identifier("user@example.com"), 1);
    assert_int_equal(h->valid_identifier("a\nb"), 0);
    assert_int_equal(h->valid_identifier(""), 0);
}

/* ---- built-ins ---------------------------------------------------------- */

static void test_builtin_file(void **unused)
{
    tg__plugin p;
    (void)unused;

    assert_int_equal(tg__plugin_open(&p, "file", abs_config(), "/nonexistent", NULL), TG_OK);
    assert_null(p.dl);
    exercise(&p);
    tg__plugin_close(&p);
    assert_null(p.vt);
    tg__plugin_close(&p); /* closed twice: harmless */

    /* Relative path from base_dir; NULL type is the default "file". */
    assert_int_equal(tg__plugin_open(&p, NULL, "{\"create_missing\":false}", g_dir, NULL), TG_OK);
    exercise(&p);
    tg__plugin_close(&p);
}

static void test_builtin_errors(void **unused)
{
    (void)unused;
    expect_open("foo", "{}", g_dir, TG_ECONFIG,
                "config: unknown provider type \"foo\" (expected \"file\", \"scalekit\" or a "
                "path to a provider module)");
    assert_string_equal(tg_error_message(),
                        "config: unknown provider type \"foo\" (expected \"file\", "
                        "\"scalekit\" or a path to a provider module)");
    expect_open("", "{}", g_dir, TG_ECONFIG, "config: unknown provider type \"\"");
    expect_open("File", "{}", g_dir, TG_ECONFIG, "config: unknown provider type \"File\"");
    expect_open("bad\x01name", "{}", g_dir, TG_ECONFIG,
                "config: unknown provider type \"bad\\x01name\"");
    /* The provider's own config errors come through with their message. */
    expect_open("file", "{\"bogus\":1}", g_dir, TG_ECONFIG,
                "config: unknown key \"provider.bogus\"");
    expect_open("file", "{}", "/nonexistent", TG_ECONFIG,
                "cannot read accounts file \"/nonexistent/accounts.json\"");
}

static void test_close_zeroed(void **unused)
{
    tg__plugin p;
    (void)unused;
    memset(&p, 0, sizeof p);
    tg__plugin_close(&p);
    tg__plugin_close(NULL);
    assert_int_equal(tg__plugin_open(NULL, "file", "{}", g_dir, NULL), TG_EINVAL);
}

/* ---- modules ------------------------------------------------------------ */

static void test_module_absolute(void **unused)
{
    tg__plugin p;
    (void)unused;

    assert_int_equal(tg__plugin_open(&p, TG_FILE_MODULE_PATH, abs_config(), g_dir, NULL), TG_OK);
    assert_non_null(p.dl);
    exercise(&p);
    /* The module's table, not the built-in one. */
    assert_true(p.vt != tg__file_provider_entry(TG_PROVIDER_ABI_VERSION));
    tg__plugin_close(&p);
    assert_null(p.dl);

    /* Reported through the host's set_error, from inside the module. */
    expect_open(TG_FILE_MODULE_PATH, "{\"bogus\":true}", g_dir, TG_ECONFIG,
                "config: unknown key \"provider.bogus\"");
    assert_string_equal(tg_error_message(), "config: unknown key \"provider.bogus\"");

    /* Loaded twice at once: two independent providers. */
    {
        tg__plugin a, b;
        assert_int_equal(tg__plugin_open(&a, TG_FILE_MODULE_PATH, abs_config(), g_dir, NULL), TG_OK);
        assert_int_equal(tg__plugin_open(&b, TG_FILE_MODULE_PATH, "{}", g_dir, NULL), TG_OK);
        exercise(&a);
        tg__plugin_close(&a);
        {
            tg_status s;
            assert_int_equal(b.vt->get_status(b.state, "gmail", "nobody", &s), TG_OK);
            assert_int_equal(s, TG_STATUS_PENDING); /* create_missing */
        }
        tg__plugin_close(&b);
    }
}

/* Split TG_FILE_MODULE_PATH into its directory and file name. */
static void module_dir_and_name(char *dir, size_t dcap, const char **name)
{
    const char *slash = strrchr(TG_FILE_MODULE_PATH, '/');
    size_t n;
    assert_non_null(slash);
    n = (size_t)(slash - TG_FILE_MODULE_PATH);
    assert_true(n < dcap);
    memcpy(dir, TG_FILE_MODULE_PATH, n);
    dir[n] = '\0';
    *name = slash + 1;
}

static void test_module_relative(void **unused)
{
    char dir[PATH_MAX], type[PATH_MAX + 8], parent[PATH_MAX];
    const char *name, *slash;
    tg__plugin p;
    (void)unused;

    module_dir_and_name(dir, sizeof dir, &name);
    /* "./name" against the module's directory. */
    snprintf(type, sizeof type, "./%s", name);
    assert_int_equal(tg__plugin_open(&p, type, abs_config(), dir, NULL), TG_OK);
    assert_non_null(p.dl);
    exercise(&p);
    tg__plugin_close(&p);

    /* "lastdir/name" against its parent, with a trailing slash. */
    slash = strrchr(dir, '/');
    assert_non_null(slash);
    snprintf(parent, sizeof parent, "%.*s/", (int)(slash - dir), dir);
    snprintf(type, sizeof type, "%s/%s", slash + 1, name);
    assert_int_equal(tg__plugin_open(&p, type, abs_config(), parent, NULL), TG_OK);
    exercise(&p);
    tg__plugin_close(&p);

    /* The same relative name against another directory is not found. */
    snprintf(type, sizeof type, "./%s", name);
    expect_open(type, abs_config(), g_dir, TG_EPLUGIN, "cannot load");
    assert_non_null(strstr(tg_error_message(), g_dir));
}

static void test_module_errors(void **unused)
{
    char msg[600];
    (void)unused;

    snprintf(msg, sizeof msg,
             "provider module \"%s/./missing.so\": cannot load: No such file or directory",
             g_dir);
    expect_open("./missing.so", "{}", g_dir, TG_EPLUGIN, msg);
    expect_open("/nonexistent/dir/provider.so", "{}", g_dir, TG_EPLUGIN,
                "provider module \"/nonexistent/dir/provider.so\": cannot load");
    /* Not a shared object at all. */
    snprintf(msg, sizeof msg, "provider module \"%s/./accounts.json\": cannot load", g_dir);
    expect_open("./accounts.json", "{}", g_dir, TG_EPLUGIN, msg);

    expect_open(TG_STUB_MODULE_DIR "/tg_stub_nosym.so", "{}", g_dir, TG_EPLUGIN,
                "tg_stub_nosym.so\": does not export tg_provider_entry()");
    expect_open(TG_STUB_MODULE_DIR "/tg_stub_null.so", "{}", g_dir, TG_EPLUGIN,
                "tg_stub_null.so\": cannot serve a host of provider ABI version 1");
    expect_open(TG_STUB_MODULE_DIR "/tg_stub_abi.so", "{}", g_dir, TG_EPLUGIN,
                "tg_stub_abi.so\": built for provider ABI version 2, this library has 1");
    expect_open(TG_STUB_MODULE_DIR "/tg_stub_nolink.so", "{}", g_dir, TG_EPLUGIN,
                "tg_stub_nolink.so\": method table lacks get_link()");
}

/* ---- trust ---------------------------------------------------------------- */

/* Copy @p from to @p to with mode @p mode. */
static void copy_file(const char *from, const char *to, mode_t mode)
{
    char cmd[2 * PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chmod(to, mode), 0);
}

/* Refused with a configuration error naming the path and the problem, and
 * nothing of the module ran (its constructor leaves a marker file). */
static void expect_untrusted(const char *type, const char *base_dir, const char *problem)
{
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/marker", g_dir);
    unlink(marker);
    setenv("TG_STUB_MARKER", marker, 1);
    expect_open(type, "{}", base_dir, TG_ECONFIG, problem);
    assert_int_equal(access(marker, F_OK), -1);
    unsetenv("TG_STUB_MARKER");
}

static void test_module_trust(void **unused)
{
    char open_dir[512], sticky[512], mod[PATH_MAX], marker[PATH_MAX];
    const char *stub = TG_STUB_MODULE_DIR "/tg_stub_null.so";
    (void)unused;

    /* A directory anyone may write to: whoever can replace the module there
     * could run code in every process that loads it. */
    snprintf(open_dir, sizeof open_dir, "%s/open", g_dir);
    assert_int_equal(mkdir(open_dir, 0700), 0);
    assert_int_equal(chmod(open_dir, 0777), 0);
    snprintf(mod, sizeof mod, "%s/stub.so", open_dir);
    copy_file(stub, mod, 0755);
    expect_untrusted(mod, NULL, "is writable by group or others");
    assert_non_null(strstr(tg_error_message(), open_dir));

    /* The module itself writable by others. */
    snprintf(mod, sizeof mod, "%s/writable.so", g_dir);
    copy_file(stub, mod, 0757);
    expect_untrusted(mod, NULL, "writable.so\" is writable by group or others");

    /* A relative path with no configuration directory: never the working
     * directory. */
    expect_open("./stub.so", "{}", NULL, TG_ECONFIG, "is a relative path");

    /* A sticky directory (like /tmp) is fine: others cannot replace what is
     * ours in it. The stub's entry returns NULL, so it loads, runs, and is
     * refused for that. */
    snprintf(sticky, sizeof sticky, "%s/sticky", g_dir);
    assert_int_equal(mkdir(sticky, 0700), 0);
    assert_int_equal(chmod(sticky, 01777), 0);
    snprintf(mod, sizeof mod, "%s/stub.so", sticky);
    copy_file(stub, mod, 0755);
    snprintf(marker, sizeof marker, "%s/marker", g_dir);
    unlink(marker);
    setenv("TG_STUB_MARKER", marker, 1);
    expect_open(mod, "{}", NULL, TG_EPLUGIN, "cannot serve a host");
    assert_int_equal(access(marker, F_OK), 0);
    unsetenv("TG_STUB_MARKER");

    /* Owned by another user (needs root to arrange). */
    if (geteuid() == 0) {
        snprintf(mod, sizeof mod, "%s/other.so", g_dir);
        copy_file(stub, mod, 0755);
        assert_int_equal(chown(mod, 65534, 65534), 0);
        expect_untrusted(mod, NULL, "is owned by another user");
    }
}

/* ---- in-process tables -------------------------------------------------- */

typedef struct fake {
    int creates, destroys;
    const tg_host *host;
    char config[64], base_dir[64];
    int fail;  /* create's return code */
} fake;

static int fake_create(const tg_host *host, const char *config_json, const char *base_dir,
                       void *arg, void **state)
{
    fake *f = arg;
    f->creates++;
    f->host = host;
    snprintf(f->config, sizeof f->config, "%s", config_json);
    snprintf(f->base_dir, sizeof f->base_dir, "%s", base_dir);
    if (f->fail)
        return f->fail;
    *state = f;
    return TG_OK;
}

static void fake_destroy(void *state)
{
    ((fake *)state)->destroys++;
}

static int fake_status(void *state, const char *connection, const char *identifier,
                       tg_status *status)
{
    (void)state;
    (void)connection;
    (void)identifier;
    *status = TG_STATUS_REVOKED;
    return TG_OK;
}

static int fake_link(void *state, const char *connection, const char *identifier, char *buf,
                     size_t len, int64_t *expires_at_ms)
{
    (void)state;
    (void)connection;
    (void)identifier;
    (void)buf;
    (void)len;
    (void)expires_at_ms;
    return TG_ENOTSUP;
}

static const tg_provider fake_vt = {
    TG_PROVIDER_ABI_VERSION, (uint32_t)sizeof(tg_provider), "fake",
    fake_create, fake_destroy, fake_status, fake_link,
};

static void test_table(void **unused)
{
    tg__plugin p;
    fake f;
    tg_status s;
    (void)unused;

    memset(&f, 0, sizeof f);
    assert_int_equal(tg__plugin_open_table(&p, &fake_vt, "{\"x\":1}", "/base", &f), TG_OK);
    assert_ptr_equal(p.vt, &fake_vt);
    assert_ptr_equal(p.state, &f);
    assert_null(p.dl);
    assert_ptr_equal(f.host, tg__host());
    assert_string_equal(f.config, "{\"x\":1}");
    assert_string_equal(f.base_dir, "/base");
    assert_int_equal(p.vt->get_status(p.state, "c", "i", &s), TG_OK);
    assert_int_equal(s, TG_STATUS_REVOKED);
    tg__plugin_close(&p);
    assert_int_equal(f.creates, 1);
    assert_int_equal(f.destroys, 1);
    tg__plugin_close(&p);
    assert_int_equal(f.destroys, 1);

    /* Defaults for a NULL config and base_dir. */
    assert_int_equal(tg__plugin_open_table(&p, &fake_vt, NULL, NULL, &f), TG_OK);
    assert_string_equal(f.config, "{}");
    assert_string_equal(f.base_dir, ".");
    tg__plugin_close(&p);

    /* A failing create: its code, no destroy, a message even if it gave none. */
    memset(&f, 0, sizeof f);
    f.fail = TG_EIO;
    assert_int_equal(tg__plugin_open_table(&p, &fake_vt, "{}", "/", &f), TG_EIO);
    assert_null(p.vt);
    assert_string_equal(tg_error_message(), "provider \"fake\": create() failed");
    tg__plugin_close(&p);
    assert_int_equal(f.destroys, 0);
    f.fail = 7;
    assert_int_equal(tg__plugin_open_table(&p, &fake_vt, "{}", "/", &f), TG_EPLUGIN);
    assert_string_equal(tg_error_message(),
                        "provider \"fake\": create() returned the unknown code 7");
}

static void test_table_refused(void **unused)
{
    tg__plugin p;
    tg_provider vt;
    fake f;
    (void)unused;

    memset(&f, 0, sizeof f);
    assert_int_equal(tg__plugin_open_table(&p, NULL, "{}", "/", &f), TG_EPLUGIN);
    assert_string_equal(tg_error_message(), "in-process provider: no method table");

    vt = fake_vt;
    vt.abi_version = TG_PROVIDER_ABI_VERSION + 1;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);
    assert_string_equal(tg_error_message(),
                        "in-process provider: built for provider ABI version 2, this library "
                        "has 1");
    vt.abi_version = 0;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);

    vt = fake_vt;
    vt.struct_size = (uint32_t)offsetof(tg_provider, get_link);
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);
    assert_non_null(strstr(tg_error_message(), "method table of"));

    vt = fake_vt;
    vt.create = NULL;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);
    assert_string_equal(tg_error_message(), "provider \"fake\": method table lacks create()");
    vt = fake_vt;
    vt.destroy = NULL;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);
    vt = fake_vt;
    vt.get_status = NULL;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);
    assert_string_equal(tg_error_message(), "provider \"fake\": method table lacks get_status()");
    vt = fake_vt;
    vt.get_link = NULL;
    assert_int_equal(tg__plugin_open_table(&p, &vt, "{}", "/", &f), TG_EPLUGIN);

    /* A larger table from a newer plugin is fine. */
    {
        struct {
            tg_provider base;
            void *future_method;
        } big;
        big.base = fake_vt;
        big.base.struct_size = (uint32_t)sizeof big;
        big.future_method = NULL;
        assert_int_equal(tg__plugin_open_table(&p, &big.base, "{}", "/", &f), TG_OK);
        tg__plugin_close(&p);
    }
    assert_int_equal(f.creates, 1); /* refused tables were never created */
    assert_int_equal(tg__plugin_open_table(NULL, &fake_vt, "{}", "/", &f), TG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_builtin_file),
        cmocka_unit_test(test_builtin_errors),
        cmocka_unit_test(test_close_zeroed),
        cmocka_unit_test(test_module_absolute),
        cmocka_unit_test(test_module_relative),
        cmocka_unit_test(test_module_errors),
        cmocka_unit_test(test_module_trust),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
