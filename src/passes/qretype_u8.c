/* qretype_u8.c - int8 activations between edgerun int8 ops become uint8.
 *
 * An int8 tensor q with parameters (scale, zp) and the uint8 tensor q + 128
 * (the same bytes with the top bit flipped) with (scale, zp + 128) hold the
 * same real values, and every int8 op's arithmetic only sees differences
 * q - zp (docs/int8.md), which the shift leaves unchanged; an output computed
 * as clamp(MBQM(acc) + zp, lo, hi) is likewise the same byte with the top bit
 * flipped when zp, lo and hi move by 128. So retyping an activation to uint8
 * and moving the zero points (and fused activation bounds) that describe it
 * by +128 computes the same function, byte for byte after the flip.
 *
 * Why: the fast kernels multiply uint8 activations by int8 weights
 * (vpdpbusd), so an int8 activation must be flipped first - a copy of every
 * convolution input. After this pass that copy is gone for graphs whose
 * quantizer chose int8 activations (the TFLite scheme and the project's own).
 *
 * A value is retyped when it is an int8 activation (not a constant, not a
 * graph input or output) whose producer and every reader are ops that take it
 * with an explicit constant scalar zero point (QConv, QGemm, QMatMul, QAdd,
 * QMul, the pools, QConcat, the table ops, QSoftmax, QResize, QuantizeLinear's
 * output, DequantizeLinear's input, and their NHWC forms), or byte-moving ops
 * (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Reinterpret) whose
 * other side is retyped with it (values joined through those are one class:
 * all or nothing). Each zero point is replaced by a fresh uint8 constant, so
 * constants shared with other uses are untouched. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "passes.h"

/* Where an op keeps the zero points of its activation inputs/outputs. */
typedef struct {
    int n_in;
    int in[4], in_zp[4]; /* input index -> its zero point's input index */
    int out_zp;          /* -1: no output slot */
    bool act_attrs;      /* activation_min / activation_max move with the output */
} qslots;

static bool is_op(const er_node *n, const char *dom, const char *op) {
    return n->op_type && strcmp(n->domain, dom) == 0 && strcmp(n->op_type, op) == 0;
}

static bool op_in(const char *op, const char *const *list) {
    for (; *list; list++)
        if (strcmp(op, *list) == 0) return true;
    return false;
}

/* Byte-moving ops: output 0 has input 0's bytes in another shape or order. */
static bool is_move(const er_node *n) {
    static const char *const onnx[] = {"Reshape", "Flatten", "Transpose", "Squeeze",
                                       "Unsqueeze", "Identity", NULL};
    if (!n->op_type || n->n_in < 1 || n->n_out != 1) return false;
    if (!n->domain[0]) return op_in(n->op_type, onnx);
    return is_op(n, "edgerun", "Reinterpret");
}

static bool slots_of(const er_node *n, qslots *s) {
    memset(s, 0, sizeof *s);
    s->out_zp = -1;
    if (!n->op_type) return false;
    const char *op = n->op_type;
    if (strcmp(n->domain, "edgerun") == 0) {
        static const char *const conv[] = {"QConv", "QConvNhwc", "QGemm", "QMatMul", NULL};
        static const char *const bin[] = {"QAdd", "QMul", NULL};
        static const char *const one[] = {"QMaxPool", "QAveragePool", "QGlobalAveragePool",
                                          "QMaxPoolNhwc", "QAveragePoolNhwc",
                                          "QGlobalAveragePoolNhwc", "QSigmoid", "QTanh",
                                          "QHardSwish", "QLeakyRelu", "QSoftmax", "QResize",
                                          NULL};
        if (op_in(op, conv) && n->n_in >= 8) {
            s->n_in = 1;
            s->in[0] = 0;
            s->in_zp[0] = 2;
            if (strcmp(op, "QMatMul") == 0) { /* B may be an activation too */
                s->n_in = 2;
                s->in[1] = 3;
                s->in_zp[1] = 5;
            }
            s->out_zp = 7;
            s->act_attrs = true;
            return true;
        }
        if (op_in(op, bin) && n->n_in == 8) {
            s->n_in = 2;
            s->in[0] = 0, s->in_zp[0] = 2;
            s->in[1] = 3, s->in_zp[1] = 5;
            s->out_zp = 7;
            s->act_attrs = true;
            return true;
        }
        if (op_in(op, one) && n->n_in >= 5) {
            s->n_in = 1;
            s->in[0] = 0, s->in_zp[0] = 2;
            s->out_zp = 4;
            return true;
        }
        return false; /* QConcat has a variable layout: handled by the caller */
    }
    if (!n->domain[0] && strcmp(op, "QuantizeLinear") == 0 && n->n_in == 3) {
        s->out_zp = 2;
        return true;
    }
    if (!n->domain[0] && strcmp(op, "DequantizeLinear") == 0 && n->n_in == 3) {
        s->n_in = 1;
        s->in[0] = 0, s->in_zp[0] = 2;
        return true;
    }
    return false;
}

/* The zero point input index for input k of n (or output when k < 0), or -1
 * when n does not take that value with an explicit zero point. */
