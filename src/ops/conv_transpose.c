/* conv_transpose.c - ConvTranspose (ONNX opset 1..11+ semantics): the
 * gradient of Conv. X [N, C, D1..Dn], W [C, M/group, k1..kn], optional bias
 * [M]; input position i and tap k feed output position i*s - pad_begin + k*d.
 *
 * Output size (ONNX spec), with span = (k-1)*d + 1:
 *   output_shape given: out = output_shape (its last n values; N and M may
 *     lead), total = s*(in-1) + output_padding + span - out, and
 *     SAME_UPPER puts total/2 at the start, anything else total - total/2;
 *   auto_pad SAME_*: out = in * s, total split the same way;
 *   otherwise: out = s*(in-1) + output_padding + span - pad_begin - pad_end.
 * A negative total (output larger than the input can reach) is allowed: the
 * extra positions hold only the bias.
 *
 * float32: per (batch, group) one GEMM makes the column matrix
 * col[(m, tap), i] = sum_c W[c, m, tap] * X[c, i] for a chunk of input
 * positions (scratch stays ~4 MiB), then col2im adds each column into the
 * output positions it reaches. Other float dtypes gather per output element
 * in double. */
#include <string.h>

#include "core/checked_math.h"
#include "gemm_kernel.h"
#include "op.h"
#include "spatial.h"

#define COL_BUDGET (1u << 20) /* floats */
#define MIN_CHUNK 16

typedef struct {
    er_window w; /* in = X spatial, out = Y spatial; pads may be negative */
    int64_t batch, C, M, group, Cg, Mg, ksize, in_size, out_size;
} ct_geom;

static er_status geometry(const er_op_ctx *c, ct_geom *g) {
    const er_tensor *x = c->in[0], *wt = c->in[1];
    memset(g, 0, sizeof *g);
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 3 [N, C, D1, ...]",
                       er_op_shape_str(x));
    if (wt->rank != x->rank)
        return er_fail(ER_ERR_SHAPE, "weight shape %s: rank must equal the input's (%s)",
                       er_op_shape_str(wt), er_op_shape_str(x));
    int n = x->rank - 2;
    int64_t group = er_attr_int(c->node, "group", 1);
    if (group < 1) return er_fail(ER_ERR_INVALID_MODEL, "group %lld must be >= 1", (long long)group);
    g->batch = x->dims[0];
    g->C = x->dims[1];
    g->group = group;
    if (wt->dims[0] != g->C)
        return er_fail(ER_ERR_SHAPE, "weight shape %s: dim 0 must equal input channels %lld",
                       er_op_shape_str(wt), (long long)g->C);
    if (g->C % group)
        return er_fail(ER_ERR_SHAPE, "input channels %lld are not a multiple of group %lld",
                       (long long)g->C, (long long)group);
    g->Cg = g->C / group;
    g->Mg = wt->dims[1];
    if (!er_mul_i64(&g->M, g->Mg, group))
        return er_fail(ER_ERR_SHAPE, "output channels overflow");
    if (c->n_in > 2 && c->in[2]) {
        const er_tensor *b = c->in[2];
        if (b->rank != 1 || b->dims[0] != g->M)
            return er_fail(ER_ERR_SHAPE, "bias shape %s: expected [%lld]", er_op_shape_str(b),
                           (long long)g->M);
    }
    er_window *w = &g->w;
    ER_TRY(er_window_read(c, n, wt->dims + 2, w));
    er_auto_pad ap;
    ER_TRY(er_window_auto_pad(c, &ap));
    const int64_t *opad = NULL, *oshape = NULL;
    int n_opad = er_attr_ints(c->node, "output_padding", &opad);
    int n_oshape = er_attr_ints(c->node, "output_shape", &oshape);
    if (n_opad >= 0 && n_opad != n)
        return er_fail(ER_ERR_INVALID_MODEL, "output_padding has %d values, expected %d", n_opad, n);
    if (n_oshape >= 0 && n_oshape != n && n_oshape != n + 2)
        return er_fail(ER_ERR_INVALID_MODEL, "output_shape has %d values, expected %d", n_oshape, n);
    for (int i = 0; i < n; i++) {
        int64_t in = x->dims[2 + i];
        if (in > ((int64_t)1 << 40))
            return er_fail(ER_ERR_SHAPE, "spatial input dim %d is too large", i);
        w->in[i] = in;
        int64_t op = n_opad >= 0 ? opad[i] : 0;
        if (op < 0 || op > ((int64_t)1 << 31))
            return er_fail(ER_ERR_INVALID_MODEL, "output_padding[%d] = %lld is invalid", i,
                           (long long)op);
        int64_t span = (w->kernel[i] - 1) * w->dilation[i] + 1, natural;
        /* s*(in-1) + op + span: s < 2^31 and in <= 2^40 could overflow */
        if (!er_mul_i64(&natural, w->stride[i], in > 0 ? in - 1 : 0) ||
            !er_add_i64(&natural, natural, op + span) || natural > ((int64_t)1 << 50))
            return er_fail(ER_ERR_SHAPE, "spatial dim %d: output would be too large", i);
        if (n_oshape >= 0 || ap == ER_PAD_SAME_UPPER || ap == ER_PAD_SAME_LOWER) {
            int64_t out = n_oshape >= 0 ? oshape[n_oshape - n + i] : w->stride[i] * in;
            if (out < 0 || out > ((int64_t)1 << 50))
                return er_fail(ER_ERR_INVALID_MODEL, "output_shape[%d] = %lld is invalid", i,
                               (long long)out);
            int64_t total = natural - out;
            int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); /* floor */
            w->pad_begin[i] = ap == ER_PAD_SAME_UPPER ? half : total - half;
            w->pad_end[i] = total - w->pad_begin[i];
            w->out[i] = out;
        } else {
            if (ap == ER_PAD_VALID) w->pad_begin[i] = w->pad_end[i] = 0;
            w->out[i] = natural - w->pad_begin[i] - w->pad_end[i];
            if (w->out[i] < 0)
                return er_fail(ER_ERR_SHAPE, "spatial dim %d: pads %lld+%lld exceed the output "
                               "size %lld", i, (long long)w->pad_begin[i],
                               (long long)w->pad_end[i], (long long)natural);
        }
    }
    g->ksize = 1;
    for (int i = 0; i < n; i++) g->ksize *= w->kernel[i];
    g->in_size = er_window_in_size(w);
    g->out_size = er_window_out_size(w);
    return ER_OK;
}

