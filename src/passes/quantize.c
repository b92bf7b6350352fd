/* quantize.c - post-training quantization: float graph -> QDQ / dynamic /
 * fp16 graph (see quantize.h for the scheme and the unit rules).
 *
 * The output is a new graph built in one walk over the source nodes in
 * topological order, so it is sorted by construction:
 *  - every source value has `rd` (the value float readers use in the new
 *    graph: the producer's output, or the DequantizeLinear after it);
 *  - a node that computes only from constants is not copied: its value is
 *    materialized as a constant where something reads it (from the analysis
 *    session's constant folding);
 *  - a quantized unit is emitted with int8 weights and int32 biases behind
 *    DequantizeLinear nodes, reading its activations through the
 *    DequantizeLinear of their Q points; every Q point gets Q -> DQ right
 *    after its producer (or at the top, for graph inputs).
 * Graph outputs keep their names: a quantized output's float producer is
 * renamed (`<name>_float`) and the DequantizeLinear (or, with int8 I/O, the
 * QuantizeLinear) writes the original name. Constants are copied, so the
 * new graph does not depend on the source model. */
#include "quantize.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/tensor.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "runtime/model.h"
#include "runtime/session.h"

static bool is_op(const er_node *n, const char *type) {
    return n->op_type && (n->domain[0] == '\0' || strcmp(n->domain, "ai.onnx") == 0) &&
           strcmp(n->op_type, type) == 0;
}

static int64_t numel_dims(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* ---- analysis --------------------------------------------------------------- */

const void *er_quant_const_data(const er_qanalysis *a, int v) {
    if (v < 0 || !a->is_const[v]) return NULL;
    if (a->g->values[v].data) return a->g->values[v].data;
    return a->s->t[v].data;
}

/* Shape of value v as planned (constants: their own shape). */
static const er_tensor *planned(const er_qanalysis *a, int v) { return &a->s->t[v]; }

static bool float_act(const er_qanalysis *a, int v) {
    return v >= 0 && !a->is_const[v] && a->dtype[v] == ER_F32;
}

static bool float_const(const er_qanalysis *a, int v) {
    return v >= 0 && a->is_const[v] && a->dtype[v] == ER_F32 && er_quant_const_data(a, v);
}

static int64_t vnumel(const er_qanalysis *a, int v) {
    const er_tensor *t = planned(a, v);
    return numel_dims(t->rank, t->dims);
}

/* The node reading v when it is the only reader (and v is no graph output). */
static int sole_reader(const er_qanalysis *a, int v) {
    if (v < 0 || a->n_readers[v] != 1 || a->g->values[v].is_output) return -1;
    for (int i = 0; i < a->g->n_nodes; i++) {
        const er_node *n = &a->g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) return i;
    }
    return -1;
}

static bool const_scalar(const er_qanalysis *a, int v) {
    return v < 0 || (float_const(a, v) && vnumel(a, v) == 1);
}

/* A Relu or Clip (constant bounds) reading v alone, or -1. */
static int fused_act(const er_qanalysis *a, int v) {
    int r = sole_reader(a, v);
    if (r < 0) return -1;
    const er_node *n = &a->g->nodes[r];
    if (n->n_in < 1 || n->in[0] != v || n->n_out < 1 || n->out[0] < 0) return -1;
    if (is_op(n, "Relu")) return r;
    if (is_op(n, "Clip") &&
        (n->opset < 11 || ((n->n_in < 2 || const_scalar(a, n->in[1])) &&
                           (n->n_in < 3 || const_scalar(a, n->in[2])))))
        return r;
    return -1;
}

static bool is_follower(const er_node *n) {
    static const char *const ops[] = {"Reshape", "Flatten", "Transpose", "Squeeze",
                                      "Unsqueeze", "MaxPool", NULL};
    for (int i = 0; ops[i]; i++)
        if (is_op(n, ops[i])) return n->n_out == 1 || (n->n_out > 1 && n->out[1] < 0);
    return false;
}

/* Decides whether node i starts a unit; fills u. */
static bool unit_at(const er_qanalysis *a, int i, er_qunit *u) {
    const er_node *n = &a->g->nodes[i];
    memset(u, 0, sizeof *u);
    u->node = i;
    u->bias_node = u->act_node = u->weight = u->bias = -1;
    u->w_axis = 0;
    if (n->n_out < 1 || n->out[0] < 0 || a->dtype[n->out[0]] != ER_F32 || a->is_const[n->out[0]])
        return false;
    bool fuse = false;
    if (is_op(n, "Conv")) {
        if (n->n_in < 2 || !float_act(a, n->in[0]) || !float_const(a, n->in[1]) ||
            planned(a, n->in[1])->rank < 3)
            return false;
        int64_t M = planned(a, n->in[1])->dims[0];
        if (n->n_in > 2 && n->in[2] >= 0) {
            if (!float_const(a, n->in[2]) || vnumel(a, n->in[2]) != M) return false;
            u->bias = 2;
        }
        u->weight = 1;
        fuse = true;
    } else if (is_op(n, "Gemm")) {
        bool has_c = n->n_in > 2 && n->in[2] >= 0;
        if (n->n_in < 2 || er_attr_float(n, "alpha", 1.0f) != 1.0f ||
            (has_c && er_attr_float(n, "beta", 1.0f) != 1.0f) || er_attr_int(n, "transA", 0) ||
            !float_act(a, n->in[0]) || !float_const(a, n->in[1]) ||
            planned(a, n->in[1])->rank != 2)
            return false;
        int tb = er_attr_int(n, "transB", 0) != 0;
        int64_t N = planned(a, n->in[1])->dims[tb ? 0 : 1];
        if (has_c) {
            const er_tensor *c = planned(a, n->in[2]);
            if (!float_const(a, n->in[2]) || (vnumel(a, n->in[2]) != N &&
                                              vnumel(a, n->in[2]) != 1) ||
                (c->rank == 2 && c->dims[0] != 1) || c->rank > 2)
                return false;
            u->bias = 2;
        }
        u->weight = 1;
        u->w_axis = tb ? 0 : 1;
        fuse = true;
    } else if (is_op(n, "MatMul")) {
        if (n->n_in != 2 || !float_act(a, n->in[0])) return false;
        if (float_const(a, n->in[1]) && planned(a, n->in[1])->rank == 2) {
            u->weight = 1;
            u->w_axis = 1;
            int64_t N = planned(a, n->in[1])->dims[1];
            int r = sole_reader(a, n->out[0]);
            if (r >= 0 && is_op(&a->g->nodes[r], "Add") && a->g->nodes[r].n_in == 2 &&
                a->g->nodes[r].n_out >= 1) {
                const er_node *add = &a->g->nodes[r];
                int other = add->in[0] == n->out[0] ? add->in[1] : add->in[0];
                if (float_const(a, other) && vnumel(a, other) == N &&
                    planned(a, other)->rank <= 1 && a->dtype[add->out[0]] == ER_F32)
                    u->bias_node = r;
            }
        } else if (!float_act(a, n->in[1])) {
            return false;
        }
        fuse = true;
    } else if (is_op(n, "Add") || is_op(n, "Mul")) {
        if (n->n_in != 2) return false;
        for (int k = 0; k < 2; k++)
            if (!float_act(a, n->in[k]) && !float_const(a, n->in[k])) return false;
        if (!float_act(a, n->in[0]) && !float_act(a, n->in[1])) return false;
        fuse = true;
    } else if (is_op(n, "Concat")) {
        bool any = false;
        for (int k = 0; k < n->n_in; k++) {
            if (!float_act(a, n->in[k]) && !float_const(a, n->in[k])) return false;
            any |= float_act(a, n->in[k]);
        }
        if (!any) return false;
    } else if (is_op(n, "Resize")) {
        if (n->opset < 11 || !float_act(a, n->in[0])) return false;
    } else if (is_op(n, "Softmax")) {
        if (!float_act(a, n->in[0])) return false;
        if (n->opset < 13) {
            int r = planned(a, n->in[0])->rank;
            int64_t ax = er_attr_int(n, "axis", 1);
            if (ax < 0) ax += r;
            if (ax != r - 1) return false;
        }
    } else if (is_op(n, "AveragePool") || is_op(n, "GlobalAveragePool") ||
               is_op(n, "Sigmoid") || is_op(n, "Tanh") || is_op(n, "HardSwish") ||
               is_op(n, "LeakyRelu") || is_op(n, "Relu")) {
        if (n->n_in < 1 || !float_act(a, n->in[0]) || n->n_out != 1) return false;
    } else {
        return false;
    }
    int v = u->bias_node >= 0 ? a->g->nodes[u->bias_node].out[0] : n->out[0];
    if (fuse) {
        u->act_node = fused_act(a, v);
        if (u->act_node >= 0) v = a->g->nodes[u->act_node].out[0];
    }
    u->output = v;
    return true;
}

