/* activation.c - the elementwise activation family: Relu, LeakyRelu, Sigmoid,
 * Tanh, HardSigmoid, HardSwish, Elu, Selu, Celu, Softplus, Softsign,
 * ThresholdedRelu, Shrink, Gelu. Semantics of ONNX opset 6+ (Relu-14 adds
 * signed integers, Shrink-9 all numeric dtypes, Gelu-20 with
 * approximate="none"|"tanh").
 *
 * One kernel template for the family: a float32 and a float64 loop per op
 * (switch outside the loop, so each loop vectorises where libm allows);
 * float16/bfloat16 and integer inputs go through double. Attributes are
 * read once per run into a params struct.
 *
 * Numerics: Elu/Selu/Celu use expm1 (the ONNX reference's exp(x)-1 loses
 * precision near 0); Softplus uses the overflow-free form
 * max(x,0) + log1p(exp(-|x|)) instead of log(exp(x)+1), which gives inf for
 * x > 88 in float32. Comparisons are written so NaN propagates (Relu(NaN)
 * is NaN, as numpy's maximum). */
#include <math.h>
#include <string.h>

#include "core/threadpool.h"
#include "cpu/gemm/vact.h"
#include "op.h"

typedef enum {
    A_RELU, A_LEAKY, A_SIGMOID, A_TANH, A_HSIGMOID, A_HSWISH, A_ELU, A_SELU, A_CELU,
    A_SOFTPLUS, A_SOFTSIGN, A_THRESH, A_SHRINK, A_GELU, A_GELU_TANH
} aop;

typedef struct {
    double alpha, beta, gamma; /* op-specific: see params() */
} aparams;

static const er_dtype dt_float[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_UNDEF};
static const er_dtype dt_relu[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8,
                                   ER_I16, ER_I32, ER_I64, ER_UNDEF};
static const er_dtype dt_numeric[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                      ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_UNDEF};

/* Attribute defaults are the ONNX ones. Shrink: alpha = lambd, beta = bias. */
static aparams params(const er_op_ctx *c, aop op) {
    aparams p = {0, 0, 0};
    const er_node *nd = c->node;
    switch (op) {
    case A_LEAKY: p.alpha = er_attr_float(nd, "alpha", 0.01f); break;
    case A_HSIGMOID:
        p.alpha = er_attr_float(nd, "alpha", 0.2f);
        p.beta = er_attr_float(nd, "beta", 0.5f);
        break;
    case A_ELU: case A_CELU: case A_THRESH: p.alpha = er_attr_float(nd, "alpha", 1.0f); break;
    case A_SELU:
        p.alpha = er_attr_float(nd, "alpha", 1.67326319217681884765625f);
        p.gamma = er_attr_float(nd, "gamma", 1.05070102214813232421875f);
        break;
    case A_SHRINK:
        p.alpha = er_attr_float(nd, "lambd", 0.5f);
        p.beta = er_attr_float(nd, "bias", 0.0f);
        break;
    default: break;
    }
    return p;
}

/* ---- kernels ------------------------------------------------------------- */

#define LOOP(T, expr)                                                                              \
    for (size_t i = 0; i < n; i++) {                                                               \
        T v = x[i];                                                                                \
        y[i] = (expr);                                                                             \
    }                                                                                              \
    break

