/* qvcvt.c - float32 -> 8-bit quantization: the choice and the portable
 * kernel (qvcvt.h). */
#include "cpu/qconv/qvcvt.h"

#include <math.h>

void er_f32_qvcvt__scalar(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p) {
    for (size_t i = 0; i < n; i++) {
        float q = rintf(x[i] / p->scale);
        double v = (q == q ? (double)q : 0) + p->zp;
        v = v >= p->hi ? p->hi : v >= p->lo ? v : p->lo;
        y[i] = (uint8_t)(int32_t)v;
    }
}

er_qvcvt_fn er_qvcvt_pick(er_isa isa) {
#if defined(__x86_64__)
    if (isa == ER_ISA_AVX512) return er_f32_qvcvt__avx512;
    if (isa == ER_ISA_AVX2) return er_f32_qvcvt__avx2;
#endif
    (void)isa;
    return er_f32_qvcvt__scalar;
}
