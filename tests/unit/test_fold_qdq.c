/* test_fold_qdq.c - er_pass_fold_qdq on QDQ models built with the protobuf
 * writer: what gets folded (and what must not be), the graph stays sorted
 * and runnable, folded and unfolded outputs agree within one quantization
 * step, and an allocation failure at any point leaves a graph that still
 * computes the unfolded result. (tests/int8/qdq_check.py covers every
 * pattern against ONNX Runtime.) */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "passes/fold_qdq.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "support/pbw.h"
#include "test.h"

enum { T_F32 = 1, T_U8 = 2, T_I8 = 3, T_I32 = 6 };

typedef struct {
    pbw g;
} gb;

static void gb_node(gb *b, const char *op, const char *const *in, const char *out,
                    const pbw *attrs) {
    pbw n = {0};
    const char *outs[] = {out, NULL};
    onnx_node(&n, op, out, in, outs, attrs);
    pbw_msg(&b->g, 1, &n);
    pbw_free(&n);
}

static void gb_const(gb *b, const char *name, int dtype, int rank, const int64_t *dims,
                     const void *data, size_t bytes) {
    pbw t = {0};
    onnx_tensor(&t, name, dtype, rank, dims, data, bytes);
    pbw_msg(&b->g, 5, &t);
    pbw_free(&t);
}

static void gb_scalar_f32(gb *b, const char *name, float v) {
    gb_const(b, name, T_F32, 0, NULL, &v, 4);
}
static void gb_scalar_u8(gb *b, const char *name, uint8_t v) {
    gb_const(b, name, T_U8, 0, NULL, &v, 1);
}

static void gb_io(gb *b, int field, const char *name, int dtype, int rank, const int64_t *dims) {
    pbw vi = {0};
    onnx_value_info(&vi, name, dtype, rank, dims);
    pbw_msg(&b->g, (uint32_t)field, &vi);
    pbw_free(&vi);
}

static er_model *gb_load(gb *b) {
    pbw m = {0};
    pbw_str(&b->g, 2, "qdq");
    onnx_model(&m, &b->g, 13);
    er_model *model = NULL;
    if (er_model_load_memory(m.d, m.n, NULL, &model) != ER_OK)
        printf("  load: %s\n", er_last_error());
    pbw_free(&m);
    pbw_free(&b->g);
    return model;
}

/* x [1,3,6,6] float -> Q/DQ (u8) -> Conv(W int8 per-channel DQ, bias int32
 * DQ) -> Relu -> Q (u8) = y. With `shared`, the Conv output is also a graph
 * output (so it must not be folded); with `runtime_scale`, the input scale
 * is a graph input. */
