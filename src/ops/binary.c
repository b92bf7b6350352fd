/* binary.c - the elementwise arithmetic family with numpy broadcasting:
 * Add, Sub, Mul, Div, Pow, Mod, Min, Max, Sum, Mean (ONNX opset 7+
 * broadcasting semantics; Min/Max/Sum/Mean take 1..N inputs).
 *
 * One file for the family because the ops share everything but the scalar
 * expression; each op is still one row in op_table.h. Integer division or
 * modulo by zero is a run-time error (a data-dependent check), never UB. */
#include <math.h>
#include <string.h>

#include "broadcast.h"
#include "op.h"

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_FMOD, B_MIN, B_MAX } bop;

typedef struct {
    bop op;
    er_dtype dt, dt_b;
    int div_by_zero;
} bargs;

/* float-family row kernels */
/* Unit-stride and scalar-broadcast rows get their own loops: with the
 * strides known the compiler vectorizes them (NHWC broadcasts of a
 * per-channel vector reduce to the unit-stride case). */
#define FAST_ROWS(T, EXPR)                                                                     \
    if (sa == 1 && sb == 1) {                                                                  \
        for (int64_t i = 0; i < n; i++) { T p = a[i], q = b[i]; y[i] = EXPR; }                 \
        return;                                                                                \
    }                                                                                          \
    if (sa == 1 && sb == 0) {                                                                  \
        const T q = b[0];                                                                      \
        for (int64_t i = 0; i < n; i++) { T p = a[i]; y[i] = EXPR; }                           \
        return;                                                                                \
    }                                                                                          \
    if (sa == 0 && sb == 1) {                                                                  \
        const T p = a[0];                                                                      \
        for (int64_t i = 0; i < n; i++) { T q = b[i]; y[i] = EXPR; }                           \
        return;                                                                                \
    }

#define FLOAT_ROW(T, NAME)                                                                     \
    static void NAME(T *y, const T *a, int64_t sa, const T *b, int64_t sb, int64_t n, bop op) { \
        switch (op) {                                                                          \
        case B_ADD: { FAST_ROWS(T, p + q) break; }                                             \
        case B_SUB: { FAST_ROWS(T, p - q) break; }                                             \
        case B_MUL: { FAST_ROWS(T, p * q) break; }                                             \
        case B_DIV: { FAST_ROWS(T, p / q) break; }                                             \
        default: break;                                                                        \
        }                                                                                      \
        switch (op) {                                                                          \
        case B_ADD: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] + b[i * sb]; break;       \
        case B_SUB: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] - b[i * sb]; break;       \
        case B_MUL: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] * b[i * sb]; break;       \
        case B_DIV: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] / b[i * sb]; break;       \
        case B_POW: for (int64_t i = 0; i < n; i++) y[i] = (T)pow(a[i * sa], b[i * sb]); break; \
        case B_MOD: /* fmod=0 is only valid for integers; treat like fmod */                   \
        case B_FMOD: for (int64_t i = 0; i < n; i++) y[i] = (T)fmod(a[i * sa], b[i * sb]); break; \
        case B_MIN:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T p = a[i * sa], q = b[i * sb];                                                \
                y[i] = (p != p || q != q) ? (T)NAN : (p < q ? p : q);                          \
            }                                                                                  \
            break;                                                                             \
        case B_MAX:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T p = a[i * sa], q = b[i * sb];                                                \
                y[i] = (p != p || q != q) ? (T)NAN : (p > q ? p : q);                          \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
    }
FLOAT_ROW(float, row_f32)
FLOAT_ROW(double, row_f64)

/* Negative test that does not trip -Wtype-limits for unsigned T. */
#define ISNEG(v) ((v) < 1 && (v) != 0)

/* Integer rows compute in the unsigned type U where signed overflow would be
 * UB (wraps like the hardware, as other runtimes do). */
