/* pool_nhwc.c - edgerun::MaxPoolNhwc, AveragePoolNhwc, GlobalAveragePoolNhwc,
 * GlobalMaxPoolNhwc: 2-D pooling on NHWC float32 activations, produced by
 * the layout pass from the ONNX ops (same attributes: kernel_shape, strides,
 * pads, dilations, auto_pad, ceil_mode, count_include_pad).
 *
 * In NHWC a window step reads C contiguous floats, so every kernel here is
 * a loop over taps around a contiguous channel loop the compiler vectorizes;
 * rows of output pixels are split across threads. */
#include <float.h>
#include <string.h>

#include "core/threadpool.h"
#include "op.h"
#include "spatial.h"

typedef struct {
    er_window w;
    int64_t N, H, W, C;
    bool is_max, count_pad;
    const float *x;
    float *y;
} pool_job;

static er_status job_init(const er_op_ctx *c, bool is_max, pool_job *j) {
    const er_tensor *x = c->in[0];
    if (x->rank != 4 || x->dtype != ER_F32)
        return er_fail(ER_ERR_SHAPE, "input %s %s: expected float32 [N,H,W,C]",
                       er_dtype_name(x->dtype), er_op_shape_str(x));
    memset(j, 0, sizeof *j);
    j->N = x->dims[0];
    j->H = x->dims[1];
    j->W = x->dims[2];
    j->C = x->dims[3];
    j->is_max = is_max;
    j->count_pad = er_attr_int(c->node, "count_include_pad", 0) != 0;
    int64_t in[2] = {j->H, j->W};
    return er_window_init(c, 2, in, NULL, er_attr_int(c->node, "ceil_mode", 0) != 0, &j->w);
}

static void pool_rows(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const pool_job *j = arg;
    const er_window *w = &j->w;
    int64_t OH = w->out[0], OW = w->out[1], C = j->C;
    for (int64_t r = begin; r < end; r++) { /* r = n * OH + oh */
        int64_t n = r / OH, oh = r % OH;
        int64_t kh0, kh1;
        er_window_taps(w, 0, oh, &kh0, &kh1);
        for (int64_t ow = 0; ow < OW; ow++) {
            float *yp = j->y + ((n * OH + oh) * OW + ow) * C;
            int64_t kw0, kw1;
            er_window_taps(w, 1, ow, &kw0, &kw1);
            for (int64_t ch = 0; ch < C; ch++) yp[ch] = j->is_max ? -FLT_MAX : 0.0f;
            int64_t taps = 0;
            for (int64_t kh = kh0; kh < kh1; kh++) {
                int64_t ih = oh * w->stride[0] - w->pad_begin[0] + kh * w->dilation[0];
                for (int64_t kw = kw0; kw < kw1; kw++) {
                    int64_t iw = ow * w->stride[1] - w->pad_begin[1] + kw * w->dilation[1];
                    const float *xp = j->x + ((n * j->H + ih) * j->W + iw) * C;
                    if (j->is_max)
                        for (int64_t ch = 0; ch < C; ch++) yp[ch] = xp[ch] > yp[ch] ? xp[ch] : yp[ch];
                    else
                        for (int64_t ch = 0; ch < C; ch++) yp[ch] += xp[ch];
                    taps++;
                }
            }
            if (!j->is_max) {
                /* count_include_pad counts the padded taps too, but never
                 * taps of a ceil_mode window beyond the end padding */
                if (j->count_pad) {
                    int64_t th = 0, tw = 0;
                    for (int64_t kh = 0; kh < w->kernel[0]; kh++) {
                        int64_t ih = oh * w->stride[0] - w->pad_begin[0] + kh * w->dilation[0];
                        th += ih < j->H + w->pad_end[0];
                    }
                    for (int64_t kw = 0; kw < w->kernel[1]; kw++) {
                        int64_t iw = ow * w->stride[1] - w->pad_begin[1] + kw * w->dilation[1];
                        tw += iw < j->W + w->pad_end[1];
                    }
                    taps = th * tw;
                }
                float inv = taps ? 1.0f / (float)taps : 0.0f;
                for (int64_t ch = 0; ch < C; ch++) yp[ch] *= inv;
            }
        }
    }
}

