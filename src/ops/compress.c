/* compress.c - Compress (ONNX 9/11): keeps the slices along `axis` whose
 * entry in the 1-D condition is true (numpy.compress). Without `axis` the
 * input is flattened first. A condition shorter than the axis drops the
 * slices it does not reach; a true entry beyond the axis is an error. The
 * condition's value decides the output shape. */
#include "data_util.h"
#include "op.h"

static er_status plan_compress(const er_op_ctx *c, int *axis, int64_t *dim, int64_t *kept) {
    const er_tensor *x = c->in[0], *cond = c->in[1];
    if (er_attr_find(c->node, "axis")) {
        ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, axis));
        *dim = x->dims[*axis];
    } else {
        *axis = -1;
        *dim = (int64_t)er_tensor_numel(x);
    }
    size_t n = er_tensor_numel(cond);
    int64_t count = 0;
    const uint8_t *v = cond->data;
    for (size_t i = 0; i < n; i++) {
        if (!v[i]) continue;
        if ((int64_t)i >= *dim)
            return er_fail(ER_ERR_SHAPE, "condition[%zu] is true but the compressed axis of input "
                           "0 shape %s has only %lld entries", i, er_op_shape_str(x),
                           (long long)*dim);
        count++;
    }
    *kept = count;
    return ER_OK;
}

static er_status shape_compress(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_op_need_value(c, 1));
    const er_tensor *x = c->in[0], *cond = c->in[1];
    if (cond->dtype != ER_BOOL || cond->rank != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "condition must be 1-D bool, has dtype %s shape %s",
                       er_dtype_name(cond->dtype), er_op_shape_str(cond));
    int axis;
    int64_t dim, kept;
    ER_TRY(plan_compress(c, &axis, &dim, &kept));
    if (axis < 0) {
        er_op_set_output(c, 0, x->dtype, 1, &kept);
    } else {
        int64_t d[ER_MAX_RANK];
        for (int k = 0; k < x->rank; k++) d[k] = x->dims[k];
        d[axis] = kept;
        er_op_set_output(c, 0, x->dtype, x->rank, d);
    }
    return ER_OK;
}

static er_status run_compress(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *cond = c->in[1];
    er_tensor *y = c->out[0];
    int axis;
    int64_t dim, kept;
    ER_TRY(plan_compress(c, &axis, &dim, &kept));
    size_t es = er_dtype_size(x->dtype);
    int64_t outer = axis < 0 ? 1 : er_dims_prod(x->dims, 0, axis);
    size_t inner = axis < 0 ? es : (size_t)er_dims_prod(x->dims, axis + 1, x->rank) * es;
    if (!inner || !kept) return ER_OK;
    int64_t n = (int64_t)er_tensor_numel(cond);
    if (n > dim) n = dim;
    const uint8_t *v = cond->data;
    char *dst = y->data;
    const char *src = x->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n; j++)
            if (v[j]) {
                memcpy(dst, src + (size_t)(o * dim + j) * inner, inner);
                dst += inner;
            }
    return ER_OK;
}

const er_op_def er_op_compress = {
    .name = "Compress", .min_opset = 9, .shape = shape_compress, .run = run_compress};
