/* test_qpasses.c - the int8 passes on QDQ models built with the protobuf
 * writer, through sessions:
 *   er_pass_qretype_u8: internal int8 activations become uint8 with their
 *   zero points (and fused clamps) moved by 128, an int8 graph output and
 *   values read by other ops stay int8;
 *   er_pass_fuse_qresidual: conv -> QAdd(conv, shortcut) -> Relu becomes one
 *   QConvNhwc with a fused residual;
 * and sessions with and without each pass give identical bytes (the
 * rewrites are exact, not approximate). */
#include <math.h>
#include <stdlib.h>

#include "runtime/model.h"
#include "runtime/session.h"
#include "support/pbw.h"
#include "test.h"

enum { T_F32 = 1, T_I8 = 3, T_I32 = 6 };

static void node(pbw *g, const char *op, const char *const *in, const char *out, const pbw *attrs) {
    pbw n = {0};
    const char *outs[] = {out, NULL};
    onnx_node(&n, op, out, in, outs, attrs);
    pbw_msg(g, 1, &n);
    pbw_free(&n);
}

static void cst(pbw *g, const char *name, int dtype, int rank, const int64_t *dims, const void *d,
                size_t bytes) {
    pbw t = {0};
    onnx_tensor(&t, name, dtype, rank, dims, d, bytes);
    pbw_msg(g, 5, &t);
    pbw_free(&t);
}

static void io(pbw *g, int field, const char *name, int dtype, int rank, const int64_t *dims) {
    pbw vi = {0};
    onnx_value_info(&vi, name, dtype, rank, dims);
    pbw_msg(g, (uint32_t)field, &vi);
    pbw_free(&vi);
}

/* x float [1,4,6,6] -> Q(int8) -> DQ -> Conv 3x3 (+bias) -> Clip(0, 4) -> Q
 * -> DQ -> MaxPool 2x2 -> Q -> DQ -> Add(with itself) -> Q = y (int8 graph
 * output), and z = DQ(pooled) as a float output. */
