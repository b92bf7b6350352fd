/* fold_qdq.c - rewrites the QDQ form of a quantized ONNX model into edgerun's
 * int8 ops (see docs/int8.md for the op definitions).
 *
 * A QDQ model keeps float ops and marks quantized tensors with
 * QuantizeLinear (Q) / DequantizeLinear (DQ) pairs. Each pattern
 *
 *     DQ(x_q) ─┐
 *     DQ(w_q) ─┼─ Op ─ [Relu | Clip] ─ Q ─ y_q          (w_q, bias: constants)
 *     [bias]  ─┘
 *
 * becomes one node  QOp(x_q, x_scale, x_zp, w_q, w_scale, w_zp, y_scale,
 * y_zp, [bias_int32])  that writes y_q directly. Recognised ops and what
 * they become:
 *   Conv -> QConv, Gemm -> QGemm, MatMul [+ Add(bias)] -> QMatMul,
 *   Add -> QAdd, Mul -> QMul        (these five may fuse a following Relu
 *                                    or Clip as activation_min/max)
 *   AveragePool, MaxPool, GlobalAveragePool -> QAveragePool, QMaxPool,
 *   QGlobalAveragePool; Concat -> QConcat; Resize (opset >= 11, nearest or
 *   linear) -> QResize; Sigmoid, Tanh, HardSwish, LeakyRelu, Softmax ->
 *   QSigmoid, QTanh, QHardSwish, QLeakyRelu, QSoftmax; Relu -> QLeakyRelu
 *   with alpha 0; Reshape, Flatten, Transpose, Squeeze, Unsqueeze whose Q
 *   has the DQ's scale and zero point -> the same op on the quantized data.
 *
 * Conditions, all checked before anything changes: every scale and zero
 * point is a constant (initializer); activations are per tensor; weights
 * (Conv W, Gemm/MatMul B) are constant uint8/int8, per tensor or per output
 * channel on the output-channel axis; the Op's float output has exactly one
 * consumer and is not a graph output (likewise the activation's). A bias is
 * a float constant or the DQ of an int32 constant; it is re-expressed in
 * the accumulator's scale x_scale * w_scale[m] (unchanged when its scale
 * already is that float product, as quantizers write it). A fused Relu
 * clamps at y_zp, a Clip at its bounds quantized with y's parameters
 * (exact: quantization is monotonic).
 *
 * Nothing is removed while matching. Each replacement is appended to the
 * node list and recorded against the Q node it replaces; the commit at the
 * end puts it in that Q node's place - after all its inputs (produced
 * before the DQ nodes feeding the Op), before all consumers of y_q - so the
 * list stays topologically sorted, and drops the Op, activation and Q
 * nodes and then every DQ/Q node left without consumers. The commit does not
 * allocate; an allocation failure before it leaves the graph's nodes as
 * they were. */
#include "fold_qdq.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "ops/op.h"

/* A quantized tensor as a DQ reads it or a Q writes it. */
typedef struct {
    int data;       /* value index of the quantized tensor (Q: its output) */
    int scale, zp;  /* value indices; zp -1 until materialized when absent */
    er_dtype dtype; /* uint8 / int8 (int32 for biases) */
    int64_t n;      /* number of scales: 1 = per tensor */
} qinfo;

typedef struct {
    er_graph *g;
    int n0, nv0;            /* node and value counts before the pass */
    int *n_cons;            /* per original value: consumers, +1 for a graph output */
    int *a_cons;            /* per original value: one consuming node */
    unsigned char *dead;    /* per original node */
    int *replaced_by;       /* per original node: appended node index, or -1 */
    int n_folded;
} fold_ctx;

/* The output side of a pattern: Q (and an optional fused activation). */
typedef struct {
    int q_node, act_node;
    qinfo y;
    int32_t lo, hi; /* activation clamp in y's quantized domain */
} out_chain;

static bool is_op(const er_node *n, const char *type) {
    return n->domain[0] == '\0' && strcmp(n->op_type, type) == 0;
}

static const er_value *cval(const fold_ctx *f, int v) {
    if (v < 0 || v >= f->g->n_values) return NULL;
    const er_value *val = &f->g->values[v];
    return val->data && val->rank >= 0 ? val : NULL;
}

static int64_t numel(const er_value *v) {
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->dims[i];
    return n;
}

static bool qdtype(er_dtype dt) { return dt == ER_U8 || dt == ER_I8; }

/* The single live consumer of original value v (not a graph output), or -1. */
static int sole_consumer(const fold_ctx *f, int v) {
    if (v < 0 || v >= f->nv0 || f->n_cons[v] != 1) return -1;
    int c = f->a_cons[v];
    return c >= 0 && !f->dead[c] ? c : -1;
}

/* Producer of v if it is a live original node of the given type. */
static const er_node *producer_of(const fold_ctx *f, int v, const char *type) {
    if (v < 0 || v >= f->nv0) return NULL;
    int p = f->g->values[v].producer;
    if (p < 0 || p >= f->n0 || f->dead[p]) return NULL;
    const er_node *n = &f->g->nodes[p];
    return is_op(n, type) ? n : NULL;
}

