/* er_qu8_qc8w_igemm_4x16c4__avxvnni.c - int8 GEMM microkernel for AVX-VNNI
 * (VEX vpdpbusd on ymm; Alder Lake and later, no AVX-512): 4 rows x 16
 * columns on the AVX2 tile. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/qconv/qgemm_variant.h"

#define ER_QDOT4(acc, av, w, wlo, whi) ((void)(wlo), (void)(whi), _mm256_dpbusd_avx_epi32(acc, av, w))
#define ER_QWIDEN 0
#include "cpu/qconv/qgemm_avx2_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_4x16c4__avxvnni, tile, 4)
#endif
