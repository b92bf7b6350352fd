/* dwconv_avx2.h - the AVX2+FMA depthwise row kernel body (see dwconv.h and
 * dwconv_avx512.h for the structure), included only by files compiled with
 * the AVX2 flags. 8-channel tiles; with 16 ymm registers only KS <= 9 keeps
 * its tap weights in registers. The channel tail uses vmaskmov masks. */
#ifndef ER_CPU_CONV_DWCONV_AVX2_H
#define ER_CPU_CONV_DWCONV_AVX2_H

#include <immintrin.h>

#include "cpu/conv/dwconv.h"

static inline __attribute__((always_inline)) void
dwconv_avx2_row(const int KS, size_t channels, size_t width, size_t ks, const float *const *in,
                const float *w, size_t cpad, float *y, size_t ys, const float *z, size_t zs,
                const er_f32_minmax_params *p) {
    const size_t taps = KS ? (size_t)KS : ks;
    const __m256 vmin = _mm256_set1_ps(p->min), vmax = _mm256_set1_ps(p->max);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t c0 = 0; c0 < channels; c0 += 8) {
        const size_t rem = channels - c0;
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem >= 8 ? 8 : (int)rem), lane);
        const __m256 vb = _mm256_load_ps(w + c0);
        __m256 wk[KS ? KS : 1];
        if (KS) {
#pragma GCC unroll 9
            for (int t = 0; t < KS; t++) wk[t] = _mm256_load_ps(w + (size_t)(1 + t) * cpad + c0);
        }
        const float *const *ip = in;
        float *yp = y + c0;
        const float *zp = z ? z + c0 : NULL;
        for (size_t x = 0; x < width; x++) {
            __m256 acc = vb;
            if (KS) {
#pragma GCC unroll 9
                for (int t = 0; t < KS; t++)
                    acc = _mm256_fmadd_ps(_mm256_maskload_ps(ip[t] + c0, m), wk[t], acc);
            } else {
                for (size_t t = 0; t < taps; t++)
                    acc = _mm256_fmadd_ps(_mm256_maskload_ps(ip[t] + c0, m),
                                          _mm256_load_ps(w + (1 + t) * cpad + c0), acc);
            }
            ip += taps;
            if (zp) {
                acc = _mm256_add_ps(acc, _mm256_maskload_ps(zp, m));
                zp += zs;
            }
            acc = _mm256_min_ps(vmax, _mm256_max_ps(vmin, acc));
            _mm256_maskstore_ps(yp, m, acc);
            yp += ys;
        }
    }
}

#define ER_DWCONV_AVX2_DEFINE(name, KS)                                                        \
    void name(size_t channels, size_t width, size_t ks, const float *const *in, const float *w, \
              size_t cpad, float *y, size_t ys, const float *z, size_t zs,                     \
              const er_f32_minmax_params *p) {                                                 \
        dwconv_avx2_row(KS, channels, width, ks, in, w, cpad, y, ys, z, zs, p);                \
    }

#endif
