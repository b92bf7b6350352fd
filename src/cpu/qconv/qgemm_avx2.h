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

/* MBQM on 4 sign-extended lanes; the result's low dwords are exact. */
ER_QALWAYS_INLINE __m256i er_q256_mbqm4(__m256i x64, const int64_t *mult, const int64_t *cpos,
                                        const int64_t *dneg, const int64_t *rsh) {
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    __m256i p = _mm256_mul_epi32(x64, _mm256_loadu_si256((const __m256i *)mult));
    __m256i t = _mm256_add_epi64(p, _mm256_loadu_si256((const __m256i *)cpos));
    __m256i neg = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-((int64_t)1 << 30)), p);
    t = _mm256_sub_epi64(t, _mm256_and_si256(neg, _mm256_loadu_si256((const __m256i *)dneg)));
    __m256i s = _mm256_loadu_si256((const __m256i *)rsh);
    __m256i u = _mm256_srlv_epi64(_mm256_xor_si256(t, sign), s);
    return _mm256_sub_epi64(u, _mm256_srlv_epi64(sign, s));
}

/* 8 columns: clamp(MBQM(acc), lo, hi) + zp as int32 lanes (see
 * er_q512_requant16 for q, nr, j). */
ER_QALWAYS_INLINE __m256i er_q256_requant8(__m256i acc, const unsigned char *q, size_t nr,
                                           size_t j, int has_left, __m256i lo, __m256i hi,
                                           __m256i zp) {
    const int64_t *mult = (const int64_t *)q + j, *cpos = mult + nr, *dneg = cpos + nr,
                  *rsh = dneg + nr;
    if (has_left)
        acc = er_q256_sat_left(acc, _mm256_loadu_si256(
                                        (const __m256i *)((const int32_t *)((const int64_t *)q +
                                                                            4 * nr) + j)));
    __m256i x0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc));
    __m256i x1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1));
    __m256i y0 = er_q256_mbqm4(x0, mult, cpos, dneg, rsh);
    __m256i y1 = er_q256_mbqm4(x1, mult + 4, cpos + 4, dneg + 4, rsh + 4);
    /* low dwords of y0, y1 in order */
    __m256 s = _mm256_shuffle_ps(_mm256_castsi256_ps(y0), _mm256_castsi256_ps(y1), 0x88);
    __m256i y = _mm256_permute4x64_epi64(_mm256_castps_si256(s), 0xd8);
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
