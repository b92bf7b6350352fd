/* non_zero.c - NonZero (ONNX 9/13): the coordinates of the non-zero
 * elements as an int64 tensor [rank, count], in C order (numpy.nonzero).
 * A scalar counts as a 1-element vector. The count depends on the input's
 * values, so shape() needs them: with a run-time input the session runs
 * dynamically. Floats compare with != 0 (NaN counts as non-zero). */
#include "data_util.h"
#include "op.h"

static bool is_nonzero(const er_tensor *x, size_t i) {
    size_t es = er_dtype_size(x->dtype);
    const unsigned char *p = (const unsigned char *)x->data + i * es;
    if (er_dtype_is_float(x->dtype)) return er_load_f64(x->data, x->dtype, i) != 0;
    for (size_t b = 0; b < es; b++)
        if (p[b]) return true;
    return false;
}

static er_status shape_non_zero(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_op_need_value(c, 0));
    const er_tensor *x = c->in[0];
    size_t n = er_tensor_numel(x);
    int64_t d[2] = {x->rank ? x->rank : 1, 0};
    for (size_t i = 0; i < n; i++) d[1] += is_nonzero(x, i);
    er_op_set_output(c, 0, ER_I64, 2, d);
    return ER_OK;
}

static er_status run_non_zero(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    size_t n = er_tensor_numel(x), cnt = (size_t)y->dims[1], j = 0;
    int r = x->rank;
    int64_t idx[ER_MAX_RANK] = {0}, *out = y->data;
    for (size_t i = 0; i < n; i++) {
        if (is_nonzero(x, i) && j < cnt) {
            if (r == 0) out[j] = 0;
            for (int k = 0; k < r; k++) out[(size_t)k * cnt + j] = idx[k];
            j++;
        }
        for (int k = r - 1; k >= 0; k--) {
            if (++idx[k] < x->dims[k]) break;
            idx[k] = 0;
        }
    }
    return ER_OK;
}

const er_op_def er_op_non_zero = {
    .name = "NonZero", .min_opset = 9, .shape = shape_non_zero, .run = run_non_zero};
