/* where.c - Where: y = cond ? x : y, with numpy broadcasting of all three
 * inputs (ONNX opset 9+; opset 16 only added bfloat16).
 *
 * The kernel only moves elements, so it is written per element size
 * (1, 2, 4, 8 bytes) rather than per dtype: every dtype, bool included,
 * takes one of four loops. */
#include "broadcast.h"
#include "op.h"

static const er_dtype dt_bool[] = {ER_BOOL, ER_UNDEF};

#define WHERE_ROW(T, NAME)                                                                         \
    static void NAME(void *yv, const void *const *x, const int64_t *s, int64_t n, void *arg) {     \
        T *y = yv;                                                                                 \
        const uint8_t *c = x[0];                                                                   \
        const T *a = x[1], *b = x[2];                                                              \
        (void)arg;                                                                                 \
        if (s[0] == 1 && s[1] == 1 && s[2] == 1) {                                                 \
            for (int64_t i = 0; i < n; i++) { /* branch-free select: vectorises */                 \
                T m = (T)((T)0 - (T)(c[i] != 0));                                                  \
                y[i] = (T)((a[i] & m) | (b[i] & (T)~m));                                           \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) y[i] = c[i * s[0]] ? a[i * s[1]] : b[i * s[2]];        \
        }                                                                                          \
    }
WHERE_ROW(uint8_t, where_1)
WHERE_ROW(uint16_t, where_2)
WHERE_ROW(uint32_t, where_4)
WHERE_ROW(uint64_t, where_8)

static er_status shape_where(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 3, 3));
    ER_TRY(er_op_check_dtype(c, 0, dt_bool));
    ER_TRY(er_op_check_dtype(c, 1, er_dt_all));
    ER_TRY(er_op_same_dtype(c, 1, 2));
    int r;
    int64_t d[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(3, (const er_tensor *const *)c->in, &r, d));
    er_op_set_output(c, 0, c->in[1]->dtype, r, d);
    return ER_OK;
}

static er_status run_where(er_op_ctx *c) {
    er_row_fn fn;
    switch (er_dtype_size(c->in[1]->dtype)) {
    case 1: fn = where_1; break;
    case 2: fn = where_2; break;
    case 4: fn = where_4; break;
    case 8: fn = where_8; break;
    default: return er_fail(ER_ERR_INTERNAL, "dtype %s has no Where kernel",
                            er_dtype_name(c->in[1]->dtype));
    }
    const er_tensor *x[3] = {c->in[0], c->in[1], c->in[2]};
    er_broadcast_rows(c->out[0], 3, x, fn, NULL);
    return ER_OK;
}

const er_op_def er_op_where = {.name = "Where", .min_opset = 9, .shape = shape_where, .run = run_where};
