/* er_f32_qvcvt__avx2.c - float32 -> 8-bit quantization for AVX2 (qvcvt.h):
 * 8 floats per step, the tail through the portable kernel. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "cpu/qconv/qvcvt.h"

void er_f32_qvcvt__avx2(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p) {
    const __m256 s = _mm256_set1_ps(p->scale);
    const __m256 lo = _mm256_set1_ps((float)(p->lo - p->zp)), hi = _mm256_set1_ps((float)(p->hi - p->zp));
    const __m256i zp = _mm256_set1_epi32(p->zp);
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 q = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
        q = _mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm256_and_ps(q, _mm256_cmp_ps(q, q, _CMP_ORD_Q)); /* NaN -> 0 */
        q = _mm256_min_ps(_mm256_max_ps(q, lo), hi);
        __m256i v = _mm256_shuffle_epi8(_mm256_add_epi32(_mm256_cvtps_epi32(q), zp), pick);
        __m128i b = _mm_unpacklo_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(y + i), b);
    }
    er_f32_qvcvt__scalar(n - i, x + i, y + i, p);
}
#endif
