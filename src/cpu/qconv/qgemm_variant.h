/* qgemm_variant.h - turns a per-ISA tile body into an exported int8 GEMM
 * variant (the int8 twin of cpu/gemm's igemm_variant.h).
 *
 * A tile body tile(ROWS, MRS, nc, kc4, ks, a, w, c, cs, p) computes exactly
 * ROWS rows (a compile-time constant once inlined) reading row pointers at
 * stride MRS (the variant's MR). ER_QIGEMM_DEFINE(name, tile, MR) defines
 * name() with one inlined instance per row count 1..MR and a switch on mr, so
 * a tail tile costs no redundant rows. */
#ifndef ER_CPU_QCONV_QGEMM_VARIANT_H
#define ER_CPU_QCONV_QGEMM_VARIANT_H

#include <string.h>

#include "cpu/qconv/qgemm.h"

#define ER_QALWAYS_INLINE static inline __attribute__((always_inline))

/* 4 bytes at p (any alignment) as one 32-bit lane. */
ER_QALWAYS_INLINE int32_t er_qload4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

#define ER_QIGEMM_CASE(tile, R, MRS)                                                           \
    case R: tile(R, MRS, nc, kc4, ks, a, w, c, cs, p); break;
#define ER_QIGEMM_CASES_1(t, M) ER_QIGEMM_CASE(t, 1, M)
#define ER_QIGEMM_CASES_2(t, M) ER_QIGEMM_CASES_1(t, M) ER_QIGEMM_CASE(t, 2, M)
#define ER_QIGEMM_CASES_3(t, M) ER_QIGEMM_CASES_2(t, M) ER_QIGEMM_CASE(t, 3, M)
#define ER_QIGEMM_CASES_4(t, M) ER_QIGEMM_CASES_3(t, M) ER_QIGEMM_CASE(t, 4, M)
#define ER_QIGEMM_CASES_5(t, M) ER_QIGEMM_CASES_4(t, M) ER_QIGEMM_CASE(t, 5, M)
#define ER_QIGEMM_CASES_6(t, M) ER_QIGEMM_CASES_5(t, M) ER_QIGEMM_CASE(t, 6, M)
#define ER_QIGEMM_CASES_7(t, M) ER_QIGEMM_CASES_6(t, M) ER_QIGEMM_CASE(t, 7, M)
#define ER_QIGEMM_CASES_8(t, M) ER_QIGEMM_CASES_7(t, M) ER_QIGEMM_CASE(t, 8, M)
#define ER_QIGEMM_CASES_9(t, M) ER_QIGEMM_CASES_8(t, M) ER_QIGEMM_CASE(t, 9, M)
#define ER_QIGEMM_CASES_10(t, M) ER_QIGEMM_CASES_9(t, M) ER_QIGEMM_CASE(t, 10, M)
#define ER_QIGEMM_CASES_11(t, M) ER_QIGEMM_CASES_10(t, M) ER_QIGEMM_CASE(t, 11, M)
#define ER_QIGEMM_CASES_12(t, M) ER_QIGEMM_CASES_11(t, M) ER_QIGEMM_CASE(t, 12, M)

#define ER_QIGEMM_DEFINE(name, tile, MR)                                                       \
    void name(size_t mr, size_t nc, size_t kc4, size_t ks, const uint8_t *const *a,           \
              const void *w, uint8_t *c, size_t cs, const er_qgemm_params *p) {                \
        switch (mr) {                                                                          \
            ER_QIGEMM_CASES_##MR(tile, MR)                                                     \
        default: break;                                                                        \
        }                                                                                      \
    }

#endif