static er_model *model(void) {
    pbw g = {0};
    int64_t xd[4] = {1, 4, 6, 6}, wd[4] = {5, 4, 3, 3}, md[1] = {5}, yd[4] = {1, 5, 3, 3};
    int8_t w[180];
    for (int i = 0; i < 180; i++) w[i] = (int8_t)((i * 53) % 251 - 125);
    float ws[5] = {0.004f, 0.003f, 0.005f, 0.002f, 0.0035f}, bs[5];
    int8_t wz[5] = {0};
    int32_t b[5] = {300, -700, 0, 1200, -50}, bz[5] = {0};
    float xs = 0.03f, cs = 0.02f, ps = 0.02f, ys = 0.045f, lo = 0, hi = 4;
    int8_t xz = -3, cz = -128, pz = -128, yz = 5;
    for (int i = 0; i < 5; i++) bs[i] = xs * ws[i];
    cst(&g, "xs", T_F32, 0, NULL, &xs, 4);
    cst(&g, "xz", T_I8, 0, NULL, &xz, 1);
    cst(&g, "w", T_I8, 4, wd, w, sizeof w);
    cst(&g, "ws", T_F32, 1, md, ws, sizeof ws);
    cst(&g, "wz", T_I8, 1, md, wz, sizeof wz);
    cst(&g, "b", T_I32, 1, md, b, sizeof b);
    cst(&g, "bs", T_F32, 1, md, bs, sizeof bs);
    cst(&g, "bz", T_I32, 1, md, bz, sizeof bz);
    cst(&g, "cs", T_F32, 0, NULL, &cs, 4);
    cst(&g, "cz", T_I8, 0, NULL, &cz, 1);
    cst(&g, "ps", T_F32, 0, NULL, &ps, 4);
    cst(&g, "pz", T_I8, 0, NULL, &pz, 1);
    cst(&g, "ys", T_F32, 0, NULL, &ys, 4);
    cst(&g, "yz", T_I8, 0, NULL, &yz, 1);
    cst(&g, "lo", T_F32, 0, NULL, &lo, 4);
    cst(&g, "hi", T_F32, 0, NULL, &hi, 4);
    pbw ax0 = {0}, pads = {0}, pool = {0};
    onnx_attr_int(&ax0, "axis", 0);
    int64_t p[4] = {1, 1, 1, 1}, k[2] = {2, 2};
    onnx_attr_ints(&pads, "pads", 4, p);
    onnx_attr_ints(&pool, "kernel_shape", 2, k);
    onnx_attr_ints(&pool, "strides", 2, k);
    node(&g, "QuantizeLinear", (const char *[]){"x", "xs", "xz", NULL}, "xq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"xq", "xs", "xz", NULL}, "xd", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"w", "ws", "wz", NULL}, "wd", &ax0);
    node(&g, "DequantizeLinear", (const char *[]){"b", "bs", "bz", NULL}, "bd", &ax0);
    node(&g, "Conv", (const char *[]){"xd", "wd", "bd", NULL}, "c", &pads);
    node(&g, "Clip", (const char *[]){"c", "lo", "hi", NULL}, "r", NULL);
    node(&g, "QuantizeLinear", (const char *[]){"r", "cs", "cz", NULL}, "rq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"rq", "cs", "cz", NULL}, "rd", NULL);
    node(&g, "MaxPool", (const char *[]){"rd", NULL}, "mp", &pool);
    node(&g, "QuantizeLinear", (const char *[]){"mp", "ps", "pz", NULL}, "mq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"mq", "ps", "pz", NULL}, "md", NULL);
    node(&g, "Add", (const char *[]){"md", "md", NULL}, "a", NULL);
    node(&g, "QuantizeLinear", (const char *[]){"a", "ys", "yz", NULL}, "y", NULL);
    node(&g, "Identity", (const char *[]){"md", NULL}, "z", NULL);
    pbw_free(&ax0);
    pbw_free(&pads);
    pbw_free(&pool);
    io(&g, 11, "x", T_F32, 4, xd);
    io(&g, 12, "y", T_I8, 4, yd);
    io(&g, 12, "z", T_F32, 4, yd);
    pbw_str(&g, 2, "qretype");
    pbw m = {0};
    onnx_model(&m, &g, 13);
    er_model *out = NULL;
    if (er_model_load_memory(m.d, m.n, NULL, &out) != ER_OK) printf("  load: %s\n", er_last_error());
    pbw_free(&m);
    pbw_free(&g);
    return out;
}

/* Runs a session; copies y (int8, 45 bytes) and z (float, 45 values). */
static er_status run(const er_model *m, int8_t *y, float *z) {
    int64_t xd[4] = {1, 4, 6, 6};
    float x[144];
    for (int i = 0; i < 144; i++) x[i] = (float)sin(i * 0.37) * 3.0f;
    er_tensor *in = NULL, *out[2] = {NULL, NULL};
    er_session *s = NULL;
    er_status st = er_tensor_wrap(ER_F32, 4, xd, x, sizeof x, &in);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)&in, out);
    if (st == ER_OK && (er_tensor_dtype(out[0]) != ER_I8 || er_tensor_count(out[0]) != 45 ||
                        er_tensor_dtype(out[1]) != ER_F32))
        st = er_fail(ER_ERR_INTERNAL, "unexpected outputs");
    if (st == ER_OK) {
        memcpy(y, er_tensor_data(out[0]), 45);
        memcpy(z, er_tensor_data(out[1]), 45 * sizeof(float));
    }
    er_session_free(s);
    er_tensor_free(in);
    return st;
}

TEST(qretype_u8_rewrites_internal_int8_activations) {
    er_model *m = model();
    CHECK(m);
    /* the session's planned graph: folded, NHWC, retyped */
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    const er_graph *g = s->g;
    int u8_acts = 0, qadd = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!n->op_type || strcmp(n->domain, "edgerun") != 0) continue;
        const er_value *v = &g->values[n->out[0]];
        bool conv = strncmp(n->op_type, "QConv", 5) == 0;
        if (conv || strncmp(n->op_type, "QMaxPool", 8) == 0) {
            /* internal activations: uint8, their zero points moved by 128 */
            CHECK_MSG(v->dtype == ER_U8, "%s output %s is %s", n->op_type, v->name,
                      er_dtype_name(v->dtype));
            const er_value *zp = &g->values[n->in[conv ? 7 : 4]];
            CHECK(zp->dtype == ER_U8 && *(const uint8_t *)zp->data == 0); /* -128 + 128 */
            u8_acts++;
        }
        if (conv) { /* the Clip's clamp moved too: [0, 4] / 0.02 - 128 = [-128, 72] */
            CHECK_EQ_INT(er_attr_int(n, "activation_min", -1), 0);
            CHECK_EQ_INT(er_attr_int(n, "activation_max", -1), 200);
        }
        if (strcmp(n->op_type, "QAdd") == 0) { /* reads uint8, writes the int8 output */
            CHECK(g->values[n->in[0]].dtype == ER_U8 && g->values[n->in[2]].dtype == ER_U8);
            CHECK(v->dtype == ER_I8 && g->values[n->in[7]].dtype == ER_I8);
            qadd++;
        }
    }
    CHECK_EQ_INT(u8_acts, 2);
    CHECK_EQ_INT(qadd, 1);
    /* the weights' zero points are untouched */
    int w = er_graph_find(g, "wz");
    CHECK(w < 0 || g->values[w].dtype == ER_I8);
    er_session_free(s);
    er_model_free(m);
}

