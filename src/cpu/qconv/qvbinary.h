/* qvbinary.h - int8 elementwise QAdd / QMul microkernels for operands of the
 * same shape (docs/int8.md; the reference is ops/qbinary.c):
 *
 *   QAdd: sa = MBQM((a - a_zp) * 2^20, ma), sb = MBQM((b - b_zp) * 2^20, mb),
 *         y = clamp(MBQM(sa + sb, my) + zp, y_min, y_max)
 *   QMul: y = clamp(MBQM((a - a_zp) * (b - b_zp) * 2^15, my) + zp, y_min, y_max)
 *
 * Operands arrive as bytes; an int8 operand is flipped to uint8 on load
 * (x ^ 0x80 = x + 128, with its zero point moved by 128: a_zu), so the kernels
 * only widen uint8. MBQM is er_qmbqm64 of qgemm.h (exact). Variants are named
 * er_qu8_v{add,mul}__<isa>, listed in qvbinary.inc. */
#ifndef ER_CPU_QCONV_QVBINARY_H
#define ER_CPU_QCONV_QVBINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/qconv/qgemm.h"

typedef struct er_qvbin_params {
    uint32_t a_xor, b_xor; /* 0 or 0x80 */
    int32_t a_zu, b_zu;    /* zero points of the uint8 views */
    er_qcol ma, mb, my;    /* QAdd: ma, mb, my; QMul: my (with the 2^15 pre-shift) */
    int32_t zp, lo, hi;    /* output zero point; clamp of y - zp */
} er_qvbin_params;

typedef void (*er_qvbin_fn)(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                            const er_qvbin_params *p);

typedef struct er_qvbin_ukernel {
    const char *name;
    er_isa isa;
    int is_mul;
    er_qvbin_fn fn;
} er_qvbin_ukernel;

#define ER_QVBIN_UKERNEL(isa, is_mul, fn)                                                      \
    void fn(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, const er_qvbin_params *p);
#include "cpu/qconv/qvbinary.inc"
#undef ER_QVBIN_UKERNEL

#define ER_QADD_SHIFT 20
#define ER_QMUL_SHIFT 15

/* QAdd's constants (TFLite's Add, docs/int8.md): t = 2 max(a_s, b_s),
 * ma = QM(a_s / t), mb = QM(b_s / t), my = QM(t / (2^20 y_s)), in double; the
 * output clamp [y_min, y_max] in y's domain. */
void er_qvadd_params(er_qvbin_params *p, er_dtype a_dt, float a_s, int32_t a_zp, er_dtype b_dt,
                     float b_s, int32_t b_zp, float y_s, int32_t y_zp, int32_t y_min,
                     int32_t y_max);

/* QAdd's operand rescale MBQM(d * 2^20, m), d = a - a_zp in [-255, 255], in
 * 32-bit lanes (the vector kernels; half the multiplies and shifts of the
 * 64-bit form). cpos and dneg (qgemm.h) are multiples of 2^20, so with
 * e = rshift - 31
 *   MBQM = floor((d M + C) / 2^(11+e)),  C = (cpos - [d M < -2^10] dneg) / 2^20,
 * where d M < -2^10 exactly when d < 0 (M >= 2^30), and with M = Mh 2^8 + Ml
 * the nested floors give
 *   MBQM = floor((d Mh + floor((d Ml + C) / 2^8)) / 2^(3+e)),
 * every term inside int32 when e <= 20: |d Mh| <= 255 (2^23 - 1), |C| <=
 * 2^30 + 2^10. er_qsplit20_make fills the constants and says whether m
 * qualifies (no left shift, M >= 2^30, e <= 20: every QAdd whose operand
 * scales differ by less than 2^19); else the kernels use the 64-bit form. */
typedef struct er_qsplit20 {
    int32_t mh, ml;     /* M >> 8, M & 255 */
    int32_t cpos, cneg; /* C for d >= 0 and for d < 0 */
    int32_t shift;      /* 3 + e */
} er_qsplit20;

static inline bool er_qsplit20_make(const er_qcol *q, er_qsplit20 *k) {
    if (q->left != 0 || q->mult < ((int64_t)1 << 30) || q->rshift > 51) return false;
    k->mh = (int32_t)(q->mult >> 8);
    k->ml = (int32_t)(q->mult & 255);
    k->cpos = (int32_t)(q->cpos >> ER_QADD_SHIFT);
    k->cneg = (int32_t)((q->cpos - q->dneg) >> ER_QADD_SHIFT);
    k->shift = (int32_t)q->rshift - 31 + 3;
    return true;
}

/* Both operands' constants; true when both qualify (the kernels then take the
 * 32-bit form for both, else the 64-bit form for both). */
static inline bool er_qsplit20_pair(const er_qvbin_params *p, er_qsplit20 s2[2]) {
    return er_qsplit20_make(&p->ma, &s2[0]) && er_qsplit20_make(&p->mb, &s2[1]);
}

#if ER_QARCH_X86_64
/* er_qu8_vadd__<isa>'s 32-bit operand rescale, out[i] = MBQM(d[i] * 2^20, m)
 * for d[i] in [-255, 255], exposed for its exhaustive test; false (nothing
 * written) where m takes the 64-bit form instead. Need AVX-512 / AVX2. */
bool er_qu8_vadd_rescale__avx512(size_t n, const int32_t *d, const er_qcol *m, int32_t *out);
bool er_qu8_vadd_rescale__avx2(size_t n, const int32_t *d, const er_qcol *m, int32_t *out);
#endif

const er_qvbin_ukernel *er_qvbin_ukernels(size_t *count);
/* The best variant of an ISA level for add (is_mul 0) or mul (1). */
const er_qvbin_ukernel *er_qvbin_pick(er_isa isa, int is_mul);

#endif
