/* er_qu8_qc8w_dwconv_64c__avx512vnni.c - int8 depthwise microkernel for
 * AVX-512 VNNI (ER_QDW_C4 layout): 64 channels per step, taps in groups of 4.
 * The four tap rows (64 bytes each) are interleaved with in-lane byte and
 * word unpacks into four vectors whose 32-bit lanes hold one channel's four
 * taps, so one vpdpbusd sums 4 taps x 16 channels; the packing stores weights,
 * biases and epilogue constants in that channel order (er_qdw_c4_channel), and
 * the saturating packs to bytes put the outputs back in channel order (the
 * unpacks' inverse). Taps past ks (up to a multiple of 4) read tap 0 with zero
 * weights. */
#if defined(__x86_64__)
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm_avx512.h"

/* Bytes of 16-lane int32 vectors already in the output type's range (see
 * store64): unsigned saturation for outputs >= 0, signed otherwise. */
ER_QALWAYS_INLINE __m512i pack_bytes(__m512i w01, __m512i w23, const er_qgemm_params *p) {
    return p->lo + p->zp >= 0 ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
}

/* The epilogue of a 32-channel block (ER_QDW_C4 half order): vectors k = 0,
 * 1 and 2, 3 joined for two 16-lane requantizations, packed to bytes (dword
 * 4 j + i of the packs is channels 16 L + 4 k .. +3 with j = 2 (k % 2) + L,
 * i = k / 2), one dword permute back to channel order; stores the cnt (mask
 * m) bytes at y. */
ER_QALWAYS_INLINE void store32(__m256i a0, __m256i a1, __m256i a2, __m256i a3,
                               const unsigned char *q, uint8_t *y, __mmask32 m,
                               const er_qgemm_params *p, bool nonneg, __m512i lo, __m512i hi,
                               __m512i zp) {
    const __m512i order = _mm512_setr_epi32(0, 8, 1, 9, 4, 12, 5, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    __m512i z01 = _mm512_inserti64x4(_mm512_castsi256_si512(a0), a1, 1);
    __m512i z23 = _mm512_inserti64x4(_mm512_castsi256_si512(a2), a3, 1);
    __m512i y01 = er_q512_requant16(z01, q, 64, 0, p->has_left, nonneg, lo, hi, zp);
    __m512i y23 = er_q512_requant16(z23, q, 64, 16, p->has_left, nonneg, lo, hi, zp);
    __m512i w = _mm512_packs_epi32(y01, y23);
    __m512i o = _mm512_permutexvar_epi32(order, pack_bytes(w, w, p));
    _mm256_mask_storeu_epi8(y, m, _mm512_castsi512_si256(o));
}

/* The epilogue of a 64-channel block: four 16-lane requantizations packed
 * to bytes by saturating packs, which also restore channel order: per
 * 128-bit lane L the packs give a0's four values, then a1's, a2's, a3's, and
 * a_k's lane L holds channels 16 L + 4 k .. +3 (er_qdw_c4_channel). The
 * values are already clamped to the output type's range, so the saturation
 * never acts: unsigned for outputs >= 0 (uint8, or int8 clamped at >= 0),
 * signed otherwise (int8). A masked store of cnt bytes. */
ER_QALWAYS_INLINE void store64(__m512i a0, __m512i a1, __m512i a2, __m512i a3,
                               const unsigned char *q, uint8_t *y, __mmask64 m,
                               const er_qgemm_params *p, bool nonneg, __m512i lo, __m512i hi,
                               __m512i zp) {
    __m512i y0 = er_q512_requant16(a0, q, 64, 0, p->has_left, nonneg, lo, hi, zp);
    __m512i y1 = er_q512_requant16(a1, q, 64, 16, p->has_left, nonneg, lo, hi, zp);
    __m512i y2 = er_q512_requant16(a2, q, 64, 32, p->has_left, nonneg, lo, hi, zp);
    __m512i y3 = er_q512_requant16(a3, q, 64, 48, p->has_left, nonneg, lo, hi, zp);
    __m512i o = pack_bytes(_mm512_packs_epi32(y0, y1), _mm512_packs_epi32(y2, y3), p);
    _mm512_mask_storeu_epi8(y, m, o);
}

/* A last block of cnt <= 32 channels (er_qdw_c4_half_channel's epilogue
 * order): the same unpacks and dot products on 256-bit vectors; vectors k = 0,
 * 1 and 2, 3 are joined for two 16-lane epilogues, and a dword shuffle puts
 * the bytes back in channel order. */
ER_QALWAYS_INLINE void dw32(size_t cnt, size_t out_w, const uint8_t *const *in, size_t ks,
                            const unsigned char *base, size_t c0, uint8_t *y, size_t y_stride,
                            bool flip, bool nonneg, const er_qgemm_params *p) {
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
        store32(a0, a1, a2, a3, q, y + x * y_stride + c0, m, p, nonneg, lo, hi, zp);
    }
}

