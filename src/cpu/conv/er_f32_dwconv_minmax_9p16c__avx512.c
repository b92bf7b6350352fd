/* er_f32_dwconv_minmax_9p16c__avx512.c - AVX-512 depthwise row kernel, 3x3 taps,
 * 16-channel tiles. See dwconv.h for the contract, dwconv_avx512.h for the body. */
#include "cpu/conv/dwconv.h"

#if ER_ARCH_X86_64
#include "cpu/conv/dwconv_avx512.h"

ER_DWCONV_AVX512_DEFINE(er_f32_dwconv_minmax_9p16c__avx512, 3, 3)
#endif