/* dtype of a quantized value whose zero point is absent: declared, or the
 * output dtype of the Q that made it. */
static er_dtype implied_dtype(const fold_ctx *f, int v) {
    er_dtype dt = f->g->values[v].dtype;
    if (dt != ER_UNDEF) return dt;
    const er_node *q = producer_of(f, v, "QuantizeLinear");
    if (!q) return ER_UNDEF;
    const er_value *z = q->n_in > 2 ? cval(f, q->in[2]) : NULL;
    if (z) return z->dtype;
    int64_t od = er_attr_int(q, "output_dtype", 0);
    return od == 0 ? ER_U8 : (er_dtype)od;
}

/* Matches the DQ producing float value v. want_axis < 0: per tensor only;
 * otherwise a per-channel DQ must be on that axis of its (constant) data.
 * `bias`: int32 data is expected instead of uint8/int8. */
static bool dq_of(const fold_ctx *f, int v, int want_axis, bool need_const, bool bias,
                  qinfo *q) {
    const er_node *dq = producer_of(f, v, "DequantizeLinear");
    if (!dq || dq->n_in < 2 || er_attr_int(dq, "block_size", 0) != 0) return false;
    int data = dq->in[0], s = dq->in[1], z = dq->n_in > 2 ? dq->in[2] : -1;
    const er_value *sv = cval(f, s), *zv = z >= 0 ? cval(f, z) : NULL;
    if (data < 0 || !sv || sv->dtype != ER_F32 || (z >= 0 && !zv)) return false;
    const er_value *dv = &f->g->values[data];
    if (need_const && !cval(f, data)) return false;
    memset(q, 0, sizeof *q);
    q->data = data;
    q->scale = s;
    q->zp = zv ? z : -1;
    q->n = numel(sv);
    q->dtype = zv ? zv->dtype : implied_dtype(f, data);
    if (bias ? q->dtype != ER_I32 : !qdtype(q->dtype)) return false;
    if (zv && (numel(zv) != q->n || zv->rank != sv->rank)) return false;
    const float *sp = sv->data;
    for (int64_t k = 0; k < q->n; k++)
        if (!(sp[k] > 0) || !isfinite(sp[k])) return false;
    if (q->n == 1) return true;
    if (want_axis < 0 || sv->rank != 1 || dv->rank < 1) return false;
    int64_t axis = er_attr_int(dq, "axis", 1);
    if (axis < 0) axis += dv->rank;
    return axis == want_axis && axis < dv->rank && dv->dims[axis] == q->n;
}

/* Matches a Q node with constant per-tensor parameters. */
static bool q_of(const fold_ctx *f, int node, qinfo *q) {
    const er_node *n = &f->g->nodes[node];
    if (!is_op(n, "QuantizeLinear") || n->n_in < 2 || n->n_out < 1 || n->out[0] < 0) return false;
    const er_value *sv = cval(f, n->in[1]);
    int z = n->n_in > 2 ? n->in[2] : -1;
    const er_value *zv = z >= 0 ? cval(f, z) : NULL;
    if (!sv || sv->dtype != ER_F32 || numel(sv) != 1 || (z >= 0 && (!zv || numel(zv) != 1)))
        return false;
    float s = *(const float *)sv->data;
    if (!(s > 0) || !isfinite(s)) return false;
    memset(q, 0, sizeof *q);
    q->data = n->out[0];
    q->scale = n->in[1];
    q->zp = zv ? z : -1;
    q->n = 1;
    int64_t od = er_attr_int(n, "output_dtype", 0);
    q->dtype = zv ? zv->dtype : od == 0 ? ER_U8 : (er_dtype)od;
    return qdtype(q->dtype);
}

static float f32_at(const fold_ctx *f, int v, int64_t i) {
    return ((const float *)f->g->values[v].data)[i];
}

static int32_t qrange_lo(er_dtype dt) { return dt == ER_I8 ? -128 : 0; }
static int32_t qrange_hi(er_dtype dt) { return dt == ER_I8 ? 127 : 255; }

/* QuantizeLinear of one float (float32 arithmetic, as the op computes it). */
static int32_t quantize_bound(float a, float scale, int32_t zp, er_dtype dt) {
    float q = rintf(a / scale) + (float)zp;
    return q <= (float)qrange_lo(dt) ? qrange_lo(dt)
         : q >= (float)qrange_hi(dt) ? qrange_hi(dt) : (int32_t)q;
}

static bool const_scalar_f32(const fold_ctx *f, int v, float *out) {
    const er_value *c = cval(f, v);
    if (!c || c->dtype != ER_F32 || numel(c) != 1) return false;
    *out = *(const float *)c->data;
    return true;
}

