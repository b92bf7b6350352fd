/* dropout.c - Dropout for inference (ONNX Dropout-1/6/7/10/12/13).
 *
 * Outside training y = x and the optional mask is all ones (type T before
 * opset 10, bool after). From opset 12 input 2 (training_mode) may turn
 * training on; a random mask is then needed, which edgerun does not
 * implement, unless the ratio (input 1, default 0.5) is 0 and the op is
 * again y = x. Older opsets are always run in inference mode. */
#include "data_util.h"
#include "op.h"

static er_status shape_dropout(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 2));
    ER_TRY(er_op_check_inputs(c, 1, c->opset >= 12 ? 3 : 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    const er_tensor *x = c->in[0];
    if (c->n_in > 2 && c->in[2]) {
        ER_TRY(er_op_need_value(c, 2));
        const er_tensor *t = c->in[2];
        if (t->dtype != ER_BOOL || er_tensor_numel(t) != 1)
            return er_fail(ER_ERR_INVALID_MODEL, "training_mode must be one bool, has dtype %s "
                           "shape %s", er_dtype_name(t->dtype), er_op_shape_str(t));
        if (((const uint8_t *)t->data)[0]) {
            double ratio = 0.5;
            if (c->in[1]) {
                ER_TRY(er_op_need_value(c, 1));
                const er_tensor *r = c->in[1];
                if (!er_dtype_is_float(r->dtype) || er_tensor_numel(r) != 1)
                    return er_fail(ER_ERR_INVALID_MODEL, "ratio must be one float, has dtype %s "
                                   "shape %s", er_dtype_name(r->dtype), er_op_shape_str(r));
                ratio = er_load_f64(r->data, r->dtype, 0);
            }
            if (ratio != 0)
                return er_fail(ER_ERR_UNSUPPORTED, "training_mode=true with ratio %g (random "
                               "masks) is not supported", ratio);
        }
    }
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    er_op_set_output(c, 1, c->opset >= 10 ? ER_BOOL : x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_dropout(er_op_ctx *c) {
    ER_TRY(er_run_copy_input(c));
    er_tensor *mask = c->n_out > 1 ? c->out[1] : NULL;
    if (mask) {
        size_t n = er_tensor_numel(mask);
        for (size_t i = 0; i < n; i++) er_store_f64(mask->data, mask->dtype, i, 1.0);
    }
    return ER_OK;
}

const er_op_def er_op_dropout = {
    .name = "Dropout", .min_opset = 1, .shape = shape_dropout, .run = run_dropout};
