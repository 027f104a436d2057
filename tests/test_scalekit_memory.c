/* The scalekit provider leaves no copy of a secret in memory it frees: every
 * block freed in this process — by the provider, by json-c for the provider,
 * by libcurl for the provider — is read just before it is freed, and must not
 * hold the client secret (raw or form-encoded, as it is sent) or an access
 * token of the dev server ("skdev_" and hex digits).
 *
 * How the frees are watched: in a plain build this program defines malloc,
 * calloc, realloc and free (a program's own definitions take precedence over
 * the C library's, for every library in the process) and forwards them to
 * glibc's __libc_* functions; realloc becomes malloc, copy, free, so the
 * block it leaves behind is read too. Under AddressSanitizer or
 * ThreadSanitizer, whose runtimes own malloc, the sanitizer's free hook does
 * the reading instead. Under valgrind, which puts its own malloc and free in
 * place of every other (this program's included) and offers no hook, no
 * block can be read: the scenarios then run for memcheck's own checks
 * (invalid accesses, leaks) and say so, and the reading is asserted by the
 * plain and sanitizer runs.
 *
 * What this cannot see: memory never freed while the test runs (none is
 * left: destroy frees everything, which valgrind and ASan check), the stack
 * (the provider's copies there are wiped too, but no hook sees a stack frame
 * end), and OpenSSL's buffers (this test talks plain HTTP on loopback). */
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <valgrind/memcheck.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "plugin.h"
#include "scalekit_provider.h"
#include "dev_server.h"

#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the built scalekit-dev binary"
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TG_MEM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TG_MEM_SANITIZER 1
#endif
#endif

#define DEV_ID "dev_client"
/* Reserved characters in it, so its form-encoded copy differs from it. */
#define SECRET "s3cr3t/mem+XYZ=0815"
#define SECRET_FORM "s3cr3t%2Fmem%2BXYZ%3D0815"
#define TOKEN_PREFIX "skdev_"
#define TOKEN_HEX 16 /* hex digits after the prefix that make a token copy */

/* ---- reading every block freed ------------------------------------------- */

static atomic_ulong frees_seen, secret_copies, form_copies, token_copies;
static atomic_int watching;

static int contains(const unsigned char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; k <= n && i <= n - k; i++)
        if (p[i] == (unsigned char)needle[0] && memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int contains_token(const unsigned char *p, size_t n)
{
    size_t k = sizeof TOKEN_PREFIX - 1, i, j;
    for (i = 0; k + TOKEN_HEX <= n && i <= n - k - TOKEN_HEX; i++) {
        if (p[i] != 's' || memcmp(p + i, TOKEN_PREFIX, k) != 0)
            continue;
        for (j = 0; j < TOKEN_HEX && is_hex(p[i + k + j]); j++)
            ;
        if (j == TOKEN_HEX)
            return 1;
    }
    return 0;
}

static void check_block(const void *block, size_t n)
{
    const unsigned char *p = block;
    if (!block || !atomic_load(&watching))
        return;
    atomic_fetch_add(&frees_seen, 1);
    if (contains(p, n, SECRET))
        atomic_fetch_add(&secret_copies, 1);
    if (contains(p, n, SECRET_FORM))
        atomic_fetch_add(&form_copies, 1);
    if (contains_token(p, n))
        atomic_fetch_add(&token_copies, 1);
}

#ifdef TG_MEM_SANITIZER
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static void free_hook(const volatile void *p)
{
    if (p)
        check_block((const void *)(uintptr_t)p, __sanitizer_get_allocated_size(p));
}

static void malloc_hook(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
}

/* The runtime takes both hooks or none. */
static void install_watch(void)
{
    assert_true(__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook) != 0);
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t count, size_t n);
void __libc_free(void *p);

/* Visible to the dynamic linker (this build hides symbols by default), so
 * every library's malloc and free come here. */
#define TG_MEM_EXPORT __attribute__((visibility("default")))

TG_MEM_EXPORT void *malloc(size_t n)
{
    return __libc_malloc(n);
}

TG_MEM_EXPORT void *calloc(size_t count, size_t n)
{
    return __libc_calloc(count, n);
}

TG_MEM_EXPORT void free(void *p)
{
    if (p)
        check_block(p, malloc_usable_size(p));
    __libc_free(p);
}

