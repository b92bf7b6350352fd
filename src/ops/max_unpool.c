/* max_unpool.c - MaxUnpool (ONNX opset 9/11): scatters X [N, C, D1..Dn]
 * into a zero tensor at the flat positions I (MaxPool's Indices output).
 *
 * Indices are flat over the inferred unpooled shape
 *   [N, C, (D_i - 1) * stride_i - pad_begin_i - pad_end_i + kernel_i ...].
 * With the output_shape input the result has that shape and the inferred
 * tensor sits in its leading corner (each index keeps its N, C and spatial
 * coordinates), exactly as the ONNX reference implementation and its
 * conformance test do; output_shape must therefore be at least the inferred
 * shape. An index outside the inferred tensor is a run-time error; when two
 * indices coincide the later element wins. */
#include <string.h>

#include "op.h"
#include "spatial.h"

static er_status inferred_shape(const er_op_ctx *c, int64_t *dims) {
    const er_tensor *x = c->in[0];
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    er_window w;
    ER_TRY(er_window_read(c, x->rank - 2, NULL, &w));
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < w.n; i++) {
        int64_t in = x->dims[2 + i];
        if (in > ((int64_t)1 << 32))
            return er_fail(ER_ERR_SHAPE, "input 0 shape %s is too large", er_op_shape_str(x));
        /* in <= 2^32 and attributes < 2^31: no overflow */
        dims[2 + i] = (in - 1) * w.stride[i] - w.pad_begin[i] - w.pad_end[i] + w.kernel[i];
        if (in == 0) dims[2 + i] = 0;
        if (dims[2 + i] < 0)
            return er_fail(ER_ERR_SHAPE, "spatial dim %d: pads exceed the unpooled size", i);
    }
    return ER_OK;
}

static er_status output_shape(const er_op_ctx *c, const int64_t *inferred, int64_t *dims) {
    int r = c->in[0]->rank;
    memcpy(dims, inferred, sizeof(int64_t) * (size_t)r);
    if (c->n_in < 3 || !c->in[2]) return ER_OK;
    int n;
    ER_TRY(er_op_read_ints(c, 2, dims, ER_MAX_RANK, &n));
    if (n != r)
        return er_fail(ER_ERR_SHAPE, "output_shape has %d values, expected %d", n, r);
    for (int i = 0; i < r; i++) {
        bool ok = i < 2 ? dims[i] == inferred[i] : dims[i] >= inferred[i];
        if (!ok || dims[i] > ((int64_t)1 << 40))
            return er_fail(ER_ERR_SHAPE, "output_shape[%d] = %lld, the unpooled size is %lld "
                           "(N and C must match, spatial dims may only grow)", i,
                           (long long)dims[i], (long long)inferred[i]);
    }
    return ER_OK;
}

static er_status shape_mu(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    if (c->in[1]->dtype != ER_I64)
        return er_fail(ER_ERR_INVALID_MODEL, "input 1 (indices) must be int64, is %s",
                       er_dtype_name(c->in[1]->dtype));
    if (!er_shape_equal(c->in[0]->rank, c->in[0]->dims, c->in[1]->rank, c->in[1]->dims))
        return er_fail(ER_ERR_SHAPE, "indices shape %s differs from input %s",
                       er_op_shape_str(c->in[1]), er_op_shape_str(c->in[0]));
    ER_TRY(er_op_need_value(c, 2));
    int64_t inf[ER_MAX_RANK], dims[ER_MAX_RANK];
    ER_TRY(inferred_shape(c, inf));
    ER_TRY(output_shape(c, inf, dims));
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, dims);
    return ER_OK;
}

static er_status run_mu(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1];
    er_tensor *y = c->out[0];
    int r = x->rank;
    int64_t inf[ER_MAX_RANK];
    ER_TRY(inferred_shape(c, inf));
    size_t es = er_dtype_size(x->dtype);
    memset(y->data, 0, er_tensor_nbytes(y));
    int64_t total = 1, ys[ER_MAX_RANK];
    for (int i = 0; i < r; i++) total *= inf[i];
    ys[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--) ys[i] = ys[i + 1] * y->dims[i + 1];
    const int64_t *iv = ind->data;
    size_t n = er_tensor_numel(x);
    for (size_t e = 0; e < n; e++) {
        int64_t k = iv[e];
        if (k < 0 || k >= total)
            return er_fail(ER_ERR_INVALID_ARG, "index %lld at position %zu is outside [0, %lld)",
                           (long long)k, e, (long long)total);
        int64_t off = 0;
        for (int i = r - 1; i >= 0; i--) {
            off += (k % inf[i]) * ys[i];
            k /= inf[i];
        }
        memcpy((char *)y->data + (size_t)off * es, (const char *)x->data + e * es, es);
    }
    return ER_OK;
}

const er_op_def er_op_max_unpool = {.name = "MaxUnpool", .min_opset = 9, .shape = shape_mu,
                                    .run = run_mu};
