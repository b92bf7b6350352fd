/* dwconv_avx512.h - the AVX-512 depthwise row kernel body (see dwconv.h),
 * included only by files compiled with the AVX-512 flags.
 *
 * Channel tiles of 16 outside, output pixels inside: for a fixed KS the tap
 * weights of the tile (KS zmm registers) and the bias are loaded once per
 * row and reused for every pixel; KS = 0 reads them per tap (any tap count).
 * Each pixel's sum is one FMA chain over the taps; consecutive pixels are
 * independent, so out-of-order execution overlaps them. The channel tail
 * (channels % 16) loads and stores under a lane mask: no access past
 * `channels` floats of any row. */
#ifndef ER_CPU_CONV_DWCONV_AVX512_H
#define ER_CPU_CONV_DWCONV_AVX512_H

#include <immintrin.h>

#include "cpu/conv/dwconv.h"

static inline __attribute__((always_inline)) void
dwconv_avx512_row(const int KS, size_t channels, size_t width, size_t ks, const float *const *in,
                  const float *w, size_t cpad, float *y, size_t ys, const float *z, size_t zs,
                  const er_f32_minmax_params *p) {
    const size_t taps = KS ? (size_t)KS : ks;
    const __m512 vmin = _mm512_set1_ps(p->min), vmax = _mm512_set1_ps(p->max);
    for (size_t c0 = 0; c0 < channels; c0 += 16) {
        const size_t rem = channels - c0;
        const __mmask16 m = rem >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1u);
        const __m512 vb = _mm512_load_ps(w + c0);
        __m512 wk[KS ? KS : 1];
        if (KS) {
#pragma GCC unroll 25
            for (int t = 0; t < KS; t++) wk[t] = _mm512_load_ps(w + (size_t)(1 + t) * cpad + c0);
        }
        const float *const *ip = in;
        float *yp = y + c0;
        const float *zp = z ? z + c0 : NULL;
        for (size_t x = 0; x < width; x++) {
            __m512 acc = vb;
            if (KS) {
#pragma GCC unroll 25
                for (int t = 0; t < KS; t++)
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip[t] + c0), wk[t], acc);
            } else {
                for (size_t t = 0; t < taps; t++)
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip[t] + c0),
                                          _mm512_load_ps(w + (1 + t) * cpad + c0), acc);
            }
            ip += taps;
            if (zp) {
                acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, zp));
                zp += zs;
            }
            acc = _mm512_min_ps(vmax, _mm512_max_ps(vmin, acc));
            _mm512_mask_storeu_ps(yp, m, acc);
            yp += ys;
        }
    }
}

#define ER_DWCONV_AVX512_DEFINE(name, KS)                                                      \
    void name(size_t channels, size_t width, size_t ks, const float *const *in, const float *w, \
              size_t cpad, float *y, size_t ys, const float *z, size_t zs,                     \
              const er_f32_minmax_params *p) {                                                 \
        dwconv_avx512_row(KS, channels, width, ks, in, w, cpad, y, ys, z, zs, p);              \
    }

#endif
