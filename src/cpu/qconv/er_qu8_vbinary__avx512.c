/* er_qu8_vbinary__avx512.c - int8 elementwise add and mul for AVX-512
 * (qvbinary.h): 16 elements per step, masked tails; the requantizations are
 * the exact 64-bit MBQM of qgemm.h with uniform constants, QAdd's operand
 * rescales in the equal 32-bit form of qvbinary.h (er_qsplit20) where its
 * constants allow. */
#if defined(__x86_64__)
#include "cpu/qconv/qgemm_avx512.h"
#include "cpu/qconv/qvbinary.h"

/* The GEMM epilogue's MBQM constants, the same in every lane. */
static er_q512_cols ucols(const er_qcol *q) {
    return er_q512_uniform_cols(q->mult, q->cpos, q->dneg, q->rshift, q->left);
}

/* MBQM of 16 lanes with one set of constants (k = ucols(q)). */
ER_QALWAYS_INLINE __m512i mbqm16(__m512i x, const er_q512_cols *k, const er_qcol *q) {
    return er_q512_mbqm16c(x, k, q->left != 0, 0);
}

/* er_qsplit20 (qvbinary.h) in vectors. */
typedef struct {
    __m512i mh, ml, cpos, cneg;
    __m128i sh;
} split20;

static split20 split20_vec(const er_qsplit20 *s) {
    split20 k;
    k.mh = _mm512_set1_epi32(s->mh);
    k.ml = _mm512_set1_epi32(s->ml);
    k.cpos = _mm512_set1_epi32(s->cpos);
    k.cneg = _mm512_set1_epi32(s->cneg);
    k.sh = _mm_cvtsi32_si128(s->shift);
    return k;
}

ER_QALWAYS_INLINE __m512i split20_mbqm(__m512i d, const split20 *k) {
    __m512i c = _mm512_mask_blend_epi32(_mm512_movepi32_mask(d), k->cpos, k->cneg);
    __m512i lo = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(d, k->ml), c), 8);
    return _mm512_sra_epi32(_mm512_add_epi32(_mm512_mullo_epi32(d, k->mh), lo), k->sh);
}

bool er_qu8_vadd_rescale__avx512(size_t n, const int32_t *d, const er_qcol *m, int32_t *out) {
    er_qsplit20 s;
    if (!er_qsplit20_make(m, &s)) return false;
    const split20 k = split20_vec(&s);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 msk = (__mmask16)(n - i < 16 ? (1u << (n - i)) - 1 : 0xffffu);
        _mm512_mask_storeu_epi32(out + i, msk,
                                 split20_mbqm(_mm512_maskz_loadu_epi32(msk, d + i), &k));
    }
    return true;
}

ER_QALWAYS_INLINE void vbin(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                            const er_qvbin_params *p, bool is_mul, const er_qsplit20 *s2,
                            bool split) {
    const __m128i ax = _mm_set1_epi8((char)p->a_xor), bx = _mm_set1_epi8((char)p->b_xor);
    const __m512i azu = _mm512_set1_epi32(p->a_zu), bzu = _mm512_set1_epi32(p->b_zu),
                  lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    /* the constants set up once: the output stores may alias *p */
    const split20 sa = split20_vec(&s2[0]), sb = split20_vec(&s2[1]);
    const er_q512_cols ka = ucols(&p->ma), kb = ucols(&p->mb), ky = ucols(&p->my);
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt = n - i < 16 ? n - i : 16;
        __mmask16 m = (__mmask16)((1u << cnt) - 1);
        __m512i da = _mm512_sub_epi32(
            _mm512_cvtepu8_epi32(_mm_xor_si128(_mm_maskz_loadu_epi8(m, a + i), ax)), azu);
        __m512i db = _mm512_sub_epi32(
            _mm512_cvtepu8_epi32(_mm_xor_si128(_mm_maskz_loadu_epi8(m, b + i), bx)), bzu);
        __m512i v;
        if (is_mul) {
            v = mbqm16(_mm512_slli_epi32(_mm512_mullo_epi32(da, db), ER_QMUL_SHIFT), &ky, &p->my);
        } else if (split) {
            v = mbqm16(_mm512_add_epi32(split20_mbqm(da, &sa), split20_mbqm(db, &sb)), &ky, &p->my);
        } else {
            __m512i ra = mbqm16(_mm512_slli_epi32(da, ER_QADD_SHIFT), &ka, &p->ma);
            __m512i rb = mbqm16(_mm512_slli_epi32(db, ER_QADD_SHIFT), &kb, &p->mb);
            v = mbqm16(_mm512_add_epi32(ra, rb), &ky, &p->my);
        }
        v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp);
        _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(v));
    }
}

void er_qu8_vadd__avx512(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    er_qsplit20 s2[2] = {{0}};
    if (er_qsplit20_pair(p, s2)) vbin(n, a, b, y, p, false, s2, true);
    else vbin(n, a, b, y, p, false, s2, false);
}

void er_qu8_vmul__avx512(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    const er_qsplit20 none[2] = {{0}};
    vbin(n, a, b, y, p, true, none, false);
}
#endif
