/* What the commands print on stdout: a decision as the library encodes it
 * (tg_decision_encode), the other answers as render.c writes them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_emit(const char *text)
{
    if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        cli_error("cannot write to stdout: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

static int cli_out_of_memory(void)
{
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
}

/* Print a rendered line and free it; NULL means rendering ran out of memory. */
static int cli_emit_rendered(char *line)
{
    int rc = line ? cli_emit(line) : cli_out_of_memory();

    free(line);
    return rc;
}

char *cli_encode_decision(const tg_decision *d, tg_format format, const char *request_id,
                          size_t *len, int *rc_out)
{
    size_t cap = 1024, needed = 0;
    char *buf;
    int rc;

    /* Most encodings fit the first buffer; a longer one says how much it needs. */
    for (;;) {
        buf = malloc(cap + 1);
        if (!buf) {
            *rc_out = TG_ENOMEM;
            return NULL;
        }
        rc = tg_decision_encode(d, format, request_id, buf, cap, &needed);
        if (rc == TG_OK) {
            *len = needed - 1;
            *rc_out = TG_OK;
            return buf;
        }
        free(buf);
        if (rc != TG_EBUFS || needed <= cap) {
            *rc_out = rc == TG_EBUFS ? TG_ENOMEM : rc;
            return NULL;
        }
        cap = needed;
    }
}

int cli_print_decision(const tg_decision *d, tg_format format, const char *request_id)
{
    size_t len;
    int rc;
    char *text = cli_encode_decision(d, format, request_id, &len, &rc);

    if (!text) {
        const char *detail = tg_error_message();
        if (rc == TG_ENOMEM)
            return cli_out_of_memory();
        cli_error("cannot encode the decision: %s", detail && detail[0] ? detail : tg_strerror(rc));
        return CLI_EXIT_FAILURE;
    }
    rc = cli_emit(text);
    free(text);
    return rc;
}

int cli_print_status(const char *connection, const char *identifier, const tg_decision *d,
                     tg_format format)
{
    return cli_emit_rendered(cli_render_status(connection, identifier, d, format));
}

int cli_print_link(const char *link, int64_t expires_at_ms, tg_format format)
{
    return cli_emit_rendered(cli_render_link(link, expires_at_ms, format));
}
