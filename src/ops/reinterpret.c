/* reinterpret.c - edgerun::Reinterpret: the same bytes under a new shape
 * (attribute `shape`, element count unchanged). Passes use it where a layout
 * change or reshape moves no data (e.g. NHWC <-> NCHW when H = W = 1). The
 * planner aliases its output to its input (ER_OP_ALIAS), so it costs
 * nothing; run() copies only when the buffers differ (constant folding). */
#include <string.h>

#include "op.h"

static er_status shape_reinterpret(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    const int64_t *dims;
    int rank = er_attr_ints(c->node, "shape", &dims);
    if (rank < 0 || rank > ER_MAX_RANK)
        return er_fail(ER_ERR_INVALID_MODEL, "needs a 'shape' attribute of rank <= %d", ER_MAX_RANK);
    size_t count;
    if (!er_shape_count_checked(rank, dims, c->in[0]->dtype, &count, NULL) ||
        count != er_tensor_numel(c->in[0]))
        return er_fail(ER_ERR_SHAPE, "shape attribute does not hold the %zu elements of %s",
                       er_tensor_numel(c->in[0]), er_op_shape_str(c->in[0]));
    er_op_set_output(c, 0, c->in[0]->dtype, rank, dims);
    return ER_OK;
}

static er_status run_reinterpret(er_op_ctx *c) {
    if (c->out[0]->data != c->in[0]->data)
        memcpy(c->out[0]->data, c->in[0]->data, er_tensor_nbytes(c->in[0]));
    return ER_OK;
}

const er_op_def er_op_reinterpret = {.name = "Reinterpret", .domain = "edgerun",
                                     .shape = shape_reinterpret, .run = run_reinterpret,
                                     .flags = ER_OP_ALIAS};
