/* quant_util.h - the integer arithmetic of edgerun's int8 ops: one place
 * that defines, bit for bit, what every quantized kernel computes.
 *
 * Scheme (TFLite's int8 spec, ONNX QDQ): real = scale * (q - zero_point).
 * Activations are per-tensor asymmetric uint8/int8; weights per-channel (or
 * per-tensor) int8/uint8; biases int32 with scale = x_scale * w_scale[m] and
 * zero point 0; products are summed in int32.
 *
 * Two requantizations turn an int32 sum back into 8 bits:
 *
 *  - Fixed point (edgerun-domain ops QConv, QMatMul, QAdd, ...): the real
 *    multiplier r = x_scale * w_scale / y_scale (computed in double, as
 *    TFLite does) becomes er_qmul {mult, shift} with r ~= mult * 2^(shift-31),
 *    mult in [2^30, 2^31) (er_quantize_multiplier = TFLite QuantizeMultiplier)
 *    and y = clamp(er_mbqm(acc, m) + zp, lo, hi), er_mbqm being TFLite's
 *    MultiplyByQuantizedMultiplier: a saturating rounding doubling high
 *    multiply (nearest, ties up; er_srdhm) followed by a rounding right
 *    shift (nearest, ties away from zero; er_rdivpot). Pure integer
 *    arithmetic, so optimized kernels can and must match it exactly.
 *
 *  - Float (ONNX QLinearConv / QLinearMatMul): y = saturate(rint((float)acc *
 *    scale_f32) + zp) with scale_f32 = x_scale * w_scale / y_scale computed in
 *    float32 and rint rounding half to even, as the ONNX spec says and as ONNX
 *    Runtime computes it (MlasRequantizeOutput).
 *
 * Everything here is free of undefined behaviour for every input: int32
 * sums wrap modulo 2^32 (through uint32, see er_wrap_add), shifts never
 * exceed 31 and left shifts saturate. */
#ifndef ER_OPS_QUANT_UTIL_H
#define ER_OPS_QUANT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

/* ---- fixed-point requantization ---------------------------------------- */

/* real ~= mult * 2^(shift - 31). mult is 0 (real == 0 or real < 2^-32, flushed
 * to zero as TFLite does) or in [2^30, 2^31); shift is in [-31, 30]. */
typedef struct er_qmul {
    int32_t mult;
    int32_t shift;
} er_qmul;

/* TFLite QuantizeMultiplier for a finite real >= 0: frexp(real) = q * 2^e,
 * mult = round_half_away(q * 2^31) (2^31 becomes 2^30 with e + 1), shift = e.
 * Below 2^-32 (shift < -31) the multiplier is flushed to 0; above 2^30 it
 * saturates to mult = 2^31 - 1, shift = 30. Negative or NaN reals give 0. */
er_qmul er_quantize_multiplier(double real);

/* gemmlowp SaturatingRoundingDoublingHighMul: a * b / 2^31 rounded to
 * nearest with ties toward +infinity, i.e. floor((a*b + 2^30) / 2^31)
 * (written (a*b + (a*b >= 0 ? 2^30 : 1 - 2^30)) / 2^31 with C's truncating
 * division, as gemmlowp does). The one overflow, a == b == INT32_MIN, gives
 * INT32_MAX. */
static inline int32_t er_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties
 * away from zero; exponent in [0, 31]. (x >> e is an arithmetic shift on
 * every compiler edgerun supports; the C standard calls it
 * implementation-defined, not undefined.) */
