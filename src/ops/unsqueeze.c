/* unsqueeze.c - Unsqueeze: inserts dims of size 1.
 *
 * ONNX Unsqueeze-1/11 take `axes` as an attribute, Unsqueeze-13 as input 1
 * (its value decides the output shape). Axes index the OUTPUT, so they lie
 * in [-(r + n), r + n) and may come in any order, never twice. */
#include "data_util.h"
#include "op.h"

static er_status shape_unsqueeze(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    int64_t axes[ER_MAX_RANK];
    int n;
    if (c->opset < 13) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        const int64_t *v;
        n = er_attr_ints(c->node, "axes", &v);
        if (n < 0) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'axes' is missing");
        if (n > ER_MAX_RANK)
            return er_fail(ER_ERR_UNSUPPORTED, "%d axes exceed the maximum rank %d", n,
                           ER_MAX_RANK);
        for (int i = 0; i < n; i++) axes[i] = v[i];
    } else {
        ER_TRY(er_op_check_inputs(c, 2, 2));
        ER_TRY(er_op_need_value(c, 1));
        if (c->in[1]->rank == 1 && c->in[1]->dims[0] > ER_MAX_RANK)
            return er_fail(ER_ERR_UNSUPPORTED, "%lld axes exceed the maximum rank %d",
                           (long long)c->in[1]->dims[0], ER_MAX_RANK);
        ER_TRY(er_op_read_ints(c, 1, axes, ER_MAX_RANK, &n));
    }
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    int r = x->rank + n;
    if (r > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 shape %s with %d new axes exceeds the "
                       "maximum rank %d", er_op_shape_str(x), n, ER_MAX_RANK);
    bool ins[ER_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int a;
        ER_TRY(er_op_axis(c, axes[i], r, &a));
        if (ins[a]) return er_fail(ER_ERR_INVALID_MODEL, "axis %d is listed twice", a);
        ins[a] = true;
    }
    int64_t d[ER_MAX_RANK];
    for (int a = 0, k = 0; a < r; a++) d[a] = ins[a] ? 1 : x->dims[k++];
    er_op_set_output(c, 0, x->dtype, r, d);
    return ER_OK;
}

const er_op_def er_op_unsqueeze = {
    .name = "Unsqueeze", .min_opset = 1, .shape = shape_unsqueeze, .run = er_run_copy_input};
