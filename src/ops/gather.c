/* gather.c - Gather: picks slices of `data` along `axis` by index
 * (ONNX Gather-1/11/13): y.shape = data.shape[:axis] + indices.shape +
 * data.shape[axis+1:]. Indices are int32/int64, negative ones count from
 * the end (opset 11), others outside [-d, d) are a run-time error. Each
 * picked slice is one contiguous run of data.shape[axis+1:] elements. */
#include "data_util.h"
#include "op.h"

static er_status shape_gather(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    const er_tensor *x = c->in[0], *ind = c->in[1];
    if (x->rank == 0) return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; Gather needs rank >= 1");
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    int r = x->rank - 1 + ind->rank;
    if (r > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "output rank %d (data %s, indices %s) exceeds the "
                       "maximum %d", r, er_op_shape_str(x), er_op_shape_str(ind), ER_MAX_RANK);
    int64_t d[ER_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++) d[k++] = x->dims[i];
    for (int i = 0; i < ind->rank; i++) d[k++] = ind->dims[i];
    for (int i = axis + 1; i < x->rank; i++) d[k++] = x->dims[i];
    er_op_set_output(c, 0, x->dtype, r, d);
    return ER_OK;
}

static er_status run_gather(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1];
    er_tensor *y = c->out[0];
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    int64_t dim = x->dims[axis], outer = er_dims_prod(x->dims, 0, axis);
    size_t n_ind = er_tensor_numel(ind);
    size_t inner = (size_t)er_dims_prod(x->dims, axis + 1, x->rank) * er_dtype_size(x->dtype);
    for (size_t j = 0; j < n_ind; j++) {
        int64_t v;
        if (!er_index_wrap(er_index_at(ind, j), dim, &v))
            return er_index_fail(er_index_at(ind, j), j, dim);
    }
    if (!inner || !n_ind) return ER_OK;
    char *dst = y->data;
    const char *src = x->data;
    for (int64_t o = 0; o < outer; o++) {
        for (size_t j = 0; j < n_ind; j++) {
            int64_t v = 0;
            er_index_wrap(er_index_at(ind, j), dim, &v); /* checked above */
            memcpy(dst, src + ((size_t)(o * dim + v)) * inner, inner);
            dst += inner;
        }
    }
    return ER_OK;
}

const er_op_def er_op_gather = {
    .name = "Gather", .min_opset = 1, .shape = shape_gather, .run = run_gather};
