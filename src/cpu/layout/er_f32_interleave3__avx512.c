/* er_f32_interleave3__avx512.c - 16 pixels per step: the three planes'
 * registers are merged by two vpermt2ps per output register (interleave.h). */
#include "cpu/layout/interleave.h"

#if ER_ARCH_X86_64
#include <immintrin.h>

void er_f32_interleave3__avx512(float *y, const float *x0, const float *x1, const float *x2,
                                size_t n) {
    /* output register k holds y[16k .. 16k+15]: element j is channel
     * (16k+j) % 3 of pixel (16k+j) / 3. First x0/x1 are merged (index bit 4
     * picks x1), then x2's elements replace the lanes they own. */
    __m512i rg[3], bi[3];
    __mmask16 bm[3];
    for (int k = 0; k < 3; k++) {
        int irg[16], ib[16];
        unsigned m = 0;
        for (int j = 0; j < 16; j++) {
            int e = 16 * k + j, pix = e / 3, c = e % 3; /* pix < 16 */
            irg[j] = c == 1 ? 16 + pix : pix;
            ib[j] = pix;
            if (c == 2) m |= 1u << j;
        }
        rg[k] = _mm512_loadu_si512(irg);
        bi[k] = _mm512_loadu_si512(ib);
        bm[k] = (__mmask16)m;
    }
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 a = _mm512_loadu_ps(x0 + i), b = _mm512_loadu_ps(x1 + i),
                     c = _mm512_loadu_ps(x2 + i);
        for (int k = 0; k < 3; k++) {
            __m512 v = _mm512_permutex2var_ps(a, rg[k], b);
            v = _mm512_mask_permutexvar_ps(v, bm[k], bi[k], c);
            _mm512_storeu_ps(y + 3 * i + 16 * (size_t)k, v);
        }
    }
    er_f32_interleave3__scalar(y + 3 * i, x0 + i, x1 + i, x2 + i, n - i);
}
#endif