/* Matches v -> [Relu | Clip] -> Q. */
static bool out_chain_of(const fold_ctx *f, int v, bool allow_act, out_chain *oc) {
    memset(oc, 0, sizeof *oc);
    oc->act_node = -1;
    int c = sole_consumer(f, v);
    if (c < 0) return false;
    const er_node *n = &f->g->nodes[c];
    float amin = -INFINITY, amax = INFINITY;
    bool relu = false, clip = false;
    if (allow_act && (is_op(n, "Relu") || is_op(n, "Clip"))) {
        clip = is_op(n, "Clip");
        relu = !clip;
        if (n->n_out < 1 || n->n_in < 1 || n->in[0] != v) return false;
        if (clip && n->opset < 11) {
            amin = er_attr_float(n, "min", -INFINITY);
            amax = er_attr_float(n, "max", INFINITY);
        } else if (clip) {
            if (n->n_in > 1 && n->in[1] >= 0 && !const_scalar_f32(f, n->in[1], &amin)) return false;
            if (n->n_in > 2 && n->in[2] >= 0 && !const_scalar_f32(f, n->in[2], &amax)) return false;
        }
        if (amin != amin || amax != amax) return false;
        oc->act_node = c;
        v = n->out[0];
        if ((c = sole_consumer(f, v)) < 0) return false;
        n = &f->g->nodes[c];
    }
    if (n->n_in < 1 || n->in[0] != v || !q_of(f, c, &oc->y)) return false;
    oc->q_node = c;
    float ys = f32_at(f, oc->y.scale, 0);
    int32_t zp = 0;
    if (oc->y.zp >= 0) zp = (int32_t)er_load_i64(f->g->values[oc->y.zp].data, oc->y.dtype, 0);
    oc->lo = qrange_lo(oc->y.dtype);
    oc->hi = qrange_hi(oc->y.dtype);
    if (relu && zp > oc->lo) oc->lo = zp;
    if (clip) {
        int32_t a = quantize_bound(amin, ys, zp, oc->y.dtype);
        int32_t b = quantize_bound(amax, ys, zp, oc->y.dtype);
        if (a > oc->lo) oc->lo = a;
        if (b < oc->hi) oc->hi = b;
        if (oc->lo > oc->hi) return false;
    }
    return true;
}

/* ---- building ------------------------------------------------------------------ */

/* Adds a constant value named after `base` (made unique), copying `src`
 * (NULL: zero-filled). */
static er_status add_const(fold_ctx *f, const char *base, const char *what, er_dtype dt,
                           int rank, const int64_t *dims, const void *src, int *out) {
    er_graph *g = f->g;
    char name[512];
    for (int k = 0;; k++) {
        if (k) snprintf(name, sizeof name, "%s/%s_%d", base, what, k);
        else snprintf(name, sizeof name, "%s/%s", base, what);
        if (er_graph_find(g, name) < 0) break;
    }
    size_t bytes = er_dtype_size(dt);
    for (int i = 0; i < rank; i++) bytes *= (size_t)dims[i];
    void *p = er_aligned_alloc(bytes ? bytes : 1);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory folding QDQ nodes");
    if (src) memcpy(p, src, bytes);
    else memset(p, 0, bytes ? bytes : 1);
    ER_TRY(er_graph_own(g, p));
    int id;
    ER_TRY(er_graph_value(g, name, &id));
    er_value *v = &g->values[id];
    v->dtype = dt;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    v->data = p;
    v->data_bytes = bytes;
    *out = id;
    return ER_OK;
}

/* Gives q an explicit zero point (zeros shaped like its scale) when absent. */
static er_status materialize_zp(fold_ctx *f, qinfo *q) {
    if (q->zp >= 0) return ER_OK;
    const er_value *s = &f->g->values[q->scale];
    int64_t dims[ER_MAX_RANK];
    int rank = s->rank;
    for (int i = 0; i < rank; i++) dims[i] = s->dims[i];
    char base[256];
    snprintf(base, sizeof base, "%s", f->g->values[q->data].name);
    return add_const(f, base, "zero_point", q->dtype, rank, dims, NULL, &q->zp);
}

/* Bias source check: a float constant or the DQ of an int32 constant, with
 * n values (or 1, broadcast) and rank <= max_rank. */
static bool bias_ok(const fold_ctx *f, int v, int64_t n, int max_rank) {
    const er_value *c = cval(f, v);
    qinfo b;
    if (c) return c->dtype == ER_F32 && c->rank <= max_rank && (numel(c) == n || numel(c) == 1);
    if (!dq_of(f, v, 0, true, true, &b)) return false;
    const er_value *d = &f->g->values[b.data];
    return d->rank <= max_rank && (numel(d) == n || numel(d) == 1) && (b.n == 1 || b.n == n);
}