er_status er_quant_analyze(const er_model *m, er_qanalysis **out) {
    *out = NULL;
    const er_graph *g = m->graph;
    er_qanalysis *a = er_calloc(1, sizeof *a);
    if (!a) return er_fail(ER_ERR_NOMEM, "out of memory analysing the model");
    a->model = m;
    a->g = g;
    er_options o;
    er_options_init(&o);
    o.optimize = 0;
    er_status st = er_session_create(m, &o, &a->s);
    if (st != ER_OK) goto fail;
    if (er_session_is_dynamic(a->s)) {
        st = er_fail(ER_ERR_UNSUPPORTED, "%s: the model's shapes depend on run-time values; "
                     "quantization needs a graph whose shapes are known when it is planned",
                     m->path);
        goto fail;
    }
    size_t nv = (size_t)(g->n_values ? g->n_values : 1), nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    a->dtype = er_calloc(nv, sizeof *a->dtype);
    a->is_const = er_calloc(nv, sizeof *a->is_const);
    a->n_readers = er_calloc(nv, sizeof *a->n_readers);
    a->units = er_calloc(nn, sizeof *a->units);
    a->unit_of = er_malloc(nn * sizeof *a->unit_of);
    bool *claimed = er_calloc(nn, sizeof *claimed);
    if (!a->dtype || !a->is_const || !a->n_readers || !a->units || !a->unit_of || !claimed) {
        er_free(claimed);
        st = er_fail(ER_ERR_NOMEM, "out of memory analysing the model");
        goto fail;
    }
    for (int v = 0; v < g->n_values; v++) {
        a->dtype[v] = g->values[v].data ? g->values[v].dtype : a->s->t[v].dtype;
        a->is_const[v] = g->values[v].data != NULL;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        bool all = true;
        for (int k = 0; k < n->n_in; k++) {
            if (n->in[k] < 0) continue;
            a->n_readers[n->in[k]]++;
            all &= a->is_const[n->in[k]];
        }
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) a->is_const[n->out[k]] = all && a->s->t[n->out[k]].data;
        a->unit_of[i] = -1;
    }
    for (int k = 0; k < g->n_outputs; k++) a->n_readers[g->outputs[k]]++;
    for (int i = 0; i < g->n_nodes; i++) {
        if (claimed[i]) continue;
        er_qunit u;
        if (!unit_at(a, i, &u)) continue;
        if (u.bias_node >= 0) claimed[u.bias_node] = true;
        if (u.act_node >= 0) claimed[u.act_node] = true;
        a->unit_of[i] = a->n_units;
        a->units[a->n_units++] = u;
    }
    er_free(claimed);
    *out = a;
    return ER_OK;
fail:
    er_quant_analysis_free(a);
    return st;
}

void er_quant_analysis_free(er_qanalysis *a) {
    if (!a) return;
    er_session_free(a->s);
    er_free(a->dtype);
    er_free(a->is_const);
    er_free(a->n_readers);
    er_free(a->units);
    er_free(a->unit_of);
    er_free(a);
}

const char *er_quant_unit_label(const er_qanalysis *a, int u) {
    static _Thread_local char buf[256];
    const er_qunit *q = &a->units[u];
    const er_node *n = &a->g->nodes[q->node];
    snprintf(buf, sizeof buf, "%s (%s%s%s%s%s)", n->name, n->op_type,
             q->bias_node >= 0 ? "+" : "", q->bias_node >= 0 ? "Add" : "",
             q->act_node >= 0 ? "+" : "",
             q->act_node >= 0 ? a->g->nodes[q->act_node].op_type : "");
    return buf;
}

void er_quant_act_params(float lo, float hi, er_dtype dt, float *scale, int32_t *zp) {
    double qmin = dt == ER_I8 ? -128 : 0, qmax = dt == ER_I8 ? 127 : 255;
    double l = fmin((double)lo, 0), h = fmax((double)hi, 0);
    if (!(h > l) || !isfinite(l) || !isfinite(h)) {
        *scale = 1.0f;
        *zp = (int32_t)(dt == ER_I8 ? 0 : 0);
        if (l < 0 && !(h > 0)) *zp = (int32_t)qmax; /* a non-positive constant */
        return;
    }
    float s = (float)((h - l) / (qmax - qmin));
    if (!(s >= FLT_MIN)) s = FLT_MIN;
    double z = rint(qmin - l / (double)s);
    *scale = s;
    *zp = (int32_t)(z < qmin ? qmin : z > qmax ? qmax : z);
}

/* ---- the builder --------------------------------------------------------------- */

typedef struct qb {
    const er_qanalysis *a;
    const er_quant_config *cfg;
    const er_graph *g;
    er_graph *o;
    er_dtype adt;
    bool per_channel;
    int *rd;        /* per source value: what float readers use in o, or -1 */
    int *qv;        /* per source value: its quantized value in o, or -1 */
    bool *qp;       /* per source value: a Q point */
    int *psrc;      /* per source value: the value whose parameters it uses */
    float *scale;   /* per root value */
    int32_t *zp;
    int *s_id, *z_id; /* per root value: the scale / zero point constants in o, or -1 */
    int *dql;       /* dynamic: per source value: DynamicQuantizeLinear's first output, or -1 */
    bool *unit_q;   /* per unit */
    int n_quantized;
    int n_corrected; /* biases corrected */
} qb;

static er_status nomem(void) { return er_fail(ER_ERR_NOMEM, "out of memory quantizing the model"); }

/* base + suffix, made unique against both graphs. */
static void uniq(const qb *b, const char *base, const char *suffix, char *out, size_t cap) {
    for (int k = 0;; k++) {
        if (k) snprintf(out, cap, "%s%s_%d", base, suffix, k);
        else snprintf(out, cap, "%s%s", base, suffix);
        if (er_graph_find(b->o, out) < 0 && (er_graph_find(b->g, out) < 0 || !suffix[0])) return;
    }
}

static er_status new_value(qb *b, const char *name, int *id) {
    if (er_graph_find(b->o, name) >= 0)
        return er_fail(ER_ERR_INTERNAL, "quantizer: value '%s' created twice", name);
    return er_graph_value(b->o, name, id);
}

/* Copies the declared dtype and shape of source value v onto o's value id. */
static er_status copy_decl(qb *b, int v, int id) {
    const er_value *s = &b->g->values[v];
    er_value *d = &b->o->values[id];
    d->dtype = s->dtype;
    d->rank = s->rank;
    for (int k = 0; k < s->rank && k < ER_MAX_RANK; k++) {
        d->dims[k] = s->dims[k];
        d->dim_param[k] = NULL;
        if (s->dim_param[k] && !(d->dim_param[k] = er_pool_strdup(b->o->pool, s->dim_param[k])))
            return nomem();
    }
    return ER_OK;
}

/* A new constant named uniquely after base+suffix, holding a copy of data. */
static er_status new_const(qb *b, const char *base, const char *suffix, er_dtype dt, int rank,
                           const int64_t *dims, const void *data, int *id) {
    char name[512];
    uniq(b, base, suffix, name, sizeof name);
    ER_TRY(new_value(b, name, id));
    void *p;
    ER_TRY(er_graph_set_const(b->o, *id, dt, rank, dims, &p));
    size_t bytes = (size_t)numel_dims(rank, dims) * er_dtype_size(dt);
    if (data && bytes) memcpy(p, data, bytes);
    return ER_OK;
}

