/* compare.c - the comparison family: Equal, Greater, Less, GreaterOrEqual,
 * LessOrEqual (ONNX opset 7+ numpy broadcasting; GreaterOrEqual and
 * LessOrEqual are opset 12+). Both inputs have one dtype; the output is bool.
 *
 * One row kernel template per dtype with the op switch outside the loops and
 * a contiguous fast path, so same-shape float32 comparisons vectorise. Every
 * comparison with NaN is false except NaN != NaN, as IEEE and numpy say.
 * Integers compare in their own type (int64/uint64 exactly, never through
 * double). float16/bfloat16 widen to double, which is exact. */
#include "broadcast.h"
#include "op.h"

typedef enum { C_EQ, C_GT, C_LT, C_GE, C_LE } cop;

typedef struct {
    cop op;
    er_dtype dt;
} cargs;

static const er_dtype dt_equal[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                    ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_BOOL, ER_UNDEF};
static const er_dtype dt_order[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_I8, ER_U8, ER_I16,
                                    ER_U16, ER_I32, ER_U32, ER_I64, ER_U64, ER_UNDEF};

#define CMP_LOOP(T, EXPR)                                                                          \
    do {                                                                                           \
        if (s[0] == 1 && s[1] == 1) {                                                              \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T p = a[i], q = b[i];                                                              \
                y[i] = (EXPR);                                                                     \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T p = a[i * s[0]], q = b[i * s[1]];                                                \
                y[i] = (EXPR);                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#define CMP_ROW(T, NAME)                                                                           \
    static void NAME(uint8_t *y, const T *a, const T *b, const int64_t *s, int64_t n, cop op) {    \
        switch (op) {                                                                              \
        case C_EQ: CMP_LOOP(T, p == q); break;                                                     \
        case C_GT: CMP_LOOP(T, p > q); break;                                                      \
        case C_LT: CMP_LOOP(T, p < q); break;                                                      \
        case C_GE: CMP_LOOP(T, p >= q); break;                                                     \
        case C_LE: CMP_LOOP(T, p <= q); break;                                                     \
        }                                                                                          \
    }
CMP_ROW(float, cmp_f32)
CMP_ROW(double, cmp_f64)
CMP_ROW(int8_t, cmp_i8)
CMP_ROW(uint8_t, cmp_u8)
CMP_ROW(int16_t, cmp_i16)
CMP_ROW(uint16_t, cmp_u16)
CMP_ROW(int32_t, cmp_i32)
CMP_ROW(uint32_t, cmp_u32)
CMP_ROW(int64_t, cmp_i64)
CMP_ROW(uint64_t, cmp_u64)

static void row(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    const cargs *ca = arg;
    uint8_t *y = yv;
    switch (ca->dt) {
    case ER_F32: cmp_f32(y, x[0], x[1], s, n, ca->op); break;
    case ER_F64: cmp_f64(y, x[0], x[1], s, n, ca->op); break;
    case ER_I8: cmp_i8(y, x[0], x[1], s, n, ca->op); break;
    case ER_U8: cmp_u8(y, x[0], x[1], s, n, ca->op); break;
    case ER_I16: cmp_i16(y, x[0], x[1], s, n, ca->op); break;
    case ER_U16: cmp_u16(y, x[0], x[1], s, n, ca->op); break;
    case ER_I32: cmp_i32(y, x[0], x[1], s, n, ca->op); break;
    case ER_U32: cmp_u32(y, x[0], x[1], s, n, ca->op); break;
    case ER_I64: cmp_i64(y, x[0], x[1], s, n, ca->op); break;
    case ER_U64: cmp_u64(y, x[0], x[1], s, n, ca->op); break;
    case ER_BOOL: { /* only Equal; any nonzero byte is true */
        const uint8_t *a = x[0], *b = x[1];
        for (int64_t i = 0; i < n; i++) y[i] = (a[i * s[0]] != 0) == (b[i * s[1]] != 0);
        break;
    }
    default: /* float16 / bfloat16 */
        for (int64_t i = 0; i < n; i++) {
            double p = er_load_f64(x[0], ca->dt, (size_t)(i * s[0]));
            double q = er_load_f64(x[1], ca->dt, (size_t)(i * s[1]));
            switch (ca->op) {
            case C_EQ: y[i] = p == q; break;
            case C_GT: y[i] = p > q; break;
            case C_LT: y[i] = p < q; break;
            case C_GE: y[i] = p >= q; break;
            case C_LE: y[i] = p <= q; break;
            }
        }
        break;
    }
}

static er_status shape_cmp(er_op_ctx *c, const er_dtype *allowed) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, allowed));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, ER_BOOL, r, d);
    return ER_OK;
}

static er_status run_cmp(er_op_ctx *c, cop op) {
    cargs ca = {op, c->in[0]->dtype};
    const er_tensor *x[2] = {c->in[0], c->in[1]};
    er_broadcast_rows(c->out[0], 2, x, row, &ca);
    return ER_OK;
}

#define CMP_OP(sym, NAME, OP, DTYPES, OPSET)                                                       \
    static er_status shape_##sym(er_op_ctx *c) { return shape_cmp(c, DTYPES); }                    \
    static er_status run_##sym(er_op_ctx *c) { return run_cmp(c, OP); }                            \
    const er_op_def er_op_##sym = {                                                                \
        .name = NAME, .min_opset = OPSET, .shape = shape_##sym, .run = run_##sym};

CMP_OP(equal, "Equal", C_EQ, dt_equal, 7)
CMP_OP(greater, "Greater", C_GT, dt_order, 7)
CMP_OP(less, "Less", C_LT, dt_order, 7)
CMP_OP(greater_or_equal, "GreaterOrEqual", C_GE, dt_order, 12)
CMP_OP(less_or_equal, "LessOrEqual", C_LE, dt_order, 12)
