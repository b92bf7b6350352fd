/* er_f32_dwconv_minmax_anyp4c__scalar.c - portable C depthwise row kernel,
 * any tap count, 4-channel groups the compiler can vectorize. See dwconv.h. */
#include "cpu/conv/dwconv.h"

void er_f32_dwconv_minmax_anyp4c__scalar(size_t channels, size_t width, size_t ks,
                                         const float *const *in, const float *w, size_t cpad,
                                         float *y, size_t ys, const float *z, size_t zs,
                                         const er_f32_minmax_params *p) {
    const float vmin = p->min, vmax = p->max;
    for (size_t x = 0; x < width; x++) {
        const float *const *ip = in + x * ks;
        float *yp = y + x * ys;
        const float *zp = z ? z + x * zs : NULL;
        size_t c0 = 0;
        for (; c0 + 4 <= channels; c0 += 4) {
            float acc[4];
            for (int j = 0; j < 4; j++) acc[j] = w[c0 + j];
            for (size_t t = 0; t < ks; t++) {
                const float *xp = ip[t] + c0, *wp = w + (1 + t) * cpad + c0;
                for (int j = 0; j < 4; j++) acc[j] += xp[j] * wp[j];
            }
            for (int j = 0; j < 4; j++) {
                float v = acc[j] + (zp ? zp[c0 + j] : 0.0f);
                v = v < vmin ? vmin : v;
                yp[c0 + j] = v > vmax ? vmax : v;
            }
        }
        for (; c0 < channels; c0++) {
            float acc = w[c0];
            for (size_t t = 0; t < ks; t++) acc += ip[t][c0] * w[(1 + t) * cpad + c0];
            if (zp) acc += zp[c0];
            acc = acc < vmin ? vmin : acc;
            yp[c0] = acc > vmax ? vmax : acc;
        }
    }
}
