/* reduce.c - the Reduce* family: ReduceSum, ReduceMean, ReduceMax, ReduceMin,
 * ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
 * ReduceSumSquare.
 *
 * ONNX semantics of every opset: `axes` is an attribute up to opset 12
 * (ReduceSum) / 17 (the others) and an optional int64 input afterwards, where
 * `noop_with_empty_axes` = 1 turns empty axes into an identity. Otherwise
 * absent or empty axes reduce over all dimensions. `keepdims` (default 1)
 * keeps reduced dimensions as 1.
 *
 * Empty reductions (a reduced dimension of size 0) give the identity of the
 * operation as the ONNX reference does: sum/L1/L2/sum-square 0, prod 1,
 * max -inf (the dtype's minimum for integers), min +inf (maximum), log-sum and
 * log-sum-exp -inf, mean NaN.
 *
 * Kernel: dimensions are merged into alternating kept/reduced runs, the input
 * is read once in memory order and each row is folded into one accumulator
 * per output element (double for floats, int64 for integers so sums and
 * products wrap like numpy's int64 then cast). The accumulators live in
 * scratch memory sized in prepare(). ReduceLogSumExp makes a first pass for
 * the maximum so exp() cannot overflow (the reference's plain log(sum(exp)) is
 * equal wherever it is finite). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "op.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LSE, R_SUMSQ } rop;

/* ---- axes ---------------------------------------------------------------- */

static rop op_of(const er_op_ctx *c) {
    static const struct { const char *name; rop op; } k[] = {
        {"ReduceSum", R_SUM},   {"ReduceMean", R_MEAN},       {"ReduceMax", R_MAX},
        {"ReduceMin", R_MIN},   {"ReduceProd", R_PROD},       {"ReduceL1", R_L1},
        {"ReduceL2", R_L2},     {"ReduceLogSum", R_LOGSUM},   {"ReduceLogSumExp", R_LSE},
        {"ReduceSumSquare", R_SUMSQ},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strcmp(c->node->op_type, k[i].name) == 0) return k[i].op;
    return R_SUM;
}

static bool axes_from_input(const er_op_ctx *c) {
    return c->opset >= (op_of(c) == R_SUM ? 13 : 18);
}

/* Fills red[] (which input dims are reduced). *noop is set when the op is an
 * identity (empty axes with noop_with_empty_axes). */
static er_status reduced_dims(er_op_ctx *c, bool *red, bool *noop) {
    const er_tensor *x = c->in[0];
    int r = x->rank;
    int64_t axes[ER_MAX_RANK];
    int n = 0;
    *noop = false;
    if (axes_from_input(c)) {
        ER_TRY(er_op_check_inputs(c, 1, 2));
        if (c->n_in > 1 && c->in[1]) {
            ER_TRY(er_op_need_value(c, 1));
            if (er_tensor_numel(c->in[1]) > ER_MAX_RANK)
                return er_fail(ER_ERR_INVALID_MODEL, "axes input has %zu values for rank %d",
                               er_tensor_numel(c->in[1]), r);
            ER_TRY(er_op_read_ints(c, 1, axes, ER_MAX_RANK, &n));
        }
        if (n == 0 && er_attr_int(c->node, "noop_with_empty_axes", 0)) *noop = true;
    } else {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        const int64_t *a;
        int na = er_attr_ints(c->node, "axes", &a);
        if (na > ER_MAX_RANK)
            return er_fail(ER_ERR_INVALID_MODEL, "axes attribute has %d values for rank %d", na,
                           r);
        for (int i = 0; i < na; i++) axes[n++] = a[i];
    }
    for (int i = 0; i < ER_MAX_RANK; i++) red[i] = n == 0 && !*noop;
    for (int i = 0; i < n; i++) {
        int ax;
        ER_TRY(er_op_axis(c, axes[i], r, &ax));
        if (r == 0) continue; /* a scalar reduces to itself */
        if (red[ax])
            return er_fail(ER_ERR_INVALID_MODEL, "axis %lld appears twice in axes",
                           (long long)axes[i]);
        red[ax] = true;
    }
    return ER_OK;
}

