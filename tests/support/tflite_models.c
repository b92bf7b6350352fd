/* tflite_models.c - TFLite test models (see tflite_models.h). Weights come
 * from a fixed LCG so every build writes identical bytes. */
#include "tflite_models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"

static void fill(float *a, size_t n, unsigned seed) {
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = ((float)(s >> 8) / 16777216.0f) * 2.0f - 1.0f;
    }
}

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static void small_cnn(tflw *w, int external) {
    static float w1[4 * 3 * 3 * 3], b1[4], w2[1 * 3 * 3 * 8], b2[8], wf[5 * 11], bf[5];
    static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0}, size[2] = {8, 8}, axes[2] = {1, 2};
    fill(w1, 108, 1);
    fill(b1, 4, 2);
    fill(w2, 72, 3);
    fill(b2, 8, 4);
    fill(wf, 55, 5);
    fill(bf, 5, 6);
    tflw_init(w);
    w->external = external;
    int x = tflw_tensor(w, "input", TFLW_F32, 4, I32S(1, 8, 8, 3), NULL, 0);
    int tw1 = tflw_tensor(w, "conv1/w", TFLW_F32, 4, I32S(4, 3, 3, 3), w1, sizeof w1);
    int tb1 = tflw_tensor(w, "conv1/b", TFLW_F32, 1, I32S(4), b1, sizeof b1);
    int c1 = tflw_tensor(w, "conv1", TFLW_F32, 4, I32S(1, 4, 4, 4), NULL, 0);
    int tw2 = tflw_tensor(w, "dw/w", TFLW_F32, 4, I32S(1, 3, 3, 8), w2, sizeof w2);
    int tb2 = tflw_tensor(w, "dw/b", TFLW_F32, 1, I32S(8), b2, sizeof b2);
    int d1 = tflw_tensor(w, "dw", TFLW_F32, 4, I32S(1, 4, 4, 8), NULL, 0);
    int p1 = tflw_tensor(w, "pool", TFLW_F32, 4, I32S(1, 2, 2, 8), NULL, 0);
    int tp = tflw_tensor(w, "pad/paddings", TFLW_I32, 2, I32S(4, 2), pads, sizeof pads);
    int pd = tflw_tensor(w, "pad", TFLW_F32, 4, I32S(1, 4, 4, 8), NULL, 0);
    int ts = tflw_tensor(w, "resize/size", TFLW_I32, 1, I32S(2), size, sizeof size);
    int r = tflw_tensor(w, "resize", TFLW_F32, 4, I32S(1, 8, 8, 8), NULL, 0);
    int cc = tflw_tensor(w, "concat", TFLW_F32, 4, I32S(1, 8, 8, 11), NULL, 0);
    int ta = tflw_tensor(w, "mean/axes", TFLW_I32, 1, I32S(2), axes, sizeof axes);
    int m = tflw_tensor(w, "mean", TFLW_F32, 2, I32S(1, 11), NULL, 0);
    int twf = tflw_tensor(w, "fc/w", TFLW_F32, 2, I32S(5, 11), wf, sizeof wf);
    int tbf = tflw_tensor(w, "fc/b", TFLW_F32, 1, I32S(5), bf, sizeof bf);
    int f = tflw_tensor(w, "fc", TFLW_F32, 2, I32S(1, 5), NULL, 0);
    int y = tflw_tensor(w, "probs", TFLW_F32, 2, I32S(1, 5), NULL, 0);
    fbw_field co[] = {FBW_U8(0, 0), FBW_I32(1, 2), FBW_I32(2, 2), FBW_U8(3, 3)};
    tflw_op(w, 3, NULL, 3, (int[]){x, tw1, tb1}, 1, &c1, 1, fbw_table(&w->b, 4, co));
    fbw_field dwo[] = {FBW_U8(0, 0), FBW_I32(1, 1), FBW_I32(2, 1), FBW_I32(3, 2)};
    tflw_op(w, 4, NULL, 3, (int[]){c1, tw2, tb2}, 1, &d1, 2, fbw_table(&w->b, 4, dwo));
    fbw_field po[] = {FBW_U8(0, 1), FBW_I32(1, 2), FBW_I32(2, 2), FBW_I32(3, 2), FBW_I32(4, 2)};
    tflw_op(w, 17, NULL, 1, &d1, 1, &p1, 5, fbw_table(&w->b, 5, po));
    tflw_op(w, 34, NULL, 2, (int[]){p1, tp}, 1, &pd, 0, 0);
    fbw_field ro[] = {FBW_BOOL(3, 1)};
    tflw_op(w, 23, NULL, 2, (int[]){pd, ts}, 1, &r, 15, fbw_table(&w->b, 1, ro));
    fbw_field cco[] = {FBW_I32(0, -1)};
    tflw_op(w, 2, NULL, 2, (int[]){r, x}, 1, &cc, 10, fbw_table(&w->b, 1, cco));
    fbw_field mo[] = {FBW_BOOL(0, 0)};
    tflw_op(w, 40, NULL, 2, (int[]){cc, ta}, 1, &m, 27, fbw_table(&w->b, 1, mo));
    fbw_field fo[] = {FBW_U8(0, 1)};
    tflw_op(w, 9, NULL, 3, (int[]){m, twf, tbf}, 1, &f, 8, fbw_table(&w->b, 1, fo));
    fbw_field so[] = {FBW_F32(0, 1.0f)};
    tflw_op(w, 25, NULL, 1, &f, 1, &y, 9, fbw_table(&w->b, 1, so));
    tflw_finish(w, 1, &x, 1, &y);
}

