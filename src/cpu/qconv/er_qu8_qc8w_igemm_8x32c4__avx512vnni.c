/* er_qu8_qc8w_igemm_8x32c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 8 rows x 32 columns (16 zmm accumulators), vpdpbusd sums four
 * uint8 x int8 products per int32 lane exactly. Per group of 4 k: two weight
 * loads, one 4-byte broadcast per row, 16 vpdpbusd. */
#if defined(__x86_64__)
#include "cpu/qconv/qgemm_avx512.h"

#define NR 32

ER_QALWAYS_INLINE void tile(size_t ROWS, size_t MRS, size_t nc, size_t kc4, size_t ks,
                            const uint8_t *const *a, const void *w, uint8_t *c, size_t cs,
                            const er_qgemm_params *p) {
    size_t panel = er_qgemm_panel_bytes(NR, ks, kc4);
    size_t off_w = er_qgemm_off_w(NR), off_q = er_qgemm_off_q(NR, ks, kc4);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / NR) * panel;
        __m512i acc[8][2];
        __m512i b0 = _mm512_load_si512(base), b1 = _mm512_load_si512(base + 64);
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) {
            acc[r][0] = b0;
            acc[r][1] = b1;
        }
        const unsigned char *wp = base + off_w;
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *ar[8];
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) ar[r] = a[t * MRS + r];
            for (size_t k = 0; k < kc4; k += 4) {
                __m512i w0 = _mm512_load_si512(wp), w1 = _mm512_load_si512(wp + 64);
#pragma GCC unroll 8
                for (size_t r = 0; r < ROWS; r++) {
                    __m512i av = _mm512_set1_epi32(er_qload4(ar[r] + k));
                    acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, w0);
                    acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, w1);
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
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) {
                __m512i y = er_q512_requant16(acc[r][v], q, NR, 16 * v, p->has_left, lo, hi, zp);
                _mm_mask_storeu_epi8(c + r * cs + j, m, _mm512_cvtepi32_epi8(y));
            }
        }
    }
}

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_8x32c4__avx512vnni, tile, 8)
#endif
