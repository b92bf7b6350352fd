/* cancel_reshapes.c - data-movement nodes that move no data.
 *
 * Shapes are concrete after folding, so Reshape, Flatten, Squeeze and
 * Unsqueeze of a computed value are only a new view of the same bytes: they
 * become edgerun::Reinterpret, which the planner aliases (zero copy, zero
 * time), and chains of them collapse into one.
 * Transpose after Transpose becomes one Transpose with the composed
 * permutation, or disappears when the composition is the identity. */
#include <string.h>

#include "core/status.h"
#include "ops/op.h"
#include "passes.h"

static bool is(const er_node *n, const char *op) {
    return n && n->op_type && !n->domain[0] && strcmp(n->op_type, op) == 0;
}

static er_status to_reinterpret(er_graph *g, er_node *n) {
    const er_value *y = &g->values[n->out[0]];
    if (y->rank < 0) return ER_OK;
    int64_t dims[ER_MAX_RANK];
    memcpy(dims, y->dims, sizeof dims);
    int rank = y->rank;
    n->op_type = "Reinterpret";
    n->domain = "edgerun";
    n->op = er_op_find(n->op_type, n->domain);
    n->n_in = 1;
    return er_node_set_attr_ints(g, n, "shape", rank, dims);
}

er_status er_pass_cancel_reshapes(er_graph *g) {
    static const char *const views[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", NULL};
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type || n->domain[0] || n->n_out != 1 || n->in[0] < 0) continue;
        for (const char *const *v = views; *v; v++)
            if (strcmp(n->op_type, *v) == 0 && !er_pass_is_const(g, n->in[0])) {
                ER_TRY(to_reinterpret(g, n));
                break;
            }
        if (is(n, "Transpose")) {
            er_node *p = er_pass_producer(g, n->in[0]);
            if (!is(p, "Transpose")) continue;
            const int64_t *p1, *p2;
            int r1 = er_attr_ints(p, "perm", &p1), r2 = er_attr_ints(n, "perm", &p2);
            int rank = g->values[n->in[0]].rank;
            if (r1 != rank || r2 != rank || rank <= 0) continue;
            /* y[i] = x2[p2[i]] = x1[p1[p2[i]]] */
            int64_t comp[ER_MAX_RANK];
            bool identity = true;
            for (int k = 0; k < rank; k++) {
                if (p2[k] < 0 || p2[k] >= rank) goto next;
                comp[k] = p1[p2[k]];
                identity = identity && comp[k] == k;
            }
            if (identity) {
                ER_TRY(to_reinterpret(g, n));
                n->in[0] = p->in[0];
            } else {
                n->in[0] = p->in[0];
                ER_TRY(er_node_set_attr_ints(g, n, "perm", rank, comp));
            }
        next:;
        }
        /* a reinterpret of a reinterpret reads the original directly */
        if (n->op_type && strcmp(n->op_type, "Reinterpret") == 0) {
            er_node *p = er_pass_producer(g, n->in[0]);
            if (p && strcmp(p->op_type, "Reinterpret") == 0) n->in[0] = p->in[0];
        }
    }
    return ER_OK;
}
