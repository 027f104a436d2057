/* Count heap allocations made while counting is on: the executable's malloc
 * family wraps glibc's, so calls from libtoolgate are seen too. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

#ifdef BENCH_NO_ALLOC_COUNT
/* Sanitizers replace the allocator themselves: nothing is counted. */
void bench_alloc_count_start(void)
{
}

uint64_t bench_alloc_count_stop(void)
{
    return UINT64_MAX;
}
#else

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t a, size_t n);
void __libc_free(void *p);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *aligned_alloc(size_t a, size_t n);
int posix_memalign(void **out, size_t a, size_t n);
void free(void *p);

static atomic_int counting;
static atomic_uint_fast64_t allocations;

static void note(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
    note();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    note();
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    note();
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t a, size_t n)
{
    note();
    return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    void *p;
    note();
    p = __libc_memalign(a, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p)
{
    __libc_free(p);
}

void bench_alloc_count_start(void)
{
    atomic_store(&allocations, 0);
    atomic_store(&counting, 1);
}

uint64_t bench_alloc_count_stop(void)
{
    atomic_store(&counting, 0);
    return atomic_load(&allocations);
}
#endif
