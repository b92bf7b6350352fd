/* er_qu8_qc8w_igemm_4x64c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 4 rows x 64 columns (16 zmm accumulators). */
#if defined(__x86_64__)
#define QT_NV 4
#define QT_MR 4
#include "cpu/qconv/qgemm_vnni512_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_4x64c4__avx512vnni, tile, 4)
#endif
