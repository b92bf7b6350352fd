/* dense.c - edgerun::Dense: a fully connected layer with constant weights,
 * fused bias and activation. Produced from Gemm (transA = 0, alpha = beta =
 * 1, constant B and 1-D/row C) and from MatMul with a constant 2-D right
 * operand (passes/fuse_gemm.c).
 *
 * Inputs:  X [..., K], W constant [K, N] (trans_w = 0) or [N, K] (trans_w = 1),
 *          B constant [N] (optional).
 * Output:  Y [..., N] = act(X W + B); leading dims of X are rows.
 * Attributes: trans_w, and the fused activation (act, act_alpha, ...). */
#include <string.h>

#include "gemm_kernel.h"
#include "op.h"

static er_status dims_of(const er_op_ctx *c, int64_t *rows, int64_t *K, int64_t *N) {
    const er_tensor *x = c->in[0], *w = c->in[1];
    if (x->dtype != ER_F32 || x->rank < 1)
        return er_fail(ER_ERR_SHAPE, "input %s %s: expected float32 [..., K]",
                       er_dtype_name(x->dtype), er_op_shape_str(x));
    if (w->dtype != ER_F32 || w->rank != 2 || !w->data)
        return er_fail(ER_ERR_SHAPE, "weights %s must be a float32 2-D constant", er_op_shape_str(w));
    bool tw = er_attr_int(c->node, "trans_w", 0) != 0;
    *K = x->dims[x->rank - 1];
    *N = tw ? w->dims[0] : w->dims[1];
    if ((tw ? w->dims[1] : w->dims[0]) != *K)
        return er_fail(ER_ERR_SHAPE, "weights %s (trans_w=%d) do not match input %s",
                       er_op_shape_str(w), tw, er_op_shape_str(x));
    *rows = (int64_t)(er_tensor_numel(x) / (size_t)(*K ? *K : 1));
    if (c->n_in > 2 && c->in[2] &&
        (c->in[2]->dtype != ER_F32 || er_tensor_numel(c->in[2]) != (size_t)*N || !c->in[2]->data))
        return er_fail(ER_ERR_SHAPE, "bias %s must be a float32 constant of %lld values",
                       er_op_shape_str(c->in[2]), (long long)*N);
    return ER_OK;
}

static er_status shape_dense(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    int64_t rows, K, N;
    ER_TRY(dims_of(c, &rows, &K, &N));
    er_act act;
    ER_TRY(er_op_read_act(c, &act));
    int64_t dims[ER_MAX_RANK];
    memcpy(dims, c->in[0]->dims, sizeof dims);
    dims[c->in[0]->rank - 1] = N;
    er_op_set_output(c, 0, ER_F32, c->in[0]->rank, dims);
    return ER_OK;
}

static er_status run_dense(er_op_ctx *c) {
    int64_t rows, K, N;
    ER_TRY(dims_of(c, &rows, &K, &N));
    er_act act;
    ER_TRY(er_op_read_act(c, &act));
    const float *x = c->in[0]->data, *w = c->in[1]->data;
    const float *b = c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL;
    float *y = c->out[0]->data;
    bool tw = er_attr_int(c->node, "trans_w", 0) != 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < N; j++) y[r * N + j] = b ? b[j] : 0.0f;
    /* B(k, j) = W[k][j] or W[j][k] */
    er_gemm_f32(rows, N, K, x, K, 1, w, tw ? 1 : N, tw ? K : 1, y, N, true, c->pool);
    er_act_apply_ref(&act, y, (size_t)(rows * N));
    return ER_OK;
}

static uint64_t macs_dense(const er_op_ctx *c) {
    const er_tensor *w = c->in[1];
    return (uint64_t)er_tensor_numel(c->out[0]) *
           (uint64_t)(er_attr_int(c->node, "trans_w", 0) ? w->dims[1] : w->dims[0]);
}

const er_op_def er_op_dense = {.name = "Dense", .domain = "edgerun", .shape = shape_dense,
                               .run = run_dense, .macs = macs_dense};
