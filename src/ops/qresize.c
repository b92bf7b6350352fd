/* qresize.c - QResize (domain "edgerun"): Resize of a quantized tensor,
 * nearest or (bi)linear, in fixed point.
 *
 * Inputs: X, X_scale, X_zp, Y_scale, Y_zp (per tensor, uint8/int8), then
 * scales (float32 [rank]) and sizes (int64 [rank]): exactly one non-empty,
 * known at planning time. Attributes as ONNX Resize-11+: mode ("nearest",
 * "linear"), coordinate_transformation_mode (half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric) and nearest_mode (round_prefer_floor,
 * round_prefer_ceil, floor, ceil). Output dims: floor(in * scale), or sizes.
 *
 * Bit-exact definition. Along each axis that changes (scale != 1 or out !=
 * in), output coordinate o maps to x = transform(o) in double as ONNX
 * Resize does (scale = out / in when sizes are given). nearest picks one
 * input index (rounded per nearest_mode, clamped to [0, in)); linear takes
 * i0 = floor(x), weights w1 = lrint((x - i0) * 2^B), w0 = 2^B - w1 on indices
 * i0, i0 + 1 clamped to [0, in) (edges repeat). With L linear axes that
 * change, B = 11 for L <= 2, 7 for L = 3, 5 for L = 4 (more: unsupported),
 * so weight products stay <= 2^22, and
 *   acc = sum over taps of prod(w) * (x - x_zp)        (|acc| < 2^30)
 *   P   = er_prescale_shift(255 * 2^(B * L))
 *   y   = clamp(mbqm(acc * 2^P, er_prescale_multiplier(x_scale /
 *               (y_scale * 2^(B * L)), P)) + y_zp)
 * (nearest: L = 0, acc = x - x_zp; see er_requant_pre). */
#include <math.h>
#include <string.h>

#include "core/checked_math.h"
#include "op.h"
#include "quant_util.h"

#define QR_MAX_LINEAR 4

typedef enum { CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC } qr_ctm;
typedef enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } qr_nearest;

typedef struct {
    bool linear;
    qr_ctm ctm;
    qr_nearest nearest;
    int rank;
    int64_t in[ER_MAX_RANK], out[ER_MAX_RANK];
    double scale[ER_MAX_RANK];
    bool resized[ER_MAX_RANK];
    int n_linear; /* linear axes that change */
    int bits;     /* weight fraction bits per linear axis */
} qr_geom;

static er_status pick(const er_op_ctx *c, const char *attr, const char *def,
                      const char *const *names, int *out) {
    const char *s = er_attr_str(c->node, attr, def);
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return ER_OK;
        }
    return er_fail(ER_ERR_UNSUPPORTED, "%s '%s' is not supported by QResize", attr, s);
}

