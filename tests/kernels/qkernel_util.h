/* qkernel_util.h - shared helpers of the int8 kernel tests (test_q*.c): a
 * seeded RNG, the variants of a kernel list this CPU can run (skipped ones
 * are counted and printed), and the int8 reference arithmetic.
 *
 * Every randomized test prints its seed on failure; rerun one with
 * ER_TEST_SEED=<seed> (the default seed is fixed, so runs are repeatable).
 * ER_QTEST_CASES=<n> scales the number of random cases (default 1 = the
 * suite's own counts; the sanitizer build uses the same). */
#ifndef ER_TESTS_QKERNEL_UTIL_H
#define ER_TESTS_QKERNEL_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu_features.h"
#include "cpu/qconv/qgemm.h"
#include "support/int8_ref.h"

typedef struct {
    uint64_t s;
} qt_rng;

static inline uint64_t qt_next(qt_rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* integer in [lo, hi] */
static inline int64_t qt_int(qt_rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(qt_next(r) % (uint64_t)(hi - lo + 1));
}
static inline double qt_unit(qt_rng *r) { return (double)(qt_next(r) >> 11) / 9007199254740992.0; }

/* Weights [K][n] (row k, column j) as the dense rows er_qgemm_pack_dense
 * takes: column j's K values at j * K. malloc'd. */
static inline int8_t *qt_dense_rows(const int8_t *w, int64_t K, int64_t n) {
    int8_t *d = malloc((size_t)(K * n) + 1);
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < K; k++) d[j * K + k] = w[k * n + j];
    return d;
}
static inline int64_t qt_pick(qt_rng *r, const int64_t *v, int n) {
    return v[qt_next(r) % (uint64_t)n];
}
static inline uint64_t qt_seed(uint64_t dflt) {
    const char *s = getenv("ER_TEST_SEED");
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}
static inline int qt_scale(int n) {
    const char *s = getenv("ER_QTEST_CASES");
    int f = s && *s ? atoi(s) : 1;
    return n * (f > 0 ? f : 1);
}

/* A random multiplier: mostly < 1 (typical requantization), some >= 1 (left
 * shifts) and some tiny (flushed to 0). */
static inline ref_qmul qt_qmul(qt_rng *r) {
    int k = (int)(qt_next(r) % 10);
    double e = k == 0 ? qt_int(r, 0, 12) : k == 1 ? -qt_int(r, 33, 40) : -qt_int(r, 1, 20);
    double real = ldexp(1.0 + qt_unit(r), (int)e);
    return ref_qm(real);
}

/* Whether this CPU (and $EDGERUN_ISA, and the OS for AMX) can run code of
 * level isa with extension feature. */
static inline int qt_can_run(er_isa isa, unsigned feature) {
    er_isa best = er_isa_detected();
    if (isa != ER_ISA_SCALAR && (best == ER_ISA_NEON || isa > best)) return 0;
    return (feature & ~er_qfeatures_detected()) == 0;
}

/* Skipped variants of all test_q*.c files, printed at the end of each test. */
static inline void qt_report_skips(const char *what, int ran, int skipped, const char *names) {
    printf("  %s: %d variant(s) run, %d skipped (not supported here)%s%s\n", what, ran, skipped,
           skipped ? ": " : "", skipped ? names : "");
}

#endif
