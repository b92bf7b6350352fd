/* er_f32_igemm_minmax_4x24__avx2.c - AVX2+FMA indirect GEMM, 4 rows x 24 columns
 * (12 ymm accumulators). See gemm.h for the contract, igemm_avx2.h for the body. */
#include "cpu/gemm/gemm.h"

#if ER_ARCH_X86_64
#include "cpu/gemm/igemm_avx2.h"

ER_IGEMM_DEFINE(er_f32_igemm_minmax_4x24__avx2, igemm_avx2_tile, 4, 3)
#endif
