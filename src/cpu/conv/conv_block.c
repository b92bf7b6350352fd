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
 *      when there is no project stage); its channel sums go to that output
 *      row's sums when the block computes means.
 *   3. Project the row buffer's OW pixels (tiles of MR) into y, adding z.
 * The KH rows of one window are consecutive, so their slots differ; slots
 * survive from one output row to the next, so with stride s only s new rows
 * are expanded per output row. Scratch per thread: the ring (KH*W*E
 * floats), the row buffer (OW*E floats), each 64-byte aligned; then,
 * shared, the scaled project weights and the per-row channel sums
 * (N*OH*E floats).
 *
 * The scaled-project form multiplies the packed project weights' rows by
 * the image's scale once per image (E*M products) instead of the E*H*W
 * input values: W (s * x) = (W diag(s)) x. It runs one image at a time. */
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
    er_conv_plan *e, *dw, *p; /* NULL when the stage is absent */
    /* row geometry: input H x W (C channels), rows of E, output OH x OW x M */
    int64_t N, H, W, C, E, OH, OW, M;
    size_t ring_bytes, row_bytes, sums_bytes, per_thread;
    size_t pw_floats; /* scaled project weights (shared scratch) */
    void (*sum_row)(float *restrict, const float *restrict, size_t, size_t);
    int threads;
    char name[96];
};

static int is_pointwise(const er_conv_desc *c) {
    return c->KH == 1 && c->KW == 1 && c->stride_h == 1 && c->stride_w == 1 && c->pad_top == 0 &&
           c->pad_left == 0 && c->pad_bottom == 0 && c->pad_right == 0 && c->group == 1 &&
           c->OH == c->H && c->OW == c->W;
}

