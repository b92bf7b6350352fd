/* cumsum.c - CumSum (ONNX opset 11/14: `axis` is a 0-D or one-element int32/
 * int64 input, attributes `exclusive` and `reverse`).
 *
 * The axis value does not change the output shape, so it may stay unknown
 * until run(): it is validated in shape() when known and again in run().
 * The input is viewed as [outer, n, inner] and each output row is the
 * previous output row plus one input row, so inner loops are contiguous.
 * Float sums accumulate in the element type (as numpy's cumsum does);
 * integer sums wrap in the unsigned type, never signed overflow. */
#include <string.h>

#include "op.h"

static er_status read_axis(er_op_ctx *c, int *axis) {
    const er_tensor *a = c->in[1];
    if ((a->dtype != ER_I32 && a->dtype != ER_I64) || a->rank > 1 || er_tensor_numel(a) != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "axis (input 1) must be one int32/int64 value, "
                       "has %s %s", er_dtype_name(a->dtype), er_op_shape_str(a));
    if (!a->data) return ER_OK;
    return er_op_axis(c, er_load_i64(a->data, a->dtype, 0), c->in[0]->rank, axis);
}

static er_status shape_cumsum(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    const er_tensor *x = c->in[0];
    if (x->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: needs rank >= 1", er_op_shape_str(x));
    int axis = 0;
    ER_TRY(read_axis(c, &axis));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

/* One [n, inner] block; y and x point at its first element. */
#define CUMSUM_BLOCK(T, U, NAME)                                                               \
    static void NAME(T *y, const T *x, int64_t n, int64_t inner, int excl, int rev) {           \
        int64_t step = rev ? -inner : inner;                                                   \
        int64_t first = rev ? (n - 1) * inner : 0;                                             \
        T *yr = y + first;                                                                     \
        const T *xr = x + first;                                                               \
        for (int64_t i = 0; i < inner; i++) yr[i] = excl ? (T)0 : xr[i];                      \
        for (int64_t a = 1; a < n; a++) {                                                      \
            T *yn = yr + step;                                                                 \
            const T *xs = excl ? xr : xr + step;                                               \
            for (int64_t i = 0; i < inner; i++) yn[i] = (T)((U)yr[i] + (U)xs[i]);              \
            yr = yn;                                                                           \
            xr += step;                                                                        \
        }                                                                                      \
    }
CUMSUM_BLOCK(float, float, cs_f32)
CUMSUM_BLOCK(double, double, cs_f64)
CUMSUM_BLOCK(int8_t, uint8_t, cs_i8)
CUMSUM_BLOCK(uint8_t, uint8_t, cs_u8)
CUMSUM_BLOCK(int16_t, uint16_t, cs_i16)
CUMSUM_BLOCK(uint16_t, uint16_t, cs_u16)
CUMSUM_BLOCK(int32_t, uint32_t, cs_i32)
CUMSUM_BLOCK(uint32_t, uint32_t, cs_u32)
CUMSUM_BLOCK(int64_t, uint64_t, cs_i64)
CUMSUM_BLOCK(uint64_t, uint64_t, cs_u64)

/* f16/bf16: the running sum is kept in the stored precision, as numpy does. */
static void cs_generic(void *y, const void *x, er_dtype dt, size_t base, int64_t n,
                       int64_t inner, int excl, int rev) {
    for (int64_t i = 0; i < inner; i++) {
        double acc = 0;
        for (int64_t j = 0; j < n; j++) {
            int64_t a = rev ? n - 1 - j : j;
            size_t at = base + (size_t)(a * inner + i);
            double v = er_load_f64(x, dt, at);
            if (!excl) acc += v;
            er_store_f64(y, dt, at, acc);
            acc = er_load_f64(y, dt, at); /* round like the stored dtype */
            if (excl) acc += v;
        }
    }
}

static er_status run_cumsum(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    if (!c->in[1]->data) return er_fail(ER_ERR_INTERNAL, "axis value missing at run time");
    int axis = 0;
    ER_TRY(read_axis(c, &axis));
    int excl = er_attr_int(c->node, "exclusive", 0) != 0;
    int rev = er_attr_int(c->node, "reverse", 0) != 0;
    int64_t n = x->dims[axis], outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
    if (n == 0 || outer == 0 || inner == 0) return ER_OK;
    for (int64_t o = 0; o < outer; o++) {
        size_t base = (size_t)(o * n * inner);
        switch (x->dtype) {
#define CASE(DT, T, FN)                                                                        \
        case DT: FN((T *)y->data + base, (const T *)x->data + base, n, inner, excl, rev); break;
        CASE(ER_F32, float, cs_f32)
        CASE(ER_F64, double, cs_f64)
        CASE(ER_I8, int8_t, cs_i8)
        CASE(ER_U8, uint8_t, cs_u8)
        CASE(ER_I16, int16_t, cs_i16)
        CASE(ER_U16, uint16_t, cs_u16)
        CASE(ER_I32, int32_t, cs_i32)
        CASE(ER_U32, uint32_t, cs_u32)
        CASE(ER_I64, int64_t, cs_i64)
        CASE(ER_U64, uint64_t, cs_u64)
#undef CASE
        default: cs_generic(y->data, x->data, x->dtype, base, n, inner, excl, rev); break;
        }
    }
    return ER_OK;
}

const er_op_def er_op_cum_sum = {.name = "CumSum", .min_opset = 11, .shape = shape_cumsum,
                                 .run = run_cumsum};
