/* er_qu8_vbinary__avx512.c - int8 elementwise add and mul for AVX-512
 * (qvbinary.h): 16 elements per step, masked tails; the requantizations are
 * the exact 64-bit MBQM of qgemm.h with uniform constants. */
#if defined(__x86_64__)
#include "cpu/qconv/qgemm_avx512.h"
#include "cpu/qconv/qvbinary.h"

/* MBQM of 16 lanes with one set of constants (the GEMM epilogue's, with
 * uniform constants). */
ER_QALWAYS_INLINE __m512i mbqm16(__m512i x, const er_qcol *q) {
    const er_q512_cols k = er_q512_uniform_cols(q->mult, q->cpos, q->dneg, q->rshift, q->left);
    return er_q512_mbqm16c(x, &k, q->left != 0, 0);
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