static er_status shape_reduce(er_op_ctx *c) {
    if (c->n_in < 1 || !c->in[0]) return er_fail(ER_ERR_INVALID_MODEL, "input 0 is missing");
    rop op = op_of(c);
    static const er_dtype minmax_dt[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8,  ER_U8,
                                         ER_I16, ER_U16, ER_I32, ER_U32,  ER_I64, ER_U64,
                                         ER_BOOL, ER_UNDEF};
    static const er_dtype other_dt[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8,  ER_U8, ER_I16,
                                        ER_U16, ER_I32, ER_U32, ER_I64,  ER_U64, ER_UNDEF};
    ER_TRY(er_op_check_dtype(c, 0, op == R_MAX || op == R_MIN ? minmax_dt : other_dt));
    bool red[ER_MAX_RANK] = {false}, noop = false;
    ER_TRY(reduced_dims(c, red, &noop));
    const er_tensor *x = c->in[0];
    bool keep = er_attr_int(c->node, "keepdims", 1) != 0;
    int64_t d[ER_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (noop || !red[i]) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    }
    er_op_set_output(c, 0, x->dtype, r, d);
    return ER_OK;
}

/* ---- plan: merged runs ---------------------------------------------------- */

typedef struct {
    int n;                    /* merged runs; the last one is the row */
    int64_t dim[ER_MAX_RANK];
    bool red[ER_MAX_RANK];
    int64_t ostride[ER_MAX_RANK]; /* output stride of a kept run, 0 for reduced */
    size_t in_n;
} rplan;

static void make_plan(const er_tensor *x, const bool *red, rplan *p) {
    p->n = 0;
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] == 1) continue; /* reduced or not, it changes nothing */
        if (p->n > 0 && p->red[p->n - 1] == red[i]) {
            p->dim[p->n - 1] *= x->dims[i];
        } else {
            p->dim[p->n] = x->dims[i];
            p->red[p->n] = red[i];
            p->n++;
        }
    }
    if (p->n == 0) { /* a single element */
        p->dim[0] = 1;
        p->red[0] = true;
        p->n = 1;
    }
    int64_t s = 1;
    p->in_n = 1;
    for (int i = p->n - 1; i >= 0; i--) {
        p->ostride[i] = p->red[i] ? 0 : s;
        if (!p->red[i]) s *= p->dim[i];
        p->in_n *= (size_t)p->dim[i];
    }
}

static er_status prepare_reduce(er_op_ctx *c) {
    bool red[ER_MAX_RANK] = {false}, noop = false;
    ER_TRY(reduced_dims(c, red, &noop));
    if (noop) return ER_OK;
    size_t out_n = er_tensor_numel(c->out[0]);
    c->scratch_bytes = out_n * sizeof(double) * (op_of(c) == R_LSE ? 2 : 1);
    return ER_OK;
}

/* ---- accumulation --------------------------------------------------------- */

/* Folding modes of one pass over the input. */
typedef enum { F_SUM, F_ABS, F_SQ, F_PROD, F_MAX, F_MIN, F_EXP } fold;

static fold fold_of(rop op) {
    switch (op) {
    case R_L1: return F_ABS;
    case R_L2: case R_SUMSQ: return F_SQ;
    case R_PROD: return F_PROD;
    case R_MAX: return F_MAX;
    case R_MIN: return F_MIN;
    case R_LSE: return F_EXP;
    default: return F_SUM;
    }
}

/* Folds a row of n input values (element stride 1) into acc: into acc[0]
 * when the row is reduced (ostep 0), or elementwise into acc[0..n) (ostep 1).
 * shift[] is the per-output maximum for F_EXP. */
