/* test_tflite_quant.c - full-integer TFLite models: quantization parameters
 * land in er_value.quant, the graph is QDQ (DequantizeLinear -> float op ->
 * QuantizeLinear), data movement on int8 is exact, and a conv + FC network
 * agrees with TFLite's integer arithmetic (int32 accumulation, requantize
 * with rounding) to within one quantization step at the output. */
#include <math.h>
#include <stdlib.h>

#include "runtime/model.h"
#include "support/tflite_models.h"
#include "test.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static int32_t sat8(double v) { return v < -128 ? -128 : v > 127 ? 127 : (int32_t)v; }
/* TFLite rounds half away from zero */
static double round_away(double v) { return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5); }

TEST(tflite_int8_params_and_qdq_graph) {
    tflw w;
    tflm_int8_cnn(&w);
    er_model *m = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &m), ER_OK);
    const er_graph *g = m->graph;
    const er_value *cw = &g->values[er_graph_find(g, "conv/w")];
    CHECK(cw->dtype == ER_I8 && cw->quant && cw->quant->n == 3 && cw->quant->axis == 0);
    CHECK(cw->quant->scale[1] == 0.02f && cw->quant->zero_point[2] == 0);
    const er_value *xq = &g->values[er_graph_find(g, "input_q")];
    CHECK(xq->quant && xq->quant->n == 1 && xq->quant->axis == -1 &&
          xq->quant->scale[0] == 0.02f && xq->quant->zero_point[0] == -3);
    int dq = 0, q = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        dq += strcmp(g->nodes[i].op_type, "DequantizeLinear") == 0;
        q += strcmp(g->nodes[i].op_type, "QuantizeLinear") == 0;
    }
    CHECK_MSG(dq >= 6 && q >= 4, "%d DequantizeLinear, %d QuantizeLinear", dq, q);
    /* the permuted conv weights stay int8 with their per-channel axis */
    const er_value *pw = &g->values[er_graph_find(g, "conv/w:permuted")];
    CHECK(pw->dtype == ER_I8 && pw->quant && pw->quant->axis == 0 && pw->dims[1] == 2);
    er_model_free(m);
    tflw_free(&w);
}

TEST(tflite_int8_cnn_matches_integer_arithmetic) {
    /* the model of tflite_models.c, recomputed the way TFLite's int8 kernels do */
    tflw w;
    tflm_int8_cnn(&w);
    float x[72];
    for (int i = 0; i < 72; i++) x[i] = (float)sin(i * 0.7) * 1.7f;
    int8_t wc[54], wf[108];
    int32_t bc[3], bfc[4];
    for (int i = 0; i < 54; i++) wc[i] = (int8_t)((int)(i * 37 % 255) - 127);
    for (int i = 0; i < 108; i++) wf[i] = (int8_t)((int)(i * 53 % 201) - 100);
    for (int i = 0; i < 3; i++) bc[i] = (i - 1) * 150;
    for (int i = 0; i < 4; i++) bfc[i] = (i - 2) * 900;
    const float ws[3] = {0.01f, 0.02f, 0.015f};
    int32_t xq[72], cq[6 * 6 * 3], pq[27];
    for (int i = 0; i < 72; i++) xq[i] = sat8(round_away(x[i] / 0.02) - 3);
    for (int h = 0; h < 6; h++)
        for (int ww = 0; ww < 6; ww++)
            for (int o = 0; o < 3; o++) {
                int64_t acc = bc[o];
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++) {
                        int ih = h - 1 + kh, iw = ww - 1 + kw; /* SAME, k=3, s=1 */
                        if (ih < 0 || ih >= 6 || iw < 0 || iw >= 6) continue;
                        for (int c = 0; c < 2; c++)
                            acc += (int64_t)(xq[(ih * 6 + iw) * 2 + c] + 3) *
                                   wc[((o * 3 + kh) * 3 + kw) * 2 + c];
                    }
                double real = (double)acc * 0.02 * ws[o];
                int32_t v = sat8(round_away(real / 0.03) - 128);
                cq[(h * 6 + ww) * 3 + o] = v < -128 ? -128 : v; /* RELU: >= zero point */
            }
    for (int h = 0; h < 3; h++)
        for (int ww = 0; ww < 3; ww++)
            for (int c = 0; c < 3; c++) {
                int32_t mx = -128;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) {
                        int32_t v = cq[((2 * h + i) * 6 + 2 * ww + j) * 3 + c];
                        if (v > mx) mx = v;
                    }
                pq[(h * 3 + ww) * 3 + c] = mx;
            }
    float want[4];
    for (int o = 0; o < 4; o++) {
        int64_t acc = bfc[o];
        for (int k = 0; k < 27; k++) acc += (int64_t)(pq[k] + 128) * wf[o * 27 + k];
        int32_t fq = sat8(round_away((double)acc * 0.03 * 0.01 / 0.05) + 2);
        want[o] = (float)(fq - 2) * 0.05f;
    }
    float *y;
    size_t n;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){x}, 0, &y, &n), ER_OK);
    CHECK_EQ_INT(n, 4);
    int exact = 0;
    for (int o = 0; o < 4; o++) {
        CHECK_MSG(fabsf(y[o] - want[o]) <= 0.05f * 1.01f, "output %d: %g, TFLite arithmetic %g",
                  o, y[o], want[o]);
        exact += y[o] == want[o];
    }
    printf("  int8 cnn: %d of 4 outputs bit-exact with TFLite's integer arithmetic\n", exact);
    free(y);
    tflw_free(&w);
}