TEST(qretype_u8_sessions_identical) {
    er_model *m = model();
    CHECK(m);
    int8_t y0[45], y1[45];
    float z0[45], z1[45];
    setenv("EDGERUN_DISABLE_PASSES", "qretype_u8", 1);
    er_status st = run(m, y0, z0);
    unsetenv("EDGERUN_DISABLE_PASSES");
    CHECK_STATUS(st, ER_OK);
    CHECK_STATUS(run(m, y1, z1), ER_OK);
    CHECK(memcmp(y0, y1, sizeof y0) == 0);
    CHECK(memcmp(z0, z1, sizeof z0) == 0);
    int nonzero = 0;
    for (int i = 0; i < 45; i++) nonzero += y1[i] != 5;
    CHECK(nonzero > 10); /* the case is not trivial */
    er_model_free(m);
}

/* x float [1,8,5,5] -> Q(int8) -> DQ -> Conv 3x3 pad 1 (8 -> 8) -> Q -> DQ ->
 * Add(conv, DQ(x)) -> Relu -> Q -> DQ = y (float) */
static er_model *residual_model(void) {
    pbw g = {0};
    int64_t xd[4] = {1, 8, 5, 5}, wd[4] = {8, 8, 3, 3}, md[1] = {8};
    int8_t w[576];
    for (int i = 0; i < 576; i++) w[i] = (int8_t)((i * 29) % 241 - 120);
    float ws[8], xs = 0.04f, cs = 0.05f, as = 0.06f;
    int8_t wz[8] = {0}, xz = 3, cz = -10, az = -128;
    for (int i = 0; i < 8; i++) ws[i] = 0.002f + 0.0003f * (float)i;
    cst(&g, "xs", T_F32, 0, NULL, &xs, 4);
    cst(&g, "xz", T_I8, 0, NULL, &xz, 1);
    cst(&g, "w", T_I8, 4, wd, w, sizeof w);
    cst(&g, "ws", T_F32, 1, md, ws, sizeof ws);
    cst(&g, "wz", T_I8, 1, md, wz, sizeof wz);
    cst(&g, "cs", T_F32, 0, NULL, &cs, 4);
    cst(&g, "cz", T_I8, 0, NULL, &cz, 1);
    cst(&g, "as", T_F32, 0, NULL, &as, 4);
    cst(&g, "az", T_I8, 0, NULL, &az, 1);
    pbw ax0 = {0}, pads = {0};
    onnx_attr_int(&ax0, "axis", 0);
    int64_t p[4] = {1, 1, 1, 1};
    onnx_attr_ints(&pads, "pads", 4, p);
    node(&g, "QuantizeLinear", (const char *[]){"x", "xs", "xz", NULL}, "xq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"xq", "xs", "xz", NULL}, "xd", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"w", "ws", "wz", NULL}, "wd", &ax0);
    node(&g, "Conv", (const char *[]){"xd", "wd", NULL}, "c", &pads);
    node(&g, "QuantizeLinear", (const char *[]){"c", "cs", "cz", NULL}, "cq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"cq", "cs", "cz", NULL}, "cd", NULL);
    node(&g, "Add", (const char *[]){"cd", "xd", NULL}, "a", NULL);
    node(&g, "Relu", (const char *[]){"a", NULL}, "r", NULL);
    node(&g, "QuantizeLinear", (const char *[]){"r", "as", "az", NULL}, "rq", NULL);
    node(&g, "DequantizeLinear", (const char *[]){"rq", "as", "az", NULL}, "y", NULL);
    pbw_free(&ax0);
    pbw_free(&pads);
    io(&g, 11, "x", T_F32, 4, xd);
    io(&g, 12, "y", T_F32, 4, xd);
    pbw_str(&g, 2, "residual");
    pbw m = {0};
    onnx_model(&m, &g, 13);
    er_model *out = NULL;
    if (er_model_load_memory(m.d, m.n, NULL, &out) != ER_OK) printf("  load: %s\n", er_last_error());
    pbw_free(&m);
    pbw_free(&g);
    return out;
}

static er_status run_residual(const er_model *m, float *y) {
    int64_t xd[4] = {1, 8, 5, 5};
    float x[200];
    for (int i = 0; i < 200; i++) x[i] = (float)cos(i * 0.61) * 4.0f;
    er_tensor *in = NULL, *out[1] = {NULL};
    er_session *s = NULL;
    er_status st = er_tensor_wrap(ER_F32, 4, xd, x, sizeof x, &in);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)&in, out);
    if (st == ER_OK) memcpy(y, er_tensor_data(out[0]), 200 * sizeof(float));
    er_session_free(s);
    er_tensor_free(in);
    return st;
}

