/* dwconv.h - float32 depthwise convolution microkernels (NHWC, channel
 * vectorized): one output row per call, all channels.
 *
 *   y[x][c] = min(max(bias[c] + sum_{i<kh, j<kw} X_i[x*stride - pad_left + j*dil][c] * W[i*kw+j][c]
 *                     + z[x][c], min), max)
 *
 *   X_i  r->rows[i]: input row i of the window (pixel 0, channel 0; pixels
 *        r->pixel_stride floats apart); a padding row points at r->zero,
 *        which holds in_w * pixel_stride zeros. A column outside [0, in_w)
 *        is padding too and contributes nothing.
 *   w    packed [1 + kh*kw][cpad]: row 0 the biases, row 1+t tap t's weights,
 *        cpad = channels rounded up to ER_DWCONV_CPAD (zero-filled), 64-byte
 *        aligned.
 *   y    output pixel x at y + x*y_stride floats; z NULL or a residual with
 *        the same geometry. Only channels [0, channels) are written; no input
 *        is read outside its row's [0, in_w) pixels and [0, channels).
 * Output columns [x_lo, x_hi) (er_dwconv_interior computes them) have every
 * tap inside the row and take a path with plain address arithmetic; border
 * columns skip the taps outside the row. Sums run over the taps in a fixed
 * order per variant (FMA where the ISA has it).
 *
 * Variants are named er_f32_dwconv_minmax_<taps>p<CT>c__<isa> (taps "any" =
 * any kh x kw; 9 = 3x3 and 25 = 5x5 keep a channel tile's tap weights in
 * registers across the row), one file each, listed in dwconv.inc. */
#ifndef ER_CPU_CONV_DWCONV_H
#define ER_CPU_CONV_DWCONV_H

#include <stddef.h>

#include "cpu/gemm/gemm.h"

/* The most kernel rows a depthwise microkernel takes. */
#define ER_DW_ROWS_MAX 16

typedef struct er_f32_dwconv_row {
    const float *const *rows; /* kh <= ER_DW_ROWS_MAX row pointers; padding rows at zero */
    size_t kh, kw;
    size_t in_w, pixel_stride; /* input row width (pixels), floats per pixel */
    size_t stride, dil;        /* horizontal */
    size_t pad_left;
    size_t out_w, x_lo, x_hi;  /* output width; columns with every tap inside */
    const float *zero;         /* in_w * pixel_stride zeros */
} er_f32_dwconv_row;

typedef void (*er_f32_dwconv_fn)(size_t channels, const er_f32_dwconv_row *r, const float *w,
                                 size_t cpad, float *y, size_t y_stride, const float *z,
                                 size_t z_stride, const er_f32_minmax_params *p);

typedef struct er_f32_dwconv_ukernel {
    const char *name;
    er_isa isa;
    int kh, kw; /* the window it is specialised for; 0, 0: any */
    int ct;   /* channel tile (vector width) */
    er_f32_dwconv_fn fn;
} er_f32_dwconv_ukernel;

#define ER_DWCONV_UKERNEL(isa, fn, kh, kw, ct)                                                   \
    void fn(size_t channels, const er_f32_dwconv_row *r, const float *w, size_t cpad, float *y,  \
            size_t y_stride, const float *z, size_t z_stride, const er_f32_minmax_params *p);
#include "cpu/conv/dwconv.inc"
#undef ER_DWCONV_UKERNEL

/* Channel padding of the packed weights (the widest channel tile). */
#define ER_DWCONV_CPAD 16

const er_f32_dwconv_ukernel *er_f32_dwconv_ukernels(size_t *count);
/* The kernel for a kh x kw window at an ISA level: a specialised one if the
 * level has it, else the level's any-window kernel. */
const er_f32_dwconv_ukernel *er_f32_dwconv_pick(er_isa isa, int64_t kh, int64_t kw);

/* Sets r->x_lo, r->x_hi: the output columns whose taps all lie in [0, in_w). */
static inline void er_dwconv_interior(er_f32_dwconv_row *r) {
    size_t lo = (r->pad_left + r->stride - 1) / r->stride, hi = 0;
    size_t span = (r->kw - 1) * r->dil;
    if (r->in_w + r->pad_left >= span + 1) hi = (r->in_w - 1 + r->pad_left - span) / r->stride + 1;
    if (hi > r->out_w) hi = r->out_w;
    if (lo > r->out_w) lo = r->out_w;
    if (hi < lo) hi = lo;
    r->x_lo = lo;
    r->x_hi = hi;
}

#endif
