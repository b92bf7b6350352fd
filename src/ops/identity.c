/* identity.c - Identity: y = x (ONNX Identity-1/13/14/16 on tensors;
 * sequence and optional values are not supported by the runtime). */
#include "data_util.h"
#include "op.h"

static er_status shape_identity(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return ER_OK;
}

const er_op_def er_op_identity = {
    .name = "Identity", .min_opset = 1, .shape = shape_identity, .run = er_run_copy_input};
