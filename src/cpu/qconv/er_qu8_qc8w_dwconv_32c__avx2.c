/* er_qu8_qc8w_dwconv_32c__avx2.c - int8 depthwise microkernel for AVX2
 * (ER_QDW_PLAIN layout): 32 channels per step as two halves of 16; bytes
 * widened to int16 times int16 weights (exact), products widened to int32.
 * A tail of fewer than 32 channels is staged through a small buffer. */
#if defined(__x86_64__)
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx2.h"

ER_QALWAYS_INLINE void dw32(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                            const void *w, uint8_t *y, size_t y_stride, uint32_t xr,
                            const er_qgemm_params *p, int nonneg) {
    size_t block = er_qdw_block_bytes(ER_QDW_PLAIN, ks), off_q = er_qdw_off_q(ER_QDW_PLAIN, ks);
    const __m256i lo = _mm256_set1_epi32(p->lo), hi = _mm256_set1_epi32(p->hi),
                  zp = _mm256_set1_epi32(p->zp);
    const __m128i vxr = _mm_set1_epi8((char)xr);
    for (size_t c0 = 0; c0 < channels; c0 += 32) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        size_t cb = c0 % ER_QDW_CT;
        size_t cnt = channels - c0 < 32 ? channels - c0 : 32;
        const int16_t *wp = (const int16_t *)(base + er_qdw_off_w()) + cb;
        const unsigned char *q = base + off_q;
        __m256i b[4];
        for (int i = 0; i < 4; i++) b[i] = _mm256_loadu_si256((const __m256i *)(base + 4 * cb) + i);
        for (size_t x = 0; x < out_w; x++) {
            __m256i acc[4] = {b[0], b[1], b[2], b[3]};
            const uint8_t *const *ip = in + x * ks;
            for (size_t t = 0; t < ks; t++) {
                const uint8_t *src = ip[t] + c0;
                uint8_t tmp[32];
                if (cnt < 32) {
                    memcpy(tmp, src, cnt);
                    memset(tmp + cnt, 0, 32 - cnt);
                    src = tmp;
                }
                for (int h = 0; h < 2; h++) {
                    __m128i xb = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + 16 * h)), vxr);
                    __m256i prod = _mm256_mullo_epi16(
                        _mm256_cvtepu8_epi16(xb),
                        _mm256_loadu_si256((const __m256i *)(wp + t * ER_QDW_CT + 16 * h)));
                    acc[2 * h] = _mm256_add_epi32(
                        acc[2 * h], _mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)));
                    acc[2 * h + 1] = _mm256_add_epi32(
                        acc[2 * h + 1], _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
                }
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
