/* layout_nhwc.c - runs 2-D convolution graphs in NHWC.
 *
 * Why NHWC (docs/layout.md has the measurements): channels contiguous makes
 * a 1x1 convolution a plain GEMM on the activation, lets depthwise kernels
 * vectorize across channels, and makes pooling and elementwise epilogues
 * unit-stride; it is also TFLite's layout, so both importers meet here.
 *
 * The pass rebuilds the node list in execution order and gives every 4-D
 * value a storage tag: PLAIN (stored as its ONNX shape says) or NHWC (the
 * logical tensor is [N,C,H,W] but stored as [N,H,W,C]; the value's dims in
 * the graph are rewritten to the stored order). Per node:
 *   Conv (2-D, float32, constant weights) -> edgerun::ConvNhwc, NHWC in/out;
 *   edgerun::QConv (2-D, constant weights and parameters) -> QConvNhwc;
 *   edgerun::QMaxPool/QAveragePool/QGlobalAveragePool (2-D) -> Q*PoolNhwc;
 *   edgerun::QAdd/QMul and the int8 table ops are elementwise (below), and
 *     QConcat remaps its axis, like their float counterparts;
 *   MaxPool/AveragePool/GlobalAverage/MaxPool (2-D float32) -> *Nhwc ops;
 *   elementwise ops keep the tag of their NHWC inputs (constant operands
 *     are permuted once, plain 4-D operands converted; other operand ranks
 *     force PLAIN);
 *   Concat/Split along an axis keep NHWC with the axis remapped;
 *   Pad keeps NHWC with its amounts permuted (fuse_pad.c then folds zero
 *     padding in front of a conv into the conv);
 *   Resize with constant per-axis roi/scales/sizes keeps NHWC with them
 *     permuted;
 *   Transpose NCHW<->NHWC whose input already has the wanted storage order
 *     becomes a free Reinterpret (this is how TFLite graphs, which wrap
 *     every conv in such transposes, lose them);
 *   everything else reads PLAIN inputs.
 * Conversions are inserted only where a tag changes, at most once per value
 * and direction; when H = W = 1 they are Reinterprets (no data moves).
 * Graph inputs and outputs keep their ONNX layout. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "ops/op.h"
#include "passes.h"

enum { PLAIN = 0, NHWC = 1 };

typedef struct {
    er_graph *g;
    er_node *nodes; /* the rebuilt list */
    int n_nodes, cap_nodes;
    unsigned char *tag;
    int *to_nhwc, *to_plain; /* cached conversions per value, -1 = none */
    int cap_values;
    bool *handled; /* per original node: already rewritten by a pattern */
} lay;

static er_status grow_values(lay *L) {
    if (L->g->n_values <= L->cap_values) return ER_OK;
    int cap = L->g->n_values * 2;
    unsigned char *t = er_realloc(L->tag, (size_t)cap);
    if (!t) return er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
    L->tag = t;
    int *a = er_realloc(L->to_nhwc, sizeof(int) * (size_t)cap);
    if (!a) return er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
    L->to_nhwc = a;
    int *b = er_realloc(L->to_plain, sizeof(int) * (size_t)cap);
    if (!b) return er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
    L->to_plain = b;
    for (int v = L->cap_values; v < cap; v++) {
        L->tag[v] = PLAIN;
        L->to_nhwc[v] = L->to_plain[v] = -1;
    }
    L->cap_values = cap;
    return ER_OK;
}

static er_status emit(lay *L, const er_node *n) {
    if (L->n_nodes == L->cap_nodes) {
        int cap = L->cap_nodes ? L->cap_nodes * 2 : 64;
        er_node *a = er_realloc(L->nodes, sizeof(er_node) * (size_t)cap);
        if (!a) return er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
        L->nodes = a;
        L->cap_nodes = cap;
    }
    L->nodes[L->n_nodes++] = *n;
    return ER_OK;
}

/* A fresh node (arrays from the graph pool), not yet emitted. */
static er_status make_node(lay *L, const char *op, const char *domain, const char *name, int n_in,
                           er_node *out) {
    memset(out, 0, sizeof *out);
    out->in = er_pool_array(L->g->pool, (size_t)n_in, sizeof(int));
    out->out = er_pool_array(L->g->pool, 1, sizeof(int));
    if (!out->in || !out->out) return er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
    out->n_in = n_in;
    out->n_out = 1;
    out->op_type = op;
    out->domain = domain;
    out->name = er_pool_strdup(L->g->pool, name);
    out->opset = (int)L->g->opset;
    out->op = er_op_find(op, domain);
    if (!out->name || !out->op) return er_fail(ER_ERR_INTERNAL, "layout pass: no op %s", op);
    return ER_OK;
}

