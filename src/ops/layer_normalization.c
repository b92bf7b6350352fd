/* layer_normalization.c - LayerNormalization (ONNX opset 17): X is viewed
 * as rows of prod(dims[axis:]) values; per row
 *   Mean = mean(x), InvStdDev = 1 / sqrt(var(x) + epsilon),
 *   Y = (x - Mean) * InvStdDev * Scale + B
 * with Scale and the optional B broadcast (numpy rules, towards X's shape).
 * Statistics are computed in double in two passes; the optional outputs
 * Mean and InvStdDev have shape dims[:axis] + [1] * (rank - axis) and the
 * stash_type dtype (float32 by default). */
#include <math.h>
#include <string.h>

#include "op.h"

/* float32 without the generic dtype switch; other dtypes through it */
static inline double ld(const void *p, er_dtype dt, size_t i) {
    return dt == ER_F32 ? (double)((const float *)p)[i] : er_load_f64(p, dt, i);
}
static inline void st(void *p, er_dtype dt, size_t i, double v) {
    if (dt == ER_F32) ((float *)p)[i] = (float)v;
    else er_store_f64(p, dt, i, v);
}

static er_status check_param(const er_op_ctx *c, int i) {
    const er_tensor *x = c->in[0], *p = c->in[i];
    if (!p) return ER_OK;
    int r;
    int64_t d[ER_MAX_RANK];
    if (!er_broadcast_shape(x->rank, x->dims, p->rank, p->dims, &r, d) ||
        !er_shape_equal(r, d, x->rank, x->dims))
        return er_fail(ER_ERR_SHAPE, "input %d shape %s cannot be broadcast to X %s", i,
                       er_op_shape_str(p), er_op_shape_str(x));
    return ER_OK;
}

static er_status shape_ln(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    if (c->n_out > 3)
        return er_fail(ER_ERR_INVALID_MODEL, "has %d outputs, at most 3 allowed", c->n_out);
    const er_tensor *x = c->in[0];
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), x->rank, &axis));
    int64_t stash = er_attr_int(c->node, "stash_type", ER_F32);
    if (stash != ER_F32 && stash != ER_F64 && stash != ER_F16 && stash != ER_BF16)
        return er_fail(ER_ERR_UNSUPPORTED, "stash_type %lld is not a supported float type",
                       (long long)stash);
    ER_TRY(check_param(c, 1));
    if (c->n_in > 2) ER_TRY(check_param(c, 2));
    int64_t sd[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) sd[i] = i < axis ? x->dims[i] : 1;
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    er_op_set_output(c, 1, (er_dtype)stash, x->rank, sd);
    er_op_set_output(c, 2, (er_dtype)stash, x->rank, sd);
    return ER_OK;
}

static er_status run_ln(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *sc = c->in[1];
    const er_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *y = c->out[0];
    er_tensor *mean_out = c->n_out > 1 ? c->out[1] : NULL;
    er_tensor *inv_out = c->n_out > 2 ? c->out[2] : NULL;
    er_dtype dt = x->dtype;
    int r = x->rank, axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), r, &axis));
    double eps = er_attr_float(c->node, "epsilon", 1e-5f);
    int64_t rows = 1, cols = 1;
    for (int i = 0; i < r; i++) {
        if (i < axis) rows *= x->dims[i];
        else cols *= x->dims[i];
    }
    /* Scale/B offsets follow X's row-major walk through broadcast strides */
    int64_t ss[ER_MAX_RANK] = {0}, bs[ER_MAX_RANK] = {0}, idx[ER_MAX_RANK] = {0};
    er_broadcast_strides(sc->rank, sc->dims, r, x->dims, ss);
    if (b) er_broadcast_strides(b->rank, b->dims, r, x->dims, bs);
    int64_t so = 0, bo = 0;
    for (int64_t row = 0; row < rows; row++) {
        size_t base = (size_t)(row * cols);
        double s = 0, sq = 0;
        for (int64_t j = 0; j < cols; j++) s += ld(x->data, dt, base + (size_t)j);
        double mean = cols ? s / (double)cols : 0;
        for (int64_t j = 0; j < cols; j++) {
            double d = ld(x->data, dt, base + (size_t)j) - mean;
            sq += d * d;
        }
        double inv = 1.0 / sqrt((cols ? sq / (double)cols : 0) + eps);
        if (mean_out) st(mean_out->data, mean_out->dtype, (size_t)row, mean);
        if (inv_out) st(inv_out->data, inv_out->dtype, (size_t)row, inv);
        for (int64_t j = 0; j < cols; j++) {
            size_t at = base + (size_t)j;
            double v = (ld(x->data, dt, at) - mean) * inv *
                       ld(sc->data, dt, (size_t)so);
            if (b) v += ld(b->data, dt, (size_t)bo);
            st(y->data, dt, at, v);
            for (int i = r - 1; i >= 0; i--) {
                so += ss[i];
                bo += bs[i];
                if (++idx[i] < x->dims[i]) break;
                so -= ss[i] * x->dims[i];
                bo -= bs[i] * x->dims[i];
                idx[i] = 0;
            }
        }
    }
    return ER_OK;
}

const er_op_def er_op_layer_normalization = {.name = "LayerNormalization", .min_opset = 17,
                                             .shape = shape_ln, .run = run_ln};
