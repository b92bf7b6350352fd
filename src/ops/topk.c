/* topk.c - TopK (ONNX opset 1: `k` attribute; opset 10: K as an int64 input
 * of one element; opset 11: negative axis, `largest`, `sorted`).
 *
 * Outputs the K largest (or smallest) elements along `axis` and their int64
 * indices. Order is a strict total order so the result is deterministic
 * whatever `sorted` says: by value (NaN counts as larger than every number,
 * as in numpy's sort), then by index, smaller index first among equal
 * values, as the ONNX reference does. `sorted` = 0 allows any order; the
 * sorted one is returned.
 *
 * Per slice along the axis, the indices 0..n-1 are heap-selected in scratch
 * memory (n int64 values, sized in prepare): building the heap is O(n) and
 * popping K costs O(K log n). */
#include "op.h"

static er_status read_k(er_op_ctx *c, int64_t *k) {
    if (c->opset < 10) {
        ER_TRY(er_op_check_inputs(c, 1, 1));
        const er_attr *a = er_attr_find(c->node, "k");
        if (!a || a->type != ER_ATTR_INT)
            return er_fail(ER_ERR_INVALID_MODEL, "attribute k is required before opset 10");
        *k = a->i;
        return ER_OK;
    }
    ER_TRY(er_op_check_inputs(c, 2, 2));
    ER_TRY(er_op_need_value(c, 1));
    const er_tensor *t = c->in[1];
    if (t->dtype != ER_I64 || t->rank > 1 || er_tensor_numel(t) != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "K (input 1) must be one int64 value, has %s %s",
                       er_dtype_name(t->dtype), er_op_shape_str(t));
    *k = er_load_i64(t->data, t->dtype, 0);
    return ER_OK;
}

static er_status geometry(er_op_ctx *c, int *axis, int64_t *k) {
    const er_tensor *x = c->in[0];
    if (x->rank == 0)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: needs rank >= 1", er_op_shape_str(x));
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), x->rank, axis));
    ER_TRY(read_k(c, k));
    if (*k < 0 || *k > x->dims[*axis])
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: K = %lld is outside [0, %lld] on axis %d",
                       er_op_shape_str(x), (long long)*k, (long long)x->dims[*axis], *axis);
    return ER_OK;
}

static er_status shape_topk(er_op_ctx *c) {
    if (c->n_in < 1 || !c->in[0]) return er_fail(ER_ERR_INVALID_MODEL, "input 0 is missing");
    ER_TRY(er_op_check_dtype(c, 0, er_dt_numeric));
    int axis = 0;
    int64_t k = 0;
    ER_TRY(geometry(c, &axis, &k));
    const er_tensor *x = c->in[0];
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) d[i] = i == axis ? k : x->dims[i];
    er_op_set_output(c, 0, x->dtype, x->rank, d);
    er_op_set_output(c, 1, ER_I64, x->rank, d);
    return ER_OK;
}

static er_status prepare_topk(er_op_ctx *c) {
    int axis = 0;
    int64_t k = 0;
    ER_TRY(geometry(c, &axis, &k));
    c->scratch_bytes = (size_t)c->in[0]->dims[axis] * sizeof(int64_t);
    return ER_OK;
}

/* One slice: n values at x[i * stride] (element positions, read through
 * the dtype). */
typedef struct {
    const void *x;
    er_dtype dt;
    size_t base;
    int64_t stride;
    bool as_int, as_uint, largest;
} slice;

static double fval(const slice *s, int64_t i) {
    return er_load_f64(s->x, s->dt, s->base + (size_t)(i * s->stride));
}
static int64_t ival(const slice *s, int64_t i) {
    return er_load_i64(s->x, s->dt, s->base + (size_t)(i * s->stride));
}

/* -1, 0, 1 comparing the values at indices a and b; NaN is the largest. */
static int cmp_val(const slice *s, int64_t a, int64_t b) {
    if (s->as_uint) {
        uint64_t va = (uint64_t)ival(s, a), vb = (uint64_t)ival(s, b);
        return va < vb ? -1 : va > vb;
    }
    if (s->as_int) {
        int64_t va = ival(s, a), vb = ival(s, b);
        return va < vb ? -1 : va > vb;
    }
    double va = fval(s, a), vb = fval(s, b);
    bool na = va != va, nb = vb != vb;
    if (na || nb) return na == nb ? 0 : na ? 1 : -1;
    return va < vb ? -1 : va > vb;
}

/* Does index a come before index b in the output? */
static bool before(const slice *s, int64_t a, int64_t b) {
    int c = cmp_val(s, a, b);
    if (c != 0) return s->largest ? c > 0 : c < 0;
    return a < b;
}

/* Max-heap in "before" order: the root is the next output. */
static void sift_down(const slice *s, int64_t *h, int64_t n, int64_t i) {
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(s, h[l], h[m])) m = l;
        if (r < n && before(s, h[r], h[m])) m = r;
        if (m == i) return;
        int64_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static er_status run_topk(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *yv = c->out[0], *yi = c->out[1];
    int axis = 0;
    int64_t k = 0;
    ER_TRY(geometry(c, &axis, &k));
    int64_t n = x->dims[axis], outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
    if (k == 0 || outer == 0 || inner == 0) return ER_OK;
    int64_t *h = c->scratch;
    size_t es = er_dtype_size(x->dtype);
    slice s = {.x = x->data, .dt = x->dtype, .stride = inner,
               .as_int = !er_dtype_is_float(x->dtype), .as_uint = x->dtype == ER_U64,
               .largest = c->opset < 11 || er_attr_int(c->node, "largest", 1) != 0};
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            s.base = (size_t)(o * n * inner + i);
            for (int64_t a = 0; a < n; a++) h[a] = a;
            for (int64_t a = n / 2 - 1; a >= 0; a--) sift_down(&s, h, n, a);
            int64_t left = n;
            for (int64_t j = 0; j < k; j++) {
                int64_t best = h[0];
                size_t dst = (size_t)((o * k + j) * inner + i);
                if (yv) {
                    const char *src = (const char *)x->data + (s.base + (size_t)(best * inner)) * es;
                    char *d = (char *)yv->data + dst * es;
                    for (size_t b = 0; b < es; b++) d[b] = src[b];
                }
                if (yi) ((int64_t *)yi->data)[dst] = best;
                h[0] = h[--left];
                sift_down(&s, h, left, 0);
            }
        }
    }
    return ER_OK;
}

const er_op_def er_op_top_k = {.name = "TopK", .min_opset = 1, .shape = shape_topk,
                               .prepare = prepare_topk, .run = run_topk};
