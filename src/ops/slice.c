/* slice.c - Slice: a strided window of a tensor.
 *
 * ONNX Slice-1 takes starts/ends/axes as attributes; Slice-10/11/13 take
 * them as inputs 1..4 (starts, ends, optional axes, optional steps), whose
 * values decide the output shape. Per axis of size d (spec clamping):
 *   negative start/end get d added; then
 *   step > 0: start and end are clamped to [0, d],
 *   step < 0: start to [0, d-1] and end to [-1, d-1],
 * and the axis keeps ceil((end - start) / step) elements (none if that is
 * negative). Axes not listed are kept whole. The kernel is one strided copy
 * whose source strides are the input strides times the steps (negative for
 * negative steps). */
#include "data_util.h"
#include "op.h"

typedef struct {
    int64_t start[ER_MAX_RANK], step[ER_MAX_RANK], dims[ER_MAX_RANK];
} slice_plan;

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static er_status read_list(const er_op_ctx *c, int input, const char *attr, int64_t *v, int *n) {
    if (c->opset < 10) {
        const int64_t *a;
        *n = er_attr_ints(c->node, attr, &a);
        if (*n > ER_MAX_RANK)
            return er_fail(ER_ERR_INVALID_MODEL, "attribute '%s' has %d entries, more than the "
                           "input's rank", attr, *n);
        for (int i = 0; i < *n; i++) v[i] = a[i];
        return ER_OK;
    }
    *n = -1;
    if (input >= c->n_in || !c->in[input]) return ER_OK;
    return er_op_read_ints(c, input, v, ER_MAX_RANK, n);
}

static er_status plan_slice(const er_op_ctx *c, slice_plan *p) {
    const er_tensor *x = c->in[0];
    int64_t starts[ER_MAX_RANK], ends[ER_MAX_RANK], axes[ER_MAX_RANK], steps[ER_MAX_RANK];
    int ns, ne, na, nst;
    ER_TRY(read_list(c, 1, "starts", starts, &ns));
    ER_TRY(read_list(c, 2, "ends", ends, &ne));
    ER_TRY(read_list(c, 3, "axes", axes, &na));
    nst = -1;
    if (c->opset >= 10) ER_TRY(read_list(c, 4, "steps", steps, &nst));
    if (ns < 0 || ne < 0) return er_fail(ER_ERR_INVALID_MODEL, "starts and ends are required");
    if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return er_fail(ER_ERR_INVALID_MODEL, "starts, ends, axes and steps have different "
                       "lengths (%d, %d, %d, %d)", ns, ne, na, nst);
    if (ns > x->rank)
        return er_fail(ER_ERR_INVALID_MODEL, "%d starts for input 0 shape %s", ns,
                       er_op_shape_str(x));
    bool seen[ER_MAX_RANK] = {false};
    for (int k = 0; k < x->rank; k++) {
        p->start[k] = 0;
        p->step[k] = 1;
        p->dims[k] = x->dims[k];
    }
    for (int i = 0; i < ns; i++) {
        int a = i;
        if (na >= 0) ER_TRY(er_op_axis(c, axes[i], x->rank, &a));
        if (seen[a]) return er_fail(ER_ERR_INVALID_MODEL, "axis %d is listed twice", a);
        seen[a] = true;
        int64_t step = nst >= 0 ? steps[i] : 1, d = x->dims[a];
        if (step == 0) return er_fail(ER_ERR_INVALID_MODEL, "steps[%d] is 0", i);
        int64_t st = starts[i], en = ends[i], len;
        if (st < 0) st += d;
        if (en < 0) en += d;
        if (step > 0) {
            st = clamp(st, 0, d);
            en = clamp(en, 0, d);
            len = en > st ? 1 + (en - st - 1) / step : 0;
        } else {
            st = clamp(st, 0, d - 1);
            en = clamp(en, -1, d - 1);
            int64_t back = step == INT64_MIN ? INT64_MAX : -step;
            len = st > en ? 1 + (st - en - 1) / back : 0;
        }
        p->start[a] = st;
        p->step[a] = len > 1 ? step : 1; /* |step| < d then: strides cannot overflow */
        p->dims[a] = len;
    }
    return ER_OK;
}

static er_status shape_slice(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    if (c->opset < 10) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
    } else {
        ER_TRY(er_op_check_inputs(c, 3, 5));
        for (int i = 1; i < c->n_in; i++) ER_TRY(er_op_need_value(c, i));
    }
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    slice_plan p;
    ER_TRY(plan_slice(c, &p));
    er_op_set_output(c, 0, c->in[0]->dtype, c->in[0]->rank, p.dims);
    return ER_OK;
}

static er_status run_slice(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    slice_plan p;
    ER_TRY(plan_slice(c, &p));
    if (er_tensor_numel(y) == 0) return ER_OK;
    int64_t xs[ER_MAX_RANK], s[ER_MAX_RANK], off = 0;
    er_dense_strides(x->rank, x->dims, xs);
    for (int k = 0; k < x->rank; k++) {
        off += p.start[k] * xs[k];
        s[k] = xs[k] * p.step[k];
    }
    size_t es = er_dtype_size(x->dtype);
    er_copy_strided(y->data, (const char *)x->data + (size_t)off * es, es, y->rank, y->dims, s);
    return ER_OK;
}

const er_op_def er_op_slice = {
    .name = "Slice", .min_opset = 1, .shape = shape_slice, .run = run_slice};
