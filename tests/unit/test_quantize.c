/* test_quantize.c - the post-training quantizer (src/passes/quantize.c,
 * quant_search.c) on small models built in memory: what it writes (QDQ
 * with int8 per-channel weights, int32 biases), that edgerun folds all of it
 * into int8 ops, the accuracy of the result, int8 I/O, dynamic and fp16
 * modes, per-layer sensitivity ordering, mixed precision, errors and
 * allocation failures. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/tensor.h"
#include "import/onnx/onnx_export.h"
#include "passes/calibrate.h"
#include "passes/quant_search.h"
#include "passes/quantize.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "support/builder.h"
#include "test.h"

/* ---- an in-memory data set ------------------------------------------------------ */

typedef struct memdata {
    er_dataset ds;
    float *x;
} memdata;

static er_status mem_read(void *ctx, size_t i, float *dst) {
    memdata *m = ctx;
    memcpy(dst, m->x + i * m->ds.sample_floats, m->ds.sample_floats * sizeof(float));
    return ER_OK;
}

static void memdata_init(memdata *m, size_t n, size_t per, unsigned seed, float lo, float hi) {
    m->x = malloc(sizeof(float) * n * per);
    for (size_t i = 0; i < n * per; i++) m->x[i] = lo + (hi - lo) * (float)rand_r(&seed) / (float)RAND_MAX;
    m->ds.n_samples = n;
    m->ds.sample_floats = per;
    m->ds.read = mem_read;
    m->ds.ctx = m;
    m->ds.labels = NULL;
}

/* ---- models ----------------------------------------------------------------------- */

/* Conv+Relu -> MaxPool -> Conv+Clip(0,6) -> GlobalAveragePool -> Flatten ->
 * Gemm: input [N,3,8,8], output [N,5]. */
static er_model *toy_cnn(int64_t opset) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {-1, 3, 8, 8}, w1[4] = {8, 3, 3, 3}, b1[1] = {8}, w2[4] = {8, 8, 3, 3},
            gw[2] = {5, 8}, gb[1] = {5};
    mb_input(&b, "x", ER_F32, 4, xd);
    mb_const_rand(&b, "w1", 4, w1, 1, -0.4f, 0.4f);
    mb_const_rand(&b, "b1", 1, b1, 2, -0.1f, 0.2f);
    mb_const_rand(&b, "w2", 4, w2, 3, -0.3f, 0.3f);
    mb_const_rand(&b, "b2", 1, b1, 4, -0.1f, 0.1f);
    mb_const_rand(&b, "gw", 2, gw, 5, -1.0f, 1.0f);
    mb_const_rand(&b, "gb", 1, gb, 6, -0.5f, 0.5f);
    float lo = 0, hi = 6;
    mb_const(&b, "clip_lo", ER_F32, 0, NULL, &lo);
    mb_const(&b, "clip_hi", ER_F32, 0, NULL, &hi);
    pbw at = {0};
    int64_t pads[4] = {1, 1, 1, 1}, k2[2] = {2, 2};
    onnx_attr_ints(&at, "pads", 4, pads);
    mb_node(&b, "Conv", "conv1", MB_IO("x", "w1", "b1"), MB_IO("c1"), &at);
    mb_node(&b, "Relu", "relu1", MB_IO("c1"), MB_IO("r1"), NULL);
    pbw pa = {0};
    onnx_attr_ints(&pa, "kernel_shape", 2, k2);
    onnx_attr_ints(&pa, "strides", 2, k2);
    mb_node(&b, "MaxPool", "pool", MB_IO("r1"), MB_IO("p1"), &pa);
    mb_node(&b, "Conv", "conv2", MB_IO("p1", "w2", "b2"), MB_IO("c2"), &at);
    if (opset >= 11) mb_node(&b, "Clip", "clip2", MB_IO("c2", "clip_lo", "clip_hi"), MB_IO("r2"), NULL);
    else mb_node(&b, "Relu", "clip2", MB_IO("c2"), MB_IO("r2"), NULL);
    mb_node(&b, "GlobalAveragePool", "gap", MB_IO("r2"), MB_IO("g"), NULL);
    mb_node(&b, "Flatten", "flat", MB_IO("g"), MB_IO("f"), NULL);
    pbw ga = {0};
    onnx_attr_int(&ga, "transB", 1);
    mb_node(&b, "Gemm", "fc", MB_IO("f", "gw", "gb"), MB_IO("y"), &ga);
    pbw_free(&at);
    pbw_free(&pa);
    pbw_free(&ga);
    mb_output(&b, "y");
    return mb_load(&b, opset);
}

