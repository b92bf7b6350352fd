/* igemm_avx2.h - the AVX2+FMA indirect GEMM microkernel body, shared by the
 * er_f32_igemm_minmax_*__avx2 variants (included only by files compiled with
 * the AVX2 flags; see CMakeLists.txt).
 *
 * Same structure as igemm_avx512.h with 8-float ymm columns and 16 registers:
 * ROWS*NRV accumulators + NRV panel registers + 1 broadcast must fit in 16
 * (6x16: 12 + 2 + 1). The last panel (nc < NR) stores and reads z through
 * vmaskmov lane masks, so nothing past the block is touched. */
#ifndef ER_CPU_GEMM_IGEMM_AVX2_H
#define ER_CPU_GEMM_IGEMM_AVX2_H

#include <immintrin.h>

#include "cpu/gemm/igemm_variant.h"

ER_ALWAYS_INLINE void igemm_avx2_tile(const int ROWS, const int MRS, const int NRV, size_t nc,
                                      size_t kc, size_t ks, const float *const *a, const float *w,
                                      float *c, size_t c_stride, const float *z, size_t z_stride,
                                      const er_f32_minmax_params *p) {
    const size_t NR = (size_t)NRV * 8;
    float *cr[8];
    const float *zr[8];
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++) {
        cr[i] = c + (size_t)i * c_stride;
        zr[i] = z ? z + (size_t)i * z_stride : NULL;
    }
    const __m256 vmin = _mm256_set1_ps(p->min), vmax = _mm256_set1_ps(p->max);
    for (;;) {
        __m256 acc[8][4];
#pragma GCC unroll 4
        for (int j = 0; j < NRV; j++) acc[0][j] = _mm256_load_ps(w + 8 * j);
#pragma GCC unroll 8
        for (int i = 1; i < ROWS; i++)
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) acc[i][j] = acc[0][j];
        w += NR;
        const float *const *ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[8];
#pragma GCC unroll 8
            for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
            ap += MRS;
            for (size_t k = 0; k < kc; k++) {
                __m256 b[4];
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) b[j] = _mm256_load_ps(w + 8 * j);
                w += NR;
#pragma GCC unroll 8
                for (int i = 0; i < ROWS; i++) {
                    const __m256 av = _mm256_broadcast_ss(ar[i] + k);
#pragma GCC unroll 4
                    for (int j = 0; j < NRV; j++) acc[i][j] = _mm256_fmadd_ps(av, b[j], acc[i][j]);
                }
            }
        }
        if (nc >= NR) {
#pragma GCC unroll 8
            for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) {
                    __m256 v = acc[i][j];
                    if (z) v = _mm256_add_ps(v, _mm256_loadu_ps(zr[i] + 8 * j));
                    v = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v));
                    _mm256_storeu_ps(cr[i] + 8 * j, v);
                }
                cr[i] += NR;
                if (z) zr[i] += NR;
            }
            nc -= NR;
            if (nc == 0) return;
        } else {
            const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            __m256i m[4];
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) {
                int rem = (int)nc - 8 * j;
                m[j] = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), lane);
            }
#pragma GCC unroll 8
            for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) {
                    if ((size_t)(8 * j) >= nc) break;
                    __m256 v = acc[i][j];
                    if (z) v = _mm256_add_ps(v, _mm256_maskload_ps(zr[i] + 8 * j, m[j]));
                    v = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v));
                    _mm256_maskstore_ps(cr[i] + 8 * j, m[j], v);
                }
            }
            return;
        }
    }
}

#endif