static er_model *conv_model(bool shared, bool runtime_scale) {
    gb b = {{0}};
    int64_t xd[4] = {1, 3, 6, 6}, wd[4] = {4, 3, 3, 3}, md[1] = {4}, yd[4] = {1, 4, 6, 6};
    int8_t w[108];
    for (int i = 0; i < 108; i++) w[i] = (int8_t)((i * 37) % 255 - 127);
    float ws[4] = {0.004f, 0.002f, 0.003f, 0.0025f};
    int8_t wz[4] = {0, 0, 0, 0};
    int32_t bias[4] = {1000, -2000, 300, 0}, bz[4] = {0};
    float bs[4];
    for (int i = 0; i < 4; i++) bs[i] = 0.02f * ws[i];
    if (!runtime_scale) gb_scalar_f32(&b, "xs", 0.02f);
    gb_scalar_u8(&b, "xz", 128);
    gb_const(&b, "w", T_I8, 4, wd, w, sizeof w);
    gb_const(&b, "ws", T_F32, 1, md, ws, sizeof ws);
    gb_const(&b, "wz", T_I8, 1, md, wz, sizeof wz);
    gb_const(&b, "b", T_I32, 1, md, bias, sizeof bias);
    gb_const(&b, "bs", T_F32, 1, md, bs, sizeof bs);
    gb_const(&b, "bz", T_I32, 1, md, bz, sizeof bz);
    gb_scalar_f32(&b, "ys", 0.05f);
    gb_scalar_u8(&b, "yz", 10);
    pbw ax0 = {0}, pads = {0};
    onnx_attr_int(&ax0, "axis", 0);
    int64_t p[4] = {1, 1, 1, 1};
    onnx_attr_ints(&pads, "pads", 4, p);
    gb_node(&b, "QuantizeLinear", (const char *[]){"x", "xs", "xz", NULL}, "xq", NULL);
    gb_node(&b, "DequantizeLinear", (const char *[]){"xq", "xs", "xz", NULL}, "xd", NULL);
    gb_node(&b, "DequantizeLinear", (const char *[]){"w", "ws", "wz", NULL}, "wd", &ax0);
    gb_node(&b, "DequantizeLinear", (const char *[]){"b", "bs", "bz", NULL}, "bd", &ax0);
    gb_node(&b, "Conv", (const char *[]){"xd", "wd", "bd", NULL}, "c", &pads);
    gb_node(&b, "Relu", (const char *[]){"c", NULL}, "r", NULL);
    gb_node(&b, "QuantizeLinear", (const char *[]){"r", "ys", "yz", NULL}, "y", NULL);
    pbw_free(&ax0);
    pbw_free(&pads);
    gb_io(&b, 11, "x", T_F32, 4, xd);
    if (runtime_scale) gb_io(&b, 11, "xs", T_F32, 0, NULL);
    gb_io(&b, 12, "y", T_U8, 4, yd);
    if (shared) gb_io(&b, 12, "c", T_F32, 4, yd);
    return gb_load(&b);
}

static float g_x[108];

/* Runs m on g_x (and scale 0.02 when the model takes it); copies output 0 (uint8). */
static er_status run_u8(const er_model *m, uint8_t *out, size_t n) {
    int64_t xd[4] = {1, 3, 6, 6};
    float xs = 0.02f;
    er_tensor *in[2] = {NULL, NULL}, *y[2];
    er_session *s = NULL;
    er_status st = er_tensor_wrap(ER_F32, 4, xd, g_x, sizeof g_x, &in[0]);
    if (st == ER_OK && er_model_input_count(m) > 1)
        st = er_tensor_wrap(ER_F32, 0, NULL, &xs, sizeof xs, &in[1]);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)in, y);
    if (st == ER_OK) {
        if (er_tensor_dtype(y[0]) != ER_U8 || er_tensor_count(y[0]) != n)
            st = er_fail(ER_ERR_INTERNAL, "unexpected output");
        else
            memcpy(out, er_tensor_data(y[0]), n);
    }
    er_session_free(s);
    er_tensor_free(in[0]);
    er_tensor_free(in[1]);
    return st;
}

static void fill_x(void) {
    for (int i = 0; i < 108; i++) g_x[i] = (float)sin(i * 0.7) * 2.5f;
}

static int count_op(const er_graph *g, const char *type) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += strcmp(g->nodes[i].op_type, type) == 0;
    return n;
}

/* Every node's inputs are produced by an earlier node (or are inputs/constants). */
static bool sorted_ok(const er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0 && g->values[v].producer >= i) return false;
            if (v >= 0 && g->values[v].producer < 0 && !g->values[v].data &&
                !g->values[v].is_input)
                return false;
        }
    return true;
}

static int max_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        int e = abs((int)a[i] - (int)b[i]);
        if (e > d) d = e;
    }
    return d;
}

