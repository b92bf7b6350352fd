/* dead_nodes.c - removes nodes whose outputs nobody reads, back to front so
 * whole dead chains go in one sweep. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/status.h"
#include "passes.h"

er_status er_pass_dead_nodes(er_graph *g) {
    int *uses = er_calloc((size_t)(g->n_values ? g->n_values : 1), sizeof(int));
    if (!uses) return er_fail(ER_ERR_NOMEM, "out of memory");
    for (int v = 0; v < g->n_values; v++) uses[v] = g->values[v].is_output ? 1 : 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) uses[n->in[k]]++;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        bool live = false;
        for (int k = 0; k < n->n_out && !live; k++)
            if (n->out[k] >= 0 && uses[n->out[k]] > 0) live = true;
        if (live) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) uses[n->in[k]]--;
        n->op_type = NULL;
    }
    er_free(uses);
    return ER_OK;
}
