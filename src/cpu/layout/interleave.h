/* interleave.h - planar channels to interleaved pixels: the model input's
 * NCHW -> NHWC transpose when C = 3 (every image model's first op).
 *
 *   y[3*i + c] = x_c[i]   for i < n, c = 0, 1, 2
 *
 * er_copy_strided does it with stride-3 scalar stores (0.09 ms for a
 * 224x224x3 image, 5% of mobilenet_v3_small); the vector variants permute
 * whole registers instead. Every level writes exactly the scalar result. */
#ifndef ER_CPU_LAYOUT_INTERLEAVE_H
#define ER_CPU_LAYOUT_INTERLEAVE_H

#include <stddef.h>

#include "core/cpu_features.h"
#include "cpu/gemm/gemm.h" /* ER_ARCH_X86_64 */

typedef void (*er_f32_interleave3_fn)(float *y, const float *x0, const float *x1,
                                      const float *x2, size_t n);

void er_f32_interleave3__scalar(float *y, const float *x0, const float *x1, const float *x2,
                                size_t n);
#if ER_ARCH_X86_64
void er_f32_interleave3__avx2(float *y, const float *x0, const float *x1, const float *x2,
                              size_t n);
void er_f32_interleave3__avx512(float *y, const float *x0, const float *x1, const float *x2,
                                size_t n);
#endif

/* The variant for an ISA level (<= the detected one). */
er_f32_interleave3_fn er_f32_interleave3_pick(er_isa isa);

/* The same for bytes (uint8/int8 inputs of quantized models). */
typedef void (*er_u8_interleave3_fn)(unsigned char *y, const unsigned char *x0,
                                     const unsigned char *x1, const unsigned char *x2, size_t n);
void er_u8_interleave3__scalar(unsigned char *y, const unsigned char *x0, const unsigned char *x1,
                               const unsigned char *x2, size_t n);
#if ER_ARCH_X86_64
void er_u8_interleave3__avx2(unsigned char *y, const unsigned char *x0, const unsigned char *x1,
                             const unsigned char *x2, size_t n);
#endif
er_u8_interleave3_fn er_u8_interleave3_pick(er_isa isa);

#endif
