/* er_qu8_qc8w_dwconv_64c__avx512vnni.c - int8 depthwise microkernel for
 * AVX-512 VNNI (ER_QDW_C4 layout): 64 channels per step, taps in groups of 4.
 * The four tap rows (64 bytes each) are interleaved with in-lane byte and
 * word unpacks into four vectors whose 32-bit lanes hold one channel's four
 * taps, so one vpdpbusd sums 4 taps x 16 channels; the packing stores weights,
 * biases and epilogue constants in that channel order (er_qdw_c4_channel), and
 * a 4x4 dword transpose puts the output bytes back in channel order. Taps past
 * ks (up to a multiple of 4) read tap 0 with zero weights. */
#if defined(__x86_64__)
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx512.h"

/* A last block of cnt <= 32 channels (er_qdw_c4_half_channel's epilogue
 * order): the same unpacks and dot products on 256-bit vectors; vectors k = 0,
 * 1 and 2, 3 are joined for two 16-lane epilogues, and a dword shuffle puts
 * the bytes back in channel order. */
ER_QALWAYS_INLINE void dw32(size_t cnt, size_t out_w, const uint8_t *const *in, size_t ks,
                            const unsigned char *base, size_t c0, uint8_t *y, size_t y_stride,
                            bool flip, const er_qgemm_params *p) {
    size_t off_q = er_qdw_off_q(ER_QDW_C4, ks), groups = er_qdw_ks4(ks) / 4;
    const unsigned char *wb = base + er_qdw_off_w(), *q = base + off_q;
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    const __m256i vxr = _mm256_set1_epi8((char)0x80);
    __mmask32 m = cnt == 32 ? ~(__mmask32)0 : (((__mmask32)1 << cnt) - 1);
    __m256i b0 = _mm256_load_si256((const __m256i *)base),
            b1 = _mm256_load_si256((const __m256i *)(base + 64)),
            b2 = _mm256_load_si256((const __m256i *)(base + 128)),
            b3 = _mm256_load_si256((const __m256i *)(base + 192));
    for (size_t x = 0; x < out_w; x++) {
        __m256i a0 = b0, a1 = b1, a2 = b2, a3 = b3;
        const uint8_t *const *ip = in + x * ks;
        for (size_t g = 0; g < groups; g++) {
            size_t t = 4 * g;
            __m256i r0 = _mm256_maskz_loadu_epi8(m, ip[t] + c0);
            __m256i r1 = _mm256_maskz_loadu_epi8(m, ip[t + 1 < ks ? t + 1 : 0] + c0);
            __m256i r2 = _mm256_maskz_loadu_epi8(m, ip[t + 2 < ks ? t + 2 : 0] + c0);
            __m256i r3 = _mm256_maskz_loadu_epi8(m, ip[t + 3 < ks ? t + 3 : 0] + c0);
            if (flip) {
                r0 = _mm256_xor_si256(r0, vxr);
                r1 = _mm256_xor_si256(r1, vxr);
                r2 = _mm256_xor_si256(r2, vxr);
                r3 = _mm256_xor_si256(r3, vxr);
            }
            __m256i l01 = _mm256_unpacklo_epi8(r0, r1), h01 = _mm256_unpackhi_epi8(r0, r1);
            __m256i l23 = _mm256_unpacklo_epi8(r2, r3), h23 = _mm256_unpackhi_epi8(r2, r3);
            const unsigned char *wg = wb + g * 256;
            a0 = _mm256_dpbusd_epi32(a0, _mm256_unpacklo_epi16(l01, l23),
                                     _mm256_load_si256((const __m256i *)wg));
            a1 = _mm256_dpbusd_epi32(a1, _mm256_unpackhi_epi16(l01, l23),
                                     _mm256_load_si256((const __m256i *)(wg + 64)));
            a2 = _mm256_dpbusd_epi32(a2, _mm256_unpacklo_epi16(h01, h23),
                                     _mm256_load_si256((const __m256i *)(wg + 128)));
            a3 = _mm256_dpbusd_epi32(a3, _mm256_unpackhi_epi16(h01, h23),
                                     _mm256_load_si256((const __m256i *)(wg + 192)));
        }
        __m512i z01 = _mm512_inserti64x4(_mm512_castsi256_si512(a0), a1, 1);
        __m512i z23 = _mm512_inserti64x4(_mm512_castsi256_si512(a2), a3, 1);
        __m128 x01 = _mm_castsi128_ps(
            _mm512_cvtepi32_epi8(er_q512_requant16(z01, q, 64, 0, p->has_left, lo, hi, zp)));
        __m128 x23 = _mm_castsi128_ps(
            _mm512_cvtepi32_epi8(er_q512_requant16(z23, q, 64, 16, p->has_left, lo, hi, zp)));
        /* x01 dword 2k + L = channels 16 L + 4 k .. +3 (k = 0, 1), x23 likewise k = 2, 3 */
        __m128i o0 = _mm_castps_si128(_mm_shuffle_ps(x01, x23, _MM_SHUFFLE(2, 0, 2, 0)));
        __m128i o1 = _mm_castps_si128(_mm_shuffle_ps(x01, x23, _MM_SHUFFLE(3, 1, 3, 1)));
        _mm256_mask_storeu_epi8(y + x * y_stride + c0, m,
                                _mm256_inserti128_si256(_mm256_castsi128_si256(o0), o1, 1));
    }
}

