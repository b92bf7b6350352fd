/* reverse_sequence.c - ReverseSequence (ONNX 10): for each batch entry b,
 * the first sequence_lens[b] steps along time_axis are reversed and the
 * rest copied. time_axis and batch_axis are 0 and 1 in either order, so a
 * (time, batch) pair addresses one contiguous block of the remaining dims.
 * A length outside [0, T] is a run-time error. */
#include "data_util.h"
#include "op.h"

static er_status get_axes(const er_op_ctx *c, int *t_axis, int *b_axis) {
    int64_t t = er_attr_int(c->node, "time_axis", 0), b = er_attr_int(c->node, "batch_axis", 1);
    if (!((t == 0 && b == 1) || (t == 1 && b == 0)))
        return er_fail(ER_ERR_INVALID_MODEL, "time_axis %lld and batch_axis %lld must be 0 and 1 "
                       "in some order", (long long)t, (long long)b);
    *t_axis = (int)t;
    *b_axis = (int)b;
    return ER_OK;
}

static er_status shape_reverse_sequence(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    ER_TRY(er_check_index_dtype(c, 1));
    const er_tensor *x = c->in[0], *lens = c->in[1];
    int ta = 0, ba = 1;
    ER_TRY(get_axes(c, &ta, &ba));
    if (x->rank < 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s must have rank >= 2", er_op_shape_str(x));
    if (lens->rank != 1 || lens->dims[0] != x->dims[ba])
        return er_fail(ER_ERR_SHAPE, "sequence_lens shape %s must be [%lld] (the batch dim of "
                       "input 0 shape %s)", er_op_shape_str(lens), (long long)x->dims[ba],
                       er_op_shape_str(x));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_reverse_sequence(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *lens = c->in[1];
    er_tensor *y = c->out[0];
    int ta = 0, ba = 1;
    ER_TRY(get_axes(c, &ta, &ba));
    int64_t T = x->dims[ta], B = x->dims[ba];
    size_t inner = (size_t)er_dims_prod(x->dims, 2, x->rank) * er_dtype_size(x->dtype);
    for (int64_t b = 0; b < B; b++) {
        int64_t len = er_index_at(lens, (size_t)b);
        if (len < 0 || len > T)
            return er_fail(ER_ERR_INVALID_ARG, "sequence_lens[%lld] = %lld is outside [0, %lld]",
                           (long long)b, (long long)len, (long long)T);
    }
    if (!inner) return ER_OK;
    char *dst = y->data;
    const char *src = x->data;
    for (int64_t b = 0; b < B; b++) {
        int64_t len = er_index_at(lens, (size_t)b);
        for (int64_t t = 0; t < T; t++) {
            int64_t from = t < len ? len - 1 - t : t;
            size_t o = (size_t)(ta == 0 ? t * B + b : b * T + t);
            size_t i = (size_t)(ta == 0 ? from * B + b : b * T + from);
            memcpy(dst + o * inner, src + i * inner, inner);
        }
    }
    return ER_OK;
}

const er_op_def er_op_reverse_sequence = {.name = "ReverseSequence",
                                          .min_opset = 10,
                                          .shape = shape_reverse_sequence,
                                          .run = run_reverse_sequence};
