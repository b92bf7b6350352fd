/* logical.c - the logical family: And, Or, Xor on bool tensors, and
 * BitShift on unsigned integers (ONNX opset 7+ numpy broadcasting; BitShift
 * is opset 11).
 *
 * Bool inputs are read as "nonzero is true" so a stray byte value can never
 * produce an output other than 0 or 1. BitShift by the type's width or more
 * gives 0 (numpy's result) instead of C's undefined behaviour. */
#include <string.h>

#include "broadcast.h"
#include "op.h"

typedef enum { L_AND, L_OR, L_XOR } lop;

static const er_dtype dt_bool[] = {ER_BOOL, ER_UNDEF};
static const er_dtype dt_shift[] = {ER_U8, ER_U16, ER_U32, ER_U64, ER_UNDEF};

#define LOGIC_LOOP(EXPR)                                                                           \
    do {                                                                                           \
        if (s[0] == 1 && s[1] == 1) {                                                              \
            for (int64_t i = 0; i < n; i++) {                                                      \
                int p = a[i] != 0, q = b[i] != 0;                                                  \
                y[i] = (uint8_t)(EXPR);                                                            \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                int p = a[i * s[0]] != 0, q = b[i * s[1]] != 0;                                    \
                y[i] = (uint8_t)(EXPR);                                                            \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void row_logic(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    uint8_t *y = yv;
    const uint8_t *a = x[0], *b = x[1];
    switch (*(const lop *)arg) {
    case L_AND: LOGIC_LOOP(p & q); break;
    case L_OR: LOGIC_LOOP(p | q); break;
    case L_XOR: LOGIC_LOOP(p ^ q); break;
    }
}

static er_status shape_logic(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, dt_bool));
    ER_TRY(er_op_check_dtype(c, 1, dt_bool));
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, ER_BOOL, r, d);
    return ER_OK;
}

static er_status run_logic(er_op_ctx *c, lop op) {
    const er_tensor *x[2] = {c->in[0], c->in[1]};
    er_broadcast_rows(c->out[0], 2, x, row_logic, &op);
    return ER_OK;
}

static er_status run_and(er_op_ctx *c) { return run_logic(c, L_AND); }
static er_status run_or(er_op_ctx *c) { return run_logic(c, L_OR); }
static er_status run_xor(er_op_ctx *c) { return run_logic(c, L_XOR); }

/* ---- BitShift ------------------------------------------------------------ */

typedef struct {
    int left;
    er_dtype dt;
} shift_args;

#define SHIFT_ROW(T, NAME, BITS)                                                                   \
    static void NAME(T *y, const T *a, const T *b, const int64_t *s, int64_t n, int left) {        \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = a[i * s[0]], k = b[i * s[1]];                                                    \
            y[i] = k >= (BITS) ? (T)0 : left ? (T)(v << k) : (T)(v >> k);                          \
        }                                                                                          \
    }
SHIFT_ROW(uint8_t, shift_u8, 8)
SHIFT_ROW(uint16_t, shift_u16, 16)
SHIFT_ROW(uint32_t, shift_u32, 32)
SHIFT_ROW(uint64_t, shift_u64, 64)

static void row_shift(void *y, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    const shift_args *sa = arg;
    switch (sa->dt) {
    case ER_U8: shift_u8(y, x[0], x[1], s, n, sa->left); break;
    case ER_U16: shift_u16(y, x[0], x[1], s, n, sa->left); break;
    case ER_U32: shift_u32(y, x[0], x[1], s, n, sa->left); break;
    default: shift_u64(y, x[0], x[1], s, n, sa->left); break;
    }
}

static er_status shape_bit_shift(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, dt_shift));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    const char *dir = er_attr_str(c->node, "direction", NULL);
    if (!dir || (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0))
        return er_fail(ER_ERR_INVALID_MODEL, "direction='%s': must be 'LEFT' or 'RIGHT'",
                       dir ? dir : "(absent)");
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, c->in[0]->dtype, r, d);
    return ER_OK;
}

static er_status run_bit_shift(er_op_ctx *c) {
    shift_args sa = {strcmp(er_attr_str(c->node, "direction", "LEFT"), "LEFT") == 0,
                     c->in[0]->dtype};
    const er_tensor *x[2] = {c->in[0], c->in[1]};
    er_broadcast_rows(c->out[0], 2, x, row_shift, &sa);
    return ER_OK;
}

const er_op_def er_op_and = {.name = "And", .min_opset = 7, .shape = shape_logic, .run = run_and};
const er_op_def er_op_or = {.name = "Or", .min_opset = 7, .shape = shape_logic, .run = run_or};
const er_op_def er_op_xor = {.name = "Xor", .min_opset = 7, .shape = shape_logic, .run = run_xor};
const er_op_def er_op_bit_shift = {.name = "BitShift", .min_opset = 11, .shape = shape_bit_shift, .run = run_bit_shift};