static void nchw_to_nhwc_dims(const int64_t *l, int64_t *p) {
    int64_t t[4] = {l[0], l[2], l[3], l[1]};
    memcpy(p, t, sizeof t);
}
static void nhwc_to_nchw_dims(const int64_t *p, int64_t *l) {
    int64_t t[4] = {p[0], p[3], p[1], p[2]};
    memcpy(l, t, sizeof t);
}

/* Returns (creating once) value v converted to the wanted storage tag. */
static er_status convert(lay *L, int v, int want, int *out) {
    if (L->tag[v] == want) {
        *out = v;
        return ER_OK;
    }
    int *cache = want == NHWC ? L->to_nhwc : L->to_plain;
    if (cache[v] >= 0) {
        *out = cache[v];
        return ER_OK;
    }
    er_graph *g = L->g;
    int nv;
    ER_TRY(er_graph_new_value(g, g->values[v].name, &nv));
    ER_TRY(grow_values(L));
    er_value *src = &g->values[v], *dst = &g->values[nv];
    dst->dtype = src->dtype;
    dst->rank = 4;
    if (want == NHWC) nchw_to_nhwc_dims(src->dims, dst->dims);
    else nhwc_to_nchw_dims(src->dims, dst->dims);
    bool unit = want == NHWC ? (src->dims[2] == 1 && src->dims[3] == 1)
                             : (src->dims[1] == 1 && src->dims[2] == 1);
    er_node n;
    char name[96];
    snprintf(name, sizeof name, "%s_to_%s", want == NHWC ? "nchw" : "nhwc",
             want == NHWC ? "nhwc" : "nchw");
    if (unit) { /* same memory order: a free reinterpretation */
        ER_TRY(make_node(L, "Reinterpret", "edgerun", name, 1, &n));
        n.in[0] = v;
        n.out[0] = nv;
        er_node *np = &n;
        ER_TRY(er_node_set_attr_ints(g, np, "shape", 4, g->values[nv].dims));
    } else {
        ER_TRY(make_node(L, "Transpose", "", name, 1, &n));
        n.in[0] = v;
        n.out[0] = nv;
        int64_t perm_nhwc[4] = {0, 2, 3, 1}, perm_nchw[4] = {0, 3, 1, 2};
        ER_TRY(er_node_set_attr_ints(g, &n, "perm", 4, want == NHWC ? perm_nhwc : perm_nchw));
    }
    ER_TRY(emit(L, &n));
    L->tag[nv] = (unsigned char)want;
    cache[v] = nv;
    *out = nv;
    return ER_OK;
}

static int index_of_node(const er_graph *g, const er_node *n) { return (int)(n - g->nodes); }

static bool is_4d(const er_graph *g, int v) { return v >= 0 && g->values[v].rank == 4; }

static bool op_in(const char *op, const char *const *list) {
    for (; *list; list++)
        if (strcmp(op, *list) == 0) return true;
    return false;
}

static const char *const k_unary[] = {
    "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu",
    "Softplus", "Softsign", "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal", "Floor", "Ceil",
    "Round", "Sign", "Erf", "Sin", "Cos", "Not", "Identity", "Cast", "Clip", "Gelu",
    "ThresholdedRelu", "Shrink", "IsNaN", "IsInf", NULL};
static const char *const k_binary[] = {
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Where", "Equal",
    "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", "Mod", NULL};

/* Logical NCHW axis -> stored NHWC axis. */
static int64_t remap_axis(int64_t a) {
    if (a < 0) a += 4;
    static const int64_t m[4] = {0, 3, 1, 2};
    return a >= 0 && a < 4 ? m[a] : a;
}

/* A constant operand of an NHWC elementwise op, broadcast against rank-4
 * logical shapes: returns a constant stored in NHWC order. */
