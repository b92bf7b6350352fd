/* qpool.c - quantized pooling (domain "edgerun"): QAveragePool, QMaxPool,
 * QGlobalAveragePool over X [N, C, D1..Dn], uint8 or int8.
 *
 * Inputs: X, X_scale, X_zp, Y_scale, Y_zp (per tensor; Y's dtype is its
 * zero point's). The window ops take the attributes of AveragePool /
 * MaxPool (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode,
 * count_include_pad) with pool.c's geometry: padding never contributes a
 * value and count_include_pad counts the taps inside the padded extent.
 *
 * Bit-exact definitions (er_requant_pre and its pre-shift in quant_util.h;
 * PM(real, L) = er_prescale_multiplier(real, L), all in double):
 *   average: s = sum over the window's valid taps of (x - x_zp), in int64
 *            then saturated to int32; n = the tap count (valid taps, or with
 *            count_include_pad the padded ones); K = the most taps a window
 *            has (prod(kernel_shape), or the plane size when global);
 *            L = er_prescale_shift(255 * K);
 *            y = clamp(mbqm(s * 2^L, PM(x_scale / (y_scale * n), L)) + y_zp)
 *   max:     m = max of the valid taps' raw values, L = ER_QDIFF_SHIFT;
 *            y = clamp(mbqm((m - x_zp) * 2^L, PM(x_scale / y_scale, L)) + y_zp)
 * With equal scales the max's multiplier is exactly 2^-L, so a max pool
 * with equal input and output parameters copies its maximum unchanged (the
 * usual case, which takes a fast path with the same result). A window
 * holding only padding averages to y_zp and maxes to X's lowest value. */
#include <string.h>

#include "op.h"
#include "quant_util.h"
#include "spatial.h"

typedef enum { QP_AVG, QP_MAX } qpool_kind;

static er_status check_params(er_op_ctx *c, er_dtype *ydt) {
    ER_TRY(er_qio_check(c, 5, ydt));
    if (c->in[0]->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(c->in[0]));
    return ER_OK;
}

static er_status window_of(const er_op_ctx *c, er_window *w, bool *count_pad) {
    const er_tensor *x = c->in[0];
    int64_t ceil_mode = er_attr_int(c->node, "ceil_mode", 0);
    int64_t cip = er_attr_int(c->node, "count_include_pad", 0);
    if ((ceil_mode != 0 && ceil_mode != 1) || (cip != 0 && cip != 1))
        return er_fail(ER_ERR_INVALID_MODEL, "ceil_mode %lld / count_include_pad %lld must be 0 "
                       "or 1", (long long)ceil_mode, (long long)cip);
    *count_pad = cip != 0;
    return er_window_init(c, x->rank - 2, x->dims + 2, NULL, ceil_mode != 0, w);
}

static er_status shape_window(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(check_params(c, &ydt));
    er_window w;
    bool cp;
    ER_TRY(window_of(c, &w, &cp));
    const er_tensor *x = c->in[0];
    int64_t dims[ER_MAX_RANK] = {x->dims[0], x->dims[1]};
    for (int i = 0; i < w.n; i++) dims[2 + i] = w.out[i];
    er_op_set_output(c, 0, ydt, x->rank, dims);
    return ER_OK;
}

typedef struct {
    er_dtype x_dt, y_dt;
    float x_s, y_s;
    int32_t x_zp, y_zp, lo, hi;
    int pre_shift; /* average: L */
    /* average: multiplier for the tap count last used (counts repeat) */
    int64_t last_n;
    er_qmul last_mul;
} qpool_params;

static er_status read_params(er_op_ctx *c, qpool_params *p) {
    memset(p, 0, sizeof *p);
    p->x_dt = c->in[0]->dtype;
    p->y_dt = c->out[0]->dtype;
    er_qio q;
    ER_TRY(er_qio_read(c, &q));
    p->x_s = q.x_scale;
    p->y_s = q.y_scale;
    p->x_zp = q.x_zp;
    p->y_zp = q.y_zp;
    er_qdtype_range(p->y_dt, &p->lo, &p->hi);
    p->last_n = -1;
    return ER_OK;
}

static int32_t average_out(qpool_params *p, int64_t sum, int64_t n) {
    if (n <= 0) return p->y_zp;
    if (n != p->last_n) {
        p->last_n = n;
        p->last_mul = er_prescale_multiplier((double)p->x_s / ((double)p->y_s * (double)n),
                                             p->pre_shift);
    }
    int32_t s = (int32_t)(sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : sum);
    return er_requant_pre(s, p->pre_shift, p->last_mul, p->y_zp, p->lo, p->hi);
}

