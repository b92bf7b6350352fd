/* fuse_pad.c - explicit zero padding in front of a convolution becomes the
 * convolution's own padding (TFLite and Keras models pad with a separate
 * PAD/ZeroPadding2D and convolve VALID; some ONNX exports do the same):
 *
 *   Pad(x, pads, 0) [-> Reinterpret with the same dims] -> ConvNhwc
 *     => ConvNhwc(x) with pads += the Pad's H/W amounts
 *
 * when the Pad is constant-mode with value 0, pads only the stored H and W
 * axes (1 and 2 of NHWC data) by non-negative amounts, and feeds only the
 * convolution. The padded tensor is then never materialized. */
#include <string.h>

#include "core/status.h"
#include "passes.h"

static bool is(const er_node *n, const char *domain, const char *op) {
    return n && n->op_type && strcmp(n->domain, domain) == 0 && strcmp(n->op_type, op) == 0;
}

/* Reads the Pad's 8 amounts (stored order: begins then ends) and checks the
 * pad value is zero. */
static bool zero_pad_amounts(const er_graph *g, const er_node *p, int64_t *pads) {
    if (strcmp(er_attr_str(p, "mode", "constant"), "constant") != 0) return false;
    int n = 0;
    if (p->opset < 11) {
        const int64_t *v;
        n = er_attr_ints(p, p->opset < 2 ? "paddings" : "pads", &v);
        if (n != 8 || er_attr_float(p, "value", 0.0f) != 0.0f) return false;
        memcpy(pads, v, sizeof(int64_t) * 8);
        return true;
    }
    if (p->n_in < 2 || !er_pass_is_const(g, p->in[1])) return false;
    if (p->n_in > 3 && p->in[3] >= 0) return false; /* axes: not handled */
    const er_value *pv = &g->values[p->in[1]];
    if ((pv->dtype != ER_I64 && pv->dtype != ER_I32) || er_shape_count(pv->rank, pv->dims) != 8)
        return false;
    for (int i = 0; i < 8; i++) pads[i] = er_load_i64(pv->data, pv->dtype, (size_t)i);
    if (p->n_in > 2 && p->in[2] >= 0) {
        const er_value *cv = &g->values[p->in[2]];
        if (!cv->data || er_shape_count(cv->rank, cv->dims) != 1 ||
            er_load_f64(cv->data, cv->dtype, 0) != 0.0)
            return false;
    }
    return true;
}

er_status er_pass_fuse_pad(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *conv = &g->nodes[i];
        if (!is(conv, "edgerun", "ConvNhwc")) continue;
        const char *ap = er_attr_str(conv, "auto_pad", "NOTSET");
        bool valid = strcmp(ap, "VALID") == 0; /* VALID = explicit pads of 0 */
        if (!valid && strcmp(ap, "NOTSET") != 0) continue;
        int x = conv->in[0];
        er_node *view = er_pass_producer(g, x);
        er_node *pad = view;
        if (is(view, "edgerun", "Reinterpret")) {
            const er_value *a = &g->values[view->in[0]], *b = &g->values[x];
            if (!er_shape_equal(a->rank, a->dims, b->rank, b->dims)) continue;
            if (er_pass_sole_consumer(g, x) != conv) continue;
            pad = er_pass_producer(g, view->in[0]);
            if (!is(pad, "", "Pad") || er_pass_sole_consumer(g, view->in[0]) != view) continue;
        } else if (!is(pad, "", "Pad") || er_pass_sole_consumer(g, x) != conv) {
            continue;
        }
        if (g->values[pad->out[0]].rank != 4) continue;
        int64_t pp[8];
        if (!zero_pad_amounts(g, pad, pp)) continue;
        /* only stored H (1) and W (2) may be padded, by amounts >= 0 */
        if (pp[0] || pp[3] || pp[4] || pp[7]) continue;
        if (pp[1] < 0 || pp[2] < 0 || pp[5] < 0 || pp[6] < 0) continue;
        const int64_t *cp;
        int64_t pads[4] = {0, 0, 0, 0};
        int ncp = er_attr_ints(conv, "pads", &cp);
        if (ncp == 4 && !valid) memcpy(pads, cp, sizeof pads);
        else if (ncp >= 0 && !valid) continue;
        pads[0] += pp[1]; /* top */
        pads[1] += pp[2]; /* left */
        pads[2] += pp[5]; /* bottom */
        pads[3] += pp[6]; /* right */
        ER_TRY(er_node_set_attr_ints(g, conv, "pads", 4, pads));
        if (valid) ER_TRY(er_node_set_attr_str(g, conv, "auto_pad", "NOTSET"));
        conv->in[0] = pad->in[0];
        /* the Pad (and the view) lost their only reader: drop them now, not
         * at dead_nodes, so that later passes see the padded tensor's
         * producer with one consumer (fuse_blocks needs that) */
        if (view != pad && er_graph_use_count(g, view->out[0]) == 0) view->op_type = NULL;
        if (er_graph_use_count(g, pad->out[0]) == 0) pad->op_type = NULL;
    }
    return ER_OK;
}
