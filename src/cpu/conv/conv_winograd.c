/* conv_winograd.c - Winograd F(4x4, 3x3) (in progress). */
#include "cpu/conv/conv_internal.h"

int er_conv_winograd_eligible(const er_conv_desc *d) {
    (void)d;
    return 0;
}

er_status er_conv_plan_winograd(er_conv_plan *p, const float *w, const float *b) {
    (void)p;
    (void)w;
    (void)b;
    return ER_ERR_UNSUPPORTED;
}

void er_conv_run_winograd(const er_conv_plan *p, const float *x, const float *z, float *y,
                          void *scratch, er_threadpool *pool) {
    (void)p;
    (void)x;
    (void)z;
    (void)y;
    (void)scratch;
    (void)pool;
}
