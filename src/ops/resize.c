/* resize.c - Resize (ONNX opset 10, 11, 13, 18, 19) and Upsample (7, 9).
 *
 * Inputs by version: Upsample-7 takes scales as an attribute, Upsample-9 and
 * Resize-10 as input 1 (both: asymmetric coordinates, nearest rounds down).
 * Resize-11+ takes (X, roi, scales, sizes) with exactly one of scales/sizes
 * non-empty; Resize-18 adds axes, antialias and keep_aspect_ratio_policy,
 * Resize-19 the half_pixel_symmetric mode.
 *
 * Output dims: floor(in * scale) for scales (roi does not change them, as in
 * ONNX shape inference and its reference); sizes as given, or with
 * keep_aspect_ratio_policy not_larger/not_smaller one common scale
 * (min/max of sizes/in over axes) and out = floor(scale * in + 0.5).
 *
 * Interpolation is separable: for every resized axis and output coordinate
 * a short list of (input index, weight) taps is built once per run (in
 * scratch), following the ONNX reference implementation exactly:
 *   - the coordinate transform uses length_resized = scale * in (a float,
 *     even when floor() shortened the output) unless sizes gave it;
 *   - x = floor(x_orig) + ratio with ratio in (0, 1] (an integral x_orig
 *     uses ratio 1 on the lower neighbour), taps x + i for i in
 *     [start, 2 - start), weight = filter(s * (i - ratio)), where s =
 *     min(scale, 1) with antialias (the filter stretched by 1/scale) else 1,
 *     and start = 0 (linear) / -1 (cubic) without antialias;
 *   - indices outside the input repeat the edge; exclude_outside zeroes
 *     their weights and renormalises; antialias always renormalises;
 *   - tf_crop_and_resize maps through roi and returns extrapolation_value
 *     for coordinates outside [0, in - 1] on any axis;
 *   - pytorch_half_pixel maps a length-1 output to 0 (the spec; the 1.12
 *     reference used -0.5, which only matters for cubic).
 * Each output element is then the weighted sum over the product of its
 * per-axis taps (1 for nearest, 2^n for n-linear, 4^n for cubic), in double.
 * Nearest copies elements bytewise, so every dtype is exact. */
#include <math.h>
#include <string.h>

#include "core/checked_math.h"
#include "op.h"

#define MAX_TAPS 4096 /* per axis and output coordinate (antialias at 1/2048) */
#define MAX_DIM ((double)((int64_t)1 << 40))

typedef enum { M_NEAREST, M_LINEAR, M_CUBIC } rz_mode;
typedef enum {
    T_HALF_PIXEL,
    T_HALF_PIXEL_SYMMETRIC,
    T_PYTORCH_HALF_PIXEL,
    T_ALIGN_CORNERS,
    T_ASYMMETRIC,
    T_TF_HALF_PIXEL_FOR_NN,
    T_TF_CROP_AND_RESIZE
} rz_ctm;
typedef enum { N_ROUND_PREFER_FLOOR, N_ROUND_PREFER_CEIL, N_FLOOR, N_CEIL } rz_nearest;

typedef struct {
    rz_mode mode;
    rz_ctm ctm;
    rz_nearest nearest;
    double cubic_a, extrapolation;
    bool exclude_outside, antialias;
    int rank;
    int n_axes, axes[ER_MAX_RANK]; /* resized axes, in the order roi/scales/sizes list them */
    bool active[ER_MAX_RANK];      /* axis is listed in axes */
    double scale[ER_MAX_RANK];
    double out_len[ER_MAX_RANK]; /* length_resized of the coordinate transform */
    int64_t in[ER_MAX_RANK], out[ER_MAX_RANK];
    int taps[ER_MAX_RANK]; /* taps per output coordinate (before pruning) */
    int roi_input;         /* input index of roi, -1 when the version has none */
} rz_geom;

typedef struct {
    const char *name;
    int value;
} name_value;

static const name_value k_modes[] = {{"nearest", M_NEAREST}, {"linear", M_LINEAR},
                                     {"cubic", M_CUBIC}, {"bilinear", M_LINEAR}, {NULL, 0}};
