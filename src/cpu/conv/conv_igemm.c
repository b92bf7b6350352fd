/* conv_igemm.c - convolution as (indirect) GEMM on NHWC activations.
 *
 * The output is a [P = N*OH*OW, M] matrix whose row p is output pixel p.
 * Work units are (group, column block, tile of MR pixels), pixel tiles
 * innermost so one column block of packed weights (sized to half of L2 by
 * the plan) is reused from cache by consecutive tiles. For each tile the
 * unit builds, in its thread's scratch, the MR x KH*KW row pointers the
 * microkernel reads: for tap (kh, kw) and pixel p, the input pixel
 * (ih, iw) = (oh*sh - pad_top + kh*dh, ow*sw - pad_left + kw*dw) plus the
 * group's channel offset, or the plan's zero row when (ih, iw) is padding.
 * A 1x1 stride-1 convolution thus reads the input in place (pointer p*C):
 * no im2col, no copies. Units are split statically over the threads and
 * each output element is computed by exactly one unit in a fixed order, so
 * results do not depend on the thread count. */
#include <string.h>

#include "core/threadpool.h"
#include "cpu/conv/conv_internal.h"

typedef struct igemm_ctx {
    const er_conv_plan *p;
    const float *x, *z;
    float *y;
    char *scratch;
    int64_t mtiles, nblocks;
} igemm_ctx;

/* Row pointers for pixels [p0, p0+mr) of group g into a[t*MR + i]. A pixel
 * whose whole window lies inside the image takes base + the plan's tap
 * offsets (one add per tap); border pixels check every tap. */
static void build_rows(const er_conv_plan *p, const float *x, int64_t g, int64_t p0, int mr,
                       const float **a) {
    const er_conv_desc *d = &p->d;
    const int MR = p->gk->mr;
    const int64_t ohw = d->OH * d->OW, goff = g * (d->C / d->group);
    const int64_t ks = d->KH * d->KW, span_h = (d->KH - 1) * d->dil_h, span_w = (d->KW - 1) * d->dil_w;
    const int64_t *off = p->tap_off;
    int64_t n = p0 / ohw, rem = p0 % ohw, oh = rem / d->OW, ow = rem % d->OW;
    if (p->simple_1x1) {
        for (int i = 0; i < mr; i++) a[i] = x + (p0 + i) * d->C + goff;
        return;
    }
    for (int i = 0; i < mr; i++) {
        const float *img = x + n * d->H * d->W * d->C + goff;
        const int64_t ih0 = oh * d->stride_h - d->pad_top, iw0 = ow * d->stride_w - d->pad_left;
        if (ih0 >= 0 && ih0 + span_h < d->H && iw0 >= 0 && iw0 + span_w < d->W) {
            const float *base = img + (ih0 * d->W + iw0) * d->C;
            for (int64_t t = 0; t < ks; t++) a[t * MR + i] = base + off[t];
        } else {
            for (int64_t kh = 0; kh < d->KH; kh++) {
                const int64_t ih = ih0 + kh * d->dil_h;
                for (int64_t kw = 0; kw < d->KW; kw++) {
                    const int64_t iw = iw0 + kw * d->dil_w;
                    a[(kh * d->KW + kw) * MR + i] = ih >= 0 && ih < d->H && iw >= 0 && iw < d->W
                                                        ? img + (ih * d->W + iw) * d->C
                                                        : p->zero;
                }
            }
        }
        if (++ow == d->OW) {
            ow = 0;
            if (++oh == d->OH) {
                oh = 0;
                n++;
            }
        }
    }
}

/* Row-tap pointers (p->row_taps) for pixels [p0, p0+mr): a[kh*MR + i] is
 * the first of the KW*C adjacent inputs of window row kh; rows above or
 * below the image read the zero row; a row crossing the left or right
 * border is assembled in edge + (i*KH + kh)*KW*C with zeros. */