static er_status permute_const(lay *L, int v, int *out) {
    er_graph *g = L->g;
    const er_value *c = &g->values[v];
    int64_t l[4] = {1, 1, 1, 1};
    for (int k = 0; k < c->rank; k++) l[4 - c->rank + k] = c->dims[k];
    int64_t p[4];
    nchw_to_nhwc_dims(l, p);
    size_t es = er_dtype_size(c->dtype);
    int nv;
    char hint[160];
    snprintf(hint, sizeof hint, "%s_nhwc", c->name);
    ER_TRY(er_graph_new_value(g, hint, &nv));
    ER_TRY(grow_values(L));
    unsigned char *dst;
    ER_TRY(er_graph_set_const(g, nv, g->values[v].dtype, 4, p, (void **)&dst));
    const unsigned char *src = g->values[v].data;
    for (int64_t n = 0; n < l[0]; n++)
        for (int64_t ch = 0; ch < l[1]; ch++)
            for (int64_t h = 0; h < l[2]; h++)
                for (int64_t w = 0; w < l[3]; w++) {
                    size_t si = (size_t)(((n * l[1] + ch) * l[2] + h) * l[3] + w);
                    size_t di = (size_t)(((n * l[2] + h) * l[3] + w) * l[1] + ch);
                    memcpy(dst + di * es, src + si * es, es);
                }
    L->tag[nv] = NHWC;
    *out = nv;
    return ER_OK;
}

static void set_out_nhwc(lay *L, int v) {
    er_value *x = &L->g->values[v];
    int64_t p[4];
    nchw_to_nhwc_dims(x->dims, p);
    memcpy(x->dims, p, sizeof p);
    L->tag[v] = NHWC;
}

/* Elementwise node with at least one NHWC input: NHWC if every other input
 * is NHWC or a constant of rank <= 4; *ok = false otherwise. */
static er_status elementwise(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    bool any = false;
    for (int k = 0; k < n->n_in; k++) {
        int v = n->in[k];
        if (v < 0) continue;
        if (L->tag[v] == NHWC) any = true;
        else if (g->values[v].rank > 4) return ER_OK;
        else if (!er_pass_is_const(g, v) && g->values[v].rank != 4) return ER_OK;
    }
    if (!any || g->values[n->out[0]].rank != 4) return ER_OK;
    for (int k = 0; k < n->n_in; k++) {
        int v = n->in[k];
        if (v < 0 || L->tag[v] == NHWC) continue;
        if (!er_pass_is_const(g, v)) { /* a plain 4-D operand joins NHWC */
            ER_TRY(convert(L, v, NHWC, &n->in[k]));
            continue;
        }
        /* Clip's min/max and other scalars broadcast the same either way */
        if (er_shape_count(g->values[v].rank, g->values[v].dims) == 1 && g->values[v].rank <= 1)
            continue;
        ER_TRY(permute_const(L, v, &n->in[k]));
    }
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0) set_out_nhwc(L, n->out[k]);
    *ok = true;
    return ER_OK;
}

/* A new int64 constant holding the given values. */
static er_status int_const(lay *L, const char *hint, int n, const int64_t *v, int *out) {
    int id;
    ER_TRY(er_graph_new_value(L->g, hint, &id));
    ER_TRY(grow_values(L));
    int64_t dims[1] = {n};
    int64_t *d;
    ER_TRY(er_graph_set_const(L->g, id, ER_I64, 1, dims, (void **)&d));
    memcpy(d, v, sizeof(int64_t) * (size_t)n);
    *out = id;
    return ER_OK;
}

/* Reads a constant int list (int32/int64) of at most 8 values. */
static bool const_ints(const er_graph *g, int v, int64_t *out, int *n) {
    if (v < 0 || !er_pass_is_const(g, v)) return false;
    const er_value *x = &g->values[v];
    size_t cnt = er_shape_count(x->rank, x->dims);
    if ((x->dtype != ER_I64 && x->dtype != ER_I32) || x->rank > 1 || cnt > 8) return false;
    for (size_t i = 0; i < cnt; i++) out[i] = er_load_i64(x->data, x->dtype, i);
    *n = (int)cnt;
    return true;
}

/* Slice of an NHWC value: remap the axes (inputs from opset 10, attributes
 * before). */
