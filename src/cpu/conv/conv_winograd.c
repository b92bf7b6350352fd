/* conv_winograd.c - 3x3 stride-1 convolution by Winograd F(4x4, 3x3).
 *
 * Plan: U[xi] = (G g G^T)[xi] for every (m, c), computed in double and
 * packed per xi as a [C x M] GEMM weight block (no bias: the bias is added
 * by the output transform). Run, in three statically partitioned phases:
 *   1. input transform of all T tiles: V[36][T][C]            (scratch)
 *   2. 36 GEMMs  Mb[xi] = V[xi] (T x C) * U[xi] (C x M)       (scratch)
 *   3. output transform + bias + residual + clamp, then a non-clamp
 *      activation on each tile's rows while they are in cache.
 * Multiplications per output: 36*C*M / 16 against 9*C*M for the direct
 * form (2.25x fewer), for 4x the weight bytes. Phase 2 streams every U once
 * per run, so Winograd pays only while T is large enough that the weight
 * stream does not dominate (er_conv_winograd_eligible; measured with
 * bench/kernels/conv_bench, see the numbers there).
 *
 * Accuracy: the transforms have coefficients up to 8 (A) and 5 (B), so
 * rounding errors are larger than the direct sum's; on random data in
 * [-1, 1] the error stays far within the kernel tests' 1e-4 * max(1, |ref|)
 * (tests/kernels/test_conv.c, conv_winograd_* tests). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "core/threadpool.h"
#include "cpu/conv/conv_internal.h"
#include "cpu/conv/winograd.h"

/* G of F(4x4, 3x3) for the points 0, +-1, +-2, infinity. */
static const double k_G[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
};

/* Output tiles of the whole batch. */
static int64_t wg_tiles(const er_conv_desc *d) {
    return d->N * ((d->OH + 3) / 4) * ((d->OW + 3) / 4);
}

/* Input channels from which Winograd wins: 16 measured on squeezenet's
 * 55x55 16->64 layers (bench/kernels/conv_bench, 1 thread): 0.507 ->
 * 0.237 ms with AVX-512, 0.513 -> 0.319 ms with AVX2; the GEMM's K = C is
 * short there, but the 4x fewer multiplies still pay for the transforms. */
#ifndef ER_WG_MIN_C
#define ER_WG_MIN_C 16
#endif
int er_conv_winograd_eligible(const er_conv_desc *d) {
    if (d->KH != 3 || d->KW != 3 || d->stride_h != 1 || d->stride_w != 1 || d->dil_h != 1 ||
        d->dil_w != 1 || d->group != 1 || d->C < ER_WG_MIN_C || d->M < 32)
        return 0;
    /* Phase 2 streams 36*C*M weights for T tiles: require enough tiles per
     * weight byte (below this the direct igemm wins; measured on resnet18's
     * 7x7x512 layer, T = 4, and 14x14x256, T = 16). */
    return wg_tiles(d) >= 16;
}

static er_f32_winograd_input_fn input_fn(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa == ER_ISA_AVX512) return er_f32_winograd_input__avx512;
    if (isa == ER_ISA_AVX2) return er_f32_winograd_input__avx2;
#else
    (void)isa;
#endif
    return er_f32_winograd_input__scalar;
}

static er_f32_winograd_output_fn output_fn(er_isa isa) {
#if ER_ARCH_X86_64
    if (isa == ER_ISA_AVX512) return er_f32_winograd_output__avx512;
    if (isa == ER_ISA_AVX2) return er_f32_winograd_output__avx2;
#else
    (void)isa;
#endif
    return er_f32_winograd_output__scalar;
}

