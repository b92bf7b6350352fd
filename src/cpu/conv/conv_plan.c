/* conv_plan.c - algorithm choice and weight packing for er_conv_run.
 *
 * Choice (once, at plan time, from the descriptor and the ISA level):
 *   depthwise (group == C == M, KH <= 16)    -> CONV_DW: row kernels, 3x3/5x5
 *                                               specialised, any stride/dilation
 *   3x3, stride 1, dilation 1, group 1,
 *   C >= 16, M >= 32 (er_conv_winograd_eligible) -> CONV_WINOGRAD F(4x4, 3x3)
 *   everything else (1x1 any stride, KxK,
 *   grouped, depth multiplier > 1)           -> CONV_IGEMM: indirect GEMM whose
 *                                               row pointers are built per tile
 * A plan owns its packed weights and a zero row; it keeps no pointer to the
 * caller's w/b. Activations: clamps (none/relu/clip) are folded into the
 * kernels' min/max store; the others run vectorized (vact.h) on each output
 * tile right after the kernel wrote it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "cpu/conv/conv_internal.h"

/* Input channels per group below which KxK convolutions use im2col tiles. */
#define ER_IM2COL_MAX_CG 8
#ifndef ER_IM2COL_MIN_K
#define ER_IM2COL_MIN_K 64
#endif

static er_status plan_fail_nomem(er_conv_plan *p) {
    er_conv_plan_free(p);
    return er_fail(ER_ERR_NOMEM, "out of memory planning a convolution");
}

/* Columns per GEMM work unit: as many NR panels as fit half of L2 (the
 * weight block is then read from L2 for every pixel tile), fewer when the
 * threads would otherwise lack work units (mtiles: units per column block). */
int64_t er_conv_pick_nb(const er_conv_plan *p, int64_t Mg, int64_t K, int64_t mtiles) {
    const int64_t nr = p->gk->nr;
    int64_t l2 = er_cpu()->l2_bytes > 0 ? er_cpu()->l2_bytes : 512 * 1024;
    int64_t panels_total = (Mg + nr - 1) / nr;
    int64_t panels = (l2 / 2) / ((K + 1) * nr * (int64_t)sizeof(float));
    if (panels < 1) panels = 1;
    if (panels > panels_total) panels = panels_total;
    while (panels > 1 && mtiles * ((panels_total + panels - 1) / panels) < 4 * (int64_t)p->threads)
        panels = (panels + 1) / 2;
    return panels * nr;
}

/* The packed weights: a pre-packed candidate with exactly this layout and
 * size when one was given (used in place: *fresh = 0), else new memory to
 * pack into (*fresh = 1). NULL when out of memory. */
float *er_conv_take_packed(er_conv_plan *p, size_t floats, int *fresh) {
    for (int i = 0; i < p->n_cands; i++)
        if (p->cands[i].bytes == floats * sizeof(float) &&
            strcmp(p->cands[i].layout, p->layout) == 0 &&
            ((uintptr_t)p->cands[i].data & 63) == 0) {
            *fresh = 0;
            p->w_borrowed = 1;
            return (float *)(uintptr_t)p->cands[i].data; /* read-only: never written */
        }
    *fresh = 1;
    return er_aligned_alloc(floats * sizeof(float));
}

