/* depth_to_space.c - DepthToSpace (ONNX 1/11/13): [N, C, H, W] ->
 * [N, C/b², H·b, W·b] for blocksize b. Mode DCR (the default, and the only
 * one before opset 11) takes the block offset from the high channel bits:
 *   y[n, c, h·b + i, w·b + j] = x[n, (i·b + j)·C/b² + c, h, w];
 * mode CRD from the low ones:
 *   y[n, c, h·b + i, w·b + j] = x[n, c·b² + i·b + j, h, w].
 * Either is one 6-D strided copy over (n, c, h, i, w, j). */
#include "data_util.h"
#include "op.h"

static er_status get_mode(const er_op_ctx *c, bool *crd) {
    const char *mode = c->opset >= 11 ? er_attr_str(c->node, "mode", "DCR") : "DCR";
    *crd = strcmp(mode, "CRD") == 0;
    if (!*crd && strcmp(mode, "DCR") != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "mode '%s' must be DCR or CRD", mode);
    return ER_OK;
}

static er_status shape_depth_to_space(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    bool crd;
    ER_TRY(get_mode(c, &crd));
    int64_t b = er_attr_int(c->node, "blocksize", 0);
    if (x->rank != 4)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s must be 4-D (N, C, H, W)",
                       er_op_shape_str(x));
    if (b < 1 || b > 65536 || x->dims[1] % (b * b) != 0)
        return er_fail(ER_ERR_SHAPE, "blocksize %lld must be >= 1 with C of input 0 shape %s "
                       "divisible by its square", (long long)b, er_op_shape_str(x));
    int64_t d[4] = {x->dims[0], x->dims[1] / (b * b), x->dims[2] * b, x->dims[3] * b};
    er_op_set_output(c, 0, x->dtype, 4, d);
    return ER_OK;
}

static er_status run_depth_to_space(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    bool crd;
    ER_TRY(get_mode(c, &crd));
    int64_t b = er_attr_int(c->node, "blocksize", 0);
    int64_t C = y->dims[1], H = x->dims[2], W = x->dims[3], hw = H * W;
    int64_t d[6] = {x->dims[0], C, H, b, W, b};
    int64_t s[6] = {x->dims[1] * hw, crd ? b * b * hw : hw, W, crd ? b * hw : b * C * hw, 1,
                    crd ? hw : C * hw};
    er_copy_strided(y->data, x->data, er_dtype_size(x->dtype), 6, d, s);
    return ER_OK;
}

const er_op_def er_op_depth_to_space = {.name = "DepthToSpace",
                                        .min_opset = 1,
                                        .shape = shape_depth_to_space,
                                        .run = run_depth_to_space};