er_status er_conv_plan_winograd(er_conv_plan *p, const float *w, const float *b) {
    const er_conv_desc *d = &p->d;
    const int64_t C = d->C, M = d->M, T = wg_tiles(d);
    p->gk = er_f32_gemm_pick(p->isa, M);
    size_t per = er_f32_gemm_packed_floats(M, C, p->gk->nr), total, cm;
    if (!per || !er_mul_size(&total, per, 36) || total > SIZE_MAX / sizeof(float) ||
        !er_mul_size(&cm, (size_t)C, (size_t)M) || cm > SIZE_MAX / 36 / sizeof(float))
        return er_fail(ER_ERR_SHAPE, "Winograd weights too large (%lld x %lld)", (long long)M,
                       (long long)C);
    snprintf(p->layout, sizeof p->layout, "f32-winograd4x4/%s/nr%d", er_isa_name(p->gk->isa),
             p->gk->nr);
    int fresh;
    p->w = er_conv_take_packed(p, total, &fresh);
    p->wg_bias = b ? er_aligned_alloc((size_t)M * sizeof(float)) : NULL;
    if (!p->w || (b && !p->wg_bias)) return ER_ERR_NOMEM;
    if (b) memcpy(p->wg_bias, b, (size_t)M * sizeof(float));
    /* Transform each 3x3 kernel to 6x6 (U = G g G^T) and store it straight
     * into the 36 packed GEMM operands, in er_f32_gemm_pack's layout: panels
     * of nr output channels, each nr (zero) bias slots then C rows of nr.
     * Zero-filled first, so padding columns and bias slots stay 0.
     * For one input channel c at a time, all M kernels: their taps gathered
     * into rows of M (gt), then G g and (G g) G^T as loops over m that the
     * compiler vectorizes, each result row stored panel by panel. In float
     * (it was double per kernel: 14% of resnet18's session creation); the
     * coefficients' rounding (relative 6e-8) is far below Winograd's own
     * error bound (conv.h). */
    const int64_t nr = p->gk->nr;
    if (fresh) {
        memset(p->w, 0, total * sizeof(float));
        float G[6][3];
        for (int i = 0; i < 6; i++)
            for (int a = 0; a < 3; a++) G[i][a] = (float)k_G[i][a];
        float *gt = er_malloc((size_t)(9 + 18 + 1) * (size_t)M * sizeof(float));
        if (!gt) return ER_ERR_NOMEM;
        float *gg = gt + 9 * M, *row = gg + 18 * M; /* gg[i*3+j][m]; one result row */
        for (int64_t c = 0; c < C; c++) {
            for (int64_t m = 0; m < M; m++)
                for (int t = 0; t < 9; t++) gt[t * M + m] = w[(m * C + c) * 9 + t];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 3; j++) {
                    float *o = gg + (i * 3 + j) * M;
                    const float *g0 = gt + j * M, *g1 = gt + (3 + j) * M, *g2 = gt + (6 + j) * M;
                    for (int64_t m = 0; m < M; m++)
                        o[m] = G[i][0] * g0[m] + G[i][1] * g1[m] + G[i][2] * g2[m];
                }
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    const float *h0 = gg + (i * 3) * M, *h1 = h0 + M, *h2 = h1 + M;
                    for (int64_t m = 0; m < M; m++)
                        row[m] = h0[m] * G[j][0] + h1[m] * G[j][1] + h2[m] * G[j][2];
                    float *plane = p->w + (size_t)(i * 6 + j) * per + (size_t)nr +
                                   (size_t)c * (size_t)nr;
                    for (int64_t m0 = 0; m0 < M; m0 += nr)
                        memcpy(plane + (size_t)(m0 / nr) * (size_t)(nr * (C + 1)), row + m0,
                               (size_t)(M - m0 < nr ? M - m0 : nr) * sizeof(float));
                }
        }
        er_free(gt);
    }
    p->w_group_floats = per;
    p->wg_tiles = T;
    p->wg_in = input_fn(p->isa);
    p->wg_out = output_fn(p->isa);
    /* scratch: V and Mb, then MR row pointers per thread */
    p->wg_v_bytes = ((size_t)(36 * T * C) * sizeof(float) + 63) & ~(size_t)63;
    p->wg_m_bytes = ((size_t)(36 * T * M) * sizeof(float) + 63) & ~(size_t)63;
    p->scratch_shared = p->wg_v_bytes + p->wg_m_bytes;
    p->scratch_per_thread = (size_t)p->gk->mr * sizeof(float *);
    p->nb = er_conv_pick_nb(p, M, C, 36 * ((T + p->gk->mr - 1) / p->gk->mr));
    p->algo = CONV_WINOGRAD;
    snprintf(p->name, sizeof p->name, "winograd4x4/%s %dx%d", er_isa_name(p->gk->isa),
             p->gk->mr, p->gk->nr);
    return ER_OK;
}

