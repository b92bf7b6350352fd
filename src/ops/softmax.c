/* softmax.c - Softmax, LogSoftmax and Hardmax.
 *
 * Opset >= 13 normalises along one axis (default -1). Earlier opsets (1, 11)
 * flatten the input to 2-D at `axis` (default 1) and normalise each row of
 * prod(dims[axis:]) values. Both reduce to the same loop over
 * [outer, n, inner]: opset 13 has n = dims[axis], inner = prod(dims[axis+1:]);
 * the old form has n = prod(dims[axis:]), inner = 1.
 *
 * Numerically stable: the row maximum is subtracted before exp, sums are in
 * double. Hardmax marks the first maximum (numpy.argmax order). */
#include <math.h>
#include <string.h>

#include "cpu/gemm/vact.h"
#include "op.h"

typedef enum { S_SOFTMAX, S_LOGSOFTMAX, S_HARDMAX } smax_kind;

typedef struct {
    int64_t outer, n, inner;
} smax_geom;

static er_status geometry(const er_op_ctx *c, smax_geom *g) {
    const er_tensor *x = c->in[0];
    bool v13 = c->opset >= 13;
    if (x->rank < 1)
        return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; expected rank >= 1");
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", v13 ? -1 : 1), x->rank, &axis));
    g->outer = g->n = g->inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis) g->outer *= x->dims[i];
        else if (i == axis || !v13) g->n *= x->dims[i];
        else g->inner *= x->dims[i];
    }
    return ER_OK;
}

static er_status shape_smax(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    smax_geom g;
    ER_TRY(geometry(c, &g));
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return ER_OK;
}

#define LOAD_F32(p, i) ((double)((const float *)(p))[i])
#define STORE_F32(p, i, v) (((float *)(p))[i] = (float)(v))
#define LOAD_ANY(p, i) er_load_f64((p), dt, (size_t)(i))
#define STORE_ANY(p, i, v) er_store_f64((p), dt, (size_t)(i), (v))

#define SMAX_KERNEL(NAME, LOAD, STORE)                                                         \
    static void NAME(const smax_geom *g, smax_kind kind, er_dtype dt, const void *x, void *y) { \
        (void)dt;                                                                              \
        for (int64_t o = 0; o < g->outer; o++)                                                 \
            for (int64_t in = 0; in < g->inner; in++) {                                        \
                int64_t base = o * g->n * g->inner + in, st = g->inner;                        \
                if (g->n == 0) continue;                                                       \
                double mx = LOAD(x, base);                                                     \
                int64_t arg = 0;                                                               \
                for (int64_t k = 1; k < g->n; k++) {                                           \
                    double v = LOAD(x, base + k * st);                                         \
                    if (v > mx) {                                                              \
                        mx = v;                                                                \
                        arg = k;                                                               \
                    }                                                                          \
                }                                                                              \
                if (kind == S_HARDMAX) {                                                       \
                    for (int64_t k = 0; k < g->n; k++) STORE(y, base + k * st, k == arg ? 1.0 : 0.0); \
                    continue;                                                                  \
                }                                                                              \
                double sum = 0;                                                                \
                for (int64_t k = 0; k < g->n; k++) sum += exp(LOAD(x, base + k * st) - mx);    \
                if (kind == S_SOFTMAX) {                                                       \
                    double inv = 1.0 / sum;                                                    \
                    for (int64_t k = 0; k < g->n; k++)                                         \
                        STORE(y, base + k * st, exp(LOAD(x, base + k * st) - mx) * inv);       \
                } else {                                                                       \
                    double lse = mx + log(sum);                                                \
                    for (int64_t k = 0; k < g->n; k++)                                         \
                        STORE(y, base + k * st, LOAD(x, base + k * st) - lse);                 \
                }                                                                              \
            }                                                                                  \
    }
SMAX_KERNEL(smax_f32, LOAD_F32, STORE_F32)
SMAX_KERNEL(smax_any, LOAD_ANY, STORE_ANY)

