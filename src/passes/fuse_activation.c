/* fuse_activation.c - moves what follows a convolution into its epilogue,
 * so the output is written once, already final:
 *   ConvNhwc -> Add(y, z)              residual: y = conv + b + z
 *   (Dense takes the activations below, not residuals)
 *   ConvNhwc -> Relu | Clip(const) | LeakyRelu | Sigmoid | HardSigmoid |
 *               HardSwish | Tanh       y = act(...)
 *   ConvNhwc -> Mul(y, Sigmoid(y))     SiLU (EfficientNet's Swish)
 *   ConvNhwc -> Mul(y, HardSigmoid(y)) HardSwish when alpha = 1/6, beta = 1/2
 *                                      (MobileNetV3 exported below opset 14)
 * The conv must be the only reader of its output (else the unfused value is
 * still needed). A residual z must be computed before the conv runs (its
 * producer comes earlier in the node order), so the rewrite never reorders.
 * The activation is applied after the residual add, as Add -> Relu means. */
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "cpu/act.h"
#include "passes.h"

static bool is(const er_node *n, const char *op) {
    return n && n->op_type && !n->domain[0] && strcmp(n->op_type, op) == 0;
}

static bool scalar_const(const er_graph *g, int v, float *out) {
    if (v < 0 || !er_pass_is_const(g, v)) return false;
    const er_value *x = &g->values[v];
    if (x->dtype != ER_F32 || er_shape_count(x->rank, x->dims) != 1) return false;
    *out = *(const float *)x->data;
    return true;
}

/* The conv now writes `y` (the fused node's output); `dead` nodes go. */
static void take_output(er_graph *g, er_node *conv, int y) {
    g->values[conv->out[0]].producer = -1;
    conv->out[0] = y;
    g->values[y].producer = (int)(conv - g->nodes);
}

static er_status set_act(er_graph *g, er_node *conv, er_act_kind k, float alpha, float beta,
                         float lo, float hi) {
    ER_TRY(er_node_set_attr_str(g, conv, "act", er_act_name(k)));
    if (alpha != 0) ER_TRY(er_node_set_attr_float(g, conv, "act_alpha", alpha));
    if (beta != 0) ER_TRY(er_node_set_attr_float(g, conv, "act_beta", beta));
    if (k == ER_ACT_CLIP) {
        ER_TRY(er_node_set_attr_float(g, conv, "act_min", lo));
        ER_TRY(er_node_set_attr_float(g, conv, "act_max", hi));
    }
    return ER_OK;
}

/* Index of node n in g->nodes. */
static int index_of(const er_graph *g, const er_node *n) { return (int)(n - g->nodes); }

static er_status try_residual(er_graph *g, er_node *conv) {
    if (conv->n_in > 3 && conv->in[3] >= 0) return ER_OK;
    int y = conv->out[0];
    er_node *add = er_pass_sole_consumer(g, y);
    if (!is(add, "Add") || add->n_in != 2) return ER_OK;
    int z = add->in[0] == y ? add->in[1] : add->in[0];
    if (z == y) return ER_OK;
    const er_value *zv = &g->values[z], *yv = &g->values[y];
    if (zv->dtype != ER_F32 || !er_shape_equal(zv->rank, zv->dims, yv->rank, yv->dims)) return ER_OK;
    er_node *zp = er_pass_producer(g, z);
    if (zp && index_of(g, zp) > index_of(g, conv)) return ER_OK; /* z not ready yet */
    ER_TRY(er_node_resize_inputs(g, conv, 4));
    conv->in[3] = z;
    take_output(g, conv, add->out[0]);
    add->op_type = NULL;
    return ER_OK;
}

