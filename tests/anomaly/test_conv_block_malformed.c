/* test_conv_block_malformed.c - edgerun::ConvBlockNhwc written into a model
 * file by hand (the importers resolve any registered op, internal ones
 * included): every inconsistent node must be refused with a status and a
 * message at session creation, never crash or read out of bounds (this
 * tier runs under ASan+UBSan), and a consistent one must run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/builder.h"
#include "test.h"

/* One ConvBlockNhwc node over x [1,8,8,4] (NHWC as stored) with the given
 * inputs (NULL-terminated, "" = absent) and outputs. Constants every case
 * may name: we [8,4,1,1], be [8], wd [8,1,3,3], wd17 [8,1,17,17], bd [8],
 * wp [5,8,1,1], bp [5], wd4 [4,1,3,3], wp4 [5,4,1,1], s [1,1,1,8],
 * s4 [1,1,1,4], s_bad [1,8,1,1]; graph inputs x and z [1,8,8,5]. */
static er_status try_block(const char *const *in, const char *const *out, const pbw *attrs) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 8, 8, 4}, zd[4] = {1, 8, 8, 5};
    mb_input(&b, "x", ER_F32, 4, xd);
    mb_input(&b, "z", ER_F32, 4, zd);
    int64_t we[4] = {8, 4, 1, 1}, e[1] = {8}, wd[4] = {8, 1, 3, 3}, wd17[4] = {8, 1, 17, 17};
    int64_t wp[4] = {5, 8, 1, 1}, p[1] = {5}, wd4[4] = {4, 1, 3, 3}, sd[4] = {1, 1, 1, 8};
    int64_t s4[4] = {1, 1, 1, 4}, sbad[4] = {1, 8, 1, 1}, wp4[4] = {5, 4, 1, 1};
    mb_const_rand(&b, "we", 4, we, 1, -1, 1);
    mb_const_rand(&b, "be", 1, e, 2, -1, 1);
    mb_const_rand(&b, "wd", 4, wd, 3, -1, 1);
    mb_const_rand(&b, "wd17", 4, wd17, 4, -1, 1);
    mb_const_rand(&b, "bd", 1, e, 5, -1, 1);
    mb_const_rand(&b, "wp", 4, wp, 6, -1, 1);
    mb_const_rand(&b, "bp", 1, p, 7, -1, 1);
    mb_const_rand(&b, "wd4", 4, wd4, 8, -1, 1);
    mb_const_rand(&b, "s", 4, sd, 9, -1, 1);
    mb_const_rand(&b, "s4", 4, s4, 10, -1, 1);
    mb_const_rand(&b, "s_bad", 4, sbad, 11, -1, 1);
    mb_const_rand(&b, "wp4", 4, wp4, 12, -1, 1);
    pbw n = {0};
    onnx_node(&n, "ConvBlockNhwc", "block", in, out, attrs);
    pbw_str(&n, 7, "edgerun"); /* NodeProto.domain */
    pbw_msg(&b.nodes, 1, &n);
    pbw_free(&n);
    for (const char *const *o = out; *o; o++)
        if (**o) mb_output(&b, *o);
    /* the model with opset imports for "" and "edgerun" (builder.c's
     * mb_load imports only the default domain) */
    pbw g = {0}, model = {0}, op = {0}, op2 = {0};
    pbw_raw(&g, b.nodes.d, b.nodes.n);
    pbw_str(&g, 2, "test");
    pbw_raw(&g, b.inits.d, b.inits.n);
    pbw_raw(&g, b.inputs.d, b.inputs.n);
    pbw_raw(&g, b.outputs.d, b.outputs.n);
    pbw_str(&op, 1, "");
    pbw_int(&op, 2, 13);
    pbw_str(&op2, 1, "edgerun");
    pbw_int(&op2, 2, 1);
    pbw_int(&model, 1, 8);
    pbw_msg(&model, 8, &op);
    pbw_msg(&model, 8, &op2);
    pbw_msg(&model, 7, &g);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(model.d, model.n, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        er_tensor *x = NULL, *z = NULL, *y[2];
        er_tensor_create(ER_F32, 4, xd, &x);
        er_tensor_create(ER_F32, 4, zd, &z);
        const er_tensor *ins[2] = {x, z};
        st = er_session_run(s, ins, y);
        er_tensor_free(x);
        er_tensor_free(z);
    }
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1; /* no message: a bug */
    er_session_free(s);
    er_model_free(m);
    pbw_free(&g);
    pbw_free(&model);
    pbw_free(&op);
    pbw_free(&op2);
    pbw_free(&b.nodes);
    pbw_free(&b.inits);
    pbw_free(&b.inputs);
    pbw_free(&b.outputs);
    return st;
}

