/* eliminate_identity.c - Identity, inference-mode Dropout and Cast to the
 * same dtype copy their input: consumers read the input instead. A node whose
 * output is a graph output stays (the output name must keep existing). */
#include <string.h>

#include "passes.h"

static bool is_noop(const er_graph *g, const er_node *n) {
    if (!n->op_type || n->domain[0] || n->n_in < 1 || n->in[0] < 0 || n->out[0] < 0) return false;
    const er_value *x = &g->values[n->in[0]], *y = &g->values[n->out[0]];
    if (strcmp(n->op_type, "Identity") == 0) return true;
    if (strcmp(n->op_type, "Dropout") == 0) {
        /* mask output unused, and not training (a constant false or absent) */
        if (n->n_out > 1 && n->out[1] >= 0) return false;
        if (n->n_in > 2 && n->in[2] >= 0) {
            const er_value *t = &g->values[n->in[2]];
            if (!t->data || t->dtype != ER_BOOL || ((const uint8_t *)t->data)[0]) return false;
        }
        return true;
    }
    if (strcmp(n->op_type, "Cast") == 0) return x->dtype == y->dtype && x->dtype != ER_UNDEF;
    return false;
}

er_status er_pass_eliminate_identity(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!is_noop(g, n) || g->values[n->out[0]].is_output) continue;
        er_graph_replace_input(g, n->out[0], n->in[0]);
        n->op_type = NULL;
    }
    return ER_OK;
}
