/* Test helper: failing allocators (fail_alloc.h). */
#include <stdatomic.h>
#include <stddef.h>

#include "fail_alloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);

/* -1: off; otherwise the allocations left before they fail. */
static _Atomic long fail_left = -1;
static _Atomic long fail_refused;

void fail_alloc_after(long n)
{
    atomic_store(&fail_refused, 0);
    atomic_store(&fail_left, n);
}

void fail_alloc_off(void)
{
    atomic_store(&fail_left, -1);
}

long fail_alloc_refused(void)
{
    return atomic_load(&fail_refused);
}

/* 1 when this allocation must fail. */
static int fail_now(void)
{
    long left = atomic_load(&fail_left);
    while (left > 0) {
        if (atomic_compare_exchange_weak(&fail_left, &left, left - 1))
            return 0;
    }
    if (left == 0) {
        atomic_fetch_add(&fail_refused, 1);
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    return fail_now() ? NULL : __real_aligned_alloc(align, n);
}
