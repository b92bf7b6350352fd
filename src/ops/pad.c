/* pad.c - Pad: grows (or, with negative pads, crops) each axis.
 *
 * ONNX Pad-1 (`paddings` attribute), Pad-2 (`pads`, `value` attributes),
 * Pad-11/13 (inputs pads, optional constant_value), Pad-18 (optional axes
 * input naming which axes `pads` covers), Pad-19 (mode "wrap"). pads holds
 * all begin amounts then all end amounts; its value decides the output
 * shape. Output coordinate o of an axis maps to input coordinate
 * i = o - begin; outside [0, d) the mode decides:
 *   constant  the constant value,
 *   edge      the nearest edge element,
 *   reflect   the mirror image without repeating the edge (period 2(d-1)),
 *   wrap      the opposite side (period d).
 * The kernel walks output rows (all axes but the last): a row whose outer
 * coordinates fall in constant padding is filled, otherwise its middle part
 * is one memcpy from the source row and the borders are mapped per element. */
#include "data_util.h"
#include "op.h"

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct {
    pad_mode mode;
    int64_t begin[ER_MAX_RANK], end[ER_MAX_RANK];
} pad_plan;

static er_status plan_pad(const er_op_ctx *c, pad_plan *p) {
    const er_tensor *x = c->in[0];
    int r = x->rank;
    const char *mode = er_attr_str(c->node, "mode", "constant");
    if (strcmp(mode, "constant") == 0) p->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0) p->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0) p->mode = PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0) p->mode = PAD_WRAP;
    else return er_fail(ER_ERR_UNSUPPORTED, "mode '%s' is not supported", mode);
    int64_t pads[2 * ER_MAX_RANK];
    int n, axes[ER_MAX_RANK], n_axes = r;
    for (int k = 0; k < r; k++) axes[k] = k;
    if (c->opset < 11) {
        const int64_t *v;
        n = er_attr_ints(c->node, c->opset < 2 ? "paddings" : "pads", &v);
        if (n < 0) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'pads' is missing");
        if (n > 2 * ER_MAX_RANK)
            return er_fail(ER_ERR_INVALID_MODEL, "pads has %d entries for input 0 shape %s", n,
                           er_op_shape_str(x));
        for (int i = 0; i < n; i++) pads[i] = v[i];
    } else {
        ER_TRY(er_op_read_ints(c, 1, pads, 2 * ER_MAX_RANK, &n));
        if (c->n_in > 3 && c->in[3]) {
            int64_t a[ER_MAX_RANK];
            ER_TRY(er_op_read_ints(c, 3, a, ER_MAX_RANK, &n_axes));
            bool seen[ER_MAX_RANK] = {false};
            for (int i = 0; i < n_axes; i++) {
                ER_TRY(er_op_axis(c, a[i], r, &axes[i]));
                if (seen[axes[i]])
                    return er_fail(ER_ERR_INVALID_MODEL, "axis %d is listed twice", axes[i]);
                seen[axes[i]] = true;
            }
        }
    }
    if (n != 2 * n_axes)
        return er_fail(ER_ERR_INVALID_MODEL, "pads has %d entries, expected %d for input 0 shape "
                       "%s", n, 2 * n_axes, er_op_shape_str(x));
    for (int k = 0; k < r; k++) p->begin[k] = p->end[k] = 0;
    for (int i = 0; i < n_axes; i++) {
        int k = axes[i];
        int64_t d = x->dims[k], b = pads[i], e = pads[n_axes + i];
        /* |pads| beyond the tensor size limit cannot describe a valid output */
        const int64_t lim = (int64_t)1 << 50;
        if (b < -lim || b > lim || e < -lim || e > lim || d + b + e < 0)
            return er_fail(ER_ERR_SHAPE, "pads %lld, %lld on axis %d of input 0 shape %s give a "
                           "negative or too large size", (long long)b, (long long)e, k,
                           er_op_shape_str(x));
        if (d == 0 && d + b + e > 0 && p->mode != PAD_CONSTANT)
            return er_fail(ER_ERR_SHAPE, "mode '%s' cannot pad axis %d of input 0 shape %s: "
                           "the axis is empty", mode, k, er_op_shape_str(x));
        p->begin[k] = b;
        p->end[k] = e;
    }
    return ER_OK;
}