/* The int32 bias [n] in the accumulator's scale x_scale * w_scale[m]. */
static er_status make_bias(fold_ctx *f, int v, int64_t n, float x_scale, const qinfo *w,
                           const char *base, int *out) {
    int32_t *b = er_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!b) return er_fail(ER_ERR_NOMEM, "out of memory folding QDQ nodes");
    const er_value *c = cval(f, v);
    qinfo bq = {0};
    if (!c) (void)dq_of(f, v, 0, true, true, &bq);
    for (int64_t m = 0; m < n; m++) {
        float ws = f32_at(f, w->scale, w->n == 1 ? 0 : m);
        float acc_scale = x_scale * ws; /* float32, as quantizers compute the bias scale */
        double real;
        if (c) {
            real = (double)f32_at(f, v, numel(c) == 1 ? 0 : m);
        } else {
            const er_value *d = &f->g->values[bq.data];
            int64_t i = numel(d) == 1 ? 0 : m;
            int64_t q = ((const int32_t *)d->data)[i];
            int64_t zp = bq.zp >= 0 ? er_load_i64(f->g->values[bq.zp].data, ER_I32,
                                                  (size_t)(bq.n == 1 ? 0 : m)) : 0;
            float bs = f32_at(f, bq.scale, bq.n == 1 ? 0 : m);
            if (bs == acc_scale && zp == 0) {
                b[m] = (int32_t)q;
                continue;
            }
            real = (double)(q - zp) * (double)bs;
        }
        double r = rint(real / ((double)x_scale * (double)ws));
        /* A zero or non-finite scale in a hostile model gives NaN here: 0, not UB. */
        b[m] = isnan(r) ? 0 : r >= 2147483647.0 ? INT32_MAX
             : r <= -2147483648.0 ? INT32_MIN : (int32_t)r;
    }
    int64_t dims[1] = {n};
    er_status st = add_const(f, base, "bias_int32", ER_I32, 1, dims, b, out);
    er_free(b);
    return st;
}

typedef struct {
    const char *name;
    er_attr_type type;
    int64_t i;
    float f;
} extra_attr;

/* Appends the replacement node for the pattern ending at Q node oc->q_node:
 * op `type` (domain edgerun), inputs `ins`, output y_q, the attributes of
 * node `src` named in `keep` (NULL: all), then `extra`. Marks the matched
 * nodes dead. */
static er_status emit_in(fold_ctx *f, int src, const out_chain *oc, const char *domain,
                         const char *type, const int *ins, int n_in, const char *const *keep,
                         const extra_attr *extra, int n_extra) {
    er_graph *g = f->g;
    const er_node *s = &g->nodes[src];
    int opset = domain[0] ? 1 : s->opset;
    const char *name = s->name;
    const er_attr *sa = s->attr; /* pool memory: survives the node array growing */
    int n_sa = s->n_attr, n_keep = 0;
    for (int k = 0; k < n_sa; k++) {
        bool kept = !keep;
        for (int j = 0; keep && keep[j]; j++)
            if (sa[k].name && strcmp(sa[k].name, keep[j]) == 0) kept = true;
        n_keep += kept;
    }
    er_node *nn;
    ER_TRY(er_graph_add_node(g, n_in, 1, n_keep + n_extra, &nn));
    nn->name = name;
    nn->op_type = type;
    nn->domain = domain;
    nn->opset = opset;
    nn->op = er_op_find(type, domain);
    for (int k = 0; k < n_in; k++) nn->in[k] = ins[k];
    nn->out[0] = oc->y.data;
    int a = 0;
    for (int k = 0; k < n_sa; k++) {
        bool kept = !keep;
        for (int j = 0; keep && keep[j]; j++)
            if (sa[k].name && strcmp(sa[k].name, keep[j]) == 0) kept = true;
        if (kept) nn->attr[a++] = sa[k];
    }
    for (int k = 0; k < n_extra; k++) {
        er_attr *t = &nn->attr[a++];
        memset(t, 0, sizeof *t);
        t->name = extra[k].name;
        t->type = extra[k].type;
        t->i = extra[k].i;
        t->f = extra[k].f;
    }
    f->dead[src] = 1;
    if (oc->act_node >= 0) f->dead[oc->act_node] = 1;
    f->dead[oc->q_node] = 1;
    f->replaced_by[oc->q_node] = g->n_nodes - 1;
    f->n_folded++;
    return ER_OK;
}

static er_status emit(fold_ctx *f, int src, const out_chain *oc, const char *type,
                      const int *ins, int n_in, const char *const *keep, const extra_attr *extra,
                      int n_extra) {
    return emit_in(f, src, oc, "edgerun", type, ins, n_in, keep, extra, n_extra);
}

static er_status emit_with_act(fold_ctx *f, int src, const out_chain *oc, const char *type,
                               const int *ins, int n_in, const char *const *keep) {
    extra_attr act[2] = {{"activation_min", ER_ATTR_INT, oc->lo, 0},
                         {"activation_max", ER_ATTR_INT, oc->hi, 0}};
    return emit(f, src, oc, type, ins, n_in, keep, act, 2);
}

/* ---- patterns ------------------------------------------------------------------- */

static er_status fold_conv(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    qinfo x, w;
    out_chain oc;
    if (n->n_in < 2 || !dq_of(f, n->in[0], -1, false, false, &x) ||
        !dq_of(f, n->in[1], 0, true, false, &w) || !out_chain_of(f, n->out[0], true, &oc))
        return ER_OK;
    const er_value *wv = &f->g->values[w.data];
    int64_t M = wv->rank > 0 ? wv->dims[0] : 0;
    int bias = n->n_in > 2 ? n->in[2] : -1;
    if (bias >= 0 && !bias_ok(f, bias, M, 1)) return ER_OK;
    ER_TRY(materialize_zp(f, &x));
    ER_TRY(materialize_zp(f, &w));
    ER_TRY(materialize_zp(f, &oc.y));
    int bias_q = -1;
    if (bias >= 0)
        ER_TRY(make_bias(f, bias, M, f32_at(f, x.scale, 0), &w, f->g->values[oc.y.data].name,
                         &bias_q));
    int ins[9] = {x.data, x.scale, x.zp, w.data, w.scale, w.zp, oc.y.scale, oc.y.zp, bias_q};
    return emit_with_act(f, i, &oc, "QConv", ins, bias_q >= 0 ? 9 : 8, NULL);
}