static er_status plan_igemm(er_conv_plan *p, const float *w, const float *b) {
    const er_conv_desc *d = &p->d;
    int64_t Cg = d->C / d->group, Mg = d->M / d->group, ks = d->KH * d->KW;
    p->gk = er_f32_gemm_pick(p->isa, Mg);
    size_t per = er_f32_gemm_packed_floats(Mg, ks * Cg, p->gk->nr), total;
    if (!per || !er_mul_size(&total, per, (size_t)d->group) || total > SIZE_MAX / sizeof(float))
        return er_fail(ER_ERR_SHAPE, "convolution weights too large to pack (%lld x %lld x %lld)",
                       (long long)d->M, (long long)Cg, (long long)ks);
    snprintf(p->layout, sizeof p->layout, "f32-gemm/%s/nr%d/g%lld", er_isa_name(p->gk->isa),
             p->gk->nr, (long long)d->group);
    int fresh;
    p->w = er_conv_take_packed(p, total, &fresh);
    if (!p->w) return ER_ERR_NOMEM;
    p->w_group_floats = per;
    for (int64_t g = 0; fresh && g < d->group; g++)
        er_f32_gemm_pack(Mg, ks, Cg, p->gk->nr, w + g * Mg * Cg * ks, 1, ks, Cg * ks,
                         b ? b + g * Mg : NULL, p->w + (size_t)g * per);
    int64_t P = d->N * d->OH * d->OW;
    int64_t mtiles = (P + p->gk->mr - 1) / p->gk->mr;
    p->nb = er_conv_pick_nb(p, Mg, ks * Cg, mtiles * d->group);
    p->scratch_per_thread = (size_t)p->gk->mr * (size_t)ks * sizeof(float *);
    p->simple_1x1 = ks == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
                    d->pad_left == 0 && d->H == d->OH && d->W == d->OW;
    p->tap_off = er_malloc((size_t)ks * sizeof(int64_t));
    if (!p->tap_off) return ER_ERR_NOMEM;
    for (int64_t kh = 0; kh < d->KH; kh++)
        for (int64_t kw = 0; kw < d->KW; kw++)
            p->tap_off[kh * d->KW + kw] = (kh * d->dil_h * d->W + kw * d->dil_w) * d->C;
    /* Few channels per tap (stems: C = 3) make the kernel switch row
     * pointers every kc < 8 steps; an im2col block per pixel tile gives it
     * one long k loop instead. Measured (conv_bench, avx512): resnet18's 7x7
     * stem (K = 147) 2.67 -> 2.53 ms; mobilenet_v2's 3x3 stem (K = 27) got
     * slower (0.38 -> 0.40 ms: the copy costs as much as the short k loop
     * saves), hence the K >= 64 condition. */
    if (Cg < ER_IM2COL_MAX_CG && ks > 1 && ks * Cg >= ER_IM2COL_MIN_K) {
        p->im2col = 1;
        p->scratch_per_thread = (((size_t)p->gk->mr * sizeof(float *) + 63) & ~(size_t)63) +
                                (size_t)p->gk->mr * (size_t)(ks * Cg) * sizeof(float);
    } else if (Cg < ER_IM2COL_MAX_CG && d->group == 1 && d->KW > 1 && d->KW <= 16 &&
               d->dil_w == 1) {
        /* Row taps: in NHWC the KW*C inputs of one window row are adjacent,
         * and the packed K order (kh, kw, c) is the same, so KH taps of
         * KW*C replace KH*KW taps of C. Pixels whose window row crosses the
         * left/right border get that row assembled (with zeros) in scratch.
         * Measured (conv_bench, avx512, 1 thread) on the 3x3 s2 stems:
         * RESULTS in docs/layout.md ("Stems"). */
        p->row_taps = 1;
        p->scratch_per_thread = (((size_t)p->gk->mr * (size_t)d->KH * sizeof(float *) + 63) &
                                 ~(size_t)63) +
                                (size_t)p->gk->mr * (size_t)(d->KH * d->KW * Cg) * sizeof(float);
    }
    p->algo = CONV_IGEMM;
    const char *kind = ks == 1 ? (d->stride_h == 1 && d->stride_w == 1 ? "gemm1x1" : "gemm1x1s")
                     : p->im2col ? "im2col" : p->row_taps ? "igemm-rows" : "igemm";
    snprintf(p->name, sizeof p->name, "%s%s/%s %dx%d", kind, d->group > 1 ? "-grouped" : "",
             er_isa_name(p->gk->isa), p->gk->mr, p->gk->nr);
    return ER_OK;
}

static er_status plan_dw(er_conv_plan *p, const float *w, const float *b) {
    const er_conv_desc *d = &p->d;
    int64_t ks = d->KH * d->KW;
    p->dk = er_f32_dwconv_pick(p->isa, d->KH, d->KW);
    p->cpad = (size_t)((d->C + ER_DWCONV_CPAD - 1) / ER_DWCONV_CPAD * ER_DWCONV_CPAD);
    size_t n;
    if (!er_mul_size(&n, p->cpad, (size_t)ks + 1) || n > SIZE_MAX / sizeof(float))
        return er_fail(ER_ERR_SHAPE, "depthwise weights too large");
    snprintf(p->layout, sizeof p->layout, "f32-dw/cpad%zu/k%lldx%lld", p->cpad, (long long)d->KH,
             (long long)d->KW);
    int fresh;
    p->w = er_conv_take_packed(p, n, &fresh);
    if (!p->w) return ER_ERR_NOMEM;
    if (fresh) memset(p->w, 0, n * sizeof(float));
    for (int64_t c = 0; fresh && c < d->C; c++) {
        p->w[c] = b ? b[c] : 0.0f;
        for (int64_t t = 0; t < ks; t++) p->w[(size_t)(1 + t) * p->cpad + (size_t)c] = w[c * ks + t];
    }
    er_f32_dwconv_row *r = &p->dw_row;
    r->kh = (size_t)d->KH;
    r->kw = (size_t)d->KW;
    r->in_w = (size_t)d->W;
    r->pixel_stride = (size_t)d->C;
    r->stride = (size_t)d->stride_w;
    r->dil = (size_t)d->dil_w;
    r->pad_left = (size_t)d->pad_left;
    r->out_w = (size_t)d->OW;
    r->zero = p->zero;
    er_dwconv_interior(r);
    p->scratch_per_thread = 0;
    p->algo = CONV_DW;
    snprintf(p->name, sizeof p->name, "dwconv%lldx%lld/%s", (long long)d->KH, (long long)d->KW,
             p->dk->name);
    return ER_OK;
}

er_status er_conv_plan_create(const er_conv_desc *d, const float *w, const float *b, er_isa isa,
                              int threads, er_conv_plan **out) {
    return er_conv_plan_create_packed(d, w, b, isa, threads, NULL, 0, out);
}

const char *er_conv_plan_layout(const er_conv_plan *p) { return p->layout; }