static er_status slice_nhwc(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    int64_t axes[8];
    int na = 0;
    if (n->opset < 10) {
        const int64_t *a, *st;
        int ns = er_attr_ints(n, "starts", &st);
        na = er_attr_ints(n, "axes", &a);
        if (na < 0) {
            for (int i = 0; i < ns && i < 8; i++) axes[i] = i;
            na = ns < 8 ? ns : 8;
        } else {
            if (na > 8) return ER_OK;
            memcpy(axes, a, sizeof(int64_t) * (size_t)na);
        }
        for (int i = 0; i < na; i++) axes[i] = remap_axis(axes[i]);
        ER_TRY(er_node_set_attr_ints(g, n, "axes", na, axes));
    } else {
        int64_t starts[8];
        int ns;
        if (!const_ints(g, n->in[1], starts, &ns)) return ER_OK;
        if (n->n_in > 3 && n->in[3] >= 0) {
            if (!const_ints(g, n->in[3], axes, &na) || na != ns) return ER_OK;
        } else {
            for (int i = 0; i < ns; i++) axes[i] = i;
            na = ns;
        }
        for (int i = 0; i < na; i++) axes[i] = remap_axis(axes[i]);
        ER_TRY(er_node_resize_inputs(g, n, n->n_in > 4 ? n->n_in : 4));
        ER_TRY(int_const(L, "slice_axes_nhwc", na, axes, &n->in[3]));
    }
    set_out_nhwc(L, n->out[0]);
    *ok = true;
    return ER_OK;
}

/* ReduceMean/Sum/Max/Min of an NHWC value along constant axes. keepdims=1
 * stays NHWC; keepdims=0 works when the kept axes are stored in their
 * logical order (e.g. reducing H and W leaves [N, C] either way). */
static er_status reduce_nhwc(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    bool from_input = n->opset >= (strcmp(n->op_type, "ReduceSum") == 0 ? 13 : 18);
    int64_t axes[8];
    int na = 0;
    if (from_input) {
        if (n->n_in < 2 || !const_ints(g, n->in[1], axes, &na)) return ER_OK;
    } else {
        const int64_t *a;
        na = er_attr_ints(n, "axes", &a);
        if (na <= 0 || na > 4) return ER_OK;
        memcpy(axes, a, sizeof(int64_t) * (size_t)na);
    }
    if (na == 0) return ER_OK;
    bool reduced[4] = {false, false, false, false};
    for (int i = 0; i < na; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
        if (a < 0 || a > 3) return ER_OK;
        reduced[a] = true;
        axes[i] = remap_axis(a);
    }
    bool keep = er_attr_int(n, "keepdims", 1) != 0;
    if (!keep) { /* the kept axes must keep their relative order in storage */
        int64_t last = -1;
        for (int a = 0; a < 4; a++) {
            if (reduced[a]) continue;
            if (remap_axis(a) < last) return ER_OK;
            last = remap_axis(a);
        }
    }
    if (from_input) ER_TRY(int_const(L, "reduce_axes_nhwc", na, axes, &n->in[1]));
    else ER_TRY(er_node_set_attr_ints(g, n, "axes", na, axes));
    if (keep) set_out_nhwc(L, n->out[0]);
    *ok = true;
    return ER_OK;
}

/* ShuffleNet's channel shuffle on an NHWC value x (logical [N,C,H,W]):
 *   Reshape [N,g,C/g,H,W] -> Transpose [0,2,1,3,4] -> Reshape [N,C,H,W]
 * permutes channels inside each pixel, so in NHWC it is
 *   Reinterpret [N,H,W,g,C/g] -> Transpose [0,1,2,4,3] -> Reinterpret [N,H,W,C]. */
