/* clip.c - Clip: y = min(max(x, lo), hi).
 *
 * Opset 6..10: lo/hi are the float attributes min/max (defaults: the lowest
 * and highest float, as the spec states). Opset 11+: lo/hi are the optional
 * scalar inputs 1 and 2 with x's dtype (opset 12 added integer dtypes); an
 * absent bound does not clip. When lo > hi every element becomes hi
 * (ONNX Clip-13 and numpy.clip agree). NaN in x stays NaN.
 *
 * The bounds' values are read in run(), so they may be computed at run
 * time; their shapes are checked in shape(). */
#include <float.h>
#include <math.h>

#include "op.h"

static const er_dtype dt_clip6[] = {ER_F32, ER_F64, ER_F16, ER_UNDEF};
static const er_dtype dt_clip[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                   ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_UNDEF};

static const er_tensor *bound(const er_op_ctx *c, int i) {
    return c->opset >= 11 && i < c->n_in ? c->in[i] : NULL;
}

static er_status shape_clip(er_op_ctx *c) {
    const er_tensor *x;
    if (c->opset < 11) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        ER_TRY(er_op_check_dtype(c, 0, dt_clip6));
        float lo = er_attr_float(c->node, "min", -FLT_MAX);
        float hi = er_attr_float(c->node, "max", FLT_MAX);
        if (lo != lo || hi != hi)
            return er_fail(ER_ERR_INVALID_MODEL, "min=%g, max=%g: bounds must not be NaN",
                           (double)lo, (double)hi);
    } else {
        ER_TRY(er_op_check_inputs(c, 1, 3));
        ER_TRY(er_op_check_dtype(c, 0, dt_clip));
        for (int i = 1; i < c->n_in; i++) {
            const er_tensor *b = c->in[i];
            if (!b) continue;
            ER_TRY(er_op_same_dtype(c, 0, i));
            /* the spec says scalar; exporters also write shape [1] */
            if (er_tensor_numel(b) != 1 || b->rank > 1)
                return er_fail(ER_ERR_SHAPE, "input %d (%s) shape %s: must be a scalar", i,
                               i == 1 ? "min" : "max", er_op_shape_str(b));
        }
    }
    x = c->in[0];
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static void clip_f32(float *y, const float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

static void clip_f64(double *y, const double *x, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; i++) {
        double v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

/* Bounds have x's dtype (shape() checks), so they are read as T directly. */
#define INT_CLIP(T, NAME, TMIN, TMAX)                                                              \
    static void NAME(void *yv, const void *xv, size_t n, const er_tensor *bl,                      \
                     const er_tensor *bh) {                                                        \
        T *y = yv;                                                                                 \
        const T *x = xv;                                                                           \
        T lo = bl ? ((const T *)bl->data)[0] : (T)(TMIN);                                          \
        T hi = bh ? ((const T *)bh->data)[0] : (T)(TMAX);                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            T v = x[i] < lo ? lo : x[i];                                                           \
            y[i] = v > hi ? hi : v;                                                                \
        }                                                                                          \
    }
INT_CLIP(int8_t, clip_i8, INT8_MIN, INT8_MAX)
INT_CLIP(uint8_t, clip_u8, 0, UINT8_MAX)
INT_CLIP(int16_t, clip_i16, INT16_MIN, INT16_MAX)
INT_CLIP(uint16_t, clip_u16, 0, UINT16_MAX)
INT_CLIP(int32_t, clip_i32, INT32_MIN, INT32_MAX)
INT_CLIP(uint32_t, clip_u32, 0, UINT32_MAX)
INT_CLIP(int64_t, clip_i64, INT64_MIN, INT64_MAX)
INT_CLIP(uint64_t, clip_u64, 0, UINT64_MAX)

static er_status run_clip(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    const er_tensor *bl = bound(c, 1), *bh = bound(c, 2);
    size_t n = er_tensor_numel(x);
    double lo = -INFINITY, hi = INFINITY;
    if (c->opset < 11) {
        lo = er_attr_float(c->node, "min", -FLT_MAX);
        hi = er_attr_float(c->node, "max", FLT_MAX);
    } else if (er_dtype_is_float(x->dtype)) {
        if (bl) lo = er_load_f64(bl->data, bl->dtype, 0);
        if (bh) hi = er_load_f64(bh->data, bh->dtype, 0);
    }
    switch (x->dtype) {
    case ER_F32: clip_f32(y->data, x->data, n, (float)lo, (float)hi); break;
    case ER_F64: clip_f64(y->data, x->data, n, lo, hi); break;
    case ER_I8: clip_i8(y->data, x->data, n, bl, bh); break;
    case ER_U8: clip_u8(y->data, x->data, n, bl, bh); break;
    case ER_I16: clip_i16(y->data, x->data, n, bl, bh); break;
    case ER_U16: clip_u16(y->data, x->data, n, bl, bh); break;
    case ER_I32: clip_i32(y->data, x->data, n, bl, bh); break;
    case ER_U32: clip_u32(y->data, x->data, n, bl, bh); break;
    case ER_I64: clip_i64(y->data, x->data, n, bl, bh); break;
    case ER_U64: clip_u64(y->data, x->data, n, bl, bh); break;
    default: /* float16 / bfloat16: bounds are representable, so clipping in double is exact */
        for (size_t i = 0; i < n; i++) {
            double v = er_load_f64(x->data, x->dtype, i);
            v = v < lo ? lo : v;
            er_store_f64(y->data, y->dtype, i, v > hi ? hi : v);
        }
        break;
    }
    return ER_OK;
}

const er_op_def er_op_clip = {.name = "Clip", .min_opset = 6, .shape = shape_clip, .run = run_clip};
