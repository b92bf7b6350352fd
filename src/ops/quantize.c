/* quantize.c - the linear quantization family: QuantizeLinear,
 * DequantizeLinear (ONNX opset 10-21 semantics without block quantization)
 * and DynamicQuantizeLinear (opset 11). One file because they share the
 * scale / zero-point validation.
 *
 *   QuantizeLinear:   y = saturate(round_half_even(x / scale) + zero_point)
 *   DequantizeLinear: y = (x - zero_point) * scale
 *
 * Scale and zero point are per tensor (a scalar or one-element 1-D tensor),
 * from opset 13 per axis (1-D of length dims[axis], `axis` default 1), or
 * from opset 21 blocked (`block_size` B > 0: the scale has x's rank and
 * dims except dims[axis] = ceil(x.dims[axis] / B); element a along the axis
 * uses scale entry a / B, the other coordinates their own).
 * The zero point is optional and its dtype picks the quantized dtype: uint8
 * by default, int8, and uint16/int16 (opset 21, also via `output_dtype`).
 * DequantizeLinear also takes int32 input; its output dtype is the scale's.
 * The float8 and int4 dtypes of opsets 19-21 have no edgerun dtype
 * (core/tensor.h): a model using them is refused by the importer, and a
 * zero point or output_dtype naming one here is an ER_ERR_UNSUPPORTED
 * error that names the dtype.
 *
 * x / scale is computed in the float precision of the data as the numpy
 * reference does, so uint8 results are bit-exact with it. NaN quantizes as
 * if it were 0, i.e. to the zero point (the reference leaves it undefined). */
#include <math.h>
#include <string.h>

#include "cpu/qconv/qvcvt.h"
#include "op.h"

static bool quant_dtype(er_dtype dt) {
    return dt == ER_U8 || dt == ER_I8 || dt == ER_U16 || dt == ER_I16;
}

static void quant_range(er_dtype dt, double *lo, double *hi) {
    switch (dt) {
    case ER_I8: *lo = -128; *hi = 127; break;
    case ER_U16: *lo = 0; *hi = 65535; break;
    case ER_I16: *lo = -32768; *hi = 32767; break;
    case ER_I32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    default: *lo = 0; *hi = 255; break;
    }
}

/* Validates scale (input 1) and zero point (input 2) against x (input 0);
 * sets the normalised axis (-1 for per tensor) and *block (0 unless
 * blocked). */
static er_status check_params(er_op_ctx *c, int *axis, int64_t *block) {
    const er_tensor *x = c->in[0], *s = c->in[1];
    const er_tensor *z = c->n_in > 2 ? c->in[2] : NULL;
    *block = er_attr_int(c->node, "block_size", 0);
    ER_TRY(er_op_check_dtype(c, 1, er_dt_float));
    if (z && !er_shape_equal(z->rank, z->dims, s->rank, s->dims))
        return er_fail(ER_ERR_SHAPE, "zero point shape %s differs from scale shape %s",
                       er_op_shape_str(z), er_op_shape_str(s));
    if (*block != 0) {
        if (*block < 0)
            return er_fail(ER_ERR_INVALID_MODEL, "block_size %lld must be positive",
                           (long long)*block);
        ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 1), x->rank, axis));
        bool ok = x->rank > 0 && s->rank == x->rank;
        for (int i = 0; ok && i < x->rank; i++)
            ok = i == *axis ? s->dims[i] == (x->dims[i] + *block - 1) / *block
                            : s->dims[i] == x->dims[i];
        if (!ok)
            return er_fail(ER_ERR_SHAPE, "blocked quantization: scale shape %s must be input 0 "
                           "shape %s with dim %d = ceil(%lld / block_size %lld)",
                           er_op_shape_str(s), er_op_shape_str(x), *axis,
                           (long long)(x->rank > 0 ? x->dims[*axis] : 0), (long long)*block);
        return ER_OK;
    }
    if (s->rank == 0 || (s->rank == 1 && s->dims[0] == 1)) {
        *axis = -1;
        return ER_OK;
    }
    if (c->opset < 13 || s->rank != 1)
        return er_fail(ER_ERR_SHAPE, "scale shape %s: must be a scalar%s", er_op_shape_str(s),
                       c->opset < 13 ? " before opset 13" : " or 1-D (per axis)");
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 1), x->rank, axis));
    if (x->rank == 0 || s->dims[0] != x->dims[*axis])
        return er_fail(ER_ERR_SHAPE, "scale shape %s does not match input 0 shape %s on axis "
                       "%lld", er_op_shape_str(s), er_op_shape_str(x),
                       (long long)er_attr_int(c->node, "axis", 1));
    return ER_OK;
}

