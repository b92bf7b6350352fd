/* argminmax.c - ArgMax and ArgMin (ONNX opset 1-13 semantics: `axis`
 * default 0, negative axes from opset 11, `keepdims` default 1,
 * `select_last_index` from opset 12). Output is int64.
 *
 * NaN is treated as numpy's argmax/argmin do: the first NaN wins (the last
 * one with select_last_index), since NaN propagates through max/min.
 *
 * The input is viewed as [outer, n, inner]; the output row for one `outer`
 * holds the best index per inner position and doubles as the running state,
 * so the inner loop reads memory contiguously and no scratch is needed. An
 * empty axis has no arg-extremum: that is a shape error unless the output is
 * empty too. */
#include <string.h>

#include "op.h"

static er_status shape_arg(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    const er_tensor *x = c->in[0];
    int axis = 0;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    if (x->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: needs rank >= 1", er_op_shape_str(x));
    bool keep = er_attr_int(c->node, "keepdims", 1) != 0;
    int64_t d[ER_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != axis) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    }
    if (x->dims[axis] == 0 && er_shape_count(r, d) != 0)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: axis %d is empty, so it has no %s",
                       er_op_shape_str(x), axis,
                       strcmp(c->node->op_type, "ArgMax") == 0 ? "maximum" : "minimum");
    er_op_set_output(c, 0, ER_I64, r, d);
    return ER_OK;
}

/* better(v, cur): should index of v replace the current best? */
#define ARG_KERNEL(T, NAME, LOAD)                                                              \
    static void NAME(int64_t *y, const T *x, int64_t outer, int64_t n, int64_t inner, int max, \
                     int last) {                                                               \
        for (int64_t o = 0; o < outer; o++) {                                                  \
            const T *xo = x + o * n * inner;                                                   \
            int64_t *yo = y + o * inner;                                                       \
            for (int64_t i = 0; i < inner; i++) yo[i] = 0;                                     \
            for (int64_t a = 1; a < n; a++) {                                                  \
                const T *xa = xo + a * inner;                                                  \
                for (int64_t i = 0; i < inner; i++) {                                          \
                    double v = LOAD(xa[i]), cur = LOAD(xo[yo[i] * inner + i]);                 \
                    bool better;                                                               \
                    if (cur != cur) better = last && v != v;                                   \
                    else if (v != v) better = true;                                            \
                    else if (max) better = last ? v >= cur : v > cur;                          \
                    else better = last ? v <= cur : v < cur;                                   \
                    if (better) yo[i] = a;                                                     \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }
#define LOAD_PLAIN(v) ((double)(v))
#define LOAD_F16(v) ((double)er_f16_to_f32(v))
ARG_KERNEL(float, arg_f32, LOAD_PLAIN)
ARG_KERNEL(double, arg_f64, LOAD_PLAIN)
ARG_KERNEL(uint16_t, arg_f16, LOAD_F16)
ARG_KERNEL(int8_t, arg_i8, LOAD_PLAIN)
ARG_KERNEL(uint8_t, arg_u8, LOAD_PLAIN)
ARG_KERNEL(int16_t, arg_i16, LOAD_PLAIN)
ARG_KERNEL(uint16_t, arg_u16, LOAD_PLAIN)
ARG_KERNEL(int32_t, arg_i32, LOAD_PLAIN)
ARG_KERNEL(uint32_t, arg_u32, LOAD_PLAIN)

/* 64-bit integers compare exactly (double would merge neighbours). */
#define ARG_KERNEL_I64(T, NAME)                                                                \
    static void NAME(int64_t *y, const T *x, int64_t outer, int64_t n, int64_t inner, int max, \
                     int last) {                                                               \
        for (int64_t o = 0; o < outer; o++) {                                                  \
            const T *xo = x + o * n * inner;                                                   \
            int64_t *yo = y + o * inner;                                                       \
            for (int64_t i = 0; i < inner; i++) yo[i] = 0;                                     \
            for (int64_t a = 1; a < n; a++) {                                                  \
                const T *xa = xo + a * inner;                                                  \
                for (int64_t i = 0; i < inner; i++) {                                          \
                    T v = xa[i], cur = xo[yo[i] * inner + i];                                  \
                    bool better = max ? (last ? v >= cur : v > cur) : (last ? v <= cur : v < cur); \
                    if (better) yo[i] = a;                                                     \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }
ARG_KERNEL_I64(int64_t, arg_i64)
ARG_KERNEL_I64(uint64_t, arg_u64)

static er_status run_arg(er_op_ctx *c, int max) {
    const er_tensor *x = c->in[0];
    int axis = 0;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, &axis));
    int last = er_attr_int(c->node, "select_last_index", 0) != 0;
    int64_t outer = 1, inner = 1, n = x->dims[axis];
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
    if (n == 0 || outer == 0 || inner == 0) return ER_OK; /* empty output (checked in shape) */
    int64_t *y = c->out[0]->data;
    const void *d = x->data;
    switch (x->dtype) {
    case ER_F32: arg_f32(y, d, outer, n, inner, max, last); break;
    case ER_F64: arg_f64(y, d, outer, n, inner, max, last); break;
    case ER_F16: arg_f16(y, d, outer, n, inner, max, last); break;
    case ER_I8: arg_i8(y, d, outer, n, inner, max, last); break;
    case ER_U8: arg_u8(y, d, outer, n, inner, max, last); break;
    case ER_I16: arg_i16(y, d, outer, n, inner, max, last); break;
    case ER_U16: arg_u16(y, d, outer, n, inner, max, last); break;
    case ER_I32: arg_i32(y, d, outer, n, inner, max, last); break;
    case ER_U32: arg_u32(y, d, outer, n, inner, max, last); break;
    case ER_I64: arg_i64(y, d, outer, n, inner, max, last); break;
    case ER_U64: arg_u64(y, d, outer, n, inner, max, last); break;
    default: return er_fail(ER_ERR_INTERNAL, "dtype %s passed shape()", er_dtype_name(x->dtype));
    }
    return ER_OK;
}

static er_status run_argmax(er_op_ctx *c) { return run_arg(c, 1); }
static er_status run_argmin(er_op_ctx *c) { return run_arg(c, 0); }

const er_op_def er_op_arg_max = {.name = "ArgMax", .min_opset = 1, .shape = shape_arg, .run = run_argmax};
const er_op_def er_op_arg_min = {.name = "ArgMin", .min_opset = 1, .shape = shape_arg, .run = run_argmin};
