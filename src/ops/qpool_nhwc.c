/* qpool_nhwc.c - edgerun::QMaxPoolNhwc, QAveragePoolNhwc,
 * QGlobalAveragePoolNhwc: the int8 pools of qpool.c on NHWC activations
 * [N, H, W, C] (2-D), produced by the layout pass. Same inputs (X, X_scale,
 * X_zp, Y_scale, Y_zp), attributes and bytes as QMaxPool / QAveragePool /
 * QGlobalAveragePool (docs/int8.md):
 *   max:     m = max of the valid taps; y = m when X and Y have the same
 *            parameters (the multiplier is then exactly 1), else
 *            requant_pre(m - x_zp, ER_QDIFF_SHIFT, x_s / y_s)
 *   average: s = sum of (x - x_zp) over the valid taps, n = valid taps (or
 *            with count_include_pad the taps inside the padded extent),
 *            L = er_prescale_shift(255 * prod(kernel)),
 *            y = requant_pre(sat32(s), L, x_s / (y_s n))
 * In NHWC a tap is C contiguous bytes, so the maxima and sums are loops over
 * channels the compiler vectorizes; output rows are split over threads. */
#include <string.h>

#include "core/checked_math.h"
#include "core/threadpool.h"
#include "op.h"
#include "quant_util.h"
#include "spatial.h"

typedef enum { QPN_MAX, QPN_AVG, QPN_GLOBAL } qpn_kind;

static er_status check_input(const er_op_ctx *c, er_dtype *ydt) {
    ER_TRY(er_qio_check((er_op_ctx *)c, 5, ydt));
    if (c->in[0]->rank != 4)
        return er_fail(ER_ERR_SHAPE, "input %s: expected [N,H,W,C]", er_op_shape_str(c->in[0]));
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
    int64_t in[2] = {x->dims[1], x->dims[2]};
    return er_window_init(c, 2, in, NULL, ceil_mode != 0, w);
}

static er_status shape_window(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(check_input(c, &ydt));
    er_window w;
    bool cp;
    ER_TRY(window_of(c, &w, &cp));
    const er_tensor *x = c->in[0];
    int64_t dims[4] = {x->dims[0], w.out[0], w.out[1], x->dims[3]};
    er_op_set_output(c, 0, ydt, 4, dims);
    return ER_OK;
}

static er_status shape_global(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(check_input(c, &ydt));
    const er_tensor *x = c->in[0];
    int64_t dims[4] = {x->dims[0], 1, 1, x->dims[3]};
    er_op_set_output(c, 0, ydt, 4, dims);
    return ER_OK;
}

/* Per-thread scratch: C int64 sums and C int32 partial sums. */
static er_status prepare_any(er_op_ctx *c) {
    size_t b;
    if (!er_mul_size(&b, (size_t)c->in[0]->dims[3], sizeof(int64_t) + sizeof(int32_t)) ||
        !er_mul_size(&b, (b + 63) & ~(size_t)63, (size_t)er_threadpool_size(c->pool)))
        return er_fail(ER_ERR_SHAPE, "input %s is too large", er_op_shape_str(c->in[0]));
    c->scratch_bytes = b;
    return ER_OK;
}

typedef struct {
    qpn_kind kind;
    er_window w;
    bool count_pad, same;
    int64_t N, H, W, C;
    er_dtype x_dt, y_dt;
    er_qio q;
    int32_t lo, hi, x_lo;
    int pre_shift;
    er_qmul max_mul;
    const uint8_t *x;
    uint8_t *y;
    unsigned char *scratch;
    size_t thread_bytes;
} qpn_job;

/* sum over the valid taps of (x - x_zp) -> y, per channel */
static void average_store(const qpn_job *j, const int64_t *sum, int64_t n, uint8_t *yp) {
    if (n <= 0) {
        for (int64_t ch = 0; ch < j->C; ch++) er_qstore(yp, j->y_dt, ch, j->q.y_zp);
        return;
    }
    er_qmul m = er_prescale_multiplier((double)j->q.x_scale / ((double)j->q.y_scale * (double)n),
                                       j->pre_shift);
    for (int64_t ch = 0; ch < j->C; ch++) {
        int64_t s = sum[ch];
        int32_t s32 = (int32_t)(s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s);
        er_qstore(yp, j->y_dt, ch, er_requant_pre(s32, j->pre_shift, m, j->q.y_zp, j->lo, j->hi));
    }
}

