/* er_f32_winograd__avx512.c - Winograd F(4x4, 3x3) tile transforms, AVX-512 flags,
 * channel chunks of 16. See winograd.h; the code is in winograd_impl.h. */
#include "cpu/conv/winograd.h"
#if ER_ARCH_X86_64
#define WG_SUFFIX avx512
#define WG_VW 16
#include "cpu/conv/winograd_impl.h"
#endif
