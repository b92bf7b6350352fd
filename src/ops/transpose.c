/* transpose.c - Transpose: y.dims[i] = x.dims[perm[i]] (ONNX Transpose-1/13;
 * perm defaults to the reversed axes).
 *
 * The kernel is one strided copy: output axis i walks input axis perm[i]
 * with that axis' input stride. Axes that stay adjacent and in order merge
 * inside er_copy_strided, so e.g. NCHW->NHWC becomes a 3-D copy. */
#include "data_util.h"
#include "op.h"

static er_status read_perm(const er_op_ctx *c, int rank, int *perm) {
    const int64_t *v;
    int n = er_attr_ints(c->node, "perm", &v);
    if (n < 0) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return ER_OK;
    }
    if (n != rank)
        return er_fail(ER_ERR_INVALID_MODEL, "perm has %d entries for input 0 shape %s", n,
                       er_op_shape_str(c->in[0]));
    bool seen[ER_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] >= rank || seen[v[i]])
            return er_fail(ER_ERR_INVALID_MODEL, "perm[%d] = %lld: perm must be a permutation "
                           "of 0..%d", i, (long long)v[i], rank - 1);
        seen[v[i]] = true;
        perm[i] = (int)v[i];
    }
    return ER_OK;
}

static er_status shape_transpose(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    int perm[ER_MAX_RANK];
    ER_TRY(read_perm(c, x->rank, perm));
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[perm[i]];
    er_op_set_output(c, 0, x->dtype, x->rank, d);
    return ER_OK;
}

static er_status run_transpose(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int perm[ER_MAX_RANK];
    ER_TRY(read_perm(c, x->rank, perm));
    int64_t xs[ER_MAX_RANK], s[ER_MAX_RANK];
    er_dense_strides(x->rank, x->dims, xs);
    for (int i = 0; i < x->rank; i++) s[i] = xs[perm[i]];
    er_copy_strided(y->data, x->data, er_dtype_size(x->dtype), y->rank, y->dims, s);
    return ER_OK;
}

const er_op_def er_op_transpose = {
    .name = "Transpose", .min_opset = 1, .shape = shape_transpose, .run = run_transpose};
