/* gemm.c - Gemm (ONNX opset 11..13 semantics, earlier opsets accepted):
 * Y = alpha * A' * B' + beta * C, with A' = transA ? A^T : A (M x K),
 * B' = transB ? B^T : B (K x N) and C optional (opset 11+), unidirectionally
 * broadcast to [M, N]. The `broadcast` attribute of opset < 7 is ignored:
 * broadcasting C is always allowed, which is a superset.
 *
 * Transposes are read through strides (no copy). When beta is 0, C is not
 * read at all, so an inf/NaN in C does not poison the result (as ONNX
 * Runtime). Integer types wrap on overflow; alpha/beta other than 1 are
 * applied in double. */
#include <string.h>

#include "gemm_kernel.h"
#include "op.h"

static er_status dims_of(const er_op_ctx *c, int64_t *M, int64_t *N, int64_t *K) {
    const er_tensor *a = c->in[0], *b = c->in[1];
    if (a->rank != 2 || b->rank != 2)
        return er_fail(ER_ERR_SHAPE, "inputs A %s and B %s must both be 2-D", er_op_shape_str(a),
                       er_op_shape_str(b));
    bool ta = er_attr_int(c->node, "transA", 0) != 0, tb = er_attr_int(c->node, "transB", 0) != 0;
    *M = ta ? a->dims[1] : a->dims[0];
    *K = ta ? a->dims[0] : a->dims[1];
    int64_t kb = tb ? b->dims[1] : b->dims[0];
    *N = tb ? b->dims[0] : b->dims[1];
    if (kb != *K)
        return er_fail(ER_ERR_SHAPE, "A %s (transA=%d) and B %s (transB=%d): inner dims %lld and "
                       "%lld differ", er_op_shape_str(a), ta, er_op_shape_str(b), tb,
                       (long long)*K, (long long)kb);
    return ER_OK;
}

static er_status shape_gemm(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    if (!er_gemm_dtype_ok(c->in[0]->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 has dtype %s, which Gemm does not support",
                       er_dtype_name(c->in[0]->dtype));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    int64_t M, N, K;
    ER_TRY(dims_of(c, &M, &N, &K));
    const er_tensor *cc = c->n_in > 2 ? c->in[2] : NULL;
    if (cc) {
        int64_t want[2] = {M, N};
        bool ok = cc->rank <= 2;
        for (int i = 0; ok && i < cc->rank; i++) {
            int64_t d = cc->dims[i], w = want[2 - cc->rank + i];
            ok = d == 1 || d == w;
        }
        if (!ok)
            return er_fail(ER_ERR_SHAPE, "C shape %s cannot be broadcast to [%lld,%lld]",
                           er_op_shape_str(cc), (long long)M, (long long)N);
    }
    int64_t dims[2] = {M, N};
    er_op_set_output(c, 0, c->in[0]->dtype, 2, dims);
    return ER_OK;
}

static er_status run_gemm(er_op_ctx *c) {
    int64_t M, N, K;
    ER_TRY(dims_of(c, &M, &N, &K));
    const er_tensor *a = c->in[0], *b = c->in[1];
    const er_tensor *cc = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *y = c->out[0];
    er_dtype dt = a->dtype;
    bool ta = er_attr_int(c->node, "transA", 0) != 0, tb = er_attr_int(c->node, "transB", 0) != 0;
    double alpha = er_attr_float(c->node, "alpha", 1.0f);
    double beta = er_attr_float(c->node, "beta", 1.0f);
    er_gemm_any(dt, M, N, K, a->data, ta ? 1 : K, ta ? M : 1, b->data, tb ? 1 : N, tb ? K : 1,
                y->data, N, false, c->pool);
    if (beta == 0.0) cc = NULL;
    if (alpha == 1.0 && !cc) return ER_OK;
    int64_t cs[2] = {0, 0};
    int64_t ydims[2] = {M, N};
    if (cc) er_broadcast_strides(cc->rank, cc->dims, 2, ydims, cs);
    if (dt == ER_F32) {
        float *yd = y->data;
        const float *cd = cc ? cc->data : NULL;
        float fa = (float)alpha, fb = (float)beta;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                float v = fa * yd[i * N + j];
                if (cd) v += fb * cd[i * cs[0] + j * cs[1]];
                yd[i * N + j] = v;
            }
    } else if (er_dtype_is_int(dt) && alpha == 1.0 && beta == 1.0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                size_t k = (size_t)(i * N + j);
                uint64_t v = (uint64_t)er_load_i64(y->data, dt, k) +
                             (uint64_t)er_load_i64(cc->data, dt, (size_t)(i * cs[0] + j * cs[1]));
                er_store_i64(y->data, dt, k, (int64_t)v);
            }
    } else {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                size_t k = (size_t)(i * N + j);
                double v = alpha * er_load_f64(y->data, dt, k);
                if (cc) v += beta * er_load_f64(cc->data, dt, (size_t)(i * cs[0] + j * cs[1]));
                er_store_f64(y->data, dt, k, v);
            }
    }
    return ER_OK;
}

static uint64_t macs_gemm(const er_op_ctx *c) {
    int64_t M = 0, N = 0, K = 0;
    if (dims_of(c, &M, &N, &K) != ER_OK) return 0;
    return (uint64_t)M * (uint64_t)N * (uint64_t)K;
}

const er_op_def er_op_gemm = {.name = "Gemm", .min_opset = 1, .shape = shape_gemm,
                              .run = run_gemm, .macs = macs_gemm};
