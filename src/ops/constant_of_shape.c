/* constant_of_shape.c - ConstantOfShape (ONNX 9/20): a tensor of the shape
 * given by input 0's value (1-D int64; empty = scalar), filled with the
 * single element of the `value` attribute (default float32 0). */
#include "data_util.h"
#include "op.h"

static er_status fill_value(const er_op_ctx *c, er_dtype *dt, const void **v) {
    static const float k_zero = 0.0f;
    const er_tensor *t = er_attr_tensor(c->node, "value");
    if (!t) {
        if (er_attr_find(c->node, "value"))
            return er_fail(ER_ERR_INVALID_MODEL, "attribute 'value' must be a tensor");
        *dt = ER_F32;
        *v = &k_zero;
        return ER_OK;
    }
    if (!er_dtype_supported(t->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "value has dtype %s", er_dtype_name(t->dtype));
    if (er_tensor_numel(t) != 1 || !t->data)
        return er_fail(ER_ERR_INVALID_MODEL, "value must hold exactly one element, has shape %s",
                       er_op_shape_str(t));
    *dt = t->dtype;
    *v = t->data;
    return ER_OK;
}

static er_status shape_constant_of_shape(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_need_value(c, 0));
    const er_tensor *s = c->in[0];
    if (s->dtype != ER_I64)
        return er_fail(ER_ERR_INVALID_MODEL, "input 0 must be int64, not %s",
                       er_dtype_name(s->dtype));
    if (s->rank != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "input 0 must be 1-D, has shape %s",
                       er_op_shape_str(s));
    if (s->dims[0] > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "output rank %lld exceeds the maximum %d",
                       (long long)s->dims[0], ER_MAX_RANK);
    int64_t d[ER_MAX_RANK];
    int n;
    ER_TRY(er_op_read_ints(c, 0, d, ER_MAX_RANK, &n));
    for (int k = 0; k < n; k++)
        if (d[k] < 0)
            return er_fail(ER_ERR_SHAPE, "dim %d of the requested shape is %lld", k,
                           (long long)d[k]);
    er_dtype dt;
    const void *v;
    ER_TRY(fill_value(c, &dt, &v));
    er_op_set_output(c, 0, dt, n, d);
    return ER_OK;
}

static er_status run_constant_of_shape(er_op_ctx *c) {
    er_dtype dt;
    const void *v;
    ER_TRY(fill_value(c, &dt, &v));
    er_tensor *y = c->out[0];
    size_t n = er_tensor_numel(y), es = er_dtype_size(dt);
    char *dst = y->data;
    for (size_t i = 0; i < n; i++) memcpy(dst + i * es, v, es);
    return ER_OK;
}

const er_op_def er_op_constant_of_shape = {.name = "ConstantOfShape",
                                           .min_opset = 9,
                                           .shape = shape_constant_of_shape,
                                           .run = run_constant_of_shape};