TEST(fuse_qresidual_joins_add_to_conv) {
    er_model *m = residual_model();
    CHECK(m);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    const er_graph *g = s->g;
    int convs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        CHECK_MSG(strcmp(n->op_type, "QAdd") != 0, "the QAdd was not fused");
        if (strcmp(n->op_type, "QConvNhwc") == 0) {
            CHECK_EQ_INT(n->n_in, 14);
            /* the Relu after the add: its clamp starts at the add's zero point */
            CHECK_EQ_INT(er_attr_int(n, "add_activation_min", -1), 0); /* -128 + 128 (uint8) */
            convs++;
        }
    }
    CHECK_EQ_INT(convs, 1);
    er_session_free(s);
    float y0[200], y1[200];
    setenv("EDGERUN_DISABLE_PASSES", "fuse_qresidual", 1);
    er_status st = run_residual(m, y0);
    unsetenv("EDGERUN_DISABLE_PASSES");
    CHECK_STATUS(st, ER_OK);
    CHECK_STATUS(run_residual(m, y1), ER_OK);
    CHECK(memcmp(y0, y1, sizeof y0) == 0);
    int pos = 0;
    for (int i = 0; i < 200; i++) pos += y1[i] > 0;
    CHECK(pos > 20 && pos < 190); /* the Relu clamps some, not all */
    er_model_free(m);
}