static er_status fold_gemm(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    if (n->n_in < 2 || er_attr_float(n, "alpha", 1.0f) != 1.0f) return ER_OK;
    int bias = n->n_in > 2 ? n->in[2] : -1;
    if (bias >= 0 && er_attr_float(n, "beta", 1.0f) != 1.0f) return ER_OK;
    int64_t tb = er_attr_int(n, "transB", 0);
    qinfo a, b;
    out_chain oc;
    if (!dq_of(f, n->in[0], -1, false, false, &a) ||
        !dq_of(f, n->in[1], tb ? 0 : 1, true, false, &b) ||
        !out_chain_of(f, n->out[0], true, &oc))
        return ER_OK;
    const er_value *bv = &f->g->values[b.data];
    if (bv->rank != 2) return ER_OK;
    int64_t N = bv->dims[tb ? 0 : 1];
    if (bias >= 0 && !bias_ok(f, bias, N, 2)) return ER_OK;
    if (bias >= 0) {
        /* C must broadcast along rows only: [N], [1, N] or a scalar */
        const er_value *cv = cval(f, bias);
        if (!cv) {
            qinfo cq;
            if (dq_of(f, bias, 0, true, true, &cq)) cv = &f->g->values[cq.data];
        }
        if (!cv || (cv->rank == 2 && cv->dims[0] != 1)) return ER_OK;
    }
    ER_TRY(materialize_zp(f, &a));
    ER_TRY(materialize_zp(f, &b));
    ER_TRY(materialize_zp(f, &oc.y));
    int bias_q = -1;
    if (bias >= 0)
        ER_TRY(make_bias(f, bias, N, f32_at(f, a.scale, 0), &b, f->g->values[oc.y.data].name,
                         &bias_q));
    int ins[9] = {a.data, a.scale, a.zp, b.data, b.scale, b.zp, oc.y.scale, oc.y.zp, bias_q};
    static const char *const keep[] = {"transA", "transB", NULL};
    return emit_with_act(f, i, &oc, "QGemm", ins, bias_q >= 0 ? 9 : 8, keep);
}

static er_status fold_matmul(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    qinfo a, b;
    if (n->n_in != 2 || !dq_of(f, n->in[0], -1, false, false, &a)) return ER_OK;
    /* constant B: per column (axis rank-1 of a 2-D B) allowed */
    bool b_const = dq_of(f, n->in[1], 1, true, false, &b);
    if (b_const && f->g->values[b.data].rank != 2 && b.n != 1) return ER_OK;
    if (!b_const && !dq_of(f, n->in[1], -1, false, false, &b)) return ER_OK;
    int64_t N = b_const && f->g->values[b.data].rank >= 1
                    ? f->g->values[b.data].dims[f->g->values[b.data].rank - 1] : -1;
    /* MatMul -> Add(bias) -> ...: fuse the bias when B is a constant matrix */
    int v = n->out[0], bias = -1;
    int c = sole_consumer(f, v);
    if (c >= 0 && b_const && N > 0 && f->g->values[b.data].rank == 2 &&
        is_op(&f->g->nodes[c], "Add") && f->g->nodes[c].n_in == 2 && f->g->nodes[c].n_out >= 1) {
        const er_node *add = &f->g->nodes[c];
        int other = add->in[0] == v ? add->in[1] : add->in[1] == v ? add->in[0] : -1;
        if (other >= 0 && other != v && bias_ok(f, other, N, 1)) {
            bias = other;
            v = add->out[0];
        }
    }
    out_chain oc;
    if (!out_chain_of(f, v, true, &oc)) return ER_OK;
    ER_TRY(materialize_zp(f, &a));
    ER_TRY(materialize_zp(f, &b));
    ER_TRY(materialize_zp(f, &oc.y));
    int bias_q = -1;
    if (bias >= 0) {
        ER_TRY(make_bias(f, bias, N, f32_at(f, a.scale, 0), &b, f->g->values[oc.y.data].name,
                         &bias_q));
        f->dead[c] = 1; /* the Add */
    }
    int ins[9] = {a.data, a.scale, a.zp, b.data, b.scale, b.zp, oc.y.scale, oc.y.zp, bias_q};
    static const char *const keep[] = {NULL};
    return emit_with_act(f, i, &oc, "QMatMul", ins, bias_q >= 0 ? 9 : 8, keep);
}

