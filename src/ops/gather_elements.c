/* gather_elements.c - GatherElements (ONNX 11/13): y has the shape of
 * `indices` and y[i..] = data[i..] with the axis coordinate replaced by
 * indices[i..] (numpy take_along_axis).
 *
 * indices has data's rank; its dims off the axis must not exceed data's, so
 * every coordinate other than the gathered one is in range by construction
 * and only the index values need a run-time check. */
#include "data_util.h"
#include "op.h"

static er_status shape_gather_elements(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    const er_tensor *x = c->in[0], *ind = c->in[1];
    if (x->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; GatherElements needs rank >= 1");
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    bool ok = ind->rank == x->rank;
    for (int k = 0; ok && k < x->rank; k++)
        if (k != axis && ind->dims[k] > x->dims[k]) ok = false;
    if (!ok)
        return er_fail(ER_ERR_SHAPE, "indices shape %s does not fit data shape %s (same rank, "
                       "dims off axis %d no larger)", er_op_shape_str(ind), er_op_shape_str(x),
                       axis);
    er_op_set_output(c, 0, x->dtype, ind->rank, ind->dims);
    return ER_OK;
}

static er_status run_gather_elements(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1];
    er_tensor *y = c->out[0];
    int axis, r = x->rank;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), r, &axis));
    size_t n = er_tensor_numel(ind), es = er_dtype_size(x->dtype);
    int64_t xs[ER_MAX_RANK], idx[ER_MAX_RANK] = {0};
    er_dense_strides(r, x->dims, xs);
    int64_t dim = x->dims[axis];
    int64_t base = 0; /* offset in data of idx with the axis coordinate at 0 */
    char *dst = y->data;
    const char *src = x->data;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (!er_index_wrap(er_index_at(ind, i), dim, &v))
            return er_index_fail(er_index_at(ind, i), i, dim);
        memcpy(dst + i * es, src + (size_t)(base + v * xs[axis]) * es, es);
        for (int k = r - 1; k >= 0; k--) {
            if (k != axis) base += xs[k];
            if (++idx[k] < ind->dims[k]) break;
            if (k != axis) base -= xs[k] * ind->dims[k];
            idx[k] = 0;
        }
    }
    return ER_OK;
}

const er_op_def er_op_gather_elements = {.name = "GatherElements",
                                         .min_opset = 11,
                                         .shape = shape_gather_elements,
                                         .run = run_gather_elements};