static inline int32_t er_rdivpot(int32_t x, int exponent) {
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: x * mult * 2^(shift-31), i.e.
 * er_rdivpot(er_srdhm(x << max(shift, 0), mult), max(-shift, 0)). The left
 * shift saturates to the int32 range (TFLite's overflows instead), so a
 * saturated result keeps its sign and is at least 2^29 in magnitude: far
 * outside every 8-bit range, which is all the epilogues need. */
static inline int32_t er_mbqm(int32_t x, er_qmul m) {
    int left = m.shift > 0 ? m.shift : 0;
    int right = m.shift > 0 ? 0 : -m.shift;
    int64_t shifted = (int64_t)x * ((int64_t)1 << left);
    if (shifted > INT32_MAX) shifted = INT32_MAX;
    if (shifted < INT32_MIN) shifted = INT32_MIN;
    return er_rdivpot(er_srdhm((int32_t)shifted, m.mult), right);
}

/* The fixed-point epilogue of a quantized op: clamp(mbqm(acc) + zp, lo, hi). */
static inline int32_t er_requant(int32_t acc, er_qmul m, int32_t zp, int32_t lo, int32_t hi) {
    int64_t v = (int64_t)er_mbqm(acc, m) + zp;
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* Requantizing a small integer v (an 8-bit difference x - zp, a pool sum):
 * mbqm rounds twice (to an integer after the doubling high multiply, then
 * in the right shift), which costs up to one output step when v * mult is
 * not much larger than 2^31 - TFLite's Add pre-shifts its inputs by 2^20
 * for this reason. er_requant_pre does the same in general: with
 * L = er_prescale_shift(max |v|) and m = er_quantize_multiplier(real / 2^L)
 * (er_prescale_multiplier), clamp(mbqm(v * 2^L, m) + zp, lo, hi) rounds
 * v * real once, up to 2^-L of an output step. */
int er_prescale_shift(int64_t max_abs);
er_qmul er_prescale_multiplier(double real, int shift);
static inline int32_t er_requant_pre(int32_t v, int shift, er_qmul m, int32_t zp, int32_t lo,
                                     int32_t hi) {
    return er_requant((int32_t)((int64_t)v * ((int64_t)1 << shift)), m, zp, lo, hi);
}
/* The pre-shift for an 8-bit difference (|v| <= 255): 23. */
#define ER_QDIFF_SHIFT 23

/* The float epilogue of ONNX QLinearConv / QLinearMatMul:
 * clamp(rint((float)acc * scale) + zp, lo, hi), half to even. */
int32_t er_requant_float(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi);

/* int32 accumulation with wrap-around modulo 2^32 (ONNX: "accumulation may
 * overflow if and only if in 32 bits"), without signed overflow. */
static inline int32_t er_wrap_add(int32_t a, int32_t b) {
    uint32_t u = (uint32_t)a + (uint32_t)b;
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) + INT32_MIN;
}

/* ---- quantized dtypes ----------------------------------------------------- */

/* uint8 or int8. */
bool er_qdtype_ok(er_dtype dt);
/* The dtype's range: [0, 255] or [-128, 127]. */
void er_qdtype_range(er_dtype dt, int32_t *lo, int32_t *hi);
/* Element i of uint8/int8 data as int32. */
static inline int32_t er_qload(const void *data, er_dtype dt, int64_t i) {
    return dt == ER_I8 ? (int32_t)((const int8_t *)data)[i] : (int32_t)((const uint8_t *)data)[i];
}
static inline void er_qstore(void *data, er_dtype dt, int64_t i, int32_t v) {
    if (dt == ER_I8) ((int8_t *)data)[i] = (int8_t)v;
    else ((uint8_t *)data)[i] = (uint8_t)v;
}

/* ---- scale / zero-point inputs -------------------------------------------- */

/* Validates the (scale, zero point) input pair of a quantized tensor in
 * shape(): scale float32/float16; zero point (input zi, -1 = none, absent
 * allowed when `zp_optional`) of dtype `dt` with the scale's shape; both
 * per tensor (scalar or [1]) or, when n_channels > 0, per channel (1-D of
 * n_channels). `what` names the tensor in messages ("x", "w", ...). Sets
 * *per_channel. A scale already known (a constant) must be finite and > 0,
 * so a bad model fails at planning; others are checked when read. */
er_status er_qparams_check(const er_op_ctx *c, const char *what, int si, int zi, er_dtype dt,
                           bool zp_optional, int64_t n_channels, bool *per_channel);

/* Reads n scales and zero points (a per-tensor pair is repeated n times).
 * Data-dependent checks: every scale finite and > 0. zi < 0 or an absent
 * input gives zero points 0. */
er_status er_qparams_read(const er_op_ctx *c, const char *what, int si, int zi, int64_t n,
                          float *scale, int32_t *zp);

/* Reads the per-tensor pair (si, zi) into *scale / *zp. */
er_status er_qparam_read1(const er_op_ctx *c, const char *what, int si, int zi, float *scale,
                          int32_t *zp);

/* The output dtype of a quantized op: the zero point's dtype (input zi),
 * which must be uint8/int8. */
er_status er_qparam_dtype(const er_op_ctx *c, const char *what, int zi, er_dtype *out);

/* The single-input edgerun ops (pools, QResize, QSoftmax, the lookup-table
 * activations) take X, X_scale, X_zp, Y_scale, Y_zp as inputs 0-4, all per
 * tensor; inputs beyond 4 (up to max_in) are op-specific. er_qio_check
 * validates them in shape() and sets *y_dtype (Y_zp's dtype); er_qio_read
 * reads the four parameters in run(). */
typedef struct er_qio {
    float x_scale, y_scale;
    int32_t x_zp, y_zp;
} er_qio;
er_status er_qio_check(er_op_ctx *c, int max_in, er_dtype *y_dtype);
er_status er_qio_read(const er_op_ctx *c, er_qio *q);

/* activation_min / activation_max attributes of the edgerun ops: the fused
 * activation as a clamp in the output's quantized domain (default: the whole
 * range of `dt`). Fails when outside the range or min > max. */
er_status er_qactivation(const er_op_ctx *c, er_dtype dt, int32_t *lo, int32_t *hi);

/* ---- lookup tables --------------------------------------------------------- */

/* A unary function in double precision for er_qlut_build. */
typedef double (*er_qfn)(double x, const void *arg);

/* table[b] for every raw input byte b (the uint8 view of an int8 value):
 * x = (double)(q - x_zp) * x_scale, y = clamp(rint(f(x) / y_scale) + y_zp)
 * in double precision with rint rounding half to even. A quantized unary op
 * is then y = table[(uint8_t)x], which optimized kernels reproduce exactly
 * by using the same table. */
void er_qlut_build(uint8_t table[256], er_dtype x_dt, float x_scale, int32_t x_zp,
                   er_dtype y_dt, float y_scale, int32_t y_zp, er_qfn f, const void *arg);

/* QSoftmax's exponential table: exp_table[d] = lrint(exp(-d * x_scale) *
 * 2^ER_QSOFTMAX_BITS) for d = max - q in [0, 255]; exp_table[0] = 2^23. */
#define ER_QSOFTMAX_BITS 23
void er_qsoftmax_table(uint32_t exp_table[256], float x_scale);

#endif