static er_status run_window(er_op_ctx *c, qpool_kind kind) {
    er_window w;
    bool count_pad;
    ER_TRY(window_of(c, &w, &count_pad));
    qpool_params p;
    ER_TRY(read_params(c, &p));
    const er_tensor *x = c->in[0];
    void *y = c->out[0]->data;
    er_qmul max_mul = er_prescale_multiplier((double)p.x_s / (double)p.y_s, ER_QDIFF_SHIFT);
    bool same = p.x_s == p.y_s && p.x_zp == p.y_zp && p.x_dt == p.y_dt;
    int32_t x_lo, x_hi;
    er_qdtype_range(p.x_dt, &x_lo, &x_hi);
    int n = w.n, last = n - 1;
    int64_t in_size = er_window_in_size(&w), out_size = er_window_out_size(&w);
    int64_t planes = x->dims[0] * x->dims[1], taps = 1;
    for (int i = 0; i < n; i++) taps = taps > INT32_MAX ? taps : taps * w.kernel[i];
    p.pre_shift = er_prescale_shift(taps > INT32_MAX / 255 ? INT64_MAX : 255 * taps);
    int64_t rs[ER_WIN_MAX_DIMS];
    rs[last] = 1;
    for (int i = last - 1; i >= 0; i--) rs[i] = rs[i + 1] * w.in[i + 1];
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t xb = pl * in_size, yb = pl * out_size;
        int64_t o[ER_WIN_MAX_DIMS] = {0};
        for (int64_t q = 0; q < out_size; q++) {
            int64_t lo[ER_WIN_MAX_DIMS], hi[ER_WIN_MAX_DIMS], start[ER_WIN_MAX_DIMS];
            int64_t padded = 1, valid = 1;
            for (int i = 0; i < n; i++) {
                er_window_taps(&w, i, o[i], &lo[i], &hi[i]);
                if (hi[i] < lo[i]) hi[i] = lo[i];
                start[i] = o[i] * w.stride[i] - w.pad_begin[i];
                int64_t span = w.in[i] + w.pad_end[i] - start[i];
                int64_t in_pad = (span + w.dilation[i] - 1) / w.dilation[i];
                padded *= in_pad < w.kernel[i] ? in_pad : w.kernel[i];
                valid *= hi[i] - lo[i];
            }
            int64_t sum = 0;
            int32_t mx = x_lo;
            if (valid > 0) {
                int64_t k[ER_WIN_MAX_DIMS];
                memcpy(k, lo, sizeof(int64_t) * (size_t)n);
                for (;;) {
                    int64_t off = xb;
                    for (int i = 0; i < last; i++) off += (start[i] + k[i] * w.dilation[i]) * rs[i];
                    int64_t d = w.dilation[last], p0 = off + start[last] + lo[last] * d;
                    for (int64_t t = 0; t < hi[last] - lo[last]; t++) {
                        int32_t v = er_qload(x->data, p.x_dt, p0 + t * d);
                        sum += v - p.x_zp;
                        if (v > mx) mx = v;
                    }
                    int i = last - 1;
                    for (; i >= 0; i--) {
                        if (++k[i] < hi[i]) break;
                        k[i] = lo[i];
                    }
                    if (i < 0) break;
                }
            }
            int32_t out;
            if (kind == QP_AVG) out = average_out(&p, sum, count_pad ? padded : valid);
            else out = same ? mx : er_requant_pre(mx - p.x_zp, ER_QDIFF_SHIFT, max_mul, p.y_zp,
                                                  p.lo, p.hi);
            er_qstore(y, p.y_dt, yb + q, out);
            for (int i = last; i >= 0; i--) {
                if (++o[i] < w.out[i]) break;
                o[i] = 0;
            }
        }
    }
    return ER_OK;
}

static er_status run_avg(er_op_ctx *c) { return run_window(c, QP_AVG); }
static er_status run_max(er_op_ctx *c) { return run_window(c, QP_MAX); }

/* ---- QGlobalAveragePool ------------------------------------------------------- */

static er_status shape_global(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(check_params(c, &ydt));
    const er_tensor *x = c->in[0];
    int64_t dims[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
    er_op_set_output(c, 0, ydt, x->rank, dims);
    return ER_OK;
}

static er_status run_global(er_op_ctx *c) {
    qpool_params p;
    ER_TRY(read_params(c, &p));
    const er_tensor *x = c->in[0];
    int64_t planes = x->dims[0] * x->dims[1], size = 1;
    for (int i = 2; i < x->rank; i++) size *= x->dims[i];
    p.pre_shift = er_prescale_shift(size > INT32_MAX / 255 ? INT64_MAX : 255 * size);
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t sum = 0;
        if (p.x_dt == ER_U8) {
            const uint8_t *xp = (const uint8_t *)x->data + pl * size;
            for (int64_t i = 0; i < size; i++) sum += xp[i];
        } else {
            const int8_t *xp = (const int8_t *)x->data + pl * size;
            for (int64_t i = 0; i < size; i++) sum += xp[i];
        }
        sum -= (int64_t)p.x_zp * size;
        er_qstore(c->out[0]->data, p.y_dt, pl, average_out(&p, sum, size));
    }
    return ER_OK;
}

const er_op_def er_op_qaverage_pool = {.name = "QAveragePool", .domain = "edgerun",
                                       .min_opset = 1, .shape = shape_window, .run = run_avg};
const er_op_def er_op_qmax_pool = {.name = "QMaxPool", .domain = "edgerun", .min_opset = 1,
                                   .shape = shape_window, .run = run_max};
const er_op_def er_op_qglobal_average_pool = {.name = "QGlobalAveragePool", .domain = "edgerun",
                                              .min_opset = 1, .shape = shape_global,
                                              .run = run_global};