er_status er_conv_plan_packed(const er_conv_plan *p, const void **data, size_t *bytes) {
    size_t floats = 0;
    switch (p->algo) {
    case CONV_IGEMM: floats = p->w_group_floats * (size_t)p->d.group; break;
    case CONV_WINOGRAD: floats = p->w_group_floats * 36; break;
    case CONV_DW: floats = p->cpad * (size_t)(p->d.KH * p->d.KW + 1); break;
    }
    *data = p->w;
    *bytes = floats * sizeof(float);
    return p->w && floats ? ER_OK : ER_ERR_INVALID_ARG;
}

er_status er_conv_plan_create_packed(const er_conv_desc *d, const float *w, const float *b,
                                     er_isa isa, int threads, const er_packed_blob *cands,
                                     int n_cands, er_conv_plan **out) {
    *out = NULL;
    if (d->N < 1 || d->H < 1 || d->W < 1 || d->C < 1 || d->M < 1 || d->KH < 1 || d->KW < 1 ||
        d->group < 1 || d->C % d->group || d->M % d->group || d->stride_h < 1 ||
        d->stride_w < 1 || d->dil_h < 1 || d->dil_w < 1 || d->OH < 1 || d->OW < 1 ||
        d->pad_top < 0 || d->pad_left < 0 || d->pad_bottom < 0 || d->pad_right < 0)
        return er_fail(ER_ERR_INVALID_ARG,
                       "convolution descriptor: N %lld H %lld W %lld C %lld M %lld kernel "
                       "%lldx%lld group %lld output %lldx%lld: sizes must be positive and "
                       "group must divide C and M",
                       (long long)d->N, (long long)d->H, (long long)d->W, (long long)d->C,
                       (long long)d->M, (long long)d->KH, (long long)d->KW, (long long)d->group,
                       (long long)d->OH, (long long)d->OW);
    er_conv_plan *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory planning a convolution");
    p->d = *d;
    p->isa = isa;
    p->threads = threads < 1 ? 1 : threads;
    p->vact = er_f32_epilogue(&d->act, isa, &p->mm);
    /* the zero row: igemm reads C floats through a padding pointer, the
     * depthwise kernels a whole input row (W*C) */
    int dw = d->group == d->C && d->M == d->C && d->KH <= ER_DW_MAX_KH;
    size_t zn;
    /* (row taps read KW*C floats: the stems' KW <= 16 always fit) */
    if (!er_mul_size(&zn, (size_t)d->C, dw ? (size_t)d->W : (size_t)(d->KW > 0 && d->KW <= 16 ? d->KW : 1)) ||
        zn > SIZE_MAX / sizeof(float)) {
        er_conv_plan_free(p);
        return er_fail(ER_ERR_SHAPE, "convolution input row too large (%lld x %lld)",
                       (long long)d->W, (long long)d->C);
    }
    p->zero = er_aligned_alloc(zn * sizeof(float));
    if (!p->zero) return plan_fail_nomem(p);
    memset(p->zero, 0, zn * sizeof(float));
    p->cands = cands;
    p->n_cands = cands ? n_cands : 0;

    er_status st;
    if (dw)
        st = plan_dw(p, w, b);
    else if (er_conv_winograd_eligible(d))
        st = er_conv_plan_winograd(p, w, b);
    else
        st = plan_igemm(p, w, b);
    p->cands = NULL; /* the caller's list is not kept */
    p->n_cands = 0;
    if (st != ER_OK) {
        er_conv_plan_free(p);
        return st == ER_ERR_NOMEM ? er_fail(ER_ERR_NOMEM, "out of memory packing convolution "
                                                          "weights")
                                  : st;
    }
    p->scratch_per_thread = (p->scratch_per_thread + 63) & ~(size_t)63;
    p->scratch_shared = (p->scratch_shared + 63) & ~(size_t)63;
    *out = p;
    return ER_OK;
}

void er_conv_plan_free(er_conv_plan *p) {
    if (!p) return;
    if (!p->w_borrowed) er_aligned_free(p->w);
    er_aligned_free(p->zero);
    er_aligned_free(p->wg_bias);
    er_free(p->tap_off);
    er_free(p);
}

size_t er_conv_scratch_bytes(const er_conv_plan *p) {
    return p->scratch_shared + p->scratch_per_thread * (size_t)p->threads;
}

const char *er_conv_algo(const er_conv_plan *p) { return p->name; }

void er_conv_run(const er_conv_plan *p, const float *x, const float *z, float *y, void *scratch,
                 er_threadpool *pool) {
    /* scratch was sized for p->threads; a bigger pool would overrun it */
    if (er_threadpool_size(pool) > p->threads) pool = NULL;
    if (!p->d.has_residual) z = NULL;
    switch (p->algo) {
    case CONV_IGEMM: er_conv_run_igemm(p, x, z, y, scratch, pool); break;
    case CONV_DW: er_conv_run_dw(p, x, z, y, scratch, pool); break;
    case CONV_WINOGRAD: er_conv_run_winograd(p, x, z, y, scratch, pool); break;
    }
}