/* Calibrates m on d (all methods need the histogram pass) and fills
 * per-value ranges for `method`. */
static int calibrate(const er_model *m, const er_dataset *d, er_calib_method method, float **lo,
                     float **hi) {
    er_calib *c;
    if (er_calib_create(m->graph->n_values, &c) != ER_OK) return 0;
    if (er_calibrate(m, d, d->n_samples, 16, 1, true, c, NULL, NULL) != ER_OK) {
        printf("  calibrate: %s\n", er_last_error());
        er_calib_free(c);
        return 0;
    }
    int nv = m->graph->n_values;
    *lo = malloc(sizeof(float) * (size_t)nv);
    *hi = malloc(sizeof(float) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        (*lo)[v] = (*hi)[v] = NAN;
        if (c->stats[v].seen) er_calib_choose(&c->stats[v], method, 99.99, &(*lo)[v], &(*hi)[v]);
    }
    er_calib_free(c);
    return 1;
}

/* Number of nodes of type `op` (or its NHWC form `<op>Nhwc`, which the
 * layout pass makes of convolutions and pools) in the graph an optimized
 * session runs. */
static int count_planned(const er_model *m, const char *op) {
    er_session *s;
    if (er_session_create(m, NULL, &s) != ER_OK) {
        printf("  session: %s\n", er_last_error());
        return -1;
    }
    int n = 0;
    char nhwc[64];
    snprintf(nhwc, sizeof nhwc, "%sNhwc", op);
    for (int i = 0; i < s->g->n_nodes; i++)
        n += strcmp(s->g->nodes[i].op_type, op) == 0 || strcmp(s->g->nodes[i].op_type, nhwc) == 0;
    er_session_free(s);
    return n;
}

static int count_nodes(const er_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += strcmp(g->nodes[i].op_type, op) == 0;
    return n;
}

static er_model *quantize(const er_qanalysis *a, const er_quant_config *cfg) {
    er_graph *g;
    if (er_quantize_graph(a, cfg, &g, NULL) != ER_OK) {
        printf("  quantize: %s\n", er_last_error());
        return NULL;
    }
    er_model *q;
    if (er_quant_model(g, "quantized", &q) != ER_OK) return NULL;
    return q;
}

/* ---- tests ---------------------------------------------------------------------------- */

