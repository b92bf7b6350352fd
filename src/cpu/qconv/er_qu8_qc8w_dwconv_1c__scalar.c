/* er_qu8_qc8w_dwconv_1c__scalar.c - portable int8 depthwise microkernel
 * (ER_QDW_PLAIN layout), one channel at a time. */
#include <string.h>

#include "cpu/qconv/qdwconv.h"

void er_qu8_qc8w_dwconv_1c__scalar(size_t channels, size_t out_w, const uint8_t *const *in,
                                   size_t ks, const void *w, uint8_t *y, size_t y_stride,
                                   uint32_t xr, const er_qgemm_params *p) {
    size_t block = er_qdw_block_bytes(ER_QDW_PLAIN, ks), off_q = er_qdw_off_q(ER_QDW_PLAIN, ks);
    for (size_t c0 = 0; c0 < channels; c0 += ER_QDW_CT) {
        const unsigned char *base = (const unsigned char *)w + (c0 / ER_QDW_CT) * block;
        const int16_t *wp = (const int16_t *)(base + er_qdw_off_w());
        const int64_t *mult = (const int64_t *)(base + off_q), *cpos = mult + ER_QDW_CT,
                      *dneg = cpos + ER_QDW_CT, *rsh = dneg + ER_QDW_CT;
        const int32_t *left = (const int32_t *)(rsh + ER_QDW_CT);
        size_t cnt = channels - c0 < ER_QDW_CT ? channels - c0 : ER_QDW_CT;
        for (size_t x = 0; x < out_w; x++)
            for (size_t c = 0; c < cnt; c++) {
                int32_t b;
                memcpy(&b, base + 4 * c, 4);
                uint32_t acc = (uint32_t)b;
                for (size_t t = 0; t < ks; t++)
                    acc += (uint32_t)((int32_t)(in[x * ks + t][c0 + c] ^ (uint8_t)xr) *
                                      (int32_t)wp[t * ER_QDW_CT + c]);
                int32_t v;
                memcpy(&v, &acc, 4);
                size_t sl = er_qslot(c, ER_QDW_CT);
                int64_t r = er_qmbqm64(v, mult[sl], cpos[sl], dneg[sl], rsh[sl], left[c]);
                r = r < p->lo ? p->lo : r > p->hi ? p->hi : r;
                y[x * y_stride + c0 + c] = (uint8_t)(int32_t)(r + p->zp);
            }
    }
}