static er_status shape_pool(er_op_ctx *c, bool is_max) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    if (c->n_out > 1 && c->out[1])
        return er_fail(ER_ERR_UNSUPPORTED, "the Indices output is not supported in NHWC");
    pool_job j;
    ER_TRY(job_init(c, is_max, &j));
    int64_t dims[4] = {j.N, j.w.out[0], j.w.out[1], j.C};
    er_op_set_output(c, 0, ER_F32, 4, dims);
    return ER_OK;
}

static er_status run_pool(er_op_ctx *c, bool is_max) {
    pool_job j;
    ER_TRY(job_init(c, is_max, &j));
    j.x = c->in[0]->data;
    j.y = c->out[0]->data;
    er_parallel_for(c->pool, j.N * j.w.out[0], 1, pool_rows, &j);
    return ER_OK;
}

static er_status shape_max(er_op_ctx *c) { return shape_pool(c, true); }
static er_status shape_avg(er_op_ctx *c) { return shape_pool(c, false); }
static er_status run_max(er_op_ctx *c) { return run_pool(c, true); }
static er_status run_avg(er_op_ctx *c) { return run_pool(c, false); }

/* ---- global pools: [N,H,W,C] -> [N,1,1,C] -------------------------------- */

static er_status shape_global(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    const er_tensor *x = c->in[0];
    if (x->rank != 4 || x->dtype != ER_F32)
        return er_fail(ER_ERR_SHAPE, "input %s %s: expected float32 [N,H,W,C]",
                       er_dtype_name(x->dtype), er_op_shape_str(x));
    int64_t dims[4] = {x->dims[0], 1, 1, x->dims[3]};
    er_op_set_output(c, 0, ER_F32, 4, dims);
    return ER_OK;
}

static er_status run_global(er_op_ctx *c, bool is_max) {
    const er_tensor *x = c->in[0];
    int64_t N = x->dims[0], HW = x->dims[1] * x->dims[2], C = x->dims[3];
    const float *xp = x->data;
    float *y = c->out[0]->data;
    for (int64_t n = 0; n < N; n++) {
        float *yp = y + n * C;
        const float *xn = xp + n * HW * C;
        for (int64_t ch = 0; ch < C; ch++) yp[ch] = is_max ? (HW ? xn[ch] : -FLT_MAX) : 0.0f;
        for (int64_t p = is_max ? 1 : 0; p < HW; p++) {
            const float *row = xn + p * C;
            if (is_max)
                for (int64_t ch = 0; ch < C; ch++) yp[ch] = row[ch] > yp[ch] ? row[ch] : yp[ch];
            else
                for (int64_t ch = 0; ch < C; ch++) yp[ch] += row[ch];
        }
        if (!is_max && HW) {
            float inv = 1.0f / (float)HW;
            for (int64_t ch = 0; ch < C; ch++) yp[ch] *= inv;
        }
    }
    return ER_OK;
}

static er_status run_gavg(er_op_ctx *c) { return run_global(c, false); }
static er_status run_gmax(er_op_ctx *c) { return run_global(c, true); }

const er_op_def er_op_max_pool_nhwc = {.name = "MaxPoolNhwc", .domain = "edgerun",
                                       .shape = shape_max, .run = run_max};
const er_op_def er_op_average_pool_nhwc = {.name = "AveragePoolNhwc", .domain = "edgerun",
                                           .shape = shape_avg, .run = run_avg};
const er_op_def er_op_global_average_pool_nhwc = {.name = "GlobalAveragePoolNhwc",
                                                  .domain = "edgerun", .shape = shape_global,
                                                  .run = run_gavg};
const er_op_def er_op_global_max_pool_nhwc = {.name = "GlobalMaxPoolNhwc", .domain = "edgerun",
                                              .shape = shape_global, .run = run_gmax};
