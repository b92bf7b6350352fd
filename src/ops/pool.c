/* pool.c - the pooling family over X [N, C, D1..Dn]:
 *   MaxPool      opset 1..12 (ceil_mode, dilations, storage_order, optional
 *                int64 Indices output, int8/uint8 data since opset 12)
 *   AveragePool  opset 1..19 (count_include_pad, ceil_mode, dilations)
 *   LpPool       opset 1..18 (p was a float in opset 1, an int later)
 *   GlobalAveragePool, GlobalMaxPool, GlobalLpPool
 *
 * One kernel template serves all window pools: per output position the
 * valid taps along each axis form a box (er_window_taps), which is walked
 * with the last axis innermost. Padding never contributes a value: MaxPool
 * ignores it, LpPool treats it as 0 (the same thing for a sum of |x|^p) and
 * AveragePool divides by the number of valid taps, or with
 * count_include_pad by the taps inside the padded extent (so the part of a
 * ceil_mode window beyond the end padding is never counted, as in the ONNX
 * reference).
 *
 * MaxPool Indices are flat indices into X: (n*C + c) * prod(D) + the
 * row-major (storage_order 0) or column-major (1) offset of the spatial
 * position; the first maximum in row-major window order wins. A window that
 * holds only padding yields -inf (or the integer type's minimum) and index
 * -1, an AveragePool one 0/0 = NaN. */
#include <math.h>
#include <string.h>

#include "op.h"
#include "spatial.h"

typedef enum { P_MAX, P_AVG, P_LP } pool_kind;

typedef struct {
    pool_kind kind;
    er_window w;
    int64_t planes; /* N * C */
    int64_t C;
    bool count_include_pad;
    bool col_major; /* storage_order = 1 */
    double p;       /* LpPool */
} pool_job;

static const er_dtype k_max_dtypes[] = {ER_F32, ER_F64, ER_F16, ER_I8, ER_U8, ER_UNDEF};

static double lp_p(const er_op_ctx *c) {
    const er_attr *a = er_attr_find(c->node, "p");
    if (!a) return 2.0;
    return a->type == ER_ATTR_FLOAT ? (double)a->f : (double)a->i;
}

static er_status job_init(const er_op_ctx *c, pool_kind kind, pool_job *j) {
    const er_tensor *x = c->in[0];
    memset(j, 0, sizeof *j);
    j->kind = kind;
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    int64_t ceil_mode = er_attr_int(c->node, "ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "ceil_mode %lld must be 0 or 1", (long long)ceil_mode);
    ER_TRY(er_window_init(c, x->rank - 2, x->dims + 2, NULL, ceil_mode != 0, &j->w));
    j->planes = x->dims[0] * x->dims[1];
    j->C = x->dims[1];
    int64_t cip = er_attr_int(c->node, "count_include_pad", 0);
    if (cip != 0 && cip != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "count_include_pad %lld must be 0 or 1",
                       (long long)cip);
    j->count_include_pad = cip != 0;
    int64_t so = er_attr_int(c->node, "storage_order", 0);
    if (so != 0 && so != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "storage_order %lld must be 0 or 1", (long long)so);
    j->col_major = so != 0;
    if (kind == P_LP) {
        j->p = lp_p(c);
        if (!(j->p > 0) || j->p > 1e6)
            return er_fail(ER_ERR_INVALID_MODEL, "p = %g must be positive", j->p);
    }
    return ER_OK;
}

static er_status shape_window_pool(er_op_ctx *c, pool_kind kind) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, kind == P_MAX ? k_max_dtypes : er_dt_float));
    if (c->n_out > (kind == P_MAX ? 2 : 1))
        return er_fail(ER_ERR_INVALID_MODEL, "has %d outputs, at most %d allowed", c->n_out,
                       kind == P_MAX ? 2 : 1);
    pool_job j;
    ER_TRY(job_init(c, kind, &j));
    const er_tensor *x = c->in[0];
    int64_t dims[ER_MAX_RANK] = {x->dims[0], x->dims[1]};
    for (int i = 0; i < j.w.n; i++) dims[2 + i] = j.w.out[i];
    er_op_set_output(c, 0, x->dtype, x->rank, dims);
    er_op_set_output(c, 1, ER_I64, x->rank, dims);
    return ER_OK;
}

static er_status shape_maxpool(er_op_ctx *c) { return shape_window_pool(c, P_MAX); }
static er_status shape_avgpool(er_op_ctx *c) { return shape_window_pool(c, P_AVG); }
static er_status shape_lppool(er_op_ctx *c) { return shape_window_pool(c, P_LP); }

static double empty_max(er_dtype dt) {
    switch (dt) {
    case ER_I8: return -128.0;
    case ER_U8: return 0.0;
    default: return -INFINITY;
    }
}

/* One template, two element accessors: direct float32 and the generic
 * er_load_f64/er_store_f64 for the other dtypes. */
