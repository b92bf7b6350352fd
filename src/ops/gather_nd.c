/* gather_nd.c - GatherND (ONNX 11/12/13): each length-m row of `indices`
 * addresses a slice data[b.., i0, .., i(m-1), :] and the slices are stacked:
 * y.shape = indices.shape[:-1] + data.shape[b + m:], with b = batch_dims
 * (opset 12) leading dims shared by data and indices. Indices may be
 * negative (count from the end); others out of range fail at run time. */
#include "data_util.h"
#include "op.h"

static er_status shape_gather_nd(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    const er_tensor *x = c->in[0], *ind = c->in[1];
    int64_t b = er_attr_int(c->node, "batch_dims", 0);
    int q = ind->rank, r = x->rank;
    if (r < 1 || q < 1)
        return er_fail(ER_ERR_SHAPE, "data shape %s and indices shape %s must have rank >= 1",
                       er_op_shape_str(x), er_op_shape_str(ind));
    if (b < 0 || b >= q || b >= r)
        return er_fail(ER_ERR_INVALID_MODEL, "batch_dims %lld must be in [0, min(%d, %d))",
                       (long long)b, q, r);
    int64_t m = ind->dims[q - 1];
    if (m < 1 || m > r - b)
        return er_fail(ER_ERR_SHAPE, "indices shape %s: last dim %lld must be in [1, %lld] for "
                       "data shape %s and batch_dims %lld", er_op_shape_str(ind), (long long)m,
                       (long long)(r - b), er_op_shape_str(x), (long long)b);
    for (int k = 0; k < b; k++)
        if (x->dims[k] != ind->dims[k])
            return er_fail(ER_ERR_SHAPE, "batch dim %d differs: data shape %s, indices shape %s",
                           k, er_op_shape_str(x), er_op_shape_str(ind));
    int64_t d[ER_MAX_RANK];
    int n = 0;
    if (q - 1 + r - b - m > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "output rank exceeds the maximum %d", ER_MAX_RANK);
    for (int k = 0; k < q - 1; k++) d[n++] = ind->dims[k];
    for (int k = (int)(b + m); k < r; k++) d[n++] = x->dims[k];
    er_op_set_output(c, 0, x->dtype, n, d);
    return ER_OK;
}

static er_status run_gather_nd(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *ind = c->in[1];
    er_tensor *y = c->out[0];
    int b = (int)er_attr_int(c->node, "batch_dims", 0), q = ind->rank, r = x->rank;
    int m = (int)ind->dims[q - 1];
    size_t es = er_dtype_size(x->dtype);
    int64_t batches = er_dims_prod(x->dims, 0, b);
    int64_t per_batch = er_dims_prod(ind->dims, b, q - 1); /* index rows per batch */
    int64_t slice = er_dims_prod(x->dims, b + m, r);       /* elements per slice */
    int64_t block = er_dims_prod(x->dims, b, r);           /* data elements per batch */
    int64_t st[ER_MAX_RANK];                               /* strides of dims b..b+m-1 */
    st[m - 1] = slice;
    for (int k = m - 2; k >= 0; k--) st[k] = st[k + 1] * x->dims[b + k + 1];
    size_t slice_bytes = (size_t)slice * es;
    const char *src = x->data;
    size_t row = 0; /* index row number over all batches */
    for (int64_t bi = 0; bi < batches; bi++) {
        for (int64_t j = 0; j < per_batch; j++, row++) {
            int64_t off = bi * block;
            for (int k = 0; k < m; k++) {
                size_t pos = row * (size_t)m + (size_t)k;
                int64_t v, dim = x->dims[b + k];
                if (!er_index_wrap(er_index_at(ind, pos), dim, &v))
                    return er_index_fail(er_index_at(ind, pos), pos, dim);
                off += v * st[k];
            }
            if (slice_bytes)
                memcpy((char *)y->data + row * slice_bytes, src + (size_t)off * es, slice_bytes);
        }
    }
    return ER_OK;
}

const er_op_def er_op_gather_nd = {
    .name = "GatherND", .min_opset = 11, .shape = shape_gather_nd, .run = run_gather_nd};