void tflm_small_cnn(tflw *w) { small_cnn(w, 0); }
void tflm_small_cnn_external(tflw *w) { small_cnn(w, 1); }

void tflm_int8_cnn(tflw *w) {
    static int8_t wc[3 * 3 * 3 * 2], wf[4 * 27];
    static int32_t bc[3], bfc[4];
    static const float ws[3] = {0.01f, 0.02f, 0.015f};
    static const int64_t wz[3] = {0, 0, 0};
    for (size_t i = 0; i < sizeof wc; i++) wc[i] = (int8_t)((int)(i * 37 % 255) - 127);
    for (size_t i = 0; i < sizeof wf; i++) wf[i] = (int8_t)((int)(i * 53 % 201) - 100);
    for (int i = 0; i < 3; i++) bc[i] = (i - 1) * 150;
    for (int i = 0; i < 4; i++) bfc[i] = (i - 2) * 900;
    static float bcs[3];
    for (int i = 0; i < 3; i++) bcs[i] = 0.02f * ws[i];
    tflw_quant qx = {1, (const float[]){0.02f}, (const int64_t[]){-3}, 0};
    tflw_quant qw = {3, ws, wz, 0};
    tflw_quant qb = {3, bcs, wz, 0};
    tflw_quant qc = {1, (const float[]){0.03f}, (const int64_t[]){-128}, 0};
    tflw_quant qwf = {1, (const float[]){0.01f}, (const int64_t[]){0}, 0};
    tflw_quant qbf = {1, (const float[]){0.03f * 0.01f}, (const int64_t[]){0}, 0};
    tflw_quant qf = {1, (const float[]){0.05f}, (const int64_t[]){2}, 0};
    tflw_init(w);
    int x = tflw_tensor(w, "input", TFLW_F32, 4, I32S(1, 6, 6, 2), NULL, 0);
    int xq = tflw_tensor_q(w, "input_q", TFLW_I8, 4, I32S(1, 6, 6, 2), NULL, 0, &qx);
    int tw = tflw_tensor_q(w, "conv/w", TFLW_I8, 4, I32S(3, 3, 3, 2), wc, sizeof wc, &qw);
    int tb = tflw_tensor_q(w, "conv/b", TFLW_I32, 1, I32S(3), bc, sizeof bc, &qb);
    int cq = tflw_tensor_q(w, "conv", TFLW_I8, 4, I32S(1, 6, 6, 3), NULL, 0, &qc);
    int pq = tflw_tensor_q(w, "pool", TFLW_I8, 4, I32S(1, 3, 3, 3), NULL, 0, &qc);
    int rq = tflw_tensor_q(w, "flat", TFLW_I8, 2, I32S(1, 27), NULL, 0, &qc);
    static const int32_t shape[2] = {1, 27};
    int ts = tflw_tensor(w, "flat/shape", TFLW_I32, 1, I32S(2), shape, sizeof shape);
    int twf = tflw_tensor_q(w, "fc/w", TFLW_I8, 2, I32S(4, 27), wf, sizeof wf, &qwf);
    int tbf = tflw_tensor_q(w, "fc/b", TFLW_I32, 1, I32S(4), bfc, sizeof bfc, &qbf);
    int fq = tflw_tensor_q(w, "fc", TFLW_I8, 2, I32S(1, 4), NULL, 0, &qf);
    int y = tflw_tensor(w, "output", TFLW_F32, 2, I32S(1, 4), NULL, 0);
    tflw_op(w, 114, NULL, 1, &x, 1, &xq, 0, 0);
    fbw_field co[] = {FBW_U8(0, 0), FBW_I32(1, 1), FBW_I32(2, 1), FBW_U8(3, 1)};
    tflw_op(w, 3, NULL, 3, (int[]){xq, tw, tb}, 1, &cq, 1, fbw_table(&w->b, 4, co));
    fbw_field po[] = {FBW_U8(0, 1), FBW_I32(1, 2), FBW_I32(2, 2), FBW_I32(3, 2), FBW_I32(4, 2)};
    tflw_op(w, 17, NULL, 1, &cq, 1, &pq, 5, fbw_table(&w->b, 5, po));
    tflw_op(w, 22, NULL, 2, (int[]){pq, ts}, 1, &rq, 0, 0);
    fbw_field fo[] = {FBW_U8(0, 0)};
    tflw_op(w, 9, NULL, 3, (int[]){rq, twf, tbf}, 1, &fq, 8, fbw_table(&w->b, 1, fo));
    tflw_op(w, 6, NULL, 1, &fq, 1, &y, 0, 0);
    tflw_finish(w, 1, &x, 1, &y);
}

