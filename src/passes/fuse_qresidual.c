/* fuse_qresidual.c - a residual edgerun::QAdd joins the int8 convolution
 * producing one of its operands (QConvNhwc inputs 9-13, ops/qconv_nhwc.c).
 *
 * Why: ResNet and MobileNetV2 blocks end in conv -> QAdd(conv, shortcut).
 * Fused, each block of the convolution's output gets the add while it is
 * still in cache, instead of a separate pass that reads both tensors again.
 * The bytes are the separate ops': the convolution's output is requantized
 * and clamped exactly as before (its parameters stay), then QAdd's arithmetic
 * runs on it (QAdd is symmetric in its operands, so which one the convolution
 * was does not matter).
 *
 * Conditions: the QConvNhwc output has the QAdd as its only reader (and is
 * not a graph output); the QAdd's parameters are constants and its other
 * operand has exactly the output's shape (no broadcasting) and is computed
 * before the convolution runs (so the fused node stays in topological order;
 * with two candidate convolutions the later one takes the add). */
#include <string.h>

#include "core/status.h"
#include "passes.h"

static bool is_eop(const er_node *n, const char *op) {
    return n && n->op_type && strcmp(n->domain, "edgerun") == 0 && strcmp(n->op_type, op) == 0;
}

/* The QConvNhwc (not yet fused) writing v for the QAdd alone, or NULL. */
static er_node *host_of(er_graph *g, int v, const er_node *add) {
    er_node *p = er_pass_producer(g, v);
    if (!is_eop(p, "QConvNhwc") || p->n_in > 9 || p->n_out != 1) return NULL;
    return er_pass_sole_consumer(g, v) == add ? p : NULL;
}

static int index_of(const er_graph *g, const er_node *n) { return n ? (int)(n - g->nodes) : -1; }

er_status er_pass_fuse_qresidual(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *add = &g->nodes[i];
        if (!is_eop(add, "QAdd") || add->n_in != 8 || add->n_out != 1 || add->out[0] < 0) continue;
        bool params = true;
        for (int k = 1; k < 8; k++)
            if (k != 3 && !er_pass_is_const(g, add->in[k])) params = false;
        if (!params || add->in[0] < 0 || add->in[3] < 0) continue;
        const er_value *y = &g->values[add->out[0]];
        /* the candidate hosts, the later one first */
        int opnd[2] = {0, 3};
        er_node *h0 = host_of(g, add->in[0], add), *h1 = host_of(g, add->in[3], add);
        if (index_of(g, h1) > index_of(g, h0)) {
            opnd[0] = 3;
            opnd[1] = 0;
        }
        for (int c = 0; c < 2; c++) {
            int a = opnd[c], b = a == 0 ? 3 : 0;
            er_node *conv = host_of(g, add->in[a], add);
            if (!conv) continue;
            const er_value *r = &g->values[add->in[b]], *cv = &g->values[add->in[a]];
            if (!er_shape_equal(r->rank, r->dims, y->rank, y->dims) ||
                !er_shape_equal(cv->rank, cv->dims, y->rank, y->dims))
                continue;
            if (index_of(g, er_pass_producer(g, add->in[b])) >= index_of(g, conv)) continue;
            int bias = conv->n_in > 8 ? conv->in[8] : -1;
            ER_TRY(er_node_resize_inputs(g, conv, 14));
            conv->in[8] = bias;
            conv->in[9] = add->in[b];
            conv->in[10] = add->in[b + 1];
            conv->in[11] = add->in[b + 2];
            conv->in[12] = add->in[6];
            conv->in[13] = add->in[7];
            const er_attr *lo = er_attr_find(add, "activation_min");
            const er_attr *hi = er_attr_find(add, "activation_max");
            if (lo && lo->type == ER_ATTR_INT)
                ER_TRY(er_node_set_attr_int(g, conv, "add_activation_min", lo->i));
            if (hi && hi->type == ER_ATTR_INT)
                ER_TRY(er_node_set_attr_int(g, conv, "add_activation_max", hi->i));
            conv->out[0] = add->out[0];
            g->values[add->out[0]].producer = index_of(g, conv);
            add->op_type = NULL; /* dropped by the pipeline's compaction */
            break;
        }
    }
    return ER_OK;
}
