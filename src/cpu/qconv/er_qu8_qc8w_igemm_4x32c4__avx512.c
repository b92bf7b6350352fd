/* er_qu8_qc8w_igemm_4x32c4__avx512.c - int8 GEMM microkernel for AVX-512
 * without VNNI (Skylake-X class): 4 rows x 32 columns. Each vpdpbusd of the
 * VNNI variant becomes two vpmaddwd on the even and odd bytes widened to
 * int16 (exact: |255 * 128 * 2| < 2^31; vpmaddubsw would saturate) plus adds,
 * on the same packed weights. */
#if defined(__x86_64__)
#include "cpu/qconv/qgemm_avx512.h"

#define NR 32

/* acc + sum of the four u8 x s8 products of each lane (vpdpbusd's result). */
ER_QALWAYS_INLINE __m512i dot4(__m512i acc, __m512i alo, __m512i ahi, __m512i wlo, __m512i whi) {
    __m512i s = _mm512_add_epi32(_mm512_madd_epi16(alo, wlo), _mm512_madd_epi16(ahi, whi));
    return _mm512_add_epi32(acc, s);
}

ER_QALWAYS_INLINE void tile(size_t ROWS, size_t MRS, size_t nc, size_t kc4, size_t ks,
                            const uint8_t *const *a, const void *w, uint8_t *c, size_t cs,
                            const er_qgemm_params *p) {
    size_t panel = er_qgemm_panel_stride(NR, ks, kc4);
    size_t off_w = er_qgemm_off_w(NR), off_q = er_qgemm_off_q(NR, ks, kc4);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp), low_bytes = _mm512_set1_epi16(0x00ff);
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / NR) * panel;
        __m512i acc[4][2];
        __m512i b0 = _mm512_load_si512(base), b1 = _mm512_load_si512(base + 64);
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
                __m512i w0 = _mm512_load_si512(wp), w1 = _mm512_load_si512(wp + 64);
                /* int16 lanes (w0, w2) and (w1, w3) of each 4-byte group, sign-extended */
                __m512i w0lo = _mm512_srai_epi16(_mm512_slli_epi16(w0, 8), 8);
                __m512i w0hi = _mm512_srai_epi16(w0, 8);
                __m512i w1lo = _mm512_srai_epi16(_mm512_slli_epi16(w1, 8), 8);
                __m512i w1hi = _mm512_srai_epi16(w1, 8);
#pragma GCC unroll 4
                for (size_t r = 0; r < ROWS; r++) {
                    __m512i av = _mm512_set1_epi32(er_qload4(ar[r] + k));
                    __m512i alo = _mm512_and_si512(av, low_bytes); /* (x0, x2) */
                    __m512i ahi = _mm512_srli_epi16(av, 8);        /* (x1, x3) */
                    acc[r][0] = dot4(acc[r][0], alo, ahi, w0lo, w0hi);
                    acc[r][1] = dot4(acc[r][1], alo, ahi, w1lo, w1hi);
                }
                wp += NR * 4;
            }
        }
        const unsigned char *q = base + off_q;
#pragma GCC unroll 2
        for (size_t v = 0; v < 2; v++) {
            size_t j = j0 + 16 * v;
            if (j >= nc) break;
            size_t cnt = nc - j < 16 ? nc - j : 16;
            __mmask16 m = (__mmask16)((1u << cnt) - 1);
#pragma GCC unroll 4
            for (size_t r = 0; r < ROWS; r++) {
                __m512i y = er_q512_requant16(acc[r][v], q, NR, 16 * v, p->has_left, p->lo >= 0,
                                              lo, hi, zp);
                _mm_mask_storeu_epi8(c + r * cs + j, m, _mm512_cvtepi32_epi8(y));
            }
        }
    }
}

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_4x32c4__avx512, tile, 4)
#endif