static er_status shape_ct(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    ct_geom g;
    ER_TRY(geometry(c, &g));
    int64_t dims[ER_MAX_RANK] = {g.batch, g.M};
    for (int i = 0; i < g.w.n; i++) dims[2 + i] = g.w.out[i];
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, dims);
    return ER_OK;
}

static int64_t chunk_of(const ct_geom *g) {
    int64_t rows = g->Mg * g->ksize;
    int64_t chunk = rows > 0 ? (int64_t)COL_BUDGET / rows : g->in_size;
    chunk -= chunk % MIN_CHUNK;
    if (chunk < MIN_CHUNK) chunk = MIN_CHUNK;
    if (chunk > g->in_size) chunk = g->in_size;
    return chunk;
}

static er_status prepare_ct(er_op_ctx *c) {
    ct_geom g;
    ER_TRY(geometry(c, &g));
    if (c->in[0]->dtype != ER_F32) return ER_OK;
    size_t bytes;
    if (!er_mul_size(&bytes, (size_t)(g.Mg * g.ksize), (size_t)chunk_of(&g)) ||
        !er_mul_size(&bytes, bytes, sizeof(float)))
        return er_fail(ER_ERR_SHAPE, "column buffer is too large");
    c->scratch_bytes = bytes;
    return ER_OK;
}

/* y[m, o] += col[(m, tap), i - p0] for input positions [p0, p0+len). */
static void col2im(const ct_geom *g, const float *col, int64_t p0, int64_t len, float *y) {
    const er_window *w = &g->w;
    int n = w->n, last = n - 1;
    int64_t os[ER_WIN_MAX_DIMS];
    os[last] = 1;
    for (int i = last - 1; i >= 0; i--) os[i] = os[i + 1] * w->out[i + 1];
    int64_t start[ER_WIN_MAX_DIMS], rem = p0;
    for (int i = last; i >= 0; i--) {
        start[i] = rem % w->in[i];
        rem /= w->in[i];
    }
    const float *src = col;
    for (int64_t m = 0; m < g->Mg; m++) {
        float *ym = y + m * g->out_size;
        int64_t tap[ER_WIN_MAX_DIMS] = {0};
        for (int64_t t = 0; t < g->ksize; t++) {
            int64_t i[ER_WIN_MAX_DIMS];
            memcpy(i, start, sizeof(int64_t) * (size_t)n);
            int64_t done = 0;
            while (done < len) {
                int64_t run = w->in[last] - i[last];
                if (run > len - done) run = len - done;
                bool valid = true;
                int64_t base = 0;
                for (int d = 0; d < last; d++) {
                    int64_t pos = i[d] * w->stride[d] - w->pad_begin[d] + tap[d] * w->dilation[d];
                    if (pos < 0 || pos >= w->out[d]) valid = false;
                    base += pos * os[d];
                }
                if (valid) {
                    int64_t s = w->stride[last];
                    int64_t off = tap[last] * w->dilation[last] - w->pad_begin[last];
                    for (int64_t k = 0; k < run; k++) {
                        int64_t pos = (i[last] + k) * s + off;
                        if (pos >= 0 && pos < w->out[last]) ym[base + pos] += src[k];
                    }
                }
                src += run;
                done += run;
                i[last] += run;
                for (int d = last; d > 0 && i[d] == w->in[d]; d--) {
                    i[d] = 0;
                    i[d - 1]++;
                }
            }
            for (int d = last; d >= 0; d--) {
                if (++tap[d] < w->kernel[d]) break;
                tap[d] = 0;
            }
        }
    }
}

