/* er_f32_dwconv_minmax_9p8c__avx2.c - AVX2+FMA depthwise row kernel, 3x3 taps,
 * 8-channel tiles. See dwconv.h for the contract, dwconv_avx2.h for the body. */
#include "cpu/conv/dwconv.h"

#if ER_ARCH_X86_64
#include "cpu/conv/dwconv_avx2.h"

ER_DWCONV_AVX2_DEFINE(er_f32_dwconv_minmax_9p8c__avx2, 3, 3)
#endif
