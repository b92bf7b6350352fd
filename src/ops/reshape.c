/* reshape.c - Reshape: the same elements under a new shape.
 *
 * ONNX Reshape-1 takes the target as the `shape` attribute, Reshape-5 and
 * later as input 1 (so shape() needs its value). Target entries: -1 (at
 * most one) is inferred from the element count; 0 copies the input's
 * dimension at the same index, unless allowzero=1 (opset 14), where 0 is a
 * literal zero and may not be combined with -1 (the inferred size would be
 * ambiguous). */
#include "core/checked_math.h"
#include "data_util.h"
#include "op.h"

static er_status shape_reshape(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    const er_tensor *x;
    int64_t target[ER_MAX_RANK];
    int n;
    if (c->opset < 5) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        const int64_t *v;
        n = er_attr_ints(c->node, "shape", &v);
        if (n < 0) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'shape' is missing");
        if (n > ER_MAX_RANK)
            return er_fail(ER_ERR_UNSUPPORTED, "target rank %d exceeds the maximum %d", n,
                           ER_MAX_RANK);
        for (int i = 0; i < n; i++) target[i] = v[i];
    } else {
        ER_TRY(er_op_check_inputs(c, 2, 2));
        ER_TRY(er_op_need_value(c, 1));
        if (c->in[1]->rank == 1 && c->in[1]->dims[0] > ER_MAX_RANK)
            return er_fail(ER_ERR_UNSUPPORTED, "target rank %lld exceeds the maximum %d",
                           (long long)c->in[1]->dims[0], ER_MAX_RANK);
        ER_TRY(er_op_read_ints(c, 1, target, ER_MAX_RANK, &n));
    }
    x = c->in[0];
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    bool allowzero = c->opset >= 14 && er_attr_int(c->node, "allowzero", 0) != 0;
    int infer = -1;
    bool has_zero = false;
    int64_t known = 1; /* product of the dims other than the inferred one */
    for (int i = 0; i < n; i++) {
        int64_t d = target[i];
        if (d == -1) {
            if (infer >= 0)
                return er_fail(ER_ERR_SHAPE, "target shape has -1 at both index %d and %d", infer,
                               i);
            infer = i;
            continue;
        }
        if (d < -1)
            return er_fail(ER_ERR_SHAPE, "target dim %d is %lld; dims must be >= -1", i,
                           (long long)d);
        if (d == 0) {
            has_zero = true;
            if (!allowzero) {
                if (i >= x->rank)
                    return er_fail(ER_ERR_SHAPE, "target dim %d is 0 (copy the input dim) but "
                                   "input 0 shape %s has no dim %d", i, er_op_shape_str(x), i);
                d = target[i] = x->dims[i];
            }
        }
        if (!er_mul_i64(&known, known, d))
            return er_fail(ER_ERR_SHAPE, "target shape overflows");
    }
    int64_t total = (int64_t)er_tensor_numel(x);
    if (infer >= 0) {
        if (allowzero && has_zero)
            return er_fail(ER_ERR_SHAPE, "allowzero=1 target shape has both 0 and -1");
        if (known == 0 || total % known != 0)
            return er_fail(ER_ERR_SHAPE, "input 0 shape %s (%lld elements) cannot be split into "
                           "blocks of %lld for the -1 dim", er_op_shape_str(x), (long long)total,
                           (long long)known);
        target[infer] = total / known;
    } else if (known != total) {
        char b[ER_SHAPE_STR_MAX];
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s has %lld elements, target shape %s has "
                       "%lld", er_op_shape_str(x), (long long)total,
                       er_shape_str(b, sizeof b, n, target), (long long)known);
    }
    er_op_set_output(c, 0, x->dtype, n, target);
    return ER_OK;
}

const er_op_def er_op_reshape = {
    .name = "Reshape", .min_opset = 1, .shape = shape_reshape, .run = er_run_copy_input};
