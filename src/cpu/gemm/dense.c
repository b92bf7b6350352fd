/* dense.c - fully connected layers on the GEMM microkernels (see dense.h).
 * A plain GEMM is the indirect microkernel with one tap: the row pointers of
 * a tile are x + r*K, built per work unit in the thread's scratch. */
#include "cpu/gemm/dense.h"

#include <math.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "cpu/gemm/gemm.h"
#include "cpu/gemm/vact.h"

struct er_dense_plan {
    er_dense_desc d;
    const er_f32_gemm_ukernel *gk;
    float *w;
    int64_t nb; /* columns per work unit, a multiple of gk->nr */
    int threads;
    er_f32_minmax_params mm;
    er_f32_vact_fn vact;
    char name[64];
};

er_status er_dense_plan_create(const er_dense_desc *d, const float *w, const float *b,
                               er_isa isa, int threads, er_dense_plan **out) {
    *out = NULL;
    if (d->K < 1 || d->N < 1)
        return er_fail(ER_ERR_INVALID_ARG, "dense layer K %lld N %lld: sizes must be positive",
                       (long long)d->K, (long long)d->N);
    er_dense_plan *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory planning a dense layer");
    p->d = *d;
    p->threads = threads < 1 ? 1 : threads;
    p->gk = er_f32_gemm_pick(isa, d->N);
    size_t n = er_f32_gemm_packed_floats(d->N, d->K, p->gk->nr);
    if (!n || n > SIZE_MAX / sizeof(float)) {
        er_free(p);
        return er_fail(ER_ERR_SHAPE, "dense weights too large (%lld x %lld)", (long long)d->K,
                       (long long)d->N);
    }
    p->w = er_aligned_alloc(n * sizeof(float));
    if (!p->w) {
        er_free(p);
        return er_fail(ER_ERR_NOMEM, "out of memory packing dense weights (%zu bytes)",
                       n * sizeof(float));
    }
    if (d->w_transposed) /* W[k][j] = w[j*K + k] */
        er_f32_gemm_pack(d->N, 1, d->K, p->gk->nr, w, 0, 1, d->K, b, p->w);
    else /* W[k][j] = w[k*N + j] */
        er_f32_gemm_pack(d->N, 1, d->K, p->gk->nr, w, 0, d->N, 1, b, p->w);
    p->vact = er_f32_epilogue(&d->act, isa, &p->mm);
    /* Column blocks: the weight block of a unit fits half of L2, and a
     * single row (a classifier) still gives every thread several units. */
    const int64_t nr = p->gk->nr, panels_total = (d->N + nr - 1) / nr;
    int64_t l2 = er_cpu()->l2_bytes > 0 ? er_cpu()->l2_bytes : 512 * 1024;
    int64_t panels = (l2 / 2) / ((d->K + 1) * nr * (int64_t)sizeof(float));
    if (panels < 1) panels = 1;
    if (panels > panels_total) panels = panels_total;
    while (panels > 1 && (panels_total + panels - 1) / panels < 4 * (int64_t)p->threads)
        panels = (panels + 1) / 2;
    p->nb = panels * nr;
    snprintf(p->name, sizeof p->name, "dense/%s %dx%d", er_isa_name(p->gk->isa), p->gk->mr,
             p->gk->nr);
    *out = p;
    return ER_OK;
}

void er_dense_plan_free(er_dense_plan *p) {
    if (!p) return;
    er_aligned_free(p->w);
    er_free(p);
}

size_t er_dense_scratch_bytes(const er_dense_plan *p) {
    return (((size_t)p->gk->mr * sizeof(float *) + 63) & ~(size_t)63) * (size_t)p->threads;
}

const char *er_dense_algo(const er_dense_plan *p) { return p->name; }

typedef struct dense_ctx {
    const er_dense_plan *p;
    int64_t rows, mtiles;
    const float *x, *z;
    float *y;
    char *scratch;
} dense_ctx;

static void dense_task(void *arg, int64_t begin, int64_t end, int tid) {
    const dense_ctx *c = arg;
    const er_dense_plan *p = c->p;
    const int64_t K = p->d.K, N = p->d.N;
    const int MR = p->gk->mr;
    const size_t slot = ((size_t)MR * sizeof(float *) + 63) & ~(size_t)63;
    const float **a = (const float **)(c->scratch + (size_t)tid * slot);
    const size_t panel = (size_t)p->gk->nr * (1 + (size_t)K);
    for (int64_t u = begin; u < end; u++) {
        const int64_t mt = u % c->mtiles, nbk = u / c->mtiles;
        const int64_t r0 = mt * MR, j0 = nbk * p->nb;
        const int mr = c->rows - r0 < MR ? (int)(c->rows - r0) : MR;
        const int64_t nc = N - j0 < p->nb ? N - j0 : p->nb;
        for (int i = 0; i < mr; i++) a[i] = c->x + (r0 + i) * K;
        float *yt = c->y + r0 * N + j0;
        const float *zt = c->z ? c->z + r0 * N + j0 : NULL;
        p->gk->fn((size_t)mr, (size_t)nc, (size_t)K, 1, a,
                  p->w + (size_t)(j0 / p->gk->nr) * panel, yt, (size_t)N, zt, (size_t)N, &p->mm);
        if (p->vact)
            for (int i = 0; i < mr; i++) p->vact(&p->d.act, yt + i * N, (size_t)nc);
    }
}

void er_dense_run(const er_dense_plan *p, int64_t rows, const float *x, const float *z, float *y,
                  void *scratch, er_threadpool *pool) {
    if (rows < 1) return;
    if (er_threadpool_size(pool) > p->threads) pool = NULL;
    dense_ctx c = {p, rows, (rows + p->gk->mr - 1) / p->gk->mr, x,
                   p->d.has_residual ? z : NULL, y, scratch};
    int64_t nblocks = (p->d.N + p->nb - 1) / p->nb;
    er_parallel_for(pool, nblocks * c.mtiles, 1, dense_task, &c);
}

void er_dense_ref(const er_dense_desc *d, int64_t rows, const float *x, const float *w,
                  const float *b, const float *z, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < d->N; j++) {
            double acc = b ? b[j] : 0.0;
            for (int64_t k = 0; k < d->K; k++)
                acc += (double)x[r * d->K + k] *
                       (double)(d->w_transposed ? w[j * d->K + k] : w[k * d->N + j]);
            if (z) acc += z[r * d->N + j];
            y[r * d->N + j] = (float)acc;
        }
        er_act_apply_ref(&d->act, y + r * d->N, (size_t)d->N);
    }
}
