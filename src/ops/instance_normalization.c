/* instance_normalization.c - InstanceNormalization (ONNX opset 6 semantics):
 * for every (n, c) plane of X [N, C, D1..Dn],
 *   y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c]
 * with the mean and population variance of that plane, computed in double
 * in two passes (no E[x^2] - E[x]^2 cancellation). */
#include <math.h>

#include "op.h"

/* float32 without the generic dtype switch; other dtypes through it */
static inline double ld(const void *p, er_dtype dt, size_t i) {
    return dt == ER_F32 ? (double)((const float *)p)[i] : er_load_f64(p, dt, i);
}
static inline void st(void *p, er_dtype dt, size_t i, double v) {
    if (dt == ER_F32) ((float *)p)[i] = (float)v;
    else er_store_f64(p, dt, i, v);
}

static er_status shape_in(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 3, 3));
    for (int i = 0; i < 3; i++) ER_TRY(er_op_check_dtype(c, i, er_dt_float));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    ER_TRY(er_op_same_dtype(c, 0, 2));
    const er_tensor *x = c->in[0];
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    for (int i = 1; i < 3; i++)
        if (c->in[i]->rank != 1 || c->in[i]->dims[0] != x->dims[1])
            return er_fail(ER_ERR_SHAPE, "input %d shape %s: expected [%lld] (channels of %s)", i,
                           er_op_shape_str(c->in[i]), (long long)x->dims[1], er_op_shape_str(x));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_in(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *scale = c->in[1], *bias = c->in[2];
    er_tensor *y = c->out[0];
    er_dtype dt = x->dtype;
    double eps = er_attr_float(c->node, "epsilon", 1e-5f);
    int64_t C = x->dims[1], planes = x->dims[0] * C, inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    for (int64_t p = 0; p < planes; p++) {
        size_t base = (size_t)(p * inner);
        double s = 0, ss = 0;
        for (int64_t i = 0; i < inner; i++) s += ld(x->data, dt, base + (size_t)i);
        double mean = inner ? s / (double)inner : 0;
        for (int64_t i = 0; i < inner; i++) {
            double d = ld(x->data, dt, base + (size_t)i) - mean;
            ss += d * d;
        }
        double var = inner ? ss / (double)inner : 0;
        double a = ld(scale->data, dt, (size_t)(p % C)) / sqrt(var + eps);
        double b = ld(bias->data, dt, (size_t)(p % C)) - mean * a;
        for (int64_t i = 0; i < inner; i++)
            st(y->data, dt, base + (size_t)i,
                         ld(x->data, dt, base + (size_t)i) * a + b);
    }
    return ER_OK;
}

const er_op_def er_op_instance_normalization = {.name = "InstanceNormalization", .min_opset = 6,
                                                .shape = shape_in, .run = run_in};
