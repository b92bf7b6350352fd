/* er_f32_interleave3__avx2.c - 8 pixels per step: each output register is
 * three lane permutes blended together (interleave.h). */
#include "cpu/layout/interleave.h"

#if ER_ARCH_X86_64
#include <immintrin.h>

void er_f32_interleave3__avx2(float *y, const float *x0, const float *x1, const float *x2,
                              size_t n) {
    /* output register k holds y[8k .. 8k+7]: element j is channel
     * (8k+j) % 3 of pixel (8k+j) / 3 */
    __m256i idx[3];
    __m256 sel1[3], sel2[3]; /* lanes taken from x1 / x2 (sign bit set) */
    for (int k = 0; k < 3; k++) {
        int id[8];
        float s1[8], s2[8];
        for (int j = 0; j < 8; j++) {
            int e = 8 * k + j;
            id[j] = e / 3;
            s1[j] = e % 3 == 1 ? -1.0f : 0.0f;
            s2[j] = e % 3 == 2 ? -1.0f : 0.0f;
        }
        idx[k] = _mm256_loadu_si256((const __m256i *)id);
        sel1[k] = _mm256_loadu_ps(s1);
        sel2[k] = _mm256_loadu_ps(s2);
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_loadu_ps(x0 + i), b = _mm256_loadu_ps(x1 + i),
                     c = _mm256_loadu_ps(x2 + i);
        for (int k = 0; k < 3; k++) {
            __m256 v = _mm256_permutevar8x32_ps(a, idx[k]);
            v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(b, idx[k]), sel1[k]);
            v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(c, idx[k]), sel2[k]);
            _mm256_storeu_ps(y + 3 * i + 8 * (size_t)k, v);
        }
    }
    er_f32_interleave3__scalar(y + 3 * i, x0 + i, x1 + i, x2 + i, n - i);
}
#endif
