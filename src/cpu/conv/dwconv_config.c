/* dwconv_config.c - the list of depthwise microkernels (dwconv.inc) and the
 * per-ISA choice. */
#include "cpu/conv/dwconv.h"

static const er_f32_dwconv_ukernel k_dw[] = {
#define ER_DWCONV_UKERNEL(isa, fn, kh, kw, ct) {#fn, isa, kh, kw, ct, fn},
#include "cpu/conv/dwconv.inc"
#undef ER_DWCONV_UKERNEL
};

const er_f32_dwconv_ukernel *er_f32_dwconv_ukernels(size_t *count) {
    *count = sizeof k_dw / sizeof k_dw[0];
    return k_dw;
}

const er_f32_dwconv_ukernel *er_f32_dwconv_pick(er_isa isa, int64_t kh, int64_t kw) {
    if (isa == ER_ISA_NEON) isa = ER_ISA_SCALAR;
    for (er_isa l = isa; l >= ER_ISA_SCALAR; l = (er_isa)(l - 1)) {
        const er_f32_dwconv_ukernel *any = NULL;
        for (size_t i = 0; i < sizeof k_dw / sizeof k_dw[0]; i++) {
            if (k_dw[i].isa != l) continue;
            if (k_dw[i].kh == kh && k_dw[i].kw == kw) return &k_dw[i];
            if (k_dw[i].kh == 0 && !any) any = &k_dw[i];
        }
        if (any) return any;
    }
    return NULL;
}
