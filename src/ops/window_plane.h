/* window_plane.h - the reference convolution's traversal of one input plane
 * against one kernel, shared by the float Conv (conv.c) and the integer
 * ConvInteger/QLinearConv accumulation (int_accum.c):
 *
 *   ER_WINDOW_PLANE(name, XT, KT, YT, SKIP, MAC)
 *
 * defines static void name(const er_window *w, const XT *x, const KT *k,
 * YT *y): for every kernel tap t (value kv = k[t]) and every output row, the
 * contiguous run of the last output dim whose inputs lie inside the image
 * gets MAC(y[j], kv, x[j * stride]) — tap by tap, so the inner loop is a
 * plain strided multiply-add. SKIP(kv) true skips a tap (integer kernels skip
 * zero weights; float ones must not: 0 * inf is NaN). */
#ifndef ER_OPS_WINDOW_PLANE_H
#define ER_OPS_WINDOW_PLANE_H

#include <stdbool.h>

#include "spatial.h"

#define ER_WINDOW_PLANE(NAME, XT, KT, YT, SKIP, MAC)                                           \
    static void NAME(const er_window *w, const XT *x, const KT *k, YT *y) {                    \
        int n = w->n, last = n - 1;                                                            \
        int64_t in_stride[ER_WIN_MAX_DIMS], rows_out = 1;                                      \
        in_stride[last] = 1;                                                                   \
        for (int i = last - 1; i >= 0; i--) in_stride[i] = in_stride[i + 1] * w->in[i + 1];    \
        for (int i = 0; i < last; i++) rows_out *= w->out[i];                                  \
        int64_t s = w->stride[last], wout = w->out[last];                                      \
        int64_t tap[ER_WIN_MAX_DIMS] = {0};                                                    \
        int64_t ksize = 1;                                                                     \
        for (int i = 0; i < n; i++) ksize *= w->kernel[i];                                     \
        for (int64_t t = 0; t < ksize; t++) {                                                  \
            const KT kv = k[t];                                                                \
            /* pos = ow*s + off lies in [0, in) for ow in [lo, hi) */                          \
            int64_t off = tap[last] * w->dilation[last] - w->pad_begin[last];                  \
            int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;                                    \
            int64_t hi = w->in[last] - off <= 0 ? 0 : (w->in[last] - off + s - 1) / s;         \
            if (hi > wout) hi = wout;                                                           \
            int64_t o[ER_WIN_MAX_DIMS] = {0};                                                  \
            for (int64_t r = 0; !(SKIP(kv)) && r < rows_out && lo < hi; r++) {                 \
                bool valid = true;                                                             \
                int64_t base = 0;                                                              \
                for (int i = 0; i < last; i++) {                                               \
                    int64_t pos = o[i] * w->stride[i] - w->pad_begin[i] + tap[i] * w->dilation[i]; \
                    if (pos < 0 || pos >= w->in[i]) valid = false;                             \
                    base += pos * in_stride[i];                                                \
                }                                                                              \
                if (valid) {                                                                   \
                    YT *yr = y + r * wout + lo;                                                \
                    const XT *xr = x + base + lo * s + off; /* input of column lo */           \
                    int64_t cnt = hi - lo;                                                     \
                    if (s == 1)                                                                \
                        for (int64_t j = 0; j < cnt; j++) MAC(yr[j], kv, xr[j]);               \
                    else                                                                       \
                        for (int64_t j = 0; j < cnt; j++) MAC(yr[j], kv, xr[j * s]);           \
                }                                                                              \
                for (int i = last - 1; i >= 0; i--) {                                          \
                    if (++o[i] < w->out[i]) break;                                             \
                    o[i] = 0;                                                                  \
                }                                                                              \
            }                                                                                  \
            for (int i = last; i >= 0; i--) {                                                  \
                if (++tap[i] < w->kernel[i]) break;                                            \
                tap[i] = 0;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

#endif
