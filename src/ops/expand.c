/* expand.c - Expand (ONNX 8/13): broadcasts input 0 with the shape given by
 * input 1's value, numpy-style in both directions (a 1 in the requested
 * shape keeps the input's dim). The kernel is a strided copy with stride 0
 * along broadcast dims. */
#include "data_util.h"
#include "op.h"

static er_status shape_expand(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_op_need_value(c, 1));
    const er_tensor *x = c->in[0], *s = c->in[1];
    if (s->dtype != ER_I64 || s->rank != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "input 1 (shape) must be 1-D int64, has dtype %s "
                       "shape %s", er_dtype_name(s->dtype), er_op_shape_str(s));
    if (s->dims[0] > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "requested rank %lld exceeds the maximum %d",
                       (long long)s->dims[0], ER_MAX_RANK);
    int64_t want[ER_MAX_RANK], d[ER_MAX_RANK];
    int n, r;
    ER_TRY(er_op_read_ints(c, 1, want, ER_MAX_RANK, &n));
    for (int k = 0; k < n; k++)
        if (want[k] < 0)
            return er_fail(ER_ERR_SHAPE, "requested dim %d is %lld", k, (long long)want[k]);
    if (!er_broadcast_shape(x->rank, x->dims, n, want, &r, d)) {
        char b[ER_SHAPE_STR_MAX];
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s does not broadcast to %s",
                       er_op_shape_str(x), er_shape_str(b, sizeof b, n, want));
    }
    er_op_set_output(c, 0, x->dtype, r, d);
    return ER_OK;
}

static er_status run_expand(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int64_t s[ER_MAX_RANK];
    er_broadcast_strides(x->rank, x->dims, y->rank, y->dims, s);
    er_copy_strided(y->data, x->data, er_dtype_size(x->dtype), y->rank, y->dims, s);
    return ER_OK;
}

const er_op_def er_op_expand = {
    .name = "Expand", .min_opset = 8, .shape = shape_expand, .run = run_expand};