/* [outer, n, inner] view of x for per-axis parameters (n = 1 per tensor). */
static void param_view(const er_tensor *x, int axis, int64_t *outer, int64_t *n,
                       int64_t *inner) {
    *outer = 1;
    *n = 1;
    *inner = 1;
    if (axis < 0) {
        *inner = (int64_t)er_tensor_numel(x);
        return;
    }
    for (int i = 0; i < axis; i++) *outer *= x->dims[i];
    *n = x->dims[axis];
    for (int i = axis + 1; i < x->rank; i++) *inner *= x->dims[i];
}

/* One element: round(x / scale) + zero_point, saturated (NaN -> zero point);
 * the division in float unless an operand is double (see above). */
static inline int64_t quant_one(double xv, double scale, double zp, bool single, double lo,
                                double hi) {
    double q = single ? (double)rintf((float)xv / (float)scale) : rint(xv / scale);
    double v = (q == q ? q : 0) + zp;
    return (int64_t)(v >= hi ? hi : v >= lo ? v : lo);
}

/* One element: (x - zero_point) * scale, the product in float for float32
 * output (as float kernels compute it), else in double. */
static inline double dequant_one(int64_t xv, int64_t zp, double scale, er_dtype ydt) {
    if (ydt == ER_F32) return (double)((float)(xv - zp) * (float)scale);
    return (double)(xv - zp) * scale;
}

/* Index of the scale / zero point entry of element (o, a, i) of the
 * [outer, n, inner] view in blocked mode. */
static inline size_t block_param(int64_t o, int64_t a, int64_t i, int64_t n, int64_t inner,
                                 int64_t block) {
    int64_t nb = (n + block - 1) / block;
    return (size_t)((o * nb + a / block) * inner + i);
}

/* ---- QuantizeLinear -------------------------------------------------------- */

static er_status shape_quantize(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    static const er_dtype xdt[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I32, ER_UNDEF};
    ER_TRY(er_op_check_dtype(c, 0, xdt));
    int axis = 0;
    int64_t block;
    ER_TRY(check_params(c, &axis, &block));
    const er_tensor *z = c->n_in > 2 ? c->in[2] : NULL;
    er_dtype ydt = ER_U8;
    int64_t attr_dt = er_attr_int(c->node, "output_dtype", 0);
    if (z) {
        ydt = z->dtype;
        if (attr_dt != 0 && attr_dt != (int64_t)ydt)
            return er_fail(ER_ERR_INVALID_MODEL, "output_dtype %lld differs from the zero "
                           "point's dtype %s", (long long)attr_dt, er_dtype_name(ydt));
    } else if (attr_dt != 0) {
        ydt = (er_dtype)attr_dt;
    }
    if (!quant_dtype(ydt))
        return er_fail(ER_ERR_UNSUPPORTED, "quantized dtype %s (%d) is not supported (uint8, "
                       "int8, uint16, int16 are)", er_dtype_name(ydt), (int)ydt);
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, ydt, x->rank, x->dims);
    return ER_OK;
}

static er_status run_quantize(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *s = c->in[1];
    const er_tensor *z = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *y = c->out[0];
    int axis = 0;
    int64_t block;
    ER_TRY(check_params(c, &axis, &block));
    int64_t outer, n, inner;
    param_view(x, axis, &outer, &n, &inner);
    double lo, hi;
    quant_range(y->dtype, &lo, &hi);
    bool single = x->dtype != ER_F64 && s->dtype != ER_F64;
    for (int64_t o = 0; o < outer && block; o++) /* blocked: parameters per element */
        for (int64_t a = 0; a < n; a++)
            for (int64_t i = 0; i < inner; i++) {
                size_t pi = block_param(o, a, i, n, inner, block);
                size_t at = (size_t)((o * n + a) * inner + i);
                double scale = er_load_f64(s->data, s->dtype, pi);
                double zp = z ? (double)er_load_i64(z->data, z->dtype, pi) : 0;
                er_store_i64(y->data, y->dtype, at,
                             quant_one(er_load_f64(x->data, x->dtype, at), scale, zp, single, lo, hi));
            }
    for (int64_t o = 0; o < outer && !block; o++) {
        for (int64_t a = 0; a < n; a++) {
            double scale = er_load_f64(s->data, s->dtype, (size_t)a);
            double zp = z ? (double)er_load_i64(z->data, z->dtype, (size_t)a) : 0;
            size_t base = (size_t)((o * n + a) * inner);
            if (x->dtype == ER_F32 && (y->dtype == ER_U8 || y->dtype == ER_I8) && single) {
                /* the vectorized kernels of cpu/qconv/qvcvt.h: same arithmetic */
                er_qvcvt_params q = {(float)scale, (int32_t)zp, (int32_t)lo, (int32_t)hi};
                er_qvcvt_pick((er_isa)c->isa)((size_t)inner, (const float *)x->data + base,
                                              (uint8_t *)y->data + base, &q);
                continue;
            }
            for (int64_t i = 0; i < inner; i++)
                er_store_i64(y->data, y->dtype, base + (size_t)i,
                             quant_one(er_load_f64(x->data, x->dtype, base + (size_t)i), scale,
                                       zp, single, lo, hi));
        }
    }
    return ER_OK;
}

