/* test_passes.c - each graph pass on small graphs: the rewritten graph has
 * the expected shape and computes what the unoptimized graph computes. */
#include <math.h>
#include <string.h>

#include "runtime/session.h"
#include "support/builder.h"
#include "test.h"

/* Nodes of type op in the session's planned graph. */
static int count_op(const er_session *s, const char *op) {
    int n = 0;
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, op) == 0) n++;
    return n;
}

static er_session *optimized(const er_model *m) {
    er_session *s = NULL;
    if (er_session_create(m, NULL, &s) != ER_OK) printf("  create: %s\n", er_last_error());
    return s;
}

static void conv_chain(mb *b, int64_t C, int64_t M, const char *x, const char *y, unsigned seed) {
    int64_t wd[4] = {M, C, 3, 3}, bd[1] = {M};
    char w[64], bias[64], name[64];
    snprintf(w, sizeof w, "%s_w", y);
    snprintf(bias, sizeof bias, "%s_b", y);
    snprintf(name, sizeof name, "%s_conv", y);
    mb_const_rand(b, w, 4, wd, seed, -0.5f, 0.5f);
    mb_const_rand(b, bias, 1, bd, seed + 1, -0.5f, 0.5f);
    pbw a = {0};
    int64_t pads[4] = {1, 1, 1, 1};
    onnx_attr_ints(&a, "pads", 4, pads);
    mb_node(b, "Conv", name, MB_IO(x, w, bias), MB_IO(y), &a);
    pbw_free(&a);
}

TEST(pass_batchnorm_folds_into_conv) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 3, 6, 5}, pd[1] = {4};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 3, 4, "x", "c", 1);
    mb_const_rand(&b, "gamma", 1, pd, 11, 0.5f, 1.5f);
    mb_const_rand(&b, "beta", 1, pd, 12, -1, 1);
    mb_const_rand(&b, "mean", 1, pd, 13, -1, 1);
    mb_const_rand(&b, "var", 1, pd, 14, 0.1f, 2);
    mb_node(&b, "BatchNormalization", "bn", MB_IO("c", "gamma", "beta", "mean", "var"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    CHECK(m);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "BatchNormalization"), 0);
    CHECK_EQ_INT(count_op(s, "ConvNhwc"), 1);
    double d = mb_compare_optimized(m, 5);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_identity_and_dropout_removed) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {2, 3};
    mb_input(&b, "x", ER_F32, 2, xd);
    mb_node(&b, "Identity", "id", MB_IO("x"), MB_IO("a"), NULL);
    mb_node(&b, "Dropout", "drop", MB_IO("a"), MB_IO("b"), NULL);
    mb_node(&b, "Relu", "relu", MB_IO("b"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(s->g->n_nodes, 1);
    CHECK_EQ_INT(count_op(s, "Relu"), 1);
    CHECK(mb_compare_optimized(m, 3) == 0);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_dead_nodes_removed) {
    mb b;
    mb_init(&b);
    int64_t xd[1] = {4};
    mb_input(&b, "x", ER_F32, 1, xd);
    mb_node(&b, "Exp", "unused", MB_IO("x"), MB_IO("dead"), NULL);
    mb_node(&b, "Neg", "neg", MB_IO("x"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Exp"), 0);
    CHECK_EQ_INT(s->g->n_nodes, 1);
    er_session_free(s);
    er_model_free(m);
}

/* Conv -> <act> must become one ConvNhwc with act=<name>. */
static void check_act(const char *op, const char *act, pbw *attrs, const char *extra_const) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 5, 7, 6};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 5, 7, "x", "c", 21);
    if (extra_const) {
        float lo = 0, hi = 6;
        mb_const(&b, "lo", ER_F32, 0, NULL, &lo);
        mb_const(&b, "hi", ER_F32, 0, NULL, &hi);
        mb_node(&b, op, "act", MB_IO("c", "lo", "hi"), MB_IO("y"), attrs);
    } else {
        mb_node(&b, op, "act", MB_IO("c"), MB_IO("y"), attrs);
    }
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    if (!s) {
        er_test_failed = 1;
        return;
    }
    CHECK_MSG(count_op(s, op) == 0, "%s not fused", op);
    CHECK(count_op(s, "ConvNhwc") == 1);
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, "ConvNhwc") == 0)
            CHECK_MSG(strcmp(er_attr_str(&s->g->nodes[i], "act", "none"), act) == 0,
                      "act=%s, want %s", er_attr_str(&s->g->nodes[i], "act", "none"), act);
    double d = mb_compare_optimized(m, 9);
    CHECK_MSG(d >= 0 && d < 1e-5, "%s: max rel diff %g", op, d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_activations_fuse_into_conv) {
    check_act("Relu", "relu", NULL, NULL);
    if (er_test_failed) return;
    check_act("Clip", "clip", NULL, "6");
    if (er_test_failed) return;
    pbw a = {0};
    onnx_attr_float(&a, "alpha", 0.1f);
    check_act("LeakyRelu", "leaky_relu", &a, NULL);
    pbw_free(&a);
    if (er_test_failed) return;
    check_act("Sigmoid", "sigmoid", NULL, NULL);
    if (er_test_failed) return;
    check_act("HardSigmoid", "hard_sigmoid", NULL, NULL);
    if (er_test_failed) return;
    check_act("Tanh", "tanh", NULL, NULL);
}

