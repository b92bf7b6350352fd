/* concat.c - Concat: joins tensors along one axis (ONNX Concat-1/4/11/13;
 * axis defaults to 1 before opset 4, is required after, negative from 11).
 *
 * All inputs share rank, dtype and every dim but the axis; an input may be
 * empty along the axis. The output is, for each index of the outer dims,
 * one contiguous block of each input in turn. */
#include "data_util.h"
#include "op.h"

static er_status get_axis(const er_op_ctx *c, int rank, int *axis) {
    const er_attr *a = er_attr_find(c->node, "axis");
    if (!a && c->opset >= 4) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'axis' is missing");
    return er_op_axis(c, a ? er_attr_int(c->node, "axis", 1) : 1, rank, axis);
}

static er_status shape_concat(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    if (c->n_in < 1) return er_fail(ER_ERR_INVALID_MODEL, "needs at least one input");
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "input %d is missing", i);
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x0 = c->in[0];
    if (x0->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; Concat needs rank >= 1");
    int axis;
    ER_TRY(get_axis(c, x0->rank, &axis));
    int64_t d[ER_MAX_RANK];
    for (int k = 0; k < x0->rank; k++) d[k] = x0->dims[k];
    for (int i = 1; i < c->n_in; i++) {
        const er_tensor *x = c->in[i];
        ER_TRY(er_op_same_dtype(c, 0, i));
        bool ok = x->rank == x0->rank;
        for (int k = 0; ok && k < x->rank; k++)
            if (k != axis && x->dims[k] != x0->dims[k]) ok = false;
        if (!ok)
            return er_fail(ER_ERR_SHAPE, "input %d shape %s does not match input 0 shape %s "
                           "outside axis %d", i, er_op_shape_str(x), er_op_shape_str(x0), axis);
        d[axis] += x->dims[axis];
    }
    er_op_set_output(c, 0, x0->dtype, x0->rank, d);
    return ER_OK;
}

static er_status run_concat(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    int axis;
    ER_TRY(get_axis(c, y->rank, &axis));
    size_t es = er_dtype_size(y->dtype);
    int64_t outer = er_dims_prod(y->dims, 0, axis);
    char *dst = y->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < c->n_in; i++) {
            const er_tensor *x = c->in[i];
            size_t block = (size_t)er_dims_prod(x->dims, axis, x->rank) * es;
            if (!block) continue; /* an empty input may have no buffer */
            memcpy(dst, (const char *)x->data + (size_t)o * block, block);
            dst += block;
        }
    }
    return ER_OK;
}

const er_op_def er_op_concat = {
    .name = "Concat", .min_opset = 1, .shape = shape_concat, .run = run_concat};
