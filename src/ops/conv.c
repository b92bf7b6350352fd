/* conv.c - Conv (ONNX opset 1..22 semantics; opset 11 changed only the
 * auto_pad/kernel_shape documentation): N-d convolution of X [N, C, D1..Dn]
 * with W [M, C/group, k1..kn] plus an optional bias B [M], with strides,
 * dilations, pads or auto_pad and groups (depthwise included). kernel_shape
 * is taken from W; the attribute, when present, must agree.
 *
 * float32 paths, all exact sums of the same products (only the order of
 * additions differs):
 *   - one input channel per group (depthwise and its multiplier variants):
 *     direct, per output channel, tap by tap over contiguous output rows;
 *   - 1x..x1 kernel, stride 1, no padding: the input plane already is the
 *     [C/group, D1*..*Dn] matrix, so the conv is one GEMM per group;
 *   - otherwise im2col into scratch, a chunk of output positions at a time
 *     so scratch stays bounded (~4 MiB), then GEMM (gemm_kernel.h).
 * float64/float16 use a straightforward per-output-element loop accumulated
 * in double. */
#include <string.h>

#include "core/checked_math.h"
#include "core/threadpool.h"
#include "gemm_kernel.h"
#include "op.h"
#include "spatial.h"
#include "window_plane.h"

/* im2col scratch budget in floats; a chunk is at least one GEMM column block */
#define COL_BUDGET (1u << 20)
#define MIN_CHUNK 16

typedef struct {
    er_window w;
    int64_t batch, C, M, group, Cg, Mg;
    int64_t ksize;    /* taps per channel: prod(kernel) */
    int64_t in_size;  /* prod(input spatial) */
    int64_t out_size; /* prod(output spatial) */
    int64_t chunk;    /* im2col columns per pass; 0 = no im2col */
} conv_geom;

static er_status geometry(const er_op_ctx *c, conv_geom *g) {
    const er_tensor *x = c->in[0], *w = c->in[1];
    memset(g, 0, sizeof *g);
    int n = x->rank - 2;
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: Conv expects rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    if (w->rank != x->rank)
        return er_fail(ER_ERR_SHAPE, "weight shape %s: rank must equal the input's (%s)",
                       er_op_shape_str(w), er_op_shape_str(x));
    int64_t group = er_attr_int(c->node, "group", 1);
    if (group < 1) return er_fail(ER_ERR_INVALID_MODEL, "group %lld must be >= 1", (long long)group);
    g->batch = x->dims[0];
    g->C = x->dims[1];
    g->M = w->dims[0];
    g->group = group;
    if (g->C % group || g->M % group)
        return er_fail(ER_ERR_SHAPE, "input channels %lld and output channels %lld must be "
                       "multiples of group %lld", (long long)g->C, (long long)g->M,
                       (long long)group);
    g->Cg = g->C / group;
    g->Mg = g->M / group;
    if (w->dims[1] != g->Cg)
        return er_fail(ER_ERR_SHAPE, "weight shape %s: dim 1 must be C/group = %lld (input %s)",
                       er_op_shape_str(w), (long long)g->Cg, er_op_shape_str(x));
    if (c->n_in > 2 && c->in[2]) {
        const er_tensor *b = c->in[2];
        if (b->rank != 1 || b->dims[0] != g->M)
            return er_fail(ER_ERR_SHAPE, "bias shape %s: expected [%lld]", er_op_shape_str(b),
                           (long long)g->M);
    }
    ER_TRY(er_window_init(c, n, x->dims + 2, w->dims + 2, false, &g->w));
    g->ksize = 1;
    for (int i = 0; i < n; i++) g->ksize *= g->w.kernel[i];
    g->in_size = er_window_in_size(&g->w);
    g->out_size = er_window_out_size(&g->w);
    return ER_OK;
}

static bool is_pointwise(const conv_geom *g) {
    for (int i = 0; i < g->w.n; i++)
        if (g->w.kernel[i] != 1 || g->w.stride[i] != 1 || g->w.pad_begin[i] || g->w.pad_end[i])
            return false;
    return true;
}

static er_status shape_conv(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    conv_geom g;
    ER_TRY(geometry(c, &g));
    int64_t dims[ER_MAX_RANK] = {g.batch, g.M};
    for (int i = 0; i < g.w.n; i++) dims[2 + i] = g.w.out[i];
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, dims);
    return ER_OK;
}

static er_status prepare_conv(er_op_ctx *c) {
    conv_geom g;
    ER_TRY(geometry(c, &g));
    if (c->in[0]->dtype != ER_F32 || g.Cg <= 1 || is_pointwise(&g)) return ER_OK;
    int64_t rows = g.Cg * g.ksize;
    int64_t chunk = rows > 0 ? (int64_t)COL_BUDGET / rows : g.out_size;
    chunk -= chunk % MIN_CHUNK;
    if (chunk < MIN_CHUNK) chunk = MIN_CHUNK;
    if (chunk > g.out_size) chunk = g.out_size;
    size_t bytes;
    if (!er_mul_size(&bytes, (size_t)rows, (size_t)chunk) ||
        !er_mul_size(&bytes, bytes, sizeof(float)))
        return er_fail(ER_ERR_SHAPE, "im2col buffer for %lld x %lld is too large",
                       (long long)rows, (long long)chunk);
    c->scratch_bytes = bytes;
    return ER_OK;
}