static void run_f32(er_op_ctx *c, const ct_geom *g) {
    const float *x = c->in[0]->data, *wt = c->in[1]->data;
    const float *b = c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL;
    float *y = c->out[0]->data;
    for (int64_t m = 0; m < g->batch * g->M; m++) {
        float bias = b ? b[m % g->M] : 0.0f;
        for (int64_t i = 0; i < g->out_size; i++) y[m * g->out_size + i] = bias;
    }
    int64_t rows = g->Mg * g->ksize, chunk = chunk_of(g);
    if (rows == 0 || g->in_size == 0) return;
    float *col = c->scratch;
    for (int64_t nb = 0; nb < g->batch; nb++)
        for (int64_t grp = 0; grp < g->group; grp++) {
            const float *xg = x + (nb * g->C + grp * g->Cg) * g->in_size;
            const float *wg = wt + grp * g->Cg * rows;
            float *yg = y + (nb * g->M + grp * g->Mg) * g->out_size;
            for (int64_t p0 = 0; p0 < g->in_size; p0 += chunk) {
                int64_t len = g->in_size - p0 < chunk ? g->in_size - p0 : chunk;
                /* col[r, j] = sum_c W[c, r] * X[c, p0 + j] */
                er_gemm_f32(rows, len, g->Cg, wg, 1, rows, xg + p0, g->in_size, 1, col, len,
                            false, c->pool);
                col2im(g, col, p0, len, yg);
            }
        }
}

static void run_generic(er_op_ctx *c, const ct_geom *g) {
    const er_tensor *x = c->in[0], *wt = c->in[1];
    const er_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    er_dtype dt = x->dtype;
    const er_window *w = &g->w;
    int n = w->n;
    int64_t is[ER_WIN_MAX_DIMS];
    is[n - 1] = 1;
    for (int i = n - 2; i >= 0; i--) is[i] = is[i + 1] * w->in[i + 1];
    for (int64_t nb = 0; nb < g->batch; nb++)
        for (int64_t m = 0; m < g->M; m++) {
            int64_t grp = m / g->Mg, mg = m % g->Mg;
            int64_t o[ER_WIN_MAX_DIMS] = {0};
            for (int64_t p = 0; p < g->out_size; p++) {
                double acc = b ? er_load_f64(b->data, dt, (size_t)m) : 0.0;
                int64_t tap[ER_WIN_MAX_DIMS] = {0};
                for (int64_t t = 0; t < g->ksize; t++) {
                    /* input position i with i*s = o + pad_begin - tap*d */
                    bool ok = true;
                    int64_t xo = 0;
                    for (int d = 0; d < n && ok; d++) {
                        int64_t num = o[d] + w->pad_begin[d] - tap[d] * w->dilation[d];
                        if (num < 0 || num % w->stride[d]) ok = false;
                        int64_t i = num / w->stride[d];
                        if (i >= w->in[d]) ok = false;
                        xo += i * is[d];
                    }
                    for (int64_t ic = 0; ok && ic < g->Cg; ic++) {
                        int64_t cc = grp * g->Cg + ic;
                        acc += er_load_f64(x->data, dt, (size_t)((nb * g->C + cc) * g->in_size + xo)) *
                               er_load_f64(wt->data, dt, (size_t)((cc * g->Mg + mg) * g->ksize + t));
                    }
                    for (int d = n - 1; d >= 0; d--) {
                        if (++tap[d] < w->kernel[d]) break;
                        tap[d] = 0;
                    }
                }
                er_store_f64(c->out[0]->data, dt, (size_t)((nb * g->M + m) * g->out_size + p), acc);
                for (int d = n - 1; d >= 0; d--) {
                    if (++o[d] < w->out[d]) break;
                    o[d] = 0;
                }
            }
        }
}

static er_status run_ct(er_op_ctx *c) {
    ct_geom g;
    ER_TRY(geometry(c, &g));
    if (c->in[0]->dtype == ER_F32) {
        if (g.Mg * g.ksize > 0 && g.in_size > 0 &&
            c->scratch_bytes < (size_t)(g.Mg * g.ksize * chunk_of(&g)) * sizeof(float))
            return er_fail(ER_ERR_INTERNAL, "ConvTranspose ran without its column scratch");
        run_f32(c, &g);
    } else {
        run_generic(c, &g);
    }
    return ER_OK;
}

static uint64_t macs_ct(const er_op_ctx *c) {
    ct_geom g;
    if (geometry(c, &g) != ER_OK) return 0;
    return (uint64_t)g.batch * (uint64_t)g.C * (uint64_t)g.in_size * (uint64_t)g.Mg *
           (uint64_t)g.ksize;
}

const er_op_def er_op_conv_transpose = {.name = "ConvTranspose", .min_opset = 1,
                                        .shape = shape_ct, .prepare = prepare_ct, .run = run_ct,
                                        .macs = macs_ct};
