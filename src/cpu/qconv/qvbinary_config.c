/* qvbinary_config.c - the int8 elementwise variants (qvbinary.inc), the
 * choice, and the portable kernels. */
#include "cpu/qconv/qvbinary.h"

#include "ops/quant_util.h"

static const er_qvbin_ukernel k_ukernels[] = {
#define ER_QVBIN_UKERNEL(isa, is_mul, fn) {#fn, isa, is_mul, fn},
#include "cpu/qconv/qvbinary.inc"
#undef ER_QVBIN_UKERNEL
};

const er_qvbin_ukernel *er_qvbin_ukernels(size_t *count) {
    *count = sizeof k_ukernels / sizeof k_ukernels[0];
    return k_ukernels;
}

const er_qvbin_ukernel *er_qvbin_pick(er_isa isa, int is_mul) {
    if (isa == ER_ISA_NEON || isa < ER_ISA_SCALAR) isa = ER_ISA_SCALAR;
    for (size_t i = 0; i < sizeof k_ukernels / sizeof k_ukernels[0]; i++)
        if (k_ukernels[i].isa <= isa && k_ukernels[i].is_mul == is_mul) return &k_ukernels[i];
    return NULL; /* not reached: the scalar rows exist */
}

void er_qvadd_params(er_qvbin_params *p, er_dtype a_dt, float a_s, int32_t a_zp, er_dtype b_dt,
                     float b_s, int32_t b_zp, float y_s, int32_t y_zp, int32_t y_min,
                     int32_t y_max) {
    double twice_max = 2.0 * (double)(a_s > b_s ? a_s : b_s);
    er_qmul ma = er_quantize_multiplier((double)a_s / twice_max);
    er_qmul mb = er_quantize_multiplier((double)b_s / twice_max);
    er_qmul my = er_quantize_multiplier(twice_max / ((double)(1 << ER_QADD_SHIFT) * (double)y_s));
    p->a_xor = a_dt == ER_I8 ? 0x80u : 0u;
    p->b_xor = b_dt == ER_I8 ? 0x80u : 0u;
    p->a_zu = a_zp + (a_dt == ER_I8 ? 128 : 0);
    p->b_zu = b_zp + (b_dt == ER_I8 ? 128 : 0);
    p->ma = er_qcol_make(ma.mult, ma.shift);
    p->mb = er_qcol_make(mb.mult, mb.shift);
    p->my = er_qcol_make(my.mult, my.shift);
    p->zp = y_zp;
    p->lo = y_min - y_zp;
    p->hi = y_max - y_zp;
}

static int32_t mbqm(int32_t x, const er_qcol *q) {
    return (int32_t)er_qmbqm64(x, q->mult, q->cpos, q->dneg, q->rshift, q->left);
}

static uint8_t finish(int32_t v, const er_qvbin_params *p) {
    v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
    return (uint8_t)(v + p->zp);
}

void er_qu8_vadd__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    for (size_t i = 0; i < n; i++) {
        int32_t da = (int32_t)(a[i] ^ (uint8_t)p->a_xor) - p->a_zu;
        int32_t db = (int32_t)(b[i] ^ (uint8_t)p->b_xor) - p->b_zu;
        int32_t sa = mbqm(da * (1 << ER_QADD_SHIFT), &p->ma);
        int32_t sb = mbqm(db * (1 << ER_QADD_SHIFT), &p->mb);
        y[i] = finish(mbqm(sa + sb, &p->my), p);
    }
}

void er_qu8_vmul__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                         const er_qvbin_params *p) {
    for (size_t i = 0; i < n; i++) {
        int32_t da = (int32_t)(a[i] ^ (uint8_t)p->a_xor) - p->a_zu;
        int32_t db = (int32_t)(b[i] ^ (uint8_t)p->b_xor) - p->b_zu;
        y[i] = finish(mbqm(da * db * (1 << ER_QMUL_SHIFT), &p->my), p);
    }
}
