/* The libFuzzer entry point that every fuzz target defines. libFuzzer calls
 * it in the clang build (TOOLGATE_FUZZ); replay.c calls it on a corpus in
 * every other build. */
#ifndef TG_FUZZ_TARGET_H
#define TG_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Returns 0; a broken invariant aborts (fuzz_check.h). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