/* Deep copy of attribute s into graph o (strings and arrays in its pool,
 * tensor data in memory it owns). */
static er_status copy_attr(er_graph *o, er_attr *d, const er_attr *s) {
    er_pool *p = o->pool;
    *d = *s;
    if (s->name && !(d->name = er_pool_strdup(p, s->name))) return nomem();
    if (s->s && !(d->s = er_pool_strndup(p, s->s, s->s_len))) return nomem();
    if (s->floats) {
        float *f = er_pool_array(p, (size_t)(s->n ? s->n : 1), sizeof(float));
        if (!f) return nomem();
        memcpy(f, s->floats, sizeof(float) * (size_t)s->n);
        d->floats = f;
    }
    if (s->ints) {
        int64_t *v = er_pool_array(p, (size_t)(s->n ? s->n : 1), sizeof(int64_t));
        if (!v) return nomem();
        memcpy(v, s->ints, sizeof(int64_t) * (size_t)s->n);
        d->ints = v;
    }
    if (s->strings) {
        const char **v = er_pool_array(p, (size_t)(s->n ? s->n : 1), sizeof(char *));
        if (!v) return nomem();
        for (int i = 0; i < s->n; i++)
            if (!(v[i] = er_pool_strdup(p, s->strings[i] ? s->strings[i] : ""))) return nomem();
        d->strings = v;
    }
    if (s->t) {
        er_tensor *t = er_pool_alloc(p, sizeof *t);
        if (!t) return nomem();
        *t = *s->t;
        size_t bytes = er_tensor_nbytes(s->t);
        void *data = er_aligned_alloc(bytes ? bytes : 1);
        if (!data) return nomem();
        if (bytes) memcpy(data, s->t->data, bytes);
        ER_TRY(er_graph_own(o, data));
        t->data = data;
        t->capacity_bytes = bytes;
        t->flags = 0;
        d->t = t;
    }
    return ER_OK;
}

/* Appends a node: a copy of src's identity and attributes (src may be NULL:
 * a new default-domain node `op` named `name`). */
static er_status add_node(qb *b, const er_node *src, const char *op, const char *name,
                          const int *ins, int n_in, const int *outs, int n_out, er_node **out) {
    er_node *n;
    ER_TRY(er_graph_add_node(b->o, n_in, n_out, src ? src->n_attr : 0, &n));
    er_pool *p = b->o->pool;
    const char *nm = src ? src->name : name;
    char *nn = er_pool_strdup(p, nm ? nm : "");
    char *ot = er_pool_strdup(p, src ? src->op_type : op);
    char *dm = er_pool_strdup(p, src ? src->domain : "");
    if (!nn || !ot || !dm) return nomem();
    n->name = nn;
    n->op_type = ot;
    n->domain = dm;
    n->opset = src ? src->opset : (int)b->g->opset;
    n->op = er_op_find(ot, dm);
    for (int k = 0; k < n_in; k++) n->in[k] = ins[k];
    for (int k = 0; k < n_out; k++) n->out[k] = outs[k];
    for (int k = 0; src && k < src->n_attr; k++) ER_TRY(copy_attr(b->o, &n->attr[k], &src->attr[k]));
    if (out) *out = n;
    return ER_OK;
}

static er_status set_attr_int(qb *b, er_node *n, const char *name, int64_t v) {
    return er_node_set_attr_int(b->o, n, name, v);
}

/* What float readers of source value v use in o; constants are copied on
 * first use (as float16 + Cast in fp16 mode). */
static er_status rd_of(qb *b, int v, int *out) {
    if (v < 0) {
        *out = -1;
        return ER_OK;
    }
    if (b->rd[v] >= 0) {
        *out = b->rd[v];
        return ER_OK;
    }
    const er_qanalysis *a = b->a;
    const void *data = er_quant_const_data(a, v);
    if (!data)
        return er_fail(ER_ERR_INTERNAL, "quantizer: '%s' is read before it is produced",
                       b->g->values[v].name);
    const er_tensor *t = planned(a, v);
    const char *name = b->g->values[v].name;
    int64_t n = numel_dims(t->rank, t->dims);
    bool half = b->cfg->mode == ER_QMODE_FP16 && t->dtype == ER_F32 && n >= 16;
    for (int64_t i = 0; half && i < n; i++) {
        float x = ((const float *)data)[i];
        if (!isfinite(x) || fabsf(x) > 65504.0f) half = false; /* would not survive float16 */
    }
    int id;
    if (!half) {
        ER_TRY(new_value(b, name, &id));
        void *p;
        ER_TRY(er_graph_set_const(b->o, id, t->dtype, t->rank, t->dims, &p));
        size_t bytes = (size_t)n * er_dtype_size(t->dtype);
        if (bytes) memcpy(p, data, bytes);
    } else {
        uint16_t *h = er_malloc(sizeof(uint16_t) * (size_t)n);
        if (!h) return nomem();
        for (int64_t i = 0; i < n; i++) h[i] = er_f32_to_f16(((const float *)data)[i]);
        int hid;
        er_status st = new_const(b, name, "_fp16", ER_F16, t->rank, t->dims, h, &hid);
        er_free(h);
        ER_TRY(st);
        ER_TRY(new_value(b, name, &id));
        er_node *c = NULL;
        char nn[512];
        snprintf(nn, sizeof nn, "%s_Cast", name);
        ER_TRY(add_node(b, NULL, "Cast", nn, &hid, 1, &id, 1, &c));
        ER_TRY(set_attr_int(b, c, "to", ER_F32));
        b->n_quantized++;
    }
    b->rd[v] = id;
    *out = id;
    return ER_OK;
}

/* Scale and zero-point constants of Q point v (shared by its root). */
static er_status qparam_ids(qb *b, int v, int *s_id, int *z_id) {
    int r = b->psrc[v];
    if (b->s_id[r] < 0) {
        const char *base = b->g->values[r].name;
        ER_TRY(new_const(b, base, "_scale", ER_F32, 0, NULL, &b->scale[r], &b->s_id[r]));
        void *zd;
        char name[512];
        uniq(b, base, "_zero_point", name, sizeof name);
        ER_TRY(new_value(b, name, &b->z_id[r]));
        ER_TRY(er_graph_set_const(b->o, b->z_id[r], b->adt, 0, NULL, &zd));
        if (b->adt == ER_I8) *(int8_t *)zd = (int8_t)b->zp[r];
        else *(uint8_t *)zd = (uint8_t)b->zp[r];
    }
    *s_id = b->s_id[r];
    *z_id = b->z_id[r];
    return ER_OK;
}

/* Records the per-tensor parameters of Q point v on value id of o (the
 * int8 graph inputs/outputs, so that a caller feeding or reading them can
 * find them without walking the graph; .erm keeps them). */
static er_status attach_quant(qb *b, int v, int id) {
    int r = b->psrc[v];
    er_quant *q = er_pool_alloc(b->o->pool, sizeof *q);
    float *sc = er_pool_alloc(b->o->pool, sizeof(float));
    int32_t *zp = er_pool_alloc(b->o->pool, sizeof(int32_t));
    if (!q || !sc || !zp) return nomem();
    *sc = b->scale[r];
    *zp = b->zp[r];
    q->axis = -1;
    q->n = 1;
    q->scale = sc;
    q->zero_point = zp;
    b->o->values[id].quant = q;
    return ER_OK;
}

/* The value a source value's producer writes in o. */
static er_status out_value(qb *b, int v, int *id) {
    const er_value *sv = &b->g->values[v];
    char name[512];
    if (b->qp[v] && sv->is_output) uniq(b, sv->name, "_float", name, sizeof name);
    else snprintf(name, sizeof name, "%s", sv->name);
    ER_TRY(new_value(b, name, id));
    if (!b->qp[v]) {
        b->rd[v] = *id;
        if (sv->is_output) ER_TRY(copy_decl(b, v, *id));
    }
    return ER_OK;
}

