/* window.c - the cosine-sum window family: HannWindow, HammingWindow,
 * BlackmanWindow (ONNX opset 17).
 *
 *   y[n] = a0 - a1 * cos(2 pi n / N) + a2 * cos(4 pi n / N),  n in [0, size)
 *
 * with N = size when `periodic` (default 1), size - 1 otherwise, and the
 * coefficients of the ONNX function bodies (Hamming uses 25/46 and 21/46).
 * The input is a scalar int32/int64 `size`; the output is [size] of
 * `output_datatype` (default float). A symmetric window of size 1 has N = 0:
 * its single angle is taken as 0 rather than 0/0. */
#include <math.h>
#include <string.h>

#include "op.h"

static void coeffs(const er_op_ctx *c, double *a0, double *a1, double *a2) {
    const char *op = c->node->op_type;
    *a2 = 0;
    if (strcmp(op, "HammingWindow") == 0) {
        *a0 = 25.0 / 46.0;
        *a1 = 21.0 / 46.0;
    } else if (strcmp(op, "BlackmanWindow") == 0) {
        *a0 = 0.42;
        *a1 = 0.5;
        *a2 = 0.08;
    } else {
        *a0 = 0.5;
        *a1 = 0.5;
    }
}

static er_status read_size(er_op_ctx *c, int64_t *size) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    const er_tensor *s = c->in[0];
    if ((s->dtype != ER_I32 && s->dtype != ER_I64) || s->rank > 1 || er_tensor_numel(s) != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "size (input 0) must be one int32/int64 value, "
                       "has %s %s", er_dtype_name(s->dtype), er_op_shape_str(s));
    ER_TRY(er_op_need_value(c, 0));
    *size = er_load_i64(s->data, s->dtype, 0);
    if (*size < 0)
        return er_fail(ER_ERR_SHAPE, "size %lld is negative", (long long)*size);
    return ER_OK;
}

static er_status shape_window(er_op_ctx *c) {
    int64_t size = 0;
    ER_TRY(read_size(c, &size));
    int64_t dt = er_attr_int(c->node, "output_datatype", ER_F32);
    if (dt < 0 || dt > 64 || !er_dtype_supported((er_dtype)dt) || dt == ER_BOOL)
        return er_fail(ER_ERR_UNSUPPORTED, "output_datatype %lld is not a supported numeric "
                       "dtype", (long long)dt);
    er_op_set_output(c, 0, (er_dtype)dt, 1, &size);
    return ER_OK;
}

static er_status run_window(er_op_ctx *c) {
    int64_t size = 0;
    ER_TRY(read_size(c, &size));
    double a0, a1, a2;
    coeffs(c, &a0, &a1, &a2);
    bool periodic = er_attr_int(c->node, "periodic", 1) != 0;
    double n_div = (double)(periodic ? size : size - 1);
    er_tensor *y = c->out[0];
    for (int64_t n = 0; n < size; n++) {
        double ang = n_div > 0 ? 2 * M_PI * (double)n / n_div : 0;
        er_store_f64(y->data, y->dtype, (size_t)n, a0 - a1 * cos(ang) + a2 * cos(2 * ang));
    }
    return ER_OK;
}

const er_op_def er_op_blackman_window = {.name = "BlackmanWindow", .min_opset = 17,
                                         .shape = shape_window, .run = run_window};
const er_op_def er_op_hamming_window = {.name = "HammingWindow", .min_opset = 17,
                                        .shape = shape_window, .run = run_window};
const er_op_def er_op_hann_window = {.name = "HannWindow", .min_opset = 17,
                                     .shape = shape_window, .run = run_window};
