/* quant_util.c - fixed-point multipliers, the float epilogue, scale and
 * zero-point validation and the lookup tables of the int8 ops (definitions
 * in quant_util.h). */
#include "quant_util.h"

#include <math.h>

er_qmul er_quantize_multiplier(double real) {
    er_qmul m = {0, 0};
    if (!(real > 0) || !isfinite(real)) return m; /* 0, negative, NaN */
    int e = 0;
    double q = frexp(real, &e); /* q in [0.5, 1) */
    int64_t q_fixed = (int64_t)round(q * 2147483648.0); /* half away from zero */
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        e++;
    }
    if (e < -31) return m; /* every bit would be shifted out: flush to zero */
    if (e > 30) {
        m.mult = INT32_MAX;
        m.shift = 30;
        return m;
    }
    m.mult = (int32_t)q_fixed;
    m.shift = e;
    return m;
}

int er_prescale_shift(int64_t max_abs) {
    int shift = 0;
    if (max_abs < 1) max_abs = 1;
    if (max_abs > INT32_MAX) return 0;
    while (shift < 30 && (max_abs << (shift + 1)) <= INT32_MAX) shift++;
    return shift;
}

er_qmul er_prescale_multiplier(double real, int shift) {
    return er_quantize_multiplier(ldexp(real, -shift));
}

int32_t er_requant_float(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
    float v = rintf((float)acc * scale);
    /* compare in float: v may be far outside int32 */
    if (v < (float)((int64_t)lo - zp)) return lo;
    if (v > (float)((int64_t)hi - zp)) return hi;
    int64_t r = (int64_t)v + zp;
    return (int32_t)(r < lo ? lo : r > hi ? hi : r);
}

bool er_qdtype_ok(er_dtype dt) { return dt == ER_U8 || dt == ER_I8; }

void er_qdtype_range(er_dtype dt, int32_t *lo, int32_t *hi) {
    *lo = dt == ER_I8 ? -128 : 0;
    *hi = dt == ER_I8 ? 127 : 255;
}

static bool is_per_tensor(const er_tensor *t) {
    return t->rank == 0 || (t->rank == 1 && t->dims[0] == 1);
}

er_status er_qparams_check(const er_op_ctx *c, const char *what, int si, int zi, er_dtype dt,
                           bool zp_optional, int64_t n_channels, bool *per_channel) {
    *per_channel = false;
    if (si >= c->n_in || !c->in[si])
        return er_fail(ER_ERR_INVALID_MODEL, "input %d (%s scale) is missing", si, what);
    const er_tensor *s = c->in[si];
    const er_tensor *z = zi >= 0 && zi < c->n_in ? c->in[zi] : NULL;
    if (s->dtype != ER_F32 && s->dtype != ER_F16)
        return er_fail(ER_ERR_UNSUPPORTED, "input %d (%s scale) has dtype %s; float32 and "
                       "float16 are supported", si, what, er_dtype_name(s->dtype));
    if (!z && !zp_optional)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d (%s zero point) is missing", zi, what);
    if (z && z->dtype != dt)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d (%s zero point) has dtype %s, expected "
                       "%s (the dtype of %s)", zi, what, er_dtype_name(z->dtype),
                       er_dtype_name(dt), what);
    if (z && !er_shape_equal(z->rank, z->dims, s->rank, s->dims))
        return er_fail(ER_ERR_SHAPE, "%s zero point shape %s differs from its scale shape %s",
                       what, er_op_shape_str(z), er_op_shape_str(s));
    /* a constant scale is checked now, so a bad model fails at planning */
    size_t n = er_tensor_numel(s);
    for (size_t i = 0; s->data && i < n; i++) {
        double v = er_load_f64(s->data, s->dtype, i);
        if (!(v > 0) || !isfinite(v) || (float)v <= 0)
            return er_fail(ER_ERR_INVALID_MODEL, "%s scale[%zu] = %g: a scale must be finite and "
                           "> 0", what, i, v);
    }
    if (is_per_tensor(s)) return ER_OK;
    if (n_channels > 0 && s->rank == 1 && s->dims[0] == n_channels) {
        *per_channel = true;
        return ER_OK;
    }
    if (n_channels > 0)
        return er_fail(ER_ERR_SHAPE, "%s scale shape %s: expected a scalar (per tensor) or [%lld] "
                       "(per channel)", what, er_op_shape_str(s), (long long)n_channels);
    return er_fail(ER_ERR_SHAPE, "%s scale shape %s: expected a scalar (per tensor)", what,
                   er_op_shape_str(s));
}