ER_QALWAYS_INLINE void dw64(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                            const void *w, uint8_t *y, size_t y_stride, bool flip,
                            bool nonneg, const er_qgemm_params *p) {
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
            dw32(cnt, out_w, in, ks, base, c0, y, y_stride, flip, nonneg, p);
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
            store64(a0, a1, a2, a3, q, y + x * y_stride + c0, m, p, nonneg, lo, hi, zp);
        }
    }
}

void er_qu8_qc8w_dwconv_64c__avx512vnni(size_t channels, size_t out_w, const uint8_t *const *in,
                                        size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                        uint32_t xr, const er_qgemm_params *p) {
    /* instances per input flip and clamp kind (er_q512_mbqm8c's nonneg) */
    bool nn = p->lo >= 0;
    if (xr && nn) dw64(channels, out_w, in, ks, w, y, y_stride, true, true, p);
    else if (xr) dw64(channels, out_w, in, ks, w, y, y_stride, true, false, p);
    else if (nn) dw64(channels, out_w, in, ks, w, y, y_stride, false, true, p);
    else dw64(channels, out_w, in, ks, w, y, y_stride, false, false, p);
}

/* ---- 3x3 stride 1: taps interleaved once per input row ------------------ */

/* One input row, pre-interleaved (qdwconv.h er_qdw_c4_rows3): per pixel x
 * and 64-channel block, the four vectors the unpacks above make of the taps
 * (x - 1, x, x + 1, zero), kw = 0, 1, 2 of one kernel row in one 4-tap group.
 * Each input row is read by three output rows, so the byte/word unpacks run
 * once per input pixel instead of three times per output pixel. */
void er_qdw_c4_rows3__avx512vnni(size_t channels, size_t w, const uint8_t *row, size_t stride,
                                 const uint8_t *zrow, uint32_t xr, unsigned char *out) {
    size_t blocks = (channels + ER_QDW_CT - 1) / ER_QDW_CT;
    const __m512i vxr = _mm512_set1_epi8((char)(xr ? 0x80 : 0)), z = _mm512_setzero_si512();
    for (size_t b = 0; b < blocks; b++) {
        size_t c0 = b * ER_QDW_CT, cnt = channels - c0 < ER_QDW_CT ? channels - c0 : ER_QDW_CT;
        __mmask64 m = cnt == 64 ? ~(__mmask64)0 : (((__mmask64)1 << cnt) - 1);
        /* pixels x - 1, x, x + 1 slide along the row: each pixel is loaded
         * (and flipped) once; outside the row (and for a NULL row) zrow */
        const __m512i zl = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, zrow + c0), vxr);
#define ER_ROWS3_PIXEL(x)                                                                      \
    (row && (x) < w ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, row + (x) * stride + c0), vxr) \
                    : zl)
        __m512i r0 = zl, r1 = ER_ROWS3_PIXEL(0), r2 = ER_ROWS3_PIXEL(1);
        for (size_t x = 0; x < w; x++) {
            unsigned char *o = out + (x * blocks + b) * 256;
            if (cnt <= 32) { /* 256-bit halves, as dw32 computes it */
                __m256i h0 = _mm512_castsi512_si256(r0), h1 = _mm512_castsi512_si256(r1);
                __m256i h2 = _mm512_castsi512_si256(r2), h3 = _mm512_castsi512_si256(z);
                __m256i l01 = _mm256_unpacklo_epi8(h0, h1), h01 = _mm256_unpackhi_epi8(h0, h1);
                __m256i l23 = _mm256_unpacklo_epi8(h2, h3), h23 = _mm256_unpackhi_epi8(h2, h3);
                _mm256_store_si256((__m256i *)o, _mm256_unpacklo_epi16(l01, l23));
                _mm256_store_si256((__m256i *)(o + 32), _mm256_unpackhi_epi16(l01, l23));
                _mm256_store_si256((__m256i *)(o + 64), _mm256_unpacklo_epi16(h01, h23));
                _mm256_store_si256((__m256i *)(o + 96), _mm256_unpackhi_epi16(h01, h23));
            } else {
                __m512i l01 = _mm512_unpacklo_epi8(r0, r1), h01 = _mm512_unpackhi_epi8(r0, r1);
                __m512i l23 = _mm512_unpacklo_epi8(r2, z), h23 = _mm512_unpackhi_epi8(r2, z);
                _mm512_store_si512(o, _mm512_unpacklo_epi16(l01, l23));
                _mm512_store_si512(o + 64, _mm512_unpackhi_epi16(l01, l23));
                _mm512_store_si512(o + 128, _mm512_unpacklo_epi16(h01, h23));
                _mm512_store_si512(o + 192, _mm512_unpackhi_epi16(h01, h23));
            }
            r0 = r1;
            r1 = r2;
            r2 = ER_ROWS3_PIXEL(x + 2);
        }
