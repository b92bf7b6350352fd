/* trilu.c - Trilu (ONNX 14): keeps the upper (upper=1, default) or lower
 * triangle of each matrix in the last two dims and zeroes the rest. The
 * diagonal offset k (optional int64 scalar input 1, default 0) keeps
 * j - i >= k (upper) or j - i <= k (lower). Each row is one copied run and
 * one zeroed run; an all-zero byte pattern is 0 in every dtype. */
#include "data_util.h"
#include "op.h"

static er_status shape_trilu(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    if (x->rank < 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s must have rank >= 2", er_op_shape_str(x));
    if (c->n_in > 1 && c->in[1] && (c->in[1]->dtype != ER_I64 || er_tensor_numel(c->in[1]) != 1))
        return er_fail(ER_ERR_INVALID_MODEL, "input 1 (k) must be one int64, has dtype %s shape "
                       "%s", er_dtype_name(c->in[1]->dtype), er_op_shape_str(c->in[1]));
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_trilu(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    bool upper = er_attr_int(c->node, "upper", 1) != 0;
    int64_t k = c->n_in > 1 && c->in[1] ? *(const int64_t *)c->in[1]->data : 0;
    int64_t M = x->dims[x->rank - 2], N = x->dims[x->rank - 1];
    int64_t mats = er_dims_prod(x->dims, 0, x->rank - 2);
    size_t es = er_dtype_size(x->dtype), row = (size_t)N * es;
    if (!row || !M) return ER_OK;
    /* beyond +-(M + N) every k acts the same; clamping keeps i + k in range */
    int64_t lim = M + N;
    k = k < -lim ? -lim : k > lim ? lim : k;
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t m = 0; m < mats; m++) {
        for (int64_t i = 0; i < M; i++) {
            /* columns [0, split) are zeroed (upper) or kept (lower) */
            int64_t split = upper ? i + k : i + k + 1;
            split = split < 0 ? 0 : split > N ? N : split;
            size_t sb = (size_t)split * es;
            if (upper) {
                memset(dst, 0, sb);
                memcpy(dst + sb, src + sb, row - sb);
            } else {
                memcpy(dst, src, sb);
                memset(dst + sb, 0, row - sb);
            }
            src += row;
            dst += row;
        }
    }
    return ER_OK;
}

const er_op_def er_op_trilu = {
    .name = "Trilu", .min_opset = 14, .shape = shape_trilu, .run = run_trilu};