TEST(fold_qdq_conv_relu_per_channel) {
    fill_x();
    er_model *m = conv_model(false, false);
    CHECK(m);
    uint8_t plain[144], folded[144];
    CHECK_STATUS(run_u8(m, plain, 144), ER_OK);
    int n = -1;
    CHECK_STATUS(er_pass_fold_qdq_count(m->graph, &n), ER_OK);
    CHECK_EQ_INT(n, 1);
    const er_graph *g = m->graph;
    /* Q(x), QConv; the weight and bias DQ nodes and the input DQ are gone */
    CHECK_EQ_INT(g->n_nodes, 2);
    CHECK(strcmp(g->nodes[0].op_type, "QuantizeLinear") == 0);
    const er_node *qc = &g->nodes[1];
    CHECK(strcmp(qc->op_type, "QConv") == 0 && strcmp(qc->domain, "edgerun") == 0 && qc->op);
    CHECK_EQ_INT(qc->n_in, 9);
    CHECK_EQ_INT(er_attr_int(qc, "activation_min", -1), 10); /* Relu: clamp at y_zp */
    CHECK_EQ_INT(er_attr_int(qc, "activation_max", -1), 255);
    const int64_t *pads;
    CHECK_EQ_INT(er_attr_ints(qc, "pads", &pads), 4); /* Conv's attributes carried over */
    /* the bias scale is already x_scale * w_scale: the int32 values are kept */
    const er_value *bv = &g->values[qc->in[8]];
    CHECK(bv->dtype == ER_I32 && bv->data && ((const int32_t *)bv->data)[1] == -2000);
    CHECK(sorted_ok(g));
    CHECK_STATUS(run_u8(m, folded, 144), ER_OK);
    int d = max_diff(plain, folded, 144);
    CHECK_MSG(d <= 1, "folded and unfolded differ by %d steps", d);
    int relu_floor = 1;
    for (int i = 0; i < 144; i++) relu_floor &= folded[i] >= 10;
    CHECK(relu_floor);
    er_model_free(m);
}

TEST(fold_qdq_leaves_shared_outputs_and_runtime_scales) {
    fill_x();
    er_model *m = conv_model(true, false);
    CHECK(m);
    int n = -1, before = m->graph->n_nodes;
    CHECK_STATUS(er_pass_fold_qdq_count(m->graph, &n), ER_OK);
    CHECK_EQ_INT(n, 0); /* the Conv output is a graph output too */
    CHECK_EQ_INT(m->graph->n_nodes, before);
    CHECK_EQ_INT(count_op(m->graph, "Conv"), 1);
    er_model_free(m);
    m = conv_model(false, true);
    CHECK(m);
    CHECK_STATUS(er_pass_fold_qdq_count(m->graph, &n), ER_OK);
    CHECK_EQ_INT(n, 0); /* the input scale is only known at run time */
    CHECK_EQ_INT(count_op(m->graph, "DequantizeLinear"), 3);
    uint8_t out[144];
    CHECK_STATUS(run_u8(m, out, 144), ER_OK);
    er_model_free(m);
}

/* a [2,8] u8 -> DQ -> MatMul(B int8 per-column [8,5]) -> Add(bias float) -> Q;
 * a second consumer keeps the input DQ alive. */