static er_status check_desc(const er_conv_block_desc *d) {
    if (!d->has_dw && !(d->has_project && d->has_scale && !d->has_expand))
        return er_fail(ER_ERR_INVALID_ARG, "convolution block: only the scaled-project form "
                                           "(project with a scale, no expand) may lack the "
                                           "depthwise stage");
    if ((d->has_scale && !d->has_project) || (d->has_mean && !d->has_dw))
        return er_fail(ER_ERR_INVALID_ARG, "convolution block: a scale needs the project "
                                           "stage and means need the depthwise stage");
    const er_conv_desc *dw = &d->dw;
    if (d->has_dw && (dw->group != dw->C || dw->M != dw->C || dw->KH > ER_DW_MAX_KH ||
                      dw->dil_h != 1 || dw->has_residual))
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
        if (!is_pointwise(p) || (d->has_dw && (p->N != dw->N || p->H != dw->OH ||
                                               p->W != dw->OW || p->C != dw->M)))
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

/* sums[k] += row[i*E + k] for i < pixels: the channel sums of one output
 * row. Compiled per ISA (the base file targets plain x86-64/SSE2), picked
 * at plan time; the same C, so every level sums in the same order. */
#define SUM_ROW_BODY                                                                           \
    size_t k0 = 0;                                                                             \
    for (; k0 + 64 <= E; k0 += 64) { /* 64 sums held in registers over the row */             \
        float acc[64];                                                                         \
        for (size_t k = 0; k < 64; k++) acc[k] = sums[k0 + k];                                 \
        for (size_t i = 0; i < pixels; i++)                                                    \
            for (size_t k = 0; k < 64; k++) acc[k] += row[i * E + k0 + k];                     \
        for (size_t k = 0; k < 64; k++) sums[k0 + k] = acc[k];                                 \
    }                                                                                          \
    for (size_t i = 0; i < pixels; i++)                                                        \
        for (size_t k = k0; k < E; k++) sums[k] += row[i * E + k];
static void sum_row(float *restrict sums, const float *restrict row, size_t pixels, size_t E) {
    SUM_ROW_BODY
}
#if ER_ARCH_X86_64
__attribute__((target("avx2,fma"))) static void sum_row_avx2(float *restrict sums,
                                                             const float *restrict row,
                                                             size_t pixels, size_t E) {
    SUM_ROW_BODY
}
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static void
sum_row_avx512(float *restrict sums, const float *restrict row, size_t pixels, size_t E) {
    SUM_ROW_BODY
}
#endif

/* Packed floats of a pointwise stage's weights (the layout of gemm.h, or
 * of the depthwise rows for a one-channel stage). */
static size_t packed_floats(const er_conv_plan *s) {
    return s->algo == CONV_DW ? 2 * s->cpad : s->w_group_floats;
}

/* Scratch sizes; every product is checked (the stage plans accepted the
 * tensor sizes, but the ring multiplies a row by KH). */
static er_status size_scratch(er_conv_block_plan *p) {
    const size_t lim = (SIZE_MAX - 256) / sizeof(float) / 4;
    size_t row, ring = 0, rowbuf, sums;
    if (!er_mul_size(&row, (size_t)p->W, (size_t)p->E) ||
        (p->d.has_expand && !er_mul_size(&ring, row, (size_t)p->d.dw.KH)) ||
        !er_mul_size(&rowbuf, (size_t)p->OW, (size_t)p->E) ||
        !er_mul_size(&sums, (size_t)(p->N * p->OH), (size_t)p->E) || ring > lim ||
        rowbuf > lim || sums > lim)
        return er_fail(ER_ERR_SHAPE, "convolution block: row buffers too large");
    p->ring_bytes = p->d.has_expand ? align64(ring * sizeof(float)) : 0;
    p->row_bytes = p->d.has_project && p->d.has_dw ? align64(rowbuf * sizeof(float)) : 0;
    p->sums_bytes = p->d.has_mean ? align64(sums * sizeof(float)) : 0;
    p->per_thread = p->ring_bytes + p->row_bytes;
    p->pw_floats = p->d.has_scale ? packed_floats(p->p) : 0;
    size_t all;
    if (!er_mul_size(&all, p->per_thread, (size_t)p->threads) ||
        all + align64(p->pw_floats * sizeof(float)) < all ||
        all + align64(p->pw_floats * sizeof(float)) + p->sums_bytes < all)
        return er_fail(ER_ERR_SHAPE, "convolution block: scratch too large");
    return ER_OK;
}

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
    if (st == ER_OK && d->has_dw) st = er_conv_plan_create(&d->dw, w[1], b[1], isa, 1, &p->dw);
    if (st == ER_OK && d->has_project)
        st = er_conv_plan_create(&d->project, w[2], b[2], isa, 1, &p->p);
    if (st == ER_OK && ((p->dw && p->dw->algo != CONV_DW) || (p->e && !pointwise_plan(p->e)) ||
                        (p->p && !pointwise_plan(p->p))))
        st = er_fail(ER_ERR_INTERNAL, "convolution block: a stage was not planned as a "
                                      "pointwise GEMM or a depthwise row kernel");
    if (st == ER_OK) {
        const er_conv_desc *g = d->has_dw ? &d->dw : &d->project;
        p->N = g->N;
        p->H = g->H;
        p->W = g->W;
        p->E = g->C;
        p->OH = g->OH;
        p->OW = g->OW;
        p->C = d->has_expand ? d->expand.C : p->E;
        p->M = d->has_project ? d->project.M : p->E;
        p->sum_row = sum_row;
#if ER_ARCH_X86_64
        if (isa == ER_ISA_AVX2) p->sum_row = sum_row_avx2;
        if (isa == ER_ISA_AVX512) p->sum_row = sum_row_avx512;
#endif
        st = size_scratch(p);
    }
    if (st != ER_OK) {
        er_conv_block_plan_free(p);
        return st;
    }
    char e[32] = "", dws[48] = "", pr[32] = "";
    if (p->e) snprintf(e, sizeof e, "e%lld ", (long long)d->expand.M);
    if (p->dw)
        snprintf(dws, sizeof dws, "dw%lldx%llds%lld%s", (long long)d->dw.KH, (long long)d->dw.KW,
                 (long long)d->dw.stride_h, d->has_mean ? "+mean" : "");
    if (p->p)
        snprintf(pr, sizeof pr, "%sp%lld%s", p->dw ? " " : "", (long long)d->project.M,
                 d->has_scale ? "*scale" : "");
    snprintf(p->name, sizeof p->name, "block %s%s%s %s", e, dws, pr,
             er_isa_name(p->dw ? p->dw->dk->isa : p->p->isa));
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
    return p->per_thread * (size_t)p->threads + align64(p->pw_floats * sizeof(float)) +
           p->sums_bytes;
}

const char *er_conv_block_algo(const er_conv_block_plan *p) { return p->name; }

/* One pointwise stage over `pixels` consecutive pixels (one image row of
 * the stage) with packed weights w: a row i at a + i*K floats, output row
 * i at c + i*N (residual z likewise or NULL). */
static void pointwise(const er_conv_plan *s, const float *w, const float *a, size_t pixels,
                      float *c, const float *z) {
    if (s->algo == CONV_DW) { /* one channel: pixels == s->d.W, one row */
        const float *rows[1] = {a};
        er_f32_dwconv_row r = s->dw_row;
        r.rows = rows;
        s->dk->fn(1, &r, w, s->cpad, c, 1, z, 1, &s->mm);
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
        gk->fn(mr, N, K, 1, rows, w, ct, N, z ? z + p0 * N : NULL, N, &s->mm);
        /* the tile's rows are contiguous (row stride N = nc) */
        if (s->vact) s->vact(&s->d.act, ct, mr * N);
    }
}

/* dst = the packed weights of pointwise stage s with input channel k's row
 * multiplied by scale[k] (biases unchanged). */
static void scale_weights(const er_conv_plan *s, const float *scale, float *dst) {
    if (s->algo == CONV_DW) {
        dst[0] = s->w[0];
        dst[s->cpad] = s->w[s->cpad] * scale[0];
        return;
    }
    const size_t nr = (size_t)s->gk->nr, K = (size_t)s->d.C;
    const size_t panels = (size_t)(s->d.M + s->gk->nr - 1) / nr;
    const float *src = s->w;
    for (size_t j = 0; j < panels; j++) {
        for (size_t i = 0; i < nr; i++) *dst++ = *src++; /* biases */
        for (size_t k = 0; k < K; k++) {
            const float f = scale[k];
            for (size_t i = 0; i < nr; i++) *dst++ = *src++ * f;
        }
    }
}