static void build_row_taps(const er_conv_plan *p, const float *x, int64_t p0, int mr,
                           const float **a, float *edge) {
    const er_conv_desc *d = &p->d;
    const int MR = p->gk->mr;
    const int64_t ohw = d->OH * d->OW, C = d->C, run = d->KW * C;
    int64_t n = p0 / ohw, rem = p0 % ohw, oh = rem / d->OW, ow = rem % d->OW;
    for (int i = 0; i < mr; i++) {
        const float *img = x + n * d->H * d->W * C;
        const int64_t ih0 = oh * d->stride_h - d->pad_top, iw0 = ow * d->stride_w - d->pad_left;
        const int inside_w = iw0 >= 0 && iw0 + d->KW <= d->W;
        for (int64_t kh = 0; kh < d->KH; kh++) {
            const int64_t ih = ih0 + kh * d->dil_h;
            if (ih < 0 || ih >= d->H) {
                a[kh * MR + i] = p->zero;
            } else if (inside_w) {
                a[kh * MR + i] = img + (ih * d->W + iw0) * C;
            } else {
                float *dst = edge + ((int64_t)i * d->KH + kh) * run;
                for (int64_t kw = 0; kw < d->KW; kw++) {
                    const int64_t iw = iw0 + kw;
                    if (iw < 0 || iw >= d->W)
                        memset(dst + kw * C, 0, (size_t)C * sizeof(float));
                    else
                        memcpy(dst + kw * C, img + (ih * d->W + iw) * C, (size_t)C * sizeof(float));
                }
                a[kh * MR + i] = dst;
            }
        }
        if (++ow == d->OW) {
            ow = 0;
            if (++oh == d->OH) {
                oh = 0;
                n++;
            }
        }
    }
}

/* im2col of pixels [p0, p0+mr) of group g: row i = the ks*Cg inputs of
 * pixel p0+i in tap-major order (zeros for padding), at blk + i*ks*Cg.
 * A window row whose taps are all inside (dilation 1) is one contiguous
 * run of KW*C floats in NHWC, copied as one run when the group is the
 * whole channel range. */
static void im2col_rows(const er_conv_plan *p, const float *x, int64_t g, int64_t p0, int mr,
                        float *blk) {
    const er_conv_desc *d = &p->d;
    const int64_t ohw = d->OH * d->OW, Cg = d->C / d->group, goff = g * Cg;
    const int64_t K = d->KH * d->KW * Cg;
    for (int i = 0; i < mr; i++) {
        const int64_t pix = p0 + i, n = pix / ohw, oh = pix % ohw / d->OW, ow = pix % d->OW;
        const float *img = x + n * d->H * d->W * d->C + goff;
        float *dst = blk + i * K;
        const int64_t iw0 = ow * d->stride_w - d->pad_left;
        for (int64_t kh = 0; kh < d->KH; kh++) {
            const int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
            float *drow = dst + kh * d->KW * Cg;
            if (ih < 0 || ih >= d->H) {
                for (int64_t q = 0; q < d->KW * Cg; q++) drow[q] = 0.0f;
                continue;
            }
            const float *srow = img + ih * d->W * d->C;
            if (Cg == d->C && d->dil_w == 1 && iw0 >= 0 && iw0 + d->KW <= d->W) {
                const float *src = srow + iw0 * d->C;
                /* the stems' runs (3x3 or 7x7 taps of 3 channels) as
                 * fixed-size copies the compiler inlines as vector moves;
                 * a loop here cost more than the GEMM on 16-channel stems */
                switch (d->KW * Cg) {
                case 9: memcpy(drow, src, 9 * sizeof(float)); break;
                case 21: memcpy(drow, src, 21 * sizeof(float)); break;
                default: memcpy(drow, src, (size_t)(d->KW * Cg) * sizeof(float)); break;
                }
                continue;
            }
            for (int64_t kw = 0; kw < d->KW; kw++) {
                const int64_t iw = iw0 + kw * d->dil_w;
                float *dt = drow + kw * Cg;
                if (iw < 0 || iw >= d->W) {
                    for (int64_t q = 0; q < Cg; q++) dt[q] = 0.0f;
                } else {
                    const float *src = srow + iw * d->C;
                    for (int64_t q = 0; q < Cg; q++) dt[q] = src[q];
                }
            }
        }
    }
}

