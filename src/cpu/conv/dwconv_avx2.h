/* dwconv_avx2.h - the AVX2+FMA depthwise row kernel body (see dwconv.h),
 * included only by files compiled with the AVX2 flags. Same structure as
 * dwconv_avx512.h with 8-channel tiles; with 16 ymm registers only 3x3 keeps
 * its weights in registers.
 *
 * Channel tiles of 8 outside, output pixels inside: for a fixed KH x KW the
 * tap weights of the tile (KH*KW zmm registers) and the bias are loaded once
 * per row and reused for every pixel; KH = 0 reads them per tap (any size).
 * Interior pixels address the input rows by arithmetic (no pointer tables);
 * border pixels skip the taps outside the row. Each kernel row sums into its
 * own accumulator (added in row order at the end) so FMA chains stay short.
 * Full tiles use plain loads; the channel tail (channels % 8) loads and
 * stores through vmaskmov masks: nothing past `channels` floats of a pixel
 * is touched. */
#ifndef ER_CPU_CONV_DWCONV_AVX2_H
#define ER_CPU_CONV_DWCONV_AVX2_H

#include <immintrin.h>

#include "cpu/conv/dwconv.h"

#define DW_INLINE static inline __attribute__((always_inline))

DW_INLINE __m256 dw256_load(const int MASKED, __m256i m, const float *ptr) {
    return MASKED ? _mm256_maskload_ps(ptr, m) : _mm256_loadu_ps(ptr);
}

/* Weight of tap (i, j): from registers for a fixed window, else memory. */
DW_INLINE __m256 dw256_w(const int KH, const int KW, const __m256 *wk, const float *w,
                         size_t cpad, size_t c0, size_t kw, size_t i, size_t j) {
    return KH ? wk[i * (size_t)KW + j] : _mm256_load_ps(w + (1 + i * kw + j) * cpad + c0);
}

/* bias + the taps of an interior pixel whose window starts at offset off. */
DW_INLINE __m256 dw256_interior(const int KH, const int KW, const int MASKED, __m256i m,
                                const er_f32_dwconv_row *r, const __m256 *wk, const float *w,
                                size_t cpad, size_t c0, __m256 vb, size_t off) {
    const size_t step = r->dil * r->pixel_stride;
    if (KH) {
        __m256 acc[5]; /* fixed size: a VLA would live in memory */
#pragma GCC unroll 5
        for (int i = 0; i < KH; i++) {
            const float *row = r->rows[i] + off;
            acc[i] = _mm256_mul_ps(dw256_load(MASKED, m, row), wk[i * KW]);
#pragma GCC unroll 5
            for (int j = 1; j < KW; j++)
                acc[i] = _mm256_fmadd_ps(dw256_load(MASKED, m, row + (size_t)j * step),
                                         wk[i * KW + j], acc[i]);
        }
        __m256 sum = _mm256_add_ps(vb, acc[0]);
#pragma GCC unroll 5
        for (int i = 1; i < KH; i++) sum = _mm256_add_ps(sum, acc[i]);
        return sum;
    }
    __m256 acc = vb;
    for (size_t i = 0; i < r->kh; i++) {
        const float *row = r->rows[i] + off;
        for (size_t j = 0; j < r->kw; j++)
            acc = _mm256_fmadd_ps(dw256_load(MASKED, m, row + j * step),
                                  dw256_w(0, 0, wk, w, cpad, c0, r->kw, i, j), acc);
    }
    return acc;
}

/* bias + the taps of a border pixel x that fall inside the row (padding
 * rows read the zero row; only columns need a check). For a fixed window
 * the loops unroll so the weights stay in registers. */
DW_INLINE __m256 dw256_border(const int KH, const int KW, const int MASKED, __m256i m,
                              const er_f32_dwconv_row *r, const __m256 *wk, const float *w,
                              size_t cpad, size_t c0, __m256 vb, size_t x) {
    __m256 acc = _mm256_setzero_ps();
    const size_t C = r->pixel_stride, pl = r->pad_left;
    if (KH) {
#pragma GCC unroll 5
        for (int j = 0; j < KW; j++) {
            const size_t iw = x * r->stride + (size_t)j * r->dil; /* column + pad_left */
            if (iw < pl || iw - pl >= r->in_w) continue;
            const size_t off = (iw - pl) * C + c0;
#pragma GCC unroll 5
            for (int i = 0; i < KH; i++)
                acc = _mm256_fmadd_ps(dw256_load(MASKED, m, r->rows[i] + off), wk[i * KW + j], acc);
        }
        return _mm256_add_ps(vb, acc);
    }
    for (size_t j = 0; j < r->kw; j++) {
        const size_t iw = x * r->stride + j * r->dil;
        if (iw < pl || iw - pl >= r->in_w) continue;
        const size_t off = (iw - pl) * C + c0;
        for (size_t i = 0; i < r->kh; i++)
            acc = _mm256_fmadd_ps(dw256_load(MASKED, m, r->rows[i] + off),
                                  dw256_w(0, 0, wk, w, cpad, c0, r->kw, i, j), acc);
    }
    return _mm256_add_ps(vb, acc);
}