#define LOAD_F32(p, i) ((double)((const float *)(p))[i])
#define STORE_F32(p, i, v) (((float *)(p))[i] = (float)(v))
#define LOAD_ANY(p, i) er_load_f64((p), dt, (size_t)(i))
#define STORE_ANY(p, i, v) er_store_f64((p), dt, (size_t)(i), (v))

#define POOL_KERNEL(NAME, LOAD, STORE)                                                         \
    static void NAME(const pool_job *j, er_dtype dt, const void *x, void *y, int64_t *ind) {   \
        (void)dt;                                                                              \
        const er_window *w = &j->w;                                                            \
        int n = w->n, last = n - 1;                                                            \
        int64_t in_size = er_window_in_size(w), out_size = er_window_out_size(w);              \
        int64_t rs[ER_WIN_MAX_DIMS], cs[ER_WIN_MAX_DIMS]; /* row/col-major strides */          \
        rs[last] = 1;                                                                          \
        for (int i = last - 1; i >= 0; i--) rs[i] = rs[i + 1] * w->in[i + 1];                  \
        cs[0] = 1;                                                                             \
        for (int i = 1; i < n; i++) cs[i] = cs[i - 1] * w->in[i - 1];                          \
        double lowest = empty_max(dt);                                                         \
        for (int64_t pl = 0; pl < j->planes; pl++) {                                           \
            int64_t xb = pl * in_size, yb = pl * out_size;                                     \
            int64_t o[ER_WIN_MAX_DIMS] = {0};                                                  \
            for (int64_t q = 0; q < out_size; q++) {                                           \
                int64_t lo[ER_WIN_MAX_DIMS], hi[ER_WIN_MAX_DIMS], start[ER_WIN_MAX_DIMS];      \
                double padded_count = 1, valid_count = 1;                                      \
                for (int i = 0; i < n; i++) {                                                  \
                    er_window_taps(w, i, o[i], &lo[i], &hi[i]);                                \
                    if (hi[i] < lo[i]) hi[i] = lo[i];                                          \
                    start[i] = o[i] * w->stride[i] - w->pad_begin[i];                          \
                    int64_t span = w->in[i] + w->pad_end[i] - start[i];                        \
                    int64_t in_pad = (span + w->dilation[i] - 1) / w->dilation[i];             \
                    padded_count *= (double)(in_pad < w->kernel[i] ? in_pad : w->kernel[i]);   \
                    valid_count *= (double)(hi[i] - lo[i]);                                    \
                }                                                                              \
                double acc = j->kind == P_MAX ? lowest : 0.0;                                  \
                int64_t best = -1;                                                             \
                if (valid_count > 0) {                                                         \
                    int64_t k[ER_WIN_MAX_DIMS];                                                \
                    memcpy(k, lo, sizeof(int64_t) * (size_t)n);                                \
                    for (;;) {                                                                 \
                        int64_t off = 0;                                                       \
                        for (int i = 0; i < last; i++)                                         \
                            off += (start[i] + k[i] * w->dilation[i]) * rs[i];                 \
                        int64_t d = w->dilation[last];                                         \
                        int64_t p0 = start[last] + lo[last] * d;                               \
                        int64_t cnt = hi[last] - lo[last];                                     \
                        if (j->kind == P_MAX) {                                                \
                            for (int64_t t = 0; t < cnt; t++) {                                \
                                double v = LOAD(x, xb + off + p0 + t * d);                     \
                                if (best < 0 || v > acc) {                                     \
                                    acc = v;                                                   \
                                    best = off + p0 + t * d;                                   \
                                }                                                              \
                            }                                                                  \
                        } else if (j->kind == P_AVG) {                                         \
                            for (int64_t t = 0; t < cnt; t++) acc += LOAD(x, xb + off + p0 + t * d); \
                        } else {                                                               \
                            for (int64_t t = 0; t < cnt; t++)                                  \
                                acc += pow(fabs(LOAD(x, xb + off + p0 + t * d)), j->p);        \
                        }                                                                      \
                        int i = last - 1;                                                      \
                        for (; i >= 0; i--) {                                                  \
                            if (++k[i] < hi[i]) break;                                         \
                            k[i] = lo[i];                                                      \
                        }                                                                      \
                        if (i < 0) break;                                                      \
                    }                                                                          \
                }                                                                              \
                if (j->kind == P_AVG)                                                          \
                    acc /= j->count_include_pad ? padded_count : valid_count;                  \
                else if (j->kind == P_LP)                                                      \
                    acc = pow(acc, 1.0 / j->p);                                                \
                STORE(y, yb + q, acc);                                                         \
                if (ind) {                                                                     \
                    int64_t flat = -1;                                                         \
                    if (best >= 0) {                                                           \
                        flat = pl * in_size;                                                   \
                        if (!j->col_major) {                                                   \
                            flat += best;                                                      \
                        } else {                                                               \
                            for (int i = 0; i < n; i++) flat += (best / rs[i]) % w->in[i] * cs[i]; \
                        }                                                                      \
                    }                                                                          \
                    ind[yb + q] = flat;                                                        \
                }                                                                              \
                for (int i = last; i >= 0; i--) {                                              \
                    if (++o[i] < w->out[i]) break;                                             \
                    o[i] = 0;                                                                  \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }
POOL_KERNEL(pool_f32, LOAD_F32, STORE_F32)
POOL_KERNEL(pool_any, LOAD_ANY, STORE_ANY)

static er_status run_window_pool(er_op_ctx *c, pool_kind kind) {
    pool_job j;
    ER_TRY(job_init(c, kind, &j));
    const er_tensor *x = c->in[0];
    int64_t *ind = c->n_out > 1 && c->out[1] ? c->out[1]->data : NULL;
    if (x->dtype == ER_F32)
        pool_f32(&j, x->dtype, x->data, c->out[0]->data, ind);
    else
        pool_any(&j, x->dtype, x->data, c->out[0]->data, ind);
    return ER_OK;
}

static er_status run_maxpool(er_op_ctx *c) { return run_window_pool(c, P_MAX); }
static er_status run_avgpool(er_op_ctx *c) { return run_window_pool(c, P_AVG); }
static er_status run_lppool(er_op_ctx *c) { return run_window_pool(c, P_LP); }

/* ---- global pools ------------------------------------------------------------ */

static er_status shape_global(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    const er_tensor *x = c->in[0];
    if (x->rank < 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 2 [N, C, ...]",
                       er_op_shape_str(x));
    if (er_attr_find(c->node, "p")) {
        double p = lp_p(c);
        if (!(p > 0) || p > 1e6) return er_fail(ER_ERR_INVALID_MODEL, "p = %g must be positive", p);
    }
    int64_t dims[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
    er_op_set_output(c, 0, x->dtype, x->rank, dims);
    return ER_OK;
}

static er_status run_global(er_op_ctx *c, pool_kind kind) {
    const er_tensor *x = c->in[0];
    er_dtype dt = x->dtype;
    int64_t planes = x->dims[0] * x->dims[1];
    int64_t size = 1;
    for (int i = 2; i < x->rank; i++) size *= x->dims[i];
    double p = kind == P_LP ? lp_p(c) : 1.0;
    for (int64_t pl = 0; pl < planes; pl++) {
        double acc = kind == P_MAX ? -INFINITY : 0.0;
        if (dt == ER_F32) {
            const float *xp = (const float *)x->data + pl * size;
            if (kind == P_MAX) {
                float m = -INFINITY;
                for (int64_t i = 0; i < size; i++) m = xp[i] > m || xp[i] != xp[i] ? xp[i] : m;
                acc = m;
            } else if (kind == P_AVG) {
                for (int64_t i = 0; i < size; i++) acc += xp[i];
            } else {
                for (int64_t i = 0; i < size; i++) acc += pow(fabs((double)xp[i]), p);
            }
        } else {
            for (int64_t i = 0; i < size; i++) {
                double v = er_load_f64(x->data, dt, (size_t)(pl * size + i));
                if (kind == P_MAX) acc = v > acc || v != v ? v : acc;
                else if (kind == P_AVG) acc += v;
                else acc += pow(fabs(v), p);
            }
        }
        if (kind == P_AVG) acc /= (double)size;
        if (kind == P_LP) acc = pow(acc, 1.0 / p);
        er_store_f64(c->out[0]->data, dt, (size_t)pl, acc);
    }
    return ER_OK;
}

static er_status run_global_avg(er_op_ctx *c) { return run_global(c, P_AVG); }
static er_status run_global_max(er_op_ctx *c) { return run_global(c, P_MAX); }
static er_status run_global_lp(er_op_ctx *c) { return run_global(c, P_LP); }

const er_op_def er_op_max_pool = {.name = "MaxPool", .min_opset = 1, .shape = shape_maxpool,
                                  .run = run_maxpool};
const er_op_def er_op_average_pool = {.name = "AveragePool", .min_opset = 1,
                                      .shape = shape_avgpool, .run = run_avgpool};
const er_op_def er_op_lp_pool = {.name = "LpPool", .min_opset = 1, .shape = shape_lppool,
                                 .run = run_lppool};
const er_op_def er_op_global_average_pool = {.name = "GlobalAveragePool", .min_opset = 1,
                                             .shape = shape_global, .run = run_global_avg};
const er_op_def er_op_global_max_pool = {.name = "GlobalMaxPool", .min_opset = 1,
                                         .shape = shape_global, .run = run_global_max};
const er_op_def er_op_global_lp_pool = {.name = "GlobalLpPool", .min_opset = 1,
                                        .shape = shape_global, .run = run_global_lp};
