/* qgemm_avx512.h - AVX-512 pieces shared by the int8 variants compiled for
 * AVX-512 (the GEMM microkernels, depthwise, pools): the exact fixed-point
 * epilogue on 16 int32 lanes (er_qrequant of qgemm.h, vectorized).
 *
 * Include only from files compiled with AVX-512 F/BW/DQ/VL enabled. */
#ifndef ER_CPU_QCONV_QGEMM_AVX512_H
#define ER_CPU_QCONV_QGEMM_AVX512_H

#include <immintrin.h>

#include "cpu/qconv/qgemm_variant.h"

/* sat32(acc << left) per lane (left in [0, 30]). */
ER_QALWAYS_INLINE __m512i er_q512_sat_left(__m512i acc, __m512i left) {
    __m512i t = _mm512_sllv_epi32(acc, left);
    __mmask16 ovf = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(t, left), acc);
    __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(acc, 31), _mm512_set1_epi32(INT32_MAX));
    return _mm512_mask_mov_epi32(t, ovf, sat);
}

/* MBQM of the 8 even (odd: pass acc >> 32) int32 lanes of x with the 8
 * int64 constants at mult/cpos/dneg/rsh; the results sit in the low halves
 * of the 64-bit lanes. */
ER_QALWAYS_INLINE __m512i er_q512_mbqm8(__m512i x, const int64_t *mult, const int64_t *cpos,
                                        const int64_t *dneg, const int64_t *rsh) {
    __m512i p = _mm512_mul_epi32(x, _mm512_loadu_si512(mult));
    __m512i t = _mm512_add_epi64(p, _mm512_loadu_si512(cpos));
    __mmask8 neg = _mm512_cmplt_epi64_mask(p, _mm512_set1_epi64(-((int64_t)1 << 30)));
    t = _mm512_mask_sub_epi64(t, neg, t, _mm512_loadu_si512(dneg));
    return _mm512_srav_epi64(t, _mm512_loadu_si512(rsh));
}

/* MBQM of 16 int32 lanes (columns j..j+15 of a panel nr wide, j a multiple
 * of 16; q points at the panel's epilogue arrays, qgemm.h), unclamped. */
ER_QALWAYS_INLINE __m512i er_q512_mbqm16(__m512i acc, const unsigned char *q, size_t nr,
                                         size_t j, int has_left) {
    const int64_t *mult = (const int64_t *)q + j, *cpos = mult + nr, *dneg = cpos + nr,
                  *rsh = dneg + nr;
    if (has_left)
        acc = er_q512_sat_left(
            acc, _mm512_loadu_si512((const int32_t *)((const int64_t *)q + 4 * nr) + j));
    __m512i ye = er_q512_mbqm8(acc, mult, cpos, dneg, rsh);
    __m512i yo = er_q512_mbqm8(_mm512_srli_epi64(acc, 32), mult + 8, cpos + 8, dneg + 8, rsh + 8);
    /* dwords 0, 2, 4, ... of ye and yo, interleaved */
    const __m512i idx = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    return _mm512_permutex2var_epi32(ye, idx, yo);
}

/* 16 columns: clamp(MBQM(acc), lo, hi) + zp as int32 lanes. */
ER_QALWAYS_INLINE __m512i er_q512_requant16(__m512i acc, const unsigned char *q, size_t nr,
                                            size_t j, int has_left, __m512i lo, __m512i hi,
                                            __m512i zp) {
    __m512i y = er_q512_mbqm16(acc, q, nr, j, has_left);
    y = _mm512_min_epi32(_mm512_max_epi32(y, lo), hi);
    return _mm512_add_epi32(y, zp);
}

#endif