static void window_rows(void *arg, int64_t begin, int64_t end, int tid) {
    const qpn_job *j = arg;
    const er_window *w = &j->w;
    int64_t OH = w->out[0], OW = w->out[1], C = j->C;
    int64_t *sum = (int64_t *)(j->scratch + (size_t)tid * j->thread_bytes);
    int32_t *part = (int32_t *)(sum + j->C);
    uint8_t *mx = (uint8_t *)sum; /* max: C bytes (raw, compared in the dtype) */
    bool s8 = j->x_dt == ER_I8;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / OH, oh = r % OH;
        int64_t kh0, kh1;
        er_window_taps(w, 0, oh, &kh0, &kh1);
        if (kh1 < kh0) kh1 = kh0;
        for (int64_t ow = 0; ow < OW; ow++) {
            uint8_t *yp = j->y + ((n * OH + oh) * OW + ow) * C;
            int64_t kw0, kw1;
            er_window_taps(w, 1, ow, &kw0, &kw1);
            if (kw1 < kw0) kw1 = kw0;
            int64_t valid = (kh1 - kh0) * (kw1 - kw0);
            if (j->kind == QPN_MAX) {
                memset(mx, s8 ? 0x80 : 0x00, (size_t)C); /* the dtype's lowest value */
                for (int64_t kh = kh0; kh < kh1; kh++) {
                    int64_t ih = oh * w->stride[0] - w->pad_begin[0] + kh * w->dilation[0];
                    for (int64_t kw = kw0; kw < kw1; kw++) {
                        int64_t iw = ow * w->stride[1] - w->pad_begin[1] + kw * w->dilation[1];
                        const uint8_t *xp = j->x + ((n * j->H + ih) * j->W + iw) * C;
                        if (s8) {
                            int8_t *m8 = (int8_t *)mx;
                            const int8_t *x8 = (const int8_t *)xp;
                            for (int64_t ch = 0; ch < C; ch++) m8[ch] = x8[ch] > m8[ch] ? x8[ch] : m8[ch];
                        } else {
                            for (int64_t ch = 0; ch < C; ch++) mx[ch] = xp[ch] > mx[ch] ? xp[ch] : mx[ch];
                        }
                    }
                }
                if (j->same) {
                    memcpy(yp, mx, (size_t)C);
                } else {
                    for (int64_t ch = 0; ch < C; ch++) {
                        int32_t m = er_qload(mx, j->x_dt, ch);
                        er_qstore(yp, j->y_dt, ch,
                                  er_requant_pre(m - j->q.x_zp, ER_QDIFF_SHIFT, j->max_mul,
                                                 j->q.y_zp, j->lo, j->hi));
                    }
                }
                continue;
            }
            for (int64_t ch = 0; ch < C; ch++) sum[ch] = 0;
            for (int64_t kh = kh0; kh < kh1; kh++) {
                int64_t ih = oh * w->stride[0] - w->pad_begin[0] + kh * w->dilation[0];
                int64_t iw0 = ow * w->stride[1] - w->pad_begin[1] + kw0 * w->dilation[1];
                /* the row's taps are pixels iw0, iw0 + dil, ...: a strided plane */
                const uint8_t *xp = j->x + ((n * j->H + ih) * j->W + iw0) * C;
                int64_t step = w->dilation[1] * C, cnt = kw1 - kw0;
                for (int64_t t = 0; t < cnt; t += (int64_t)1 << 23) {
                    int64_t m = cnt - t < ((int64_t)1 << 23) ? cnt - t : (int64_t)1 << 23;
                    memset(part, 0, sizeof(int32_t) * (size_t)C);
                    for (int64_t k = 0; k < m; k++) {
                        const uint8_t *tp = xp + (t + k) * step;
                        if (s8)
                            for (int64_t ch = 0; ch < C; ch++) part[ch] += (int8_t)tp[ch];
                        else
                            for (int64_t ch = 0; ch < C; ch++) part[ch] += tp[ch];
                    }
                    for (int64_t ch = 0; ch < C; ch++) sum[ch] += part[ch];
                }
            }
            for (int64_t ch = 0; ch < C; ch++) sum[ch] -= (int64_t)j->q.x_zp * valid;
            int64_t cnt = valid;
            if (j->count_pad) { /* taps inside the padded extent, as qpool.c */
                cnt = 1;
                for (int i = 0; i < 2; i++) {
                    int64_t o = i == 0 ? oh : ow;
                    int64_t start = o * w->stride[i] - w->pad_begin[i];
                    int64_t span = w->in[i] + w->pad_end[i] - start;
                    int64_t in_pad = (span + w->dilation[i] - 1) / w->dilation[i];
                    cnt *= in_pad < w->kernel[i] ? in_pad : w->kernel[i];
                }
            }
            average_store(j, sum, valid > 0 ? cnt : 0, yp);
        }
    }
}

