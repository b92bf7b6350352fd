/* scatter_elements.c - ScatterElements (ONNX 11/13/16/18) and its
 * deprecated twin Scatter (ONNX 9/11, no reduction): y = data, then for
 * every position p of indices, y[p with its axis coordinate replaced by
 * indices[p]] = updates[p], or is combined with it by `reduction`
 * (add/mul from opset 16, max/min from 18). With reduction "none" and
 * duplicate indices the last update wins.
 *
 * indices and updates share one shape of data's rank whose dims off the
 * axis do not exceed data's, so only the index values need a run-time
 * check (negative ones count from the end). */
#include "data_util.h"
#include "op.h"

static er_status shape_scatter_elements(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 3, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    ER_TRY(er_op_same_dtype(c, 0, 2));
    const er_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    er_reduction red;
    ER_TRY(er_parse_reduction(c, &red));
    if (x->rank == 0) return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; needs rank >= 1");
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    if (!er_shape_equal(ind->rank, ind->dims, upd->rank, upd->dims))
        return er_fail(ER_ERR_SHAPE, "indices shape %s differs from updates shape %s",
                       er_op_shape_str(ind), er_op_shape_str(upd));
    bool ok = ind->rank == x->rank;
    for (int k = 0; ok && k < x->rank; k++)
        if (k != axis && ind->dims[k] > x->dims[k]) ok = false;
    if (!ok)
        return er_fail(ER_ERR_SHAPE, "indices shape %s does not fit data shape %s (same rank, "
                       "dims off axis %d no larger)", er_op_shape_str(ind), er_op_shape_str(x),
                       axis);
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_scatter_elements(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    er_tensor *y = c->out[0];
    er_reduction red;
    ER_TRY(er_parse_reduction(c, &red));
    int axis, r = x->rank;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), r, &axis));
    size_t es = er_dtype_size(x->dtype), n = er_tensor_numel(ind);
    er_copy_bytes(y->data, x->data, er_tensor_nbytes(x));
    int64_t xs[ER_MAX_RANK], idx[ER_MAX_RANK] = {0}, dim = x->dims[axis], base = 0;
    er_dense_strides(r, x->dims, xs);
    char *dst = y->data;
    const char *src = upd->data;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (!er_index_wrap(er_index_at(ind, i), dim, &v))
            return er_index_fail(er_index_at(ind, i), i, dim);
        er_reduce_elem(dst + (size_t)(base + v * xs[axis]) * es, src + i * es, x->dtype, red);
        for (int k = r - 1; k >= 0; k--) {
            if (k != axis) base += xs[k];
            if (++idx[k] < ind->dims[k]) break;
            if (k != axis) base -= xs[k] * ind->dims[k];
            idx[k] = 0;
        }
    }
    return ER_OK;
}

const er_op_def er_op_scatter_elements = {.name = "ScatterElements",
                                          .min_opset = 11,
                                          .shape = shape_scatter_elements,
                                          .run = run_scatter_elements};
const er_op_def er_op_scatter = {.name = "Scatter",
                                 .min_opset = 9,
                                 .shape = shape_scatter_elements,
                                 .run = run_scatter_elements};
