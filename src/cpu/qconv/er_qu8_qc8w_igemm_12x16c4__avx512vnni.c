/* er_qu8_qc8w_igemm_12x16c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 12 rows x 16 columns (12 zmm accumulators). */
#if defined(__x86_64__)
#define QT_NV 1
#define QT_MR 12
#include "cpu/qconv/qgemm_vnni512_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_12x16c4__avx512vnni, tile, 12)
#endif