/* Q -> DQ after the float value f_id of Q point v. */
static er_status emit_qdq(qb *b, int v, int f_id) {
    const er_value *sv = &b->g->values[v];
    int s, z;
    ER_TRY(qparam_ids(b, v, &s, &z));
    char name[512], nn[512];
    bool io = b->cfg->int8_io && sv->is_output;
    if (io) snprintf(name, sizeof name, "%s", sv->name);
    else uniq(b, sv->name, "_quantized", name, sizeof name);
    int q;
    ER_TRY(new_value(b, name, &q));
    if (io) {
        ER_TRY(copy_decl(b, v, q));
        b->o->values[q].dtype = b->adt;
        ER_TRY(attach_quant(b, v, q));
    }
    int ins[3] = {f_id, s, z};
    snprintf(nn, sizeof nn, "%s_QuantizeLinear", sv->name);
    ER_TRY(add_node(b, NULL, "QuantizeLinear", nn, ins, 3, &q, 1, NULL));
    b->qv[v] = q;
    int float_readers = b->a->n_readers[v] - (sv->is_output ? 1 : 0);
    if (float_readers > 0 || (sv->is_output && !io)) {
        if (sv->is_output && !io) snprintf(name, sizeof name, "%s", sv->name);
        else uniq(b, sv->name, "_dequantized", name, sizeof name);
        int dq;
        ER_TRY(new_value(b, name, &dq));
        if (sv->is_output && !io) ER_TRY(copy_decl(b, v, dq));
        int dins[3] = {q, s, z};
        snprintf(nn, sizeof nn, "%s_DequantizeLinear", sv->name);
        ER_TRY(add_node(b, NULL, "DequantizeLinear", nn, dins, 3, &dq, 1, NULL));
        b->rd[v] = dq;
    }
    return ER_OK;
}

/* DequantizeLinear(data, scale, zero_point [, axis]) -> a new value. */
static er_status emit_dq(qb *b, const char *base, int data, int s, int z, int axis, int *out) {
    char name[512], nn[512];
    uniq(b, base, "_dequantized", name, sizeof name);
    ER_TRY(new_value(b, name, out));
    int ins[3] = {data, s, z};
    er_node *n;
    snprintf(nn, sizeof nn, "%s_DequantizeLinear", base);
    ER_TRY(add_node(b, NULL, "DequantizeLinear", nn, ins, 3, out, 1, &n));
    if (axis >= 0) ER_TRY(set_attr_int(b, n, "axis", axis));
    return ER_OK;
}

/* ---- weights and biases ------------------------------------------------------------ */

/* Per-channel symmetric scales of weight w (axis; -1 = per tensor):
 * max|w| / 127, 1 for an all-zero channel. ws has room for the channels. */
static int weight_scales(const er_tensor *t, const float *w, int axis, float *ws) {
    int64_t n_ch = axis >= 0 ? t->dims[axis] : 1, inner = 1, outer = 1;
    if (axis >= 0) {
        for (int k = axis + 1; k < t->rank; k++) inner *= t->dims[k];
        for (int k = 0; k < axis; k++) outer *= t->dims[k];
    } else {
        inner = numel_dims(t->rank, t->dims);
    }
    for (int64_t c = 0; c < n_ch; c++) {
        float m = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                float x = fabsf(w[(o * n_ch + c) * inner + i]);
                if (x > m) m = x;
            }
        ws[c] = m > 0 ? m / 127.0f : 1.0f;
    }
    return (int)n_ch;
}

/* int8 weight constant + DequantizeLinear; ws: its scales (per channel or
 * one). transpose: store a 2-D weight transposed (dynamic Gemm, transB). */
