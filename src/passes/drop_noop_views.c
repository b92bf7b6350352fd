/* drop_noop_views.c - a Reinterpret whose output has its input's dtype and
 * dims is a rename: consumers read the input instead.
 *
 * The layout pass leaves such views where a TFLite graph (NHWC tensors, each
 * NCHW op wrapped in Transposes by the importer) meets the NHWC kernels:
 * ConvNhwc -> Reinterpret (NHWC storage seen as plain NHWC) -> Relu6 ->
 * Reinterpret -> ConvNhwc. Both views move no data, but they sit between
 * the convolution and its activation or residual Add, so fuse_activation
 * and fuse_blocks did not see the pattern: mobilenet_v2 written as .tflite
 * ran 17% slower than the same network from ONNX. After the layout pass
 * every op works on its values' concrete dims, so a same-dims view carries
 * no meaning any more. A view that is a graph output stays (its name must
 * keep existing). */
#include <string.h>

#include "passes.h"

er_status er_pass_drop_noop_views(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type || strcmp(n->domain, "edgerun") != 0 ||
            strcmp(n->op_type, "Reinterpret") != 0 || n->n_in < 1 || n->n_out < 1 ||
            n->in[0] < 0 || n->out[0] < 0)
            continue;
        const er_value *x = &g->values[n->in[0]], *y = &g->values[n->out[0]];
        if (y->is_output || x->dtype != y->dtype ||
            !er_shape_equal(x->rank, x->dims, y->rank, y->dims))
            continue;
        er_graph_replace_input(g, n->out[0], n->in[0]);
        n->op_type = NULL;
    }
    return ER_OK;
}
