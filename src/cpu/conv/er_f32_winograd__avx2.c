/* er_f32_winograd__avx2.c - Winograd F(4x4, 3x3) tile transforms, AVX2+FMA flags,
 * channel chunks of 8. See winograd.h; the code is in winograd_impl.h. */
#include "cpu/conv/winograd.h"
#if ER_ARCH_X86_64
#define WG_SUFFIX avx2
#define WG_VW 8
#include "cpu/conv/winograd_impl.h"
#endif