/* ---- float32 --------------------------------------------------------------- */

/* Fills col [Cg*ksize rows, len columns] with the input values each tap
 * reads for output positions [p0, p0+len) of one (batch, group) plane. */
static void im2col(const conv_geom *g, const float *x, int64_t p0, int64_t len, float *col) {
    const er_window *w = &g->w;
    int n = w->n, last = n - 1;
    int64_t in_stride[ER_WIN_MAX_DIMS];
    in_stride[last] = 1;
    for (int i = last - 1; i >= 0; i--) in_stride[i] = in_stride[i + 1] * w->in[i + 1];
    int64_t start[ER_WIN_MAX_DIMS]; /* output coords of p0 */
    int64_t rem = p0;
    for (int i = last; i >= 0; i--) {
        start[i] = rem % w->out[i];
        rem /= w->out[i];
    }
    float *dst = col;
    for (int64_t ic = 0; ic < g->Cg; ic++) {
        const float *xc = x + ic * g->in_size;
        int64_t tap[ER_WIN_MAX_DIMS] = {0};
        for (int64_t t = 0; t < g->ksize; t++) {
            int64_t o[ER_WIN_MAX_DIMS];
            memcpy(o, start, sizeof(int64_t) * (size_t)n);
            int64_t done = 0;
            while (done < len) {
                int64_t run = w->out[last] - o[last];
                if (run > len - done) run = len - done;
                /* the outer dims fix one input row (or none) */
                bool valid = true;
                int64_t base = 0;
                for (int i = 0; i < last; i++) {
                    int64_t pos = o[i] * w->stride[i] - w->pad_begin[i] + tap[i] * w->dilation[i];
                    if (pos < 0 || pos >= w->in[i]) valid = false;
                    base += pos * in_stride[i];
                }
                if (!valid) {
                    memset(dst, 0, sizeof(float) * (size_t)run);
                } else {
                    const float *row = xc + base;
                    int64_t s = w->stride[last];
                    int64_t off = tap[last] * w->dilation[last] - w->pad_begin[last];
                    for (int64_t k = 0; k < run; k++) {
                        int64_t pos = (o[last] + k) * s + off;
                        dst[k] = pos >= 0 && pos < w->in[last] ? row[pos] : 0.0f;
                    }
                }
                dst += run;
                done += run;
                o[last] += run;
                for (int i = last; i > 0 && o[i] == w->out[i]; i--) {
                    o[i] = 0;
                    o[i - 1]++;
                }
            }
            for (int i = last; i >= 0; i--) { /* next tap */
                if (++tap[i] < w->kernel[i]) break;
                tap[i] = 0;
            }
        }
    }
}

/* One output channel plane += one input channel plane convolved with one
 * kernel (ksize weights): tap by tap, contiguous runs along the last dim. */
#define ER_FLOAT_NEVER(kv) ((void)(kv), false)
#define ER_FLOAT_MAC(yv, kv, xv) ((yv) += (kv) * (xv))
ER_WINDOW_PLANE(direct_plane, float, float, float, ER_FLOAT_NEVER, ER_FLOAT_MAC)

typedef struct {
    const conv_geom *g;
    const float *x, *w, *b;
    float *y;
} direct_args;

/* Task over output channel planes (batch * M) for the Cg == 1 path. */
static void direct_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const direct_args *a = arg;
    const conv_geom *g = a->g;
    for (int64_t p = begin; p < end; p++) {
        int64_t nb = p / g->M, m = p % g->M, grp = m / g->Mg;
        float *y = a->y + p * g->out_size;
        float bias = a->b ? a->b[m] : 0.0f;
        for (int64_t i = 0; i < g->out_size; i++) y[i] = bias;
        const float *x = a->x + (nb * g->C + grp) * g->in_size; /* Cg == 1 */
        direct_plane(&g->w, x, a->w + m * g->ksize, y);
    }
}