static const name_value k_ctms[] = {{"half_pixel", T_HALF_PIXEL},
                                    {"half_pixel_symmetric", T_HALF_PIXEL_SYMMETRIC},
                                    {"pytorch_half_pixel", T_PYTORCH_HALF_PIXEL},
                                    {"align_corners", T_ALIGN_CORNERS},
                                    {"asymmetric", T_ASYMMETRIC},
                                    {"tf_half_pixel_for_nn", T_TF_HALF_PIXEL_FOR_NN},
                                    {"tf_crop_and_resize", T_TF_CROP_AND_RESIZE},
                                    {NULL, 0}};
static const name_value k_nearest[] = {{"round_prefer_floor", N_ROUND_PREFER_FLOOR},
                                       {"round_prefer_ceil", N_ROUND_PREFER_CEIL},
                                       {"floor", N_FLOOR},
                                       {"ceil", N_CEIL},
                                       {NULL, 0}};

static er_status lookup(const er_op_ctx *c, const char *attr, const char *def,
                        const name_value *table, int *out) {
    const char *s = er_attr_str(c->node, attr, def);
    for (const name_value *t = table; t->name; t++)
        if (strcmp(s, t->name) == 0) {
            *out = t->value;
            return ER_OK;
        }
    return er_fail(ER_ERR_UNSUPPORTED, "%s '%s' is not supported", attr, s);
}

static int taps_for(const rz_geom *g, int a) {
    if (g->mode == M_NEAREST) return 1;
    double support = g->mode == M_LINEAR ? 1.0 : 2.0;
    double s = g->antialias && g->scale[a] < 1.0 && g->scale[a] > 0 ? g->scale[a] : 1.0;
    double start = floor(-support / s) + 1;
    double n = 2 - 2 * start;
    return n > MAX_TAPS ? MAX_TAPS + 1 : (int)n;
}

