/* cast.c - Cast (to = attribute) and CastLike (to = input 1's dtype), ONNX
 * opset 6+ / 15+, between f32, f64, f16, bf16, all integer types and bool.
 *
 * Semantics (the ONNX spec leaves out-of-range results open; C leaves them
 * undefined, so this file pins them down):
 *   float -> int    truncation toward zero; NaN -> 0; out of range saturates
 *                   to the type's min/max (never UB).
 *   int -> int      two's-complement wrap (numpy astype).
 *   any -> bool     x != 0 (NaN -> true); bool -> any: 0 or 1.
 *   -> f16          round to nearest even. From f64 the double is first
 *                   rounded to f32 with round-to-odd, so the two roundings
 *                   give the correctly rounded half (no double rounding).
 *   -> bf16         truncation of the f32 value (NaN stays a quiet NaN):
 *                   the rule of the ONNX 1.12 reference Cast, which the
 *                   conformance data test_cast_FLOAT_to_BFLOAT16 encodes.
 *                   Other ops store bf16 rounded to nearest even.
 * String casts (and float8/int4/complex) are ER_ERR_UNSUPPORTED.
 *
 * Every conversion between the C-native dtypes (f32, f64, ints, bool) is a
 * typed loop; f16/bf16 sources and destinations go through a small f32
 * buffer on the stack, chunk by chunk (no scratch memory needed). */
#include <math.h>
#include <string.h>

#include "op.h"

static const er_dtype dt_cast[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                   ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_BOOL, ER_UNDEF};

static bool castable(er_dtype dt) {
    for (const er_dtype *d = dt_cast; *d != ER_UNDEF; d++)
        if (*d == dt) return true;
    return false;
}

/* ---- native dtypes ------------------------------------------------------- */

#define CONV(TD, TS, EXPR)                                                                         \
    do {                                                                                           \
        TD *yd = y;                                                                                \
        const TS *xs = x;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            TS v = xs[i];                                                                          \
            yd[i] = (TD)(EXPR);                                                                    \
        }                                                                                          \
    } while (0)

/* Float -> integer: MAX+1 is a power of two, exact in float and double, so
 * v >= MAX+1 catches exactly the values whose truncation does not fit. */
#define SAT(TD, LO, HI_P1)                                                                         \
    (v != v ? (TD)0 : v >= (HI_P1) ? (TD)((HI_P1) - 1) : v <= (LO) ? (TD)(LO) : (TD)v)

#define FROM_FLOAT(TS)                                                                             \
    switch (dd) {                                                                                  \
    case ER_F32: CONV(float, TS, v); break;                                                        \
    case ER_F64: CONV(double, TS, v); break;                                                       \
    case ER_I8: CONV(int8_t, TS, SAT(int8_t, -128.0, 128.0)); break;                               \
    case ER_U8: CONV(uint8_t, TS, SAT(uint8_t, 0.0, 256.0)); break;                                \
    case ER_I16: CONV(int16_t, TS, SAT(int16_t, -32768.0, 32768.0)); break;                        \
    case ER_U16: CONV(uint16_t, TS, SAT(uint16_t, 0.0, 65536.0)); break;                           \
    case ER_I32: CONV(int32_t, TS, SAT(int32_t, -2147483648.0, 2147483648.0)); break;              \
    case ER_U32: CONV(uint32_t, TS, SAT(uint32_t, 0.0, 4294967296.0)); break;                      \
    case ER_I64: CONV(int64_t, TS, SAT_I64); break;                                                \
    case ER_U64: CONV(uint64_t, TS, SAT_U64); break;                                               \
    case ER_BOOL: CONV(uint8_t, TS, v != 0); break;                                                \
    default: break;                                                                                \
    }

/* 64-bit bounds do not fit the SAT macro's (TD)((HI_P1) - 1) in floating
 * point, so they name the integer limits directly. */
#define SAT_I64                                                                                    \
    (v != v                          ? 0                                                           \
     : v >= 9223372036854775808.0    ? INT64_MAX                                                   \
     : v <= -9223372036854775808.0   ? INT64_MIN                                                   \
                                     : (int64_t)v)
#define SAT_U64 (v != v ? 0 : v >= 18446744073709551616.0 ? UINT64_MAX : v <= 0 ? 0 : (uint64_t)v)

/* LOAD normalises the source value (bool: any nonzero byte is 1). */
#define FROM_INT(TS, LOAD)                                                                         \
    switch (dd) {                                                                                  \
    case ER_F32: CONV(float, TS, LOAD); break;                                                     \
    case ER_F64: CONV(double, TS, LOAD); break;                                                    \
    case ER_I8: CONV(int8_t, TS, (uint8_t)(LOAD)); break;                                          \
    case ER_U8: CONV(uint8_t, TS, LOAD); break;                                                    \
    case ER_I16: CONV(int16_t, TS, (uint16_t)(LOAD)); break;                                       \
    case ER_U16: CONV(uint16_t, TS, LOAD); break;                                                  \
    case ER_I32: CONV(int32_t, TS, (uint32_t)(LOAD)); break;                                       \
    case ER_U32: CONV(uint32_t, TS, LOAD); break;                                                  \
    case ER_I64: CONV(int64_t, TS, (uint64_t)(LOAD)); break;                                       \
    case ER_U64: CONV(uint64_t, TS, LOAD); break;                                                  \
    case ER_BOOL: CONV(uint8_t, TS, (LOAD) != 0); break;                                           \
    default: break;                                                                                \
    }