#define FOLD_ROW_F(T, NAME, LOAD)                                                              \
    static void NAME(double *acc, const double *shift, int64_t ostep, const T *x, int64_t n,    \
                     fold f) {                                                                 \
        switch (f) {                                                                           \
        case F_SUM: for (int64_t i = 0; i < n; i++) acc[i * ostep] += LOAD(x[i]); break;       \
        case F_ABS: for (int64_t i = 0; i < n; i++) acc[i * ostep] += fabs(LOAD(x[i])); break; \
        case F_SQ:                                                                             \
            for (int64_t i = 0; i < n; i++) {                                                  \
                double v = LOAD(x[i]);                                                         \
                acc[i * ostep] += v * v;                                                       \
            }                                                                                  \
            break;                                                                             \
        case F_PROD: for (int64_t i = 0; i < n; i++) acc[i * ostep] *= LOAD(x[i]); break;      \
        case F_MAX:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                double v = LOAD(x[i]);                                                         \
                if (v > acc[i * ostep] || v != v) acc[i * ostep] = v;                          \
            }                                                                                  \
            break;                                                                             \
        case F_MIN:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                double v = LOAD(x[i]);                                                         \
                if (v < acc[i * ostep] || v != v) acc[i * ostep] = v;                          \
            }                                                                                  \
            break;                                                                             \
        case F_EXP:                                                                            \
            for (int64_t i = 0; i < n; i++) acc[i * ostep] += exp(LOAD(x[i]) - shift[i * ostep]); \
            break;                                                                             \
        }                                                                                      \
    }
#define LOAD_PLAIN(v) ((double)(v))
#define LOAD_F16(v) ((double)er_f16_to_f32(v))
#define LOAD_BF16(v) ((double)er_bf16_to_f32(v))
FOLD_ROW_F(float, fold_f32, LOAD_PLAIN)
FOLD_ROW_F(double, fold_f64, LOAD_PLAIN)
FOLD_ROW_F(uint16_t, fold_f16, LOAD_F16)
FOLD_ROW_F(uint16_t, fold_bf16, LOAD_BF16)

/* Integer accumulation wraps in uint64 (never signed overflow); max/min
 * compare as int64, or as uint64 for the unsigned 64-bit dtype. */
static void fold_int(int64_t *acc, int64_t ostep, const void *x, er_dtype dt, size_t base,
                     int64_t n, fold f) {
    bool u64 = dt == ER_U64;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = er_load_i64(x, dt, base + (size_t)i);
        int64_t *a = &acc[i * ostep];
        uint64_t ua = (uint64_t)*a, uv = (uint64_t)v;
        switch (f) {
        case F_SUM: *a = (int64_t)(ua + uv); break;
        case F_ABS: *a = (int64_t)(ua + (v < 0 ? 0 - uv : uv)); break;
        case F_SQ: *a = (int64_t)(ua + uv * uv); break;
        case F_PROD: *a = (int64_t)(ua * uv); break;
        case F_MAX: if (u64 ? uv > ua : v > *a) *a = v; break;
        case F_MIN: if (u64 ? uv < ua : v < *a) *a = v; break;
        case F_EXP: break; /* not used: log-sum-exp accumulates in double */
        }
    }
}