static er_status channel_shuffle(lay *L, er_node *r1, int r1_index, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    int x = r1->in[0];
    const er_value *xv = &g->values[x], *r1v = &g->values[r1->out[0]];
    if (r1v->rank != 5) return ER_OK;
    int64_t l[4];
    nhwc_to_nchw_dims(xv->dims, l);
    int64_t grp = r1v->dims[1];
    if (r1v->dims[0] != l[0] || grp * r1v->dims[2] != l[1] || r1v->dims[3] != l[2] ||
        r1v->dims[4] != l[3])
        return ER_OK;
    er_node *tr = er_pass_sole_consumer(g, r1->out[0]);
    if (!tr || !tr->op_type || tr->domain[0] || strcmp(tr->op_type, "Transpose") != 0) return ER_OK;
    const int64_t *perm;
    static const int64_t shuffle[5] = {0, 2, 1, 3, 4};
    if (er_attr_ints(tr, "perm", &perm) != 5 || memcmp(perm, shuffle, sizeof shuffle) != 0)
        return ER_OK;
    er_node *r2 = er_pass_sole_consumer(g, tr->out[0]);
    if (!r2 || !r2->op_type || r2->domain[0] || strcmp(r2->op_type, "Reshape") != 0) return ER_OK;
    const er_value *r2v = &g->values[r2->out[0]];
    if (!er_shape_equal(r2v->rank, r2v->dims, 4, l)) return ER_OK;
    int64_t d1[5] = {xv->dims[0], xv->dims[1], xv->dims[2], grp, l[1] / grp};
    int64_t d2[5] = {d1[0], d1[1], d1[2], d1[4], d1[3]};
    int64_t p2[5] = {0, 1, 2, 4, 3};
    r1->op_type = "Reinterpret";
    r1->domain = "edgerun";
    r1->op = er_op_find(r1->op_type, r1->domain);
    r1->n_in = 1;
    ER_TRY(er_node_set_attr_ints(g, r1, "shape", 5, d1));
    memcpy(g->values[r1->out[0]].dims, d1, sizeof d1);
    ER_TRY(er_node_set_attr_ints(g, tr, "perm", 5, p2));
    memcpy(g->values[tr->out[0]].dims, d2, sizeof d2);
    r2->op_type = "Reinterpret";
    r2->domain = "edgerun";
    r2->op = er_op_find(r2->op_type, r2->domain);
    r2->n_in = 1;
    ER_TRY(er_node_set_attr_ints(g, r2, "shape", 4, xv->dims));
    set_out_nhwc(L, r2->out[0]);
    L->handled[index_of_node(g, tr)] = true;
    L->handled[index_of_node(g, r2)] = true;
    (void)r1_index;
    *ok = true;
    return ER_OK;
}

/* A float/int constant of 4 values (Resize's scales or sizes) or 8 values
 * (roi: 4 starts then 4 ends) in logical NCHW order, returned permuted to
 * NHWC order. */
static er_status permute_vec4(lay *L, int v, int *out) {
    er_graph *g = L->g;
    const er_value *x = &g->values[v];
    size_t n = er_shape_count(x->rank, x->dims), es = er_dtype_size(x->dtype);
    if (x->rank != 1 || (n != 4 && n != 8) || !es)
        return er_fail(ER_ERR_INTERNAL, "layout: not a per-axis vector");
    int nv;
    ER_TRY(er_graph_new_value(g, g->values[v].name, &nv));
    ER_TRY(grow_values(L));
    int64_t dims[1] = {(int64_t)n};
    unsigned char *dst;
    ER_TRY(er_graph_set_const(g, nv, g->values[v].dtype, 1, dims, (void **)&dst));
    const unsigned char *src = g->values[v].data;
    static const int from[4] = {0, 2, 3, 1}; /* stored axis k reads logical axis from[k] */
    for (size_t half = 0; half < n / 4; half++)
        for (int k = 0; k < 4; k++)
            memcpy(dst + (half * 4 + (size_t)k) * es, src + (half * 4 + (size_t)from[k]) * es, es);
    *out = nv;
    return ER_OK;
}

/* Resize (opset >= 11) of an NHWC value with constant roi/scales/sizes:
 * the same resize on the stored tensor, with the per-axis inputs permuted
 * (or, with Resize-18 `axes`, the axes remapped). The kernel then interpolates over H and W with
 * C contiguous. */
static er_status resize_nhwc(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    if (n->opset < 11 || n->n_out != 1) return ER_OK;
    const int64_t *axes;
    int na = er_attr_ints(n, "axes", &axes);
    if (na >= 0) { /* Resize-18 axes: remap them; the per-axis inputs follow axes' order */
        if (na > 4) return ER_OK;
        for (int k = 1; k < n->n_in; k++)
            if (n->in[k] >= 0 && !er_pass_is_const(g, n->in[k])) return ER_OK;
        int64_t mapped[4];
        for (int i = 0; i < na; i++) {
            int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
            if (a < 0 || a > 3) return ER_OK;
            mapped[i] = remap_axis(a);
        }
        ER_TRY(er_node_set_attr_ints(g, n, "axes", na, mapped));
        set_out_nhwc(L, n->out[0]);
        *ok = true;
        return ER_OK;
    }
    for (int k = 1; k < n->n_in; k++) {
        int v = n->in[k];
        if (v < 0) continue;
        if (!er_pass_is_const(g, v)) return ER_OK;
        size_t cnt = er_shape_count(g->values[v].rank, g->values[v].dims);
        if (cnt == 0) continue; /* empty roi/scales placeholder */
        if (g->values[v].rank != 1 || (cnt != 4 && !(k == 1 && cnt == 8))) return ER_OK;
    }
    for (int k = 1; k < n->n_in; k++) {
        int v = n->in[k];
        if (v < 0 || er_shape_count(g->values[v].rank, g->values[v].dims) == 0) continue;
        ER_TRY(permute_vec4(L, v, &n->in[k]));
    }
    set_out_nhwc(L, n->out[0]);
    *ok = true;
    return ER_OK;
}

