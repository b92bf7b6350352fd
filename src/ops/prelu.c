/* prelu.c - PRelu: y = x < 0 ? slope * x : x (ONNX opset 9+ semantics).
 *
 * slope is broadcast unidirectionally to x: the output has x's shape, and a
 * slope whose broadcast with x would grow x is a shape error. (Opset 7 used
 * multidirectional broadcasting, but a model relying on x growing is not
 * known to exist, and opset 9 only tightened the rule.) Integer dtypes
 * multiply in the unsigned type: overflow wraps, never UB. */
#include "broadcast.h"
#include "op.h"

static const er_dtype dt_prelu[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I32,
                                    ER_I64, ER_U32, ER_U64, ER_UNDEF};

static void row_f32(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    float *y = yv;
    const float *a = x[0], *b = x[1];
    (void)arg;
    if (s[0] == 1 && s[1] == 0) { /* per-channel slope: the common NCHW case */
        float k = b[0];
        for (int64_t i = 0; i < n; i++) y[i] = a[i] < 0 ? k * a[i] : a[i];
    } else {
        for (int64_t i = 0; i < n; i++) {
            float v = a[i * s[0]];
            y[i] = v < 0 ? b[i * s[1]] * v : v;
        }
    }
}

static void row_f64(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    double *y = yv;
    const double *a = x[0], *b = x[1];
    (void)arg;
    for (int64_t i = 0; i < n; i++) {
        double v = a[i * s[0]];
        y[i] = v < 0 ? b[i * s[1]] * v : v;
    }
}

#define ISNEG(v) ((v) < 1 && (v) != 0)
#define INT_ROW(T, U, NAME)                                                                        \
    static void NAME(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {     \
        T *y = yv;                                                                                 \
        const T *a = x[0], *b = x[1];                                                              \
        (void)arg;                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = a[i * s[0]];                                                                     \
            y[i] = ISNEG(v) ? (T)((U)b[i * s[1]] * (U)v) : v;                                      \
        }                                                                                          \
    }
INT_ROW(int32_t, uint32_t, row_i32)
INT_ROW(int64_t, uint64_t, row_i64)
INT_ROW(uint32_t, uint32_t, row_u32)
INT_ROW(uint64_t, uint64_t, row_u64)

/* float16 / bfloat16 */
static void row_generic(void *y, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    er_dtype dt = *(const er_dtype *)arg;
    for (int64_t i = 0; i < n; i++) {
        double v = er_load_f64(x[0], dt, (size_t)(i * s[0]));
        double k = er_load_f64(x[1], dt, (size_t)(i * s[1]));
        er_store_f64(y, dt, (size_t)i, v < 0 ? k * v : v);
    }
}

static er_status shape_prelu(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, dt_prelu));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    const er_tensor *x = c->in[0];
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    if (!er_shape_equal(r, d, x->rank, x->dims))
        return er_fail(ER_ERR_SHAPE,
                       "slope shape %s: must broadcast to input shape %s without growing it",
                       er_op_shape_str(c->in[1]), er_op_shape_str(x));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_prelu(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    er_dtype dt = y->dtype;
    er_row_fn fn;
    switch (dt) {
    case ER_F32: fn = row_f32; break;
    case ER_F64: fn = row_f64; break;
    case ER_I32: fn = row_i32; break;
    case ER_I64: fn = row_i64; break;
    case ER_U32: fn = row_u32; break;
    case ER_U64: fn = row_u64; break;
    default: fn = row_generic; break;
    }
    const er_tensor *x[2] = {c->in[0], c->in[1]};
    er_broadcast_rows(y, 2, x, fn, &dt);
    return ER_OK;
}

const er_op_def er_op_prelu = {.name = "PRelu", .min_opset = 9, .shape = shape_prelu, .run = run_prelu};