/* Reads attributes and scales/sizes and computes the output shape. */
static er_status geometry(const er_op_ctx *c, bool upsample, rz_geom *g) {
    const er_tensor *x = c->in[0];
    memset(g, 0, sizeof *g);
    g->rank = x->rank;
    g->roi_input = -1;
    if (x->rank < 1) return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; expected rank >= 1");
    int mode = M_NEAREST, ctm = T_ASYMMETRIC, nearest = N_FLOOR;
    ER_TRY(lookup(c, "mode", "nearest", k_modes, &mode));
    g->mode = (rz_mode)mode;
    bool legacy = upsample || c->opset < 11;
    if (legacy && g->mode == M_CUBIC)
        return er_fail(ER_ERR_INVALID_MODEL, "mode 'cubic' needs Resize opset >= 11");
    if (!legacy) {
        ER_TRY(lookup(c, "coordinate_transformation_mode", "half_pixel", k_ctms, &ctm));
        ER_TRY(lookup(c, "nearest_mode", "round_prefer_floor", k_nearest, &nearest));
        g->roi_input = 1;
    }
    g->ctm = (rz_ctm)ctm;
    g->nearest = (rz_nearest)nearest;
    g->cubic_a = er_attr_float(c->node, "cubic_coeff_a", -0.75f);
    g->extrapolation = er_attr_float(c->node, "extrapolation_value", 0.0f);
    g->exclude_outside = er_attr_int(c->node, "exclude_outside", 0) != 0;
    g->antialias = er_attr_int(c->node, "antialias", 0) != 0;

    /* axes (opset 18) */
    const int64_t *axes;
    int n_axes = er_attr_ints(c->node, "axes", &axes);
    if (n_axes < 0) {
        g->n_axes = x->rank;
        for (int i = 0; i < x->rank; i++) g->axes[i] = i;
    } else {
        if (n_axes > x->rank)
            return er_fail(ER_ERR_INVALID_MODEL, "axes has %d values for rank %d", n_axes, x->rank);
        g->n_axes = n_axes;
        for (int i = 0; i < n_axes; i++) {
            ER_TRY(er_op_axis(c, axes[i], x->rank, &g->axes[i]));
            if (g->active[g->axes[i]])
                return er_fail(ER_ERR_INVALID_MODEL, "axis %d is repeated in axes", g->axes[i]);
            g->active[g->axes[i]] = true;
        }
    }
    for (int i = 0; i < g->n_axes; i++) g->active[g->axes[i]] = true;
    for (int i = 0; i < x->rank; i++) {
        g->in[i] = g->out[i] = x->dims[i];
        g->scale[i] = 1.0;
        g->out_len[i] = (double)x->dims[i];
    }

    /* scales or sizes */
    double scales[ER_MAX_RANK];
    int64_t sizes[ER_MAX_RANK];
    int n_scales = 0, n_sizes = 0;
    if (upsample && c->opset < 9) {
        const float *f;
        n_scales = er_attr_floats(c->node, "scales", &f);
        if (n_scales < 0) return er_fail(ER_ERR_INVALID_MODEL, "attribute scales is required");
        if (n_scales > ER_MAX_RANK) n_scales = ER_MAX_RANK + 1;
        for (int i = 0; i < n_scales && i < ER_MAX_RANK; i++) scales[i] = f[i];
    } else {
        int si = legacy ? 1 : 2, zi = legacy ? -1 : 3;
        ER_TRY(er_op_need_value(c, si));
        if (zi >= 0) ER_TRY(er_op_need_value(c, zi));
        const er_tensor *st = si < c->n_in ? c->in[si] : NULL;
        const er_tensor *zt = zi >= 0 && zi < c->n_in ? c->in[zi] : NULL;
        if (zt && er_tensor_numel(zt) > 0) {
            ER_TRY(er_op_read_ints(c, zi, sizes, ER_MAX_RANK, &n_sizes));
            if (st && er_tensor_numel(st) > 0)
                return er_fail(ER_ERR_INVALID_MODEL, "scales and sizes are both given");
        } else if (st) {
            if (!er_dtype_is_float(st->dtype) || st->rank != 1)
                return er_fail(ER_ERR_INVALID_MODEL, "scales must be a 1-D float tensor, is %s %s",
                               er_dtype_name(st->dtype), er_op_shape_str(st));
            size_t cnt = er_tensor_numel(st);
            n_scales = cnt > ER_MAX_RANK ? ER_MAX_RANK + 1 : (int)cnt;
            for (int i = 0; i < n_scales && i < ER_MAX_RANK; i++)
                scales[i] = er_load_f64(st->data, st->dtype, (size_t)i);
        }
        if (!n_scales && !n_sizes)
            return er_fail(ER_ERR_INVALID_MODEL, "neither scales nor sizes is given");
    }
    int n_given = n_sizes ? n_sizes : n_scales;
    if (n_given != g->n_axes)
        return er_fail(ER_ERR_INVALID_MODEL, "%s has %d values, expected %d", n_sizes ? "sizes" :
                       "scales", n_given, g->n_axes);
    if (n_sizes) {
        const char *policy = er_attr_str(c->node, "keep_aspect_ratio_policy", "stretch");
        bool stretch = strcmp(policy, "stretch") == 0, smaller = strcmp(policy, "not_larger") == 0;
        if (!stretch && !smaller && strcmp(policy, "not_smaller") != 0)
            return er_fail(ER_ERR_INVALID_MODEL, "keep_aspect_ratio_policy '%s' is not one of "
                           "stretch, not_larger, not_smaller", policy);
        double common = 0;
        for (int i = 0; i < g->n_axes; i++) {
            int a = g->axes[i];
            if (sizes[i] < 0 || (double)sizes[i] > MAX_DIM)
                return er_fail(ER_ERR_INVALID_MODEL, "sizes[%d] = %lld is invalid", i,
                               (long long)sizes[i]);
            double s = g->in[a] ? (double)sizes[i] / (double)g->in[a] : 0;
            if (i == 0 || (smaller ? s < common : s > common)) common = s;
            g->scale[a] = s;
            g->out[a] = sizes[i];
            g->out_len[a] = (double)sizes[i];
        }
        if (!stretch)
            for (int i = 0; i < g->n_axes; i++) {
                int a = g->axes[i];
                g->scale[a] = common;
                g->out_len[a] = common * (double)g->in[a];
                g->out[a] = (int64_t)floor(g->out_len[a] + 0.5);
            }
    } else {
        for (int i = 0; i < g->n_axes; i++) {
            int a = g->axes[i];
            double s = scales[i], len = s * (double)g->in[a];
            if (!(s > 0) || !(len <= MAX_DIM))
                return er_fail(ER_ERR_INVALID_MODEL, "scales[%d] = %g is invalid for dim %lld", i,
                               s, (long long)g->in[a]);
            g->scale[a] = s;
            g->out_len[a] = len;
            g->out[a] = (int64_t)floor(len);
        }
    }
    for (int a = 0; a < x->rank; a++) {
        if (g->in[a] == 0 && g->out[a] > 0)
            return er_fail(ER_ERR_SHAPE, "input %s is empty along axis %d, output is not",
                           er_op_shape_str(x), a);
        if (g->active[a] && g->out[a] > 0 && !(g->scale[a] > 0))
            return er_fail(ER_ERR_SHAPE, "axis %d: scale must be positive", a);
        g->taps[a] = g->active[a] ? taps_for(g, a) : 1;
        if (g->taps[a] > MAX_TAPS)
            return er_fail(ER_ERR_UNSUPPORTED, "axis %d: antialias at scale %g needs over %d taps",
                           a, g->scale[a], MAX_TAPS);
    }
    return ER_OK;
}

