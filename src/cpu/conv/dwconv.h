/* dwconv.h - float32 depthwise convolution microkernels (NHWC, channel
 * vectorized): one output row segment per call.
 *
 *   y[x][c] = min(max(bias[c] + sum_{t<ks} in[x*ks+t][c] * W[t][c] + z[x][c], min), max)
 *
 *   in  width*ks pointers: in[x*ks + t] is the input pixel (channel 0) that
 *       tap t of output pixel x reads, or the plan's zero row (padding);
 *       `channels` floats are read from each.
 *   w   packed [1 + ks][cpad]: row 0 the biases, row 1+t tap t's weights,
 *       cpad = channels rounded up to 16 (zero-filled), 64-byte aligned.
 *   y   output pixel x at y + x*y_stride (floats); z NULL or a residual with
 *       the same geometry. Only channels [0, channels) are written.
 * The sum runs over taps in order (FMA where the ISA has it).
 *
 * Variants are named er_f32_dwconv_minmax_<taps>p<CT>c__<isa> (taps "any" =
 * a run-time tap count; 9 = 3x3 and 25 = 5x5 keep the tap weights of a
 * channel tile in registers across the row), one file each, listed in
 * dwconv.inc. */
#ifndef ER_CPU_CONV_DWCONV_H
#define ER_CPU_CONV_DWCONV_H

#include <stddef.h>

#include "cpu/gemm/gemm.h"

typedef void (*er_f32_dwconv_fn)(size_t channels, size_t width, size_t ks,
                                 const float *const *in, const float *w, size_t cpad, float *y,
                                 size_t y_stride, const float *z, size_t z_stride,
                                 const er_f32_minmax_params *p);

typedef struct er_f32_dwconv_ukernel {
    const char *name;
    er_isa isa;
    int taps; /* 0: any tap count */
    int ct;   /* channel tile (vector width) */
    er_f32_dwconv_fn fn;
} er_f32_dwconv_ukernel;

#define ER_DWCONV_UKERNEL(isa, fn, taps, ct)                                                   \
    void fn(size_t channels, size_t width, size_t ks, const float *const *in, const float *w,  \
            size_t cpad, float *y, size_t y_stride, const float *z, size_t z_stride,           \
            const er_f32_minmax_params *p);
#include "cpu/conv/dwconv.inc"
#undef ER_DWCONV_UKERNEL

/* Channel padding of the packed weights (the widest channel tile). */
#define ER_DWCONV_CPAD 16

const er_f32_dwconv_ukernel *er_f32_dwconv_ukernels(size_t *count);
/* The kernel for `taps` at an ISA level: a specialised one if the level has
 * it, else the level's any-tap kernel. */
const er_f32_dwconv_ukernel *er_f32_dwconv_pick(er_isa isa, int taps);

#endif
