/* conv_dw.c - depthwise convolution (group == C == M) on NHWC activations.
 *
 * Work units are output rows (n, oh), split statically over the threads.
 * For each row the unit finds the KH input rows of the window (the plan's
 * zero row, W*C zeros, for a padding row), calls the row microkernel (dwconv.h) over all channels,
 * then applies a non-clamp activation to the row while it is in cache. Each output element is
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
    (void)tid;
    const float *rows[ER_DW_MAX_KH];
    er_f32_dwconv_row r = p->dw_row;
    r.rows = rows;
    for (int64_t u = begin; u < end; u++) {
        int64_t n = u / d->OH, oh = u % d->OH;
        const float *img = c->x + n * d->H * d->W * d->C;
        for (int64_t kh = 0; kh < d->KH; kh++) {
            int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
            rows[kh] = ih >= 0 && ih < d->H ? img + ih * d->W * d->C : p->zero;
        }
        float *yr = c->y + u * d->OW * d->M;
        const float *zr = c->z ? c->z + u * d->OW * d->M : NULL;
        p->dk->fn((size_t)d->C, &r, p->w, p->cpad, yr, (size_t)d->M, zr, (size_t)d->M, &p->mm);
        if (p->vact) p->vact(&d->act, yr, (size_t)(d->OW * d->M));
    }
}

void er_conv_run_dw(const er_conv_plan *p, const float *x, const float *z, float *y,
                    void *scratch, er_threadpool *pool) {
    dw_ctx c = {p, x, z, y, scratch};
    er_parallel_for(pool, p->d.N * p->d.OH, 1, dw_task, &c);
}
