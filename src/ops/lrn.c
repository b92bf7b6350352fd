/* lrn.c - LRN, local response normalization across channels (ONNX opset
 * 1..13 semantics): for X [N, C, D1..Dn],
 *   y[c] = x[c] / (bias + alpha / size * sum(x[c']^2))^beta
 * over c' in [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to
 * [0, C). Sums are in double. */
#include <math.h>
#include <stdint.h>

#include "op.h"

static er_status shape_lrn(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    const er_tensor *x = c->in[0];
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    int64_t size = er_attr_int(c->node, "size", 0);
    if (size < 1 || size > INT32_MAX)
        return er_fail(ER_ERR_INVALID_MODEL, "size %lld must be in [1, 2^31) (it is required)",
                       (long long)size);
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_lrn(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    er_dtype dt = x->dtype;
    double alpha = er_attr_float(c->node, "alpha", 1e-4f);
    double beta = er_attr_float(c->node, "beta", 0.75f);
    double bias = er_attr_float(c->node, "bias", 1.0f);
    int64_t size = er_attr_int(c->node, "size", 1);
    int64_t N = x->dims[0], C = x->dims[1], inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    int64_t before = (size - 1) / 2, after = size - 1 - before;
    for (int64_t nb = 0; nb < N; nb++)
        for (int64_t ch = 0; ch < C; ch++) {
            int64_t lo = ch - before < 0 ? 0 : ch - before;
            int64_t hi = ch + after >= C ? C - 1 : ch + after;
            for (int64_t i = 0; i < inner; i++) {
                double sq = 0;
                for (int64_t k = lo; k <= hi; k++) {
                    double v = er_load_f64(x->data, dt, (size_t)((nb * C + k) * inner + i));
                    sq += v * v;
                }
                size_t at = (size_t)((nb * C + ch) * inner + i);
                double v = er_load_f64(x->data, dt, at);
                er_store_f64(y->data, dt, at, v / pow(bias + alpha / (double)size * sq, beta));
            }
        }
    return ER_OK;
}

const er_op_def er_op_lrn = {.name = "LRN", .min_opset = 1, .shape = shape_lrn, .run = run_lrn};
