/* qgemm_avx2_tile.h - the 4x16 int8 GEMM tile on ymm registers, shared by
 * the AVX2 variant (vpmaddwd on widened bytes) and the AVX-VNNI variant
 * (vpdpbusd): the includer defines ER_QDOT4(acc, av, w, wlo, whi) and
 * ER_QWIDEN (1 when the weights are widened to int16 halves). */
#include "cpu/qconv/qgemm_avx2.h"

#define NR 16

/* Rows 0..ROWS-1 of column vector v (8 columns at j, cnt stored) requantized
 * and stored; nonneg is a constant once inlined (er_q256_requant8). */
ER_QALWAYS_INLINE void store_rows(size_t ROWS, __m256i acc[][2], size_t v,
                                  const unsigned char *q, int has_left, int nonneg, __m256i lo,
                                  __m256i hi, __m256i zp, uint8_t *c, size_t cs, size_t j,
                                  size_t cnt) {
#pragma GCC unroll 4
    for (size_t r = 0; r < ROWS; r++)
        er_q256_store_bytes(c + r * cs + j,
                            er_q256_requant8(acc[r][v], q, NR, 8 * v, has_left, nonneg, lo, hi, zp),
                            cnt);
}

ER_QALWAYS_INLINE void tile(size_t ROWS, size_t MRS, size_t nc, size_t kc4, size_t ks,
                            const uint8_t *const *a, const void *w, uint8_t *c, size_t cs,
                            const er_qgemm_params *p) {
    size_t panel = er_qgemm_panel_stride(NR, ks, kc4);
    size_t off_w = er_qgemm_off_w(NR), off_q = er_qgemm_off_q(NR, ks, kc4);
    const __m256i lo = _mm256_set1_epi32(p->lo), hi = _mm256_set1_epi32(p->hi),
                  zp = _mm256_set1_epi32(p->zp);
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / NR) * panel;
        __m256i acc[4][2];
        __m256i b0 = _mm256_load_si256((const __m256i *)base),
                b1 = _mm256_load_si256((const __m256i *)(base + 32));
#pragma GCC unroll 4
        for (size_t r = 0; r < ROWS; r++) {
            acc[r][0] = b0;
            acc[r][1] = b1;
        }
        const unsigned char *wp = base + off_w;
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *ar[4];
#pragma GCC unroll 4
            for (size_t r = 0; r < ROWS; r++) ar[r] = a[t * MRS + r];
            for (size_t k = 0; k < kc4; k += 4) {
                __m256i w0 = _mm256_load_si256((const __m256i *)wp),
                        w1 = _mm256_load_si256((const __m256i *)(wp + 32));
#if ER_QWIDEN
                __m256i w0lo = _mm256_srai_epi16(_mm256_slli_epi16(w0, 8), 8);
                __m256i w0hi = _mm256_srai_epi16(w0, 8);
                __m256i w1lo = _mm256_srai_epi16(_mm256_slli_epi16(w1, 8), 8);
                __m256i w1hi = _mm256_srai_epi16(w1, 8);
#else
                __m256i w0lo = w0, w0hi = w0, w1lo = w1, w1hi = w1;
#endif
#pragma GCC unroll 4
                for (size_t r = 0; r < ROWS; r++) {
                    __m256i av = _mm256_set1_epi32(er_qload4(ar[r] + k));
                    acc[r][0] = ER_QDOT4(acc[r][0], av, w0, w0lo, w0hi);
                    acc[r][1] = ER_QDOT4(acc[r][1], av, w1, w1lo, w1hi);
                }
                wp += NR * 4;
            }
        }
        const unsigned char *q = base + off_q;
#pragma GCC unroll 2
        for (size_t v = 0; v < 2; v++) {
            size_t j = j0 + 8 * v;
            if (j >= nc) break;
            size_t cnt = nc - j < 8 ? nc - j : 8;
            if (p->lo >= 0) /* a ReLU-like clamp: the cheaper MBQM */
                store_rows(ROWS, acc, v, q, p->has_left, 1, lo, hi, zp, c, cs, j, cnt);
            else
                store_rows(ROWS, acc, v, q, p->has_left, 0, lo, hi, zp, c, cs, j, cnt);
        }
    }
}