TEST(quantize_toy_cnn_int8_every_method) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    memdata cal, val;
    memdata_init(&cal, 64, 3 * 64, 10, 0, 1);
    memdata_init(&val, 48, 3 * 64, 11, 0, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    CHECK_EQ_INT(a->n_units, 4); /* conv1+relu, conv2+clip, gap, fc */
    CHECK(strstr(er_quant_unit_label(a, 0), "conv1 (Conv+Relu)"));
    CHECK(strstr(er_quant_unit_label(a, 1), "conv2 (Conv+Clip)"));
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &val.ds, 48, 16, 1, &ev, NULL, NULL), ER_OK);
    for (int method = 0; method < 4; method++) {
        float *lo, *hi;
        CHECK(calibrate(m, &cal.ds, (er_calib_method)method, &lo, &hi));
        er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi};
        er_model *q = quantize(a, &cfg);
        free(lo);
        free(hi);
        CHECK(q);
        const er_graph *g = q->graph;
        /* what was written: int8 weights per channel, int32 biases, Q/DQ */
        int w1 = er_graph_find(g, "w1_quantized"), b1 = er_graph_find(g, "b1_quantized");
        CHECK(w1 >= 0 && g->values[w1].dtype == ER_I8 && g->values[w1].data);
        CHECK(b1 >= 0 && g->values[b1].dtype == ER_I32);
        int ws = er_graph_find(g, "w1_scale");
        CHECK(ws >= 0 && g->values[ws].rank == 1 && g->values[ws].dims[0] == 8);
        const int8_t *wq = g->values[w1].data;
        int maxabs = 0;
        for (int i = 0; i < 8 * 27; i++) maxabs = abs(wq[i]) > maxabs ? abs(wq[i]) : maxabs;
        CHECK_EQ_INT(maxabs, 127); /* symmetric: every channel's extreme maps to +-127 */
        CHECK(count_nodes(g, "QuantizeLinear") >= 5);
        CHECK_EQ_INT(count_nodes(g, "Conv"), 2);
        /* what runs: everything folded into edgerun int8 ops */
        CHECK_EQ_INT(count_planned(q, "QConv"), 2);
        CHECK_EQ_INT(count_planned(q, "QMaxPool"), 1);
        CHECK_EQ_INT(count_planned(q, "QGlobalAveragePool"), 1);
        CHECK_EQ_INT(count_planned(q, "QGemm"), 1);
        CHECK_EQ_INT(count_planned(q, "Conv") + count_planned(q, "ConvNhwc"), 0);
        er_qeval_result r;
        CHECK_STATUS(er_qeval_run(&ev, q, &r), ER_OK);
        CHECK_MSG(r.nmse < 2e-3, "%s: NMSE %g", er_calib_method_name((er_calib_method)method),
                  r.nmse);
        CHECK_MSG(r.agree >= 0.9, "%s: top-1 agreement %g",
                  er_calib_method_name((er_calib_method)method), r.agree);
        /* the file we write runs bit for bit like the graph in memory */
        void *buf;
        size_t n;
        CHECK_STATUS(er_onnx_export_memory(q->graph, &buf, &n), ER_OK);
        er_model *r2;
        CHECK_STATUS(er_model_load_memory(buf, n, NULL, &r2), ER_OK);
        er_free(buf);
        er_qeval_result rr;
        CHECK_STATUS(er_qeval_run(&ev, r2, &rr), ER_OK);
        CHECK(rr.nmse == r.nmse && rr.agree == r.agree);
        er_model_free(r2);
        er_model_free(q);
    }
    er_qeval_free(&ev);
    er_quant_analysis_free(a);
    free(cal.x);
    free(val.x);
    er_model_free(m);
}

TEST(quantize_int8_io) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    memdata cal;
    memdata_init(&cal, 32, 3 * 64, 12, 0, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    float *lo, *hi;
    CHECK(calibrate(m, &cal.ds, ER_CALIB_MINMAX, &lo, &hi));
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi};
    er_model *qf = quantize(a, &cfg);
    cfg.int8_io = true;
    er_model *qi = quantize(a, &cfg);
    free(lo);
    free(hi);
    CHECK(qf && qi);
    er_dtype dt;
    CHECK_STATUS(er_model_input_info(qi, 0, &dt, NULL, NULL), ER_OK);
    CHECK_EQ_INT(dt, ER_U8);
    CHECK_STATUS(er_model_output_info(qi, 0, &dt, NULL, NULL), ER_OK);
    CHECK_EQ_INT(dt, ER_U8);
    CHECK(strcmp(er_model_input_name(qi, 0), "x") == 0);
    CHECK(strcmp(er_model_output_name(qi, 0), "y") == 0);
    /* the input's parameters are on the DequantizeLinear reading it */
    const er_graph *g = qi->graph;
    float xs = *(const float *)g->values[er_graph_find(g, "x_scale")].data;
    uint8_t xz = *(const uint8_t *)g->values[er_graph_find(g, "x_zero_point")].data;
    float ys = *(const float *)g->values[er_graph_find(g, "y_scale")].data;
    uint8_t yz = *(const uint8_t *)g->values[er_graph_find(g, "y_zero_point")].data;
    /* ... and recorded on the input and output values, also in the native form */
    const er_quant *iq = g->values[g->inputs[0]].quant, *oq = g->values[g->outputs[0]].quant;
    CHECK(iq && iq->n == 1 && iq->scale[0] == xs && iq->zero_point[0] == xz);
    CHECK(oq && oq->n == 1 && oq->scale[0] == ys && oq->zero_point[0] == yz);
    er_graph *nat;
    CHECK_STATUS(er_quant_fold_native(g, &nat), ER_OK);
    iq = nat->values[nat->inputs[0]].quant;
    CHECK(iq && iq->scale[0] == xs && iq->zero_point[0] == xz);
    er_graph_free(nat);
    int64_t d[4] = {2, 3, 8, 8};
    er_tensor *xf, *xq, *yf, *yq;
    CHECK_STATUS(er_tensor_wrap(ER_F32, 4, d, cal.x, sizeof(float) * 2 * 192, &xf), ER_OK);
    CHECK_STATUS(er_tensor_create(ER_U8, 4, d, &xq), ER_OK);
    uint8_t *q8 = er_tensor_data(xq);
    for (int i = 0; i < 2 * 192; i++) {
        float r = rintf(cal.x[i] / xs) + xz;
        q8[i] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
    er_session *sf, *si;
    CHECK_STATUS(er_session_create(qf, NULL, &sf), ER_OK);
    CHECK_STATUS(er_session_create(qi, NULL, &si), ER_OK);
    CHECK_STATUS(er_session_run(sf, (const er_tensor *const *)&xf, &yf), ER_OK);
    CHECK_STATUS(er_session_run(si, (const er_tensor *const *)&xq, &yq), ER_OK);
    const float *fv = er_tensor_data(yf);
    const uint8_t *iv = er_tensor_data(yq);
    for (int i = 0; i < 10; i++) /* the same integers, with or without the float ends */
        CHECK_MSG(fv[i] == ys * ((float)iv[i] - (float)yz), "y[%d]: %g vs %g", i, fv[i],
                  ys * ((float)iv[i] - (float)yz));
    er_session_free(sf);
    er_session_free(si);
    er_tensor_free(xf);
    er_tensor_free(xq);
    er_model_free(qf);
    er_model_free(qi);
    er_quant_analysis_free(a);
    free(cal.x);
    er_model_free(m);
}