static er_status shape_pad(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    if (c->opset < 11) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
    } else {
        ER_TRY(er_op_check_inputs(c, 2, c->opset >= 18 ? 4 : 3));
        ER_TRY(er_op_need_value(c, 1));
        ER_TRY(er_op_need_value(c, 3));
        if (c->n_in > 2 && c->in[2]) {
            ER_TRY(er_op_same_dtype(c, 0, 2));
            if (er_tensor_numel(c->in[2]) > 1)
                return er_fail(ER_ERR_INVALID_MODEL, "constant_value must be a scalar, has "
                               "shape %s", er_op_shape_str(c->in[2]));
        }
    }
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    pad_plan p;
    ER_TRY(plan_pad(c, &p));
    const er_tensor *x = c->in[0];
    int64_t d[ER_MAX_RANK];
    for (int k = 0; k < x->rank; k++) d[k] = x->dims[k] + p.begin[k] + p.end[k];
    er_op_set_output(c, 0, x->dtype, x->rank, d);
    return ER_OK;
}

/* Input coordinate for output coordinate o, or -1 for constant padding. */
static int64_t map_coord(pad_mode mode, int64_t o, int64_t begin, int64_t d) {
    int64_t i = o - begin;
    if (i >= 0 && i < d) return i;
    switch (mode) {
    case PAD_CONSTANT: return -1;
    case PAD_EDGE: return i < 0 ? 0 : d - 1;
    case PAD_WRAP: return ((i % d) + d) % d;
    case PAD_REFLECT: {
        if (d == 1) return 0;
        int64_t period = 2 * (d - 1), m = ((i % period) + period) % period;
        return m < d ? m : period - m;
    }
    }
    return -1;
}

/* Output columns [from, to) of one row, mapped element by element. */
static void pad_border(char *dst, const char *srow, const unsigned char *fill, size_t es,
                       pad_mode mode, int64_t from, int64_t to, int64_t begin, int64_t d) {
    for (int64_t o = from; o < to; o++) {
        int64_t i = map_coord(mode, o, begin, d);
        memcpy(dst + o * (int64_t)es, i < 0 ? (const void *)fill : srow + i * (int64_t)es, es);
    }
}

static er_status run_pad(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    pad_plan p;
    ER_TRY(plan_pad(c, &p));
    size_t es = er_dtype_size(x->dtype);
    size_t n_out = er_tensor_numel(y);
    if (n_out == 0) return ER_OK;
    if (x->rank == 0) {
        memcpy(y->data, x->data, es);
        return ER_OK;
    }
    /* the padding element, in the data's dtype */
    unsigned char fill[8] = {0};
    if (c->opset < 11) {
        er_store_f64(fill, x->dtype, 0, er_attr_float(c->node, "value", 0.0f));
    } else if (c->n_in > 2 && c->in[2] && er_tensor_numel(c->in[2]) == 1) {
        memcpy(fill, c->in[2]->data, es);
    }
    if (er_tensor_numel(x) == 0) { /* only constant mode gets here (plan_pad) */
        for (size_t i = 0; i < n_out; i++) memcpy((char *)y->data + i * es, fill, es);
        return ER_OK;
    }
    int r = x->rank;
    int64_t xs[ER_MAX_RANK];
    er_dense_strides(r, x->dims, xs);
    int64_t last_d = x->dims[r - 1], last_out = y->dims[r - 1], b = p.begin[r - 1];
    /* [lo, hi): output columns read straight from the source row */
    int64_t lo = b < 0 ? 0 : b > last_out ? last_out : b;
    int64_t hi = b + last_d < lo ? lo : b + last_d > last_out ? last_out : b + last_d;
    int64_t rows = (int64_t)(n_out / (size_t)last_out), idx[ER_MAX_RANK] = {0};
    char *dst = y->data;
    const char *src = x->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        bool constant_row = false;
        for (int k = 0; k < r - 1; k++) {
            int64_t i = map_coord(p.mode, idx[k], p.begin[k], x->dims[k]);
            if (i < 0) constant_row = true;
            else off += i * xs[k];
        }
        if (constant_row) {
            for (int64_t o = 0; o < last_out; o++) memcpy(dst + o * (int64_t)es, fill, es);
        } else {
            const char *srow = src + off * (int64_t)es;
            pad_border(dst, srow, fill, es, p.mode, 0, lo, b, last_d);
            if (hi > lo)
                memcpy(dst + lo * (int64_t)es, srow + (lo - b) * (int64_t)es,
                       (size_t)(hi - lo) * es);
            pad_border(dst, srow, fill, es, p.mode, hi, last_out, b, last_d);
        }
        dst += last_out * (int64_t)es;
        for (int k = r - 2; k >= 0; k--) {
            if (++idx[k] < y->dims[k]) break;
            idx[k] = 0;
        }
    }
    return ER_OK;
}

const er_op_def er_op_pad = {.name = "Pad", .min_opset = 1, .shape = shape_pad, .run = run_pad};
