/* Shared by the fuzz targets and the corpus replayer.
 *
 * Each tests/fuzz/fuzz_<target>.c defines LLVMFuzzerTestOneInput() and
 * nothing else with external linkage. It is linked either with libFuzzer
 * (build/fuzz/fuzz_<target>) or with replay.c, which calls it once per
 * corpus file (build/<variant>/tests/replay_<target>), so the corpus is a
 * plain regression test in every build variant.
 *
 * A target must be a pure function of its input: no state survives a call
 * (everything allocated is released, so LeakSanitizer sees a leak as one).
 * FUZZ_CHECK states a property the code under test promises; a broken one
 * aborts, which libFuzzer reports as a crash with the input saved. */
#ifndef CS_TESTS_FUZZ_H
#define CS_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* true if the view p[0..n) lies inside base[0..size) (n == 0: any p) */
static inline bool fuzz_within(const void *p, size_t n, const uint8_t *base, size_t size)
{
    if (n == 0)
        return true;
    const uint8_t *q = p;
    if (q == NULL || base == NULL)
        return false;
    uintptr_t a = (uintptr_t)q, b = (uintptr_t)base;
    return a >= b && a - b <= size && n <= size - (a - b);
}

/* Order-sensitive digest that reads every byte (so ASan sees every read). */
static inline uint64_t fuzz_mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *q = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ q[i]) * 0x100000001b3ull;
    return h;
}

static inline uint64_t fuzz_mix_u64(uint64_t h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fuzz_mix(h, b, sizeof b);
}

#define FUZZ_HASH_INIT 0xcbf29ce484222325ull

#endif
