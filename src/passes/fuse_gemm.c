/* fuse_gemm.c - fully connected layers to edgerun::Dense, whose epilogue
 * can then take the bias and activation (fuse_activation.c):
 *   Gemm(A, B, C)  with transA = 0, alpha = beta = 1, constant float B and a
 *                  constant C of N values (or none)
 *   MatMul(X, W)   with a constant float 2-D W, X of rank >= 2
 *   -> Add(., b)   a following Add of a constant [N] becomes the bias. */
#include <string.h>

#include "core/status.h"
#include "ops/op.h"
#include "passes.h"

static bool f32_const(const er_graph *g, int v) {
    return er_pass_is_const(g, v) && g->values[v].dtype == ER_F32;
}

er_status er_pass_fuse_gemm(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type || n->domain[0] || n->n_out != 1) continue;
        bool gemm = strcmp(n->op_type, "Gemm") == 0, matmul = strcmp(n->op_type, "MatMul") == 0;
        if (!gemm && !matmul) continue;
        if (n->n_in < 2 || n->in[0] < 0 || !f32_const(g, n->in[1]) || g->values[n->in[1]].rank != 2)
            continue;
        const er_value *x = &g->values[n->in[0]];
        if (x->dtype != ER_F32 || x->rank < 2) continue;
        int64_t trans_w = 0;
        int64_t N = g->values[n->in[1]].dims[1];
        if (gemm) {
            if (er_attr_int(n, "transA", 0) || er_attr_float(n, "alpha", 1.0f) != 1.0f ||
                er_attr_float(n, "beta", 1.0f) != 1.0f)
                continue;
            trans_w = er_attr_int(n, "transB", 0) != 0;
            N = g->values[n->in[1]].dims[trans_w ? 0 : 1];
            if (n->n_in > 2 && n->in[2] >= 0) {
                const er_value *cv = &g->values[n->in[2]];
                bool row = cv->rank == 1 || (cv->rank == 2 && cv->dims[0] == 1);
                if (!f32_const(g, n->in[2]) || !row ||
                    er_shape_count(cv->rank, cv->dims) != (size_t)N)
                    continue;
            }
        } else {
            ER_TRY(er_node_resize_inputs(g, n, 2));
        }
        int x_in = n->in[0], w_in = n->in[1], b_in = n->n_in > 2 ? n->in[2] : -1;
        ER_TRY(er_node_resize_inputs(g, n, 3));
        n->in[0] = x_in;
        n->in[1] = w_in;
        n->in[2] = b_in;
        n->op_type = "Dense";
        n->domain = "edgerun";
        n->op = er_op_find(n->op_type, n->domain);
        n->n_attr = 0; /* Gemm's attributes are folded into the form above */
        ER_TRY(er_node_set_attr_int(g, n, "trans_w", trans_w));
        /* MatMul + Add(bias) as exported for Linear layers in some opsets */
        if (b_in < 0) {
            er_node *add = er_pass_sole_consumer(g, n->out[0]);
            if (add && add->op_type && !add->domain[0] && strcmp(add->op_type, "Add") == 0 &&
                add->n_in == 2) {
                int o = add->in[0] == n->out[0] ? add->in[1] : add->in[0];
                if (f32_const(g, o) && g->values[o].rank == 1 && g->values[o].dims[0] == N) {
                    n->in[2] = o;
                    g->values[n->out[0]].producer = -1;
                    n->out[0] = add->out[0];
                    g->values[add->out[0]].producer = i;
                    add->op_type = NULL;
                }
            }
        }
    }
    return ER_OK;
}