static er_status shape_common(er_op_ctx *c, bool upsample) {
    int max_in = upsample ? (c->opset < 9 ? 1 : 2) : (c->opset < 11 ? 2 : 4);
    ER_TRY(er_op_check_inputs(c, 1, max_in));
    rz_geom g;
    ER_TRY(geometry(c, upsample, &g));
    ER_TRY(er_op_check_dtype(c, 0, g.mode == M_NEAREST ? er_dt_all : er_dt_numeric));
    if (g.roi_input >= 0 && g.roi_input < c->n_in && c->in[g.roi_input]) {
        const er_tensor *roi = c->in[g.roi_input];
        size_t n = er_tensor_numel(roi);
        if (!er_dtype_is_float(roi->dtype) || roi->rank != 1 ||
            (n != 0 && n != 2 * (size_t)g.n_axes))
            return er_fail(ER_ERR_INVALID_MODEL, "roi %s %s: expected %d floats",
                           er_dtype_name(roi->dtype), er_op_shape_str(roi), 2 * g.n_axes);
    }
    er_op_set_output(c, 0, c->in[0]->dtype, g.rank, g.out);
    return ER_OK;
}

static er_status shape_resize(er_op_ctx *c) { return shape_common(c, false); }
static er_status shape_upsample(er_op_ctx *c) { return shape_common(c, true); }

/* Scratch per active axis: out counts (int64), then out*taps indices
 * (int64) and out*taps weights (double). */
static size_t table_bytes(const rz_geom *g) {
    size_t total = 0;
    for (int a = 0; a < g->rank; a++) {
        if (!g->active[a]) continue;
        size_t per = sizeof(int64_t) + (size_t)g->taps[a] * (sizeof(int64_t) + sizeof(double));
        size_t b;
        if (!er_mul_size(&b, per, (size_t)g->out[a]) || !er_add_size(&total, total, b))
            return SIZE_MAX;
    }
    return total;
}

static er_status prepare_common(er_op_ctx *c, bool upsample) {
    rz_geom g;
    ER_TRY(geometry(c, upsample, &g));
    size_t bytes = table_bytes(&g);
    if (bytes == SIZE_MAX) return er_fail(ER_ERR_SHAPE, "interpolation tables are too large");
    c->scratch_bytes = bytes;
    return ER_OK;
}

static er_status prepare_resize(er_op_ctx *c) { return prepare_common(c, false); }
static er_status prepare_upsample(er_op_ctx *c) { return prepare_common(c, true); }

