/* er_qu8_qc8w_igemm_4x16c4__avx2.c - int8 GEMM microkernel for AVX2: 4 rows x
 * 16 columns; each 4-byte dot product is two vpmaddwd on the even and odd
 * bytes widened to int16 (exact, unlike vpmaddubsw, which saturates). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/qconv/qgemm_variant.h"

ER_QALWAYS_INLINE __m256i dot4_avx2(__m256i acc, __m256i av, __m256i wlo, __m256i whi) {
    __m256i alo = _mm256_and_si256(av, _mm256_set1_epi16(0x00ff)); /* (x0, x2) */
    __m256i ahi = _mm256_srli_epi16(av, 8);                          /* (x1, x3) */
    __m256i s = _mm256_add_epi32(_mm256_madd_epi16(alo, wlo), _mm256_madd_epi16(ahi, whi));
    return _mm256_add_epi32(acc, s);
}
#define ER_QDOT4(acc, av, w, wlo, whi) dot4_avx2(acc, av, wlo, whi)
#define ER_QWIDEN 1
#include "cpu/qconv/qgemm_avx2_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_4x16c4__avx2, tile, 4)
#endif