#define INT_ROW(T, U, NAME)                                                                    \
    static int NAME(T *y, const T *a, int64_t sa, const T *b, int64_t sb, int64_t n, bop op) { \
        int bad = 0;                                                                           \
        switch (op) {                                                                          \
        case B_ADD: for (int64_t i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] + (U)b[i * sb]); break; \
        case B_SUB: for (int64_t i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] - (U)b[i * sb]); break; \
        case B_MUL: for (int64_t i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] * (U)b[i * sb]); break; \
        case B_DIV:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T p = a[i * sa], q = b[i * sb];                                                \
                if (q == 0) { bad = 1; y[i] = 0; }                                             \
                else if (q == (T)-1 && ISNEG(q)) y[i] = (T)(0 - (U)p);                        \
                else y[i] = (T)(p / q);                                                        \
            }                                                                                  \
            break;                                                                             \
        case B_POW:                                                                            \
            for (int64_t i = 0; i < n; i++) {                                                  \
                double r = pow((double)a[i * sa], (double)b[i * sb]);                          \
                y[i] = (T)(r != r ? 0 : r > 9.2e18 ? 0 : r < -9.2e18 ? 0 : (long long)r);      \
            }                                                                                  \
            break;                                                                             \
        case B_MOD:                                                                            \
        case B_FMOD:                                                                           \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T p = a[i * sa], q = b[i * sb];                                                \
                if (q == 0) { bad = 1; y[i] = 0; continue; }                                   \
                if (q == (T)-1 && ISNEG(q)) { y[i] = 0; continue; }                           \
                T m = (T)(p % q);                                                              \
                /* fmod=0: result takes the divisor's sign (Python semantics) */               \
                if (op == B_MOD && m != 0 && (ISNEG(m) != ISNEG(q))) m = (T)(m + q);             \
                y[i] = m;                                                                      \
            }                                                                                  \
            break;                                                                             \
        case B_MIN: for (int64_t i = 0; i < n; i++) { T p = a[i * sa], q = b[i * sb]; y[i] = p < q ? p : q; } break; \
        case B_MAX: for (int64_t i = 0; i < n; i++) { T p = a[i * sa], q = b[i * sb]; y[i] = p > q ? p : q; } break; \
        }                                                                                      \
        return bad;                                                                            \
    }
INT_ROW(int8_t, uint8_t, row_i8)
INT_ROW(uint8_t, uint8_t, row_u8)
INT_ROW(int16_t, uint16_t, row_i16)
INT_ROW(uint16_t, uint16_t, row_u16)
INT_ROW(int32_t, uint32_t, row_i32)
INT_ROW(uint32_t, uint32_t, row_u32)
INT_ROW(int64_t, uint64_t, row_i64)
INT_ROW(uint64_t, uint64_t, row_u64)

/* Generic row through double: f16/bf16 and mixed-dtype Pow. */
static void row_generic(void *y, const void *const *x, const int64_t *s, int64_t n, bargs *ba) {
    for (int64_t i = 0; i < n; i++) {
        double p = er_load_f64(x[0], ba->dt, (size_t)(i * s[0]));
        double q = er_load_f64(x[1], ba->dt_b, (size_t)(i * s[1])), r = 0;
        switch (ba->op) {
        case B_ADD: r = p + q; break;
        case B_SUB: r = p - q; break;
        case B_MUL: r = p * q; break;
        case B_DIV: r = p / q; break;
        case B_POW: r = pow(p, q); break;
        case B_MOD: case B_FMOD: r = fmod(p, q); break;
        case B_MIN: r = (p != p || q != q) ? NAN : p < q ? p : q; break;
        case B_MAX: r = (p != p || q != q) ? NAN : p > q ? p : q; break;
        }
        if (er_dtype_is_float(ba->dt)) {
            er_store_f64(y, ba->dt, (size_t)i, r);
        } else {
            /* mixed Pow with an integer base: truncate like the int path */
            er_store_i64(y, ba->dt, (size_t)i,
                         (r != r || r > 9.2e18 || r < -9.2e18) ? 0 : (int64_t)r);
        }
    }
}

