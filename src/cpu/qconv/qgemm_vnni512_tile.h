/* qgemm_vnni512_tile.h - the AVX-512 VNNI int8 GEMM tile: ROWS rows x NV
 * vectors of 16 columns (NR = 16 * NV), NV and the variant's MR set by the
 * includer (QT_NV, QT_MR). Per group of 4 k: NV weight loads, one 4-byte
 * broadcast per row, ROWS * NV vpdpbusd (exact uint8 x int8 dot products
 * accumulated in int32). */
#include "cpu/qconv/qgemm_avx512.h"

#define NR (16 * QT_NV)

/* Rows 0..ROWS-1 of column vector v requantized and stored (mask m) at
 * c + r * cs + j; nonneg is a constant once inlined (er_q512_mbqm8c). */
ER_QALWAYS_INLINE void store_rows(size_t ROWS, __m512i acc[][QT_NV], size_t v,
                                  const er_q512_cols *kc, int has_left, int nonneg, __m512i lo,
                                  __m512i hi, __m512i zp, uint8_t *c, size_t cs, size_t j,
                                  __mmask16 m) {
#pragma GCC unroll 12
    for (size_t r = 0; r < ROWS; r++) {
        __m512i y = er_q512_requant16c(acc[r][v], kc, has_left, nonneg, lo, hi, zp);
        _mm_mask_storeu_epi8(c + r * cs + j, m, _mm512_cvtepi32_epi8(y));
    }
}

ER_QALWAYS_INLINE void tile(size_t ROWS, size_t MRS, size_t nc, size_t kc4, size_t ks,
                            const uint8_t *const *a, const void *w, uint8_t *c, size_t cs,
                            const er_qgemm_params *p) {
    size_t panel = er_qgemm_panel_stride(NR, ks, kc4);
    size_t off_w = er_qgemm_off_w(NR), off_q = er_qgemm_off_q(NR, ks, kc4);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / NR) * panel;
        /* vectors of this panel that hold columns (a partial last panel skips the rest) */
        size_t nv = (nc - j0 + 15) / 16 < QT_NV ? (nc - j0 + 15) / 16 : QT_NV;
        __m512i acc[QT_MR][QT_NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < QT_NV; v++) {
            __m512i b = _mm512_load_si512(base + 64 * v);
#pragma GCC unroll 12
            for (size_t r = 0; r < ROWS; r++) acc[r][v] = b;
        }
        const unsigned char *wp = base + off_w;
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *ar[QT_MR];
#pragma GCC unroll 12
            for (size_t r = 0; r < ROWS; r++) ar[r] = a[t * MRS + r];
            for (size_t k = 0; k < kc4; k += 4) {
                __m512i wv[QT_NV];
#pragma GCC unroll 4
                for (size_t v = 0; v < QT_NV; v++) wv[v] = _mm512_load_si512(wp + 64 * v);
#pragma GCC unroll 12
                for (size_t r = 0; r < ROWS; r++) {
                    __m512i av = _mm512_set1_epi32(er_qload4(ar[r] + k));
#pragma GCC unroll 4
                    for (size_t v = 0; v < QT_NV; v++)
                        acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, wv[v]);
                }
                wp += NR * 4;
            }
        }
        const unsigned char *q = base + off_q;
#pragma GCC unroll 4
        for (size_t v = 0; v < QT_NV; v++) {
            if (v >= nv) break;
            size_t j = j0 + 16 * v;
            size_t cnt = nc - j < 16 ? nc - j : 16;
            __mmask16 m = (__mmask16)((1u << cnt) - 1);
            const er_q512_cols kc = er_q512_load_cols(q, NR, 16 * v, p->has_left);
            if (p->lo >= 0) /* a ReLU-like clamp: the cheaper MBQM */
                store_rows(ROWS, acc, v, &kc, p->has_left, 1, lo, hi, zp, c, cs, j, m);
            else
                store_rows(ROWS, acc, v, &kc, p->has_left, 0, lo, hi, zp, c, cs, j, m);
        }
    }
}
