/* shape.c - Shape: the input's dims as a 1-D int64 tensor (ONNX Shape-1/13/15).
 * Shape-15 keeps dims [start, end): negative values count from the end and
 * both are clamped to [0, rank], like a Python slice. Only the input's shape
 * is read, never its data. */
#include "data_util.h"
#include "op.h"

static void range_of(const er_op_ctx *c, int rank, int64_t *start, int64_t *end) {
    int64_t s = 0, e = rank;
    if (c->opset >= 15) {
        s = er_attr_int(c->node, "start", 0);
        e = er_attr_int(c->node, "end", rank);
    }
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    *start = s < 0 ? 0 : s > rank ? rank : s;
    *end = e < *start ? *start : e > rank ? rank : e;
}

static er_status shape_shape(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    if (!er_dtype_supported(c->in[0]->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 has dtype %s",
                       er_dtype_name(c->in[0]->dtype));
    int64_t s, e;
    range_of(c, c->in[0]->rank, &s, &e);
    int64_t n = e - s;
    er_op_set_output(c, 0, ER_I64, 1, &n);
    return ER_OK;
}

static er_status run_shape(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    int64_t s, e;
    range_of(c, x->rank, &s, &e);
    int64_t *y = c->out[0]->data;
    for (int64_t k = s; k < e; k++) y[k - s] = x->dims[k];
    return ER_OK;
}

const er_op_def er_op_shape = {
    .name = "Shape", .min_opset = 1, .shape = shape_shape, .run = run_shape,
    .flags = ER_OP_SHAPE_ONLY,
};
