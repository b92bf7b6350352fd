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