TEST(quantize_dynamic_and_fp16) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    memdata val;
    memdata_init(&val, 32, 3 * 64, 13, 0, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &val.ds, 32, 8, 1, &ev, NULL, NULL), ER_OK);
    er_quant_config cfg = {.mode = ER_QMODE_DYNAMIC};
    int nq;
    er_graph *g;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, &nq), ER_OK);
    CHECK_EQ_INT(nq, 3); /* two convolutions and the Gemm */
    CHECK_EQ_INT(count_nodes(g, "ConvInteger"), 2);
    CHECK_EQ_INT(count_nodes(g, "MatMulInteger"), 1);
    CHECK_EQ_INT(count_nodes(g, "DynamicQuantizeLinear"), 3);
    er_model *q;
    CHECK_STATUS(er_quant_model(g, "dyn", &q), ER_OK);
    er_qeval_result r;
    CHECK_STATUS(er_qeval_run(&ev, q, &r), ER_OK);
    CHECK_MSG(r.nmse < 2e-3, "dynamic: NMSE %g", r.nmse);
    er_model_free(q);
    cfg.mode = ER_QMODE_FP16;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, &nq), ER_OK);
    CHECK_EQ_INT(nq, 3); /* w1, w2, gw; the biases and bounds (< 16 values) stay float32 */
    int w = er_graph_find(g, "w1_fp16");
    CHECK(w >= 0 && g->values[w].dtype == ER_F16);
    CHECK_EQ_INT(count_nodes(g, "Cast"), 3);
    CHECK_STATUS(er_quant_model(g, "fp16", &q), ER_OK);
    CHECK_STATUS(er_qeval_run(&ev, q, &r), ER_OK);
    CHECK_MSG(r.nmse < 1e-5 && r.agree >= 0.95, "fp16: NMSE %g", r.nmse);
    er_model_free(q);
    er_qeval_free(&ev);
    er_quant_analysis_free(a);
    free(val.x);
    er_model_free(m);
}

/* x -> Gemm1 (one output column 1000x the others) -> Sin -> Gemm2: the
 * huge column makes Gemm1's output scale coarse, so quantizing Gemm1 loses
 * the small columns that Sin turns into everything Gemm2 sees; quantizing
 * Gemm2 alone (its input is Sin's output, in [-1, 1]) costs little. */
