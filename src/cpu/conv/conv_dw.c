/* conv_dw.c - depthwise convolution (group == C == M) on NHWC activations.
 *
 * Work units are output rows (n, oh), split statically over the threads.
 * For each row the unit builds OW x KH*KW input pointers in its thread's
 * scratch (the zero row for padding taps; any stride and dilation), calls
 * the row microkernel (dwconv.h) over all channels, then applies a non-clamp
 * activation to the row while it is in cache. Each output element is
 * computed by one unit in a fixed order: results do not depend on the
 * thread count. */
#include "core/threadpool.h"
#include "cpu/conv/conv_internal.h"

typedef struct dw_ctx {
    const er_conv_plan *p;
    const float *x, *z;
    float *y;
    char *scratch;
} dw_ctx;

static void dw_task(void *arg, int64_t begin, int64_t end, int tid) {
    const dw_ctx *c = arg;
    const er_conv_plan *p = c->p;
    const er_conv_desc *d = &p->d;
    const size_t ks = (size_t)(d->KH * d->KW);
    const float **in = (const float **)(c->scratch + (size_t)tid * p->scratch_per_thread);
    for (int64_t u = begin; u < end; u++) {
        int64_t n = u / d->OH, oh = u % d->OH;
        const float *img = c->x + n * d->H * d->W * d->C;
        for (int64_t kh = 0; kh < d->KH; kh++) {
            int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
            int row_ok = ih >= 0 && ih < d->H;
            for (int64_t kw = 0; kw < d->KW; kw++) {
                const float **col = in + kh * d->KW + kw;
                int64_t iw = -d->pad_left + kw * d->dil_w;
                for (int64_t ow = 0; ow < d->OW; ow++, iw += d->stride_w)
                    col[(size_t)ow * ks] = row_ok && iw >= 0 && iw < d->W
                                               ? img + (ih * d->W + iw) * d->C
                                               : p->zero;
            }
        }
        float *yr = c->y + u * d->OW * d->M;
        const float *zr = c->z ? c->z + u * d->OW * d->M : NULL;
        p->dk->fn((size_t)d->C, (size_t)d->OW, ks, in, p->w, p->cpad, yr, (size_t)d->M, zr,
                  (size_t)d->M, &p->mm);
        if (p->vact) p->vact(&d->act, yr, (size_t)(d->OW * d->M));
    }
}

void er_conv_run_dw(const er_conv_plan *p, const float *x, const float *z, float *y,
                    void *scratch, er_threadpool *pool) {
    dw_ctx c = {p, x, z, y, scratch};
    er_parallel_for(pool, p->d.N * p->d.OH, 1, dw_task, &c);
}
