/* er_f32_igemm_minmax_7x16__avx512.c - AVX-512 indirect GEMM, 7 rows x 16 columns
 * (7 zmm accumulators). See gemm.h for the contract, igemm_avx512.h for the body. */
#include "cpu/gemm/gemm.h"

#if ER_ARCH_X86_64
#include "cpu/gemm/igemm_avx512.h"

ER_IGEMM_DEFINE(er_f32_igemm_minmax_7x16__avx512, igemm_avx512_tile, 7, 1)
#endif