static er_status fold_binary(fold_ctx *f, int i, const char *type) {
    const er_node *n = &f->g->nodes[i];
    qinfo a, b;
    out_chain oc;
    if (n->n_in != 2 || !dq_of(f, n->in[0], -1, false, false, &a) ||
        !dq_of(f, n->in[1], -1, false, false, &b) || !out_chain_of(f, n->out[0], true, &oc))
        return ER_OK;
    ER_TRY(materialize_zp(f, &a));
    ER_TRY(materialize_zp(f, &b));
    ER_TRY(materialize_zp(f, &oc.y));
    int ins[8] = {a.data, a.scale, a.zp, b.data, b.scale, b.zp, oc.y.scale, oc.y.zp};
    static const char *const keep[] = {NULL};
    return emit_with_act(f, i, &oc, type, ins, 8, keep);
}

/* One quantized input, one output, no fused activation. */
static er_status fold_unary(fold_ctx *f, int i, const char *type, const char *const *keep,
                            const extra_attr *extra, int n_extra) {
    const er_node *n = &f->g->nodes[i];
    qinfo x;
    out_chain oc;
    if (n->n_in < 1 || !dq_of(f, n->in[0], -1, false, false, &x) ||
        !out_chain_of(f, n->out[0], false, &oc))
        return ER_OK;
    for (int k = 1; k < n->n_out; k++) /* e.g. MaxPool's Indices */
        if (n->out[k] >= 0 && n->out[k] < f->nv0 && f->n_cons[n->out[k]] > 0) return ER_OK;
    ER_TRY(materialize_zp(f, &x));
    ER_TRY(materialize_zp(f, &oc.y));
    int ins[5] = {x.data, x.scale, x.zp, oc.y.scale, oc.y.zp};
    return emit(f, i, &oc, type, ins, 5, keep, extra, n_extra);
}

/* DQ -> Reshape/Flatten/Transpose/Squeeze/Unsqueeze -> Q with the same
 * parameters on both sides only moves quantized values: the op runs on
 * them directly (its other inputs, e.g. a shape, unchanged). */
static er_status fold_movement(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    qinfo x;
    out_chain oc;
    if (n->n_in < 1 || n->n_out != 1 || !dq_of(f, n->in[0], -1, false, false, &x) ||
        !out_chain_of(f, n->out[0], false, &oc) || x.dtype != oc.y.dtype ||
        f32_at(f, x.scale, 0) != f32_at(f, oc.y.scale, 0))
        return ER_OK;
    int64_t zx = x.zp >= 0 ? er_load_i64(f->g->values[x.zp].data, x.dtype, 0) : 0;
    int64_t zy = oc.y.zp >= 0 ? er_load_i64(f->g->values[oc.y.zp].data, oc.y.dtype, 0) : 0;
    if (zx != zy || n->n_in > 8) return ER_OK;
    int ins[8];
    ins[0] = x.data;
    for (int k = 1; k < n->n_in; k++) ins[k] = n->in[k];
    return emit_in(f, i, &oc, "", n->op_type, ins, n->n_in, NULL, NULL, 0);
}

static er_status fold_softmax(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    if (n->opset >= 13) return fold_unary(f, i, "QSoftmax", NULL, NULL, 0);
    /* before opset 13 Softmax flattens from `axis` (default 1): the same as
     * a one-axis softmax only on the last axis */
    int r = n->n_in > 0 && n->in[0] >= 0 ? f->g->values[n->in[0]].rank : -1;
    int64_t axis = er_attr_int(n, "axis", 1);
    if (r < 1 || (axis < 0 ? axis + r : axis) != r - 1) return ER_OK;
    static const char *const keep[] = {NULL};
    extra_attr ax = {"axis", ER_ATTR_INT, -1, 0};
    return fold_unary(f, i, "QSoftmax", keep, &ax, 1);
}

static er_status fold_concat(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    if (n->n_in < 1 || n->n_in > 1000) return ER_OK;
    out_chain oc;
    if (!out_chain_of(f, n->out[0], false, &oc)) return ER_OK;
    qinfo *xs = er_malloc(sizeof(qinfo) * (size_t)n->n_in);
    int *ins = er_malloc(sizeof(int) * (size_t)(2 + 3 * n->n_in));
    er_status st = ER_OK;
    if (!xs || !ins) {
        st = er_fail(ER_ERR_NOMEM, "out of memory folding QDQ nodes");
        goto done;
    }
    for (int k = 0; k < n->n_in; k++)
        if (!dq_of(f, n->in[k], -1, false, false, &xs[k])) goto done;
    if ((st = materialize_zp(f, &oc.y)) != ER_OK) goto done;
    ins[0] = oc.y.scale;
    ins[1] = oc.y.zp;
    int n_in = f->g->nodes[i].n_in;
    for (int k = 0; k < n_in; k++) {
        if ((st = materialize_zp(f, &xs[k])) != ER_OK) goto done;
        ins[2 + 3 * k] = xs[k].data;
        ins[3 + 3 * k] = xs[k].scale;
        ins[4 + 3 * k] = xs[k].zp;
    }
    if (er_attr_find(&f->g->nodes[i], "axis")) {
        st = emit(f, i, &oc, "QConcat", ins, 2 + 3 * n_in, NULL, NULL, 0);
    } else { /* opset < 4: axis defaults to 1 */
        extra_attr ax = {"axis", ER_ATTR_INT, 1, 0};
        st = emit(f, i, &oc, "QConcat", ins, 2 + 3 * n_in, NULL, &ax, 1);
    }
done:
    er_free(xs);
    er_free(ins);
    return st;
}