/* Pad of an NHWC value: the 8 amounts (begins, ends) permuted to stored
 * order; any mode works unchanged on the stored tensor. */
static er_status pad_nhwc(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    *ok = false;
    static const int from[4] = {0, 2, 3, 1};
    int64_t src[8], dst[8];
    if (n->opset < 11) {
        const int64_t *v;
        const char *name = n->opset < 2 ? "paddings" : "pads";
        if (er_attr_ints(n, name, &v) != 8) return ER_OK;
        memcpy(src, v, sizeof src);
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++) dst[h * 4 + k] = src[h * 4 + from[k]];
        ER_TRY(er_node_set_attr_ints(g, n, name, 8, dst));
    } else {
        if (n->n_in < 2 || (n->n_in > 3 && n->in[3] >= 0)) return ER_OK; /* axes */
        int na;
        if (!const_ints(g, n->in[1], src, &na) || na != 8) return ER_OK;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++) dst[h * 4 + k] = src[h * 4 + from[k]];
        ER_TRY(int_const(L, "pads_nhwc", 8, dst, &n->in[1]));
    }
    set_out_nhwc(L, n->out[0]);
    *ok = true;
    return ER_OK;
}

/* ---- int8 (edgerun-domain) ops ----------------------------------------------- */

static bool is_q8(er_dtype dt) { return dt == ER_U8 || dt == ER_I8; }

/* Elementwise int8 ops whose quantization parameters are scalar inputs:
 * they run in NHWC like their float counterparts. */
static const char *const k_qelementwise[] = {"QAdd", "QMul", "QSigmoid", "QTanh",
                                             "QHardSwish", "QLeakyRelu", NULL};

/* An edgerun int8 op: *ok = true when it was rewritten to run in NHWC. */
static er_status visit_int8(lay *L, er_node *n, bool *ok) {
    er_graph *g = L->g;
    const char *op = n->op_type;
    int x = n->n_in ? n->in[0] : -1;
    bool q8_4d = x >= 0 && is_4d(g, x) && is_q8(g->values[x].dtype);
    *ok = false;
    if (strcmp(op, "QConv") == 0 && q8_4d && n->n_in >= 8 && g->values[n->in[3]].rank == 4) {
        for (int k = 1; k < n->n_in; k++)
            if (n->in[k] >= 0 && !er_pass_is_const(g, n->in[k])) return ER_OK;
        ER_TRY(convert(L, x, NHWC, &n->in[0]));
        n->op_type = "QConvNhwc";
        n->op = er_op_find(n->op_type, n->domain);
        set_out_nhwc(L, n->out[0]);
        *ok = true;
        return ER_OK;
    }
    static const char *const pools[] = {"QMaxPool", "QAveragePool", "QGlobalAveragePool", NULL};
    if (op_in(op, pools) && q8_4d && n->n_out == 1) {
        ER_TRY(convert(L, x, NHWC, &n->in[0]));
        n->op_type = strcmp(op, "QMaxPool") == 0       ? "QMaxPoolNhwc"
                     : strcmp(op, "QAveragePool") == 0 ? "QAveragePoolNhwc"
                                                       : "QGlobalAveragePoolNhwc";
        n->op = er_op_find(n->op_type, n->domain);
        set_out_nhwc(L, n->out[0]);
        *ok = true;
        return ER_OK;
    }
    if (op_in(op, k_qelementwise)) return elementwise(L, n, ok);
    if (strcmp(op, "QConcat") == 0 && n->n_in >= 5 && (n->n_in - 2) % 3 == 0) {
        for (int k = 2; k < n->n_in; k += 3)
            if (n->in[k] < 0 || L->tag[n->in[k]] != NHWC) return ER_OK;
        int64_t axis = er_attr_int(n, "axis", 1);
        if (axis < -4 || axis > 3) return ER_OK;
        ER_TRY(er_node_set_attr_int(g, n, "axis", remap_axis(axis)));
        set_out_nhwc(L, n->out[0]);
        *ok = true;
    }
    return ER_OK;
}