static er_status emit_weight(qb *b, int v, int axis, const float *ws, bool transpose,
                             int8_t **q_out, int *dq_out, int *q_id, int *s_id, int *z_id) {
    const er_tensor *t = planned(b->a, v);
    const float *w = er_quant_const_data(b->a, v);
    int64_t n = numel_dims(t->rank, t->dims), n_ch = axis >= 0 ? t->dims[axis] : 1, inner = 1;
    for (int k = axis + 1; axis >= 0 && k < t->rank; k++) inner *= t->dims[k];
    int8_t *q = er_malloc((size_t)(n ? n : 1));
    if (!q) return nomem();
    for (int64_t i = 0; i < n; i++) {
        int64_t c = axis >= 0 ? (i / inner) % n_ch : 0;
        float r = rintf(w[i] / ws[c]);
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    int64_t dims[ER_MAX_RANK];
    memcpy(dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
    if (transpose) { /* [N, K] -> [K, N] */
        int8_t *tq = er_malloc((size_t)(n ? n : 1));
        if (!tq) {
            er_free(q);
            return nomem();
        }
        int64_t R = t->dims[0], C = t->dims[1];
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = 0; c < C; c++) tq[c * R + r] = q[r * C + c];
        er_free(q);
        q = tq;
        dims[0] = C;
        dims[1] = R;
    }
    const char *base = b->g->values[v].name;
    er_status st = new_const(b, base, "_quantized", ER_I8, t->rank, dims, q, q_id);
    if (q_out && st == ER_OK) *q_out = q;
    else er_free(q);
    ER_TRY(st);
    int64_t cd[1] = {n_ch};
    int srank = axis >= 0 && b->per_channel ? 1 : 0;
    ER_TRY(new_const(b, base, "_scale", ER_F32, srank, cd, ws, s_id));
    ER_TRY(new_const(b, base, "_zero_point", ER_I8, srank, cd, NULL, z_id));
    if (dq_out) ER_TRY(emit_dq(b, base, *q_id, *s_id, *z_id, srank ? axis : -1, dq_out));
    return ER_OK;
}

/* Raises a channel's weight scale where its int32 bias would overflow
 * (bias has bn values: nb, or 1 broadcast). */
static void fit_bias(const float *bias, int64_t bn, int64_t nb, float xs, float *ws, int n_ch) {
    for (int64_t m = 0; m < nb; m++) {
        int c = n_ch == 1 ? 0 : (int)m;
        double bv = fabs((double)bias[bn == 1 ? 0 : m]);
        if (bv > 2147483000.0 * (double)xs * (double)ws[c])
            ws[c] = (float)(bv / (2147483000.0 * (double)xs)) * 1.0001f;
    }
}

/* int32 bias [nb] in scale xs * ws[m] (float32 product) + DequantizeLinear. */
static er_status emit_bias(qb *b, const char *base, const float *bias, int64_t bn, float xs,
                           const float *ws, int n_ch, int64_t nb, int *out) {
    int32_t *q = er_malloc(sizeof(int32_t) * (size_t)nb);
    float *sc = er_malloc(sizeof(float) * (size_t)nb);
    if (!q || !sc) {
        er_free(q);
        er_free(sc);
        return nomem();
    }
    for (int64_t m = 0; m < nb; m++) {
        float w = ws[n_ch == 1 ? 0 : m];
        sc[m] = xs * w; /* float32, as fold_qdq and ONNX Runtime compare it */
        double r = rint((double)bias[bn == 1 ? 0 : m] / ((double)xs * (double)w));
        q[m] = r >= 2147483647.0 ? INT32_MAX : r <= -2147483648.0 ? INT32_MIN : (int32_t)r;
    }
    int64_t dims[1] = {nb};
    int qid, sid, zid;
    int srank = n_ch > 1 || b->per_channel ? 1 : 0;
    er_status st = new_const(b, base, "_quantized", ER_I32, 1, dims, q, &qid);
    if (st == ER_OK) st = new_const(b, base, "_scale", ER_F32, srank, dims, sc, &sid);
    if (st == ER_OK) st = new_const(b, base, "_zero_point", ER_I32, srank, dims, NULL, &zid);
    er_free(q);
    er_free(sc);
    ER_TRY(st);
    return emit_dq(b, base, qid, sid, zid, srank ? 0 : -1, out);
}

/* Empirical bias correction (Nagel et al., "Data-Free Quantization", 2019,
 * with measured means): rounding the weights shifts output channel m by
 * E[(W - W_q) x]_m = sum_k dW[m, k] * mean(x_k) on average; adding that to
 * the bias removes the shift. mean(x_k) is the calibration mean of input
 * channel k (padding ignored). e[nb] receives the shifts; false when the
 * input's channel means were not recorded. */
static bool bias_shift(const qb *b, const er_qunit *u, const float *w, const float *ws, int axis,
                       int64_t nb, double *e) {
    const er_qanalysis *a = b->a;
    const er_node *n = &a->g->nodes[u->node];
    const er_tensor *t = planned(a, n->in[u->weight]);
    int x = n->in[0];
    const er_calib *c = b->cfg->calib;
    if (!c || x < 0 || x >= c->n_values || !c->stats[x].ch_sum) return false;
    int64_t n_in = c->stats[x].n_ch;
    for (int64_t m = 0; m < nb; m++) e[m] = 0;
    int64_t inner = 1, n_ch = axis >= 0 ? t->dims[axis] : 1;
    for (int k = axis + 1; axis >= 0 && k < t->rank; k++) inner *= t->dims[k];
    if (is_op(n, "Conv")) { /* W [M, C/g, k...]: input channel (m / (M/g)) * C/g + cg */
        int64_t M = t->dims[0], cg = t->dims[1], ks = 1;
        for (int k = 2; k < t->rank; k++) ks *= t->dims[k];
        int64_t g = er_attr_int(n, "group", 1);
        if (g < 1 || M % g || n_in != cg * g) return false;
        for (int64_t m = 0; m < M; m++)
            for (int64_t ci = 0; ci < cg; ci++) {
                double mu = er_calib_channel_mean(c, x, (m / (M / g)) * cg + ci);
                for (int64_t k = 0; k < ks; k++) {
                    int64_t i = (m * cg + ci) * ks + k;
                    float s = ws[axis >= 0 ? (i / inner) % n_ch : 0];
                    float q = rintf(w[i] / s);
                    q = q > 127 ? 127 : q < -127 ? -127 : q;
                    e[m] += ((double)w[i] - (double)q * s) * mu;
                }
            }
        return true;
    }
    /* Gemm / MatMul: B [N, K] (transB) or [K, N]; input channel k of A */
    bool tb = is_op(n, "Gemm") && er_attr_int(n, "transB", 0);
    int64_t K = t->dims[tb ? 1 : 0], N = t->dims[tb ? 0 : 1];
    if (n_in != K || N != nb) return false;
    for (int64_t k = 0; k < K; k++) {
        double mu = er_calib_channel_mean(c, x, k);
        for (int64_t j = 0; j < N; j++) {
            int64_t i = tb ? j * K + k : k * N + j;
            float s = ws[axis >= 0 ? (i / inner) % n_ch : 0];
            float q = rintf(w[i] / s);
            q = q > 127 ? 127 : q < -127 ? -127 : q;
            e[j] += ((double)w[i] - (double)q * s) * mu;
        }
    }
    return true;
}

/* A float constant operand (Add/Mul/Concat) as a per-tensor quantized
 * constant + DequantizeLinear. */
static er_status emit_const_operand(qb *b, int v, int *out) {
    const er_tensor *t = planned(b->a, v);
    const float *x = er_quant_const_data(b->a, v);
    int64_t n = numel_dims(t->rank, t->dims);
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    float s;
    int32_t zp;
    er_quant_act_params(lo, hi, b->adt, &s, &zp);
    uint8_t *q = er_malloc((size_t)(n ? n : 1));
    if (!q) return nomem();
    int32_t qmin = b->adt == ER_I8 ? -128 : 0, qmax = b->adt == ER_I8 ? 127 : 255;
    for (int64_t i = 0; i < n; i++) {
        float r = rintf(x[i] / s) + (float)zp;
        int32_t iv = r < (float)qmin ? qmin : r > (float)qmax ? qmax : (int32_t)r;
        q[i] = (uint8_t)iv; /* int8 two's complement for ER_I8 */
    }
    const char *base = b->g->values[v].name;
    int qid, sid, zid;
    er_status st = new_const(b, base, "_quantized", b->adt, t->rank, t->dims, q, &qid);
    er_free(q);
    ER_TRY(st);
    ER_TRY(new_const(b, base, "_scale", ER_F32, 0, NULL, &s, &sid));
    uint8_t zb = (uint8_t)zp;
    ER_TRY(new_const(b, base, "_zero_point", b->adt, 0, NULL, &zb, &zid));
    return emit_dq(b, base, qid, sid, zid, -1, out);
}

/* ---- units ------------------------------------------------------------------------------ */

/* Emits node src with the given inputs; its outputs become new values
 * (followed by Q/DQ where they are Q points). */
static er_status emit_plain(qb *b, const er_node *src, const int *ins) {
    int outs[64];
    if (src->n_out > 64)
        return er_fail(ER_ERR_UNSUPPORTED, "node '%s' has more than 64 outputs", src->name);
    for (int k = 0; k < src->n_out; k++) {
        outs[k] = -1;
        if (src->out[k] >= 0) ER_TRY(out_value(b, src->out[k], &outs[k]));
    }
    ER_TRY(add_node(b, src, NULL, NULL, ins, src->n_in, outs, src->n_out, NULL));
    for (int k = 0; k < src->n_out; k++)
        if (src->out[k] >= 0 && b->qp[src->out[k]]) ER_TRY(emit_qdq(b, src->out[k], outs[k]));
    return ER_OK;
}

static er_status read_inputs(qb *b, const er_node *n, int *ins) {
    if (n->n_in > 64)
        return er_fail(ER_ERR_UNSUPPORTED, "node '%s' has more than 64 inputs", n->name);
    for (int k = 0; k < n->n_in; k++) ER_TRY(rd_of(b, n->in[k], &ins[k]));
    return ER_OK;
}

static er_status emit_unit_int8(qb *b, int ui) {
    const er_qanalysis *a = b->a;
    const er_qunit *u = &a->units[ui];
    const er_node *n = &a->g->nodes[u->node];
    int ins[64];
    if (n->n_in > 63) return er_fail(ER_ERR_UNSUPPORTED, "node '%s': too many inputs", n->name);
    int n_in = n->n_in; /* bias correction may add a Conv / Gemm bias */
    for (int k = 0; k < 64; k++) ins[k] = -1;
    bool resize = is_op(n, "Resize");
    float wsbuf[1];
    float *ws = wsbuf;
    int n_ch = 1, bias_dq = -1;
    for (int k = 0; k < n->n_in; k++) {
        int v = n->in[k];
        ins[k] = -1;
        if (v < 0 || k == u->weight || k == u->bias) continue;
        if (resize && k > 0) ER_TRY(rd_of(b, v, &ins[k]));
        else if (b->qp[v]) ins[k] = b->rd[v];
        else if (float_const(a, v)) ER_TRY(emit_const_operand(b, v, &ins[k]));
        else ER_TRY(rd_of(b, v, &ins[k]));
        if (ins[k] < 0)
            return er_fail(ER_ERR_INTERNAL, "quantizer: no value for input %d of '%s'", k,
                           n->name);
    }
    er_status st = ER_OK;
    if (u->weight >= 0) {
        int wv = n->in[u->weight];
        const er_tensor *wt = planned(a, wv);
        int axis = b->per_channel ? u->w_axis : -1;
        n_ch = axis >= 0 ? (int)wt->dims[axis] : 1;
        ws = er_malloc(sizeof(float) * (size_t)n_ch);
        if (!ws) return nomem();
        weight_scales(wt, er_quant_const_data(a, wv), axis, ws);
        float xs = b->scale[b->psrc[n->in[0]]];
        int bias_v = u->bias >= 0 ? n->in[u->bias]
                   : u->bias_node >= 0 ? -2 : -1;
        if (bias_v == -2) {
            const er_node *add = &a->g->nodes[u->bias_node];
            bias_v = add->in[0] == n->out[0] ? add->in[1] : add->in[0];
        }
        int64_t nb = u->w_axis < wt->rank ? wt->dims[u->w_axis] : 1;
        const float *bd = bias_v >= 0 ? er_quant_const_data(a, bias_v) : NULL;
        int64_t bn = bias_v >= 0 ? vnumel(a, bias_v) : 0;
        if (bd) fit_bias(bd, bn, nb, xs, ws, n_ch);
        /* bias correction: the corrected bias replaces the original (a Conv or
         * Gemm without one gets one; a MatMul without a bias Add is left) */
        float *cb = NULL;
        double *shift = NULL;
        if (b->cfg->bias_correction && (bd || u->bias_node < 0) &&
            (bd || !is_op(n, "MatMul"))) {
            shift = er_malloc(sizeof(double) * (size_t)nb);
            cb = er_malloc(sizeof(float) * (size_t)nb);
            if (!shift || !cb) st = nomem();
            else if (bias_shift(b, u, er_quant_const_data(a, wv), ws, axis, nb, shift)) {
                for (int64_t m = 0; m < nb; m++)
                    cb[m] = (float)((bd ? (double)bd[bn == 1 ? 0 : m] : 0.0) + shift[m]);
                bd = cb;
                bn = nb;
                b->n_corrected++;
            }
        }
        int qid, sid, zid;
        if (st == ER_OK)
            st = emit_weight(b, wv, axis, ws, false, NULL, &ins[u->weight], &qid, &sid, &zid);
        const char *bname = bias_v >= 0 ? b->g->values[bias_v].name : b->g->values[wv].name;
        char bbase[512];
        snprintf(bbase, sizeof bbase, "%s%s", bname, bias_v >= 0 ? "" : "_bias");
        int bslot = u->bias >= 0 ? u->bias : is_op(n, "MatMul") ? -1 : 2;
        if (st == ER_OK && bd && u->bias_node < 0 && bslot >= 0) {
            st = emit_bias(b, bbase, bd, bn, xs, ws, n_ch, nb, &ins[bslot]);
            if (bslot >= n_in) n_in = bslot + 1;
        }
        if (st == ER_OK && bd && u->bias_node >= 0)
            st = emit_bias(b, bbase, bd, bn, xs, ws, n_ch, nb, &bias_dq);
        er_free(cb);
        er_free(shift);
    }
    if (ws != wsbuf) er_free(ws);
    ER_TRY(st);
    /* main node, then the fused bias Add and activation */
    int cur;
    if (u->bias_node < 0 && u->act_node < 0) {
        ER_TRY(out_value(b, u->output, &cur)); /* units have one output */
        ER_TRY(add_node(b, n, NULL, NULL, ins, n_in, &cur, 1, NULL));
    } else {
        ER_TRY(new_value(b, b->g->values[n->out[0]].name, &cur));
        ER_TRY(add_node(b, n, NULL, NULL, ins, n_in, &cur, 1, NULL));
        if (u->bias_node >= 0) {
            const er_node *add = &a->g->nodes[u->bias_node];
            int v = add->out[0], nv;
            if (v == u->output) ER_TRY(out_value(b, v, &nv));
            else ER_TRY(new_value(b, b->g->values[v].name, &nv));
            int ai[2];
            ai[0] = add->in[0] == n->out[0] ? cur : bias_dq;
            ai[1] = add->in[0] == n->out[0] ? bias_dq : cur;
            ER_TRY(add_node(b, add, NULL, NULL, ai, 2, &nv, 1, NULL));
            cur = nv;
        }
        if (u->act_node >= 0) {
            const er_node *act = &a->g->nodes[u->act_node];
            int ai[3] = {cur, -1, -1}, nv;
            for (int k = 1; k < act->n_in && k < 3; k++) ER_TRY(rd_of(b, act->in[k], &ai[k]));
            ER_TRY(out_value(b, u->output, &nv));
            ER_TRY(add_node(b, act, NULL, NULL, ai, act->n_in > 3 ? 3 : act->n_in, &nv, 1,
                            NULL));
            cur = nv;
        }
    }
    b->n_quantized++;
    return emit_qdq(b, u->output, cur);
}

/* ConvInteger / MatMulInteger on DynamicQuantizeLinear's output, scaled
 * back to float. */
static er_status emit_unit_dynamic(qb *b, int ui) {
    const er_qanalysis *a = b->a;
    const er_qunit *u = &a->units[ui];
    const er_node *n = &a->g->nodes[u->node];
    bool conv = is_op(n, "Conv");
    int x = n->in[0];
    char nn[512], name[512];
    const char *xname = b->g->values[x].name;
    if (b->dql[x] < 0) {
        int xf;
        ER_TRY(rd_of(b, x, &xf));
        int outs[3];
        static const char *const sfx[3] = {"_dyn_quantized", "_dyn_scale", "_dyn_zero_point"};
        for (int k = 0; k < 3; k++) {
            uniq(b, xname, sfx[k], name, sizeof name);
            ER_TRY(new_value(b, name, &outs[k]));
        }
        snprintf(nn, sizeof nn, "%s_DynamicQuantizeLinear", xname);
        ER_TRY(add_node(b, NULL, "DynamicQuantizeLinear", nn, &xf, 1, outs, 3, NULL));
        b->dql[x] = outs[0];
    }
    int xq = b->dql[x], xs = xq + 1, xzp = xq + 2; /* created consecutively above */
    int wv = n->in[1];
    const er_tensor *wt = planned(a, wv);
    bool transpose = is_op(n, "Gemm") && u->w_axis == 0; /* transB: store B^T as [K, N] */
    int axis = u->w_axis;
    int n_ch = (int)wt->dims[axis];
    float *ws = er_malloc(sizeof(float) * (size_t)n_ch);
    if (!ws) return nomem();
    weight_scales(wt, er_quant_const_data(a, wv), axis, ws);
    int qid, sid, zid;
    bool pc = b->per_channel;
    b->per_channel = true; /* scales live in the float Mul, not in a DequantizeLinear */
    er_status st = emit_weight(b, wv, axis, ws, transpose, NULL, NULL, &qid, &sid, &zid);
    b->per_channel = pc;
    int64_t sd[ER_MAX_RANK];
    int srank = 1;
    sd[0] = n_ch;
    if (conv) { /* [1, M, 1, ...] to broadcast over NCHW */
        srank = planned(a, x)->rank;
        for (int k = 0; k < srank; k++) sd[k] = k == 1 ? n_ch : 1;
    }
    int wsid = -1, wzero = -1;
    if (st == ER_OK)
        st = new_const(b, b->g->values[wv].name, "_scale_bcast", ER_F32, srank, sd, ws, &wsid);
    er_free(ws);
    ER_TRY(st);
    int8_t zero = 0;
    ER_TRY(new_const(b, b->g->values[wv].name, "_zero_point_scalar", ER_I8, 0, NULL, &zero,
                     &wzero));
    const char *oname = b->g->values[n->out[0]].name;
    int acc, accf, sc, y0;
    uniq(b, oname, "_int32", name, sizeof name);
    ER_TRY(new_value(b, name, &acc));
    int ii[4] = {xq, qid, xzp, wzero};
    er_node *node = NULL;
    snprintf(nn, sizeof nn, "%s_%s", n->name, conv ? "ConvInteger" : "MatMulInteger");
    if (conv) {
        ER_TRY(add_node(b, n, NULL, NULL, ii, 4, &acc, 1, &node));
        node->op_type = "ConvInteger";
        node->op = er_op_find("ConvInteger", "");
        node->name = er_pool_strdup(b->o->pool, nn);
        if (!node->name) return nomem();
        node->opset = (int)b->g->opset;
    } else {
        ER_TRY(add_node(b, NULL, "MatMulInteger", nn, ii, 4, &acc, 1, NULL));
    }
    uniq(b, oname, "_int32_float", name, sizeof name);
    ER_TRY(new_value(b, name, &accf));
    snprintf(nn, sizeof nn, "%s_Cast", n->name);
    ER_TRY(add_node(b, NULL, "Cast", nn, &acc, 1, &accf, 1, &node));
    ER_TRY(set_attr_int(b, node, "to", ER_F32));
    uniq(b, oname, "_scale", name, sizeof name);
    ER_TRY(new_value(b, name, &sc));
    int mi[2] = {xs, wsid};
    snprintf(nn, sizeof nn, "%s_scale_Mul", n->name);
    ER_TRY(add_node(b, NULL, "Mul", nn, mi, 2, &sc, 1, NULL));
    int bias_v = u->bias >= 0 ? n->in[u->bias] : -1;
    if (bias_v >= 0) {
        uniq(b, oname, "_unbiased", name, sizeof name);
        ER_TRY(new_value(b, name, &y0));
    } else {
        ER_TRY(out_value(b, n->out[0], &y0));
    }
    int mi2[2] = {accf, sc};
    snprintf(nn, sizeof nn, "%s_Mul", n->name);
    ER_TRY(add_node(b, NULL, "Mul", nn, mi2, 2, &y0, 1, NULL));
    if (bias_v >= 0) {
        int bid;
        if (conv) { /* [M] -> [M, 1, ...] to broadcast over NCHW */
            int64_t bd[ER_MAX_RANK];
            for (int k = 0; k < srank - 1; k++) bd[k] = k == 0 ? n_ch : 1;
            ER_TRY(new_const(b, b->g->values[bias_v].name, "_bcast", ER_F32, srank - 1, bd,
                             er_quant_const_data(a, bias_v), &bid));
        } else {
            ER_TRY(rd_of(b, bias_v, &bid));
        }
        int y;
        ER_TRY(out_value(b, n->out[0], &y));
        int ai[2] = {y0, bid};
        snprintf(nn, sizeof nn, "%s_bias_Add", n->name);
        ER_TRY(add_node(b, NULL, "Add", nn, ai, 2, &y, 1, NULL));
    }
    b->n_quantized++;
    return ER_OK;
}

static bool dynamic_unit(const er_qanalysis *a, const er_qunit *u) {
    const er_node *n = &a->g->nodes[u->node];
    return u->weight >= 0 && (is_op(n, "Conv") || is_op(n, "Gemm") || is_op(n, "MatMul"));
}

/* ---- driver -------------------------------------------------------------------------------- */

static er_status decide(qb *b) {
    const er_qanalysis *a = b->a;
    const er_graph *g = b->g;
    for (int v = 0; v < g->n_values; v++) b->psrc[v] = v;
    for (int ui = 0; ui < a->n_units; ui++) {
        bool q = !b->cfg->unit_float || !b->cfg->unit_float[ui];
        if (b->cfg->mode == ER_QMODE_DYNAMIC) q = q && dynamic_unit(a, &a->units[ui]);
        if (b->cfg->mode == ER_QMODE_FP16) q = false;
        b->unit_q[ui] = q;
        if (!q || b->cfg->mode != ER_QMODE_INT8) continue;
        const er_qunit *u = &a->units[ui];
        const er_node *n = &g->nodes[u->node];
        bool resize = is_op(n, "Resize");
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (k == u->weight || k == u->bias || (resize && k > 0)) continue;
            if (float_act(a, v)) b->qp[v] = true;
        }
        b->qp[u->output] = true;
    }
    if (b->cfg->mode != ER_QMODE_INT8) return ER_OK;
    if (b->cfg->int8_io) {
        for (int i = 0; i < g->n_inputs; i++)
            if (a->dtype[g->inputs[i]] == ER_F32) b->qp[g->inputs[i]] = true;
        for (int i = 0; i < g->n_outputs; i++)
            if (float_act(a, g->outputs[i])) b->qp[g->outputs[i]] = true;
    }
    /* followers: quantized with their input's parameters when it is quantized */
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!is_follower(n) || n->n_in < 1 || !float_act(a, n->in[0]) || !b->qp[n->in[0]] ||
            !float_act(a, n->out[0]) || a->unit_of[i] >= 0)
            continue;
        b->qp[n->out[0]] = true;
        b->psrc[n->out[0]] = b->psrc[n->in[0]];
    }
    for (int v = 0; v < g->n_values; v++) {
        if (!b->qp[v] || b->psrc[v] != v) continue;
        float lo = b->cfg->lo ? b->cfg->lo[v] : NAN, hi = b->cfg->hi ? b->cfg->hi[v] : NAN;
        if (lo != lo || hi != hi)
            return er_fail(ER_ERR_INVALID_ARG, "tensor '%s' has no calibration range (was it "
                           "ever computed during calibration?)", g->values[v].name);
        er_quant_act_params(lo, hi, b->adt, &b->scale[v], &b->zp[v]);
    }
    return ER_OK;
}

