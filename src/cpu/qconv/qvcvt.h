/* qvcvt.h - float32 -> uint8/int8 quantization (QuantizeLinear's common
 * case), vectorized with the reference's exact arithmetic (ops/quantize.c):
 *   y = clamp(rintf(x / scale) + zp, lo, hi), NaN -> zp
 * with a float32 division (not a multiplication by 1/scale, which rounds
 * differently) and rintf's round-half-to-even. */
#ifndef ER_CPU_QCONV_QVCVT_H
#define ER_CPU_QCONV_QVCVT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "core/tensor.h"

typedef struct er_qvcvt_params {
    float scale;
    int32_t zp, lo, hi; /* lo/hi: the output dtype's range */
} er_qvcvt_params;

typedef void (*er_qvcvt_fn)(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p);

void er_f32_qvcvt__scalar(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p);
#if defined(__x86_64__)
void er_f32_qvcvt__avx2(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p);
void er_f32_qvcvt__avx512(size_t n, const float *x, uint8_t *y, const er_qvcvt_params *p);
#endif

/* The variant for an ISA level. */
er_qvcvt_fn er_qvcvt_pick(er_isa isa);

#endif