static bool attr_is(const er_node *n, const char *name, const char *def, const char *const *ok) {
    const char *s = er_attr_str(n, name, def);
    for (int k = 0; ok[k]; k++)
        if (strcmp(s, ok[k]) == 0) return true;
    return false;
}

static er_status fold_resize(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    if (n->opset < 11 || n->n_in < 3 || er_attr_int(n, "antialias", 0) != 0 ||
        er_attr_int(n, "exclude_outside", 0) != 0 || er_attr_find(n, "axes") ||
        strcmp(er_attr_str(n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0)
        return ER_OK;
    static const char *const modes[] = {"nearest", "linear", NULL};
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric", NULL};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                      NULL};
    if (!attr_is(n, "mode", "nearest", modes) ||
        !attr_is(n, "coordinate_transformation_mode", "half_pixel", ctms) ||
        !attr_is(n, "nearest_mode", "round_prefer_floor", nms))
        return ER_OK;
    bool linear = strcmp(er_attr_str(n, "mode", "nearest"), "linear") == 0;
    const er_value *sc = cval(f, n->in[2]);
    const er_value *sz = n->n_in > 3 ? cval(f, n->in[3]) : NULL;
    if (sc && numel(sc) == 0) sc = NULL;
    if (sz && numel(sz) == 0) sz = NULL;
    if (n->in[2] >= 0 && !cval(f, n->in[2])) return ER_OK; /* scales computed at run time */
    if (n->n_in > 3 && n->in[3] >= 0 && !cval(f, n->in[3])) return ER_OK;
    if (!!sc == !!sz) return ER_OK;
    if (sc && sc->dtype != ER_F32) return ER_OK;
    if (sz && sz->dtype != ER_I64) return ER_OK;
    if (linear && numel(sc ? sc : sz) > 4) { /* QResize interpolates along at most 4 axes */
        const er_value *xv = &f->g->values[n->in[0]];
        int changed = 0;
        for (int64_t a = 0; a < numel(sc ? sc : sz); a++) {
            if (sc) {
                changed += ((const float *)sc->data)[a] != 1.0f;
            } else {
                if (xv->rank != numel(sz) || xv->dims[a] < 0) return ER_OK;
                changed += ((const int64_t *)sz->data)[a] != xv->dims[a];
            }
        }
        if (changed > 4) return ER_OK;
    }
    qinfo x;
    out_chain oc;
    if (!dq_of(f, n->in[0], -1, false, false, &x) || !out_chain_of(f, n->out[0], false, &oc))
        return ER_OK;
    ER_TRY(materialize_zp(f, &x));
    ER_TRY(materialize_zp(f, &oc.y));
    int ins[7] = {x.data, x.scale, x.zp, oc.y.scale, oc.y.zp, sc ? n->in[2] : -1,
                  sz ? n->in[3] : -1};
    static const char *const keep[] = {"mode", "coordinate_transformation_mode", "nearest_mode",
                                       NULL};
    return emit(f, i, &oc, "QResize", ins, 7, keep, NULL, 0);
}

static er_status fold_node(fold_ctx *f, int i) {
    const er_node *n = &f->g->nodes[i];
    if (f->dead[i] || n->domain[0] || n->n_out < 1 || n->out[0] < 0) return ER_OK;
    const char *t = n->op_type;
    static const char *const none[] = {NULL};
    if (strcmp(t, "Conv") == 0) return fold_conv(f, i);
    if (strcmp(t, "Gemm") == 0) return fold_gemm(f, i);
    if (strcmp(t, "MatMul") == 0) return fold_matmul(f, i);
    if (strcmp(t, "Add") == 0) return fold_binary(f, i, "QAdd");
    if (strcmp(t, "Mul") == 0) return fold_binary(f, i, "QMul");
    if (strcmp(t, "AveragePool") == 0) return fold_unary(f, i, "QAveragePool", NULL, NULL, 0);
    if (strcmp(t, "MaxPool") == 0) return fold_unary(f, i, "QMaxPool", NULL, NULL, 0);
    if (strcmp(t, "GlobalAveragePool") == 0)
        return fold_unary(f, i, "QGlobalAveragePool", none, NULL, 0);
    if (strcmp(t, "Sigmoid") == 0) return fold_unary(f, i, "QSigmoid", none, NULL, 0);
    if (strcmp(t, "Tanh") == 0) return fold_unary(f, i, "QTanh", none, NULL, 0);
    if (strcmp(t, "HardSwish") == 0) return fold_unary(f, i, "QHardSwish", none, NULL, 0);
    if (strcmp(t, "LeakyRelu") == 0) {
        static const char *const keep[] = {"alpha", NULL};
        return fold_unary(f, i, "QLeakyRelu", keep, NULL, 0);
    }
    if (strcmp(t, "Relu") == 0) {
        extra_attr alpha = {"alpha", ER_ATTR_FLOAT, 0, 0.0f};
        return fold_unary(f, i, "QLeakyRelu", none, &alpha, 1);
    }
    if (strcmp(t, "Softmax") == 0) return fold_softmax(f, i);
    if (strcmp(t, "Concat") == 0) return fold_concat(f, i);
    if (strcmp(t, "Resize") == 0) return fold_resize(f, i);
    if (strcmp(t, "Reshape") == 0 || strcmp(t, "Flatten") == 0 || strcmp(t, "Transpose") == 0 ||
        strcmp(t, "Squeeze") == 0 || strcmp(t, "Unsqueeze") == 0)
        return fold_movement(f, i);
    return ER_OK;
}

/* ---- commit ----------------------------------------------------------------------- */

/* The node that stands at original position i after the rewrite, or NULL. */
static er_node *effective(fold_ctx *f, int i) {
    if (f->replaced_by[i] >= 0) return &f->g->nodes[f->replaced_by[i]];
    return f->dead[i] ? NULL : &f->g->nodes[i];
}

/* Drops DQ / Q nodes whose outputs nobody reads any more (repeats, as a
 * dropped DQ may leave the Q feeding it unread). Reuses n_cons, which has
 * room for the original values only: later values are never Q/DQ outputs. */
static void drop_unread(fold_ctx *f) {
    er_graph *g = f->g;
    for (bool changed = true; changed;) {
        changed = false;
        memset(f->n_cons, 0, sizeof(int) * (size_t)f->nv0);
        for (int k = 0; k < g->n_outputs; k++)
            if (g->outputs[k] < f->nv0) f->n_cons[g->outputs[k]]++;
        for (int i = 0; i < f->n0; i++) {
            const er_node *n = effective(f, i);
            for (int k = 0; n && k < n->n_in; k++)
                if (n->in[k] >= 0 && n->in[k] < f->nv0) f->n_cons[n->in[k]]++;
        }
        for (int i = 0; i < f->n0; i++) {
            const er_node *n = &g->nodes[i];
            if (f->dead[i] || (!is_op(n, "DequantizeLinear") && !is_op(n, "QuantizeLinear")))
                continue;
            bool read = false;
            for (int k = 0; k < n->n_out; k++)
                if (n->out[k] >= 0 && (n->out[k] >= f->nv0 || f->n_cons[n->out[k]] > 0))
                    read = true;
            if (!read) {
                f->dead[i] = 1;
                changed = true;
            }
        }
    }
}

static void commit(fold_ctx *f) {
    er_graph *g = f->g;
    drop_unread(f);
    /* in place: writes go to w <= i < n0, reads come from i or from an
     * appended node (index >= n0), so nothing is overwritten before use */
    int w = 0;
    for (int i = 0; i < f->n0; i++) {
        er_node *n = effective(f, i);
        if (n) g->nodes[w++] = *n;
    }
    g->n_nodes = w;
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0) g->values[g->nodes[i].out[k]].producer = i;
}

er_status er_pass_fold_qdq_count(er_graph *g, int *n_folded) {
    if (n_folded) *n_folded = 0;
    if (!g) return er_fail(ER_ERR_INVALID_ARG, "er_pass_fold_qdq: graph is NULL");
    fold_ctx f;
    memset(&f, 0, sizeof f);
    f.g = g;
    f.n0 = g->n_nodes;
    f.nv0 = g->n_values;
    size_t nv = (size_t)(f.nv0 ? f.nv0 : 1), nn = (size_t)(f.n0 ? f.n0 : 1);
    f.n_cons = er_calloc(nv, sizeof(int));
    f.a_cons = er_malloc(nv * sizeof(int));
    f.dead = er_calloc(nn, 1);
    f.replaced_by = er_malloc(nn * sizeof(int));
    er_status st = ER_OK;
    if (!f.n_cons || !f.a_cons || !f.dead || !f.replaced_by) {
        st = er_fail(ER_ERR_NOMEM, "out of memory folding QDQ nodes");
        goto done;
    }
    for (int v = 0; v < f.nv0; v++) f.a_cons[v] = -1;
    for (int i = 0; i < f.n0; i++) {
        f.replaced_by[i] = -1;
        const er_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) {
                f.n_cons[n->in[k]]++;
                f.a_cons[n->in[k]] = i;
            }
    }
    for (int k = 0; k < g->n_outputs; k++) f.n_cons[g->outputs[k]]++;
    for (int i = 0; i < f.n0 && st == ER_OK; i++) st = fold_node(&f, i);
    if (st != ER_OK) {
        g->n_nodes = f.n0; /* drop the replacements; the original nodes are untouched */
        goto done;
    }
    commit(&f);
    if (n_folded) *n_folded = f.n_folded;
done:
    er_free(f.n_cons);
    er_free(f.a_cons);
    er_free(f.dead);
    er_free(f.replaced_by);
    return st;
}

er_status er_pass_fold_qdq(er_graph *g) { return er_pass_fold_qdq_count(g, NULL); }