static er_status visit(lay *L, er_node *n) {
    er_graph *g = L->g;
    const char *op = n->op_type;
    bool dflt = n->domain[0] == '\0';
    int x = n->n_in ? n->in[0] : -1;
    bool f32_4d = x >= 0 && is_4d(g, x) && g->values[x].dtype == ER_F32;

    if (strcmp(n->domain, "edgerun") == 0) {
        bool ok;
        ER_TRY(visit_int8(L, n, &ok));
        if (ok) return emit(L, n);
    }

    if (dflt && strcmp(op, "Conv") == 0 && f32_4d && n->n_in >= 2 &&
        er_pass_is_const(g, n->in[1]) && g->values[n->in[1]].rank == 4 &&
        (n->n_in < 3 || n->in[2] < 0 || er_pass_is_const(g, n->in[2]))) {
        ER_TRY(convert(L, x, NHWC, &n->in[0]));
        n->op_type = "ConvNhwc";
        n->domain = "edgerun";
        n->op = er_op_find(n->op_type, n->domain);
        set_out_nhwc(L, n->out[0]);
        return emit(L, n);
    }
    static const char *const pools[] = {"MaxPool", "AveragePool", "GlobalAveragePool",
                                        "GlobalMaxPool", NULL};
    if (dflt && op_in(op, pools) && f32_4d && (n->n_out < 2 || n->out[1] < 0) &&
        er_attr_int(n, "storage_order", 0) == 0) {
        ER_TRY(convert(L, x, NHWC, &n->in[0]));
        n->op_type = strcmp(op, "MaxPool") == 0 ? "MaxPoolNhwc"
                   : strcmp(op, "AveragePool") == 0 ? "AveragePoolNhwc"
                   : strcmp(op, "GlobalAveragePool") == 0 ? "GlobalAveragePoolNhwc"
                                                          : "GlobalMaxPoolNhwc";
        n->domain = "edgerun";
        n->op = er_op_find(n->op_type, n->domain);
        set_out_nhwc(L, n->out[0]);
        return emit(L, n);
    }
    if (dflt && (op_in(op, k_unary) || op_in(op, k_binary))) {
        bool ok;
        ER_TRY(elementwise(L, n, &ok));
        if (ok) return emit(L, n);
    }
    if (dflt && strcmp(op, "Concat") == 0 && n->n_in > 0) {
        bool all = true;
        for (int k = 0; k < n->n_in; k++) all = all && n->in[k] >= 0 && L->tag[n->in[k]] == NHWC;
        if (all) {
            ER_TRY(er_node_set_attr_int(g, n, "axis", remap_axis(er_attr_int(n, "axis", 1))));
            set_out_nhwc(L, n->out[0]);
            return emit(L, n);
        }
    }
    if (dflt && strcmp(op, "Slice") == 0 && x >= 0 && L->tag[x] == NHWC) {
        bool ok;
        ER_TRY(slice_nhwc(L, n, &ok));
        if (ok) return emit(L, n);
    }
    static const char *const reduces[] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", NULL};
    if (dflt && op_in(op, reduces) && x >= 0 && L->tag[x] == NHWC) {
        bool ok;
        ER_TRY(reduce_nhwc(L, n, &ok));
        if (ok) return emit(L, n);
    }
    if (dflt && strcmp(op, "Reshape") == 0 && x >= 0 && L->tag[x] == NHWC) {
        bool ok;
        ER_TRY(channel_shuffle(L, n, 0, &ok));
        if (ok) return emit(L, n);
    }
    if (dflt && strcmp(op, "Pad") == 0 && x >= 0 && L->tag[x] == NHWC) {
        bool ok;
        ER_TRY(pad_nhwc(L, n, &ok));
        if (ok) return emit(L, n);
    }
    if (dflt && strcmp(op, "Resize") == 0 && x >= 0 && L->tag[x] == NHWC) {
        bool ok;
        ER_TRY(resize_nhwc(L, n, &ok));
        if (ok) return emit(L, n);
    }
    if (dflt && strcmp(op, "Split") == 0 && x >= 0 && L->tag[x] == NHWC) {
        ER_TRY(er_node_set_attr_int(g, n, "axis", remap_axis(er_attr_int(n, "axis", 0))));
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) set_out_nhwc(L, n->out[k]);
        return emit(L, n);
    }
    if (dflt && strcmp(op, "Transpose") == 0 && x >= 0 && g->values[x].rank == 4) {
        const int64_t *perm;
        int np = er_attr_ints(n, "perm", &perm);
        static const int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
        bool p_to_nchw = np == 4 && memcmp(perm, to_nchw, sizeof to_nchw) == 0;
        bool p_to_nhwc = np == 4 && memcmp(perm, to_nhwc, sizeof to_nhwc) == 0;
        /* plain NHWC data viewed as NCHW, or NHWC-stored data viewed as
         * plain NHWC: the bytes are already in the wanted order */
        if ((L->tag[x] == PLAIN && p_to_nchw) || (L->tag[x] == NHWC && p_to_nhwc)) {
            int y = n->out[0];
            n->op_type = "Reinterpret";
            n->domain = "edgerun";
            n->op = er_op_find(n->op_type, n->domain);
            int64_t stored[4];
            memcpy(stored, g->values[x].dims, sizeof stored);
            ER_TRY(er_node_set_attr_ints(g, n, "shape", 4, stored));
            memcpy(g->values[y].dims, stored, sizeof stored);
            L->tag[y] = p_to_nchw ? NHWC : PLAIN;
            return emit(L, n);
        }
    }
    /* anything else reads its inputs in their ONNX layout */
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && L->tag[n->in[k]] == NHWC) ER_TRY(convert(L, n->in[k], PLAIN, &n->in[k]));
    return emit(L, n);
}

