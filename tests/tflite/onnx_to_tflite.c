/* onnx_to_tflite.c - writes an ONNX CNN as the equivalent .tflite model
 * (NHWC activations, OHWI / 1HWM weights, explicit PAD + VALID convolutions),
 * so that one network can be timed through both of edgerun's importers
 * (bench/tflite_vs_onnx.sh). Test/bench tool, not a converter for users:
 * it knows the ops of torchvision's MobileNetV2/MnasNet-style exports
 * (Conv incl. depthwise, Clip 0..6, Relu, Add, GlobalAveragePool, ReduceMean
 * over H and W, Flatten, Gemm with transB = 1, Identity/Dropout, Constant)
 * and refuses anything else.
 *
 *   onnx_to_tflite IN.onnx OUT.tflite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/session.h"
#include "support/tflw.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})
enum { OP_ADD = 0, OP_CONV = 3, OP_DW = 4, OP_FC = 9, OP_RELU = 19, OP_RELU6 = 21,
       OP_RESHAPE = 22, OP_PAD = 34, OP_MEAN = 40 };

static int fail(const char *what, const er_node *n) {
    fprintf(stderr, "onnx_to_tflite: %s (node '%s', %s)\n", what, n ? n->name : "-",
            n ? n->op_type : "-");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: onnx_to_tflite IN.onnx OUT.tflite\n");
        return 2;
    }
    er_model *m;
    if (er_model_load(argv[1], &m) != ER_OK) {
        fprintf(stderr, "onnx_to_tflite: %s\n", er_last_error());
        return 1;
    }
    er_options o;
    er_options_init(&o);
    o.optimize = 0; /* the model's own graph, with every value's shape */
    er_session *s;
    if (er_session_create(m, &o, &s) != ER_OK) {
        fprintf(stderr, "onnx_to_tflite: %s\n", er_last_error());
        return 1;
    }
    const er_graph *g = s->g;
    static tflw w;
    tflw_init(&w);
    int *tm = malloc(sizeof(int) * (size_t)g->n_values);
    for (int v = 0; v < g->n_values; v++) tm[v] = -1;
    /* new buffers (transposed weights) live until tflw_finish */
    void *keep[TFLW_MAX];
    int n_keep = 0;
    char name[256];