static er_status geometry(const er_op_ctx *c, qr_geom *g) {
    memset(g, 0, sizeof *g);
    static const char *const modes[] = {"nearest", "linear", NULL};
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric", NULL};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                      NULL};
    int v = 0;
    ER_TRY(pick(c, "mode", "nearest", modes, &v));
    g->linear = v == 1;
    ER_TRY(pick(c, "coordinate_transformation_mode", "half_pixel", ctms, &v));
    g->ctm = (qr_ctm)v;
    ER_TRY(pick(c, "nearest_mode", "round_prefer_floor", nms, &v));
    g->nearest = (qr_nearest)v;
    const er_tensor *x = c->in[0];
    const er_tensor *sc = c->n_in > 5 ? c->in[5] : NULL, *sz = c->n_in > 6 ? c->in[6] : NULL;
    if (sc && er_tensor_numel(sc) == 0) sc = NULL;
    if (sz && er_tensor_numel(sz) == 0) sz = NULL;
    if (!!sc == !!sz)
        return er_fail(ER_ERR_INVALID_MODEL, "exactly one of scales (input 5) and sizes (input 6) "
                       "must be given");
    g->rank = x->rank;
    const er_tensor *t = sc ? sc : sz;
    if (t->rank != 1 || t->dims[0] != x->rank)
        return er_fail(ER_ERR_SHAPE, "%s shape %s: expected [%d]", sc ? "scales" : "sizes",
                       er_op_shape_str(t), x->rank);
    if (sc && sc->dtype != ER_F32)
        return er_fail(ER_ERR_INVALID_MODEL, "scales must be float32, not %s",
                       er_dtype_name(sc->dtype));
    if (sz && sz->dtype != ER_I64)
        return er_fail(ER_ERR_INVALID_MODEL, "sizes must be int64, not %s",
                       er_dtype_name(sz->dtype));
    for (int a = 0; a < x->rank; a++) {
        g->in[a] = x->dims[a];
        if (sc) {
            double s = ((const float *)sc->data)[a];
            if (!(s > 0) || !(s < 1e6))
                return er_fail(ER_ERR_INVALID_MODEL, "scales[%d] = %g must be in (0, 1e6)", a, s);
            g->scale[a] = s;
            g->out[a] = (int64_t)floor((double)g->in[a] * s);
        } else {
            int64_t o = ((const int64_t *)sz->data)[a];
            if (o < 0 || o > ((int64_t)1 << 40))
                return er_fail(ER_ERR_INVALID_MODEL, "sizes[%d] = %lld is out of range", a,
                               (long long)o);
            g->out[a] = o;
            g->scale[a] = g->in[a] ? (double)o / (double)g->in[a] : 1.0;
        }
        if (g->in[a] > INT32_MAX || g->out[a] > INT32_MAX) /* taps hold int32 indices */
            return er_fail(ER_ERR_UNSUPPORTED, "axis %d: %lld -> %lld elements; QResize supports "
                           "up to 2^31 - 1", a, (long long)g->in[a], (long long)g->out[a]);
        g->resized[a] = g->scale[a] != 1.0 || g->out[a] != g->in[a];
        if (g->resized[a] && g->in[a] == 0 && g->out[a] > 0)
            return er_fail(ER_ERR_SHAPE, "axis %d: cannot resize an empty axis to %lld", a,
                           (long long)g->out[a]);
        if (g->linear && g->resized[a]) g->n_linear++;
    }
    if (g->n_linear > QR_MAX_LINEAR)
        return er_fail(ER_ERR_UNSUPPORTED, "linear QResize changes %d axes; at most %d are "
                       "supported", g->n_linear, QR_MAX_LINEAR);
    g->bits = g->n_linear <= 2 ? 11 : g->n_linear == 3 ? 7 : 5;
    return ER_OK;
}

static er_status shape_qresize(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(er_qio_check(c, 7, &ydt));
    ER_TRY(er_op_need_value(c, 5));
    ER_TRY(er_op_need_value(c, 6));
    qr_geom g;
    ER_TRY(geometry(c, &g));
    er_op_set_output(c, 0, ydt, g.rank, g.out);
    return ER_OK;
}

/* Per axis and output coordinate: two (index, weight) taps. */
typedef struct {
    int32_t i0, i1, w0, w1;
} qr_tap;

static er_status prepare_qresize(er_op_ctx *c) {
    qr_geom g;
    ER_TRY(geometry(c, &g));
    size_t total = 0;
    for (int a = 0; a < g.rank; a++)
        if (!er_add_size(&total, total, (size_t)g.out[a]))
            return er_fail(ER_ERR_SHAPE, "output too large");
    if (!er_mul_size(&c->scratch_bytes, total, sizeof(qr_tap)))
        return er_fail(ER_ERR_SHAPE, "output too large");
    return ER_OK;
}

static double transform(const qr_geom *g, int a, int64_t o) {
    double s = g->scale[a], x = (double)o;
    switch (g->ctm) {
    case CT_PYTORCH_HALF_PIXEL: return g->out[a] > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN_CORNERS:
        return g->out[a] == 1 ? 0.0 : x * (double)(g->in[a] - 1) / (double)(g->out[a] - 1);
    case CT_ASYMMETRIC: return x / s;
    default: return (x + 0.5) / s - 0.5;
    }
}

