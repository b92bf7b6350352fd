/* int8_ref.h - independent formulations of the int8 requantization rules
 * for tests: written from the rounding definitions in docs/int8.md, not
 * from quant_util.c, so a test comparing the two can fail. */
#ifndef ER_TEST_INT8_REF_H
#define ER_TEST_INT8_REF_H

#include <math.h>
#include <stdint.h>

/* floor(a / d) for d > 0 */
static inline int64_t ref_floor_div(int64_t a, int64_t d) {
    int64_t q = a / d;
    return (a % d != 0 && a < 0) ? q - 1 : q;
}

/* TFLite QuantizeMultiplier: real ~= mult * 2^(shift - 31) */
typedef struct {
    int32_t mult, shift;
} ref_qmul;

static inline ref_qmul ref_qm(double real) {
    ref_qmul m = {0, 0};
    if (!(real > 0) || !isfinite(real)) return m;
    int e;
    double q = frexp(real, &e);
    int64_t f = (int64_t)round(q * 2147483648.0);
    if (f == ((int64_t)1 << 31)) {
        f >>= 1;
        e++;
    }
    if (e < -31) return m;
    if (e > 30) return (ref_qmul){INT32_MAX, 30};
    return (ref_qmul){(int32_t)f, e};
}

/* a * b / 2^31, nearest, ties toward +infinity; saturates MIN * MIN */
static inline int32_t ref_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    return (int32_t)ref_floor_div((int64_t)a * b + ((int64_t)1 << 30), (int64_t)1 << 31);
}

/* x / 2^e, nearest, ties away from zero */
static inline int32_t ref_rdivpot(int32_t x, int e) {
    if (e == 0) return x;
    int64_t a = x < 0 ? -(int64_t)x : x;
    int64_t q = (a + ((int64_t)1 << (e - 1))) >> e;
    return (int32_t)(x < 0 ? -q : q);
}

static inline int32_t ref_mbqm(int32_t x, ref_qmul m) {
    int64_t s = (int64_t)x * ((int64_t)1 << (m.shift > 0 ? m.shift : 0));
    s = s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s;
    return ref_rdivpot(ref_srdhm((int32_t)s, m.mult), m.shift < 0 ? -m.shift : 0);
}

static inline int32_t ref_clamp(int64_t v, int32_t lo, int32_t hi) {
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* clamp(mbqm(acc, QM(real)) + zp) */
static inline int32_t ref_requant(int32_t acc, double real, int32_t zp, int32_t lo, int32_t hi) {
    return ref_clamp((int64_t)ref_mbqm(acc, ref_qm(real)) + zp, lo, hi);
}

/* the largest L <= 30 with max_abs * 2^L <= INT32_MAX (0 beyond int32) */
static inline int ref_prescale_shift(int64_t max_abs) {
    if (max_abs < 1) max_abs = 1;
    if (max_abs > INT32_MAX) return 0;
    int L = 0;
    while (L < 30 && max_abs * ((int64_t)2 << L) <= INT32_MAX) L++;
    return L;
}

/* single-rounding requantization of a small v: mbqm(v * 2^L, QM(real / 2^L)) */
static inline int32_t ref_requant_pre(int32_t v, int L, double real, int32_t zp, int32_t lo,
                                      int32_t hi) {
    int32_t s = (int32_t)((int64_t)v * ((int64_t)1 << L));
    return ref_clamp((int64_t)ref_mbqm(s, ref_qm(ldexp(real, -L))) + zp, lo, hi);
}

/* ONNX QLinear* float epilogue: clamp(rintf((float)acc * scale) + zp) */
static inline int32_t ref_requant_float(int32_t acc, float scale, int32_t zp, int32_t lo,
                                        int32_t hi) {
    float r = rintf((float)acc * scale);
    if (r < (float)((int64_t)lo - zp)) return lo;
    if (r > (float)((int64_t)hi - zp)) return hi;
    return ref_clamp((int64_t)r + zp, lo, hi);
}

/* int64 sum wrapped to int32 (two's complement) */
static inline int32_t ref_wrap32(int64_t v) {
    uint32_t u = (uint32_t)(uint64_t)v;
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) + INT32_MIN;
}

#endif