typedef struct wg_ctx {
    const er_conv_plan *p;
    const float *x, *z;
    float *y, *V, *Mb;
    char *ptrs; /* per-thread row pointers */
    int64_t mtiles, nblocks;
} wg_ctx;

static void wg_input_task(void *arg, int64_t begin, int64_t end, int tid) {
    const wg_ctx *c = arg;
    (void)tid;
    c->p->wg_in(&c->p->d, c->x, begin, end, c->p->wg_tiles, c->V);
}

static void wg_gemm_task(void *arg, int64_t begin, int64_t end, int tid) {
    const wg_ctx *c = arg;
    const er_conv_plan *p = c->p;
    const int64_t T = p->wg_tiles, C = p->d.C, M = p->d.M;
    const int MR = p->gk->mr;
    const float **a = (const float **)(c->ptrs + (size_t)tid * p->scratch_per_thread);
    const size_t panel = (size_t)p->gk->nr * (1 + (size_t)C);
    const er_f32_minmax_params none = {-INFINITY, INFINITY};
    for (int64_t u = begin; u < end; u++) {
        int64_t mt = u % c->mtiles, rest = u / c->mtiles;
        int64_t nbk = rest % c->nblocks, xi = rest / c->nblocks;
        int64_t t0 = mt * MR;
        int mr = T - t0 < MR ? (int)(T - t0) : MR;
        int64_t j0 = nbk * p->nb, nc = M - j0 < p->nb ? M - j0 : p->nb;
        for (int i = 0; i < mr; i++) a[i] = c->V + (xi * T + t0 + i) * C;
        const float *w = p->w + (size_t)xi * p->w_group_floats + (size_t)(j0 / p->gk->nr) * panel;
        p->gk->fn((size_t)mr, (size_t)nc, (size_t)C, 1, a, w, c->Mb + (xi * T + t0) * M + j0,
                  (size_t)M, NULL, 0, &none);
    }
}

static void wg_output_task(void *arg, int64_t begin, int64_t end, int tid) {
    const wg_ctx *c = arg;
    const er_conv_plan *p = c->p;
    const er_conv_desc *d = &p->d;
    (void)tid;
    if (!p->vact) {
        p->wg_out(d, c->Mb, begin, end, p->wg_tiles, p->wg_bias, c->z, c->y, &p->mm);
        return;
    }
    const int64_t th = (d->OH + 3) / 4, tw = (d->OW + 3) / 4;
    for (int64_t t = begin; t < end; t++) {
        p->wg_out(d, c->Mb, t, t + 1, p->wg_tiles, p->wg_bias, c->z, c->y, &p->mm);
        const int64_t n = t / (th * tw), i = t / tw % th, j = t % tw;
        const int64_t rows = d->OH - 4 * i < 4 ? d->OH - 4 * i : 4;
        const int64_t cols = d->OW - 4 * j < 4 ? d->OW - 4 * j : 4;
        for (int64_t r = 0; r < rows; r++)
            p->vact(&d->act, c->y + ((n * d->OH + 4 * i + r) * d->OW + 4 * j) * d->M,
                    (size_t)(cols * d->M));
    }
}

void er_conv_run_winograd(const er_conv_plan *p, const float *x, const float *z, float *y,
                          void *scratch, er_threadpool *pool) {
    char *s = scratch;
    wg_ctx c = {p, x, z, y, (float *)s, (float *)(s + p->wg_v_bytes), s + p->scratch_shared,
                0, 0};
    const int64_t T = p->wg_tiles;
    c.mtiles = (T + p->gk->mr - 1) / p->gk->mr;
    c.nblocks = (p->d.M + p->nb - 1) / p->nb;
    er_parallel_for(pool, T, 1, wg_input_task, &c);
    er_parallel_for(pool, 36 * c.nblocks * c.mtiles, 1, wg_gemm_task, &c);
    er_parallel_for(pool, T, 1, wg_output_task, &c);
}