static er_model *sensitive_model(void) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {-1, 16}, w1d[2] = {16, 16}, w2d[2] = {16, 4};
    mb_input(&b, "x", ER_F32, 2, xd);
    float w1[256];
    unsigned seed = 21;
    for (int i = 0; i < 256; i++) w1[i] = (float)rand_r(&seed) / (float)RAND_MAX * 2 - 1;
    for (int r = 0; r < 16; r++) w1[r * 16 + 15] *= 1000.0f; /* column 15 */
    mb_const(&b, "w1", ER_F32, 2, w1d, w1);
    float w2[64];
    for (int i = 0; i < 64; i++) w2[i] = i / 4 == 15 ? 0.0f : (float)rand_r(&seed) / (float)RAND_MAX - 0.5f;
    mb_const(&b, "w2", ER_F32, 2, w2d, w2);
    mb_node(&b, "Gemm", "gemm1", MB_IO("x", "w1"), MB_IO("h"), NULL);
    mb_node(&b, "Sin", "sin", MB_IO("h"), MB_IO("s"), NULL);
    mb_node(&b, "Gemm", "gemm2", MB_IO("s", "w2"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    return mb_load(&b, 13);
}

TEST(quantize_sensitivity_and_mixed_precision) {
    er_model *m = sensitive_model();
    CHECK(m);
    memdata cal;
    memdata_init(&cal, 200, 16, 22, -1, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    CHECK_EQ_INT(a->n_units, 2);
    float *lo, *hi;
    CHECK(calibrate(m, &cal.ds, ER_CALIB_MINMAX, &lo, &hi));
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi};
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &cal.ds, 200, 50, 1, &ev, NULL, NULL), ER_OK);
    er_qeval_result sens[2];
    CHECK_STATUS(er_quant_sensitivity(a, &cfg, &ev, sens, NULL, NULL), ER_OK);
    int u1 = a->unit_of[0], u2 = a->unit_of[2];
    CHECK(u1 >= 0 && u2 >= 0);
    CHECK_MSG(sens[u1].nmse > 10 * sens[u2].nmse, "gemm1 %g, gemm2 %g", sens[u1].nmse,
              sens[u2].nmse);
    CHECK(sens[u1].agree < sens[u2].agree);
    /* all int8 misses a 2-point bound; gemm1 goes back to float, gemm2 stays */
    bool fl[2] = {false, false};
    er_qeval_result fin;
    CHECK_STATUS(er_quant_mixed(a, &cfg, &ev, sens, 100.0, fl, &fin, NULL, NULL), ER_OK);
    CHECK(!fl[0] && !fl[1]); /* a loose bound keeps everything int8 */
    CHECK_STATUS(er_quant_mixed(a, &cfg, &ev, sens, 2.0, fl, &fin, NULL, NULL), ER_OK);
    CHECK_MSG(fl[u1] && !fl[u2], "float: gemm1 %d gemm2 %d", fl[u1], fl[u2]);
    CHECK_MSG(fin.drop <= 2.0, "drop %g", fin.drop);
    /* the mixed graph: gemm1 float (reads x directly), gemm2 quantized */
    cfg.unit_float = fl;
    er_model *q = quantize(a, &cfg);
    CHECK(q);
    CHECK_EQ_INT(count_planned(q, "QGemm"), 1);
    er_qeval_result r;
    CHECK_STATUS(er_qeval_run(&ev, q, &r), ER_OK);
    CHECK(r.drop == fin.drop);
    er_model_free(q);
    cfg.unit_float = NULL;
    /* a unit forced to float stays float even under a loose bound */
    bool forced[2] = {false, false};
    forced[u2] = true;
    CHECK_STATUS(er_quant_mixed(a, &cfg, &ev, sens, 100.0, forced, &fin, NULL, NULL), ER_OK);
    CHECK(forced[u2] && !forced[u1]);

    er_qeval_free(&ev);
    free(lo);
    free(hi);
    er_quant_analysis_free(a);
    free(cal.x);
    er_model_free(m);
}

/* MatMul + bias Add + Relu, Add and Mul of activations, Mul by a constant,
 * Concat with a constant, Reshape: every unit kind folds. */
