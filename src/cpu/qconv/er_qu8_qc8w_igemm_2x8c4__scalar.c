/* er_qu8_qc8w_igemm_2x8c4__scalar.c - portable int8 GEMM microkernel: 2 rows
 * x 8 columns, plain C (the compiler may vectorize it). The truth the SIMD
 * variants are checked against, besides the op's reference kernel. */
#include "cpu/qconv/qgemm_variant.h"

#define NR 8

ER_QALWAYS_INLINE void tile(size_t ROWS, size_t MRS, size_t nc, size_t kc4, size_t ks,
                            const uint8_t *const *a, const void *w, uint8_t *c, size_t cs,
                            const er_qgemm_params *p) {
    size_t panel = er_qgemm_panel_stride(NR, ks, kc4);
    size_t off_w = er_qgemm_off_w(NR), off_q = er_qgemm_off_q(NR, ks, kc4);
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / NR) * panel;
        uint32_t acc[2][NR];
        for (size_t r = 0; r < ROWS; r++)
            for (size_t j = 0; j < NR; j++) {
                int32_t b;
                memcpy(&b, base + 4 * j, 4);
                acc[r][j] = (uint32_t)b;
            }
        const int8_t *wp = (const int8_t *)(base + off_w);
        for (size_t t = 0; t < ks; t++)
            for (size_t k = 0; k < kc4; k += 4) {
                for (size_t r = 0; r < ROWS; r++) {
                    const uint8_t *ar = a[t * MRS + r] + k;
                    for (size_t j = 0; j < NR; j++) {
                        const int8_t *wj = wp + j * 4;
                        int32_t s = ar[0] * wj[0] + ar[1] * wj[1] + ar[2] * wj[2] + ar[3] * wj[3];
                        acc[r][j] += (uint32_t)s; /* wraps modulo 2^32 */
                    }
                }
                wp += NR * 4;
            }
        const int64_t *mult = (const int64_t *)(base + off_q), *cpos = mult + NR,
                      *dneg = cpos + NR, *rsh = dneg + NR;
        const int32_t *left = (const int32_t *)(rsh + NR);
        size_t cnt = nc - j0 < NR ? nc - j0 : NR;
        for (size_t r = 0; r < ROWS; r++)
            for (size_t j = 0; j < cnt; j++) {
                int32_t v;
                memcpy(&v, &acc[r][j], 4); /* two's complement view */
                size_t sl = er_qslot(j, NR);
                int64_t y = er_qmbqm64(v, mult[sl], cpos[sl], dneg[sl], rsh[sl], left[j]);
                y = y < p->lo ? p->lo : y > p->hi ? p->hi : y;
                c[r * cs + j0 + j] = (uint8_t)(int32_t)(y + p->zp);
            }
    }
}

ER_QIGEMM_DEFINE(er_qu8_qc8w_igemm_2x8c4__scalar, tile, 2)