/* Converts n elements between C-native dtypes (no f16/bf16). */
static void conv_native(er_dtype dd, void *y, er_dtype sd, const void *x, size_t n) {
    switch (sd) {
    case ER_F32: FROM_FLOAT(float) break;
    case ER_F64: FROM_FLOAT(double) break;
    case ER_I8: FROM_INT(int8_t, v) break;
    case ER_U8: FROM_INT(uint8_t, v) break;
    case ER_I16: FROM_INT(int16_t, v) break;
    case ER_U16: FROM_INT(uint16_t, v) break;
    case ER_I32: FROM_INT(int32_t, v) break;
    case ER_U32: FROM_INT(uint32_t, v) break;
    case ER_I64: FROM_INT(int64_t, v) break;
    case ER_U64: FROM_INT(uint64_t, v) break;
    case ER_BOOL: FROM_INT(uint8_t, (uint8_t)(v != 0)) break;
    default: break;
    }
}

/* ---- float16 / bfloat16 -------------------------------------------------- */

static uint16_t f32_to_bf16_trunc(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if (f != f) return (uint16_t)(((u >> 16) & 0x8000u) | 0x7fc0u);
    return (uint16_t)(u >> 16);
}

/* Rounds d to float with round-to-odd: an inexact result is the value
 * truncated toward zero with its lowest mantissa bit set. Since float keeps
 * 13 (16) more bits than half (bfloat16), a second rounding from it is then
 * the correct rounding of d. */
static float f64_to_f32_odd(double d) {
    float f = (float)d;
    if (f != f || (double)f == d) return f;
    if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
    uint32_t u;
    memcpy(&u, &f, 4);
    u |= 1;
    memcpy(&f, &u, 4);
    return f;
}

static void encode_half(er_dtype dd, uint16_t *y, const float *f, size_t n) {
    if (dd == ER_F16)
        for (size_t i = 0; i < n; i++) y[i] = er_f32_to_f16(f[i]);
    else
        for (size_t i = 0; i < n; i++) y[i] = f32_to_bf16_trunc(f[i]);
}

static void decode_half(er_dtype sd, float *f, const uint16_t *x, size_t n) {
    if (sd == ER_F16)
        for (size_t i = 0; i < n; i++) f[i] = er_f16_to_f32(x[i]);
    else
        for (size_t i = 0; i < n; i++) f[i] = er_bf16_to_f32(x[i]);
}

enum { CHUNK = 256 };

static void cast_any(er_dtype dd, void *y, er_dtype sd, const void *x, size_t n) {
    bool half_in = sd == ER_F16 || sd == ER_BF16, half_out = dd == ER_F16 || dd == ER_BF16;
    size_t es = er_dtype_size(sd), ed = er_dtype_size(dd);
    if (sd == dd) {
        memcpy(y, x, n * es);
    } else if (!half_in && !half_out) {
        conv_native(dd, y, sd, x, n);
    } else if (half_out && sd == ER_F32) {
        encode_half(dd, y, x, n);
    } else if (half_in && dd == ER_F32) {
        decode_half(sd, y, x, n);
    } else if (half_out && sd == ER_F64) {
        const double *xs = x;
        uint16_t *yd = y;
        for (size_t i = 0; i < n; i++) {
            float f = f64_to_f32_odd(xs[i]);
            encode_half(dd, yd + i, &f, 1);
        }
    } else {
        /* the rest goes through float32, which holds every f16/bf16 value
         * exactly; an integer source rounds once to f32, then to the half
         * type (any integer that rounds in f32 is beyond f16's range) */
        float buf[CHUNK];
        for (size_t i = 0; i < n; i += CHUNK) {
            size_t k = n - i < CHUNK ? n - i : CHUNK;
            const char *xs = (const char *)x + i * es;
            char *yd = (char *)y + i * ed;
            if (half_in) decode_half(sd, buf, (const uint16_t *)xs, k);
            else conv_native(ER_F32, buf, sd, xs, k);
            if (half_out) encode_half(dd, (uint16_t *)yd, buf, k);
            else conv_native(dd, yd, ER_F32, buf, k);
        }
    }
}

/* ---- shape / run --------------------------------------------------------- */

static er_status shape_to(er_op_ctx *c, int64_t to) {
    const er_tensor *x = c->in[0];
    if (x->dtype == ER_STRING || to == ER_STRING)
        return er_fail(ER_ERR_UNSUPPORTED, "cast from %s to %s: string casts are not supported",
                       er_dtype_name(x->dtype), er_dtype_name((er_dtype)to));
    if (!castable(x->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 has dtype %s, which Cast does not support",
                       er_dtype_name(x->dtype));
    if (to < 1)
        return er_fail(ER_ERR_INVALID_MODEL, "to=%lld is not an ONNX data type", (long long)to);
    if (!castable((er_dtype)to))
        return er_fail(ER_ERR_UNSUPPORTED, "to=%lld (%s): casting to this dtype is not supported",
                       (long long)to, er_dtype_name((er_dtype)to));
    er_op_set_output(c, 0, (er_dtype)to, x->rank, x->dims);
    return ER_OK;
}

static er_status shape_cast(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    if (!er_attr_find(c->node, "to"))
        return er_fail(ER_ERR_INVALID_MODEL, "attribute 'to' is required");
    return shape_to(c, er_attr_int(c->node, "to", 0));
}

static er_status shape_cast_like(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    return shape_to(c, c->in[1]->dtype);
}

static er_status run_cast(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    cast_any(y->dtype, y->data, x->dtype, x->data, er_tensor_numel(x));
    return ER_OK;
}

const er_op_def er_op_cast = {.name = "Cast", .min_opset = 6, .shape = shape_cast, .run = run_cast};
const er_op_def er_op_cast_like = {.name = "CastLike", .min_opset = 15, .shape = shape_cast_like, .run = run_cast};