static pbw window(int64_t k, int64_t stride, int64_t pad, int64_t dil) {
    pbw a = {0};
    int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad},
            dl[2] = {dil, dil};
    onnx_attr_ints(&a, "kernel_shape", 2, ks);
    onnx_attr_ints(&a, "strides", 2, st);
    onnx_attr_ints(&a, "pads", 4, pads);
    onnx_attr_ints(&a, "dilations", 2, dl);
    return a;
}

TEST(conv_block_consistent_nodes_run) {
    pbw a = window(3, 1, 1, 1), far = window(3, 1000000, 1, 1);
    /* expand-dw-project with residual; dw-project; expand-dw with means;
     * project * scale; a stride that leaves one output row */
    CHECK_STATUS(try_block(MB_IO("x", "we", "be", "wd", "bd", "wp", "bp", "z"), MB_IO("y"), &a),
                 ER_OK);
    CHECK_STATUS(try_block(MB_IO("x", "", "", "wd4", "", "wp4"), MB_IO("y"), &a), ER_OK);
    CHECK_STATUS(try_block(MB_IO("x", "we", "be", "wd", "bd"), MB_IO("y", "mean"), &a), ER_OK);
    CHECK_STATUS(try_block(MB_IO("x", "", "", "", "", "wp4", "", "", "s4"), MB_IO("y"), NULL),
                 ER_OK);
    CHECK_STATUS(try_block(MB_IO("x", "we", "be", "wd", "bd", "wp"), MB_IO("y"), &far), ER_OK);
    pbw_free(&a);
    pbw_free(&far);
}

TEST(conv_block_malformed_nodes_fail_cleanly) {
    pbw a = window(3, 1, 1, 1), big = window(17, 1, 8, 1), dil = window(3, 1, 2, 2);
    struct {
        const char *const *in, *const *out;
        const pbw *attrs;
        const char *why;
    } cases[] = {
        {MB_IO("x", "we", "be", "x", "bd"), MB_IO("y"), &a, "depthwise weights not constant"},
        {MB_IO("x", "we", "be", "wd4", "bd"), MB_IO("y"), &a, "depthwise weights 4 != 8"},
        {MB_IO("x", "wd", "be", "wd", "bd"), MB_IO("y"), &a, "expand weights 3x3"},
        {MB_IO("x", "we", "bp", "wd", "bd"), MB_IO("y"), &a, "expand bias of 5"},
        {MB_IO("x", "", "be", "wd4"), MB_IO("y"), &a, "bias of an absent expand"},
        {MB_IO("x", "we", "be", "wd17", "bd"), MB_IO("y"), &big, "17 window rows"},
        {MB_IO("x", "we", "be", "wd", "bd"), MB_IO("y"), &dil, "dilation 2"},
        {MB_IO("x", "we", "be", "wd", "bd", "we"), MB_IO("y"), &a, "project weights 8x4"},
        {MB_IO("x", "we", "be", "wd", "bd", "wp", "bp", "x"), MB_IO("y"), &a, "residual shape"},
        {MB_IO("x", "we", "be", "wd", "bd", "", "", "z"), MB_IO("y"), &a, "residual, no project"},
        {MB_IO("x", "we", "be", "wd", "bd", "wp", "bp", "", "s_bad"), MB_IO("y"), &a,
         "scale [1,8,1,1]"},
        {MB_IO("x", "we", "be", "", "", "wp", "bp", "", "s"), MB_IO("y"), &a,
         "expand -> project without depthwise"},
        {MB_IO("x", "", "", "", "", "wp"), MB_IO("y"), NULL, "project alone, no scale"},
        {MB_IO("x", "", "", "", "", "wp", "", "", "s4"), MB_IO("y", "mean"), NULL,
         "means without depthwise"},
        {MB_IO("x"), MB_IO("y"), NULL, "no stage"},
        {MB_IO("x", "we", "be", "wd", "bd", "wp", "bp", "z", "s", "x"), MB_IO("y"), &a,
         "10 inputs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        er_status st = try_block(cases[i].in, cases[i].out, cases[i].attrs);
        if (getenv("ER_TEST_VERBOSE")) printf("    %s: %s\n", cases[i].why, er_last_error());
        CHECK_MSG(st != ER_OK && st != (er_status)-1, "case %zu (%s): status %d, '%s'", i,
                  cases[i].why, (int)st, er_last_error());
    }
    pbw_free(&a);
    pbw_free(&big);
    pbw_free(&dil);
}
