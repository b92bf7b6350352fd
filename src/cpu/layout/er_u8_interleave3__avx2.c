/* er_u8_interleave3__avx2.c - planar bytes to interleaved RGB (interleave.h):
 * 16 pixels per step, each 16-byte output vector the OR of three byte
 * shuffles (pshufb: a source byte index per output byte, 0x80 = zero), the
 * classic SSSE3 RGB interleave; the int8 model input's NCHW -> NHWC. Compiled
 * with the AVX2 flags (pshufb itself is SSSE3). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/layout/interleave.h"

#define Z -128
void er_u8_interleave3__avx2(unsigned char *y, const unsigned char *x0, const unsigned char *x1,
                             const unsigned char *x2, size_t n) {
    /* m[v][c]: byte k of output vector v takes pixel m[k] of channel c */
    const __m128i m00 = _mm_setr_epi8(0, Z, Z, 1, Z, Z, 2, Z, Z, 3, Z, Z, 4, Z, Z, 5),
                  m01 = _mm_setr_epi8(Z, 0, Z, Z, 1, Z, Z, 2, Z, Z, 3, Z, Z, 4, Z, Z),
                  m02 = _mm_setr_epi8(Z, Z, 0, Z, Z, 1, Z, Z, 2, Z, Z, 3, Z, Z, 4, Z),
                  m10 = _mm_setr_epi8(Z, Z, 6, Z, Z, 7, Z, Z, 8, Z, Z, 9, Z, Z, 10, Z),
                  m11 = _mm_setr_epi8(5, Z, Z, 6, Z, Z, 7, Z, Z, 8, Z, Z, 9, Z, Z, 10),
                  m12 = _mm_setr_epi8(Z, 5, Z, Z, 6, Z, Z, 7, Z, Z, 8, Z, Z, 9, Z, Z),
                  m20 = _mm_setr_epi8(Z, 11, Z, Z, 12, Z, Z, 13, Z, Z, 14, Z, Z, 15, Z, Z),
                  m21 = _mm_setr_epi8(Z, Z, 11, Z, Z, 12, Z, Z, 13, Z, Z, 14, Z, Z, 15, Z),
                  m22 = _mm_setr_epi8(10, Z, Z, 11, Z, Z, 12, Z, Z, 13, Z, Z, 14, Z, Z, 15);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i r = _mm_loadu_si128((const __m128i *)(x0 + i)),
                g = _mm_loadu_si128((const __m128i *)(x1 + i)),
                b = _mm_loadu_si128((const __m128i *)(x2 + i));
        __m128i o0 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, m00), _mm_shuffle_epi8(g, m01)),
                                  _mm_shuffle_epi8(b, m02));
        __m128i o1 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, m10), _mm_shuffle_epi8(g, m11)),
                                  _mm_shuffle_epi8(b, m12));
        __m128i o2 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, m20), _mm_shuffle_epi8(g, m21)),
                                  _mm_shuffle_epi8(b, m22));
        _mm_storeu_si128((__m128i *)(y + 3 * i), o0);
        _mm_storeu_si128((__m128i *)(y + 3 * i + 16), o1);
        _mm_storeu_si128((__m128i *)(y + 3 * i + 32), o2);
    }
    er_u8_interleave3__scalar(y + 3 * i, x0 + i, x1 + i, x2 + i, n - i);
}
#undef Z
#endif