#undef ER_ROWS3_PIXEL
    }
}

/* One output row from the three pre-interleaved input rows r0, r1, r2
 * (kernel rows kh = 0, 1, 2) and weights packed as 12 taps, group g = kernel
 * row g (taps 3 of each group zero). */
ER_QALWAYS_INLINE void conv3(size_t channels, size_t out_w, const unsigned char *r0,
                             const unsigned char *r1, const unsigned char *r2, const void *w,
                             uint8_t *y, size_t y_stride, bool nonneg, const er_qgemm_params *p) {
    size_t blocks = (channels + ER_QDW_CT - 1) / ER_QDW_CT;
    size_t block = er_qdw_block_bytes(ER_QDW_C4, 12), off_q = er_qdw_off_q(ER_QDW_C4, 12);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    for (size_t b = 0; b < blocks; b++) {
        const unsigned char *base = (const unsigned char *)w + b * block;
        const unsigned char *wb = base + er_qdw_off_w(), *q = base + off_q;
        size_t c0 = b * ER_QDW_CT, cnt = channels - c0 < ER_QDW_CT ? channels - c0 : ER_QDW_CT;
        __mmask64 m = cnt == 64 ? ~(__mmask64)0 : (((__mmask64)1 << cnt) - 1);
        if (cnt <= 32) {
            __m256i w0[3][4];
            for (int g = 0; g < 3; g++)
                for (int k = 0; k < 4; k++)
                    w0[g][k] = _mm256_load_si256((const __m256i *)(wb + g * 256 + 64 * k));
            for (size_t x = 0; x < out_w; x++) {
                size_t at = (x * blocks + b) * 256;
                __m256i a[4];
                for (int k = 0; k < 4; k++) a[k] = _mm256_load_si256((const __m256i *)(base + 64 * k));
                const unsigned char *rg[3] = {r0 + at, r1 + at, r2 + at};
                for (int g = 0; g < 3; g++)
                    for (int k = 0; k < 4; k++)
                        a[k] = _mm256_dpbusd_epi32(
                            a[k], _mm256_load_si256((const __m256i *)(rg[g] + 32 * k)), w0[g][k]);
                store32(a[0], a[1], a[2], a[3], q, y + x * y_stride + c0, (__mmask32)m, p,
                        nonneg, lo, hi, zp);
            }
            continue;
        }
        __m512i w0[3][4];
        for (int g = 0; g < 3; g++)
            for (int k = 0; k < 4; k++) w0[g][k] = _mm512_load_si512(wb + g * 256 + 64 * k);
        for (size_t x = 0; x < out_w; x++) {
            size_t at = (x * blocks + b) * 256;
            __m512i a[4];
            for (int k = 0; k < 4; k++) a[k] = _mm512_load_si512(base + 64 * k);
            const unsigned char *rg[3] = {r0 + at, r1 + at, r2 + at};
            for (int g = 0; g < 3; g++)
                for (int k = 0; k < 4; k++)
                    a[k] = _mm512_dpbusd_epi32(a[k], _mm512_load_si512(rg[g] + 64 * k), w0[g][k]);
            store64(a[0], a[1], a[2], a[3], q, y + x * y_stride + c0, m, p, nonneg, lo, hi, zp);
        }
    }
}

void er_qdw_c4_conv3__avx512vnni(size_t channels, size_t out_w, const unsigned char *r0,
                                 const unsigned char *r1, const unsigned char *r2,
                                 const void *w, uint8_t *y, size_t y_stride,
                                 const er_qgemm_params *p) {
    if (p->lo >= 0) conv3(channels, out_w, r0, r1, r2, w, y, y_stride, true, p);
    else conv3(channels, out_w, r0, r1, r2, w, y, y_stride, false, p);
}
#endif