static er_status try_activation(er_graph *g, er_node *conv) {
    if (strcmp(er_attr_str(conv, "act", "none"), "none") != 0) return ER_OK;
    int y = conv->out[0];
    /* SiLU / HardSwish written as y * f(y): y has exactly two readers */
    if (!g->values[y].is_output && er_graph_use_count(g, y) == 2) {
        er_node *f = NULL, *mul = NULL;
        for (int i = 0; i < g->n_nodes; i++) {
            er_node *n = &g->nodes[i];
            if (!n->op_type) continue;
            for (int k = 0; k < n->n_in; k++)
                if (n->in[k] == y) {
                    if (is(n, "Mul")) mul = n;
                    else if ((is(n, "Sigmoid") || is(n, "HardSigmoid")) && n->n_in == 1) f = n;
                }
        }
        if (f && mul && mul->n_in == 2 && er_pass_sole_consumer(g, f->out[0]) == mul &&
            ((mul->in[0] == y && mul->in[1] == f->out[0]) ||
             (mul->in[1] == y && mul->in[0] == f->out[0]))) {
            bool hs = is(f, "HardSigmoid");
            if (hs && (fabsf(er_attr_float(f, "alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f ||
                       fabsf(er_attr_float(f, "beta", 0.5f) - 0.5f) > 1e-6f))
                return ER_OK;
            ER_TRY(set_act(g, conv, hs ? ER_ACT_HARD_SWISH : ER_ACT_SILU, 0, 0, 0, 0));
            take_output(g, conv, mul->out[0]);
            f->op_type = NULL;
            mul->op_type = NULL;
            return ER_OK;
        }
    }
    er_node *a = er_pass_sole_consumer(g, y);
    if (!a || a->n_in < 1 || a->in[0] != y || a->n_out != 1) return ER_OK;
    if (is(a, "Relu")) {
        ER_TRY(set_act(g, conv, ER_ACT_RELU, 0, 0, 0, 0));
    } else if (is(a, "Clip")) {
        float lo = -INFINITY, hi = INFINITY;
        if (a->opset < 11) {
            lo = er_attr_float(a, "min", -INFINITY);
            hi = er_attr_float(a, "max", INFINITY);
        } else {
            if (a->n_in > 1 && a->in[1] >= 0 && !scalar_const(g, a->in[1], &lo)) return ER_OK;
            if (a->n_in > 2 && a->in[2] >= 0 && !scalar_const(g, a->in[2], &hi)) return ER_OK;
        }
        ER_TRY(set_act(g, conv, ER_ACT_CLIP, 0, 0, lo, hi));
    } else if (is(a, "LeakyRelu")) {
        ER_TRY(set_act(g, conv, ER_ACT_LEAKY_RELU, er_attr_float(a, "alpha", 0.01f), 0, 0, 0));
    } else if (is(a, "Sigmoid")) {
        ER_TRY(set_act(g, conv, ER_ACT_SIGMOID, 0, 0, 0, 0));
    } else if (is(a, "HardSigmoid")) {
        ER_TRY(set_act(g, conv, ER_ACT_HARD_SIGMOID, er_attr_float(a, "alpha", 0.2f),
                       er_attr_float(a, "beta", 0.5f), 0, 0));
    } else if (is(a, "HardSwish")) {
        ER_TRY(set_act(g, conv, ER_ACT_HARD_SWISH, 0, 0, 0, 0));
    } else if (is(a, "Tanh")) {
        ER_TRY(set_act(g, conv, ER_ACT_TANH, 0, 0, 0, 0));
    } else {
        return ER_OK;
    }
    take_output(g, conv, a->out[0]);
    a->op_type = NULL;
    return ER_OK;
}

er_status er_pass_fuse_activation(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *conv = &g->nodes[i];
        if (!conv->op_type || strcmp(conv->domain, "edgerun") != 0) continue;
        if (strcmp(conv->op_type, "ConvNhwc") == 0) {
            ER_TRY(try_residual(g, conv));
            ER_TRY(try_activation(g, conv));
        } else if (strcmp(conv->op_type, "Dense") == 0) {
            ER_TRY(try_activation(g, conv));
        }
    }
    return ER_OK;
}
