/* int_accum.c - the int32 accumulation cores (see int_accum.h).
 *
 * Convolution: per image, the input is widened once to int16 minus x_zp;
 * the weights once per run to int16 minus w_zp[m]. Each output plane
 * (image, channel) is then summed tap by tap over contiguous output rows
 * (the loop the compiler vectorizes), in a per-thread uint32 accumulator,
 * and handed to the op's store callback. Planes are independent, so they
 * are split across the thread pool. */
#include "int_accum.h"

#include <string.h>

#include "core/checked_math.h"
#include "quant_util.h"
#include "window_plane.h"

er_status er_iconv_geometry(const er_op_ctx *c, int xi, int wi, er_iconv *g) {
    const er_tensor *x = c->in[xi], *w = c->in[wi];
    memset(g, 0, sizeof *g);
    if (x->rank < 3)
        return er_fail(ER_ERR_SHAPE, "input %d shape %s: expected rank >= 3 [N, C, D1, ...]", xi,
                       er_op_shape_str(x));
    if (w->rank != x->rank)
        return er_fail(ER_ERR_SHAPE, "weight shape %s: rank must equal the input's (%s)",
                       er_op_shape_str(w), er_op_shape_str(x));
    int64_t group = er_attr_int(c->node, "group", 1);
    if (group < 1)
        return er_fail(ER_ERR_INVALID_MODEL, "group %lld must be >= 1", (long long)group);
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
    int n = x->rank - 2;
    ER_TRY(er_window_init(c, n, x->dims + 2, w->dims + 2, false, &g->w));
    g->ksize = 1;
    for (int i = 0; i < n; i++) g->ksize *= g->w.kernel[i];
    g->in_size = er_window_in_size(&g->w);
    g->out_size = er_window_out_size(&g->w);
    /* int16 copies of one image and of the weights must be addressable */
    size_t t;
    if (!er_mul_size(&t, (size_t)g->M, (size_t)g->Cg) || !er_mul_size(&t, t, (size_t)g->ksize) ||
        !er_mul_size(&t, (size_t)g->C, (size_t)g->in_size) || t > ((size_t)1 << 40))
        return er_fail(ER_ERR_SHAPE, "input %s / weight %s are too large", er_op_shape_str(x),
                       er_op_shape_str(w));
    return ER_OK;
}

