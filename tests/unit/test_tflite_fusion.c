/* test_tflite_fusion.c - a TFLite graph (NHWC tensors; the importer wraps
 * each convolution in Transposes) must optimize like the same network from
 * ONNX: the layout pass's same-dims Reinterprets are dropped
 * (drop_noop_views), explicit PADs fold into the convolutions and vanish at
 * once (fuse_pad), so activations, residual Adds and conv blocks fuse. */
#include <stdlib.h>
#include <string.h>

#include "runtime/session.h"
#include "support/builder.h"
#include "support/tflw.h"
#include "test.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static int count_op(const er_session *s, const char *op) {
    int n = 0;
    for (int i = 0; i < s->g->n_nodes; i++) n += strcmp(s->g->nodes[i].op_type, op) == 0;
    return n;
}

static void fill(float *a, size_t n, unsigned seed) {
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = ((float)(s >> 8) / 16777216.0f) - 0.5f;
    }
}

/* x [1,16,16,8] -> PAD 1 -> CONV 3x3 VALID (8->8) -> ADD x -> RELU ->
 * CONV 1x1 (8->4) -> RELU6 */
TEST(tflite_graph_fuses_like_onnx) {
    static float w1[8 * 3 * 3 * 8], b1[8], w2[4 * 8], b2[4];
    static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0};
    fill(w1, sizeof w1 / 4, 1);
    fill(b1, 8, 2);
    fill(w2, sizeof w2 / 4, 3);
    fill(b2, 4, 4);
    tflw w;
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, 16, 16, 8), NULL, 0);
    int tp = tflw_tensor(&w, "paddings", TFLW_I32, 2, I32S(4, 2), pads, sizeof pads);
    int p = tflw_tensor(&w, "padded", TFLW_F32, 4, I32S(1, 18, 18, 8), NULL, 0);
    int tw1 = tflw_tensor(&w, "w1", TFLW_F32, 4, I32S(8, 3, 3, 8), w1, sizeof w1);
    int tb1 = tflw_tensor(&w, "b1", TFLW_F32, 1, I32S(8), b1, sizeof b1);
    int c1 = tflw_tensor(&w, "c1", TFLW_F32, 4, I32S(1, 16, 16, 8), NULL, 0);
    int a = tflw_tensor(&w, "sum", TFLW_F32, 4, I32S(1, 16, 16, 8), NULL, 0);
    int r2 = tflw_tensor(&w, "r2", TFLW_F32, 4, I32S(1, 16, 16, 8), NULL, 0);
    int tw2 = tflw_tensor(&w, "w2", TFLW_F32, 4, I32S(4, 1, 1, 8), w2, sizeof w2);
    int tb2 = tflw_tensor(&w, "b2", TFLW_F32, 1, I32S(4), b2, sizeof b2);
    int c2 = tflw_tensor(&w, "c2", TFLW_F32, 4, I32S(1, 16, 16, 4), NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, 16, 16, 4), NULL, 0);
    tflw_op(&w, 34, NULL, 2, (int[]){x, tp}, 1, &p, 0, 0); /* PAD */
    fbw_field co[] = {FBW_U8(0, 1), FBW_I32(1, 1), FBW_I32(2, 1)};
    tflw_op(&w, 3, NULL, 3, (int[]){p, tw1, tb1}, 1, &c1, 1, fbw_table(&w.b, 3, co));
    tflw_op(&w, 0, NULL, 2, (int[]){c1, x}, 1, &a, 0, 0);         /* ADD */
    tflw_op(&w, 19, NULL, 1, &a, 1, &r2, 0, 0);                  /* RELU */
    fbw_field co2[] = {FBW_U8(0, 1), FBW_I32(1, 1), FBW_I32(2, 1)};
    tflw_op(&w, 3, NULL, 3, (int[]){r2, tw2, tb2}, 1, &c2, 1, fbw_table(&w.b, 3, co2));
    tflw_op(&w, 21, NULL, 1, &c2, 1, &y, 0, 0);                  /* RELU6 */
    tflw_finish(&w, 1, &x, 1, &y);
    er_model *m = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &m), ER_OK);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    /* two convolutions: the pad, the residual Add + Relu and the Relu6
     * fused, no view left between them */
    CHECK_EQ_INT(count_op(s, "ConvNhwc"), 2);
    CHECK_EQ_INT(count_op(s, "Pad") + count_op(s, "Add") + count_op(s, "Relu") +
                     count_op(s, "Clip") + count_op(s, "Transpose"), 0);
    CHECK_EQ_INT(s->g->n_nodes, 2);
    double d = mb_compare_optimized(m, 9);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
    tflw_free(&w);
}

