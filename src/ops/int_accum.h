/* int_accum.h - the int32 accumulation cores of the integer ops: one
 * convolution (ConvInteger, QLinearConv, QConv) and one matrix product
 * (MatMulInteger, QLinearMatMul, QMatMul, QGemm).
 *
 * Both compute exact sums of products of zero-point-adjusted operands,
 *   acc = bias + sum (x - x_zp) * (w - w_zp)      (modulo 2^32),
 * and hand each finished row or plane of sums to the op's epilogue (store
 * as int32, or requantize). Integer addition modulo 2^32 is associative, so
 * any summation order gives the same bits: optimized kernels only have to
 * produce the same sums, not the same order. Operands are first widened to
 * int16 with the zero point subtracted (|v| <= 255), products fit int32 and
 * sums wrap through uint32 (no signed overflow).
 *
 * Padding of the convolution contributes nothing, i.e. padded input
 * positions hold x_zp (ONNX: the input minus its zero point is zero-padded). */
#ifndef ER_OPS_INT_ACCUM_H
#define ER_OPS_INT_ACCUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/threadpool.h"
#include "op.h"
#include "spatial.h"

/* ---- convolution ------------------------------------------------------------ */

typedef struct er_iconv {
    er_window w;
    int64_t batch, C, M, group, Cg, Mg;
    int64_t ksize;    /* taps per channel: prod(kernel) */
    int64_t in_size;  /* prod(input spatial dims) */
    int64_t out_size; /* prod(output spatial dims) */
} er_iconv;

/* Conv geometry of X (input xi) [N, C, D1..Dn] and W (input wi)
 * [M, C/group, k1..kn] with the node's Conv attributes (group, strides,
 * dilations, pads, auto_pad, kernel_shape). */
er_status er_iconv_geometry(const er_op_ctx *c, int xi, int wi, er_iconv *g);
/* Output dims [N, M, O1..On]; returns the rank. */
int er_iconv_out_dims(const er_iconv *g, int64_t *dims);
/* Scratch bytes er_iconv_run needs with `threads` threads. */
er_status er_iconv_scratch(const er_iconv *g, int threads, size_t *bytes);
uint64_t er_iconv_macs(const er_iconv *g);

/* Receives the finished sums of output plane (image n, channel m):
 * acc[0..out_size), which belong at element offset y_offset of Y. */
typedef void (*er_iconv_store)(void *arg, int64_t m, const int32_t *acc, int64_t count,
                               int64_t y_offset);

typedef struct er_iconv_args {
    const er_iconv *g;
    const void *x;
    er_dtype x_dtype; /* uint8 / int8 */
    int32_t x_zp;
    const void *w;
    er_dtype w_dtype;
    const int32_t *w_zp;  /* M values */
    const int32_t *bias;  /* M values or NULL */
    er_iconv_store store; /* may run on any pool thread, once per plane */
    void *store_arg;
    void *scratch;        /* er_iconv_scratch bytes, 64-byte aligned */
    er_threadpool *pool;
} er_iconv_args;

void er_iconv_run(const er_iconv_args *a);

/* ---- matrix product ----------------------------------------------------------- */

/* acc[i*N + j] += sum_k a[i*K + k] * b[k*N + j] for an M x K and a K x N
 * int16 matrix, wrapping modulo 2^32. */
void er_imatmul(int64_t M, int64_t N, int64_t K, const int16_t *a, const int16_t *b,
                uint32_t *acc);

#endif
