/* dense.c - edgerun::Dense: a fully connected layer with constant weights,
 * fused bias and activation. Produced from Gemm (transA = 0, alpha = beta =
 * 1, constant B and 1-D/row C) and from MatMul with a constant 2-D right
 * operand (passes/fuse_gemm.c).
 *
 * Inputs:  X [..., K], W constant [K, N] (trans_w = 0) or [N, K] (trans_w = 1),
 *          B constant [N] (optional).
 * Output:  Y [..., N] = act(X W + B); leading dims of X are rows.
 * Attributes: trans_w, and the fused activation (act, act_alpha, ...).
 * prepare() packs the weights for the session's ISA (cpu/gemm/dense.h); the
 * plain-C definition is er_dense_ref, which the kernel tests hold it to. */
#include <string.h>

#include "cpu/gemm/dense.h"
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
    int64_t rows = 0, K = 0, N = 0;
    ER_TRY(dims_of(c, &rows, &K, &N));
    er_act act;
    ER_TRY(er_op_read_act(c, &act));
    int64_t dims[ER_MAX_RANK];
    memcpy(dims, c->in[0]->dims, sizeof dims);
    dims[c->in[0]->rank - 1] = N;
    er_op_set_output(c, 0, ER_F32, c->in[0]->rank, dims);
    return ER_OK;
}

static er_status prepare_dense(er_op_ctx *c) {
    int64_t rows = 0, K = 0, N = 0;
    ER_TRY(dims_of(c, &rows, &K, &N));
    er_dense_desc d = {.K = K, .N = N, .w_transposed = er_attr_int(c->node, "trans_w", 0) != 0};
    ER_TRY(er_op_read_act(c, &d.act));
    er_dense_plan *p;
    ER_TRY(er_dense_plan_create(&d, c->in[1]->data, c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL,
                                (er_isa)c->isa, er_threadpool_size(c->pool), &p));
    c->state = p;
    c->scratch_bytes = er_dense_scratch_bytes(p);
    c->consumed = 1u << 1 | 1u << 2; /* weights and bias are packed */
    return ER_OK;
}

static er_status run_dense(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    int64_t K = x->dims[x->rank - 1];
    int64_t rows = (int64_t)(er_tensor_numel(x) / (size_t)(K ? K : 1));
    er_dense_run(c->state, rows, x->data, NULL, c->out[0]->data, c->scratch, c->pool);
    return ER_OK;
}

static void release_dense(void *state) { er_dense_plan_free(state); }

static uint64_t macs_dense(const er_op_ctx *c) {
    const er_tensor *w = c->in[1];
    return (uint64_t)er_tensor_numel(c->out[0]) *
           (uint64_t)(er_attr_int(c->node, "trans_w", 0) ? w->dims[1] : w->dims[0]);
}

const er_op_def er_op_dense = {.name = "Dense", .domain = "edgerun", .shape = shape_dense,
                               .prepare = prepare_dense, .run = run_dense,
                               .release = release_dense, .macs = macs_dense};
