/* Fuzz target: status text (src/status.c, tg_status_parse), as the accounts
 * file, Scalekit answers and events hand it over. The input, cut at its
 * first NUL, is the text. Invariants:
 * - it agrees with a reference: surrounding " \t\n\r" dropped, ASCII case
 *   folded, then one of the words docs/design.md §4 lists;
 * - a parsed status's name parses back to it; on failure *out is untouched
 *   and the message is loggable (docs/errors.md: control characters of
 *   quoted text are written as \xNN). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "toolgate/toolgate.h"
#include "fuzz_bytes.h"
#include "fuzz_check.h"
#include "fuzz_target.h"

static const struct {
    const char *word;
    tg_status status;
} words[] = {
    { "UNKNOWN", TG_STATUS_UNKNOWN },
    { "CONNECTION_STATUS_UNSPECIFIED", TG_STATUS_UNKNOWN },
    { "0", TG_STATUS_UNKNOWN },
    { "ACTIVE", TG_STATUS_ACTIVE },
    { "1", TG_STATUS_ACTIVE },
    { "EXPIRED", TG_STATUS_EXPIRED },
    { "2", TG_STATUS_EXPIRED },
    { "PENDING", TG_STATUS_PENDING },
    { "PENDING_AUTH", TG_STATUS_PENDING },
    { "3", TG_STATUS_PENDING },
    { "PENDING_VERIFICATION", TG_STATUS_PENDING_VERIFICATION },
    { "4", TG_STATUS_PENDING_VERIFICATION },
    { "REVOKED", TG_STATUS_REVOKED },
    { "DISCONNECTED", TG_STATUS_REVOKED },
    { "5", TG_STATUS_REVOKED },
    { "NOT_FOUND", TG_STATUS_NOT_FOUND },
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 and *out set when the text is one of the words. */
static int reference(const char *text, tg_status *out)
{
    size_t start = 0, end = strlen(text), i;

    while (start < end && is_space(text[start]))
        start++;
    while (end > start && is_space(text[end - 1]))
        end--;
    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) == end - start &&
            strncasecmp(text + start, words[i].word, end - start) == 0) {
            *out = words[i].status;
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = { data, size };
    char *text = fz_field(&in, NULL);
    tg_status got = (tg_status)99, want = (tg_status)99, back = (tg_status)99;
    int rc = tg_status_parse(text, &got);
    int known = reference(text, &want);

    if (known) {
        FZ_CHECK(rc == TG_OK && got == want, "\"%s\": got %d (%d), want %d", text, rc, (int)got,
                 (int)want);
        FZ_CHECK(tg_status_parse(tg_status_name(got), &back) == TG_OK && back == got,
                 "the name %s does not parse back", tg_status_name(got));
    } else {
        FZ_CHECK(rc == TG_EINVAL && got == (tg_status)99, "\"%s\": got %d (%d), want TG_EINVAL",
                 text, rc, (int)got);
        fz_check_message("status", tg_error_message(), NULL);
    }
    free(text);
    return 0;
}