static void run_f32(er_op_ctx *c, const conv_geom *g) {
    const float *x = c->in[0]->data, *w = c->in[1]->data;
    const float *b = c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL;
    float *y = c->out[0]->data;
    if (g->Cg == 1) {
        direct_args a = {g, x, w, b, y};
        er_parallel_for(c->pool, g->batch * g->M, 1, direct_task, &a);
        return;
    }
    int64_t rows = g->Cg * g->ksize;
    for (int64_t m = 0; m < g->batch * g->M; m++) {
        float bias = b ? b[m % g->M] : 0.0f;
        float *ym = y + m * g->out_size;
        for (int64_t i = 0; i < g->out_size; i++) ym[i] = bias;
    }
    if (rows == 0 || g->out_size == 0) return;
    bool pointwise = is_pointwise(g);
    for (int64_t nb = 0; nb < g->batch; nb++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const float *xg = x + (nb * g->C + grp * g->Cg) * g->in_size;
            const float *wg = w + grp * g->Mg * rows;
            float *yg = y + (nb * g->M + grp * g->Mg) * g->out_size;
            if (pointwise) {
                er_gemm_f32(g->Mg, g->out_size, rows, wg, rows, 1, xg, g->in_size, 1, yg,
                            g->out_size, true, c->pool);
                continue;
            }
            float *col = c->scratch;
            for (int64_t p0 = 0; p0 < g->out_size; p0 += g->chunk) {
                int64_t len = g->out_size - p0 < g->chunk ? g->out_size - p0 : g->chunk;
                im2col(g, xg, p0, len, col);
                er_gemm_f32(g->Mg, len, rows, wg, rows, 1, col, len, 1, yg + p0, g->out_size,
                            true, c->pool);
            }
        }
    }
}

/* ---- other float dtypes ------------------------------------------------------ */

static void run_generic(er_op_ctx *c, const conv_geom *g) {
    const er_tensor *x = c->in[0], *w = c->in[1];
    const er_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *y = c->out[0];
    er_dtype dt = x->dtype;
    const er_window *win = &g->w;
    int n = win->n;
    int64_t in_stride[ER_WIN_MAX_DIMS];
    in_stride[n - 1] = 1;
    for (int i = n - 2; i >= 0; i--) in_stride[i] = in_stride[i + 1] * win->in[i + 1];
    for (int64_t nb = 0; nb < g->batch; nb++)
        for (int64_t m = 0; m < g->M; m++) {
            int64_t grp = m / g->Mg;
            int64_t o[ER_WIN_MAX_DIMS] = {0};
            for (int64_t p = 0; p < g->out_size; p++) {
                double acc = b ? er_load_f64(b->data, dt, (size_t)m) : 0.0;
                int64_t lo[ER_WIN_MAX_DIMS], hi[ER_WIN_MAX_DIMS];
                bool empty = false;
                for (int i = 0; i < n; i++) {
                    er_window_taps(win, i, o[i], &lo[i], &hi[i]);
                    if (lo[i] >= hi[i]) empty = true;
                }
                for (int64_t ic = 0; ic < g->Cg && !empty; ic++) {
                    size_t xbase = (size_t)((nb * g->C + grp * g->Cg + ic) * g->in_size);
                    size_t wbase = (size_t)((m * g->Cg + ic) * g->ksize);
                    int64_t k[ER_WIN_MAX_DIMS];
                    memcpy(k, lo, sizeof(int64_t) * (size_t)n);
                    for (;;) {
                        int64_t xo = 0, wo = 0;
                        for (int i = 0; i < n; i++) {
                            xo += (o[i] * win->stride[i] - win->pad_begin[i] +
                                   k[i] * win->dilation[i]) * in_stride[i];
                            wo = wo * win->kernel[i] + k[i];
                        }
                        acc += er_load_f64(x->data, dt, xbase + (size_t)xo) *
                               er_load_f64(w->data, dt, wbase + (size_t)wo);
                        int i = n - 1;
                        for (; i >= 0; i--) {
                            if (++k[i] < hi[i]) break;
                            k[i] = lo[i];
                        }
                        if (i < 0) break;
                    }
                }
                er_store_f64(y->data, dt, (size_t)((nb * g->M + m) * g->out_size + p), acc);
                for (int i = n - 1; i >= 0; i--) {
                    if (++o[i] < win->out[i]) break;
                    o[i] = 0;
                }
            }
        }
}

static er_status run_conv(er_op_ctx *c) {
    conv_geom g;
    ER_TRY(geometry(c, &g));
    if (c->in[0]->dtype == ER_F32) {
        int64_t rows = g.Cg * g.ksize;
        if (rows > 0) g.chunk = (int64_t)(c->scratch_bytes / sizeof(float)) / rows;
        if (g.Cg > 1 && !is_pointwise(&g) && g.out_size > 0 && g.chunk < 1)
            return er_fail(ER_ERR_INTERNAL, "Conv ran without its im2col scratch");
        run_f32(c, &g);
    } else {
        run_generic(c, &g);
    }
    return ER_OK;
}

static uint64_t macs_conv(const er_op_ctx *c) {
    conv_geom g;
    if (geometry(c, &g) != ER_OK) return 0;
    return (uint64_t)g.batch * (uint64_t)g.M * (uint64_t)g.out_size * (uint64_t)g.Cg *
           (uint64_t)g.ksize;
}

const er_op_def er_op_conv = {.name = "Conv", .min_opset = 1, .shape = shape_conv,
                              .prepare = prepare_conv, .run = run_conv, .macs = macs_conv};