typedef struct block_ctx {
    const er_conv_block_plan *p;
    er_conv_block_io io;
    const float *pw; /* project weights to use */
    int64_t row0;    /* first output row of this parallel_for (one image at a time) */
    char *scratch;
    float *row_sums; /* has_mean: per output row (n*OH + oh), E channel sums */
} block_ctx;

static void block_task(void *arg, int64_t begin, int64_t end, int tid) {
    const block_ctx *c = arg;
    const er_conv_block_plan *p = c->p;
    const er_conv_desc *dw = &p->d.dw;
    const er_conv_plan *dp = p->dw;
    const int64_t H = p->H, W = p->W, C = p->C, E = p->E, OH = p->OH, OW = p->OW, M = p->M;
    const int64_t KH = dp ? dw->KH : 0;
    char *mine = c->scratch + (size_t)tid * p->per_thread;
    float *ring = (float *)mine, *rowbuf = (float *)(mine + p->ring_bytes);
    int64_t tag[ER_DW_MAX_KH]; /* n*H + ih held by each ring slot, -1: none */
    for (int64_t k = 0; k < KH; k++) tag[k] = -1;
    const float *rows[ER_DW_MAX_KH];
    er_f32_dwconv_row r = {0};
    if (dp) {
        r = dp->dw_row;
        r.rows = rows;
    }
    for (int64_t u = c->row0 + begin; u < c->row0 + end; u++) {
        const int64_t n = u / OH, oh = u % OH;
        float *yr = c->io.y + u * OW * M;
        const float *prow = c->io.x + u * OW * E; /* the project input without dw */
        if (dp) {
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = oh * dw->stride_h - dw->pad_top + kh;
                if (ih < 0 || ih >= H) {
                    rows[kh] = dp->zero;
                    continue;
                }
                const float *src = c->io.x + ((n * H + ih) * W) * C;
                if (!p->e) {
                    rows[kh] = src;
                    continue;
                }
                const int64_t slot = ih % KH;
                float *dst = ring + slot * W * E;
                if (tag[slot] != n * H + ih) {
                    pointwise(p->e, p->e->w, src, (size_t)W, dst, NULL);
                    tag[slot] = n * H + ih;
                }
                rows[kh] = dst;
            }
            float *dout = p->p ? rowbuf : yr;
            dp->dk->fn((size_t)E, &r, dp->w, dp->cpad, dout, (size_t)E, NULL, 0, &dp->mm);
            if (dp->vact) dp->vact(&dw->act, dout, (size_t)(OW * E));
            if (p->d.has_mean) p->sum_row(c->row_sums + u * E, dout, (size_t)OW, (size_t)E);
            prow = dout;
        }
        if (p->p)
            pointwise(p->p, c->pw, prow, (size_t)OW, yr, c->io.z ? c->io.z + u * OW * M : NULL);
    }
}

void er_conv_block_run(const er_conv_block_plan *p, const er_conv_block_io *io, void *scratch,
                       er_threadpool *pool) {
    /* scratch was sized for p->threads; a bigger pool would overrun it */
    if (er_threadpool_size(pool) > p->threads) pool = NULL;
    /* the channel sums are kept per output row, whichever thread computed
     * it, and added in row order: the mean does not depend on the threads */
    float *row_sums = (float *)((char *)scratch + p->per_thread * (size_t)p->threads +
                                align64(p->pw_floats * sizeof(float)));
    block_ctx c = {p, *io, p->p ? p->p->w : NULL, 0, scratch, row_sums};
    if (!p->p || !p->d.project.has_residual) c.io.z = NULL;
    if (p->d.has_mean) memset(row_sums, 0, (size_t)(p->N * p->OH * p->E) * sizeof(float));
    if (p->d.has_scale) {
        /* one image at a time: its scale goes into a copy of the weights */
        float *pw = (float *)((char *)scratch + p->per_thread * (size_t)p->threads);
        c.pw = pw;
        for (int64_t n = 0; n < p->N; n++) {
            scale_weights(p->p, io->scale + n * p->E, pw);
            c.row0 = n * p->OH;
            er_parallel_for_even(pool, p->OH, 1, block_task, &c);
        }
    } else {
        er_parallel_for_even(pool, p->N * p->OH, 1, block_task, &c);
    }
    if (p->d.has_mean) {
        const float inv = 1.0f / (float)(p->OH * p->OW);
        for (int64_t n = 0; n < p->N; n++)
            for (int64_t e = 0; e < p->E; e++) {
                float s = 0;
                for (int64_t oh = 0; oh < p->OH; oh++) s += row_sums[(n * p->OH + oh) * p->E + e];
                io->mean[n * p->E + e] = s * inv;
            }
    }
}