int er_iconv_out_dims(const er_iconv *g, int64_t *dims) {
    dims[0] = g->batch;
    dims[1] = g->M;
    for (int i = 0; i < g->w.n; i++) dims[2 + i] = g->w.out[i];
    return g->w.n + 2;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

er_status er_iconv_scratch(const er_iconv *g, int threads, size_t *bytes) {
    size_t xs, ws, acc, t;
    if (!er_mul_size(&xs, (size_t)g->C * (size_t)g->in_size, sizeof(int16_t)) ||
        !er_mul_size(&ws, (size_t)g->M * (size_t)g->Cg * (size_t)g->ksize, sizeof(int16_t)) ||
        !er_mul_size(&acc, (size_t)g->out_size, sizeof(uint32_t)) ||
        !er_mul_size(&acc, align64(acc), (size_t)(threads > 0 ? threads : 1)) ||
        !er_add_size(&t, align64(xs), align64(ws)) || !er_add_size(&t, t, acc))
        return er_fail(ER_ERR_SHAPE, "scratch for the integer convolution is too large");
    *bytes = t;
    return ER_OK;
}

uint64_t er_iconv_macs(const er_iconv *g) {
    return (uint64_t)g->batch * (uint64_t)g->M * (uint64_t)g->out_size * (uint64_t)g->Cg *
           (uint64_t)g->ksize;
}

/* acc += one input channel plane x convolved with one kernel k (ksize taps),
 * tap by tap over contiguous runs of the last output dim. Zero weights add
 * nothing and are skipped; the sums wrap as uint32 (two's complement int32
 * results, never signed overflow). */
#define ER_INT_ZERO(kv) ((kv) == 0)
#define ER_INT_MAC(yv, kv, xv) ((yv) += (uint32_t)((int32_t)(kv) * (int32_t)(xv)))
ER_WINDOW_PLANE(accum_plane, int16_t, int16_t, uint32_t, ER_INT_ZERO, ER_INT_MAC)

typedef struct {
    const er_iconv_args *a;
    const int16_t *xs, *ws;
    uint32_t *acc; /* per thread: acc + tid * acc_stride */
    int64_t acc_stride;
    int64_t image;
} plane_job;

static void plane_task(void *arg, int64_t begin, int64_t end, int tid) {
    const plane_job *j = arg;
    const er_iconv_args *a = j->a;
    const er_iconv *g = a->g;
    uint32_t *acc = j->acc + (int64_t)tid * j->acc_stride;
    int64_t wstride = g->Cg * g->ksize;
    for (int64_t m = begin; m < end; m++) {
        uint32_t b = a->bias ? (uint32_t)a->bias[m] : 0;
        for (int64_t i = 0; i < g->out_size; i++) acc[i] = b;
        int64_t grp = m / g->Mg;
        for (int64_t ic = 0; ic < g->Cg; ic++)
            accum_plane(&g->w, j->xs + (grp * g->Cg + ic) * g->in_size,
                        j->ws + m * wstride + ic * g->ksize, acc);
        /* uint32 and int32 may alias (C11 6.5p7); the sums are two's complement */
        a->store(a->store_arg, m, (const int32_t *)acc, g->out_size,
                 (j->image * g->M + m) * g->out_size);
    }
}

static void widen(const void *src, er_dtype dt, int64_t n, int32_t zp, int16_t *dst) {
    if (dt == ER_I8) {
        const int8_t *s = src;
        for (int64_t i = 0; i < n; i++) dst[i] = (int16_t)(s[i] - zp);
    } else {
        const uint8_t *s = src;
        for (int64_t i = 0; i < n; i++) dst[i] = (int16_t)(s[i] - zp);
    }
}

void er_iconv_run(const er_iconv_args *a) {
    const er_iconv *g = a->g;
    if (g->out_size == 0 || g->batch == 0 || g->M == 0) return;
    size_t xs_bytes = align64((size_t)(g->C * g->in_size) * sizeof(int16_t));
    size_t ws_bytes = align64((size_t)(g->M * g->Cg * g->ksize) * sizeof(int16_t));
    int16_t *xs = a->scratch;
    int16_t *ws = (int16_t *)((char *)a->scratch + xs_bytes);
    uint32_t *acc = (uint32_t *)((char *)a->scratch + xs_bytes + ws_bytes);
    int64_t wstride = g->Cg * g->ksize;
    for (int64_t m = 0; m < g->M; m++)
        widen((const char *)a->w + (size_t)(m * wstride), a->w_dtype, wstride, a->w_zp[m],
              ws + m * wstride);
    int64_t acc_stride =
        (int64_t)(align64((size_t)g->out_size * sizeof(uint32_t)) / sizeof(uint32_t));
    plane_job j = {a, xs, ws, acc, acc_stride, 0};
    int64_t image_elems = g->C * g->in_size;
    for (int64_t nb = 0; nb < g->batch; nb++) {
        widen((const char *)a->x + (size_t)(nb * image_elems), a->x_dtype, image_elems, a->x_zp,
              xs);
        j.image = nb;
        er_parallel_for(a->pool, g->M, 1, plane_task, &j);
    }
}

void er_imatmul(int64_t M, int64_t N, int64_t K, const int16_t *a, const int16_t *b,
                uint32_t *acc) {
    for (int64_t i = 0; i < M; i++) {
        uint32_t *row = acc + i * N;
        for (int64_t k = 0; k < K; k++) {
            int32_t av = a[i * K + k];
            if (av == 0) continue;
            const int16_t *br = b + k * N;
            for (int64_t j = 0; j < N; j++) row[j] += (uint32_t)(av * (int32_t)br[j]);
        }
    }
}
