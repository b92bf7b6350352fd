/* spatial.h - sliding-window geometry shared by Conv, ConvTranspose, the
 * pooling ops and MaxUnpool.
 *
 * An N-d window op sees an input of shape [N, C, D1..Dn]; along each spatial
 * axis i the window has `kernel[i]` taps spaced `dilation[i]` apart, moves
 * by `stride[i]` and the input is virtually padded by pad_begin[i] and
 * pad_end[i] zeros (or "nothing" for pools). Output position o reads input
 * positions o*stride - pad_begin + k*dilation, k in [0, kernel).
 *
 * The output size follows the ONNX shape inference of Conv / MaxPool /
 * AveragePool (opset 11..19):
 *   NOTSET/VALID: out = floor_or_ceil((in + pads - ((k-1)*d + 1)) / s) + 1
 *   SAME_*:       out = ceil(in / s), total pad = max(0, (out-1)*s + (k-1)*d+1 - in),
 *                 SAME_UPPER puts the odd unit at the end, SAME_LOWER at the start.
 * With ceil_mode a last window that would start inside the end padding is
 * dropped (PyTorch and ONNX >= 1.16 reference), so every window overlaps the
 * input. */
#ifndef ER_OPS_SPATIAL_H
#define ER_OPS_SPATIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

#define ER_WIN_MAX_DIMS (ER_MAX_RANK - 2)

typedef struct er_window {
    int n; /* spatial dims */
    int64_t in[ER_WIN_MAX_DIMS], out[ER_WIN_MAX_DIMS];
    int64_t kernel[ER_WIN_MAX_DIMS], stride[ER_WIN_MAX_DIMS], dilation[ER_WIN_MAX_DIMS];
    int64_t pad_begin[ER_WIN_MAX_DIMS], pad_end[ER_WIN_MAX_DIMS];
} er_window;

/* auto_pad attribute values. */
typedef enum { ER_PAD_NOTSET, ER_PAD_SAME_UPPER, ER_PAD_SAME_LOWER, ER_PAD_VALID } er_auto_pad;

/* Reads the auto_pad attribute; fails on an unknown value. */
er_status er_window_auto_pad(const er_op_ctx *c, er_auto_pad *out);

/* Reads kernel_shape, strides, dilations and pads of c's node for n spatial
 * dims into w (defaults: stride 1, dilation 1, pads 0) and validates them.
 * `kernel` gives the kernel dims when they come from a weight tensor (the
 * attribute, if present, must agree); NULL makes kernel_shape required.
 * Does not compute out[] nor apply auto_pad. */
er_status er_window_read(const er_op_ctx *c, int n, const int64_t *kernel, er_window *w);

/* Full forward geometry (Conv, pools): er_window_read, then auto_pad and
 * the output dims for spatial input dims `in`. Fails when an output dim
 * would be below 1 (or below 0 for an empty input). */
er_status er_window_init(const er_op_ctx *c, int n, const int64_t *in, const int64_t *kernel,
                         bool ceil_mode, er_window *w);

/* Number of output spatial positions / input spatial positions. */
int64_t er_window_out_size(const er_window *w);
int64_t er_window_in_size(const er_window *w);

/* For output coordinate o along axis i: the first and one-past-last kernel
 * taps whose input position lies inside [0, in). *k_lo >= *k_hi means none. */
void er_window_taps(const er_window *w, int i, int64_t o, int64_t *k_lo, int64_t *k_hi);

#endif