/* S is the libm suffix: f for float, empty for double. */
#define FLOAT_ACT(T, S, NAME)                                                                      \
    static void NAME(T *y, const T *x, size_t n, aop op, const aparams *p) {                       \
        const T alpha = (T)p->alpha, beta = (T)p->beta, gamma = (T)p->gamma;                       \
        const T ga = gamma * alpha, inv_alpha = alpha != 0 ? (T)1 / alpha : (T)0;                  \
        switch (op) {                                                                              \
        case A_RELU: LOOP(T, v < 0 ? (T)0 : v);                                                    \
        case A_LEAKY: LOOP(T, v < 0 ? alpha * v : v);                                              \
        case A_SIGMOID: LOOP(T, (T)1 / ((T)1 + exp##S(-v)));                                       \
        case A_TANH: LOOP(T, tanh##S(v));                                                          \
        case A_HSIGMOID:                                                                           \
            LOOP(T, alpha * v + beta < 0 ? (T)0 : alpha * v + beta > 1 ? (T)1 : alpha * v + beta); \
        case A_HSWISH: {                                                                           \
            const T a6 = (T)1 / (T)6, b = (T)0.5;                                                  \
            LOOP(T, v * (a6 * v + b < 0 ? (T)0 : a6 * v + b > 1 ? (T)1 : a6 * v + b));             \
        }                                                                                          \
        case A_ELU: LOOP(T, v < 0 ? alpha * expm1##S(v) : v);                                      \
        case A_SELU: LOOP(T, v <= 0 ? ga * expm1##S(v) : gamma * v);                               \
        case A_CELU: LOOP(T, v < 0 ? alpha * expm1##S(v * inv_alpha) : v);                         \
        case A_SOFTPLUS: LOOP(T, (v > 0 ? v : (T)0) + log1p##S(exp##S(-fabs##S(v))));              \
        case A_SOFTSIGN: LOOP(T, v / ((T)1 + fabs##S(v)));                                         \
        case A_THRESH: LOOP(T, v > alpha ? v : (T)0);                                              \
        case A_SHRINK: LOOP(T, v < -alpha ? v + beta : v > alpha ? v - beta : (T)0);               \
        case A_GELU: LOOP(T, (T)0.5 * v * ((T)1 + erf##S(v * (T)0.70710678118654752440)));         \
        case A_GELU_TANH:                                                                          \
            LOOP(T, (T)0.5 * v *                                                                   \
                 ((T)1 + tanh##S((T)0.79788456080286535588 * (v + (T)0.044715 * v * v * v))));     \
        }                                                                                          \
    }
FLOAT_ACT(float, f, act_f32)
FLOAT_ACT(double, , act_f64)

/* One element in double: float16/bfloat16 and integer dtypes. */
static double act_scalar(aop op, const aparams *p, double v) {
    const double alpha = p->alpha, beta = p->beta, gamma = p->gamma;
    double t;
    switch (op) {
    case A_RELU: return v < 0 ? 0 : v;
    case A_LEAKY: return v < 0 ? alpha * v : v;
    case A_SIGMOID: return 1 / (1 + exp(-v));
    case A_TANH: return tanh(v);
    case A_HSIGMOID: t = alpha * v + beta; return t < 0 ? 0 : t > 1 ? 1 : t;
    case A_HSWISH: t = v / 6 + 0.5; return v * (t < 0 ? 0 : t > 1 ? 1 : t);
    case A_ELU: return v < 0 ? alpha * expm1(v) : v;
    case A_SELU: return v <= 0 ? gamma * alpha * expm1(v) : gamma * v;
    case A_CELU: return v < 0 ? alpha * expm1(v / alpha) : v;
    case A_SOFTPLUS: return (v > 0 ? v : 0) + log1p(exp(-fabs(v)));
    case A_SOFTSIGN: return v / (1 + fabs(v));
    case A_THRESH: return v > alpha ? v : 0;
    case A_SHRINK: return v < -alpha ? v + beta : v > alpha ? v - beta : 0;
    case A_GELU: return 0.5 * v * (1 + erf(v * 0.70710678118654752440));
    case A_GELU_TANH:
        return 0.5 * v * (1 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v)));
    }
    return v;
}

static er_status run_act(er_op_ctx *c, aop op) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    size_t n = er_tensor_numel(x);
    aparams p = params(c, op);
    switch (x->dtype) {
    case ER_F32: act_f32(y->data, x->data, n, op, &p); break;
    case ER_F64: act_f64(y->data, x->data, n, op, &p); break;
    default:
        if (er_dtype_is_int(x->dtype)) {
            /* integer Relu/Shrink: results are exact in double for |x| < 2^53;
             * er_store_f64 saturates the rest, never UB */
            for (size_t i = 0; i < n; i++) {
                int64_t v = er_load_i64(x->data, x->dtype, i);
                if (op == A_RELU) {
                    er_store_i64(y->data, y->dtype, i, v < 0 ? 0 : v);
                } else {
                    double r = act_scalar(op, &p, (double)v);
                    er_store_f64(y->data, y->dtype, i, trunc(r));
                }
            }
        } else {
            for (size_t i = 0; i < n; i++)
                er_store_f64(y->data, y->dtype, i,
                             act_scalar(op, &p, er_load_f64(x->data, x->dtype, i)));
        }
        break;
    }
    return ER_OK;
}

/* ---- shape --------------------------------------------------------------- */

static er_status shape_act(er_op_ctx *c, const er_dtype *allowed) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, allowed));
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status shape_celu(er_op_ctx *c) {
    ER_TRY(shape_act(c, dt_float));
    float alpha = er_attr_float(c->node, "alpha", 1.0f);
    if (alpha == 0 || alpha != alpha)
        return er_fail(ER_ERR_INVALID_MODEL, "alpha=%g: Celu divides by alpha, it must be nonzero",
                       (double)alpha);
    return ER_OK;
}

static er_status shape_shrink(er_op_ctx *c) {
    ER_TRY(shape_act(c, dt_numeric));
    float lambd = er_attr_float(c->node, "lambd", 0.5f);
    if (!(lambd >= 0))
        return er_fail(ER_ERR_INVALID_MODEL, "lambd=%g: must be >= 0", (double)lambd);
    return ER_OK;
}

static er_status shape_gelu(er_op_ctx *c) {
    ER_TRY(shape_act(c, dt_float));
    const char *a = er_attr_str(c->node, "approximate", "none");
    if (strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "approximate='%s': must be 'none' or 'tanh'", a);
    return ER_OK;
}

static er_status run_gelu(er_op_ctx *c) {
    const char *a = er_attr_str(c->node, "approximate", "none");
    return run_act(c, strcmp(a, "tanh") == 0 ? A_GELU_TANH : A_GELU);
}

/* ---- vectorized float32 kernels ------------------------------------------
 * LeakyRelu, Sigmoid, Tanh, HardSigmoid and HardSwish on float32 run the
 * epilogue kernels that fused convolutions use (cpu/gemm/vact.h: polynomial
 * exp with the error bounds documented there, tested against
 * er_act_apply_ref at every ISA level), split over the threads for large
 * tensors. The loops above stay the reference (--no-optimize does not change
 * this choice; EDGERUN_ISA=scalar makes vact the libm loops again). */

typedef struct {
    const float *x;
    float *y;
    er_act a;
    er_f32_vact_fn fn;
} vact_job;

static void vact_task(void *arg, int64_t b, int64_t e, int tid) {
    (void)tid;
    const vact_job *j = arg;
    if (j->x != j->y) memcpy(j->y + b, j->x + b, (size_t)(e - b) * sizeof(float));
    j->fn(&j->a, j->y + b, (size_t)(e - b));
}

static er_status run_vact(er_op_ctx *c, er_act_kind kind) {
    aop op = kind == ER_ACT_LEAKY_RELU ? A_LEAKY : kind == ER_ACT_HARD_SIGMOID ? A_HSIGMOID : A_RELU;
    aparams p = params(c, op);
    vact_job j = {c->in[0]->data, c->out[0]->data, {kind, (float)p.alpha, (float)p.beta, 0, 0},
                  er_f32_vact_pick((er_isa)c->isa)};
    int64_t n = (int64_t)er_tensor_numel(c->in[0]);
    if (er_threadpool_size(c->pool) > 1 && n >= (1 << 15))
        er_parallel_for(c->pool, n, 1 << 13, vact_task, &j);
    else
        vact_task(&j, 0, n, 0);
    return ER_OK;
}

/* ---- op definitions ------------------------------------------------------ */

#define ACT_OP(sym, NAME, OP, DTYPES, OPSET)                                                       \
    static er_status shape_##sym(er_op_ctx *c) { return shape_act(c, DTYPES); }                    \
    static er_status run_##sym(er_op_ctx *c) { return run_act(c, OP); }                            \
    const er_op_def er_op_##sym = {                                                                \
        .name = NAME, .min_opset = OPSET, .shape = shape_##sym, .run = run_##sym};

/* The same with the vectorized float32 kernel picked in prepare(). */
#define VACT_OP(sym, NAME, OP, KIND, DTYPES, OPSET)                                                \
    static er_status shape_##sym(er_op_ctx *c) { return shape_act(c, DTYPES); }                    \
    static er_status run_##sym(er_op_ctx *c) { return run_act(c, OP); }                            \
    static er_status vrun_##sym(er_op_ctx *c) { return run_vact(c, KIND); }                        \
    static er_status prepare_##sym(er_op_ctx *c) {                                                 \
        if (c->in[0]->dtype == ER_F32) c->kernel = vrun_##sym;                                     \
        return ER_OK;                                                                              \
    }                                                                                              \
    const er_op_def er_op_##sym = {.name = NAME, .min_opset = OPSET, .shape = shape_##sym,         \
                                   .prepare = prepare_##sym, .run = run_##sym};

ACT_OP(relu, "Relu", A_RELU, dt_relu, 6)
VACT_OP(leaky_relu, "LeakyRelu", A_LEAKY, ER_ACT_LEAKY_RELU, dt_float, 6)
VACT_OP(sigmoid, "Sigmoid", A_SIGMOID, ER_ACT_SIGMOID, dt_float, 6)
VACT_OP(tanh, "Tanh", A_TANH, ER_ACT_TANH, dt_float, 6)
VACT_OP(hard_sigmoid, "HardSigmoid", A_HSIGMOID, ER_ACT_HARD_SIGMOID, dt_float, 6)
VACT_OP(hard_swish, "HardSwish", A_HSWISH, ER_ACT_HARD_SWISH, dt_float, 14)
ACT_OP(elu, "Elu", A_ELU, dt_float, 6)
ACT_OP(selu, "Selu", A_SELU, dt_float, 6)
ACT_OP(softplus, "Softplus", A_SOFTPLUS, dt_float, 1)
ACT_OP(softsign, "Softsign", A_SOFTSIGN, dt_float, 1)
ACT_OP(thresholded_relu, "ThresholdedRelu", A_THRESH, dt_float, 10)

static er_status run_celu(er_op_ctx *c) { return run_act(c, A_CELU); }
static er_status run_shrink(er_op_ctx *c) { return run_act(c, A_SHRINK); }

const er_op_def er_op_celu = {.name = "Celu", .min_opset = 12, .shape = shape_celu, .run = run_celu};
const er_op_def er_op_shrink = {.name = "Shrink", .min_opset = 9, .shape = shape_shrink, .run = run_shrink};
const er_op_def er_op_gelu = {.name = "Gelu", .min_opset = 20, .shape = shape_gelu, .run = run_gelu};
