/* size.c - Size: the input's element count as an int64 scalar (ONNX
 * Size-1/13). Only the input's shape is read, never its data. */
#include "data_util.h"
#include "op.h"

static er_status shape_size(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    if (!er_dtype_supported(c->in[0]->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 has dtype %s",
                       er_dtype_name(c->in[0]->dtype));
    er_op_set_output(c, 0, ER_I64, 0, NULL);
    return ER_OK;
}

static er_status run_size(er_op_ctx *c) {
    *(int64_t *)c->out[0]->data = (int64_t)er_tensor_numel(c->in[0]);
    return ER_OK;
}

const er_op_def er_op_size = {.name = "Size", .min_opset = 1, .shape = shape_size, .run = run_size,
                              .flags = ER_OP_SHAPE_ONLY};