static void igemm_task(void *arg, int64_t begin, int64_t end, int tid) {
    const igemm_ctx *c = arg;
    const er_conv_plan *p = c->p;
    const er_conv_desc *d = &p->d;
    const int MR = p->gk->mr;
    const int64_t P = d->N * d->OH * d->OW, Cg = d->C / d->group, Mg = d->M / d->group;
    const size_t ks = (size_t)(d->KH * d->KW);
    char *mine = c->scratch + p->scratch_shared + (size_t)tid * p->scratch_per_thread;
    const float **a = (const float **)mine;
    /* im2col plans: MR row pointers, then the MR x ks*Cg block (64-aligned) */
    float *blk = (float *)(mine + (((size_t)MR * sizeof(float *) + 63) & ~(size_t)63));
    const size_t panel = (size_t)p->gk->nr * (1 + ks * (size_t)Cg);
    for (int64_t u = begin; u < end; u++) {
        int64_t mt = u % c->mtiles, rest = u / c->mtiles;
        int64_t nbk = rest % c->nblocks, g = rest / c->nblocks;
        int64_t p0 = mt * MR;
        int mr = P - p0 < MR ? (int)(P - p0) : MR;
        int64_t j0 = nbk * p->nb;
        int64_t nc = Mg - j0 < p->nb ? Mg - j0 : p->nb;
        const float *w = p->w + (size_t)g * p->w_group_floats + (size_t)(j0 / p->gk->nr) * panel;
        float *yt = c->y + p0 * d->M + g * Mg + j0;
        const float *zt = c->z ? c->z + p0 * d->M + g * Mg + j0 : NULL;
        if (p->row_taps) {
            float *edge = (float *)(mine + (((size_t)MR * (size_t)d->KH * sizeof(float *) + 63) &
                                            ~(size_t)63));
            build_row_taps(p, c->x, p0, mr, a, edge);
            p->gk->fn((size_t)mr, (size_t)nc, (size_t)(d->KW * Cg), (size_t)d->KH, a, w, yt,
                      (size_t)d->M, zt, (size_t)d->M, &p->mm);
        } else if (p->im2col) {
            /* one tap of ks*Cg channels: the inner loop runs without tap switches */
            im2col_rows(p, c->x, g, p0, mr, blk);
            for (int i = 0; i < mr; i++) a[i] = blk + (size_t)i * ks * (size_t)Cg;
            p->gk->fn((size_t)mr, (size_t)nc, ks * (size_t)Cg, 1, a, w, yt, (size_t)d->M, zt,
                      (size_t)d->M, &p->mm);
        } else {
            build_rows(p, c->x, g, p0, mr, a);
            p->gk->fn((size_t)mr, (size_t)nc, (size_t)Cg, ks, a, w, yt, (size_t)d->M, zt,
                      (size_t)d->M, &p->mm);
        }
        if (p->vact) {
            if (nc == d->M) /* the tile's rows are contiguous: one call (small M) */
                p->vact(&d->act, yt, (size_t)mr * (size_t)nc);
            else
                for (int i = 0; i < mr; i++) p->vact(&d->act, yt + i * d->M, (size_t)nc);
        }
    }
}

void er_conv_run_igemm(const er_conv_plan *p, const float *x, const float *z, float *y,
                       void *scratch, er_threadpool *pool) {
    const er_conv_desc *d = &p->d;
    igemm_ctx c = {p, x, z, y, scratch, 0, 0};
    int64_t P = d->N * d->OH * d->OW, Mg = d->M / d->group;
    c.mtiles = (P + p->gk->mr - 1) / p->gk->mr;
    c.nblocks = (Mg + p->nb - 1) / p->nb;
    er_parallel_for(pool, d->group * c.nblocks * c.mtiles, 1, igemm_task, &c);
}