/* y * f(y) patterns: SiLU and HardSwish written out. */
static void check_gated(const char *gate, const char *act, pbw *attrs) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 4, 5, 5};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 4, 6, "x", "c", 31);
    mb_node(&b, gate, "gate", MB_IO("c"), MB_IO("g"), attrs);
    mb_node(&b, "Mul", "mul", MB_IO("c", "g"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(s->g->n_nodes - count_op(s, "Transpose") - count_op(s, "Reinterpret"), 1);
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, "ConvNhwc") == 0)
            CHECK(strcmp(er_attr_str(&s->g->nodes[i], "act", "none"), act) == 0);
    double d = mb_compare_optimized(m, 4);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_silu_and_hardswish_patterns) {
    check_gated("Sigmoid", "silu", NULL);
    if (er_test_failed) return;
    pbw a = {0};
    onnx_attr_float(&a, "alpha", 1.0f / 6.0f);
    onnx_attr_float(&a, "beta", 0.5f);
    check_gated("HardSigmoid", "hard_swish", &a);
    pbw_free(&a);
}

TEST(pass_residual_add_relu_fuses) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 6, 5, 7};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 6, 6, "x", "a", 41);
    conv_chain(&b, 6, 6, "a", "c", 43);
    mb_node(&b, "Add", "add", MB_IO("c", "x"), MB_IO("s"), NULL);
    mb_node(&b, "Relu", "relu", MB_IO("s"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Add"), 0);
    CHECK_EQ_INT(count_op(s, "Relu"), 0);
    int residual = 0;
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, "ConvNhwc") == 0 && s->g->nodes[i].n_in > 3 &&
            s->g->nodes[i].in[3] >= 0)
            residual++;
    CHECK_EQ_INT(residual, 1);
    double d = mb_compare_optimized(m, 6);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_layout_keeps_nhwc_between_convs) {
    /* conv -> maxpool -> concat(conv, conv) -> global pool -> flatten:
     * one conversion in (x), none between, a free reinterpret before Flatten */
    mb b;
    mb_init(&b);
    int64_t xd[4] = {2, 3, 9, 8};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 3, 5, "x", "a", 51);
    pbw k = {0};
    int64_t ks[2] = {2, 2};
    onnx_attr_ints(&k, "kernel_shape", 2, ks);
    onnx_attr_ints(&k, "strides", 2, ks);
    mb_node(&b, "MaxPool", "pool", MB_IO("a"), MB_IO("p"), &k);
    pbw_free(&k);
    conv_chain(&b, 5, 4, "p", "b1", 53);
    conv_chain(&b, 5, 3, "p", "b2", 55);
    pbw ax = {0};
    onnx_attr_int(&ax, "axis", 1);
    mb_node(&b, "Concat", "cat", MB_IO("b1", "b2"), MB_IO("c"), &ax);
    pbw_free(&ax);
    mb_node(&b, "GlobalAveragePool", "gap", MB_IO("c"), MB_IO("g"), NULL);
    mb_node(&b, "Flatten", "flat", MB_IO("g"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    mb_output(&b, "c"); /* an NHWC value that is also a graph output */
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "ConvNhwc"), 3);
    CHECK_EQ_INT(count_op(s, "MaxPoolNhwc"), 1);
    CHECK_EQ_INT(count_op(s, "Transpose"), 2); /* x in, c out */
    CHECK_EQ_INT(count_op(s, "Reinterpret"), 1);
    double d = mb_compare_optimized(m, 7);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_layout_cancels_tflite_style_transposes) {
    /* NHWC input -> Transpose to NCHW -> Conv -> Transpose back to NHWC */
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 6, 7, 3};
    mb_input(&b, "x", ER_F32, 4, xd);
    pbw p1 = {0}, p2 = {0};
    int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
    onnx_attr_ints(&p1, "perm", 4, to_nchw);
    onnx_attr_ints(&p2, "perm", 4, to_nhwc);
    mb_node(&b, "Transpose", "t1", MB_IO("x"), MB_IO("xt"), &p1);
    conv_chain(&b, 3, 4, "xt", "c", 61);
    mb_node(&b, "Relu", "relu", MB_IO("c"), MB_IO("r"), NULL);
    mb_node(&b, "Transpose", "t2", MB_IO("r"), MB_IO("y"), &p2);
    mb_output(&b, "y");
    pbw_free(&p1);
    pbw_free(&p2);
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Transpose"), 0);
    CHECK_EQ_INT(count_op(s, "ConvNhwc"), 1);
    double d = mb_compare_optimized(m, 8);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_layout_elementwise_with_constant_broadcast) {
    /* conv output (NCHW logical) * per-channel constant [C,1,1] + scalar */
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 3, 5, 4}, sd[3] = {6, 1, 1};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 3, 6, "x", "c", 71);
    mb_const_rand(&b, "scale", 3, sd, 72, -2, 2);
    float one = 1.5f;
    mb_const(&b, "k", ER_F32, 0, NULL, &one);
    mb_node(&b, "Mul", "mul", MB_IO("c", "scale"), MB_IO("m"), NULL);
    mb_node(&b, "Sub", "sub", MB_IO("m", "k"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    double d = mb_compare_optimized(m, 9);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Transpose"), 2); /* in and out only */
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_layout_channel_shuffle) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 4, 5, 3};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv_chain(&b, 4, 6, "x", "c", 81);
    int64_t s1[5] = {1, 2, 3, 5, 3}, s2[4] = {1, 6, 5, 3}, n1[1] = {5}, n2[1] = {4};
    mb_const(&b, "shape5", ER_I64, 1, n1, s1);
    mb_const(&b, "shape4", ER_I64, 1, n2, s2);
    pbw p = {0};
    int64_t perm[5] = {0, 2, 1, 3, 4};
    onnx_attr_ints(&p, "perm", 5, perm);
    mb_node(&b, "Reshape", "r1", MB_IO("c", "shape5"), MB_IO("r"), NULL);
    mb_node(&b, "Transpose", "tr", MB_IO("r"), MB_IO("t"), &p);
    mb_node(&b, "Reshape", "r2", MB_IO("t", "shape4"), MB_IO("u"), NULL);
    pbw_free(&p);
    conv_chain(&b, 6, 2, "u", "y", 83);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Reshape"), 0);
    CHECK_EQ_INT(count_op(s, "Transpose"), 3); /* in, shuffle, out */
    double d = mb_compare_optimized(m, 10);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_reshapes_become_free_views_and_transposes_compose) {
    mb b;
    mb_init(&b);
    int64_t xd[3] = {2, 3, 4}, sd[1] = {2}, shape[2] = {6, 4};
    mb_input(&b, "x", ER_F32, 3, xd);
    mb_node(&b, "Exp", "exp", MB_IO("x"), MB_IO("e"), NULL);
    mb_const(&b, "shape", ER_I64, 1, sd, shape);
    mb_node(&b, "Reshape", "r", MB_IO("e", "shape"), MB_IO("r"), NULL);
    mb_node(&b, "Flatten", "f", MB_IO("r"), MB_IO("f"), NULL);
    pbw p1 = {0}, p2 = {0};
    int64_t a[2] = {1, 0};
    onnx_attr_ints(&p1, "perm", 2, a);
    onnx_attr_ints(&p2, "perm", 2, a);
    mb_node(&b, "Transpose", "t1", MB_IO("f"), MB_IO("t1"), &p1);
    mb_node(&b, "Transpose", "t2", MB_IO("t1"), MB_IO("t2"), &p2);
    mb_node(&b, "Neg", "neg", MB_IO("t2"), MB_IO("y"), NULL);
    pbw_free(&p1);
    pbw_free(&p2);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(count_op(s, "Reshape"), 0);
    CHECK_EQ_INT(count_op(s, "Flatten"), 0);
    CHECK_EQ_INT(count_op(s, "Transpose"), 0);
    CHECK_EQ_INT(count_op(s, "Reinterpret"), 1);
    CHECK(mb_compare_optimized(m, 12) == 0);
    er_session_free(s);
    er_model_free(m);
}

