/* er_qu8_qc8w_dwconv_32c__avx2.c - int8 depthwise microkernel for AVX2
 * (ER_QDW_P2 layout): 32 channels per step. Two taps at a time: their bytes
 * interleaved per channel (one unpack), widened to int16 pairs and summed
 * against the packed int16 weight pairs by one vpmaddwd per 8 channels
 * (exact: |255 * 128| * 2 < 2^31). A tail of fewer than 32 channels is
 * read by masked loads (whole dwords) or staged through a small buffer. */
#if defined(__x86_64__)
#include <string.h>

#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx2.h"

/* 32 channels of tap row src (cnt of them readable), flipped by xr; a tail
 * of whole dwords (channel counts are mostly multiples of 4) by a masked
 * load, which reads nothing past it. */
ER_QALWAYS_INLINE __m256i load_row(const uint8_t *src, size_t cnt, __m256i tail, __m256i vxr) {
    if (cnt == 32) return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)src), vxr);
    if (cnt % 4 == 0)
        return _mm256_xor_si256(_mm256_maskload_epi32((const int *)(const void *)src, tail), vxr);
    uint8_t tmp[32] = {0};
    memcpy(tmp, src, cnt);
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)tmp), vxr);
}

ER_QALWAYS_INLINE void dw32(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                            const void *w, uint8_t *y, size_t y_stride, uint32_t xr,
                            const er_qgemm_params *p, int nonneg) {
    size_t block = er_qdw_block_bytes(ER_QDW_P2, ks), off_q = er_qdw_off_q(ER_QDW_P2, ks);
    const __m256i lo = _mm256_set1_epi32(p->lo), hi = _mm256_set1_epi32(p->hi),
                  zp = _mm256_set1_epi32(p->zp);
    const __m256i vxr = _mm256_set1_epi8((char)xr);
    for (size_t c0 = 0; c0 < channels; c0 += 32) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        size_t cb = c0 % ER_QDW_CT;
        size_t cnt = channels - c0 < 32 ? channels - c0 : 32;
        const int16_t *wp = (const int16_t *)(base + er_qdw_off_w()) + 2 * cb;
        const unsigned char *q = base + off_q;
        const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cnt / 4)),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i b[4];
        for (int i = 0; i < 4; i++) b[i] = _mm256_loadu_si256((const __m256i *)(base + 4 * cb) + i);
        for (size_t x = 0; x < out_w; x++) {
            __m256i acc[4] = {b[0], b[1], b[2], b[3]};
            const uint8_t *const *ip = in + x * ks;
            for (size_t t = 0; t < ks; t += 2) {
                __m256i r0 = load_row(ip[t] + c0, cnt, tail, vxr);
                /* a missing partner tap reads tap t again, times weight 0 */
                __m256i r1 = load_row(ip[t + 1 < ks ? t + 1 : t] + c0, cnt, tail, vxr);
                /* per 128-bit lane: channels 0-7 (16-23) and 8-15 (24-31), taps side by side */
                __m256i il = _mm256_unpacklo_epi8(r0, r1), ih = _mm256_unpackhi_epi8(r0, r1);
                const int16_t *wt = wp + (t / 2) * ER_QDW_CT * 2;
                __m256i x0 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(il));
                __m256i x1 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(ih));
                __m256i x2 = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(il, 1));
                __m256i x3 = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(ih, 1));
                /* weight pairs in er_qdw_p2_pos order: channels 0-7, 16-23, 8-15, 24-31 */
                acc[0] = _mm256_add_epi32(
                    acc[0], _mm256_madd_epi16(x0, _mm256_loadu_si256((const __m256i *)wt)));
                acc[2] = _mm256_add_epi32(
                    acc[2], _mm256_madd_epi16(x2, _mm256_loadu_si256((const __m256i *)(wt + 16))));
                acc[1] = _mm256_add_epi32(
                    acc[1], _mm256_madd_epi16(x1, _mm256_loadu_si256((const __m256i *)(wt + 32))));
                acc[3] = _mm256_add_epi32(
                    acc[3], _mm256_madd_epi16(x3, _mm256_loadu_si256((const __m256i *)(wt + 48))));
            }
            for (int i = 0; i < 4 && (size_t)(8 * i) < cnt; i++) {
                __m256i v = er_q256_requant8(acc[i], q, ER_QDW_CT, cb + 8 * (size_t)i,
                                             p->has_left, nonneg, lo, hi, zp);
                size_t n8 = cnt - 8 * (size_t)i < 8 ? cnt - 8 * (size_t)i : 8;
                er_q256_store_bytes(y + x * y_stride + c0 + 8 * (size_t)i, v, n8);
            }
        }
    }
}

void er_qu8_qc8w_dwconv_32c__avx2(size_t channels, size_t out_w, const uint8_t *const *in,
                                  size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                  uint32_t xr, const er_qgemm_params *p) {
    /* a ReLU-like clamp (lo >= 0) gets the cheaper MBQM of er_q256_requant8 */
    if (p->lo >= 0) dw32(channels, out_w, in, ks, w, y, y_stride, xr, p, 1);
    else dw32(channels, out_w, in, ks, w, y, y_stride, xr, p, 0);
}
#endif