TG_MEM_EXPORT void *realloc(void *p, size_t n)
{
    size_t old;
    void *q;
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    old = malloc_usable_size(p);
    q = __libc_malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

static void install_watch(void)
{
}
#endif

/* ---- scenarios -------------------------------------------------------------- */

static tg_dev dev = { 0, -1, "" };

static const tg_provider *vt(void)
{
    const tg_provider *p = tg__scalekit_provider_entry(TG_PROVIDER_ABI_VERSION);
    assert_non_null(p);
    return p;
}

static void begin(void)
{
    atomic_store(&frees_seen, 0);
    atomic_store(&secret_copies, 0);
    atomic_store(&form_copies, 0);
    atomic_store(&token_copies, 0);
    atomic_store(&watching, 1);
}

/* Stop watching; no freed block held a secret; some blocks were read. */
static void end(const char *what)
{
    atomic_store(&watching, 0);
    if (RUNNING_ON_VALGRIND) {
        print_message("    %-44s under valgrind: frees cannot be read here (memcheck's checks "
                      "only)\n",
                      what);
        return;
    }
    print_message("    %-44s %6lu frees read: secret %lu, form-encoded %lu, token %lu\n", what,
                  atomic_load(&frees_seen), atomic_load(&secret_copies),
                  atomic_load(&form_copies), atomic_load(&token_copies));
    assert_true(atomic_load(&frees_seen) > 0);
    assert_int_equal(atomic_load(&secret_copies), 0);
    assert_int_equal(atomic_load(&form_copies), 0);
    assert_int_equal(atomic_load(&token_copies), 0);
}

static int create(const char *url, const char *secret, const char *extra, void **p)
{
    char config[512];
    *p = NULL;
    snprintf(config, sizeof config,
             "{\"environment_url\":\"%s\",\"client_id\":\"" DEV_ID "\",\"client_secret\":\"%s\""
             ",\"timeout_ms\":2000%s%s}",
             url, secret, extra ? "," : "", extra ? extra : "");
    return vt()->create(tg__host(), config, ".", NULL, p);
}

/* The configuration alone, and every way a create can fail after the secret
 * was read. */
static void test_config(void **unused)
{
    void *p;
    (void)unused;
    begin();
    assert_int_equal(create("https://acme.scalekit.dev", SECRET, NULL, &p), TG_OK);
    vt()->destroy(p);
    assert_int_equal(create("http://example.com", SECRET, NULL, &p), TG_ECONFIG);
    assert_int_equal(create("https://acme.scalekit.dev", SECRET, "\"bogus\":1", &p), TG_ECONFIG);
    assert_int_equal(create("https://acme.scalekit.dev", SECRET, "\"timeout_ms\":0", &p),
                     TG_ECONFIG);
    assert_int_equal(create("https://a/?q", SECRET, NULL, &p), TG_ECONFIG);
    end("configuration, good and refused");
}

/* A token fetched, used, refused (401) and fetched again; statuses, a
 * create, links. */
static void test_calls(void **unused)
{
    char link[TG_LINK_MAX + 1];
    tg_status st;
    void *p;
    (void)unused;
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "mem_user", "EXPIRED"), 200);
    begin();
    assert_int_equal(create(dev.url, SECRET, NULL, &p), TG_OK);
    assert_int_equal(vt()->get_status(p, "gmail", "mem_user", &st), TG_OK);
    assert_int_equal(st, TG_STATUS_EXPIRED);
    assert_int_equal(vt()->get_link(p, "gmail", "mem_user", link, sizeof link, NULL), TG_OK);
    assert_int_equal(vt()->get_status(p, "gmail", "mem_new_user", &st), TG_OK);
    assert_int_equal(tg_dev_post(&dev, "/_dev/tokens/revoke", "{}"), 200);
    assert_int_equal(vt()->get_status(p, "gmail", "mem_user", &st), TG_OK);
    vt()->destroy(p);
    end("token, 401 and a new token, status, link");
}

/* The service echoes the form body and the Authorization header back; the
 * provider reads, scrubs and frees those answers. */
static void test_echo(void **unused)
{
    static const char *const faults[] = {
        "{\"echo\":\"body\",\"status\":500,\"routes\":\"/oauth/\"}",
        "{\"echo\":\"body\",\"echo_encoding\":\"percent\",\"echo_as\":\"text\",\"status\":500,"
        "\"routes\":\"/oauth/\"}",
        "{\"echo\":\"authorization\",\"routes\":\"/api/\"}",
        "{\"echo\":\"authorization\",\"echo_encoding\":\"json\",\"routes\":\"/api/\"}",
    };
    tg_status st;
    size_t i;
    void *p;
    (void)unused;
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "mem_echo", "ACTIVE"), 200);
    begin();
    for (i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        assert_int_equal(create(dev.url, SECRET, NULL, &p), TG_OK);
        if (strstr(faults[i], "/api/"))
            assert_int_equal(vt()->get_status(p, "gmail", "mem_echo", &st), TG_OK);
        assert_int_equal(tg_dev_post(&dev, "/_dev/faults", faults[i]), 200);
        assert_int_equal(vt()->get_status(p, "gmail", "mem_echo", &st), TG_EPROVIDER);
        vt()->destroy(p);
        assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    }
    end("answers that echo the secret and the token");
}

/* Credentials the token endpoint refuses. */
static void test_refused(void **unused)
{
    tg_status st;
    void *p;
    (void)unused;
    begin();
    assert_int_equal(create(dev.url, SECRET "x", NULL, &p), TG_OK);
    assert_int_equal(vt()->get_status(p, "gmail", "mem_user", &st), TG_ECONFIG);
    vt()->destroy(p);
    end("credentials refused");
}

static int group_setup(void **unused)
{
    void *p = NULL;
    (void)unused;
    signal(SIGPIPE, SIG_IGN);
    /* The provider starts libcurl (with its wiping memory functions) before
     * anything else in this process uses libcurl. */
    if (create("https://acme.scalekit.dev", SECRET, NULL, &p) != TG_OK)
        return -1;
    vt()->destroy(p);
    install_watch();
    return tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, DEV_ID, SECRET);
}

static int group_teardown(void **unused)
{
    (void)unused;
    atomic_store(&watching, 0);
    return tg_dev_stop(&dev) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
