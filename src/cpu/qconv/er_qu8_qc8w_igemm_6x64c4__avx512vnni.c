/* er_qu8_qc8w_igemm_6x64c4__avx512vnni.c - int8 GEMM microkernel for AVX-512
 * VNNI: 6 rows x 64 columns (24 zmm accumulators). */
#if defined(__x86_64__)
#define QT_NV 4
#define QT_MR 6
#include "cpu/qconv/qgemm_vnni512_tile.h"

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_6x64c4__avx512vnni, tile, 6)
#endif