static void int_range(er_dtype dt, int64_t *lo, int64_t *hi) {
    switch (dt) {
    case ER_I8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case ER_U8: *lo = 0; *hi = UINT8_MAX; break;
    case ER_BOOL: *lo = 0; *hi = 1; break;
    case ER_I16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case ER_U16: *lo = 0; *hi = UINT16_MAX; break;
    case ER_I32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case ER_U32: *lo = 0; *hi = UINT32_MAX; break;
    case ER_U64: *lo = 0; *hi = -1; /* all ones as uint64 */ break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

/* One pass over the input in memory order. */
static void pass(const rplan *p, const er_tensor *x, bool use_int, double *accd, int64_t *acci,
                 const double *shift, fold f) {
    int last = p->n - 1;
    int64_t row = p->dim[last], ostep = p->red[last] ? 0 : 1;
    int64_t idx[ER_MAX_RANK] = {0};
    for (size_t base = 0; base < p->in_n; base += (size_t)row) {
        int64_t o = 0;
        for (int k = 0; k < last; k++) o += idx[k] * p->ostride[k];
        if (use_int) {
            fold_int(acci + o, ostep, x->data, x->dtype, base, row, f);
        } else {
            const double *sh = shift ? shift + o : NULL;
            switch (x->dtype) {
            case ER_F32: fold_f32(accd + o, sh, ostep, (const float *)x->data + base, row, f); break;
            case ER_F64: fold_f64(accd + o, sh, ostep, (const double *)x->data + base, row, f); break;
            case ER_F16: fold_f16(accd + o, sh, ostep, (const uint16_t *)x->data + base, row, f); break;
            case ER_BF16: fold_bf16(accd + o, sh, ostep, (const uint16_t *)x->data + base, row, f); break;
            default: /* integers reduced through double (log-sum, log-sum-exp) */
                for (int64_t i = 0; i < row; i++) {
                    double v = er_load_f64(x->data, x->dtype, base + (size_t)i);
                    double *a = &accd[o + i * ostep];
                    switch (f) {
                    case F_EXP: *a += exp(v - sh[i * ostep]); break;
                    case F_MAX: if (v > *a) *a = v; break;
                    default: *a += v; break;
                    }
                }
                break;
            }
        }
        for (int k = last - 1; k >= 0; k--) {
            if (++idx[k] < p->dim[k]) break;
            idx[k] = 0;
        }
    }
}

static er_status run_reduce(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    bool red[ER_MAX_RANK] = {false}, noop = false;
    ER_TRY(reduced_dims(c, red, &noop));
    if (noop) {
        memcpy(y->data, x->data, er_tensor_nbytes(x));
        return ER_OK;
    }
    rplan p;
    make_plan(x, red, &p);
    size_t out_n = er_tensor_numel(y);
    if (out_n == 0) return ER_OK;
    rop op = op_of(c);
    fold f = fold_of(op);
    bool use_int = !er_dtype_is_float(x->dtype) && op != R_LOGSUM && op != R_LSE;
    double *accd = c->scratch;
    int64_t *acci = c->scratch;
    double *shift = op == R_LSE ? accd + out_n : NULL;
    size_t count = p.in_n / out_n; /* elements folded into each output */
    int64_t lo, hi;
    int_range(x->dtype, &lo, &hi);

    if (op == R_LSE) {
        for (size_t o = 0; o < out_n; o++) shift[o] = -INFINITY;
        if (p.in_n) pass(&p, x, false, shift, NULL, NULL, F_MAX);
        for (size_t o = 0; o < out_n; o++)
            if (!isfinite(shift[o])) shift[o] = 0; /* -inf rows stay -inf; NaN stays NaN */
    }
    for (size_t o = 0; o < out_n; o++) {
        if (use_int) {
            acci[o] = f == F_PROD ? 1 : f == F_MAX ? lo : f == F_MIN ? hi : 0;
        } else {
            accd[o] = f == F_PROD ? 1 : f == F_MAX ? -INFINITY : f == F_MIN ? INFINITY : 0;
        }
    }
    if (p.in_n) pass(&p, x, use_int, accd, acci, shift, f);

    for (size_t o = 0; o < out_n; o++) {
        if (use_int) {
            int64_t a = acci[o];
            switch (op) {
            case R_MEAN: er_store_f64(y->data, y->dtype, o, (double)a / (double)count); break;
            case R_L2: er_store_f64(y->data, y->dtype, o, sqrt((double)a)); break;
            default: er_store_i64(y->data, y->dtype, o, a); break;
            }
            continue;
        }
        double a = accd[o];
        switch (op) {
        case R_MEAN: a = a / (double)count; break;
        case R_L2: a = sqrt(a); break;
        case R_LOGSUM: a = log(a); break;
        case R_LSE: a = log(a) + shift[o]; break;
        default: break;
        }
        er_store_f64(y->data, y->dtype, o, a);
    }
    return ER_OK;
}

#define REDUCE_OP(SYM, NAME)                                                                   \
    const er_op_def er_op_##SYM = {.name = NAME, .min_opset = 1, .shape = shape_reduce,        \
                                   .prepare = prepare_reduce, .run = run_reduce};
REDUCE_OP(reduce_l1, "ReduceL1")
REDUCE_OP(reduce_l2, "ReduceL2")
REDUCE_OP(reduce_log_sum, "ReduceLogSum")
REDUCE_OP(reduce_log_sum_exp, "ReduceLogSumExp")
REDUCE_OP(reduce_max, "ReduceMax")
REDUCE_OP(reduce_mean, "ReduceMean")
REDUCE_OP(reduce_min, "ReduceMin")
REDUCE_OP(reduce_prod, "ReduceProd")
REDUCE_OP(reduce_sum, "ReduceSum")
REDUCE_OP(reduce_sum_square, "ReduceSumSquare")
