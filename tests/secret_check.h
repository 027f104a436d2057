/* Test helper: does a secret show in a text, in any encoding a leak could
 * take? Written apart from the provider's scrubber (plugins/scalekit/scrub.c)
 * so each checks the other: the text and up to four rounds of decoding it
 * (%XX in either case and '+' for a space; \uXXXX with surrogate pairs, \xNN,
 * \" \\ \/ \' \b \f \n \r \t; &#NN; &#xNN; &amp; &lt; &gt; &quot;
 * &apos;) are searched, the bytes " ' ` + , [ ] and white space ignored, for
 * any run of 8 bytes of the secret (all of it when it is shorter). */
#ifndef TG_TEST_SECRET_CHECK_H
#define TG_TEST_SECRET_CHECK_H

#include <stddef.h>

/* 1 when @p secret (NUL-terminated) shows in text[0, n). Aborts when out of
 * memory. */
int tg_test_secret_shows(const char *text, size_t n, const char *secret);

#endif
