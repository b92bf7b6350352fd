/* space_to_depth.c - SpaceToDepth (ONNX 1/13), the inverse of DepthToSpace
 * in DCR mode: [N, C, H, W] -> [N, C·b², H/b, W/b] with
 *   y[n, (i·b + j)·C + c, h, w] = x[n, c, h·b + i, w·b + j],
 * one 6-D strided copy over (n, i, j, c, h, w). */
#include "data_util.h"
#include "op.h"

static er_status shape_space_to_depth(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    int64_t b = er_attr_int(c->node, "blocksize", 0);
    if (x->rank != 4)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s must be 4-D (N, C, H, W)",
                       er_op_shape_str(x));
    if (b < 1 || b > 65536 || x->dims[2] % b != 0 || x->dims[3] % b != 0)
        return er_fail(ER_ERR_SHAPE, "blocksize %lld must be >= 1 and divide H and W of input 0 "
                       "shape %s", (long long)b, er_op_shape_str(x));
    int64_t d[4] = {x->dims[0], x->dims[1] * b * b, x->dims[2] / b, x->dims[3] / b};
    er_op_set_output(c, 0, x->dtype, 4, d);
    return ER_OK;
}

static er_status run_space_to_depth(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int64_t b = er_attr_int(c->node, "blocksize", 0);
    int64_t C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t d[6] = {x->dims[0], b, b, C, H / b, W / b};
    int64_t s[6] = {C * H * W, W, 1, H * W, b * W, b};
    er_copy_strided(y->data, x->data, er_dtype_size(x->dtype), 6, d, s);
    return ER_OK;
}

const er_op_def er_op_space_to_depth = {.name = "SpaceToDepth",
                                        .min_opset = 1,
                                        .shape = shape_space_to_depth,
                                        .run = run_space_to_depth};
