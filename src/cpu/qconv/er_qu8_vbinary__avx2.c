/* er_qu8_vbinary__avx2.c - int8 elementwise add and mul for AVX2
 * (qvbinary.h): 8 elements per step, tails staged through a small buffer.
 * The requantizations are exact: QAdd's operand rescales in the 32-bit form
 * of qvbinary.h (er_qsplit20) where the constants allow it, every other MBQM
 * in the 64-bit form of qgemm_avx2.h (er_q256_mbqm4). */
#if defined(__x86_64__)
#include <string.h>

#include "cpu/qconv/qgemm_avx2.h"
#include "cpu/qconv/qvbinary.h"

/* Uniform constants of one MBQM, four copies each (er_q256_mbqm4 reads
 * arrays: even lanes from [0..3], odd lanes from [4..7], here equal). */
typedef struct {
    int64_t mult[8], cpos[8], dneg[8], rsh[8];
    int32_t left;
} ucols;

static void ucols_make(ucols *k, const er_qcol *q) {
    for (int i = 0; i < 8; i++) {
        k->mult[i] = q->mult;
        k->cpos[i] = q->cpos;
        k->dneg[i] = q->dneg;
        k->rsh[i] = q->rshift;
    }
    k->left = q->left;
}

/* MBQM of 8 int32 lanes with uniform constants. */
ER_QALWAYS_INLINE __m256i mbqm8(__m256i x, const ucols *k) {
    if (k->left) x = er_q256_sat_left(x, _mm256_set1_epi32(k->left));
    __m256i ye = er_q256_mbqm4(x, k->mult, k->cpos, k->dneg, k->rsh, 0);
    __m256i yo = er_q256_mbqm4(_mm256_srli_epi64(x, 32), k->mult + 4, k->cpos + 4, k->dneg + 4,
                               k->rsh + 4, 0);
    return _mm256_blend_epi32(ye, _mm256_slli_epi64(yo, 32), 0xaa);
}

/* er_qsplit20 (qvbinary.h) in vectors. */
typedef struct {
    __m256i mh, ml, cpos, cneg;
    __m128i sh;
} split20;

static split20 split20_vec(const er_qsplit20 *s) {
    split20 k;
    k.mh = _mm256_set1_epi32(s->mh);
    k.ml = _mm256_set1_epi32(s->ml);
    k.cpos = _mm256_set1_epi32(s->cpos);
    k.cneg = _mm256_set1_epi32(s->cneg);
    k.sh = _mm_cvtsi32_si128(s->shift);
    return k;
}

ER_QALWAYS_INLINE __m256i split20_mbqm(__m256i d, const split20 *k) {
    __m256i c = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(k->cpos),
                                                     _mm256_castsi256_ps(k->cneg),
                                                     _mm256_castsi256_ps(d))); /* d < 0 */
    __m256i lo = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(d, k->ml), c), 8);
    return _mm256_sra_epi32(_mm256_add_epi32(_mm256_mullo_epi32(d, k->mh), lo), k->sh);
}

bool er_qu8_vadd_rescale__avx2(size_t n, const int32_t *d, const er_qcol *m, int32_t *out) {
    er_qsplit20 s;
    if (!er_qsplit20_make(m, &s)) return false;
    const split20 k = split20_vec(&s);
    for (size_t i = 0; i < n; i += 8) {
        int32_t t[8] = {0};
        size_t cnt = n - i < 8 ? n - i : 8;
        memcpy(t, d + i, cnt * sizeof *t);
        __m256i v = split20_mbqm(_mm256_loadu_si256((const __m256i *)t), &k);
        _mm256_storeu_si256((__m256i *)t, v);
        memcpy(out + i, t, cnt * sizeof *t);
    }
    return true;
}

/* Eight bytes at p as int32 lanes (x ^ xr) - zu. */
ER_QALWAYS_INLINE __m256i widen8(const uint8_t *p, __m128i xr, __m256i zu) {
    __m128i b = _mm_xor_si128(_mm_loadl_epi64((const __m128i *)p), xr);
    return _mm256_sub_epi32(_mm256_cvtepu8_epi32(b), zu);
}

/* k: ucols of ma, mb, my, filled by the caller where used (ma and mb only
 * for QAdd's 64-bit form: filling them per call is work on a hot path, one
 * call per GEMM tile with a fused residual). */
ER_QALWAYS_INLINE void vbin(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                            const er_qvbin_params *p, bool is_mul, const er_qsplit20 *s2,
                            bool split, const ucols *k) {
    const __m128i ax = _mm_set1_epi8((char)p->a_xor), bx = _mm_set1_epi8((char)p->b_xor);
    const __m256i azu = _mm256_set1_epi32(p->a_zu), bzu = _mm256_set1_epi32(p->b_zu),
                  lo = _mm256_set1_epi32(p->lo), hi = _mm256_set1_epi32(p->hi),
                  zp = _mm256_set1_epi32(p->zp);
    const ucols *ka = &k[0], *kb = &k[1], *ky = &k[2];
    const split20 sa20 = split20_vec(&s2[0]),
                  sb20 = split20_vec(&s2[1]);
    for (size_t i = 0; i < n; i += 8) {
        size_t cnt = n - i < 8 ? n - i : 8;
        uint8_t ta[8], tb[8];
        const uint8_t *pa = a + i, *pb = b + i;
        if (cnt < 8) { /* no read past the end */
            memcpy(ta, pa, cnt);
            memcpy(tb, pb, cnt);
            pa = ta;
            pb = tb;
        }
        __m256i da = widen8(pa, ax, azu), db = widen8(pb, bx, bzu), v;
        if (is_mul) {
            v = mbqm8(_mm256_slli_epi32(_mm256_mullo_epi32(da, db), ER_QMUL_SHIFT), ky);
        } else if (split) {
            v = mbqm8(_mm256_add_epi32(split20_mbqm(da, &sa20), split20_mbqm(db, &sb20)), ky);
        } else {
            __m256i sa = mbqm8(_mm256_slli_epi32(da, ER_QADD_SHIFT), ka);
            __m256i sb = mbqm8(_mm256_slli_epi32(db, ER_QADD_SHIFT), kb);
            v = mbqm8(_mm256_add_epi32(sa, sb), ky);
        }
        v = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, lo), hi), zp);
        er_q256_store_bytes(y + i, v, cnt);
    }
}

void er_qu8_vadd__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                       const er_qvbin_params *p) {
    er_qsplit20 s2[2] = {{0}};
    ucols k[3];
    ucols_make(&k[2], &p->my);
    if (er_qsplit20_pair(p, s2)) {
        vbin(n, a, b, y, p, false, s2, true, k);
    } else {
        ucols_make(&k[0], &p->ma);
        ucols_make(&k[1], &p->mb);
        vbin(n, a, b, y, p, false, s2, false, k);
    }
}

void er_qu8_vmul__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                       const er_qvbin_params *p) {
    const er_qsplit20 none[2] = {{0}};
    ucols k[3];
    ucols_make(&k[2], &p->my);
    vbin(n, a, b, y, p, true, none, false, k);
}
#endif
