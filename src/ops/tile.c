/* tile.c - Tile (ONNX 6/13): repeats the input repeats[k] times along each
 * axis k; repeats is input 1 (1-D int64, one entry per axis, each >= 0) and
 * its value decides the output shape.
 *
 * Output axis k of size repeats[k] * d[k] is viewed as two axes
 * (repeats[k], d[k]) with input strides (0, stride[k]), which turns Tile into
 * one strided copy of rank 2r; repeats of 1 vanish in the copy's merging. */
#include "core/checked_math.h"
#include "data_util.h"
#include "op.h"

static er_status shape_tile(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_op_need_value(c, 1));
    const er_tensor *x = c->in[0], *rep = c->in[1];
    if (rep->dtype != ER_I64 || rep->rank != 1 || rep->dims[0] != x->rank)
        return er_fail(ER_ERR_INVALID_MODEL, "input 1 (repeats) must be 1-D int64 with one entry "
                       "per axis of input 0 shape %s; has dtype %s shape %s", er_op_shape_str(x),
                       er_dtype_name(rep->dtype), er_op_shape_str(rep));
    int64_t d[ER_MAX_RANK];
    const int64_t *r = rep->data;
    for (int k = 0; k < x->rank; k++)
        if (r[k] < 0 || !er_mul_i64(&d[k], x->dims[k], r[k]))
            return er_fail(ER_ERR_SHAPE, "repeats[%d] = %lld is negative or too large", k,
                           (long long)r[k]);
    er_op_set_output(c, 0, x->dtype, x->rank, d);
    return ER_OK;
}

static er_status run_tile(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int64_t xs[ER_MAX_RANK], d[ER_COPY_MAX_RANK], s[ER_COPY_MAX_RANK];
    er_dense_strides(x->rank, x->dims, xs);
    const int64_t *r = c->in[1]->data;
    for (int k = 0; k < x->rank; k++) {
        d[2 * k] = r[k];
        s[2 * k] = 0;
        d[2 * k + 1] = x->dims[k];
        s[2 * k + 1] = xs[k];
    }
    er_copy_strided(y->data, x->data, er_dtype_size(x->dtype), 2 * x->rank, d, s);
    return ER_OK;
}

const er_op_def er_op_tile = {.name = "Tile", .min_opset = 6, .shape = shape_tile, .run = run_tile};
