/* unary.c - the elementwise unary math family: Abs, Neg, Exp, Log, Sqrt,
 * Reciprocal, Floor, Ceil, Round, Sign, Sin, Cos, Tan, Asin, Acos, Atan,
 * Sinh, Cosh, Asinh, Acosh, Atanh, Erf, IsNaN, IsInf, Not (ONNX opset 6..20
 * semantics; the ops did not change meaning across versions, later opsets
 * only added dtypes).
 *
 * One kernel template serves the family: float32 and float64 get one plain
 * loop per op (vectorisable, the switch is outside the loop); float16 and
 * bfloat16 go through double and round once on store. Integer Abs/Neg/Sign
 * compute in the unsigned type so that negating the most negative value
 * wraps instead of being UB (numpy does the same).
 *
 * Round is round-half-to-even (ONNX Round-11), which is rint() in the
 * default floating-point environment. Sign of NaN is NaN, as numpy. */
#include <math.h>

#include "op.h"

typedef enum {
    U_ABS, U_NEG, U_EXP, U_LOG, U_SQRT, U_RECIP, U_FLOOR, U_CEIL, U_ROUND, U_SIGN,
    U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH,
    U_ATANH, U_ERF
} uop;

/* dtype lists, ER_UNDEF-terminated */
static const er_dtype dt_float[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_UNDEF};
static const er_dtype dt_numeric[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                      ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_UNDEF};
static const er_dtype dt_signed[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8,
                                     ER_I16, ER_I32, ER_I64, ER_UNDEF};
static const er_dtype dt_bool[] = {ER_BOOL, ER_UNDEF};

/* ---- kernels --------------------------------------------------------------- */

#define LOOP(expr)                                                                                 \
    for (size_t i = 0; i < n; i++) y[i] = (expr);                                                  \
    break

