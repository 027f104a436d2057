/* Fuzz target: the input rules of docs/design.md §9 (src/input.c): tool names
 * (letters, digits and "_-.:/"),
 * connection names, identifiers, UTF-8 sequences and the message for a
 * rejected name. The input, cut at its first NUL, is the name; the whole
 * input is also checked as a tool-name prefix. Invariants: every validator
 * agrees with a reference written here from the rules (and the reference
 * UTF-8 decoder of fuzz_check.c), and the rejection message is loggable. */
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "input.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static int in_set(unsigned char c, const char *extra)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr(extra, c) != NULL);
}

/* 1..max bytes, each in the set. */
static int ref_name(const char *s, size_t n, size_t max, const char *extra)
{
    size_t i;
    if (n == 0 || n > max)
        return 0;
    for (i = 0; i < n; i++)
        if (!in_set((unsigned char)s[i], extra))
            return 0;
    return 1;
}

/* 1..512 bytes of UTF-8 without C0, DEL or C1 control characters. */
static int ref_identifier(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    if (n == 0 || n > TG_IDENTIFIER_MAX)
        return 0;
    while (i < n) {
        k = fz_utf8_decode(p + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return 0;
        i += k;
    }
    return 1;
}

static void check_utf8_seq(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i, got, want;
    uint32_t cp;

    /* The library reads a NUL-terminated string: the reference sees the
     * bytes up to the NUL, which no sequence can include. */
    for (i = 0; i < n; i++) {
        if (p[i] < 0x80)
            continue;
        got = tg__utf8_seq_at(p + i);
        want = fz_utf8_decode(p + i, n - i, &cp);
        FZ_CHECK(got == want, "UTF-8 at byte %zu: library %zu, reference %zu", i, got, want);
    }
}

static void check_message(const char *what, const char *s)
{
    int rc = tg__invalid_input(what, s);
    FZ_CHECK(rc == TG_EINVAL, "tg__invalid_input gave %d", rc);
    fz_check_message(what, tg_error_message(), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    char *s = fz_field(&in, NULL), *all = fz_copy(data, size);
    size_t n = strlen(s), len = 0;
    int got, want;

    got = tg__valid_tool(s, &len);
    want = ref_name(s, n, TG_TOOL_MAX, "_-.:/");
    FZ_CHECK(got == want && (!got || len == n), "tool \"%s\": library %d, reference %d", s, got,
             want);
    if (!got)
        check_message("tool", s);

    got = tg__valid_connection(s, &len);
    want = ref_name(s, n, TG_CONNECTION_MAX, "_-: ");
    FZ_CHECK(got == want && (!got || len == n), "connection \"%s\": library %d, reference %d", s,
             got, want);
    if (!got)
        check_message("connection", s);

    got = tg__valid_identifier(s, &len);
    want = ref_identifier(s, n);
    FZ_CHECK(got == want && (!got || len == n), "identifier \"%s\": library %d, reference %d", s,
             got, want);
    if (!got)
        check_message("identifier", s);

    got = tg__valid_tool_chars(all, size);
    want = size == 0 || ref_name(all, size, (size_t)-1, "_-.:/");
    FZ_CHECK(got == want, "tool prefix of %zu bytes: library %d, reference %d", size, got, want);

    check_utf8_seq(s, n);
    free(all);
    free(s);
    return 0;
}