DW_INLINE void dw256_store(const int MASKED, __m256i m, __m256 v, float *y, const float *z,
                           __m256 vmin, __m256 vmax) {
    if (z) v = _mm256_add_ps(v, dw256_load(MASKED, m, z));
    v = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v));
    if (MASKED) _mm256_maskstore_ps(y, m, v);
    else _mm256_storeu_ps(y, v);
}

DW_INLINE void dw256_tile(const int KH, const int KW, const int MASKED, __m256i m, size_t c0,
                          const er_f32_dwconv_row *r, const float *w, size_t cpad, float *y,
                          size_t ys, const float *z, size_t zs, __m256 vmin, __m256 vmax) {
    const __m256 vb = _mm256_load_ps(w + c0);
    __m256 wk[9]; /* KH*KW <= 9 when fixed; a VLA would live in memory */
    if (KH) {
#pragma GCC unroll 9
        for (int t = 0; t < KH * KW; t++) wk[t] = _mm256_load_ps(w + (size_t)(1 + t) * cpad + c0);
    }
    y += c0;
    if (z) z += c0;
    size_t x = 0;
    for (; x < r->x_lo; x++)
        dw256_store(MASKED, m, dw256_border(KH, KW, MASKED, m, r, wk, w, cpad, c0, vb, x),
                    y + x * ys, z ? z + x * zs : NULL, vmin, vmax);
    size_t off = (x * r->stride - r->pad_left) * r->pixel_stride + c0;
    const size_t off_step = r->stride * r->pixel_stride;
    for (; x < r->x_hi; x++, off += off_step)
        dw256_store(MASKED, m, dw256_interior(KH, KW, MASKED, m, r, wk, w, cpad, c0, vb, off),
                    y + x * ys, z ? z + x * zs : NULL, vmin, vmax);
    for (; x < r->out_w; x++)
        dw256_store(MASKED, m, dw256_border(KH, KW, MASKED, m, r, wk, w, cpad, c0, vb, x),
                    y + x * ys, z ? z + x * zs : NULL, vmin, vmax);
}

DW_INLINE void dwconv_avx2_row(const int KH, const int KW, size_t channels,
                                 const er_f32_dwconv_row *r, const float *w, size_t cpad,
                                 float *y, size_t ys, const float *z, size_t zs,
                                 const er_f32_minmax_params *p) {
    const __m256 vmin = _mm256_set1_ps(p->min), vmax = _mm256_set1_ps(p->max);
    /* Local copies: stores to y could alias *r as far as the compiler knows,
     * which made it reload the row pointers and strides for every pixel. */
    const float *rows[ER_DW_ROWS_MAX];
    er_f32_dwconv_row lr = *r;
    for (size_t i = 0; i < r->kh && i < ER_DW_ROWS_MAX; i++) rows[i] = r->rows[i];
    lr.rows = rows;
    r = &lr;
    size_t c0 = 0;
    for (; c0 + 8 <= channels; c0 += 8)
        dw256_tile(KH, KW, 0, _mm256_set1_epi32(-1), c0, r, w, cpad, y, ys, z, zs, vmin, vmax);
    if (c0 < channels) {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(channels - c0)),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        dw256_tile(KH, KW, 1, m, c0, r, w, cpad, y, ys, z, zs, vmin, vmax);
    }
}

#define ER_DWCONV_AVX2_DEFINE(name, KH, KW)                                                  \
    void name(size_t channels, const er_f32_dwconv_row *r, const float *w, size_t cpad,        \
              float *y, size_t ys, const float *z, size_t zs, const er_f32_minmax_params *p) { \
        dwconv_avx2_row(KH, KW, channels, r, w, cpad, y, ys, z, zs, p);                      \
    }

#endif
