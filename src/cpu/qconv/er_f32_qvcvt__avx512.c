/* er_f32_qvcvt__avx512.c - float32 -> 8-bit quantization for AVX-512
 * (qvcvt.h): 16 floats per step, masked tail. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/qconv/qvcvt.h"

void er_f32_qvcvt__avx512(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p) {
    const __m512 s = _mm512_set1_ps(p->scale);
    const __m512 lo = _mm512_set1_ps((float)(p->lo - p->zp)), hi = _mm512_set1_ps((float)(p->hi - p->zp));
    const __m512i zp = _mm512_set1_epi32(p->zp);
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt = n - i < 16 ? n - i : 16;
        __mmask16 m = (__mmask16)((1u << cnt) - 1);
        __m512 q = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), s);
        q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* NaN -> 0 (then + zp), the clamp is exact on these integers */
        q = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(q, q, _CMP_ORD_Q), q);
        q = _mm512_min_ps(_mm512_max_ps(q, lo), hi);
        __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(q), zp);
        _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(v));
    }
}
#endif
