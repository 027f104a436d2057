/*
 * Secrets out of provider text: the one function that removes every trace of
 * the client secret and the access token from text a provider sent (an error
 * body, a curl message) before any of it reaches a message or a log line.
 *
 * A provider may echo what it was sent — the form body of the token request,
 * the Authorization header — raw, percent-encoded, JSON-escaped, cut short or
 * split into pieces. The scrubber looks at the text as sent and after up to
 * TG__SK_SCRUB_ROUNDS rounds of decoding (each round undoes one layer of
 * %XX with either case of hex digits and '+' for a space; JSON escapes
 * \uXXXX (surrogate pairs too), \/ \" \\ \b \f \n \r \t; \xNN; HTML
 * character references &#NN; &#xNN; &amp; &lt; &gt; &quot; &apos;). In each
 * view it ignores the bytes that split a string into pieces (white space,
 * quotes " ' `, '+', ',', '[' and ']') and redacts, in the original text,
 * every run of TG__SK_SCRUB_RUN or more bytes that also occurs in a secret
 * (a whole secret when it is shorter): a full copy, a copy cut short at either
 * end, a copy split by quotes or JSON string boundaries. A redacted run reads
 * TG__SK_REDACTED.
 *
 * Not covered: a secret re-encoded in a way the scrubber does not decode
 * (base64, hashing), or cut into pieces shorter than TG__SK_SCRUB_RUN bytes.
 *
 * Pure: no I/O, no globals; allocates and frees its working memory.
 * Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_SCRUB_H
#define TG_PLUGINS_SCALEKIT_SCRUB_H

#include <stddef.h>

#define TG__SK_SCRUB_RUN 8      /* bytes of a secret in a row that are redacted */
#define TG__SK_SCRUB_ROUNDS 4   /* layers of encoding undone */
#define TG__SK_SCRUB_IN_MAX 4096 /* bytes of text looked at; the rest is dropped */
#define TG__SK_REDACTED "[redacted]"
#define TG__SK_SECRETS_MAX 4

/* The secrets to remove. NULL or empty entries are skipped. Borrowed. */
typedef struct tg__sk_secrets {
    const char *item[TG__SK_SECRETS_MAX];
} tg__sk_secrets;

/**
 * Copy the first TG__SK_SCRUB_IN_MAX bytes of @p text (@p len bytes, any
 * bytes) into @p out with every trace of each secret redacted (see above),
 * NUL-terminated, cut at @p cap - 1 bytes.
 * The result is checked again: should redacting have put a secret's run
 * together (a secret that contains TG__SK_REDACTED), it is scrubbed once more,
 * and when that still does not clear it, @p out is empty.
 * @param out_len  receives the length of @p out (it may hold NUL bytes of the
 *                 text); may be NULL.
 * @return the number of runs redacted (0: the text held no secret); -1 when
 *         memory ran out, with @p out empty (nothing of the text is shown).
 */
int tg__sk_scrub(const char *text, size_t len, const tg__sk_secrets *secrets, char *out,
                 size_t cap, size_t *out_len);

/**
 * Whether @p text (@p len bytes, at most TG__SK_SCRUB_IN_MAX looked at) holds
 * a trace of a secret as tg__sk_scrub() finds it: 1 yes, 0 no, -1 out of
 * memory.
 */
int tg__sk_scrub_finds(const char *text, size_t len, const tg__sk_secrets *secrets);

#endif