void tflm_sparse_fc(tflw *w) {
    /* dense weights [4, 8]: row r holds columns idx[seg[r]..seg[r+1]) */
    static const int32_t seg[5] = {0, 2, 2, 5, 6}, idx[6] = {1, 6, 0, 3, 7, 4};
    static const float vals[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f}, bias[4] = {0.1f, 0.2f,
                                                                                     -0.3f, 0.4f};
    tflw_init(w);
    int x = tflw_tensor(w, "input", TFLW_F32, 2, I32S(2, 8), NULL, 0);
    uint32_t vseg = fbw_vec_i32(&w->b, 5, seg), vidx = fbw_vec_i32(&w->b, 6, idx);
    fbw_field fs[] = {FBW_REF(0, vseg)}, fi[] = {FBW_REF(0, vidx)};
    uint32_t tseg = fbw_table(&w->b, 1, fs), tidx = fbw_table(&w->b, 1, fi);
    fbw_field d0[] = {FBW_U8(0, 0), FBW_I32(1, 4)};
    fbw_field d1[] = {FBW_U8(0, 1), FBW_U8(2, 1), FBW_REF(3, tseg), FBW_U8(4, 1), FBW_REF(5, tidx)};
    uint32_t dims[2] = {fbw_table(&w->b, 2, d0), fbw_table(&w->b, 5, d1)};
    uint32_t vdims = fbw_vec_refs(&w->b, 2, dims);
    uint32_t vorder = fbw_vec_i32(&w->b, 2, I32S(0, 1));
    fbw_field sp[] = {FBW_REF(0, vorder), FBW_REF(2, vdims)};
    uint32_t sparsity = fbw_table(&w->b, 2, sp);
    uint32_t shape = fbw_vec_i32(&w->b, 2, I32S(4, 8)), name = fbw_str(&w->b, "fc/w_sparse");
    int buf = tflw_buffer(w, vals, sizeof vals);
    fbw_field tf[] = {FBW_REF(0, shape), FBW_U8(1, 0), FBW_U32(2, buf), FBW_REF(3, name),
                      FBW_REF(6, sparsity)};
    int ws = tflw_tensor_raw(w, fbw_table(&w->b, 5, tf));
    int wd = tflw_tensor(w, "fc/w", TFLW_F32, 2, I32S(4, 8), NULL, 0);
    int tb = tflw_tensor(w, "fc/b", TFLW_F32, 1, I32S(4), bias, sizeof bias);
    int y = tflw_tensor(w, "output", TFLW_F32, 2, I32S(2, 4), NULL, 0);
    tflw_op(w, 124, NULL, 1, &ws, 1, &wd, 0, 0);
    fbw_field fo[] = {FBW_U8(0, 0)};
    tflw_op(w, 9, NULL, 3, (int[]){x, wd, tb}, 1, &y, 8, fbw_table(&w->b, 1, fo));
    tflw_finish(w, 1, &x, 1, &y);
}

