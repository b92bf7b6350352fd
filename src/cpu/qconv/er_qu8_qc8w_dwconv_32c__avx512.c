/* er_qu8_qc8w_dwconv_32c__avx512.c - int8 depthwise microkernel for AVX-512
 * without VNNI (ER_QDW_P2 layout): 32 channels per step. Two taps at a time,
 * as the AVX2 kernel: their bytes interleaved per channel by one unpack,
 * widened to int16 pairs and summed against the packed int16 weight pairs by
 * one vpmaddwd per 16 channels (exact: |255 * 128| * 2 < 2^31). The sums come
 * out as channels (0-7, 16-23) and (8-15, 24-31) and are put back in order
 * once per pixel. Tails use masked byte loads/stores. */
#if defined(__x86_64__)
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx512.h"

ER_QALWAYS_INLINE void dw32(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                            const void *w, uint8_t *y, size_t y_stride, uint32_t xr,
                            const er_qgemm_params *p, int nonneg) {
    size_t block = er_qdw_block_bytes(ER_QDW_P2, ks), off_q = er_qdw_off_q(ER_QDW_P2, ks);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    const __m256i vxr = _mm256_set1_epi8((char)xr);
    for (size_t c0 = 0; c0 < channels; c0 += 32) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        size_t cb = c0 % ER_QDW_CT; /* offset inside the packed block */
        size_t cnt = channels - c0 < 32 ? channels - c0 : 32;
        __mmask32 m = cnt == 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << cnt) - 1);
        const int16_t *wp = (const int16_t *)(base + er_qdw_off_w()) + 2 * cb;
        const unsigned char *q = base + off_q;
        __m512i b0 = _mm512_loadu_si512(base + 4 * cb), b1 = _mm512_loadu_si512(base + 4 * cb + 64);
        /* the biases in the sums' order: (0-7, 16-23) and (8-15, 24-31) */
        const __m512i ba = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(1, 0, 1, 0));
        const __m512i bb = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(3, 2, 3, 2));
        for (size_t x = 0; x < out_w; x++) {
            __m512i acc_a = ba, acc_b = bb;
            const uint8_t *const *ip = in + x * ks;
            for (size_t t = 0; t < ks; t += 2) {
                __m256i r0 = _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, ip[t] + c0), vxr);
                /* a missing partner tap reads tap t again, times weight 0 */
                __m256i r1 = _mm256_xor_si256(
                    _mm256_maskz_loadu_epi8(m, ip[t + 1 < ks ? t + 1 : t] + c0), vxr);
                const int16_t *wt = wp + (t / 2) * ER_QDW_CT * 2;
                __m512i xa = _mm512_cvtepu8_epi16(_mm256_unpacklo_epi8(r0, r1));
                __m512i xb = _mm512_cvtepu8_epi16(_mm256_unpackhi_epi8(r0, r1));
                acc_a = _mm512_add_epi32(acc_a, _mm512_madd_epi16(xa, _mm512_loadu_si512(wt)));
                acc_b = _mm512_add_epi32(acc_b, _mm512_madd_epi16(xb, _mm512_loadu_si512(wt + 32)));
            }
            __m512i acc0 = _mm512_shuffle_i64x2(acc_a, acc_b, _MM_SHUFFLE(1, 0, 1, 0));
            __m512i acc1 = _mm512_shuffle_i64x2(acc_a, acc_b, _MM_SHUFFLE(3, 2, 3, 2));
            __m512i y0 = er_q512_requant16(acc0, q, ER_QDW_CT, cb, p->has_left, nonneg, lo, hi, zp);
            __m512i y1 =
                er_q512_requant16(acc1, q, ER_QDW_CT, cb + 16, p->has_left, nonneg, lo, hi, zp);
            __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(y0)),
                                                    _mm512_cvtepi32_epi8(y1), 1);
            _mm256_mask_storeu_epi8(y + x * y_stride + c0, m, bytes);
        }
    }
}

void er_qu8_qc8w_dwconv_32c__avx512(size_t channels, size_t out_w, const uint8_t *const *in,
                                    size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                    uint32_t xr, const er_qgemm_params *p) {
    /* a ReLU-like clamp (lo >= 0) gets the cheaper MBQM (er_q512_mbqm8c) */
    if (p->lo >= 0) dw32(channels, out_w, in, ks, w, y, y_stride, xr, p, 1);
    else dw32(channels, out_w, in, ks, w, y, y_stride, xr, p, 0);
}
#endif
