/* conv.h - fast float32 2-D convolution on NHWC activations.
 *
 * This is the kernel layer behind the graph op edgerun::ConvNhwc (and later
 * the TFLite path). The op validates everything at shape() time; these
 * functions trust the descriptor.
 *
 *   x: [N, H, W, C]   (row stride C floats: channels contiguous)
 *   y: [N, OH, OW, M]
 *   z: optional residual, same layout and shape as y (added before act)
 *   w: OIHW [M, C/group, KH, KW] float32 (ONNX layout, as the model stores it)
 *   b: optional bias [M]
 *   y = act(conv(x, w) + b + z)
 *
 * Lifecycle: er_conv_plan() once at session creation (picks the algorithm for
 * the shape and ISA: 1x1 GEMM, indirect GEMM, depthwise 3x3/5x5, grouped,
 * Winograd...; packs weights into the plan; states scratch bytes), then
 * er_conv_run() per inference with no allocation. Results must match the
 * reference er_conv_ref() within float reassociation (tests check
 * |y - ref| <= 1e-4 * max(1, |ref|) on random data), for every ISA level the
 * CPU has, single- and multi-threaded; the partitioning is static and never
 * splits one output's sum, so results are bit-identical for any thread count.
 * Exception: Winograd plans (er_conv_algo() starts with "winograd"; 3x3
 * stride-1 group-1 convolutions with C, M >= 32 and >= 16 output tiles)
 * transform the data, so their error is relative to the range of the output
 * before the activation (r = conv + b + z): tests check
 * |y - ref| <= 3e-5 * max(1, max |r|); measured 5e-6 to 1e-5 of the range
 * on resnet18-like layers (He-initialised weights, ReLU inputs). */
#ifndef ER_CPU_CONV_H
#define ER_CPU_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "core/threadpool.h"
#include "cpu/act.h"
#include "edgerun.h"

typedef struct er_conv_desc {
    int64_t N, H, W, C;  /* input */
    int64_t M;           /* output channels */
    int64_t KH, KW;
    int64_t stride_h, stride_w;
    int64_t dil_h, dil_w;
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    int64_t group;       /* C % group == 0 and M % group == 0 */
    int64_t OH, OW;      /* output size (consistent with the above) */
    er_act act;
    int has_residual;    /* z is given at run time */
} er_conv_desc;

typedef struct er_conv_plan er_conv_plan;

/* Plans and packs. w/b are read during the call only. isa: the level to use
 * (<= er_isa_detected(); tests pass each level). threads: the most threads
 * er_conv_run will be given. Fails with ER_ERR_INVALID_ARG on a descriptor
 * with non-positive sizes or a group that does not divide C and M, and
 * ER_ERR_NOMEM/ER_ERR_SHAPE when the packed weights do not fit. Memory: the
 * packed weights (about the size of w; 4x for Winograd plans) and a zero
 * row of C floats (W*C for depthwise). */
struct er_packed_blob;

/* As er_conv_plan_create, but a candidate whose layout string and size match
 * what this plan would pack (e.g. from a .erm file written by `edgerun
 * convert --prepack` on a machine of the same ISA) is used in place: no
 * copy, no packing; it must outlive the plan. The others are ignored. */
er_status er_conv_plan_create_packed(const er_conv_desc *d, const float *w, const float *b,
                                     er_isa isa, int threads, const struct er_packed_blob *cands,
                                     int n_cands, er_conv_plan **out);
/* The plan's packed weights (what --prepack stores) and the string naming
 * their layout exactly: kernel family, ISA of the micro-kernel, panel width. */
const char *er_conv_plan_layout(const er_conv_plan *p);
er_status er_conv_plan_packed(const er_conv_plan *p, const void **data, size_t *bytes);

er_status er_conv_plan_create(const er_conv_desc *d, const float *w, const float *b, er_isa isa,
                              int threads, er_conv_plan **out);
void er_conv_plan_free(er_conv_plan *p);
/* Scratch bytes er_conv_run needs (64-byte aligned memory). */
size_t er_conv_scratch_bytes(const er_conv_plan *p);
/* Human-readable algorithm name, e.g. "gemm1x1/avx512 14x32" (for profiles). */
const char *er_conv_algo(const er_conv_plan *p);
/* y may not alias x or z. x, y, z must be valid for their shapes. pool:
 * NULL (the caller's thread) or at most the `threads` of the plan (scratch
 * is sized per thread; a bigger pool runs on the caller only). */
void er_conv_run(const er_conv_plan *p, const float *x, const float *z, float *y, void *scratch,
                 er_threadpool *pool);

/* The reference: plain loops, no packing, no threads. The truth for tests. */
void er_conv_ref(const er_conv_desc *d, const float *x, const float *w, const float *b,
                 const float *z, float *y);

/* Output size along one axis (floor mode), for callers building descriptors. */
static inline int64_t er_conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t dil,
                                       int64_t pad_begin, int64_t pad_end) {
    return (in + pad_begin + pad_end - dil * (k - 1) - 1) / stride + 1;
}

#endif