TEST(fold_qdq_matmul_bias_keeps_shared_dq) {
    gb b = {{0}};
    int64_t ad[2] = {2, 8}, bd[2] = {8, 5}, nd[1] = {5}, yd[2] = {2, 5};
    int8_t w[40];
    for (int i = 0; i < 40; i++) w[i] = (int8_t)((i * 53) % 200 - 100);
    float ws[5] = {0.01f, 0.02f, 0.015f, 0.01f, 0.03f}, bias[5] = {0.5f, -0.25f, 0, 1, -1};
    int8_t wz[5] = {0};
    gb_scalar_f32(&b, "as", 0.05f);
    gb_scalar_u8(&b, "az", 100);
    gb_const(&b, "w", T_I8, 2, bd, w, sizeof w);
    gb_const(&b, "ws", T_F32, 1, nd, ws, sizeof ws);
    gb_const(&b, "wz", T_I8, 1, nd, wz, sizeof wz);
    gb_const(&b, "bias", T_F32, 1, nd, bias, sizeof bias);
    gb_scalar_f32(&b, "ys", 0.1f);
    gb_scalar_u8(&b, "yz", 128);
    pbw ax1 = {0};
    onnx_attr_int(&ax1, "axis", 1);
    gb_node(&b, "DequantizeLinear", (const char *[]){"a", "as", "az", NULL}, "ad", NULL);
    gb_node(&b, "DequantizeLinear", (const char *[]){"w", "ws", "wz", NULL}, "wd", &ax1);
    gb_node(&b, "MatMul", (const char *[]){"ad", "wd", NULL}, "mm", NULL);
    gb_node(&b, "Add", (const char *[]){"mm", "bias", NULL}, "s", NULL);
    gb_node(&b, "QuantizeLinear", (const char *[]){"s", "ys", "yz", NULL}, "y", NULL);
    gb_node(&b, "Neg", (const char *[]){"ad", NULL}, "neg", NULL);
    pbw_free(&ax1);
    gb_io(&b, 11, "a", T_U8, 2, ad);
    gb_io(&b, 12, "y", T_U8, 2, yd);
    gb_io(&b, 12, "neg", T_F32, 2, ad);
    er_model *m = gb_load(&b);
    CHECK(m);
    int n = -1;
    CHECK_STATUS(er_pass_fold_qdq_count(m->graph, &n), ER_OK);
    CHECK_EQ_INT(n, 1);
    const er_graph *g = m->graph;
    CHECK_EQ_INT(count_op(g, "QMatMul"), 1);
    CHECK_EQ_INT(count_op(g, "Add"), 0);
    CHECK_EQ_INT(count_op(g, "DequantizeLinear"), 1); /* A's DQ still feeds Neg */
    CHECK(sorted_ok(g));
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op_type, "QMatMul") == 0) {
            const er_value *bv = &g->values[g->nodes[i].in[8]];
            /* float bias quantized to the accumulator scale 0.05 * w_scale */
            CHECK(bv->dtype == ER_I32 && ((const int32_t *)bv->data)[0] == 1000);
            CHECK(((const int32_t *)bv->data)[1] == -250);
        }
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    uint8_t a[16];
    for (int i = 0; i < 16; i++) a[i] = (uint8_t)(i * 15);
    er_tensor *x, *y[2];
    CHECK_STATUS(er_tensor_wrap(ER_U8, 2, ad, a, sizeof a, &x), ER_OK);
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, y), ER_OK);
    /* the real-valued result, quantized by hand */
    const uint8_t *got = er_tensor_data(y[0]);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 5; j++) {
            double acc = bias[j];
            for (int k = 0; k < 8; k++)
                acc += (a[i * 8 + k] - 100) * 0.05 * (w[k * 5 + j] * (double)ws[j]);
            double q = rint(acc / 0.1) + 128;
            q = q < 0 ? 0 : q > 255 ? 255 : q;
            CHECK_MSG(fabs(got[i * 5 + j] - q) <= 1, "y[%d,%d] = %d, want %g", i, j,
                      got[i * 5 + j], q);
        }
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
}

TEST(fold_qdq_out_of_memory_leaves_a_working_graph) {
    fill_x();
    er_model *ref = conv_model(false, false);
    CHECK(ref);
    uint8_t want[144], got[144];
    CHECK_STATUS(run_u8(ref, want, 144), ER_OK);
    er_model_free(ref);
    int failures = 0;
    for (long k = 0; k < 60; k++) {
        er_model *m = conv_model(false, false);
        CHECK(m);
        er_alloc_fail_after(k);
        er_status st = er_pass_fold_qdq(m->graph);
        er_alloc_fail_after(-1);
        CHECK_MSG(st == ER_OK || st == ER_ERR_NOMEM, "fail after %ld: %s", k, er_status_str(st));
        failures += st == ER_ERR_NOMEM;
        CHECK(sorted_ok(m->graph));
        CHECK_STATUS(run_u8(m, got, 144), ER_OK);
        CHECK_MSG(max_diff(want, got, 144) <= 1, "fail after %ld: outputs differ", k);
        if (st == ER_ERR_NOMEM) /* nothing was replaced */
            CHECK_EQ_INT(count_op(m->graph, "Conv"), 1);
        er_model_free(m);
    }
    CHECK(failures > 0);
}

TEST(fold_qdq_null_graph) {
    CHECK_STATUS(er_pass_fold_qdq(NULL), ER_ERR_INVALID_ARG);
}
