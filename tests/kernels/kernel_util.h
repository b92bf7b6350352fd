/* kernel_util.h - shared helpers of the kernels test tier: a seeded RNG,
 * the ISA levels to test, float comparison that prints the first bad index.
 *
 * Every randomized test prints its seed on failure; rerun one with
 * ER_TEST_SEED=<seed> (the default seed is fixed, so runs are repeatable). */
#ifndef ER_TESTS_KERNEL_UTIL_H
#define ER_TESTS_KERNEL_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu_features.h"

typedef struct { uint64_t s; } ktest_rng;

static inline uint64_t ktest_next(ktest_rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* uniform in [lo, hi) */
static inline float ktest_uniform(ktest_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)((ktest_next(r) >> 40) * (1.0 / 16777216.0));
}
/* integer in [lo, hi] */
static inline int64_t ktest_int(ktest_rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(ktest_next(r) % (uint64_t)(hi - lo + 1));
}
static inline void ktest_fill(ktest_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = ktest_uniform(r, lo, hi);
}
static inline uint64_t ktest_seed(uint64_t dflt) {
    const char *s = getenv("ER_TEST_SEED");
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* The levels to test, in order; *n_skipped counts x86 levels this CPU (or
 * $EDGERUN_ISA) lacks. Returns the count written to levels. */
static inline int ktest_levels(er_isa levels[4], int *n_skipped) {
    er_isa best = er_isa_detected();
    int n = 0;
    *n_skipped = 0;
    levels[n++] = ER_ISA_SCALAR;
    if (best == ER_ISA_NEON) {
        levels[n++] = ER_ISA_NEON;
        *n_skipped = 2;
        return n;
    }
    for (er_isa l = ER_ISA_AVX2; l <= ER_ISA_AVX512; l = (er_isa)(l + 1)) {
        if (l <= best) levels[n++] = l;
        else (*n_skipped)++;
    }
    return n;
}

/* Index of the first element with |got - want| > tol * max(1, |want|), or -1. */
static inline long ktest_first_bad(const float *got, const float *want, size_t n, double tol) {
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        double lim = tol * (fabs(w) > 1 ? fabs(w) : 1);
        if (!(fabs(g - w) <= lim)) return (long)i;
    }
    return -1;
}

#endif