TEST(quantize_matmul_add_mul_concat) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {4, 6}, wd[2] = {6, 6}, bd[1] = {6}, cd[2] = {4, 6}, sd[1] = {3};
    mb_input(&b, "x", ER_F32, 2, xd);
    mb_const_rand(&b, "w", 2, wd, 31, -1, 1);
    mb_const_rand(&b, "bias", 1, bd, 32, -0.2f, 0.2f);
    mb_const_rand(&b, "k", 2, cd, 33, 0.5f, 1.5f);
    int64_t shape[3] = {4, 3, 6};
    mb_const(&b, "shape", ER_I64, 1, sd, shape);
    mb_node(&b, "MatMul", "mm", MB_IO("x", "w"), MB_IO("m"), NULL);
    mb_node(&b, "Add", "bias_add", MB_IO("m", "bias"), MB_IO("mb"), NULL);
    mb_node(&b, "Relu", "relu", MB_IO("mb"), MB_IO("r"), NULL);
    mb_node(&b, "Add", "add", MB_IO("r", "x"), MB_IO("a"), NULL);
    mb_node(&b, "Mul", "mul", MB_IO("a", "k"), MB_IO("p"), NULL);
    pbw at = {0};
    onnx_attr_int(&at, "axis", 1);
    mb_node(&b, "Concat", "cat", MB_IO("p", "a", "k"), MB_IO("c"), &at);
    pbw_free(&at);
    mb_node(&b, "Reshape", "reshape", MB_IO("c", "shape"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    CHECK(m);
    memdata cal;
    memdata_init(&cal, 64, 6, 34, -1, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    CHECK_EQ_INT(a->n_units, 4); /* mm+add+relu, add, mul, concat */
    CHECK(strstr(er_quant_unit_label(a, 0), "(MatMul+Add+Relu)"));
    float *lo, *hi;
    CHECK(calibrate(m, &cal.ds, ER_CALIB_MINMAX, &lo, &hi));
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi, .act_dtype = ER_I8};
    er_model *q = quantize(a, &cfg);
    CHECK(q);
    CHECK_EQ_INT(count_planned(q, "QMatMul"), 1);
    CHECK_EQ_INT(count_planned(q, "QAdd"), 1);
    CHECK_EQ_INT(count_planned(q, "QMul"), 1);
    CHECK_EQ_INT(count_planned(q, "QConcat"), 1);
    CHECK_EQ_INT(count_planned(q, "Add") + count_planned(q, "Mul") + count_planned(q, "MatMul"), 0);
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &cal.ds, 64, 16, 1, &ev, NULL, NULL), ER_OK);
    er_qeval_result r;
    CHECK_STATUS(er_qeval_run(&ev, q, &r), ER_OK);
    CHECK_MSG(r.nmse < 1e-3, "NMSE %g", r.nmse);
    /* int8 activations: the zero points are int8 */
    int z = er_graph_find(q->graph, "x_zero_point");
    CHECK(z >= 0 && q->graph->values[z].dtype == ER_I8);
    er_qeval_free(&ev);
    er_model_free(q);
    free(lo);
    free(hi);
    er_quant_analysis_free(a);
    free(cal.x);
    er_model_free(m);
}