static er_status build(qb *b) {
    const er_qanalysis *a = b->a;
    const er_graph *g = b->g;
    er_graph *o = b->o;
    o->opset = g->opset;
    ER_TRY(decide(b));
    int *ins = er_pool_array(o->pool, (size_t)(g->n_inputs + 1), sizeof(int));
    int *outs = er_pool_array(o->pool, (size_t)(g->n_outputs + 1), sizeof(int));
    if (!ins || !outs) return nomem();
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i], id;
        const char *name = g->values[v].name;
        ER_TRY(new_value(b, name, &id));
        ER_TRY(copy_decl(b, v, id));
        o->values[id].is_input = true;
        ins[i] = id;
        if (!b->qp[v]) {
            b->rd[v] = id;
        } else if (b->cfg->int8_io) {
            o->values[id].dtype = b->adt;
            ER_TRY(attach_quant(b, v, id));
            b->qv[v] = id;
            int s, z;
            ER_TRY(qparam_ids(b, v, &s, &z));
            ER_TRY(emit_dq(b, name, id, s, z, -1, &b->rd[v]));
        } else {
            ER_TRY(emit_qdq(b, v, id));
        }
    }
    o->inputs = ins;
    o->n_inputs = g->n_inputs;
    bool *skip = er_calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(bool));
    if (!skip) return nomem();
    for (int ui = 0; ui < a->n_units; ui++) {
        const er_qunit *u = &a->units[ui];
        if (!b->unit_q[ui] || b->cfg->mode != ER_QMODE_INT8) continue;
        if (u->bias_node >= 0) skip[u->bias_node] = true;
        if (u->act_node >= 0) skip[u->act_node] = true;
    }
    er_status st = ER_OK;
    int rins[64];
    for (int i = 0; i < g->n_nodes && st == ER_OK; i++) {
        const er_node *n = &g->nodes[i];
        bool folded = n->n_out > 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && !a->is_const[n->out[k]]) folded = false;
        if (folded || skip[i]) continue;
        int ui = a->unit_of[i];
        if (ui >= 0 && b->unit_q[ui]) {
            st = b->cfg->mode == ER_QMODE_INT8 ? emit_unit_int8(b, ui) : emit_unit_dynamic(b, ui);
            continue;
        }
        st = read_inputs(b, n, rins);
        if (st == ER_OK) st = emit_plain(b, n, rins);
    }
    er_free(skip);
    ER_TRY(st);
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i], id;
        if (b->qp[v] && b->cfg->int8_io) id = b->qv[v];
        else ER_TRY(rd_of(b, v, &id));
        if (id < 0)
            return er_fail(ER_ERR_INTERNAL, "quantizer: output '%s' has no value",
                           g->values[v].name);
        o->values[id].is_output = true; /* declared shapes were copied when it was made */
        outs[i] = id;
    }
    o->outputs = outs;
    o->n_outputs = g->n_outputs;
    return er_graph_toposort(o);
}

