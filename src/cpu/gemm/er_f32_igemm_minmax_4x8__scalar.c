/* er_f32_igemm_minmax_4x8__scalar.c - portable C indirect GEMM, 4 rows x 8
 * columns. See gemm.h for the contract.
 *
 * Written with GCC/Clang vector types of 4 floats (`vector_size(16)`), which
 * every target lowers to its SIMD registers (SSE2 on x86-64, NEON on
 * aarch64) or to scalar code; no intrinsics, no ISA flags. Plain float
 * loops were not vectorized well by GCC 12 (8.8 GFLOP/s, scalar adds). The
 * row count is a compile-time constant per instance (1..4), so the 8
 * accumulators stay in registers. */
#include <string.h>

#include "cpu/gemm/igemm_variant.h"

typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p) {
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

ER_ALWAYS_INLINE void igemm_scalar_tile(const int ROWS, const int MRS, const int NRV, size_t nc,
                                        size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t c_stride,
                                        const float *z, size_t z_stride,
                                        const er_f32_minmax_params *p) {
    (void)NRV;
    const float vmin = p->min, vmax = p->max;
    for (size_t j0 = 0; j0 < nc; j0 += 8) {
        v4f acc[4][2];
        const v4f b0 = load4(w), b1 = load4(w + 4);
        for (int i = 0; i < ROWS; i++) {
            acc[i][0] = b0;
            acc[i][1] = b1;
        }
        w += 8;
        const float *const *ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[4];
            for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
            ap += MRS;
            for (size_t k = 0; k < kc; k++) {
                const v4f w0 = load4(w), w1 = load4(w + 4);
                w += 8;
                for (int i = 0; i < ROWS; i++) {
                    const v4f av = {ar[i][k], ar[i][k], ar[i][k], ar[i][k]};
                    acc[i][0] += av * w0;
                    acc[i][1] += av * w1;
                }
            }
        }
        const size_t n = nc - j0 < 8 ? nc - j0 : 8;
        for (int i = 0; i < ROWS; i++) {
            float out[8];
            memcpy(out, &acc[i][0], sizeof acc[i][0]);
            memcpy(out + 4, &acc[i][1], sizeof acc[i][1]);
            float *cp = c + (size_t)i * c_stride + j0;
            const float *zp = z ? z + (size_t)i * z_stride + j0 : NULL;
            for (size_t j = 0; j < n; j++) {
                float v = out[j];
                if (zp) v += zp[j];
                v = v < vmin ? vmin : v;
                cp[j] = v > vmax ? vmax : v;
            }
        }
    }
}

ER_IGEMM_DEFINE(er_f32_igemm_minmax_4x8__scalar, igemm_scalar_tile, 4, 1)
