/* er_qu8_qc8w_igemm_8x32c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 8 rows x 32 columns (16 zmm accumulators). */
#if defined(__x86_64__)
#define QT_NV 2
#define QT_MR 8
#include "cpu/qconv/qgemm_vnni512_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_8x32c4__avx512vnni, tile, 8)
#endif