static void row(void *y, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    bargs *ba = arg;
    if (ba->dt != ba->dt_b) {
        row_generic(y, x, s, n, ba);
        return;
    }
    switch (ba->dt) {
    case ER_F32: row_f32(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_F64: row_f64(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_I8: ba->div_by_zero |= row_i8(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_U8: ba->div_by_zero |= row_u8(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_I16: ba->div_by_zero |= row_i16(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_U16: ba->div_by_zero |= row_u16(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_I32: ba->div_by_zero |= row_i32(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_U32: ba->div_by_zero |= row_u32(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_I64: ba->div_by_zero |= row_i64(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    case ER_U64: ba->div_by_zero |= row_u64(y, x[0], s[0], x[1], s[1], n, ba->op); break;
    default: row_generic(y, x, s, n, ba); break;
    }
}

/* ---- shape --------------------------------------------------------------- */

static er_status shape_binary(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, c->in[0]->dtype, r, d);
    return ER_OK;
}

static er_status shape_pow(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    ER_TRY(er_op_check_dtype(c, 1, er_dt_numeric));
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, c->in[0]->dtype, r, d);
    return ER_OK;
}

static er_status shape_variadic(er_op_ctx *c) {
    if (c->n_in < 1) return er_fail(ER_ERR_INVALID_MODEL, "needs at least one input");
    for (int i = 0; i < c->n_in; i++) {
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "input %d is missing", i);
        ER_TRY(er_op_check_dtype(c, i, er_dt_numeric));
        ER_TRY(er_op_same_dtype(c, 0, i));
    }
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(c->n_in, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, c->in[0]->dtype, r, d);
    return ER_OK;
}

/* ---- run ----------------------------------------------------------------- */

static er_status apply(er_op_ctx *c, const er_tensor *a, const er_tensor *b, bop op) {
    bargs ba = {op, a->dtype, b->dtype, 0};
    const er_tensor *x[2] = {a, b};
    er_broadcast_rows(c->out[0], 2, x, row, &ba);
    if (ba.div_by_zero)
        return er_fail(ER_ERR_INVALID_ARG, "integer %s by zero",
                       op == B_DIV ? "division" : "modulo");
    return ER_OK;
}

static void copy_row(void *y, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    size_t es = *(size_t *)arg;
    if (s[0] == 1) {
        memcpy(y, x[0], (size_t)n * es);
    } else {
        for (int64_t i = 0; i < n; i++) memcpy((char *)y + (size_t)i * es, x[0], es);
    }
}

static er_status run_fold(er_op_ctx *c, bop op) {
    er_tensor *y = c->out[0];
    if (c->n_in == 1) {
        size_t es = er_dtype_size(y->dtype);
        const er_tensor *x[1] = {c->in[0]};
        er_broadcast_rows(y, 1, x, copy_row, &es);
        return ER_OK;
    }
    /* y = x0 op x1; then y = y op xi (in place is safe: elementwise) */
    ER_TRY(apply(c, c->in[0], c->in[1], op));
    for (int i = 2; i < c->n_in; i++) ER_TRY(apply(c, y, c->in[i], op));
    return ER_OK;
}

static er_status run_add(er_op_ctx *c) { return apply(c, c->in[0], c->in[1], B_ADD); }
static er_status run_sub(er_op_ctx *c) { return apply(c, c->in[0], c->in[1], B_SUB); }
static er_status run_mul(er_op_ctx *c) { return apply(c, c->in[0], c->in[1], B_MUL); }
static er_status run_div(er_op_ctx *c) { return apply(c, c->in[0], c->in[1], B_DIV); }
static er_status run_pow(er_op_ctx *c) { return apply(c, c->in[0], c->in[1], B_POW); }
static er_status run_mod(er_op_ctx *c) {
    return apply(c, c->in[0], c->in[1], er_attr_int(c->node, "fmod", 0) ? B_FMOD : B_MOD);
}
static er_status run_min(er_op_ctx *c) { return run_fold(c, B_MIN); }
static er_status run_max(er_op_ctx *c) { return run_fold(c, B_MAX); }
static er_status run_sum(er_op_ctx *c) { return run_fold(c, B_ADD); }

static er_status run_mean(er_op_ctx *c) {
    ER_TRY(run_fold(c, B_ADD));
    er_tensor *y = c->out[0];
    size_t n = er_tensor_numel(y);
    double k = (double)c->n_in;
    for (size_t i = 0; i < n; i++) er_store_f64(y->data, y->dtype, i, er_load_f64(y->data, y->dtype, i) / k);
    return ER_OK;
}

static er_status shape_mod(er_op_ctx *c) {
    ER_TRY(shape_binary(c));
    if (!er_attr_int(c->node, "fmod", 0) && er_dtype_is_float(c->in[0]->dtype))
        return er_fail(ER_ERR_INVALID_MODEL, "fmod=0 is not allowed for floating-point inputs");
    return ER_OK;
}

const er_op_def er_op_add = {.name = "Add", .domain = "", .min_opset = 7, .shape = shape_binary, .run = run_add};
const er_op_def er_op_sub = {.name = "Sub", .domain = "", .min_opset = 7, .shape = shape_binary, .run = run_sub};
const er_op_def er_op_mul = {.name = "Mul", .domain = "", .min_opset = 7, .shape = shape_binary, .run = run_mul};
const er_op_def er_op_div = {.name = "Div", .domain = "", .min_opset = 7, .shape = shape_binary, .run = run_div};
const er_op_def er_op_pow = {.name = "Pow", .domain = "", .min_opset = 7, .shape = shape_pow, .run = run_pow};
const er_op_def er_op_mod = {.name = "Mod", .domain = "", .min_opset = 10, .shape = shape_mod, .run = run_mod};
const er_op_def er_op_min = {.name = "Min", .domain = "", .min_opset = 8, .shape = shape_variadic, .run = run_min};
const er_op_def er_op_max = {.name = "Max", .domain = "", .min_opset = 8, .shape = shape_variadic, .run = run_max};
const er_op_def er_op_sum = {.name = "Sum", .domain = "", .min_opset = 8, .shape = shape_variadic, .run = run_sum};
const er_op_def er_op_mean = {.name = "Mean", .domain = "", .min_opset = 8, .shape = shape_variadic, .run = run_mean};
