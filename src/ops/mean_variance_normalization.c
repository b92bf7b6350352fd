/* mean_variance_normalization.c - MeanVarianceNormalization (ONNX opset
 * 9/13): y = (x - mean) / (sqrt(var) + 1e-9), mean and population variance
 * taken over `axes` (default [0, 2, 3]). The ONNX function computes
 * var = E[x^2] - E[x]^2; here it is the equal two-pass E[(x - mean)^2],
 * in double, which cannot go negative.
 *
 * Any axis subset works: every element maps to its slot in the reduced
 * tensor through strides that are 0 along the reduced axes, and per-slot
 * sums live in scratch (two doubles per slot). */
#include <math.h>
#include <string.h>

#include "core/checked_math.h"
#include "op.h"

typedef struct {
    int64_t rs[ER_MAX_RANK]; /* strides into the reduced tensor, 0 on reduced axes */
    int64_t slots;           /* elements of the reduced tensor */
    int64_t per_slot;        /* elements of X reduced into each slot */
} mvn_geom;

static er_status geometry(const er_op_ctx *c, mvn_geom *g) {
    const er_tensor *x = c->in[0];
    static const int64_t def_axes[] = {0, 2, 3};
    const int64_t *axes = def_axes;
    int n = er_attr_ints(c->node, "axes", &axes);
    if (n < 0) {
        axes = def_axes;
        n = 3;
    }
    bool red[ER_MAX_RANK] = {false};
    for (int k = 0; k < n; k++) {
        int a;
        ER_TRY(er_op_axis(c, axes[k], x->rank, &a));
        if (red[a]) return er_fail(ER_ERR_INVALID_MODEL, "axis %d appears twice in axes", a);
        red[a] = true;
    }
    g->slots = 1;
    g->per_slot = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        g->rs[i] = red[i] ? 0 : g->slots;
        if (red[i]) g->per_slot *= x->dims[i];
        else g->slots *= x->dims[i];
    }
    return ER_OK;
}

static er_status shape_mvn(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    mvn_geom g;
    ER_TRY(geometry(c, &g));
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return ER_OK;
}

static er_status prepare_mvn(er_op_ctx *c) {
    mvn_geom g;
    ER_TRY(geometry(c, &g));
    size_t bytes;
    if (!er_mul_size(&bytes, (size_t)g.slots, 2 * sizeof(double)))
        return er_fail(ER_ERR_SHAPE, "statistics buffer is too large");
    c->scratch_bytes = bytes;
    return ER_OK;
}

/* Runs the statement for every element `at` of x in row-major order, with
 * `slot` its reduced-tensor index. */
#define FOR_EACH(x, g, ...)                                                                   \
    do {                                                                                       \
        int64_t idx_[ER_MAX_RANK] = {0}, slot = 0;                                             \
        size_t total_ = er_tensor_numel(x);                                                    \
        for (size_t at = 0; at < total_; at++) {                                               \
            __VA_ARGS__;                                                                       \
            for (int i_ = (x)->rank - 1; i_ >= 0; i_--) {                                      \
                slot += (g)->rs[i_];                                                           \
                if (++idx_[i_] < (x)->dims[i_]) break;                                         \
                slot -= (g)->rs[i_] * (x)->dims[i_];                                           \
                idx_[i_] = 0;                                                                  \
            }                                                                                  \
        }                                                                                      \
    } while (0)

static er_status run_mvn(er_op_ctx *c) {
    mvn_geom g;
    ER_TRY(geometry(c, &g));
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    er_dtype dt = x->dtype;
    if (er_tensor_numel(x) == 0) return ER_OK;
    if (c->scratch_bytes < (size_t)g.slots * 2 * sizeof(double))
        return er_fail(ER_ERR_INTERNAL, "MeanVarianceNormalization ran without scratch");
    double *mean = c->scratch, *sd = mean + g.slots;
    double cnt = (double)g.per_slot;
    memset(mean, 0, sizeof(double) * (size_t)g.slots * 2);
    FOR_EACH(x, &g, mean[slot] += er_load_f64(x->data, dt, at));
    for (int64_t s = 0; s < g.slots; s++) mean[s] /= cnt;
    FOR_EACH(x, &g, {
        double d = er_load_f64(x->data, dt, at) - mean[slot];
        sd[slot] += d * d;
    });
    for (int64_t s = 0; s < g.slots; s++) sd[s] = sqrt(sd[s] / cnt) + 1e-9;
    FOR_EACH(x, &g, er_store_f64(y->data, dt, at, (er_load_f64(x->data, dt, at) - mean[slot]) /
                                                       sd[slot]));
    return ER_OK;
}

const er_op_def er_op_mean_variance_normalization = {
    .name = "MeanVarianceNormalization", .min_opset = 9, .shape = shape_mvn,
    .prepare = prepare_mvn, .run = run_mvn};
