/* igemm_avx512.h - the AVX-512 indirect GEMM microkernel body, shared by the
 * er_f32_igemm_minmax_*__avx512 variants (included only by files compiled
 * with the AVX-512 flags; see CMakeLists.txt).
 *
 * igemm_avx512_tile computes ROWS x nc with ROWS a compile-time constant, so
 * the accumulators (ROWS x NRV zmm registers) stay in registers once the
 * compiler unrolls the constant loops. A variant MRxNR instantiates it for
 * every ROWS in 1..MR and dispatches on mr, so tail tiles do no wasted rows.
 * Per k step: NRV aligned panel loads, ROWS broadcasts, ROWS*NRV FMAs. The
 * last panel (nc < NR) stores through a lane mask; z is read under the same
 * mask, so nothing past the block is touched. */
#ifndef ER_CPU_GEMM_IGEMM_AVX512_H
#define ER_CPU_GEMM_IGEMM_AVX512_H

#include <immintrin.h>

#include "cpu/gemm/igemm_variant.h"

ER_ALWAYS_INLINE void igemm_avx512_tile(const int ROWS, const int MRS, const int NRV, size_t nc,
                                        size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t c_stride,
                                        const float *z, size_t z_stride,
                                        const er_f32_minmax_params *p) {
    const size_t NR = (size_t)NRV * 16;
    float *cr[16];
    const float *zr[16];
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
        cr[i] = c + (size_t)i * c_stride;
        zr[i] = z ? z + (size_t)i * z_stride : NULL;
    }
    const __m512 vmin = _mm512_set1_ps(p->min), vmax = _mm512_set1_ps(p->max);
    for (;;) {
        __m512 acc[16][4];
#pragma GCC unroll 4
        for (int j = 0; j < NRV; j++) acc[0][j] = _mm512_load_ps(w + 16 * j);
#pragma GCC unroll 16
        for (int i = 1; i < ROWS; i++)
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) acc[i][j] = acc[0][j];
        w += NR;
        const float *const *ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[16];
#pragma GCC unroll 16
            for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
            ap += MRS;
            for (size_t k = 0; k < kc; k++) {
                __m512 b[4];
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) b[j] = _mm512_load_ps(w + 16 * j);
                w += NR;
#pragma GCC unroll 16
                for (int i = 0; i < ROWS; i++) {
                    const __m512 av = _mm512_set1_ps(ar[i][k]);
#pragma GCC unroll 4
                    for (int j = 0; j < NRV; j++) acc[i][j] = _mm512_fmadd_ps(av, b[j], acc[i][j]);
                }
            }
        }
        if (nc >= NR) {
#pragma GCC unroll 16
            for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) {
                    __m512 v = acc[i][j];
                    if (z) v = _mm512_add_ps(v, _mm512_loadu_ps(zr[i] + 16 * j));
                    v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));
                    _mm512_storeu_ps(cr[i] + 16 * j, v);
                }
                cr[i] += NR;
                if (z) zr[i] += NR;
            }
            nc -= NR;
            if (nc == 0) return;
        } else {
            __mmask16 m[4];
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) {
                size_t rem = nc > (size_t)(16 * j) ? nc - (size_t)(16 * j) : 0;
                m[j] = rem >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1u);
            }
#pragma GCC unroll 16
            for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) {
                    __m512 v = acc[i][j];
                    if (z) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m[j], zr[i] + 16 * j));
                    v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));
                    _mm512_mask_storeu_ps(cr[i] + 16 * j, m[j], v);
                }
            }
            return;
        }
    }
}

#endif
