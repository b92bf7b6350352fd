/* fuse_batchnorm.c - Conv followed by inference BatchNormalization becomes
 * one Conv: y = s * (conv(x, W) + b - mean) + beta with s = gamma/sqrt(var+eps)
 * equals conv(x, W') + b' where W'[m] = s[m] * W[m] and
 * b'[m] = s[m] * (b[m] - mean[m]) + beta[m].
 * Applies when W, b and all BN parameters are float32 constants, the Conv
 * output feeds only the BN, and the BN has a single output. New weights are
 * graph-owned constants; the originals stay untouched (shared with the model). */
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

static bool f32_const(const er_graph *g, int v, int rank, int64_t dim0) {
    if (!er_pass_is_const(g, v)) return false;
    const er_value *x = &g->values[v];
    return x->dtype == ER_F32 && x->rank == rank && (dim0 < 0 || x->dims[0] == dim0);
}

er_status er_pass_fuse_batchnorm(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *bn = &g->nodes[i];
        if (!bn->op_type || bn->domain[0] || strcmp(bn->op_type, "BatchNormalization") != 0) continue;
        if (bn->n_in != 5 || (bn->n_out > 1 && bn->out[1] >= 0)) continue;
        if (er_attr_int(bn, "training_mode", 0)) continue;
        er_node *conv = er_pass_producer(g, bn->in[0]);
        if (!conv || conv->domain[0] || strcmp(conv->op_type, "Conv") != 0) continue;
        if (er_pass_sole_consumer(g, conv->out[0]) != bn) continue;
        int w = conv->in[1];
        const er_value *wv = &g->values[w];
        if (!er_pass_is_const(g, w) || wv->dtype != ER_F32 || wv->rank < 3) continue;
        int64_t M = wv->dims[0];
        int b = conv->n_in > 2 ? conv->in[2] : -1;
        if (b >= 0 && !f32_const(g, b, 1, M)) continue;
        bool ok = true;
        for (int k = 1; k < 5; k++) ok = ok && f32_const(g, bn->in[k], 1, M);
        if (!ok) continue;
        float eps = er_attr_float(bn, "epsilon", 1e-5f);
        const float *gamma = g->values[bn->in[1]].data, *beta = g->values[bn->in[2]].data;
        const float *mean = g->values[bn->in[3]].data, *var = g->values[bn->in[4]].data;
        const float *W = wv->data, *B = b >= 0 ? g->values[b].data : NULL;
        int nw, nb;
        float *W2, *B2;
        int wrank = wv->rank;
        int64_t wdims[ER_MAX_RANK];
        memcpy(wdims, wv->dims, sizeof wdims);
        /* er_graph_new_value may move g->values: no er_value pointers below */
        ER_TRY(er_graph_new_value(g, g->values[w].name, &nw));
        ER_TRY(er_graph_set_const(g, nw, ER_F32, wrank, wdims, (void **)&W2));
        int64_t bdims[1] = {M};
        ER_TRY(er_graph_new_value(g, "bn_folded_bias", &nb));
        ER_TRY(er_graph_set_const(g, nb, ER_F32, 1, bdims, (void **)&B2));
        size_t per = er_shape_count(wrank, wdims) / (size_t)M;
        for (int64_t m = 0; m < M; m++) {
            double sc = (double)gamma[m] / sqrt((double)var[m] + (double)eps);
            for (size_t k = 0; k < per; k++)
                W2[(size_t)m * per + k] = (float)((double)W[(size_t)m * per + k] * sc);
            B2[m] = (float)(((B ? (double)B[m] : 0.0) - (double)mean[m]) * sc + (double)beta[m]);
        }
        ER_TRY(er_node_resize_inputs(g, conv, 3));
        conv->in[1] = nw;
        conv->in[2] = nb;
        /* the conv now produces the BN's output */
        int y = bn->out[0];
        g->values[conv->out[0]].producer = -1;
        conv->out[0] = y;
        g->values[y].producer = (int)(conv - g->nodes);
        bn->op_type = NULL;
    }
    return ER_OK;
}
