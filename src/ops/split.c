/* split.c - Split: cuts a tensor into n_out parts along one axis.
 *
 * The part sizes come from, by opset:
 *   Split-1        optional input 1 or attribute `split`,
 *   Split-2/11     attribute `split`,
 *   Split-13       optional input 1 (its value decides the output shapes),
 *   Split-18       optional input 1, or attribute `num_outputs`: parts of
 *                  ceil(dim / n), the last one smaller.
 * Without any of these the axis is split into n_out equal parts, which must
 * divide it. Sizes are recomputed by run() from the same source rather than
 * from output shapes, because an unused output slot has no tensor. */
#include "data_util.h"
#include "op.h"

typedef struct {
    const int64_t *attr;    /* sizes from the attribute, or NULL */
    const er_tensor *input; /* sizes from input 1, or NULL */
    int64_t even, last;     /* otherwise: every part `even`, the last one `last` */
} split_sizes;

static int64_t size_of(const split_sizes *s, int n_out, int j) {
    if (s->attr) return s->attr[j];
    if (s->input) return er_load_i64(s->input->data, s->input->dtype, (size_t)j);
    return j == n_out - 1 ? s->last : s->even;
}

static er_status get_sizes(const er_op_ctx *c, int *axis, split_sizes *s) {
    const er_tensor *x = c->in[0];
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x->rank, axis));
    int64_t dim = x->dims[*axis];
    int n_out = c->n_out;
    memset(s, 0, sizeof *s);
    int n = -1;
    if (c->opset < 13) n = er_attr_ints(c->node, "split", &s->attr);
    if (n < 0) s->attr = NULL;
    if (!s->attr && (c->opset < 2 || c->opset >= 13) && c->n_in > 1 && c->in[1]) {
        const er_tensor *t = c->in[1];
        if ((t->dtype != ER_I64 && t->dtype != ER_I32) || t->rank != 1)
            return er_fail(ER_ERR_INVALID_MODEL, "input 1 (split) must be a 1-D int64 tensor, "
                           "has dtype %s shape %s", er_dtype_name(t->dtype), er_op_shape_str(t));
        s->input = t;
        n = (int)(t->dims[0] < n_out + 1 ? t->dims[0] : n_out + 1);
    }
    if (s->attr || s->input) {
        if (n != n_out)
            return er_fail(ER_ERR_INVALID_MODEL, "split lists %d sizes for %d outputs", n, n_out);
        int64_t sum = 0;
        for (int j = 0; j < n_out; j++) {
            int64_t v = size_of(s, n_out, j);
            if (v < 0 || v > dim - sum)
                return er_fail(ER_ERR_SHAPE, "split sizes (size %d = %lld) do not add up to "
                               "dim %d of input 0 shape %s", j, (long long)v, *axis,
                               er_op_shape_str(x));
            sum += v;
        }
        if (sum != dim)
            return er_fail(ER_ERR_SHAPE, "split sizes add up to %lld, not to dim %d of input 0 "
                           "shape %s", (long long)sum, *axis, er_op_shape_str(x));
        return ER_OK;
    }
    const er_attr *num = c->opset >= 18 ? er_attr_find(c->node, "num_outputs") : NULL;
    if (num) {
        if (num->type != ER_ATTR_INT || num->i != n_out)
            return er_fail(ER_ERR_INVALID_MODEL, "num_outputs %lld does not match the %d outputs",
                           (long long)num->i, n_out);
        s->even = (dim + n_out - 1) / n_out;
        s->last = dim - s->even * (n_out - 1);
        if (s->last < 0)
            return er_fail(ER_ERR_SHAPE, "input 0 shape %s: dim %d cannot be split into %d "
                           "parts of %lld", er_op_shape_str(x), *axis, n_out,
                           (long long)s->even);
        return ER_OK;
    }
    if (dim % n_out != 0)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: dim %d is not divisible into %d equal "
                       "parts", er_op_shape_str(x), *axis, n_out);
    s->even = s->last = dim / n_out;
    return ER_OK;
}

static er_status shape_split(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 2));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    if (c->n_out < 1) return er_fail(ER_ERR_INVALID_MODEL, "has no outputs");
    if (c->opset >= 13 || c->opset < 2) ER_TRY(er_op_need_value(c, 1));
    const er_tensor *x = c->in[0];
    if (x->rank == 0) return er_fail(ER_ERR_SHAPE, "input 0 is a scalar; Split needs rank >= 1");
    int axis;
    split_sizes s;
    ER_TRY(get_sizes(c, &axis, &s));
    int64_t d[ER_MAX_RANK];
    for (int k = 0; k < x->rank; k++) d[k] = x->dims[k];
    for (int j = 0; j < c->n_out; j++) {
        d[axis] = size_of(&s, c->n_out, j);
        er_op_set_output(c, j, x->dtype, x->rank, d);
    }
    return ER_OK;
}

static er_status run_split(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    int axis;
    split_sizes s;
    ER_TRY(get_sizes(c, &axis, &s));
    size_t inner = (size_t)er_dims_prod(x->dims, axis + 1, x->rank) * er_dtype_size(x->dtype);
    int64_t outer = er_dims_prod(x->dims, 0, axis), dim = x->dims[axis];
    int64_t off = 0;
    for (int j = 0; j < c->n_out; j++) {
        int64_t sz = size_of(&s, c->n_out, j);
        er_tensor *y = c->out[j];
        size_t block = (size_t)sz * inner;
        if (y && block)
            for (int64_t o = 0; o < outer; o++)
                memcpy((char *)y->data + (size_t)o * block,
                       (const char *)x->data + ((size_t)(o * dim + off)) * inner, block);
        off += sz;
    }
    return ER_OK;
}

const er_op_def er_op_split = {
    .name = "Split", .min_opset = 1, .shape = shape_split, .run = run_split};
