/* er_qu8_vbinary__avx512.c - int8 elementwise add and mul for AVX-512
 * (qvbinary.h): 16 elements per step, masked tails; the requantizations are
 * the exact 64-bit MBQM of qgemm.h with uniform constants. */
#if defined(__x86_64__)
#include "cpu/qconv/qgemm_avx512.h"
#include "cpu/qconv/qvbinary.h"

/* MBQM of 16 lanes with one set of constants. */
ER_QALWAYS_INLINE __m512i mbqm16(__m512i x, const er_qcol *q) {
    if (q->left) x = er_q512_sat_left(x, _mm512_set1_epi32(q->left));
    const __m512i mult = _mm512_set1_epi64(q->mult), cpos = _mm512_set1_epi64(q->cpos),
                  dneg = _mm512_set1_epi64(q->dneg), lim = _mm512_set1_epi64(-((int64_t)1 << 30));
    const __m128i rsh = _mm_cvtsi64_si128(q->rshift);
    __m512i r[2];
    for (int h = 0; h < 2; h++) {
        __m512i x64 = _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(x, 1)
                                              : _mm512_castsi512_si256(x));
        __m512i p = _mm512_mul_epi32(x64, mult);
        __m512i t = _mm512_add_epi64(p, cpos);
        t = _mm512_mask_sub_epi64(t, _mm512_cmplt_epi64_mask(p, lim), t, dneg);
        r[h] = _mm512_sra_epi64(t, rsh);
    }
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(r[0])),
                              _mm512_cvtepi64_epi32(r[1]), 1);
}

ER_QALWAYS_INLINE void vbin(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                            const er_qvbin_params *p, bool is_mul) {
    const __m128i ax = _mm_set1_epi8((char)p->a_xor), bx = _mm_set1_epi8((char)p->b_xor);
    const __m512i azu = _mm512_set1_epi32(p->a_zu), bzu = _mm512_set1_epi32(p->b_zu),
                  lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt = n - i < 16 ? n - i : 16;
        __mmask16 m = (__mmask16)((1u << cnt) - 1);
        __m512i da = _mm512_sub_epi32(
            _mm512_cvtepu8_epi32(_mm_xor_si128(_mm_maskz_loadu_epi8(m, a + i), ax)), azu);
        __m512i db = _mm512_sub_epi32(
            _mm512_cvtepu8_epi32(_mm_xor_si128(_mm_maskz_loadu_epi8(m, b + i), bx)), bzu);
        __m512i v;
        if (is_mul) {
            v = mbqm16(_mm512_slli_epi32(_mm512_mullo_epi32(da, db), ER_QMUL_SHIFT), &p->my);
        } else {
            __m512i sa = mbqm16(_mm512_slli_epi32(da, ER_QADD_SHIFT), &p->ma);
            __m512i sb = mbqm16(_mm512_slli_epi32(db, ER_QADD_SHIFT), &p->mb);
            v = mbqm16(_mm512_add_epi32(sa, sb), &p->my);
        }
        v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp);
        _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(v));
    }
}

void er_qu8_vadd__avx512(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    vbin(n, a, b, y, p, false);
}

void er_qu8_vmul__avx512(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    vbin(n, a, b, y, p, true);
}
#endif