/* the TFLite tensor of activation v (NHWC shape for rank 4) */
#define ACT(v, nm)                                                                           \
    do {                                                                                     \
        const er_tensor *t_ = &s->t[v];                                                      \
        int32_t d_[4];                                                                       \
        if (t_->rank == 4) {                                                                 \
            d_[0] = (int32_t)t_->dims[0]; d_[1] = (int32_t)t_->dims[2];                      \
            d_[2] = (int32_t)t_->dims[3]; d_[3] = (int32_t)t_->dims[1];                      \
        } else                                                                               \
            for (int k_ = 0; k_ < t_->rank; k_++) d_[k_] = (int32_t)t_->dims[k_];            \
        tm[v] = tflw_tensor(&w, nm, TFLW_F32, t_->rank, d_, NULL, 0);                        \
    } while (0)

    for (int i = 0; i < g->n_inputs; i++) ACT(g->inputs[i], g->values[g->inputs[i]].name);
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        const char *op = n->op_type;
        int x = n->in[0], y = n->out[0];
        if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
            tm[y] = tm[x];
            continue;
        }
        if (!strcmp(op, "Constant")) continue; /* folded: read through s->t below */
        if (tm[x] < 0) return fail("input is not an activation", n);
        snprintf(name, sizeof name, "%s", g->values[y].name);
        if (!strcmp(op, "Conv")) {
            const er_value *wv = &g->values[n->in[1]];
            const float *wf = wv->data;
            const float *bf = n->n_in > 2 && n->in[2] >= 0 ? g->values[n->in[2]].data : NULL;
            int64_t M = wv->dims[0], Cg = wv->dims[1], KH = wv->dims[2], KW = wv->dims[3];
            int64_t group = er_attr_int(n, "group", 1);
            int64_t C = s->t[x].dims[1];
            const int64_t *pads, *st, *dl;
            int np = er_attr_ints(n, "pads", &pads), ns = er_attr_ints(n, "strides", &st),
                nd = er_attr_ints(n, "dilations", &dl);
            if (!wf || (group != 1 && !(group == C && M == C && Cg == 1)) ||
                (nd == 2 && (dl[0] != 1 || dl[1] != 1)))
                return fail("unsupported Conv", n);
            if (n_keep + 3 > TFLW_MAX) return fail("too many tensors", n);
            float *wt = malloc(sizeof(float) * (size_t)(M * Cg * KH * KW));
            keep[n_keep++] = wt;
            int dw = group != 1;
            for (int64_t mo = 0; mo < M; mo++) /* OIHW -> OHWI (conv) / 1HWM (depthwise) */
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t kh = 0; kh < KH; kh++)
                        for (int64_t kw = 0; kw < KW; kw++) {
                            float v = wf[((mo * Cg + c) * KH + kh) * KW + kw];
                            if (dw) wt[(kh * KW + kw) * M + mo] = v;
                            else wt[((mo * KH + kh) * KW + kw) * Cg + c] = v;
                        }
            snprintf(name, sizeof name, "%s/w", n->name);
            int tw = dw ? tflw_tensor(&w, name, TFLW_F32, 4, I32S(1, (int32_t)KH, (int32_t)KW, (int32_t)M),
                                      wt, sizeof(float) * (size_t)(M * KH * KW))
                        : tflw_tensor(&w, name, TFLW_F32, 4,
                                      I32S((int32_t)M, (int32_t)KH, (int32_t)KW, (int32_t)Cg), wt,
                                      sizeof(float) * (size_t)(M * Cg * KH * KW));
            float *bz = NULL;
            if (!bf) {
                bz = calloc((size_t)M, sizeof(float));
                keep[n_keep++] = bz;
            }
            snprintf(name, sizeof name, "%s/b", n->name);
            int tb = tflw_tensor(&w, name, TFLW_F32, 1, I32S((int32_t)M), bf ? bf : bz,
                                 sizeof(float) * (size_t)M);
            int in = tm[x];
            if (np == 4 && (pads[0] || pads[1] || pads[2] || pads[3])) {
                int32_t *pd = malloc(8 * sizeof(int32_t));
                keep[n_keep++] = pd;
                const int32_t pv[8] = {0, 0, (int32_t)pads[0], (int32_t)pads[2],
                                       (int32_t)pads[1], (int32_t)pads[3], 0, 0};
                memcpy(pd, pv, sizeof pv);
                snprintf(name, sizeof name, "%s/paddings", n->name);
                int tp = tflw_tensor(&w, name, TFLW_I32, 2, I32S(4, 2), pd, 8 * sizeof(int32_t));
                const er_tensor *xt = &s->t[x];
                snprintf(name, sizeof name, "%s/pad", n->name);
                int p = tflw_tensor(&w, name, TFLW_F32, 4,
                                    I32S((int32_t)xt->dims[0], (int32_t)(xt->dims[2] + pads[0] + pads[2]),
                                         (int32_t)(xt->dims[3] + pads[1] + pads[3]), (int32_t)xt->dims[1]),
                                    NULL, 0);
                tflw_op(&w, OP_PAD, NULL, 2, (int[]){in, tp}, 1, &p, 0, 0);
                in = p;
            }
            ACT(y, g->values[y].name);
            int sh = ns == 2 ? (int)st[0] : 1, sw = ns == 2 ? (int)st[1] : 1;
            if (dw) {
                fbw_field f[] = {FBW_U8(0, 1), FBW_I32(1, sw), FBW_I32(2, sh), FBW_I32(3, 1)};
                tflw_op(&w, OP_DW, NULL, 3, (int[]){in, tw, tb}, 1, &tm[y], 2,
                        fbw_table(&w.b, 4, f));
            } else {
                fbw_field f[] = {FBW_U8(0, 1), FBW_I32(1, sw), FBW_I32(2, sh)};
                tflw_op(&w, OP_CONV, NULL, 3, (int[]){in, tw, tb}, 1, &tm[y], 1,
                        fbw_table(&w.b, 3, f));
            }
        } else if (!strcmp(op, "Clip") || !strcmp(op, "Relu")) {
            int code = OP_RELU;
            if (op[0] == 'C') {
                const float *lo = n->n_in > 1 && n->in[1] >= 0 ? s->t[n->in[1]].data : NULL;
                const float *hi = n->n_in > 2 && n->in[2] >= 0 ? s->t[n->in[2]].data : NULL;
                if (!lo || !hi || *lo != 0.0f || *hi != 6.0f) return fail("Clip other than 0..6", n);
                code = OP_RELU6;
            }
            ACT(y, name);
            tflw_op(&w, code, NULL, 1, &tm[x], 1, &tm[y], 0, 0);
        } else if (!strcmp(op, "Add")) {
            if (tm[n->in[1]] < 0) return fail("Add of a constant", n);
            ACT(y, name);
            tflw_op(&w, OP_ADD, NULL, 2, (int[]){tm[x], tm[n->in[1]]}, 1, &tm[y], 0, 0);
        } else if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "ReduceMean")) {
            static const int32_t axes[2] = {1, 2};
            const int64_t *ax;
            int keep = 1;
            if (op[0] == 'R') { /* mean over H and W (axes 2, 3 of NCHW) */
                if (er_attr_ints(n, "axes", &ax) != 2 || ax[0] != 2 || ax[1] != 3 ||
                    s->t[x].rank != 4)
                    return fail("ReduceMean other than over H and W", n);
                keep = (int)er_attr_int(n, "keepdims", 1);
            }
            snprintf(name, sizeof name, "%s/axes", n->name);
            int ta = tflw_tensor(&w, name, TFLW_I32, 1, I32S(2), axes, sizeof axes);
            ACT(y, g->values[y].name);
            fbw_field f[] = {FBW_BOOL(0, keep)};
            tflw_op(&w, OP_MEAN, NULL, 2, (int[]){tm[x], ta}, 1, &tm[y], 27, fbw_table(&w.b, 1, f));
        } else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape")) {
            const er_tensor *yt = &s->t[y];
            if (yt->rank != 2) return fail("only flattening to 2-D", n);
            int32_t *shp = malloc(2 * sizeof(int32_t));
            keep[n_keep++] = shp;
            shp[0] = (int32_t)yt->dims[0];
            shp[1] = (int32_t)yt->dims[1];
            snprintf(name, sizeof name, "%s/shape", n->name);
            int ts = tflw_tensor(&w, name, TFLW_I32, 1, I32S(2), shp, 2 * sizeof(int32_t));
            ACT(y, g->values[y].name);
            tflw_op(&w, OP_RESHAPE, NULL, 2, (int[]){tm[x], ts}, 1, &tm[y], 0, 0);
        } else if (!strcmp(op, "Gemm")) {
            const er_value *wv = &g->values[n->in[1]];
            if (er_attr_int(n, "transB", 0) != 1 || er_attr_int(n, "transA", 0) != 0 || !wv->data ||
                n->n_in < 3 || er_attr_float(n, "alpha", 1) != 1 || er_attr_float(n, "beta", 1) != 1)
                return fail("Gemm other than x * W^T + b", n);
            snprintf(name, sizeof name, "%s/w", n->name);
            int tw = tflw_tensor(&w, name, TFLW_F32, 2, I32S((int32_t)wv->dims[0], (int32_t)wv->dims[1]),
                                 wv->data, wv->data_bytes);
            const er_value *bv = &g->values[n->in[2]];
            snprintf(name, sizeof name, "%s/b", n->name);
            int tb = tflw_tensor(&w, name, TFLW_F32, 1, I32S((int32_t)bv->dims[0]), bv->data,
                                 bv->data_bytes);
            ACT(y, g->values[y].name);
            tflw_op(&w, OP_FC, NULL, 3, (int[]){tm[x], tw, tb}, 1, &tm[y], 0, 0);
        } else {
            return fail("unsupported op", n);
        }
    }
    int ins[8], outs[8];
    for (int i = 0; i < g->n_inputs && i < 8; i++) ins[i] = tm[g->inputs[i]];
    for (int i = 0; i < g->n_outputs && i < 8; i++) outs[i] = tm[g->outputs[i]];
    tflw_finish(&w, g->n_inputs, ins, g->n_outputs, outs);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(w.d, 1, w.n, f) != w.n || fclose(f) != 0) {
        fprintf(stderr, "onnx_to_tflite: cannot write %s\n", argv[2]);
        return 1;
    }
    printf("%s -> %s: %d ops, %d tensors, %zu bytes\n", argv[1], argv[2], w.n_ops, w.n_tensors,
           w.n);
    tflw_free(&w);
    for (int i = 0; i < n_keep; i++) free(keep[i]);
    free(tm);
    er_session_free(s);
    er_model_free(m);
    return 0;
}