er_status er_quantize_graph(const er_qanalysis *a, const er_quant_config *cfg, er_graph **out,
                            int *n_quantized) {
    *out = NULL;
    if (n_quantized) *n_quantized = 0;
    const er_graph *g = a->g;
    if (cfg->mode == ER_QMODE_INT8 && g->opset < 10)
        return er_fail(ER_ERR_UNSUPPORTED, "int8 quantization writes QuantizeLinear / "
                       "DequantizeLinear, which need opset >= 10; the model has opset %lld "
                       "(re-export it with a newer opset)", (long long)g->opset);
    if (cfg->mode == ER_QMODE_DYNAMIC && g->opset < 11)
        return er_fail(ER_ERR_UNSUPPORTED, "dynamic quantization writes DynamicQuantizeLinear, "
                       "which needs opset >= 11; the model has opset %lld", (long long)g->opset);
    if (cfg->act_dtype != ER_UNDEF && cfg->act_dtype != ER_U8 && cfg->act_dtype != ER_I8)
        return er_fail(ER_ERR_INVALID_ARG, "activations are quantized to uint8 or int8, not %s",
                       er_dtype_name(cfg->act_dtype));
    qb b;
    memset(&b, 0, sizeof b);
    b.a = a;
    b.cfg = cfg;
    b.g = g;
    b.adt = cfg->act_dtype == ER_I8 ? ER_I8 : ER_U8;
    b.per_channel = g->opset >= 13;
    size_t nv = (size_t)(g->n_values ? g->n_values : 1);
    b.rd = er_malloc(nv * sizeof(int));
    b.qv = er_malloc(nv * sizeof(int));
    b.s_id = er_malloc(nv * sizeof(int));
    b.z_id = er_malloc(nv * sizeof(int));
    b.dql = er_malloc(nv * sizeof(int));
    b.psrc = er_malloc(nv * sizeof(int));
    b.qp = er_calloc(nv, sizeof(bool));
    b.scale = er_calloc(nv, sizeof(float));
    b.zp = er_calloc(nv, sizeof(int32_t));
    b.unit_q = er_calloc((size_t)(a->n_units ? a->n_units : 1), sizeof(bool));
    er_status st = ER_OK;
    if (!b.rd || !b.qv || !b.s_id || !b.z_id || !b.dql || !b.psrc || !b.qp || !b.scale ||
        !b.zp || !b.unit_q) {
        st = nomem();
        goto done;
    }
    for (size_t v = 0; v < nv; v++) b.rd[v] = b.qv[v] = b.s_id[v] = b.z_id[v] = b.dql[v] = -1;
    if ((st = er_graph_create(&b.o)) != ER_OK) goto done;
    st = build(&b);
    if (st == ER_OK) {
        *out = b.o;
        b.o = NULL;
        if (n_quantized) *n_quantized = b.n_quantized;
    }
done:
    er_graph_free(b.o);
    er_free(b.rd);
    er_free(b.qv);
    er_free(b.s_id);
    er_free(b.z_id);
    er_free(b.dql);
    er_free(b.psrc);
    er_free(b.qp);
    er_free(b.scale);
    er_free(b.zp);
    er_free(b.unit_q);
    return st;
}

