/* qgemm_avx2.h - AVX2 pieces shared by the int8 variants compiled for AVX2
 * (and AVX-VNNI): the exact fixed-point epilogue on 8 int32 lanes
 * (er_qrequant of qgemm.h, vectorized) and an 8-lane byte store.
 *
 * AVX2 has no 64-bit arithmetic shift, so t >> s (arithmetic) is computed as
 * ((t + 2^63) >> s, logical) - 2^(63 - s): adding 2^63 maps the signed range
 * onto the unsigned one without overflow (|t| < 2^63), and the low 32 bits of
 * the difference are those of the arithmetic shift, which is all the clamp
 * needs (the result fits int32).
 *
 * Include only from files compiled with AVX2 enabled. */
#ifndef ER_CPU_QCONV_QGEMM_AVX2_H
#define ER_CPU_QCONV_QGEMM_AVX2_H

#include <immintrin.h>

#include "cpu/qconv/qgemm_variant.h"

ER_QALWAYS_INLINE __m256i er_q256_sat_left(__m256i acc, __m256i left) {
    __m256i t = _mm256_sllv_epi32(acc, left);
    __m256i ok = _mm256_cmpeq_epi32(_mm256_srav_epi32(t, left), acc);
    __m256i sat = _mm256_xor_si256(_mm256_srai_epi32(acc, 31), _mm256_set1_epi32(INT32_MAX));
    return _mm256_blendv_epi8(sat, t, ok);
}

/* MBQM of the 4 even (odd: pass acc >> 32) int32 lanes of x with the 4 int64
 * constants at mult/cpos/dneg/rsh; results in the low halves of the lanes.
 * AVX2 has no 64-bit arithmetic shift: it is a logical one of t ^ 2^63 minus
 * 2^(63 - rsh). nonneg (a constant once inlined): x >= 0 (the caller clamped
 * it, er_q256_requant8), so p, t >= 0 and neither the negative-rounding
 * correction nor the shift emulation is needed. */
ER_QALWAYS_INLINE __m256i er_q256_mbqm4(__m256i x, const int64_t *mult, const int64_t *cpos,
                                        const int64_t *dneg, const int64_t *rsh, int nonneg) {
    __m256i p = _mm256_mul_epi32(x, _mm256_loadu_si256((const __m256i *)mult));
    __m256i t = _mm256_add_epi64(p, _mm256_loadu_si256((const __m256i *)cpos));
    __m256i s = _mm256_loadu_si256((const __m256i *)rsh);
    if (nonneg) return _mm256_srlv_epi64(t, s);
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    __m256i neg = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-((int64_t)1 << 30)), p);
    t = _mm256_sub_epi64(t, _mm256_and_si256(neg, _mm256_loadu_si256((const __m256i *)dneg)));
    __m256i u = _mm256_srlv_epi64(_mm256_xor_si256(t, sign), s);
    return _mm256_sub_epi64(u, _mm256_srlv_epi64(sign, s));
}

/* 8 columns j..j+7 (j a multiple of 8) of a panel nr wide (nr a multiple of
 * 16, so the constants are in er_qslot order): clamp(MBQM(acc), lo, hi) + zp
 * as int32 lanes. nonneg (a constant once inlined) requires lo >= 0: then a
 * negative acc gives MBQM <= 0 (qgemm.h: p < 0 rounds to at most 0), clamped
 * to lo, the same as acc = 0 (MBQM 0), so acc is clamped at 0 first. */
ER_QALWAYS_INLINE __m256i er_q256_requant8(__m256i acc, const unsigned char *q, size_t nr,
                                           size_t j, int has_left, int nonneg, __m256i lo,
                                           __m256i hi, __m256i zp) {
    size_t e = (j & ~(size_t)15) + (j & 15) / 2; /* slot of column j; odd ones 8 further */
    const int64_t *mult = (const int64_t *)q + e, *cpos = mult + nr, *dneg = cpos + nr,
                  *rsh = dneg + nr;
    if (has_left)
        acc = er_q256_sat_left(acc, _mm256_loadu_si256(
                                        (const __m256i *)((const int32_t *)((const int64_t *)q +
                                                                            4 * nr) + j)));
    if (nonneg) acc = _mm256_max_epi32(acc, _mm256_setzero_si256());
    __m256i ye = er_q256_mbqm4(acc, mult, cpos, dneg, rsh, nonneg);
    __m256i yo = er_q256_mbqm4(_mm256_srli_epi64(acc, 32), mult + 8, cpos + 8, dneg + 8, rsh + 8,
                               nonneg);
    __m256i y = _mm256_blend_epi32(ye, _mm256_slli_epi64(yo, 32), 0xaa);
    y = _mm256_min_epi32(_mm256_max_epi32(y, lo), hi);
    return _mm256_add_epi32(y, zp);
}

/* Stores the low bytes of the first cnt (<= 8) lanes of y at dst. */
ER_QALWAYS_INLINE void er_q256_store_bytes(uint8_t *dst, __m256i y, size_t cnt) {
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1, -1);
    __m256i b = _mm256_shuffle_epi8(y, pick);
    __m128i v = _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    if (cnt == 8) {
        _mm_storel_epi64((__m128i *)dst, v);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, v);
        memcpy(dst, tmp, cnt);
    }
}

#endif