static int zp_index(const er_node *n, int k) {
    if (is_op(n, "edgerun", "QConcat")) {
        if (k < 0) return n->n_in >= 2 ? 1 : -1;
        return k >= 2 && (k - 2) % 3 == 0 && k + 2 < n->n_in ? k + 2 : -1;
    }
    qslots s;
    if (!slots_of(n, &s)) return -1;
    if (k < 0) return s.out_zp;
    for (int i = 0; i < s.n_in; i++)
        if (s.in[i] == k) return s.in_zp[i];
    return -1;
}

static int find(int *parent, int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
}

/* A zero point that can move: a constant int8 scalar (or [1]). */
static bool zp_ok(const er_graph *g, int v) {
    if (v < 0 || !er_pass_is_const(g, v)) return false;
    const er_value *z = &g->values[v];
    return z->dtype == ER_I8 && er_shape_count(z->rank, z->dims) == 1 && z->rank <= 1;
}

/* Replaces input zi of n (an int8 zero point) with a new uint8 constant
 * holding zp + 128. */
static er_status move_zp(er_graph *g, er_node *n, int zi) {
    int old = n->in[zi], nv;
    int8_t zp = *(const int8_t *)g->values[old].data;
    int rank = g->values[old].rank;
    int64_t dims[1] = {1};
    char hint[64];
    snprintf(hint, sizeof hint, "zp_u8");
    ER_TRY(er_graph_new_value(g, hint, &nv));
    uint8_t *d;
    ER_TRY(er_graph_set_const(g, nv, ER_U8, rank, dims, (void **)&d));
    *d = (uint8_t)(zp + 128);
    n->in[zi] = nv;
    return ER_OK;
}

er_status er_pass_qretype_u8(er_graph *g) {
    int nv = g->n_values;
    if (nv == 0) return ER_OK;
    int *parent = er_malloc(sizeof(int) * (size_t)nv);
    bool *bad = er_calloc((size_t)nv, sizeof(bool));
    if (!parent || !bad) {
        er_free(parent);
        er_free(bad);
        return er_fail(ER_ERR_NOMEM, "out of memory in the int8 retyping pass");
    }
    for (int v = 0; v < nv; v++) {
        const er_value *x = &g->values[v];
        parent[v] = v;
        bad[v] = x->dtype != ER_I8 || x->data || x->is_input || x->is_output;
    }
    /* classes through byte-moving ops */
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!is_move(n) || n->in[0] < 0 || n->out[0] < 0) continue;
        int a = find(parent, n->in[0]), b = find(parent, n->out[0]);
        if (a != b) parent[a] = b;
    }
    /* every use and definition must be a movable slot */
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        bool move = is_move(n);
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0 || v >= nv) continue;
            if (move && k == 0) continue;
            int zi = zp_index(n, k);
            if (zi < 0 || zi >= n->n_in || !zp_ok(g, n->in[zi])) bad[find(parent, v)] = true;
        }
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            if (v < 0 || v >= nv) continue;
            if (move && k == 0) continue;
            int zi = k == 0 ? zp_index(n, -1) : -1;
            if (zi < 0 || zi >= n->n_in || !zp_ok(g, n->in[zi])) bad[find(parent, v)] = true;
            /* QuantizeLinear with an explicit output_dtype keeps it */
            if (!n->domain[0] && strcmp(n->op_type, "QuantizeLinear") == 0 &&
                er_attr_int(n, "output_dtype", 0) != 0)
                bad[find(parent, v)] = true;
        }
    }
    for (int v = 0; v < nv; v++)
        if (bad[v]) bad[find(parent, v)] = true;
    er_status st = ER_OK;
    for (int i = 0; st == ER_OK && i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type || is_move(n)) continue;
        for (int k = 0; st == ER_OK && k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0 || v >= nv || bad[find(parent, v)] || g->values[v].dtype != ER_I8) continue;
            st = move_zp(g, n, zp_index(n, k));
        }
        int y = n->n_out > 0 ? n->out[0] : -1;
        if (st != ER_OK || y < 0 || y >= nv || bad[find(parent, y)]) continue;
        st = move_zp(g, n, zp_index(n, -1));
        qslots s;
        if (st == ER_OK && slots_of(n, &s) && s.act_attrs) {
            const er_attr *lo = er_attr_find(n, "activation_min");
            const er_attr *hi = er_attr_find(n, "activation_max");
            if (lo && lo->type == ER_ATTR_INT)
                st = er_node_set_attr_int(g, n, "activation_min", lo->i + 128);
            if (st == ER_OK && hi && hi->type == ER_ATTR_INT)
                st = er_node_set_attr_int(g, n, "activation_max", hi->i + 128);
        }
    }
    /* the values themselves (after every reader was rewritten) */
    for (int v = 0; st == ER_OK && v < nv; v++)
        if (!bad[find(parent, v)] && g->values[v].dtype == ER_I8) g->values[v].dtype = ER_U8;
    er_free(parent);
    er_free(bad);
    return st;
}
