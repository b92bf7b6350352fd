/* qdwconv_config.c - the list of int8 depthwise variants (qdwconv.inc), the
 * per-ISA choice and the two packing layouts. */
#include <string.h>

#include "cpu/qconv/qdwconv.h"

static const er_qdw_ukernel k_ukernels[] = {
#define ER_QDW_UKERNEL(isa, feature, layout, fn) {#fn, isa, feature, layout, fn},
#include "cpu/qconv/qdwconv.inc"
#undef ER_QDW_UKERNEL
};

const er_qdw_ukernel *er_qdw_ukernels(size_t *count) {
    *count = sizeof k_ukernels / sizeof k_ukernels[0];
    return k_ukernels;
}

const er_qdw_ukernel *er_qdw_pick(er_isa isa, unsigned features) {
    if (isa == ER_ISA_NEON || isa < ER_ISA_SCALAR) isa = ER_ISA_SCALAR;
    for (size_t i = 0; i < sizeof k_ukernels / sizeof k_ukernels[0]; i++) {
        const er_qdw_ukernel *u = &k_ukernels[i];
        if (u->isa <= isa && (u->feature & ~features) == 0) return u;
    }
    return &k_ukernels[sizeof k_ukernels / sizeof k_ukernels[0] - 1];
}

void er_qdw_pack(er_qdw_layout l, int64_t channels, int64_t ks, er_qgemm_wget wget,
                 const void *warg, const int32_t *bias, int32_t zu, const er_qcol *cols,
                 void *out) {
    size_t block = er_qdw_block_bytes(l, (size_t)ks), off_q = er_qdw_off_q(l, (size_t)ks);
    for (int64_t c0 = 0, b = 0; c0 < channels; c0 += ER_QDW_CT, b++) {
        unsigned char *base = (unsigned char *)out + (size_t)b * block;
        memset(base, 0, block);
        int32_t *bp = (int32_t *)base;
        int64_t *mult = (int64_t *)(base + off_q), *cpos = mult + ER_QDW_CT,
                *dneg = cpos + ER_QDW_CT, *rsh = dneg + ER_QDW_CT;
        int32_t *left = (int32_t *)(rsh + ER_QDW_CT);
        for (int i = 0; i < ER_QDW_CT; i++) rsh[i] = 31;
        int64_t cnt = channels - c0 < ER_QDW_CT ? channels - c0 : ER_QDW_CT;
        for (int64_t c = 0; c < cnt; c++) {
            int pos = l == ER_QDW_C4 ? er_qdw_c4_channel((int)c) : (int)c;
            uint32_t sum = 0;
            for (int64_t t = 0; t < ks; t++) {
                int32_t v = wget(warg, t, 0, c0 + c);
                sum += (uint32_t)v;
                if (l == ER_QDW_C4) {
                    /* tap group t/4, vector pos/16, lane dword (pos%16), byte t%4 */
                    int8_t *wp = (int8_t *)(base + er_qdw_off_w());
                    wp[(size_t)(t / 4) * 256 + (size_t)(pos / 16) * 64 + (size_t)(pos % 16) * 4 +
                       (size_t)(t % 4)] = (int8_t)v;
                } else if (l == ER_QDW_P2) { /* pair t/2, channel c, slot t%2 */
                    int16_t *wp = (int16_t *)(base + er_qdw_off_w());
                    size_t at = (size_t)(t / 2) * ER_QDW_CT + (size_t)er_qdw_p2_pos((int)c);
                    wp[at * 2 + (size_t)(t % 2)] = (int16_t)v;
                } else {
                    int16_t *wp = (int16_t *)(base + er_qdw_off_w());
                    wp[(size_t)t * ER_QDW_CT + (size_t)c] = (int16_t)v;
                }
            }
            uint32_t adj = (bias ? (uint32_t)bias[c0 + c] : 0) - (uint32_t)zu * sum;
            memcpy(&bp[pos], &adj, sizeof adj);
            const er_qcol *q = &cols[c0 + c];
            int qpos = l == ER_QDW_C4 && cnt <= 32 ? er_qdw_c4_half_channel((int)c) : pos;
            size_t sl = er_qslot((size_t)qpos, ER_QDW_CT);
            mult[sl] = q->mult;
            cpos[sl] = q->cpos;
            dneg[sl] = q->dneg;
            rsh[sl] = q->rshift;
            left[qpos] = q->left;
        }
    }
}