/* sum[ch] += the plane's bytes of channel ch over pixels [0, count): int32
 * partial sums over chunks that cannot overflow (255 * 2^23 < 2^31), which
 * the compiler vectorizes, added into the int64 sums. */
static void add_plane(const uint8_t *x, int64_t count, int64_t C, bool s8, int32_t *part,
                      int64_t *sum) {
    const int64_t chunk = (int64_t)1 << 23;
    for (int64_t p0 = 0; p0 < count; p0 += chunk) {
        int64_t p1 = count - p0 < chunk ? count : p0 + chunk;
        memset(part, 0, sizeof(int32_t) * (size_t)C);
        for (int64_t px = p0; px < p1; px++) {
            const uint8_t *xp = x + px * C;
            if (s8)
                for (int64_t ch = 0; ch < C; ch++) part[ch] += (int8_t)xp[ch];
            else
                for (int64_t ch = 0; ch < C; ch++) part[ch] += xp[ch];
        }
        for (int64_t ch = 0; ch < C; ch++) sum[ch] += part[ch];
    }
}

static void global_images(void *arg, int64_t begin, int64_t end, int tid) {
    const qpn_job *j = arg;
    int64_t *sum = (int64_t *)(j->scratch + (size_t)tid * j->thread_bytes);
    int32_t *part = (int32_t *)(sum + j->C);
    int64_t C = j->C, hw = j->H * j->W;
    for (int64_t n = begin; n < end; n++) {
        for (int64_t ch = 0; ch < C; ch++) sum[ch] = 0;
        add_plane(j->x + n * hw * C, hw, C, j->x_dt == ER_I8, part, sum);
        for (int64_t ch = 0; ch < C; ch++) sum[ch] -= (int64_t)j->q.x_zp * hw;
        average_store(j, sum, hw, j->y + n * C);
    }
}

static er_status run_any(er_op_ctx *c, qpn_kind kind) {
    qpn_job j;
    memset(&j, 0, sizeof j);
    j.kind = kind;
    const er_tensor *x = c->in[0];
    j.N = x->dims[0];
    j.H = x->dims[1];
    j.W = x->dims[2];
    j.C = x->dims[3];
    j.x_dt = x->dtype;
    j.y_dt = c->out[0]->dtype;
    ER_TRY(er_qio_read(c, &j.q));
    er_qdtype_range(j.y_dt, &j.lo, &j.hi);
    j.x = x->data;
    j.y = c->out[0]->data;
    j.scratch = c->scratch;
    j.thread_bytes = ((size_t)j.C * (sizeof(int64_t) + sizeof(int32_t)) + 63) & ~(size_t)63;
    if (er_tensor_numel(c->out[0]) == 0) return ER_OK;
    if (kind == QPN_GLOBAL) {
        int64_t size = j.H * j.W;
        j.pre_shift = er_prescale_shift(size > INT32_MAX / 255 ? INT64_MAX : 255 * size);
        er_parallel_for(c->pool, j.N, 1, global_images, &j);
        return ER_OK;
    }
    ER_TRY(window_of(c, &j.w, &j.count_pad));
    int64_t taps = j.w.kernel[0] * j.w.kernel[1];
    j.pre_shift = er_prescale_shift(taps > INT32_MAX / 255 ? INT64_MAX : 255 * taps);
    j.same = j.q.x_scale == j.q.y_scale && j.q.x_zp == j.q.y_zp && j.x_dt == j.y_dt;
    j.max_mul = er_prescale_multiplier((double)j.q.x_scale / (double)j.q.y_scale, ER_QDIFF_SHIFT);
    er_parallel_for(c->pool, j.N * j.w.out[0], 1, window_rows, &j);
    return ER_OK;
}

static er_status run_max(er_op_ctx *c) { return run_any(c, QPN_MAX); }
static er_status run_avg(er_op_ctx *c) { return run_any(c, QPN_AVG); }
static er_status run_global(er_op_ctx *c) { return run_any(c, QPN_GLOBAL); }

const er_op_def er_op_qmax_pool_nhwc = {.name = "QMaxPoolNhwc", .domain = "edgerun",
                                        .min_opset = 1, .shape = shape_window,
                                        .prepare = prepare_any, .run = run_max};
const er_op_def er_op_qaverage_pool_nhwc = {.name = "QAveragePoolNhwc", .domain = "edgerun",
                                            .min_opset = 1, .shape = shape_window,
                                            .prepare = prepare_any, .run = run_avg};
const er_op_def er_op_qglobal_average_pool_nhwc = {
    .name = "QGlobalAveragePoolNhwc", .domain = "edgerun", .min_opset = 1,
    .shape = shape_global, .prepare = prepare_any, .run = run_global};
