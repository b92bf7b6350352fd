/* conv_block.c - the fused inverted-residual block (conv_block.h): planning
 * and the row-by-row run.
 *
 * Plan: each stage is an ordinary er_conv_plan (so weight packing, kernel
 * choice and activation handling are the unfused ones); the block checks
 * that the stages chain and are of the kinds the run loop assumes (1x1
 * GEMM stages, a CONV_DW depthwise stage).
 *
 * Run, per thread, over its contiguous range of output rows u = n*OH + oh:
 *   1. For each of the KH window rows ih = oh*sh - pad_top + kh inside the
 *      image: if ring slot ih % KH does not hold (n, ih), expand input row
 *      (n, ih) into it (W pixels in tiles of the GEMM kernel's MR). Rows
 *      outside the image point at the depthwise plan's zero row.
 *   2. Depthwise row kernel over the KH ring rows -> the row buffer (or y
 *      when there is no project stage).
 *   3. Project the row buffer's OW pixels (tiles of MR) into y, adding z.
 * The KH rows of one window are consecutive, so their slots differ; slots
 * survive from one output row to the next, so with stride s only s new rows
 * are expanded per output row. Scratch per thread: the ring (KH*W*E floats)
 * then the row buffer (OW*E floats), each 64-byte aligned. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "core/threadpool.h"
#include "cpu/conv/conv_block.h"
#include "cpu/conv/conv_internal.h"

struct er_conv_block_plan {
    er_conv_block_desc d;
    er_conv_plan *e, *dw, *p; /* e, p NULL when the stage is absent */
    size_t ring_bytes, row_bytes, per_thread;
    int threads;
    char name[96];
};

static int is_pointwise(const er_conv_desc *c) {
    return c->KH == 1 && c->KW == 1 && c->stride_h == 1 && c->stride_w == 1 && c->pad_top == 0 &&
           c->pad_left == 0 && c->pad_bottom == 0 && c->pad_right == 0 && c->group == 1 &&
           c->OH == c->H && c->OW == c->W;
}

static er_status check_desc(const er_conv_block_desc *d) {
    const er_conv_desc *dw = &d->dw;
    if (dw->group != dw->C || dw->M != dw->C || dw->KH > ER_DW_MAX_KH || dw->dil_h != 1 ||
        dw->has_residual)
        return er_fail(ER_ERR_INVALID_ARG,
                       "convolution block: depthwise stage C %lld M %lld group %lld kernel "
                       "%lldx%lld dilation %lld: must be depthwise (group = C = M), at most %d "
                       "rows tall, dilation 1, without a residual",
                       (long long)dw->C, (long long)dw->M, (long long)dw->group,
                       (long long)dw->KH, (long long)dw->KW, (long long)dw->dil_h, ER_DW_MAX_KH);
    if (d->has_expand) {
        const er_conv_desc *e = &d->expand;
        if (!is_pointwise(e) || e->has_residual || e->N != dw->N || e->H != dw->H ||
            e->W != dw->W || e->M != dw->C)
            return er_fail(ER_ERR_INVALID_ARG,
                           "convolution block: expand stage [%lld,%lld,%lld,%lld] -> %lld "
                           "channels, kernel %lldx%lld: must be a 1x1 stride-1 unpadded "
                           "group-1 convolution without residual producing the depthwise input "
                           "[%lld,%lld,%lld,%lld]",
                           (long long)e->N, (long long)e->H, (long long)e->W, (long long)e->C,
                           (long long)e->M, (long long)e->KH, (long long)e->KW, (long long)dw->N,
                           (long long)dw->H, (long long)dw->W, (long long)dw->C);
    }
    if (d->has_project) {
        const er_conv_desc *p = &d->project;
        if (!is_pointwise(p) || p->N != dw->N || p->H != dw->OH || p->W != dw->OW ||
            p->C != dw->M)
            return er_fail(ER_ERR_INVALID_ARG,
                           "convolution block: project stage [%lld,%lld,%lld,%lld] kernel "
                           "%lldx%lld: must be a 1x1 stride-1 unpadded group-1 convolution of "
                           "the depthwise output [%lld,%lld,%lld,%lld]",
                           (long long)p->N, (long long)p->H, (long long)p->W, (long long)p->C,
                           (long long)p->KH, (long long)p->KW, (long long)dw->N,
                           (long long)dw->OH, (long long)dw->OW, (long long)dw->M);
    }
    return ER_OK;
}

