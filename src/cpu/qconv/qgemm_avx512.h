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

/* The epilogue constants of 16 columns (columns j..j+15 of a panel nr wide,
 * j a multiple of 16; q points at the panel's epilogue arrays, qgemm.h),
 * loaded once for the rows of a tile: byte stores to the output may alias
 * them (uint8_t), so the compiler would otherwise reload all eight vectors
 * for every row. */
typedef struct er_q512_cols {
    __m512i mult[2], cpos[2], dneg[2], rsh[2], left;
} er_q512_cols;

ER_QALWAYS_INLINE er_q512_cols er_q512_load_cols(const unsigned char *q, size_t nr, size_t j,
                                                 int has_left) {
    const int64_t *mult = (const int64_t *)q + j, *cpos = mult + nr, *dneg = cpos + nr,
                  *rsh = dneg + nr;
    er_q512_cols k;
    for (int h = 0; h < 2; h++) {
        k.mult[h] = _mm512_loadu_si512(mult + 8 * h);
        k.cpos[h] = _mm512_loadu_si512(cpos + 8 * h);
        k.dneg[h] = _mm512_loadu_si512(dneg + 8 * h);
        k.rsh[h] = _mm512_loadu_si512(rsh + 8 * h);
    }
    k.left = has_left ? _mm512_loadu_si512((const int32_t *)((const int64_t *)q + 4 * nr) + j)
                      : _mm512_setzero_si512();
    return k;
}

/* The same constants for every lane (elementwise ops: one scale per tensor). */
ER_QALWAYS_INLINE er_q512_cols er_q512_uniform_cols(int64_t mult, int64_t cpos, int64_t dneg,
                                                    int64_t rsh, int32_t left) {
    er_q512_cols k;
    for (int h = 0; h < 2; h++) {
        k.mult[h] = _mm512_set1_epi64(mult);
        k.cpos[h] = _mm512_set1_epi64(cpos);
        k.dneg[h] = _mm512_set1_epi64(dneg);
        k.rsh[h] = _mm512_set1_epi64(rsh);
    }
    k.left = _mm512_set1_epi32(left);
    return k;
}

/* MBQM of the 8 even (odd: pass x >> 32) int32 lanes of x; the results sit
 * in the low halves of the 64-bit lanes. nonneg (a constant once inlined)
 * skips the rounding correction of negative SRDHM values (qgemm.h), for a
 * caller that clamps at lo >= 0: when p < -2^30 both the corrected and the
 * uncorrected value are <= 0 (SRDHM <= -1, and floor((SRDHM + 2^(e-1)) /
 * 2^e) <= 0), so the clamp makes both lo. Saves 2 of 5 instructions. */
ER_QALWAYS_INLINE __m512i er_q512_mbqm8c(__m512i x, __m512i mult, __m512i cpos, __m512i dneg,
                                         __m512i rsh, int nonneg) {
    __m512i p = _mm512_mul_epi32(x, mult);
    __m512i t = _mm512_add_epi64(p, cpos);
    if (!nonneg) {
        __mmask8 neg = _mm512_cmplt_epi64_mask(p, _mm512_set1_epi64(-((int64_t)1 << 30)));
        t = _mm512_mask_sub_epi64(t, neg, t, dneg);
    }
    return _mm512_srav_epi64(t, rsh);
}

/* The 8 even-lane results ye and the 8 odd-lane results yo (low halves of
 * 64-bit lanes) back into 16 int32 lanes in order. */
ER_QALWAYS_INLINE __m512i er_q512_join16(__m512i ye, __m512i yo) {
    const __m512i idx = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    return _mm512_permutex2var_epi32(ye, idx, yo);
}

/* MBQM of 16 int32 lanes with the constants in registers, unclamped (with
 * nonneg, er_q512_mbqm8c's, only right after a clamp at lo >= 0). */
ER_QALWAYS_INLINE __m512i er_q512_mbqm16c(__m512i acc, const er_q512_cols *k, int has_left,
                                          int nonneg) {
    if (has_left) acc = er_q512_sat_left(acc, k->left);
    __m512i ye = er_q512_mbqm8c(acc, k->mult[0], k->cpos[0], k->dneg[0], k->rsh[0], nonneg);
    __m512i yo = er_q512_mbqm8c(_mm512_srli_epi64(acc, 32), k->mult[1], k->cpos[1], k->dneg[1],
                                k->rsh[1], nonneg);
    return er_q512_join16(ye, yo);
}

/* The same reading columns j..j+15's constants from q where they are used:
 * the loads fold into the arithmetic (memory operands), which keeps the
 * depthwise kernels, four of these per step, out of register spills. */
ER_QALWAYS_INLINE __m512i er_q512_mbqm16(__m512i acc, const unsigned char *q, size_t nr,
                                         size_t j, int has_left, int nonneg) {
    const int64_t *mult = (const int64_t *)q + j, *cpos = mult + nr, *dneg = cpos + nr,
                  *rsh = dneg + nr;
    if (has_left)
        acc = er_q512_sat_left(
            acc, _mm512_loadu_si512((const int32_t *)((const int64_t *)q + 4 * nr) + j));
    return er_q512_join16(
        er_q512_mbqm8c(acc, _mm512_loadu_si512(mult), _mm512_loadu_si512(cpos),
                       _mm512_loadu_si512(dneg), _mm512_loadu_si512(rsh), nonneg),
        er_q512_mbqm8c(_mm512_srli_epi64(acc, 32), _mm512_loadu_si512(mult + 8),
                       _mm512_loadu_si512(cpos + 8), _mm512_loadu_si512(dneg + 8),
                       _mm512_loadu_si512(rsh + 8), nonneg));
}

/* clamp(y, lo, hi) + zp: the requantized value in the output's range. */
ER_QALWAYS_INLINE __m512i er_q512_clamp_zp(__m512i y, __m512i lo, __m512i hi, __m512i zp) {
    return _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(y, lo), hi), zp);
}

/* 16 lanes: clamp(MBQM(acc), lo, hi) + zp, constants in registers; nonneg
 * must be 0 unless lo >= 0 (er_q512_mbqm8c). */
ER_QALWAYS_INLINE __m512i er_q512_requant16c(__m512i acc, const er_q512_cols *k, int has_left,
                                             int nonneg, __m512i lo, __m512i hi, __m512i zp) {
    return er_q512_clamp_zp(er_q512_mbqm16c(acc, k, has_left, nonneg), lo, hi, zp);
}

/* The same, constants read from q. */
ER_QALWAYS_INLINE __m512i er_q512_requant16(__m512i acc, const unsigned char *q, size_t nr,
                                            size_t j, int has_left, int nonneg, __m512i lo,
                                            __m512i hi, __m512i zp) {
    return er_q512_clamp_zp(er_q512_mbqm16(acc, q, nr, j, has_left, nonneg), lo, hi, zp);
}

#endif