static er_status run_kind(er_op_ctx *c, smax_kind kind) {
    smax_geom g;
    ER_TRY(geometry(c, &g));
    const er_tensor *x = c->in[0];
    if (x->dtype == ER_F32)
        smax_f32(&g, kind, x->dtype, x->data, c->out[0]->data);
    else
        smax_any(&g, kind, x->dtype, x->data, c->out[0]->data);
    return ER_OK;
}

static er_status run_softmax(er_op_ctx *c) { return run_kind(c, S_SOFTMAX); }
static er_status run_logsoftmax(er_op_ctx *c) { return run_kind(c, S_LOGSOFTMAX); }
static er_status run_hardmax(er_op_ctx *c) { return run_kind(c, S_HARDMAX); }

/* float32 rows along a contiguous axis (inner = 1, the usual last axis):
 * the maximum, then x - max through the vectorized exp of cpu/gemm/vact.h
 * (relative error 2e-7) into y, sums in double as the reference. x - max is
 * rounded to float first, so an output's relative error is at most
 * |x - max| * 2^-24 + 3e-7 (2.7e-6 at x - max = -40, where the output is
 * ~4e-18); tests/unit/test_softmax_fast.c holds it to that. */
static er_status run_fast(er_op_ctx *c, smax_kind kind) {
    smax_geom g;
    ER_TRY(geometry(c, &g));
    if (g.inner != 1) return run_kind(c, kind);
    er_f32_vexp_fn vexp = er_f32_vexp_pick((er_isa)c->isa);
    const float *x = c->in[0]->data;
    float *y = c->out[0]->data;
    for (int64_t o = 0; o < g.outer && g.n > 0; o++) {
        const float *xr = x + o * g.n;
        float *yr = y + o * g.n;
        float mx = xr[0];
        for (int64_t k = 1; k < g.n; k++) mx = xr[k] > mx ? xr[k] : mx;
        if (isnan(mx) || isinf(mx)) { /* the reference's NaN/inf handling */
            smax_geom one = {1, g.n, 1};
            smax_f32(&one, kind, ER_F32, xr, yr);
            continue;
        }
        for (int64_t k = 0; k < g.n; k++) yr[k] = xr[k] - mx;
        vexp(yr, (size_t)g.n);
        double sum = 0;
        for (int64_t k = 0; k < g.n; k++) sum += yr[k];
        if (kind == S_SOFTMAX) {
            float inv = (float)(1.0 / sum);
            for (int64_t k = 0; k < g.n; k++) yr[k] *= inv;
        } else {
            double lse = (double)mx + log(sum);
            for (int64_t k = 0; k < g.n; k++) yr[k] = (float)((double)xr[k] - lse);
        }
    }
    return ER_OK;
}

static er_status fast_softmax(er_op_ctx *c) { return run_fast(c, S_SOFTMAX); }
static er_status fast_logsoftmax(er_op_ctx *c) { return run_fast(c, S_LOGSOFTMAX); }

static er_status prepare_softmax(er_op_ctx *c) {
    if (c->in[0]->dtype == ER_F32) c->kernel = fast_softmax;
    return ER_OK;
}
static er_status prepare_logsoftmax(er_op_ctx *c) {
    if (c->in[0]->dtype == ER_F32) c->kernel = fast_logsoftmax;
    return ER_OK;
}

const er_op_def er_op_softmax = {.name = "Softmax", .min_opset = 1, .shape = shape_smax,
                                 .prepare = prepare_softmax, .run = run_softmax};
const er_op_def er_op_log_softmax = {.name = "LogSoftmax", .min_opset = 1, .shape = shape_smax,
                                     .prepare = prepare_logsoftmax, .run = run_logsoftmax};
const er_op_def er_op_hardmax = {.name = "Hardmax", .min_opset = 1, .shape = shape_smax,
                                 .run = run_hardmax};
