/* qconv.h - fast int8 2-D convolution on NHWC activations: the kernel layer
 * behind edgerun::QConvNhwc (ops/qconv_nhwc.c). The op validates everything
 * at shape() time; these functions trust the descriptor.
 *
 *   x: [N, H, W, C]  uint8 or int8, per-tensor zero point x_zp
 *   w: [M, C/group, KH, KW] uint8 or int8 (ONNX layout), zero points w_zp[M]
 *   y: [N, OH, OW, M] uint8 or int8
 *   y = clamp(MBQM(bias[m] + sum (x - x_zp)(w - w_zp[m]), mul[m]) + y_zp, y_min, y_max)
 * i.e. exactly edgerun::QConv (docs/int8.md) in NHWC: every algorithm gives
 * the same bytes as the reference er_qconv_ref, for every ISA level.
 *
 * Lifecycle: er_qconv_plan_create() once at session creation (picks the
 * algorithm for the shape, ISA level and extension mask; packs the weights
 * with the bias and zero-point corrections and the per-channel epilogue
 * constants; states scratch bytes), then er_qconv_run() per inference with no
 * allocation. The work split over threads is static.
 *
 * Algorithms (er_qconv_algo names them):
 *   gemm      1x1, stride 1, no padding: a GEMM on the input rows
 *   igemm     any window: indirect GEMM, one row pointer per output pixel and
 *             tap (padding taps point at a row of zero-point bytes)
 *   rows      KxK with one group (stems and 3x3 layers): the input is copied
 *             once per run into a buffer with the padding materialized (bytes
 *             equal to the zero point), so no tap needs a bounds check; with
 *             dilation 1 along W the KW taps of a kernel row are one run of
 *             KW*C contiguous bytes, so the indirect GEMM has KH taps of
 *             depth KW*C per output pixel (3 row pointers for a 3x3)
 *   im2col    grouped convolutions with few channels per group (< 16): the
 *             window's taps x channels packed into one contiguous row per
 *             output pixel, then a GEMM (no per-tap rounding of K to 4)
 *   dwconv    depthwise (group == C == M): channel-vectorized kernels
 *   direct    weights whose w - w_zp do not fit int8 (uint8 weights with
 *             an odd zero point): plain loops, as the reference
 * An int8 input is flipped to uint8 (x ^ 0x80 = x + 128, zero point + 128)
 * while it is copied into scratch for the GEMM algorithms; the depthwise
 * kernels flip on load. Row blocks are balanced (49 output pixels with MR 8
 * make 7 blocks of 7, not 6 of 8 and one of 1). */
#ifndef ER_CPU_QCONV_QCONV_H
#define ER_CPU_QCONV_QCONV_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "edgerun.h"
#include "ops/quant_util.h"

typedef struct er_qconv_desc {
    int64_t N, H, W, C;  /* input */
    int64_t M;           /* output channels */
    int64_t KH, KW;
    int64_t stride_h, stride_w;
    int64_t dil_h, dil_w;
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    int64_t group;       /* C % group == 0 and M % group == 0 */
    int64_t OH, OW;      /* output size (consistent with the above) */
    er_dtype x_dtype, w_dtype, y_dtype; /* ER_U8 / ER_I8 */
    int32_t x_zp, y_zp;
    int32_t y_min, y_max; /* fused activation clamp, inside y_dtype's range */
} er_qconv_desc;

typedef struct er_qconv_plan er_qconv_plan;
struct er_qvbin_params;

/* Plans and packs. w: [M][C/group][KH][KW] bytes of w_dtype; w_zp: M zero
 * points; bias: M int32 or NULL; mul: M multipliers (er_quantize_multiplier of
 * x_scale * w_scale[m] / y_scale). All are read during the call only.
 * isa: the level to use; features: the ER_QF_* extensions allowed
 * (er_qfeatures_detected() normally; tests pass subsets). threads: the pool
 * size the plan's scratch must serve. */
er_status er_qconv_plan_create(const er_qconv_desc *d, const void *w, const int32_t *w_zp,
                               const int32_t *bias, const er_qmul *mul, er_isa isa,
                               unsigned features, int threads, er_qconv_plan **out);
/* As er_qconv_plan_create, but a GEMM-family plan uses a candidate in place
 * (no packing) when its layout string and size match this plan's and its
 * requantization constants are the ones this call would write (a .erm from
 * `edgerun convert --prepack`, cands: the blobs of this weight value). The
 * caller keeps cands' memory alive as long as the plan. */
struct er_packed_blob;
er_status er_qconv_plan_create_packed(const er_qconv_desc *d, const void *w, const int32_t *w_zp,
                                      const int32_t *bias, const er_qmul *mul, er_isa isa,
                                      unsigned features, int threads,
                                      const struct er_packed_blob *cands, int n_cands,
                                      er_qconv_plan **out);
/* The packed weights and the string naming their layout (GEMM family; ""
 * and ER_ERR_INVALID_ARG for depthwise and direct plans). */
const char *er_qconv_plan_layout(const er_qconv_plan *p);
er_status er_qconv_plan_packed(const er_qconv_plan *p, const void **data, size_t *bytes);
void er_qconv_plan_free(er_qconv_plan *p);
/* Scratch bytes er_qconv_run needs (64-byte aligned memory). */
size_t er_qconv_scratch_bytes(const er_qconv_plan *p);
/* Algorithm and microkernel, e.g. "igemm er_qu8_qc8w_igemm_8x32c4__avx512vnni". */
const char *er_qconv_algo(const er_qconv_plan *p);
/* y may not alias x. */
void er_qconv_run(const er_qconv_plan *p, const void *x, void *y, void *scratch,
                  er_threadpool *pool);

/* A fused residual QAdd (docs/int8.md, QAdd): after each block of output is
 * computed (still in cache), y = QAdd(y, residual) with these parameters
 * (cpu/qconv/qvbinary.h, er_qvadd_params; A = the convolution's output).
 * Bytes equal the separate ops'. Call once after planning. */
void er_qconv_plan_set_residual(er_qconv_plan *p, const struct er_qvbin_params *add, er_isa isa);
/* er_qconv_run with the residual (same shape as y; may not alias y). */
void er_qconv_run_residual(const er_qconv_plan *p, const void *x, const void *residual, void *y,
                           void *scratch, er_threadpool *pool);

/* The reference: plain loops over the definition, no packing, no threads. */
void er_qconv_ref(const er_qconv_desc *d, const void *x, const void *w, const int32_t *w_zp,
                  const int32_t *bias, const er_qmul *mul, void *y);

#endif
