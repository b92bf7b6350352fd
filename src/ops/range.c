/* range.c - Range (ONNX 11): y[i] = start + i * delta for
 * i < max(ceil((limit - start) / delta), 0). The three inputs are scalars of
 * the output's dtype (float, double, int16, int32, int64) and their values
 * decide the output length.
 *
 * Integer counts are computed in uint64 from the exact difference, so no
 * start/limit pair can overflow; floats follow the spec formula in double. */
#include <math.h>

#include "data_util.h"
#include "op.h"

static const er_dtype k_range_types[] = {ER_F32, ER_F64, ER_I16, ER_I32, ER_I64, ER_UNDEF};

static er_status range_count(const er_op_ctx *c, int64_t *count) {
    const er_tensor *t0 = c->in[0];
    er_dtype dt = t0->dtype;
    if (er_dtype_is_float(dt)) {
        double start = er_load_f64(t0->data, dt, 0), limit = er_load_f64(c->in[1]->data, dt, 0),
               delta = er_load_f64(c->in[2]->data, dt, 0);
        if (delta == 0) return er_fail(ER_ERR_INVALID_ARG, "delta is 0");
        double n = ceil((limit - start) / delta);
        if (n != n || n > 1e15)
            return er_fail(ER_ERR_SHAPE, "range(%g, %g, %g) has too many elements", start, limit,
                           delta);
        *count = n > 0 ? (int64_t)n : 0;
        return ER_OK;
    }
    int64_t start = er_load_i64(t0->data, dt, 0), limit = er_load_i64(c->in[1]->data, dt, 0),
            delta = er_load_i64(c->in[2]->data, dt, 0);
    if (delta == 0) return er_fail(ER_ERR_INVALID_ARG, "delta is 0");
    uint64_t diff, step;
    if (delta > 0) {
        if (limit <= start) return *count = 0, ER_OK;
        diff = (uint64_t)limit - (uint64_t)start;
        step = (uint64_t)delta;
    } else {
        if (limit >= start) return *count = 0, ER_OK;
        diff = (uint64_t)start - (uint64_t)limit;
        step = 0 - (uint64_t)delta;
    }
    uint64_t n = (diff - 1) / step + 1;
    if (n > (uint64_t)INT64_MAX)
        return er_fail(ER_ERR_SHAPE, "range(%lld, %lld, %lld) has too many elements",
                       (long long)start, (long long)limit, (long long)delta);
    *count = (int64_t)n;
    return ER_OK;
}

static er_status shape_range(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 3, 3));
    ER_TRY(er_op_check_dtype(c, 0, k_range_types));
    for (int i = 0; i < 3; i++) {
        ER_TRY(er_op_same_dtype(c, 0, i));
        ER_TRY(er_op_need_value(c, i));
        if (er_tensor_numel(c->in[i]) != 1)
            return er_fail(ER_ERR_INVALID_MODEL, "input %d must be a scalar, has shape %s", i,
                           er_op_shape_str(c->in[i]));
    }
    int64_t n;
    ER_TRY(range_count(c, &n));
    er_op_set_output(c, 0, c->in[0]->dtype, 1, &n);
    return ER_OK;
}

static er_status run_range(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    er_dtype dt = y->dtype;
    size_t n = er_tensor_numel(y);
    if (er_dtype_is_float(dt)) {
        double start = er_load_f64(c->in[0]->data, dt, 0);
        double delta = er_load_f64(c->in[2]->data, dt, 0);
        for (size_t i = 0; i < n; i++) er_store_f64(y->data, dt, i, start + (double)i * delta);
        return ER_OK;
    }
    uint64_t start = (uint64_t)er_load_i64(c->in[0]->data, dt, 0);
    uint64_t delta = (uint64_t)er_load_i64(c->in[2]->data, dt, 0);
    for (size_t i = 0; i < n; i++) er_store_i64(y->data, dt, i, (int64_t)(start + i * delta));
    return ER_OK;
}

const er_op_def er_op_range = {
    .name = "Range", .min_opset = 11, .shape = shape_range, .run = run_range};
