/* er_f32_vact__scalar.c - fused activations in portable C (see vact.h).
 * Float arithmetic with libm's expf/tanhf: loops the compiler can vectorize
 * for the clamp kinds, and no architecture-specific code. Also holds
 * er_f32_vact_pick, the per-ISA choice. */
#include <math.h>

#include "cpu/gemm/vact.h"

void er_f32_vact__scalar(const er_act *a, float *y, size_t n) {
    switch (a->kind) {
    case ER_ACT_NONE: break;
    case ER_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : 0;
        break;
    case ER_ACT_CLIP: {
        const float lo = a->min, hi = a->max;
        for (size_t i = 0; i < n; i++) {
            float v = y[i] < lo ? lo : y[i];
            y[i] = v > hi ? hi : v;
        }
        break;
    }
    case ER_ACT_LEAKY_RELU: {
        const float al = a->alpha;
        for (size_t i = 0; i < n; i++) y[i] = y[i] >= 0 ? y[i] : al * y[i];
        break;
    }
    case ER_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            float e = expf(-fabsf(y[i]));
            y[i] = y[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        }
        break;
    case ER_ACT_HARD_SIGMOID: {
        const float al = a->alpha, be = a->beta;
        for (size_t i = 0; i < n; i++) {
            float v = al * y[i] + be;
            y[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        break;
    }
    case ER_ACT_HARD_SWISH:
        for (size_t i = 0; i < n; i++) {
            float v = y[i] / 6.0f + 0.5f;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            y[i] = y[i] * v;
        }
        break;
    case ER_ACT_SILU:
        for (size_t i = 0; i < n; i++) {
            float e = expf(-fabsf(y[i]));
            float s = y[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
            y[i] = y[i] * s;
        }
        break;
    case ER_ACT_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanhf(y[i]);
        break;
    }
}

er_f32_vact_fn er_f32_vact_pick(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa == ER_ISA_AVX512) return er_f32_vact__avx512;
    if (isa == ER_ISA_AVX2) return er_f32_vact__avx2;
#else
    (void)isa;
#endif
    return er_f32_vact__scalar;
}

void er_f32_vexp__scalar(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = expf(y[i]);
}

er_f32_vexp_fn er_f32_vexp_pick(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa == ER_ISA_AVX512) return er_f32_vexp__avx512;
    if (isa == ER_ISA_AVX2) return er_f32_vexp__avx2;
#else
    (void)isa;
#endif
    return er_f32_vexp__scalar;
}