/* MobileNetV2's features.4 as the TFLite converter writes it: x [1,56,56,24]
 * -> CONV 1x1 (24->144) + RELU6 -> PAD 1 -> DEPTHWISE 3x3 VALID s2 + RELU6
 * -> CONV 1x1 (144->32). The folded PAD must not stay behind as a second
 * reader of the expanded tensor until dead_nodes, or the expand ->
 * depthwise pair does not become a ConvBlockNhwc (the 1.8 MB expanded
 * tensor is over the threshold, the 451 KB depthwise output is not). */
TEST(tflite_explicit_pad_does_not_block_block_fusion) {
    enum { C = 24, E = 144, M = 32 };
    static float we[E * C], be[E], wd[9 * E], bd[E], wp[M * E], bp[M];
    static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0};
    fill(we, sizeof we / 4, 11);
    fill(be, E, 12);
    fill(wd, sizeof wd / 4, 13);
    fill(bd, E, 14);
    fill(wp, sizeof wp / 4, 15);
    fill(bp, M, 16);
    tflw w;
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, 56, 56, C), NULL, 0);
    int twe = tflw_tensor(&w, "we", TFLW_F32, 4, I32S(E, 1, 1, C), we, sizeof we);
    int tbe = tflw_tensor(&w, "be", TFLW_F32, 1, I32S(E), be, sizeof be);
    int e = tflw_tensor(&w, "e", TFLW_F32, 4, I32S(1, 56, 56, E), NULL, 0);
    int tp = tflw_tensor(&w, "paddings", TFLW_I32, 2, I32S(4, 2), pads, sizeof pads);
    int p = tflw_tensor(&w, "p", TFLW_F32, 4, I32S(1, 58, 58, E), NULL, 0);
    int twd = tflw_tensor(&w, "wd", TFLW_F32, 4, I32S(1, 3, 3, E), wd, sizeof wd);
    int tbd = tflw_tensor(&w, "bd", TFLW_F32, 1, I32S(E), bd, sizeof bd);
    int d = tflw_tensor(&w, "d", TFLW_F32, 4, I32S(1, 28, 28, E), NULL, 0);
    int twp = tflw_tensor(&w, "wp", TFLW_F32, 4, I32S(M, 1, 1, E), wp, sizeof wp);
    int tbp = tflw_tensor(&w, "bp", TFLW_F32, 1, I32S(M), bp, sizeof bp);
    int y = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, 28, 28, M), NULL, 0);
    fbw_field c1[] = {FBW_U8(0, 1), FBW_I32(1, 1), FBW_I32(2, 1), FBW_U8(3, 3)}; /* RELU6 */
    tflw_op(&w, 3, NULL, 3, (int[]){x, twe, tbe}, 1, &e, 1, fbw_table(&w.b, 4, c1));
    tflw_op(&w, 34, NULL, 2, (int[]){e, tp}, 1, &p, 0, 0);
    fbw_field dw[] = {FBW_U8(0, 1), FBW_I32(1, 2), FBW_I32(2, 2), FBW_I32(3, 1), FBW_U8(4, 3)};
    tflw_op(&w, 4, NULL, 3, (int[]){p, twd, tbd}, 1, &d, 2, fbw_table(&w.b, 5, dw));
    fbw_field c2[] = {FBW_U8(0, 1), FBW_I32(1, 1), FBW_I32(2, 1)};
    tflw_op(&w, 3, NULL, 3, (int[]){d, twp, tbp}, 1, &y, 1, fbw_table(&w.b, 3, c2));
    tflw_finish(&w, 1, &x, 1, &y);
    /* the thresholds of a 1 MiB L2, whatever this machine's */
    setenv("EDGERUN_FUSE_MIN_BYTES", "524288", 1);
    setenv("EDGERUN_FUSE_MIN_ROWS", "28", 1);
    er_model *m = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &m), ER_OK);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    unsetenv("EDGERUN_FUSE_MIN_BYTES");
    unsetenv("EDGERUN_FUSE_MIN_ROWS");
    CHECK_EQ_INT(count_op(s, "ConvBlockNhwc"), 1);
    CHECK_EQ_INT(count_op(s, "Pad"), 0);
    double diff = mb_compare_optimized(m, 21);
    CHECK_MSG(diff >= 0 && diff < 1e-5, "max rel diff %g", diff);
    er_session_free(s);
    er_model_free(m);
    tflw_free(&w);
}
