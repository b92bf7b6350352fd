/* igemm_variant.h - turns a per-ISA tile body into an exported variant.
 *
 * A tile body tile(ROWS, MRS, NRV, nc, kc, ks, a, w, c, cs, z, zs, p) computes
 * exactly ROWS rows (a compile-time constant once inlined) reading row
 * pointers at stride MRS (the variant's MR). ER_IGEMM_DEFINE(name, tile, MR,
 * NRV) defines name() with one instance per row count 1..MR (MR <= 8) and a
 * switch on mr, so a tail tile costs no redundant rows. */
#ifndef ER_CPU_GEMM_IGEMM_VARIANT_H
#define ER_CPU_GEMM_IGEMM_VARIANT_H

#include "cpu/gemm/gemm.h"

#define ER_ALWAYS_INLINE static inline __attribute__((always_inline))

#define ER_IGEMM_CASE(tile, R, MRS, NRV)                                                       \
    case R: tile(R, MRS, NRV, nc, kc, ks, a, w, c, cs, z, zs, p); break;
#define ER_IGEMM_CASES_1(t, M, V) ER_IGEMM_CASE(t, 1, M, V)
#define ER_IGEMM_CASES_2(t, M, V) ER_IGEMM_CASES_1(t, M, V) ER_IGEMM_CASE(t, 2, M, V)
#define ER_IGEMM_CASES_3(t, M, V) ER_IGEMM_CASES_2(t, M, V) ER_IGEMM_CASE(t, 3, M, V)
#define ER_IGEMM_CASES_4(t, M, V) ER_IGEMM_CASES_3(t, M, V) ER_IGEMM_CASE(t, 4, M, V)
#define ER_IGEMM_CASES_5(t, M, V) ER_IGEMM_CASES_4(t, M, V) ER_IGEMM_CASE(t, 5, M, V)
#define ER_IGEMM_CASES_6(t, M, V) ER_IGEMM_CASES_5(t, M, V) ER_IGEMM_CASE(t, 6, M, V)
#define ER_IGEMM_CASES_7(t, M, V) ER_IGEMM_CASES_6(t, M, V) ER_IGEMM_CASE(t, 7, M, V)
#define ER_IGEMM_CASES_8(t, M, V) ER_IGEMM_CASES_7(t, M, V) ER_IGEMM_CASE(t, 8, M, V)

#define ER_IGEMM_DEFINE(name, tile, MR, NRV)                                                   \
    void name(size_t mr, size_t nc, size_t kc, size_t ks, const float *const *a,              \
              const float *w, float *c, size_t cs, const float *z, size_t zs,                  \
              const er_f32_minmax_params *p) {                                                 \
        switch (mr) {                                                                          \
            ER_IGEMM_CASES_##MR(tile, MR, NRV)                                                 \
        default: break;                                                                        \
        }                                                                                      \
    }

#endif