er_status er_pass_layout_nhwc(er_graph *g) {
    /* only worth it when there is a convolution to speed up */
    bool any = false;
    for (int i = 0; i < g->n_nodes && !any; i++) {
        const er_node *n = &g->nodes[i];
        any = n->op_type && n->n_in > 0 && n->in[0] >= 0 && g->values[n->in[0]].rank == 4 &&
              ((!n->domain[0] && strcmp(n->op_type, "Conv") == 0) ||
               (strcmp(n->domain, "edgerun") == 0 && strcmp(n->op_type, "QConv") == 0));
    }
    if (!any) return ER_OK;
    lay L;
    memset(&L, 0, sizeof L);
    L.g = g;
    er_status st = grow_values(&L);
    L.handled = er_calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(bool));
    if (!L.handled) st = er_fail(ER_ERR_NOMEM, "out of memory in the layout pass");
    for (int i = 0; st == ER_OK && i < g->n_nodes; i++) {
        er_node n = g->nodes[i];
        if (!n.op_type) continue;
        /* nodes a pattern already rewrote keep their new form */
        st = L.handled[i] ? emit(&L, &g->nodes[i]) : visit(&L, &n);
    }
    /* graph outputs leave in their ONNX layout: the producer writes a new
     * NHWC value and a conversion writes the output name */
    for (int i = 0; st == ER_OK && i < g->n_outputs; i++) {
        int o = g->outputs[i];
        if (L.tag[o] != NHWC) continue;
        int inner;
        st = er_graph_new_value(g, g->values[o].name, &inner);
        if (st == ER_OK) st = grow_values(&L);
        if (st != ER_OK) break;
        g->values[inner].dtype = g->values[o].dtype;
        g->values[inner].rank = 4;
        memcpy(g->values[inner].dims, g->values[o].dims, sizeof g->values[o].dims);
        for (int k = 0; k < L.n_nodes; k++) {
            er_node *m = &L.nodes[k];
            for (int j = 0; j < m->n_in; j++)
                if (m->in[j] == o) m->in[j] = inner;
            for (int j = 0; j < m->n_out; j++)
                if (m->out[j] == o) m->out[j] = inner;
        }
        L.tag[inner] = NHWC;
        L.tag[o] = PLAIN;
        int64_t l[4];
        nhwc_to_nchw_dims(g->values[inner].dims, l);
        memcpy(g->values[o].dims, l, sizeof l);
        L.to_plain[inner] = -1;
        /* emit the conversion into `o` itself */
        int tmp;
        st = convert(&L, inner, PLAIN, &tmp);
        if (st != ER_OK) break;
        er_node *last = &L.nodes[L.n_nodes - 1];
        last->out[0] = o;
        g->values[tmp].rank = -1; /* the temporary value is unused */
    }
    if (st == ER_OK) {
        er_free(g->nodes);
        g->nodes = L.nodes;
        g->n_nodes = g->cap_nodes = L.n_nodes;
        L.nodes = NULL;
        er_graph_compact(g);
    }
    er_free(L.nodes);
    er_free(L.handled);
    er_free(L.tag);
    er_free(L.to_nhwc);
    er_free(L.to_plain);
    return st;
}
