/* concat.c - Concat: joins tensors along one axis (ONNX Concat-1/4/11/13;
 * axis defaults to 1 before opset 4, is required after, negative from 11).
 *
 * All inputs share rank, dtype and every dim but the axis; an input may be
 * empty along the axis. The output is, for each index of the outer dims,
 * one contiguous block of each input in turn. */
#include "core/threadpool.h"
#include "data_util.h"
#include "op.h"

static er_status get_axis(const er_op_ctx *c, int rank, int *axis) {
    const er_attr *a = er_attr_find(c->node, "axis");
    if (!a && c->opset >= 4) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'axis' is missing");
    return er_op_axis(c, a ? er_attr_int(c->node, "axis", 1) : 1, rank, axis);
}

static er_status shape_concat(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    if (c->n_in < 1) return er_fail(ER_ERR_INVALID_MODEL, "needs at least one input");
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "input %d is missing", i);
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x0 = c->in[0];
    if (x0->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; Concat needs rank >= 1");
    int axis;
    ER_TRY(get_axis(c, x0->rank, &axis));
    int64_t d[ER_MAX_RANK];
    for (int k = 0; k < x0->rank; k++) d[k] = x0->dims[k];
    for (int i = 1; i < c->n_in; i++) {
        const er_tensor *x = c->in[i];
        ER_TRY(er_op_same_dtype(c, 0, i));
        bool ok = x->rank == x0->rank;
        for (int k = 0; ok && k < x->rank; k++)
            if (k != axis && x->dims[k] != x0->dims[k]) ok = false;
        if (!ok)
            return er_fail(ER_ERR_SHAPE, "input %d shape %s does not match input 0 shape %s "
                           "outside axis %d", i, er_op_shape_str(x), er_op_shape_str(x0), axis);
        d[axis] += x->dims[axis];
    }
    er_op_set_output(c, 0, x0->dtype, x0->rank, d);
    return ER_OK;
}

typedef struct {
    const er_op_ctx *c;
    int axis;
    size_t es, out_block; /* bytes of one outer index in the output */
    size_t block[32];     /* bytes of one outer index of input i (n_in <= 32) */
} concat_job;

/* Bytes of one outer index of input i. */
static size_t in_block(const concat_job *j, int i) {
    if (i < 32) return j->block[i];
    const er_tensor *x = j->c->in[i];
    return (size_t)er_dims_prod(x->dims, j->axis, x->rank) * j->es;
}

/* Outer indices [begin, end): each is one block of every input in turn. */
static void concat_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const concat_job *j = arg;
    const er_op_ctx *c = j->c;
    char *dst = (char *)c->out[0]->data + (size_t)begin * j->out_block;
    for (int64_t o = begin; o < end; o++) {
        for (int i = 0; i < c->n_in; i++) {
            size_t block = in_block(j, i);
            if (!block) continue; /* an empty input may have no buffer */
            memcpy(dst, (const char *)c->in[i]->data + (size_t)o * block, block);
            dst += block;
        }
    }
}

static er_status run_concat(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    concat_job j = {c, 0, er_dtype_size(y->dtype), 0, {0}};
    ER_TRY(get_axis(c, y->rank, &j.axis));
    for (int i = 0; i < c->n_in && i < 32; i++) /* once per run, not per pixel */
        j.block[i] = (size_t)er_dims_prod(c->in[i]->dims, j.axis, c->in[i]->rank) * j.es;
    int64_t outer = er_dims_prod(y->dims, 0, j.axis);
    j.out_block = (size_t)er_dims_prod(y->dims, j.axis, y->rank) * j.es;
    /* NHWC channel concats are one small block per pixel: worth splitting
     * over the threads from 64 KiB on (grain: about 16 KiB per chunk) */
    size_t total = (size_t)outer * j.out_block;
    if (er_threadpool_size(c->pool) > 1 && total >= ((size_t)64 << 10) && j.out_block) {
        int64_t grain = (int64_t)(((size_t)16 << 10) / j.out_block) + 1;
        er_parallel_for(c->pool, outer, grain, concat_task, &j);
    } else {
        concat_task(&j, 0, outer, 0);
    }
    return ER_OK;
}

const er_op_def er_op_concat = {
    .name = "Concat", .min_opset = 1, .shape = shape_concat, .run = run_concat};
