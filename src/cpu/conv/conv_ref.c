/* conv_ref.c - the reference NHWC convolution: the definition every fast
 * path is tested against. */
#include "conv.h"

void er_conv_ref(const er_conv_desc *d, const float *x, const float *w, const float *b,
                 const float *z, float *y) {
    int64_t Cg = d->C / d->group, Mg = d->M / d->group;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                float *yp = y + ((n * d->OH + oh) * d->OW + ow) * d->M;
                for (int64_t m = 0; m < d->M; m++) {
                    int64_t g = m / Mg;
                    double acc = b ? b[m] : 0.0;
                    for (int64_t kh = 0; kh < d->KH; kh++) {
                        int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
                        if (ih < 0 || ih >= d->H) continue;
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            int64_t iw = ow * d->stride_w - d->pad_left + kw * d->dil_w;
                            if (iw < 0 || iw >= d->W) continue;
                            const float *xp = x + ((n * d->H + ih) * d->W + iw) * d->C + g * Cg;
                            const float *wp = w + ((m * Cg) * d->KH + kh) * d->KW + kw;
                            for (int64_t c = 0; c < Cg; c++)
                                acc += (double)xp[c] * (double)wp[c * d->KH * d->KW];
                        }
                    }
                    if (z) acc += z[((n * d->OH + oh) * d->OW + ow) * d->M + m];
                    yp[m] = (float)acc;
                }
                er_act_apply_ref(&d->act, yp, (size_t)d->M);
            }
}
