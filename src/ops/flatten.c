/* flatten.c - Flatten: a 2-D view [prod(dims[:axis]), prod(dims[axis:])].
 *
 * ONNX Flatten-1/9/11/13: axis in [-r, r] (r itself is allowed and gives
 * [n, 1]; negative axes since opset 11). */
#include "data_util.h"
#include "op.h"

static er_status shape_flatten(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    int64_t axis = er_attr_int(c->node, "axis", 1);
    if (axis < -x->rank || axis > x->rank)
        return er_fail(ER_ERR_INVALID_MODEL, "axis %lld is outside [%d, %d] for input 0 shape %s",
                       (long long)axis, -x->rank, x->rank, er_op_shape_str(x));
    int a = (int)(axis < 0 ? axis + x->rank : axis);
    int64_t d[2] = {er_dims_prod(x->dims, 0, a), er_dims_prod(x->dims, a, x->rank)};
    er_op_set_output(c, 0, x->dtype, 2, d);
    return ER_OK;
}

const er_op_def er_op_flatten = {
    .name = "Flatten", .min_opset = 1, .shape = shape_flatten, .run = er_run_copy_input};