static double cubic(double x, double A) {
    x = fabs(x);
    if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

typedef struct {
    int64_t *count; /* per output coordinate; -1 = extrapolate */
    int64_t *idx;   /* [out][taps] */
    double *w;      /* [out][taps] */
} axis_table;

static void build_axis(const rz_geom *g, int a, double roi_start, double roi_end,
                       axis_table *t) {
    int64_t in = g->in[a];
    int T = g->taps[a];
    double scale = g->scale[a], len = g->out_len[a];
    for (int64_t o = 0; o < g->out[a]; o++) {
        double xo = (double)o, x;
        switch (g->ctm) {
        case T_HALF_PIXEL: x = (xo + 0.5) / scale - 0.5; break;
        case T_HALF_PIXEL_SYMMETRIC: {
            double adjustment = (double)g->out[a] / len, center = (double)in / 2;
            x = center * (1 - adjustment) + (xo + 0.5) / scale - 0.5;
            break;
        }
        case T_PYTORCH_HALF_PIXEL: x = len > 1 ? (xo + 0.5) / scale - 0.5 : 0; break;
        case T_ALIGN_CORNERS: x = len == 1 ? 0 : xo * (double)(in - 1) / (len - 1); break;
        case T_ASYMMETRIC: x = xo / scale; break;
        case T_TF_HALF_PIXEL_FOR_NN: x = (xo + 0.5) / scale; break;
        default: /* T_TF_CROP_AND_RESIZE */
            x = len > 1 ? xo * (roi_end - roi_start) * (double)(in - 1) / (len - 1)
                        : (roi_end - roi_start) * (double)(in - 1) / 2;
            x += roi_start * (double)(in - 1);
            break;
        }
        int64_t *idx = t->idx + o * T;
        double *w = t->w + o * T;
        if (g->ctm == T_TF_CROP_AND_RESIZE && !(x >= 0 && x <= (double)(in - 1))) {
            t->count[o] = -1;
            continue;
        }
        /* x = base + ratio, ratio in (0, 1] */
        double fl = floor(x);
        if (!(fl > -MAX_DIM && fl < MAX_DIM)) fl = fl < 0 ? -MAX_DIM : MAX_DIM; /* NaN/inf guard */
        int64_t base = (int64_t)fl;
        double ratio = x - fl;
        if (ratio == 0) {
            base -= 1;
            ratio = 1;
        }
        int n = 0;
        if (g->mode == M_NEAREST) {
            bool up;
            switch (g->nearest) {
            case N_ROUND_PREFER_FLOOR: up = ratio > 0.5; break;
            case N_ROUND_PREFER_CEIL: up = ratio >= 0.5; break;
            case N_FLOOR: up = ratio == 1; break;
            default: up = true; break;
            }
            idx[0] = up ? base + 1 : base;
            w[0] = 1;
            n = 1;
        } else {
            double s = g->antialias && scale < 1 ? scale : 1;
            int64_t start = (int64_t)floor((g->mode == M_LINEAR ? -1.0 : -2.0) / s) + 1;
            double sum = 0;
            for (int i = 0; i < T; i++) {
                double d = s * ((double)(start + i) - ratio);
                double wi = g->mode == M_LINEAR ? (fabs(d) < 1 ? 1 - fabs(d) : 0)
                                                : cubic(d, g->cubic_a);
                idx[i] = base + start + i;
                w[i] = wi;
                sum += wi;
            }
            if (g->antialias && sum != 0)
                for (int i = 0; i < T; i++) w[i] /= sum;
            if (g->exclude_outside) {
                sum = 0;
                for (int i = 0; i < T; i++) {
                    if (idx[i] < 0 || idx[i] >= in) w[i] = 0;
                    sum += w[i];
                }
                if (sum != 0)
                    for (int i = 0; i < T; i++) w[i] /= sum;
            }
            /* drop zero weights; keep at least one tap */
            for (int i = 0; i < T; i++)
                if (w[i] != 0 || (i == T - 1 && n == 0)) {
                    idx[n] = idx[i];
                    w[n] = w[i];
                    n++;
                }
        }
        for (int i = 0; i < n; i++) idx[i] = idx[i] < 0 ? 0 : idx[i] >= in ? in - 1 : idx[i];
        t->count[o] = n;
    }
}

/* True when the innermost axis is not resized (NHWC images: C). */
static bool last_axis_identity(const rz_geom *g, const axis_table *t) {
    int a = g->rank - 1;
    if (!g->active[a]) return true;
    if (g->in[a] != g->out[a]) return false;
    for (int64_t i = 0; i < g->out[a]; i++) {
        if (t->count[i] < 1) return false;
        for (int64_t k = 0; k < t->count[i]; k++) {
            int64_t idx = t->idx[i * g->taps[a] + k];
            double w = t->w[i * g->taps[a] + k];
            if (!(idx == i ? w == 1.0 : w == 0.0)) return false;
        }
    }
    return true;
}

/* float32 linear/cubic resize whose innermost axis is untouched (NHWC
 * images): every output row of that axis blends whole input rows with the
 * same weights, so the inner loop is a contiguous, vectorizable
 * multiply-add over C. Weights are the same per-axis products as the
 * general loop; sums are in float (the general path uses double: results
 * differ by float rounding only). */
static void resize_rows_f32(const rz_geom *g, const axis_table *tab, const int64_t *xs,
                            const float *x, float *y) {
    int r = g->rank;
    int64_t C = g->out[r - 1];
    int64_t rows = (int64_t)(er_shape_count(r - 1, g->out));
    int64_t o[ER_MAX_RANK] = {0};
    for (int64_t row = 0; row < rows; row++, y += C) {
        int64_t cnt[ER_MAX_RANK];
        const int64_t *ix[ER_MAX_RANK];
        const double *wx[ER_MAX_RANK];
        static const double one = 1.0;
        bool extrapolate = false;
        for (int a = 0; a < r - 1; a++) {
            if (!g->active[a]) {
                cnt[a] = 1;
                ix[a] = &o[a];
                wx[a] = &one;
                continue;
            }
            cnt[a] = tab[a].count[o[a]];
            ix[a] = tab[a].idx + o[a] * g->taps[a];
            wx[a] = tab[a].w + o[a] * g->taps[a];
            if (cnt[a] < 0) extrapolate = true;
        }
        if (extrapolate) {
            for (int64_t ch = 0; ch < C; ch++) y[ch] = (float)g->extrapolation;
        } else {
            for (int64_t ch = 0; ch < C; ch++) y[ch] = 0.0f;
            int64_t t[ER_MAX_RANK] = {0};
            for (;;) {
                int64_t off = 0;
                double w = 1;
                for (int a = 0; a < r - 1; a++) {
                    off += ix[a][t[a]] * xs[a];
                    w *= wx[a][t[a]];
                }
                if (w != 0.0) {
                    const float *xr = x + off;
                    float wf = (float)w;
                    for (int64_t ch = 0; ch < C; ch++) y[ch] += wf * xr[ch];
                }
                int a = r - 2;
                for (; a >= 0; a--) {
                    if (++t[a] < cnt[a]) break;
                    t[a] = 0;
                }
                if (a < 0) break;
            }
        }
        for (int a = r - 2; a >= 0; a--) {
            if (++o[a] < g->out[a]) break;
            o[a] = 0;
        }
    }
}

static er_status run_common(er_op_ctx *c, bool upsample) {
    rz_geom g;
    ER_TRY(geometry(c, upsample, &g));
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    er_dtype dt = x->dtype;
    size_t es = er_dtype_size(dt);
    if (er_tensor_numel(y) == 0) return ER_OK;
    if (c->scratch_bytes < table_bytes(&g))
        return er_fail(ER_ERR_INTERNAL, "Resize ran without its table scratch");
    double roi[2 * ER_MAX_RANK];
    for (int i = 0; i < g.n_axes; i++) {
        roi[i] = 0;
        roi[g.n_axes + i] = 1;
    }
    const er_tensor *rt = g.roi_input >= 0 && g.roi_input < c->n_in ? c->in[g.roi_input] : NULL;
    if (g.ctm == T_TF_CROP_AND_RESIZE && rt && er_tensor_numel(rt) == 2 * (size_t)g.n_axes)
        for (int i = 0; i < 2 * g.n_axes; i++) roi[i] = er_load_f64(rt->data, rt->dtype, (size_t)i);

    axis_table tab[ER_MAX_RANK];
    char *p = c->scratch;
    for (int i = 0; i < g.n_axes; i++) {
        int a = g.axes[i];
        size_t n = (size_t)g.out[a], T = (size_t)g.taps[a];
        tab[a].count = (int64_t *)p;
        tab[a].idx = tab[a].count + n;
        tab[a].w = (double *)(tab[a].idx + n * T);
        p = (char *)(tab[a].w + n * T);
        build_axis(&g, a, roi[i], roi[g.n_axes + i], &tab[a]);
    }

    int r = g.rank;
    int64_t xs[ER_MAX_RANK];
    xs[r - 1] = 1;
    for (int a = r - 2; a >= 0; a--) xs[a] = xs[a + 1] * g.in[a + 1];
    if (dt == ER_F32 && g.mode != M_NEAREST && r >= 2 && last_axis_identity(&g, &tab[r - 1])) {
        resize_rows_f32(&g, tab, xs, x->data, y->data);
        return ER_OK;
    }
    int64_t o[ER_MAX_RANK] = {0};
    size_t total = er_tensor_numel(y);
    static const double one = 1.0;
    for (size_t q = 0; q < total; q++) {
        int64_t cnt[ER_MAX_RANK];
        const int64_t *ix[ER_MAX_RANK];
        const double *wx[ER_MAX_RANK];
        bool extrapolate = false;
        for (int a = 0; a < r; a++) {
            if (!g.active[a]) {
                cnt[a] = 1;
                ix[a] = &o[a];
                wx[a] = &one;
                continue;
            }
            cnt[a] = tab[a].count[o[a]];
            ix[a] = tab[a].idx + o[a] * g.taps[a];
            wx[a] = tab[a].w + o[a] * g.taps[a];
            if (cnt[a] < 0) extrapolate = true;
        }
        if (extrapolate) {
            er_store_f64(y->data, dt, q, g.extrapolation);
        } else if (g.mode == M_NEAREST) {
            int64_t off = 0;
            for (int a = 0; a < r; a++) off += ix[a][0] * xs[a];
            memcpy((char *)y->data + q * es, (const char *)x->data + (size_t)off * es, es);
        } else {
            double acc = 0;
            int64_t t[ER_MAX_RANK] = {0};
            for (;;) {
                int64_t off = 0;
                double w = 1;
                for (int a = 0; a < r; a++) {
                    off += ix[a][t[a]] * xs[a];
                    w *= wx[a][t[a]];
                }
                acc += w * (dt == ER_F32 ? (double)((const float *)x->data)[off]
                                         : er_load_f64(x->data, dt, (size_t)off));
                int a = r - 1;
                for (; a >= 0; a--) {
                    if (++t[a] < cnt[a]) break;
                    t[a] = 0;
                }
                if (a < 0) break;
            }
            if (dt == ER_F32) ((float *)y->data)[q] = (float)acc;
            else er_store_f64(y->data, dt, q, acc);
        }
        for (int a = r - 1; a >= 0; a--) {
            if (++o[a] < g.out[a]) break;
            o[a] = 0;
        }
    }
    return ER_OK;
}

static er_status run_resize(er_op_ctx *c) { return run_common(c, false); }
static er_status run_upsample(er_op_ctx *c) { return run_common(c, true); }

const er_op_def er_op_resize = {.name = "Resize", .min_opset = 10, .shape = shape_resize,
                                .prepare = prepare_resize, .run = run_resize};
const er_op_def er_op_upsample = {.name = "Upsample", .min_opset = 7, .shape = shape_upsample,
                                  .prepare = prepare_upsample, .run = run_upsample};