er_status er_qparams_read(const er_op_ctx *c, const char *what, int si, int zi, int64_t n,
                          float *scale, int32_t *zp) {
    const er_tensor *s = c->in[si];
    const er_tensor *z = zi >= 0 && zi < c->n_in ? c->in[zi] : NULL;
    bool per_tensor = is_per_tensor(s);
    for (int64_t k = 0; k < n; k++) {
        size_t i = per_tensor ? 0 : (size_t)k;
        double v = er_load_f64(s->data, s->dtype, i);
        if (!(v > 0) || !isfinite(v) || (float)v <= 0)
            return er_fail(ER_ERR_INVALID_MODEL, "%s scale[%zu] = %g: a scale must be finite and "
                           "> 0", what, i, v);
        scale[k] = (float)v;
        zp[k] = z ? (int32_t)er_load_i64(z->data, z->dtype, i) : 0;
    }
    return ER_OK;
}

er_status er_qparam_read1(const er_op_ctx *c, const char *what, int si, int zi, float *scale,
                          int32_t *zp) {
    return er_qparams_read(c, what, si, zi, 1, scale, zp);
}

er_status er_qparam_dtype(const er_op_ctx *c, const char *what, int zi, er_dtype *out) {
    if (zi >= c->n_in || !c->in[zi])
        return er_fail(ER_ERR_INVALID_MODEL, "input %d (%s zero point) is missing; it sets the "
                       "output dtype", zi, what);
    er_dtype dt = c->in[zi]->dtype;
    if (!er_qdtype_ok(dt))
        return er_fail(ER_ERR_UNSUPPORTED, "input %d (%s zero point) has dtype %s; uint8 and int8 "
                       "are supported", zi, what, er_dtype_name(dt));
    *out = dt;
    return ER_OK;
}

er_status er_qio_check(er_op_ctx *c, int max_in, er_dtype *y_dtype) {
    static const er_dtype q8[] = {ER_U8, ER_I8, ER_UNDEF};
    bool pc;
    ER_TRY(er_op_check_inputs(c, 5, max_in));
    ER_TRY(er_op_check_dtype(c, 0, q8));
    ER_TRY(er_qparams_check(c, "X", 1, 2, c->in[0]->dtype, false, 0, &pc));
    ER_TRY(er_qparam_dtype(c, "Y", 4, y_dtype));
    return er_qparams_check(c, "Y", 3, 4, *y_dtype, false, 0, &pc);
}

er_status er_qio_read(const er_op_ctx *c, er_qio *q) {
    ER_TRY(er_qparam_read1(c, "X", 1, 2, &q->x_scale, &q->x_zp));
    return er_qparam_read1(c, "Y", 3, 4, &q->y_scale, &q->y_zp);
}

er_status er_qactivation(const er_op_ctx *c, er_dtype dt, int32_t *lo, int32_t *hi) {
    int32_t dlo, dhi;
    er_qdtype_range(dt, &dlo, &dhi);
    int64_t a = er_attr_int(c->node, "activation_min", dlo);
    int64_t b = er_attr_int(c->node, "activation_max", dhi);
    if (a < dlo || b > dhi || a > b)
        return er_fail(ER_ERR_INVALID_MODEL, "activation_min %lld / activation_max %lld: must lie "
                       "in [%d, %d] (%s) with min <= max", (long long)a, (long long)b, (int)dlo,
                       (int)dhi, er_dtype_name(dt));
    *lo = (int32_t)a;
    *hi = (int32_t)b;
    return ER_OK;
}

void er_qlut_build(uint8_t table[256], er_dtype x_dt, float x_scale, int32_t x_zp,
                   er_dtype y_dt, float y_scale, int32_t y_zp, er_qfn f, const void *arg) {
    int32_t lo, hi;
    er_qdtype_range(y_dt, &lo, &hi);
    for (int b = 0; b < 256; b++) {
        int32_t q = x_dt == ER_I8 ? (int32_t)(int8_t)(uint8_t)b : b;
        double x = (double)(q - x_zp) * (double)x_scale;
        double y = rint(f(x, arg) / (double)y_scale) + y_zp;
        int32_t v = !(y == y) ? y_zp : y < lo ? lo : y > hi ? hi : (int32_t)y;
        table[b] = (uint8_t)(y_dt == ER_I8 ? (uint8_t)(int8_t)v : (uint8_t)v);
    }
}

void er_qsoftmax_table(uint32_t exp_table[256], float x_scale) {
    for (int d = 0; d < 256; d++)
        exp_table[d] = (uint32_t)lrint(exp(-(double)d * (double)x_scale) *
                                       (double)(1u << ER_QSOFTMAX_BITS));
}
