/* er_f32_dwconv_minmax_anyp4c__scalar.c - portable C depthwise row kernel,
 * any kh x kw, 4-channel groups the compiler can vectorize. See dwconv.h. */
#include "cpu/conv/dwconv.h"

void er_f32_dwconv_minmax_anyp4c__scalar(size_t channels, const er_f32_dwconv_row *r,
                                         const float *w, size_t cpad, float *y, size_t ys,
                                         const float *z, size_t zs,
                                         const er_f32_minmax_params *p) {
    const float vmin = p->min, vmax = p->max;
    const size_t C = r->pixel_stride;
    for (size_t x = 0; x < r->out_w; x++) {
        float *yp = y + x * ys;
        const float *zp = z ? z + x * zs : NULL;
        for (size_t c0 = 0; c0 < channels; c0 += 4) {
            const size_t n = channels - c0 < 4 ? channels - c0 : 4;
            float acc[4] = {0, 0, 0, 0};
            for (size_t j = 0; j < 4; j++) acc[j] = w[c0 + j]; /* cpad >= c0 + 4 */
            for (size_t i = 0; i < r->kh; i++)
                for (size_t j = 0; j < r->kw; j++) {
                    const size_t iw = x * r->stride + j * r->dil; /* column + pad_left */
                    if (iw < r->pad_left || iw - r->pad_left >= r->in_w) continue;
                    const float *xp = r->rows[i] + (iw - r->pad_left) * C + c0;
                    const float *wp = w + (1 + i * r->kw + j) * cpad + c0;
                    for (size_t q = 0; q < n; q++) acc[q] += xp[q] * wp[q];
                }
            for (size_t q = 0; q < n; q++) {
                float v = acc[q];
                if (zp) v += zp[c0 + q];
                v = v < vmin ? vmin : v;
                yp[c0 + q] = v > vmax ? vmax : v;
            }
        }
    }
}