void tflm_fp16_conv(tflw *w) {
    static uint16_t wh[2 * 3 * 3 * 2];
    float wf[36];
    fill(wf, 36, 9);
    for (int i = 0; i < 36; i++) wh[i] = er_f32_to_f16(wf[i]);
    tflw_init(w);
    int x = tflw_tensor(w, "input", TFLW_F32, 4, I32S(1, 4, 4, 2), NULL, 0);
    int th = tflw_tensor(w, "conv/w_fp16", TFLW_F16, 4, I32S(2, 3, 3, 2), wh, sizeof wh);
    int tw = tflw_tensor(w, "conv/w", TFLW_F32, 4, I32S(2, 3, 3, 2), NULL, 0);
    static const float bias[2] = {0.5f, -0.5f};
    int tb = tflw_tensor(w, "conv/b", TFLW_F32, 1, I32S(2), bias, sizeof bias);
    int y = tflw_tensor(w, "output", TFLW_F32, 4, I32S(1, 2, 2, 2), NULL, 0);
    tflw_op(w, 6, NULL, 1, &th, 1, &tw, 0, 0);
    fbw_field co[] = {FBW_U8(0, 1), FBW_I32(1, 1), FBW_I32(2, 1)};
    tflw_op(w, 3, NULL, 3, (int[]){x, tw, tb}, 1, &y, 1, fbw_table(&w->b, 3, co));
    tflw_finish(w, 1, &x, 1, &y);
}

er_status tflm_run(const void *model, size_t size, int n_in, const void *const *in, int k,
                   float **out, size_t *out_n) {
    *out = NULL;
    *out_n = 0;
    er_model *m = NULL;
    er_session *s = NULL;
    er_tensor *x[16] = {0}, *y[16];
    er_status st = er_model_load_memory(model, size, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK && (er_model_input_count(m) != n_in || n_in > 16 ||
                        er_model_output_count(m) > 16 || k >= er_model_output_count(m)))
        st = ER_ERR_INVALID_ARG;
    for (int i = 0; st == ER_OK && i < n_in; i++) {
        er_dtype dt;
        int rank;
        int64_t dims[ER_MAX_RANK];
        st = er_session_input_info(s, i, &dt, &rank, dims);
        if (st == ER_OK) st = er_tensor_create(dt, rank, dims, &x[i]);
        if (st == ER_OK) memcpy(er_tensor_data(x[i]), in[i], er_tensor_nbytes(x[i]));
    }
    if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)x, y);
    if (st == ER_OK) {
        size_t n = er_tensor_count(y[k]);
        float *o = malloc((n ? n : 1) * sizeof(float));
        for (size_t i = 0; o && i < n; i++)
            o[i] = (float)er_load_f64(er_tensor_data(y[k]), er_tensor_dtype(y[k]), i);
        *out = o;
        *out_n = n;
    }
    for (int i = 0; i < 16; i++) er_tensor_free(x[i]);
    er_session_free(s);
    er_model_free(m);
    return st;
}
