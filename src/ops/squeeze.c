/* squeeze.c - Squeeze: drops dims of size 1.
 *
 * ONNX Squeeze-1/11 take `axes` as an attribute, Squeeze-13 as optional
 * input 1 (its value decides the output shape). Without axes every dim of
 * size 1 goes (also for an empty list); a listed axis whose dim is not 1 is
 * an error. */
#include "data_util.h"
#include "op.h"

static er_status shape_squeeze(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    int64_t axes[ER_MAX_RANK];
    int n = -1;
    if (c->opset < 13) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        const int64_t *v;
        n = er_attr_ints(c->node, "axes", &v);
        if (n > ER_MAX_RANK)
            return er_fail(ER_ERR_INVALID_MODEL, "%d axes for a tensor of rank <= %d", n,
                           ER_MAX_RANK);
        for (int i = 0; i < n; i++) axes[i] = v[i];
    } else {
        ER_TRY(er_op_check_inputs(c, 1, 2));
        if (c->n_in > 1 && c->in[1]) {
            ER_TRY(er_op_need_value(c, 1));
            ER_TRY(er_op_read_ints(c, 1, axes, ER_MAX_RANK, &n));
        }
    }
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    bool drop[ER_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int a;
        ER_TRY(er_op_axis(c, axes[i], x->rank, &a));
        if (drop[a]) return er_fail(ER_ERR_INVALID_MODEL, "axis %d is listed twice", a);
        if (x->dims[a] != 1)
            return er_fail(ER_ERR_SHAPE, "input 0 shape %s: axis %d has size %lld, not 1",
                           er_op_shape_str(x), a, (long long)x->dims[a]);
        drop[a] = true;
    }
    if (n <= 0) /* an empty list acts like no list, as in onnxruntime */
        for (int a = 0; a < x->rank; a++) drop[a] = x->dims[a] == 1;
    int64_t d[ER_MAX_RANK];
    int r = 0;
    for (int a = 0; a < x->rank; a++)
        if (!drop[a]) d[r++] = x->dims[a];
    er_op_set_output(c, 0, x->dtype, r, d);
    return ER_OK;
}

const er_op_def er_op_squeeze = {
    .name = "Squeeze", .min_opset = 1, .shape = shape_squeeze, .run = er_run_copy_input};
