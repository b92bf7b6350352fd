/* conv_plan.c - algorithm choice and weight packing for er_conv_run.
 *
 * Current algorithms: the reference loop on a private copy of the weights.
 * (Fast paths are added here; each must match er_conv_ref.) */
#include <string.h>

#include "conv.h"
#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"

struct er_conv_plan {
    er_conv_desc d;
    float *w, *b;
    const char *algo;
};

er_status er_conv_plan_create(const er_conv_desc *d, const float *w, const float *b, er_isa isa,
                              int threads, er_conv_plan **out) {
    (void)isa;
    (void)threads;
    *out = NULL;
    size_t wn;
    if (!er_mul_size(&wn, (size_t)d->M, (size_t)(d->C / d->group)) ||
        !er_mul_size(&wn, wn, (size_t)(d->KH * d->KW)))
        return er_fail(ER_ERR_SHAPE, "conv weights too large");
    er_conv_plan *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory planning a convolution");
    p->d = *d;
    p->w = er_aligned_alloc(wn * sizeof(float));
    p->b = b ? er_aligned_alloc((size_t)d->M * sizeof(float)) : NULL;
    if (!p->w || (b && !p->b)) {
        er_conv_plan_free(p);
        return er_fail(ER_ERR_NOMEM, "out of memory packing convolution weights");
    }
    memcpy(p->w, w, wn * sizeof(float));
    if (b) memcpy(p->b, b, (size_t)d->M * sizeof(float));
    p->algo = "reference";
    *out = p;
    return ER_OK;
}

void er_conv_plan_free(er_conv_plan *p) {
    if (!p) return;
    er_aligned_free(p->w);
    er_aligned_free(p->b);
    er_free(p);
}

size_t er_conv_scratch_bytes(const er_conv_plan *p) {
    (void)p;
    return 0;
}

const char *er_conv_algo(const er_conv_plan *p) { return p->algo; }

void er_conv_run(const er_conv_plan *p, const float *x, const float *z, float *y, void *scratch,
                 er_threadpool *pool) {
    (void)scratch;
    (void)pool;
    er_conv_ref(&p->d, x, p->w, p->b, p->d.has_residual ? z : NULL, y);
}