TEST(quantize_errors_and_oom) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    int nv = m->graph->n_values;
    float *lo = malloc(sizeof(float) * (size_t)nv), *hi = malloc(sizeof(float) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        lo[v] = 0;
        hi[v] = 1;
    }
    lo[er_graph_find(m->graph, "r2")] = NAN; /* never calibrated */
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi};
    er_graph *g = NULL;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, NULL), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("'r2' has no calibration range");
    CHECK(g == NULL);
    cfg.act_dtype = ER_I32;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, NULL), ER_ERR_INVALID_ARG);
    cfg.act_dtype = ER_U8;
    lo[er_graph_find(m->graph, "r2")] = 0;
    /* out of memory at every allocation: a clean error, then success */
    for (long k = 0;; k++) {
        er_alloc_fail_after(k);
        er_status st = er_quantize_graph(a, &cfg, &g, NULL);
        er_alloc_fail_after(-1);
        if (st == ER_OK) break;
        CHECK_STATUS(st, ER_ERR_NOMEM);
        CHECK(g == NULL && k < 100000);
    }
    er_graph_free(g);
    er_quant_analysis_free(a);
    er_model_free(m);
    /* opset 9 has no QuantizeLinear */
    m = toy_cnn(9);
    CHECK(m);
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, NULL), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("opset >= 10");
    cfg.mode = ER_QMODE_DYNAMIC;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, NULL), ER_ERR_UNSUPPORTED);
    er_quant_analysis_free(a);
    er_model_free(m);
    /* opset 11: per-tensor weights (no per-axis DequantizeLinear before 13) */
    m = toy_cnn(11);
    CHECK(m);
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    cfg.mode = ER_QMODE_INT8;
    CHECK_STATUS(er_quantize_graph(a, &cfg, &g, NULL), ER_OK);
    int ws = er_graph_find(g, "w1_scale");
    CHECK(ws >= 0 && g->values[ws].rank == 0);
    er_model *q;
    CHECK_STATUS(er_quant_model(g, "q11", &q), ER_OK);
    CHECK_EQ_INT(count_planned(q, "QConv"), 2);
    er_model_free(q);
    er_quant_analysis_free(a);
    er_model_free(m);
    free(lo);
    free(hi);
}

/* The native form (`quantize -o X.erm`): folded int8 ops, only used values,
 * the same outputs as the QDQ graph; through er_model_save / load as .erm. */
TEST(quantize_native_form_erm) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    memdata cal;
    memdata_init(&cal, 32, 3 * 64, 41, 0, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    float *lo, *hi;
    CHECK(calibrate(m, &cal.ds, ER_CALIB_PERCENTILE, &lo, &hi));
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi};
    er_model *q = quantize(a, &cfg);
    CHECK(q);
    er_graph *f;
    CHECK_STATUS(er_quant_fold_native(q->graph, &f), ER_OK);
    CHECK_EQ_INT(count_nodes(f, "QConv"), 2);
    CHECK_EQ_INT(count_nodes(f, "QGemm"), 1);
    CHECK_EQ_INT(count_nodes(f, "DequantizeLinear"), 1); /* the float output only */
    CHECK_MSG(f->n_values < q->graph->n_values * 2 / 3, "%d values, QDQ %d", f->n_values,
              q->graph->n_values);
    er_model *nf;
    CHECK_STATUS(er_quant_model(f, "native", &nf), ER_OK);
    char path[] = "/tmp/er_native_XXXXXX.erm";
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save(nf, path), ER_OK);
    er_model *back = NULL;
    er_status st = er_model_load(path, &back);
    remove(path);
    CHECK_STATUS(st, ER_OK);
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &cal.ds, 32, 8, 1, &ev, NULL, NULL), ER_OK);
    er_qeval_result r1, r2, r3;
    CHECK_STATUS(er_qeval_run(&ev, q, &r1), ER_OK);
    CHECK_STATUS(er_qeval_run(&ev, nf, &r2), ER_OK);
    CHECK_STATUS(er_qeval_run(&ev, back, &r3), ER_OK);
    CHECK_MSG(r1.nmse == r2.nmse && r2.nmse == r3.nmse, "%g %g %g", r1.nmse, r2.nmse, r3.nmse);
    er_qeval_free(&ev);
    er_model_free(back);
    er_model_free(nf);
    er_model_free(q);
    free(lo);
    free(hi);
    er_quant_analysis_free(a);
    free(cal.x);
    er_model_free(m);
}

/* Bias correction: each weight layer's bias absorbs the mean error of its
 * rounded weights, measured by the calibration channel means; on data like
 * the calibration data the output error and its mean shrink. A Gemm without
 * a bias gets one. */