/* ---- DequantizeLinear ------------------------------------------------------ */

static er_status shape_dequantize(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    static const er_dtype xdt[] = {ER_U8, ER_I8, ER_U16, ER_I16, ER_I32, ER_UNDEF};
    ER_TRY(er_op_check_dtype(c, 0, xdt));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    int axis = 0;
    int64_t block;
    ER_TRY(check_params(c, &axis, &block));
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, c->in[1]->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_dequantize(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *s = c->in[1];
    const er_tensor *z = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *y = c->out[0];
    int axis = 0;
    int64_t block;
    ER_TRY(check_params(c, &axis, &block));
    int64_t outer, n, inner;
    param_view(x, axis, &outer, &n, &inner);
    for (int64_t o = 0; o < outer && block; o++) /* blocked: parameters per element */
        for (int64_t a = 0; a < n; a++)
            for (int64_t i = 0; i < inner; i++) {
                size_t pi = block_param(o, a, i, n, inner, block);
                size_t at = (size_t)((o * n + a) * inner + i);
                double scale = er_load_f64(s->data, s->dtype, pi);
                int64_t zp = z ? er_load_i64(z->data, z->dtype, pi) : 0;
                er_store_f64(y->data, y->dtype, at,
                             dequant_one(er_load_i64(x->data, x->dtype, at), zp, scale, y->dtype));
            }
    for (int64_t o = 0; o < outer && !block; o++) {
        for (int64_t a = 0; a < n; a++) {
            double scale = er_load_f64(s->data, s->dtype, (size_t)a);
            int64_t zp = z ? er_load_i64(z->data, z->dtype, (size_t)a) : 0;
            size_t base = (size_t)((o * n + a) * inner);
            if (y->dtype == ER_F32) {
                float *yp = (float *)y->data + base;
                for (int64_t i = 0; i < inner; i++)
                    yp[i] = (float)dequant_one(er_load_i64(x->data, x->dtype, base + (size_t)i),
                                               zp, scale, ER_F32);
                continue;
            }
            for (int64_t i = 0; i < inner; i++)
                er_store_f64(y->data, y->dtype, base + (size_t)i,
                             dequant_one(er_load_i64(x->data, x->dtype, base + (size_t)i), zp,
                                         scale, y->dtype));
        }
    }
    return ER_OK;
}

/* ---- DynamicQuantizeLinear ------------------------------------------------- */

static er_status shape_dynamic_quantize(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    static const er_dtype xdt[] = {ER_F32, ER_UNDEF};
    ER_TRY(er_op_check_dtype(c, 0, xdt));
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, ER_U8, x->rank, x->dims);
    er_op_set_output(c, 1, ER_F32, 0, NULL);
    er_op_set_output(c, 2, ER_U8, 0, NULL);
    return ER_OK;
}

/* Spec: the range is widened to include 0, scale = (max - min) / 255 and
 * zero_point = saturate(round(-min / scale)). An all-zero (or empty) input
 * has scale 0; its zero point and data are 0 instead of the reference's
 * undefined 0/0. NaN elements are ignored for the range. */
static er_status run_dynamic_quantize(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    size_t n = er_tensor_numel(x);
    const float *xp = x->data;
    float mn = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (xp[i] < mn) mn = xp[i];
        if (xp[i] > mx) mx = xp[i];
    }
    float scale = (mx - mn) / 255.0f;
    float zp = 0;
    if (scale > 0) {
        zp = rintf((0 - mn) / scale);
        zp = zp > 255 ? 255 : zp < 0 ? 0 : zp;
    }
    if (c->out[1]) *(float *)c->out[1]->data = scale;
    if (c->out[2]) *(uint8_t *)c->out[2]->data = (uint8_t)zp;
    if (!c->out[0]) return ER_OK;
    uint8_t *yp = c->out[0]->data;
    for (size_t i = 0; i < n; i++) {
        float v = scale > 0 ? rintf(xp[i] / scale) + zp : 0;
        yp[i] = (uint8_t)(v >= 255 ? 255 : v >= 0 ? v : 0); /* NaN -> 0 */
    }
    return ER_OK;
}

const er_op_def er_op_dequantize_linear = {.name = "DequantizeLinear", .min_opset = 10,
                                           .shape = shape_dequantize, .run = run_dequantize};
const er_op_def er_op_dynamic_quantize_linear = {.name = "DynamicQuantizeLinear",
                                                 .min_opset = 11,
                                                 .shape = shape_dynamic_quantize,
                                                 .run = run_dynamic_quantize};
const er_op_def er_op_quantize_linear = {.name = "QuantizeLinear", .min_opset = 10,
                                         .shape = shape_quantize, .run = run_quantize};