ER_QALWAYS_INLINE void dw64(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                            const void *w, uint8_t *y, size_t y_stride, bool flip,
                            const er_qgemm_params *p) {
    size_t block = er_qdw_block_bytes(ER_QDW_C4, ks), off_q = er_qdw_off_q(ER_QDW_C4, ks);
    size_t groups = er_qdw_ks4(ks) / 4;
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp), vxr = _mm512_set1_epi8((char)0x80);
    for (size_t c0 = 0; c0 < channels; c0 += ER_QDW_CT) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        const unsigned char *wb = base + er_qdw_off_w(), *q = base + off_q;
        size_t cnt = channels - c0 < ER_QDW_CT ? channels - c0 : ER_QDW_CT;
        __mmask64 m = cnt == 64 ? ~(__mmask64)0 : (((__mmask64)1 << cnt) - 1);
        if (cnt <= 32) { /* lanes 0-1 only: 256-bit vectors, half the epilogue */
            dw32(cnt, out_w, in, ks, base, c0, y, y_stride, flip, p);
            continue;
        }
        __m512i b0 = _mm512_load_si512(base), b1 = _mm512_load_si512(base + 64),
                b2 = _mm512_load_si512(base + 128), b3 = _mm512_load_si512(base + 192);
        for (size_t x = 0; x < out_w; x++) {
            __m512i a0 = b0, a1 = b1, a2 = b2, a3 = b3;
            const uint8_t *const *ip = in + x * ks;
            for (size_t g = 0; g < groups; g++) {
                size_t t = 4 * g;
                __m512i r0 = _mm512_maskz_loadu_epi8(m, ip[t] + c0);
                __m512i r1 = _mm512_maskz_loadu_epi8(m, ip[t + 1 < ks ? t + 1 : 0] + c0);
                __m512i r2 = _mm512_maskz_loadu_epi8(m, ip[t + 2 < ks ? t + 2 : 0] + c0);
                __m512i r3 = _mm512_maskz_loadu_epi8(m, ip[t + 3 < ks ? t + 3 : 0] + c0);
                if (flip) {
                    r0 = _mm512_xor_si512(r0, vxr);
                    r1 = _mm512_xor_si512(r1, vxr);
                    r2 = _mm512_xor_si512(r2, vxr);
                    r3 = _mm512_xor_si512(r3, vxr);
                }
                __m512i l01 = _mm512_unpacklo_epi8(r0, r1), h01 = _mm512_unpackhi_epi8(r0, r1);
                __m512i l23 = _mm512_unpacklo_epi8(r2, r3), h23 = _mm512_unpackhi_epi8(r2, r3);
                const unsigned char *wg = wb + g * 256;
                a0 = _mm512_dpbusd_epi32(a0, _mm512_unpacklo_epi16(l01, l23), _mm512_load_si512(wg));
                a1 = _mm512_dpbusd_epi32(a1, _mm512_unpackhi_epi16(l01, l23),
                                         _mm512_load_si512(wg + 64));
                a2 = _mm512_dpbusd_epi32(a2, _mm512_unpacklo_epi16(h01, h23),
                                         _mm512_load_si512(wg + 128));
                a3 = _mm512_dpbusd_epi32(a3, _mm512_unpackhi_epi16(h01, h23),
                                         _mm512_load_si512(wg + 192));
            }
            __m128i x0 = _mm512_cvtepi32_epi8(er_q512_requant16(a0, q, 64, 0, p->has_left, lo, hi, zp));
            __m128i x1 = _mm512_cvtepi32_epi8(er_q512_requant16(a1, q, 64, 16, p->has_left, lo, hi, zp));
            __m128i x2 = _mm512_cvtepi32_epi8(er_q512_requant16(a2, q, 64, 32, p->has_left, lo, hi, zp));
            __m128i x3 = _mm512_cvtepi32_epi8(er_q512_requant16(a3, q, 64, 48, p->has_left, lo, hi, zp));
            /* x_k dword L = channels 16L + 4k .. +3: transpose 4x4 dwords */
            __m128i t0 = _mm_unpacklo_epi32(x0, x1), t1 = _mm_unpackhi_epi32(x0, x1);
            __m128i t2 = _mm_unpacklo_epi32(x2, x3), t3 = _mm_unpackhi_epi32(x2, x3);
            __m512i o = _mm512_castsi128_si512(_mm_unpacklo_epi64(t0, t2));
            o = _mm512_inserti32x4(o, _mm_unpackhi_epi64(t0, t2), 1);
            o = _mm512_inserti32x4(o, _mm_unpacklo_epi64(t1, t3), 2);
            o = _mm512_inserti32x4(o, _mm_unpackhi_epi64(t1, t3), 3);
            _mm512_mask_storeu_epi8(y + x * y_stride + c0, m, o);
        }
    }
}

void er_qu8_qc8w_dwconv_64c__avx512vnni(size_t channels, size_t out_w, const uint8_t *const *in,
                                        size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                        uint32_t xr, const er_qgemm_params *p) {
    if (xr) dw64(channels, out_w, in, ks, w, y, y_stride, true, p);
    else dw64(channels, out_w, in, ks, w, y, y_stride, false, p);
}
#endif
