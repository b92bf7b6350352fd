/* interleave.c - the portable level and the per-ISA choice (interleave.h). */
#include "cpu/layout/interleave.h"

void er_f32_interleave3__scalar(float *y, const float *x0, const float *x1, const float *x2,
                                size_t n) {
    for (size_t i = 0; i < n; i++) {
        y[3 * i] = x0[i];
        y[3 * i + 1] = x1[i];
        y[3 * i + 2] = x2[i];
    }
}

er_f32_interleave3_fn er_f32_interleave3_pick(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa >= ER_ISA_AVX512) return er_f32_interleave3__avx512;
    if (isa >= ER_ISA_AVX2) return er_f32_interleave3__avx2;
#else
    (void)isa;
#endif
    return er_f32_interleave3__scalar;
}

void er_u8_interleave3__scalar(unsigned char *y, const unsigned char *x0, const unsigned char *x1,
                               const unsigned char *x2, size_t n) {
    for (size_t i = 0; i < n; i++) {
        y[3 * i] = x0[i];
        y[3 * i + 1] = x1[i];
        y[3 * i + 2] = x2[i];
    }
}

er_u8_interleave3_fn er_u8_interleave3_pick(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa >= ER_ISA_AVX2) return er_u8_interleave3__avx2;
#else
    (void)isa;
#endif
    return er_u8_interleave3__scalar;
}
