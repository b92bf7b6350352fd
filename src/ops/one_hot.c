/* one_hot.c - OneHot (ONNX 9/11): y has indices' shape with a new axis of
 * size depth inserted at `axis` (default -1 = last); along it, position
 * indices[..] holds values[1] (on) and every other position values[0] (off).
 * Indices and depth may be of any numeric dtype (floats are truncated).
 * Negative indices in [-depth, 0) count from the end (opset 11); indices
 * outside [-depth, depth) give an all-off row, as the spec says, not an
 * error. depth's value decides the output shape. */
#include "data_util.h"
#include "op.h"

static er_status read_depth(const er_op_ctx *c, int64_t *depth) {
    const er_tensor *t = c->in[1];
    if (er_tensor_numel(t) != 1 || t->rank > 1)
        return er_fail(ER_ERR_INVALID_MODEL, "depth must hold one value, has shape %s",
                       er_op_shape_str(t));
    double v = er_load_f64(t->data, t->dtype, 0);
    if (!(v >= 1 && v < 9.0e15))
        return er_fail(ER_ERR_INVALID_ARG, "depth %g must be a positive size", v);
    *depth = (int64_t)v;
    return ER_OK;
}

static er_status shape_one_hot(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 3, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    ER_TRY(er_op_check_dtype(c, 1, er_dt_numeric));
    ER_TRY(er_op_check_dtype(c, 2, er_dt_all));
    ER_TRY(er_op_need_value(c, 1));
    const er_tensor *ind = c->in[0], *vals = c->in[2];
    if (er_tensor_numel(vals) != 2 || vals->rank != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "values must be [off, on], has shape %s",
                       er_op_shape_str(vals));
    int r = ind->rank + 1, axis;
    if (r > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "output rank %d exceeds the maximum %d", r,
                       ER_MAX_RANK);
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), r, &axis));
    int64_t depth = 0, d[ER_MAX_RANK];
    ER_TRY(read_depth(c, &depth));
    for (int k = 0, j = 0; k < r; k++) d[k] = k == axis ? depth : ind->dims[j++];
    er_op_set_output(c, 0, vals->dtype, r, d);
    return ER_OK;
}

static er_status run_one_hot(er_op_ctx *c) {
    const er_tensor *ind = c->in[0], *vals = c->in[2];
    er_tensor *y = c->out[0];
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), y->rank, &axis));
    int64_t depth = y->dims[axis];
    int64_t outer = er_dims_prod(ind->dims, 0, axis);
    int64_t inner = er_dims_prod(ind->dims, axis, ind->rank);
    size_t es = er_dtype_size(y->dtype), n = er_tensor_numel(y);
    const char *off = vals->data, *on = off + es;
    char *dst = y->data;
    for (size_t i = 0; i < n; i++) memcpy(dst + i * es, off, es);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = er_load_i64(ind->data, ind->dtype, (size_t)(o * inner + i));
            if (v < -depth || v >= depth) continue;
            if (v < 0) v += depth;
            memcpy(dst + (size_t)((o * depth + v) * inner + i) * es, on, es);
        }
    }
    return ER_OK;
}

const er_op_def er_op_one_hot = {
    .name = "OneHot", .min_opset = 9, .shape = shape_one_hot, .run = run_one_hot};