TEST(tflite_int8_data_movement_is_exact) {
    /* int8 in -> MAX_POOL_2D -> TRANSPOSE -> RESHAPE -> CONCATENATION -> int8 out,
     * all with the same scale/zero point: QDQ must reproduce the bytes */
    tflw_quant q = {1, (const float[]){0.0173f}, (const int64_t[]){7}, 0};
    tflw w;
    tflw_init(&w);
    static const int32_t perm[4] = {0, 3, 1, 2}, shape[2] = {1, 8};
    int x = tflw_tensor_q(&w, "x", TFLW_I8, 4, I32S(1, 4, 4, 2), NULL, 0, &q);
    int p = tflw_tensor_q(&w, "pool", TFLW_I8, 4, I32S(1, 2, 2, 2), NULL, 0, &q);
    int tp = tflw_tensor(&w, "perm", TFLW_I32, 1, I32S(4), perm, sizeof perm);
    int t = tflw_tensor_q(&w, "t", TFLW_I8, 4, I32S(1, 2, 2, 2), NULL, 0, &q);
    int ts = tflw_tensor(&w, "shape", TFLW_I32, 1, I32S(2), shape, sizeof shape);
    int r = tflw_tensor_q(&w, "r", TFLW_I8, 2, I32S(1, 8), NULL, 0, &q);
    int y = tflw_tensor_q(&w, "y", TFLW_I8, 2, I32S(1, 16), NULL, 0, &q);
    fbw_field po[] = {FBW_U8(0, 1), FBW_I32(1, 2), FBW_I32(2, 2), FBW_I32(3, 2), FBW_I32(4, 2)};
    tflw_op(&w, 17, NULL, 1, &x, 1, &p, 5, fbw_table(&w.b, 5, po));
    tflw_op(&w, 39, NULL, 2, (int[]){p, tp}, 1, &t, 0, 0);
    tflw_op(&w, 22, NULL, 2, (int[]){t, ts}, 1, &r, 0, 0);
    fbw_field co[] = {FBW_I32(0, 1)};
    tflw_op(&w, 2, NULL, 2, (int[]){r, r}, 1, &y, 10, fbw_table(&w.b, 1, co));
    tflw_finish(&w, 1, &x, 1, &y);
    int8_t in[32];
    for (int i = 0; i < 32; i++) in[i] = (int8_t)(i * 29 % 256 - 128);
    int8_t want[16];
    for (int c = 0; c < 2; c++)
        for (int h = 0; h < 2; h++)
            for (int ww = 0; ww < 2; ww++) {
                int8_t mx = -128;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) {
                        int8_t v = in[((2 * h + i) * 4 + 2 * ww + j) * 2 + c];
                        if (v > mx) mx = v;
                    }
                want[(c * 2 + h) * 2 + ww] = mx;
                want[8 + (c * 2 + h) * 2 + ww] = mx;
            }
    float *out;
    size_t n;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){in}, 0, &out, &n), ER_OK);
    CHECK_EQ_INT(n, 16);
    for (int i = 0; i < 16; i++)
        CHECK_MSG(out[i] == (float)want[i], "y[%d] = %g, want %d", i, out[i], want[i]);
    free(out);
    tflw_free(&w);
}