static int32_t clamp_index(double v, int64_t n) {
    return (int32_t)(v < 0 ? 0 : v > (double)(n - 1) ? n - 1 : v);
}

static void build_axis(const qr_geom *g, int a, qr_tap *t) {
    for (int64_t o = 0; o < g->out[a]; o++) {
        if (!g->resized[a]) {
            t[o] = (qr_tap){(int32_t)o, (int32_t)o, 1, 0};
            continue;
        }
        double x = transform(g, a, o);
        if (g->linear) {
            double f = floor(x);
            int32_t one = 1 << g->bits;
            int32_t w1 = (int32_t)lrint((x - f) * one);
            t[o] = (qr_tap){clamp_index(f, g->in[a]), clamp_index(f + 1, g->in[a]), one - w1, w1};
            continue;
        }
        double r;
        switch (g->nearest) {
        case NM_ROUND_PREFER_CEIL: r = x == floor(x) + 0.5 ? ceil(x) : round(x); break;
        case NM_FLOOR: r = floor(x); break;
        case NM_CEIL: r = ceil(x); break;
        default: r = x == floor(x) + 0.5 ? floor(x) : round(x); break;
        }
        int32_t i = clamp_index(r, g->in[a]);
        t[o] = (qr_tap){i, i, 1, 0};
    }
}

static er_status run_qresize(er_op_ctx *c) {
    qr_geom g;
    ER_TRY(geometry(c, &g));
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    er_qio q;
    int32_t lo, hi;
    ER_TRY(er_qio_read(c, &q));
    er_qdtype_range(y->dtype, &lo, &hi);
    if (er_tensor_numel(y) == 0) return ER_OK;
    qr_tap *taps[ER_MAX_RANK];
    qr_tap *next = c->scratch;
    for (int a = 0; a < g.rank; a++) {
        taps[a] = next;
        build_axis(&g, a, next);
        next += g.out[a];
    }
    int wbits = g.bits * g.n_linear, pre = er_prescale_shift((int64_t)255 << wbits);
    er_qmul m = er_prescale_multiplier((double)q.x_scale / ((double)q.y_scale * ldexp(1.0, wbits)),
                                       pre);
    int64_t in_stride[ER_MAX_RANK];
    int64_t s = 1;
    for (int a = g.rank - 1; a >= 0; a--) {
        in_stride[a] = s;
        s *= g.in[a];
    }
    int64_t o[ER_MAX_RANK] = {0};
    size_t n = er_tensor_numel(y);
    for (size_t e = 0; e < n; e++) {
        /* taps of every axis; only linear axes have a second tap */
        int64_t acc = 0;
        int combos = 1 << g.n_linear;
        for (int mask = 0; mask < combos; mask++) {
            int64_t off = 0, w = 1;
            int bit = 0;
            for (int a = 0; a < g.rank; a++) {
                const qr_tap *t = &taps[a][o[a]];
                bool second = false;
                if (g.linear && g.resized[a]) second = (mask >> bit++) & 1;
                off += (second ? t->i1 : t->i0) * in_stride[a];
                w *= second ? t->w1 : t->w0;
            }
            if (w) acc += w * (er_qload(x->data, x->dtype, off) - q.x_zp);
        }
        er_qstore(y->data, y->dtype, (int64_t)e,
                  er_requant_pre((int32_t)acc, pre, m, q.y_zp, lo, hi));
        for (int a = g.rank - 1; a >= 0; a--) {
            if (++o[a] < g.out[a]) break;
            o[a] = 0;
        }
    }
    return ER_OK;
}

const er_op_def er_op_qresize = {.name = "QResize", .domain = "edgerun", .min_opset = 1,
                                 .shape = shape_qresize, .prepare = prepare_qresize,
                                 .run = run_qresize};
