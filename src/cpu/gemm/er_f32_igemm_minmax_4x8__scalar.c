/* er_f32_igemm_minmax_4x8__scalar.c - portable C indirect GEMM, 4 rows x 8
 * columns. See gemm.h for the contract.
 *
 * Plain C with fixed-size inner loops over the 8 columns, which compilers turn
 * into vector code (SSE2 on x86-64, NEON on aarch64) without any intrinsics;
 * the row count is a compile-time constant per instance (1..4) so the
 * accumulators stay in registers. */
#include "cpu/gemm/igemm_variant.h"

#define NR 8

ER_ALWAYS_INLINE void igemm_scalar_tile(const int ROWS, const int MRS, const int NRV, size_t nc,
                                        size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t c_stride,
                                        const float *z, size_t z_stride,
                                        const er_f32_minmax_params *p) {
    (void)NRV;
    const float vmin = p->min, vmax = p->max;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        float acc[4][NR];
        for (int i = 0; i < ROWS; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = w[j];
        w += NR;
        const float *const *ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[4];
            for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
            ap += MRS;
            for (size_t k = 0; k < kc; k++) {
                for (int i = 0; i < ROWS; i++) {
                    const float av = ar[i][k];
                    for (int j = 0; j < NR; j++) acc[i][j] += av * w[j];
                }
                w += NR;
            }
        }
        size_t n = nc - j0 < NR ? nc - j0 : NR;
        for (int i = 0; i < ROWS; i++) {
            float *cp = c + (size_t)i * c_stride + j0;
            const float *zp = z ? z + (size_t)i * z_stride + j0 : NULL;
            for (size_t j = 0; j < n; j++) {
                float v = acc[i][j];
                if (zp) v += zp[j];
                v = v < vmin ? vmin : v;
                cp[j] = v > vmax ? vmax : v;
            }
        }
    }
}

ER_IGEMM_DEFINE(er_f32_igemm_minmax_4x8__scalar, igemm_scalar_tile, 4, 1)
