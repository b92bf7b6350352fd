/* scatter_nd.c - ScatterND (ONNX 11/13/16/18): y = data, then each length-k
 * row of `indices` addresses a slice y[i0, .., i(k-1), :] that receives the
 * matching slice of `updates` (or is combined with it by `reduction`:
 * add/mul from opset 16, max/min from 18). Shapes:
 * updates.shape = indices.shape[:-1] + data.shape[k:]. Negative indices
 * count from the end; others out of range fail at run time. */
#include "data_util.h"
#include "op.h"

static er_status shape_scatter_nd(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 3, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    ER_TRY(er_op_same_dtype(c, 0, 2));
    const er_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    er_reduction red;
    ER_TRY(er_parse_reduction(c, &red));
    int q = ind->rank, r = x->rank;
    if (r < 1 || q < 1)
        return er_fail(ER_ERR_SHAPE, "data shape %s and indices shape %s must have rank >= 1",
                       er_op_shape_str(x), er_op_shape_str(ind));
    int64_t k = ind->dims[q - 1];
    bool ok = k >= 1 && k <= r && upd->rank == q - 1 + r - k;
    for (int i = 0; ok && i < q - 1; i++)
        if (upd->dims[i] != ind->dims[i]) ok = false;
    for (int i = (int)k; ok && i < r; i++)
        if (upd->dims[q - 1 + i - k] != x->dims[i]) ok = false;
    if (!ok)
        return er_fail(ER_ERR_SHAPE, "data shape %s, indices shape %s and updates shape %s do "
                       "not fit (updates = indices[:-1] + data[indices[-1]:])",
                       er_op_shape_str(x), er_op_shape_str(ind), er_op_shape_str(upd));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_scatter_nd(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    er_tensor *y = c->out[0];
    er_reduction red;
    ER_TRY(er_parse_reduction(c, &red));
    int q = ind->rank, r = x->rank, k = (int)ind->dims[q - 1];
    size_t es = er_dtype_size(x->dtype);
    er_copy_bytes(y->data, x->data, er_tensor_nbytes(x));
    int64_t xs[ER_MAX_RANK];
    er_dense_strides(r, x->dims, xs);
    int64_t rows = er_dims_prod(ind->dims, 0, q - 1);
    size_t slice = (size_t)er_dims_prod(x->dims, k, r); /* elements per slice */
    char *dst = y->data;
    const char *src = upd->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        for (int j = 0; j < k; j++) {
            size_t pos = (size_t)(row * k + j);
            int64_t v, dim = x->dims[j];
            if (!er_index_wrap(er_index_at(ind, pos), dim, &v))
                return er_index_fail(er_index_at(ind, pos), pos, dim);
            off += v * xs[j];
        }
        if (!slice) continue;
        char *d = dst + (size_t)off * es;
        const char *s = src + (size_t)row * slice * es;
        if (red == ER_RED_NONE) {
            memcpy(d, s, slice * es);
        } else {
            for (size_t i = 0; i < slice; i++)
                er_reduce_elem(d + i * es, s + i * es, x->dtype, red);
        }
    }
    return ER_OK;
}

const er_op_def er_op_scatter_nd = {
    .name = "ScatterND", .min_opset = 11, .shape = shape_scatter_nd, .run = run_scatter_nd};