TEST(quantize_bias_correction) {
    er_model *m = toy_cnn(13);
    CHECK(m);
    memdata cal;
    memdata_init(&cal, 64, 3 * 64, 51, 0, 1);
    er_qanalysis *a;
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    er_calib *c;
    CHECK_STATUS(er_calib_create(m->graph->n_values, &c), ER_OK);
    CHECK_STATUS(er_calibrate(m, &cal.ds, 64, 16, 1, false, c, NULL, NULL), ER_OK);
    int x = er_graph_find(m->graph, "x");
    CHECK_EQ_INT(c->stats[x].n_ch, 3);
    double mean0 = 0;
    for (int i = 0; i < 64; i++)
        for (int k = 0; k < 64; k++) mean0 += cal.x[i * 192 + k];
    CHECK(fabs(er_calib_channel_mean(c, x, 0) - mean0 / (64 * 64)) < 1e-9);
    CHECK(isnan(er_calib_channel_mean(c, x, 3)));
    int nv = m->graph->n_values;
    float *lo = malloc(sizeof(float) * (size_t)nv), *hi = malloc(sizeof(float) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        lo[v] = hi[v] = NAN;
        if (c->stats[v].seen) er_calib_choose(&c->stats[v], ER_CALIB_MINMAX, 99.99, &lo[v], &hi[v]);
    }
    er_qeval ev;
    CHECK_STATUS(er_qeval_init(m, &cal.ds, 64, 16, 1, &ev, NULL, NULL), ER_OK);
    er_quant_config cfg = {.mode = ER_QMODE_INT8, .lo = lo, .hi = hi, .calib = c};
    er_qeval_result r0, r1;
    er_model *q0 = quantize(a, &cfg);
    cfg.bias_correction = true;
    er_model *q1 = quantize(a, &cfg);
    CHECK(q0 && q1);
    CHECK_STATUS(er_qeval_run(&ev, q0, &r0), ER_OK);
    CHECK_STATUS(er_qeval_run(&ev, q1, &r1), ER_OK);
    CHECK_MSG(r1.nmse < r0.nmse, "NMSE with correction %g, without %g", r1.nmse, r0.nmse);
    /* the corrected biases differ from the plain ones, and fold as before */
    const er_graph *g0 = q0->graph, *g1 = q1->graph;
    int b0 = er_graph_find(g0, "b1_quantized"), b1 = er_graph_find(g1, "b1_quantized");
    CHECK(b0 >= 0 && b1 >= 0);
    CHECK(memcmp(g0->values[b0].data, g1->values[b1].data, 8 * sizeof(int32_t)) != 0);
    CHECK_EQ_INT(count_planned(q1, "QConv"), 2);
    er_model_free(q0);
    er_model_free(q1);
    er_qeval_free(&ev);
    er_quant_analysis_free(a);
    er_model_free(m);
    /* a Gemm without a bias gets one */
    m = sensitive_model();
    CHECK(m);
    memdata d2;
    memdata_init(&d2, 32, 16, 52, 0, 1);
    CHECK_STATUS(er_quant_analyze(m, &a), ER_OK);
    er_calib *c2;
    CHECK_STATUS(er_calib_create(m->graph->n_values, &c2), ER_OK);
    CHECK_STATUS(er_calibrate(m, &d2.ds, 32, 8, 1, false, c2, NULL, NULL), ER_OK);
    nv = m->graph->n_values;
    float *lo2 = malloc(sizeof(float) * (size_t)nv), *hi2 = malloc(sizeof(float) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        lo2[v] = hi2[v] = NAN;
        if (c2->stats[v].seen) er_calib_choose(&c2->stats[v], ER_CALIB_MINMAX, 99.99, &lo2[v], &hi2[v]);
    }
    er_quant_config cfg2 = {.mode = ER_QMODE_INT8, .lo = lo2, .hi = hi2, .calib = c2,
                            .bias_correction = true};
    er_model *q2 = quantize(a, &cfg2);
    CHECK(q2);
    int gemm_inputs = -1;
    for (int i = 0; i < q2->graph->n_nodes; i++)
        if (strcmp(q2->graph->nodes[i].name, "gemm2") == 0) gemm_inputs = q2->graph->nodes[i].n_in;
    CHECK_EQ_INT(gemm_inputs, 3);
    CHECK_EQ_INT(count_planned(q2, "QGemm"), 2);
    er_model_free(q2);
    er_quant_analysis_free(a);
    er_model_free(m);
    er_calib_free(c);
    er_calib_free(c2);
    free(lo);
    free(hi);
    free(lo2);
    free(hi2);
    free(cal.x);
    free(d2.x);
}
