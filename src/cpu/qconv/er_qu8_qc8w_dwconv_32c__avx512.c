/* er_qu8_qc8w_dwconv_32c__avx512.c - int8 depthwise microkernel for AVX-512
 * (ER_QDW_PLAIN layout): 32 channels per step; bytes widened to int16 and
 * multiplied by the int16 weights (|255 * 128| < 2^15: vpmullw is exact),
 * products widened to int32 and summed. Tails use masked byte loads/stores. */
#if defined(__x86_64__)
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx512.h"

void er_qu8_qc8w_dwconv_32c__avx512(size_t channels, size_t out_w, const uint8_t *const *in,
                                    size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                    uint32_t xr, const er_qgemm_params *p) {
    size_t block = er_qdw_block_bytes(ER_QDW_PLAIN, ks), off_q = er_qdw_off_q(ER_QDW_PLAIN, ks);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    const __m256i vxr = _mm256_set1_epi8((char)xr);
    for (size_t c0 = 0; c0 < channels; c0 += 32) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        size_t cb = c0 % ER_QDW_CT; /* offset inside the packed block */
        size_t cnt = channels - c0 < 32 ? channels - c0 : 32;
        __mmask32 m = cnt == 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << cnt) - 1);
        const int16_t *wp = (const int16_t *)(base + er_qdw_off_w()) + cb;
        const unsigned char *q = base + off_q;
        __m512i b0 = _mm512_loadu_si512(base + 4 * cb), b1 = _mm512_loadu_si512(base + 4 * cb + 64);
        for (size_t x = 0; x < out_w; x++) {
            __m512i acc0 = b0, acc1 = b1;
            const uint8_t *const *ip = in + x * ks;
            for (size_t t = 0; t < ks; t++) {
                __m256i xb = _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, ip[t] + c0), vxr);
                __m512i prod = _mm512_mullo_epi16(_mm512_cvtepu8_epi16(xb),
                                                  _mm512_loadu_si512(wp + t * ER_QDW_CT));
                acc0 = _mm512_add_epi32(acc0, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(prod)));
                acc1 = _mm512_add_epi32(acc1,
                                        _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(prod, 1)));
            }
            __m512i y0 = er_q512_requant16(acc0, q, ER_QDW_CT, cb, p->has_left, p->lo >= 0, lo,
                                           hi, zp);
            __m512i y1 = er_q512_requant16(acc1, q, ER_QDW_CT, cb + 16, p->has_left, p->lo >= 0,
                                           lo, hi, zp);
            __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(y0)),
                                                    _mm512_cvtepi32_epi8(y1), 1);
            _mm256_mask_storeu_epi8(y + x * y_stride + c0, m, bytes);
        }
    }
}
#endif