TEST(pass_gemm_and_matmul_become_dense_with_fused_epilogue) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {3, 5}, wd[2] = {4, 5}, bd[1] = {4}, w2d[2] = {4, 6}, b2d[1] = {6};
    mb_input(&b, "x", ER_F32, 2, xd);
    mb_const_rand(&b, "w", 2, wd, 1, -1, 1);
    mb_const_rand(&b, "bias", 1, bd, 2, -1, 1);
    pbw a = {0};
    onnx_attr_int(&a, "transB", 1);
    mb_node(&b, "Gemm", "fc1", MB_IO("x", "w", "bias"), MB_IO("h"), &a);
    pbw_free(&a);
    mb_node(&b, "Relu", "relu", MB_IO("h"), MB_IO("r"), NULL);
    mb_const_rand(&b, "w2", 2, w2d, 3, -1, 1);
    mb_const_rand(&b, "b2", 1, b2d, 4, -1, 1);
    mb_node(&b, "MatMul", "fc2", MB_IO("r", "w2"), MB_IO("m"), NULL);
    mb_node(&b, "Add", "add", MB_IO("m", "b2"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = optimized(m);
    CHECK(s);
    CHECK_EQ_INT(s->g->n_nodes, 2);
    CHECK_EQ_INT(count_op(s, "Dense"), 2);
    CHECK(strcmp(er_attr_str(&s->g->nodes[0], "act", "none"), "relu") == 0);
    CHECK(s->g->nodes[1].in[2] >= 0); /* the Add became the bias */
    double d = mb_compare_optimized(m, 13);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(graph_new_value_with_a_very_long_hint_terminates) {
    er_graph *g;
    CHECK_STATUS(er_graph_create(&g), ER_OK);
    char hint[600];
    memset(hint, 'a', sizeof hint - 1);
    hint[sizeof hint - 1] = '\0';
    int ids[3];
    for (int i = 0; i < 3; i++) CHECK_STATUS(er_graph_new_value(g, hint, &ids[i]), ER_OK);
    CHECK(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    er_graph_free(g);
}

TEST(pass_layout_resize_stays_nhwc) {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    for (int mi = 0; mi < 3; mi++) {
        mb b;
        mb_init(&b);
        int64_t xd[4] = {1, 3, 5, 6}, four[1] = {4}, zero[1] = {0};
        mb_input(&b, "x", ER_F32, 4, xd);
        conv_chain(&b, 3, 5, "x", "c", 91);
        float scales[4] = {1, 1, 2.0f, 1.5f};
        mb_const(&b, "scales", ER_F32, 1, four, scales);
        mb_const(&b, "roi", ER_F32, 1, zero, scales);
        pbw a = {0};
        pbw attr = {0};
        pbw_str(&attr, 1, "mode");
        pbw_int(&attr, 20, 3);
        pbw_str(&attr, 4, modes[mi]);
        pbw_msg(&a, 5, &attr);
        pbw_free(&attr);
        mb_node(&b, "Resize", "resize", MB_IO("c", "roi", "scales"), MB_IO("r"), &a);
        pbw_free(&a);
        conv_chain(&b, 5, 2, "r", "y", 93);
        mb_output(&b, "y");
        er_model *m = mb_load(&b, 13);
        er_session *s = optimized(m);
        CHECK(s);
        CHECK_EQ_INT(count_op(s, "Transpose"), 2); /* in and out only */
        double d = mb_compare_optimized(m, 14);
        CHECK_MSG(d >= 0 && d < 1e-5, "%s: max rel diff %g", modes[mi], d);
        er_session_free(s);
        er_model_free(m);
    }
}

TEST(pass_zero_pad_folds_into_conv) {
    /* conv -> Pad(H by 1/2, W by 3/0) -> conv, and a reflect Pad that must stay */
    for (int reflect = 0; reflect < 2; reflect++) {
        mb b;
        mb_init(&b);
        int64_t xd[4] = {1, 3, 6, 7}, pd[1] = {8};
        mb_input(&b, "x", ER_F32, 4, xd);
        conv_chain(&b, 3, 4, "x", "a", 101);
        int64_t pads[8] = {0, 0, 1, 3, 0, 0, 2, 0};
        mb_const(&b, "pads", ER_I64, 1, pd, pads);
        pbw at = {0}, a = {0};
        if (reflect) {
            pbw_str(&at, 1, "mode");
            pbw_int(&at, 20, 3);
            pbw_str(&at, 4, "reflect");
            pbw_msg(&a, 5, &at);
            pbw_free(&at);
        }
        mb_node(&b, "Pad", "pad", MB_IO("a", "pads"), MB_IO("p"), &a);
        pbw_free(&a);
        conv_chain(&b, 4, 5, "p", "y", 103);
        mb_output(&b, "y");
        er_model *m = mb_load(&b, 13);
        er_session *s = optimized(m);
        CHECK(s);
        CHECK_EQ_INT(count_op(s, "Pad"), reflect ? 1 : 0);
        CHECK_EQ_INT(count_op(s, "Transpose"), 2);
        double d = mb_compare_optimized(m, 15);
        CHECK_MSG(d >= 0 && d < 1e-5, "reflect=%d: max rel diff %g", reflect, d);
        er_session_free(s);
        er_model_free(m);
    }
}
