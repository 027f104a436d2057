/* Test helper: make the library's allocations fail on demand. A test
 * executable linked with fail_alloc.c and
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc
 * routes every allocation of the statically linked library (and of the test)
 * through here. Shared libraries (json-c, libc's own) are not affected. */
#ifndef TG_TEST_FAIL_ALLOC_H
#define TG_TEST_FAIL_ALLOC_H

/* Let @p n more allocations succeed, then fail every one until
 * fail_alloc_off(). */
void fail_alloc_after(long n);
void fail_alloc_off(void);
/* Allocations refused since the last fail_alloc_after(). */
long fail_alloc_refused(void);

#endif