/* A 1x1 stage runs as a GEMM straight on its input, or, with one channel
 * in and out (C = M = group = 1 looks depthwise to the planner), as a
 * 1x1 depthwise row. */
static int pointwise_plan(const er_conv_plan *s) {
    return (s->algo == CONV_IGEMM && s->simple_1x1) || s->algo == CONV_DW;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

er_status er_conv_block_plan_create(const er_conv_block_desc *d, const float *const w[3],
                                    const float *const b[3], er_isa isa, int threads,
                                    er_conv_block_plan **out) {
    *out = NULL;
    ER_TRY(check_desc(d));
    er_conv_block_plan *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory planning a convolution block");
    p->d = *d;
    p->threads = threads < 1 ? 1 : threads;
    er_status st = ER_OK;
    if (d->has_expand) st = er_conv_plan_create(&d->expand, w[0], b[0], isa, 1, &p->e);
    if (st == ER_OK) st = er_conv_plan_create(&d->dw, w[1], b[1], isa, 1, &p->dw);
    if (st == ER_OK && d->has_project)
        st = er_conv_plan_create(&d->project, w[2], b[2], isa, 1, &p->p);
    if (st != ER_OK) {
        er_conv_block_plan_free(p);
        return st;
    }
    if (p->dw->algo != CONV_DW || (p->e && !pointwise_plan(p->e)) ||
        (p->p && !pointwise_plan(p->p))) {
        er_conv_block_plan_free(p);
        return er_fail(ER_ERR_INTERNAL, "convolution block: a stage was not planned as a "
                                        "pointwise GEMM or a depthwise row kernel");
    }
    /* sizes: the stage plans accepted them, so W*E and OW*E floats fit */
    const er_conv_desc *dw = &d->dw;
    size_t row_floats = (size_t)dw->W * (size_t)dw->C, ring_floats;
    if (!er_mul_size(&ring_floats, row_floats, (size_t)dw->KH) ||
        ring_floats > (SIZE_MAX - 128) / sizeof(float) / 2 ||
        (size_t)dw->OW * (size_t)dw->M > (SIZE_MAX - 128) / sizeof(float) / 2) {
        er_conv_block_plan_free(p);
        return er_fail(ER_ERR_SHAPE, "convolution block: row buffers too large");
    }
    p->ring_bytes = d->has_expand ? align64(ring_floats * sizeof(float)) : 0;
    p->row_bytes = d->has_project ? align64((size_t)dw->OW * (size_t)dw->M * sizeof(float)) : 0;
    p->per_thread = p->ring_bytes + p->row_bytes;
    char e[32] = "", pr[32] = "";
    if (p->e) snprintf(e, sizeof e, "e%lld ", (long long)d->expand.M);
    if (p->p) snprintf(pr, sizeof pr, " p%lld", (long long)d->project.M);
    snprintf(p->name, sizeof p->name, "block %sdw%lldx%llds%lld%s %s", e, (long long)dw->KH,
             (long long)dw->KW, (long long)dw->stride_h, pr, er_isa_name(p->dw->dk->isa));
    *out = p;
    return ER_OK;
}

void er_conv_block_plan_free(er_conv_block_plan *p) {
    if (!p) return;
    er_conv_plan_free(p->e);
    er_conv_plan_free(p->dw);
    er_conv_plan_free(p->p);
    er_free(p);
}

size_t er_conv_block_scratch_bytes(const er_conv_block_plan *p) {
    return p->per_thread * (size_t)p->threads;
}

const char *er_conv_block_algo(const er_conv_block_plan *p) { return p->name; }

/* One pointwise stage over `pixels` consecutive pixels (one image row of
 * the stage): a row i at a + i*K floats, output row i at c + i*N (residual
 * z likewise or NULL). */
static void pointwise(const er_conv_plan *s, const float *a, size_t pixels, float *c,
                      const float *z) {
    if (s->algo == CONV_DW) { /* one channel: pixels == s->d.W, one row */
        const float *rows[1] = {a};
        er_f32_dwconv_row r = s->dw_row;
        r.rows = rows;
        s->dk->fn(1, &r, s->w, s->cpad, c, 1, z, 1, &s->mm);
        if (s->vact) s->vact(&s->d.act, c, pixels);
        return;
    }
    const er_f32_gemm_ukernel *gk = s->gk;
    const size_t K = (size_t)s->d.C, N = (size_t)s->d.M, MR = (size_t)gk->mr;
    const float *rows[16]; /* MR <= 8 (igemm_variant.h) */
    for (size_t p0 = 0; p0 < pixels; p0 += MR) {
        size_t mr = pixels - p0 < MR ? pixels - p0 : MR;
        for (size_t i = 0; i < mr; i++) rows[i] = a + (p0 + i) * K;
        float *ct = c + p0 * N;
        gk->fn(mr, N, K, 1, rows, s->w, ct, N, z ? z + p0 * N : NULL, N, &s->mm);
        /* the tile's rows are contiguous (row stride N = nc) */
        if (s->vact) s->vact(&s->d.act, ct, mr * N);
    }
}

typedef struct block_ctx {
    const er_conv_block_plan *p;
    const float *x, *z;
    float *y;
    char *scratch;
} block_ctx;

static void block_task(void *arg, int64_t begin, int64_t end, int tid) {
    const block_ctx *c = arg;
    const er_conv_block_plan *p = c->p;
    const er_conv_desc *dw = &p->d.dw;
    const er_conv_plan *dp = p->dw;
    const int64_t H = dw->H, W = dw->W, E = dw->C, OH = dw->OH, OW = dw->OW, KH = dw->KH;
    const int64_t C = p->e ? p->d.expand.C : E, M = p->p ? p->d.project.M : E;
    char *mine = c->scratch + (size_t)tid * p->per_thread;
    float *ring = (float *)mine, *rowbuf = (float *)(mine + p->ring_bytes);
    int64_t tag[ER_DW_MAX_KH]; /* n*H + ih held by each ring slot, -1: none */
    for (int64_t k = 0; k < KH; k++) tag[k] = -1;
    const float *rows[ER_DW_MAX_KH];
    er_f32_dwconv_row r = dp->dw_row;
    r.rows = rows;
    for (int64_t u = begin; u < end; u++) {
        const int64_t n = u / OH, oh = u % OH;
        for (int64_t kh = 0; kh < KH; kh++) {
            const int64_t ih = oh * dw->stride_h - dw->pad_top + kh;
            if (ih < 0 || ih >= H) {
                rows[kh] = dp->zero;
                continue;
            }
            const float *src = c->x + ((n * H + ih) * W) * C;
            if (!p->e) {
                rows[kh] = src;
                continue;
            }
            const int64_t slot = ih % KH;
            float *dst = ring + slot * W * E;
            if (tag[slot] != n * H + ih) {
                pointwise(p->e, src, (size_t)W, dst, NULL);
                tag[slot] = n * H + ih;
            }
            rows[kh] = dst;
        }
        float *yr = c->y + u * OW * M;
        float *dout = p->p ? rowbuf : yr;
        dp->dk->fn((size_t)E, &r, dp->w, dp->cpad, dout, (size_t)E, NULL, 0, &dp->mm);
        if (dp->vact) dp->vact(&dw->act, dout, (size_t)(OW * E));
        if (p->p) pointwise(p->p, rowbuf, (size_t)OW, yr, c->z ? c->z + u * OW * M : NULL);
    }
}

void er_conv_block_run(const er_conv_block_plan *p, const float *x, const float *z, float *y,
                       void *scratch, er_threadpool *pool) {
    /* scratch was sized for p->threads; a bigger pool would overrun it */
    if (er_threadpool_size(pool) > p->threads) pool = NULL;
    if (!p->p || !p->d.project.has_residual) z = NULL;
    block_ctx c = {p, x, z, y, scratch};
    er_parallel_for(pool, p->d.dw.N * p->d.dw.OH, 1, block_task, &c);
}
