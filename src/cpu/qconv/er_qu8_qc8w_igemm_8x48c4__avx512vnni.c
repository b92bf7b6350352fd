/* er_qu8_qc8w_igemm_8x48c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 8 rows x 48 columns (24 zmm accumulators). */
#if defined(__x86_64__)
#define QT_NV 3
#define QT_MR 8
#include "cpu/qconv/qgemm_vnni512_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_8x48c4__avx512vnni, tile, 8)
#endif