/* S is the libm suffix: f for float, empty for double. */
#define FLOAT_UNARY(T, S, NAME)                                                                    \
    static void NAME(T *y, const T *x, size_t n, uop op) {                                         \
        switch (op) {                                                                              \
        case U_ABS: LOOP(fabs##S(x[i]));                                                           \
        case U_NEG: LOOP(-x[i]);                                                                   \
        case U_EXP: LOOP(exp##S(x[i]));                                                            \
        case U_LOG: LOOP(log##S(x[i]));                                                            \
        case U_SQRT: LOOP(sqrt##S(x[i]));                                                          \
        case U_RECIP: LOOP((T)1 / x[i]);                                                           \
        case U_FLOOR: LOOP(floor##S(x[i]));                                                        \
        case U_CEIL: LOOP(ceil##S(x[i]));                                                          \
        case U_ROUND: LOOP(rint##S(x[i]));                                                         \
        case U_SIGN: LOOP(x[i] > 0 ? (T)1 : x[i] < 0 ? (T)-1 : x[i]);                              \
        case U_SIN: LOOP(sin##S(x[i]));                                                            \
        case U_COS: LOOP(cos##S(x[i]));                                                            \
        case U_TAN: LOOP(tan##S(x[i]));                                                            \
        case U_ASIN: LOOP(asin##S(x[i]));                                                          \
        case U_ACOS: LOOP(acos##S(x[i]));                                                          \
        case U_ATAN: LOOP(atan##S(x[i]));                                                          \
        case U_SINH: LOOP(sinh##S(x[i]));                                                          \
        case U_COSH: LOOP(cosh##S(x[i]));                                                          \
        case U_ASINH: LOOP(asinh##S(x[i]));                                                        \
        case U_ACOSH: LOOP(acosh##S(x[i]));                                                        \
        case U_ATANH: LOOP(atanh##S(x[i]));                                                        \
        case U_ERF: LOOP(erf##S(x[i]));                                                            \
        }                                                                                          \
    }
FLOAT_UNARY(float, f, unary_f32)
FLOAT_UNARY(double, , unary_f64)

/* Negative test that does not trip -Wtype-limits for unsigned T. */
#define ISNEG(v) ((v) < 1 && (v) != 0)

/* Integer dtypes only reach Abs, Neg and Sign (shape() checks). */
#define INT_UNARY(T, U, NAME)                                                                      \
    static void NAME(T *y, const T *x, size_t n, uop op) {                                         \
        switch (op) {                                                                              \
        case U_ABS: LOOP((T)(ISNEG(x[i]) ? (U)0 - (U)x[i] : (U)x[i]));                             \
        case U_NEG: LOOP((T)((U)0 - (U)x[i]));                                                     \
        case U_SIGN: LOOP((T)(ISNEG(x[i]) ? -1 : x[i] != 0));                                      \
        default: break;                                                                            \
        }                                                                                          \
    }
INT_UNARY(int8_t, uint8_t, unary_i8)
INT_UNARY(uint8_t, uint8_t, unary_u8)
INT_UNARY(int16_t, uint16_t, unary_i16)
INT_UNARY(uint16_t, uint16_t, unary_u16)
INT_UNARY(int32_t, uint32_t, unary_i32)
INT_UNARY(uint32_t, uint32_t, unary_u32)
INT_UNARY(int64_t, uint64_t, unary_i64)
INT_UNARY(uint64_t, uint64_t, unary_u64)

/* float16 / bfloat16: computed in double, rounded once on store. */
static double unary_scalar(uop op, double v) {
    switch (op) {
    case U_ABS: return fabs(v);
    case U_NEG: return -v;
    case U_EXP: return exp(v);
    case U_LOG: return log(v);
    case U_SQRT: return sqrt(v);
    case U_RECIP: return 1 / v;
    case U_FLOOR: return floor(v);
    case U_CEIL: return ceil(v);
    case U_ROUND: return rint(v);
    case U_SIGN: return v > 0 ? 1 : v < 0 ? -1 : v;
    case U_SIN: return sin(v);
    case U_COS: return cos(v);
    case U_TAN: return tan(v);
    case U_ASIN: return asin(v);
    case U_ACOS: return acos(v);
    case U_ATAN: return atan(v);
    case U_SINH: return sinh(v);
    case U_COSH: return cosh(v);
    case U_ASINH: return asinh(v);
    case U_ACOSH: return acosh(v);
    case U_ATANH: return atanh(v);
    case U_ERF: return erf(v);
    }
    return v;
}

static er_status run_unary(er_op_ctx *c, uop op) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    size_t n = er_tensor_numel(x);
    switch (x->dtype) {
    case ER_F32: unary_f32(y->data, x->data, n, op); break;
    case ER_F64: unary_f64(y->data, x->data, n, op); break;
    case ER_I8: unary_i8(y->data, x->data, n, op); break;
    case ER_U8: unary_u8(y->data, x->data, n, op); break;
    case ER_I16: unary_i16(y->data, x->data, n, op); break;
    case ER_U16: unary_u16(y->data, x->data, n, op); break;
    case ER_I32: unary_i32(y->data, x->data, n, op); break;
    case ER_U32: unary_u32(y->data, x->data, n, op); break;
    case ER_I64: unary_i64(y->data, x->data, n, op); break;
    case ER_U64: unary_u64(y->data, x->data, n, op); break;
    default:
        for (size_t i = 0; i < n; i++)
            er_store_f64(y->data, y->dtype, i, unary_scalar(op, er_load_f64(x->data, x->dtype, i)));
        break;
    }
    return ER_OK;
}

/* ---- shape --------------------------------------------------------------- */

static er_status shape_unary(er_op_ctx *c, const er_dtype *allowed, er_dtype out_dt) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, allowed));
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, out_dt == ER_UNDEF ? x->dtype : out_dt, x->rank, x->dims);
    return ER_OK;
}

/* ---- IsNaN, IsInf, Not: different output dtype or attributes ------------- */

static er_status shape_isnan(er_op_ctx *c) { return shape_unary(c, dt_float, ER_BOOL); }

static er_status run_isnan(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    uint8_t *y = c->out[0]->data;
    size_t n = er_tensor_numel(x);
    if (x->dtype == ER_F32) {
        const float *p = x->data;
        for (size_t i = 0; i < n; i++) y[i] = p[i] != p[i];
    } else {
        for (size_t i = 0; i < n; i++) y[i] = isnan(er_load_f64(x->data, x->dtype, i)) != 0;
    }
    return ER_OK;
}

static er_status shape_isinf(er_op_ctx *c) {
    ER_TRY(shape_unary(c, dt_float, ER_BOOL));
    int64_t pos = er_attr_int(c->node, "detect_positive", 1);
    int64_t neg = er_attr_int(c->node, "detect_negative", 1);
    if ((pos != 0 && pos != 1) || (neg != 0 && neg != 1))
        return er_fail(ER_ERR_INVALID_MODEL,
                       "detect_positive=%lld, detect_negative=%lld: each must be 0 or 1",
                       (long long)pos, (long long)neg);
    return ER_OK;
}

static er_status run_isinf(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    uint8_t *y = c->out[0]->data;
    size_t n = er_tensor_numel(x);
    int pos = er_attr_int(c->node, "detect_positive", 1) != 0;
    int neg = er_attr_int(c->node, "detect_negative", 1) != 0;
    if (x->dtype == ER_F32) {
        const float *p = x->data;
        for (size_t i = 0; i < n; i++)
            y[i] = (pos && p[i] == INFINITY) || (neg && p[i] == -INFINITY);
    } else {
        for (size_t i = 0; i < n; i++) {
            double v = er_load_f64(x->data, x->dtype, i);
            y[i] = (pos && v == INFINITY) || (neg && v == -INFINITY);
        }
    }
    return ER_OK;
}

static er_status shape_not(er_op_ctx *c) { return shape_unary(c, dt_bool, ER_UNDEF); }

static er_status run_not(er_op_ctx *c) {
    const uint8_t *x = c->in[0]->data;
    uint8_t *y = c->out[0]->data;
    size_t n = er_tensor_numel(c->in[0]);
    for (size_t i = 0; i < n; i++) y[i] = x[i] == 0;
    return ER_OK;
}

/* ---- op definitions ------------------------------------------------------ */

#define UNARY_OP(sym, NAME, OP, DTYPES, OPSET)                                                     \
    static er_status shape_##sym(er_op_ctx *c) { return shape_unary(c, DTYPES, ER_UNDEF); }        \
    static er_status run_##sym(er_op_ctx *c) { return run_unary(c, OP); }                          \
    const er_op_def er_op_##sym = {                                                                \
        .name = NAME, .min_opset = OPSET, .shape = shape_##sym, .run = run_##sym};

UNARY_OP(abs, "Abs", U_ABS, dt_numeric, 6)
UNARY_OP(neg, "Neg", U_NEG, dt_signed, 6)
UNARY_OP(exp, "Exp", U_EXP, dt_float, 6)
UNARY_OP(log, "Log", U_LOG, dt_float, 6)
UNARY_OP(sqrt, "Sqrt", U_SQRT, dt_float, 6)
UNARY_OP(reciprocal, "Reciprocal", U_RECIP, dt_float, 6)
UNARY_OP(floor, "Floor", U_FLOOR, dt_float, 6)
UNARY_OP(ceil, "Ceil", U_CEIL, dt_float, 6)
UNARY_OP(round, "Round", U_ROUND, dt_float, 11)
UNARY_OP(sign, "Sign", U_SIGN, dt_numeric, 9)
UNARY_OP(sin, "Sin", U_SIN, dt_float, 7)
UNARY_OP(cos, "Cos", U_COS, dt_float, 7)
UNARY_OP(tan, "Tan", U_TAN, dt_float, 7)
UNARY_OP(asin, "Asin", U_ASIN, dt_float, 7)
UNARY_OP(acos, "Acos", U_ACOS, dt_float, 7)
UNARY_OP(atan, "Atan", U_ATAN, dt_float, 7)
UNARY_OP(sinh, "Sinh", U_SINH, dt_float, 9)
UNARY_OP(cosh, "Cosh", U_COSH, dt_float, 9)
UNARY_OP(asinh, "Asinh", U_ASINH, dt_float, 9)
UNARY_OP(acosh, "Acosh", U_ACOSH, dt_float, 9)
UNARY_OP(atanh, "Atanh", U_ATANH, dt_float, 9)
UNARY_OP(erf, "Erf", U_ERF, dt_float, 9)

const er_op_def er_op_is_nan = {.name = "IsNaN", .min_opset = 9, .shape = shape_isnan, .run = run_isnan};
const er_op_def er_op_is_inf = {.name = "IsInf", .min_opset = 10, .shape = shape_isinf, .run = run_isinf};
const er_op_def er_op_not = {.name = "Not", .min_opset = 1, .shape = shape_not, .run = run_not};