er_status er_quant_model(er_graph *g, const char *name, er_model **out) {
    *out = NULL;
    er_model *m = er_calloc(1, sizeof *m);
    char *p = er_strdup(name ? name : "<quantized>");
    if (!m || !p) {
        er_free(m);
        er_free(p);
        er_graph_free(g);
        return nomem();
    }
    m->graph = g;
    m->path = p;
    *out = m;
    return ER_OK;
}

/* ---- the native form ------------------------------------------------------------ */

/* Copies value v of g (name, flags, declared shape, constant data) into o. */
static er_status copy_value(const er_graph *g, int v, er_graph *o, int *id) {
    const er_value *s = &g->values[v];
    ER_TRY(er_graph_value(o, s->name, id));
    er_value *d = &o->values[*id];
    d->dtype = s->dtype;
    d->rank = s->rank;
    d->is_input = s->is_input;
    d->is_output = s->is_output;
    for (int k = 0; k < s->rank && k < ER_MAX_RANK; k++) {
        d->dims[k] = s->dims[k];
        d->dim_param[k] = NULL;
        if (s->dim_param[k] && !(d->dim_param[k] = er_pool_strdup(o->pool, s->dim_param[k])))
            return nomem();
    }
    if (s->quant) {
        er_quant *q = er_pool_alloc(o->pool, sizeof *q);
        float *sc = er_pool_array(o->pool, (size_t)s->quant->n, sizeof(float));
        int32_t *zp = er_pool_array(o->pool, (size_t)s->quant->n, sizeof(int32_t));
        if (!q || !sc || !zp) return nomem();
        memcpy(sc, s->quant->scale, sizeof(float) * (size_t)s->quant->n);
        memcpy(zp, s->quant->zero_point, sizeof(int32_t) * (size_t)s->quant->n);
        *q = *s->quant;
        q->scale = sc;
        q->zero_point = zp;
        o->values[*id].quant = q;
    }
    if (s->data) {
        void *p = er_aligned_alloc(s->data_bytes ? s->data_bytes : 1);
        if (!p) return nomem();
        if (s->data_bytes) memcpy(p, s->data, s->data_bytes);
        ER_TRY(er_graph_own(o, p));
        o->values[*id].data = p;
        o->values[*id].data_bytes = s->data_bytes;
    }
    return ER_OK;
}

/* A copy of g's nodes and of the values they use (and the graph's inputs
 * and outputs), independent of g. */
static er_status copy_used(const er_graph *g, er_graph *o) {
    int *map = er_malloc(sizeof(int) * (size_t)(g->n_values ? g->n_values : 1));
    if (!map) return nomem();
    for (int v = 0; v < g->n_values; v++) map[v] = -1;
    er_status st = ER_OK;
    o->opset = g->opset;
#define MAP(v, out)                                                                            \
    do {                                                                                       \
        if ((v) < 0) {                                                                         \
            (out) = -1;                                                                        \
        } else {                                                                               \
            if (map[v] < 0 && (st = copy_value(g, v, o, &map[v])) != ER_OK) goto done;        \
            (out) = map[v];                                                                    \
        }                                                                                      \
    } while (0)
    for (int i = 0; i < g->n_inputs; i++) MAP(g->inputs[i], map[g->inputs[i]]);
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *s = &g->nodes[i];
        er_node *n;
        if ((st = er_graph_add_node(o, s->n_in, s->n_out, s->n_attr, &n)) != ER_OK) goto done;
        int node = o->n_nodes - 1;
        for (int k = 0; k < s->n_in; k++) {
            int id;
            MAP(s->in[k], id);
            o->nodes[node].in[k] = id;
        }
        for (int k = 0; k < s->n_out; k++) {
            int id;
            MAP(s->out[k], id);
            o->nodes[node].out[k] = id;
        }
        n = &o->nodes[node];
        n->name = er_pool_strdup(o->pool, s->name);
        n->op_type = er_pool_strdup(o->pool, s->op_type);
        n->domain = er_pool_strdup(o->pool, s->domain);
        if (!n->name || !n->op_type || !n->domain) {
            st = nomem();
            goto done;
        }
        n->opset = s->opset;
        n->op = s->op;
        for (int k = 0; k < s->n_attr; k++)
            if ((st = copy_attr(o, &n->attr[k], &s->attr[k])) != ER_OK) goto done;
    }
    int *ins = er_pool_array(o->pool, (size_t)(g->n_inputs + 1), sizeof(int));
    int *outs = er_pool_array(o->pool, (size_t)(g->n_outputs + 1), sizeof(int));
    if (!ins || !outs) {
        st = nomem();
        goto done;
    }
    for (int i = 0; i < g->n_inputs; i++) ins[i] = map[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++) MAP(g->outputs[i], outs[i]);
#undef MAP
    o->inputs = ins;
    o->n_inputs = g->n_inputs;
    o->outputs = outs;
    o->n_outputs = g->n_outputs;
    st = er_graph_toposort(o);
done:
    er_free(map);
    return st;
}

er_status er_quant_fold_native(const er_graph *g, er_graph **out) {
    *out = NULL;
    er_graph *c = NULL, *o = NULL;
    ER_TRY(er_graph_clone(g, &c));
    er_status st = er_optimize_pre_fold(c, NULL); /* what a session does first */
    if (st == ER_OK) st = er_graph_create(&o);
    if (st == ER_OK) st = copy_used(c, o);
    er_graph_free(c);
    if (st != ER_OK) {
        er_graph_free(o);
        return st;
    }
    *out = o;
    return ER_OK;
}
