/* test_tflite_ops.c - TFLite operators against their TFLite definitions:
 * each test writes a one-operator .tflite with tflw, runs it through
 * er_model_load + a session, and compares with a plain NHWC reference
 * written here from TFLite's semantics (padding rules, TRANSPOSE_CONV and
 * MediaPipe's Convolution2DTransposeBias scatter, resize coordinate rules,
 * strided-slice masks, ...). Inputs come from a fixed LCG (seed printed on
 * failure through the test name). */
#include <math.h>
#include <stdlib.h>

#include "support/tflite_models.h"
#include "test.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static void fill(float *a, size_t n, unsigned seed) {
    uint32_t s = seed * 747796405u + 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = ((float)(s >> 8) / 16777216.0f) * 2.0f - 1.0f;
    }
}

/* max |a - b| / max(1, max |b|) */
static double scaled_diff(const float *a, const float *b, size_t n) {
    double d = 0, m = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > d || isnan(e)) d = isnan(e) ? INFINITY : e;
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return d / m;
}

#define CHECK_CLOSE(got, want, n, tol)                                                         \
    do {                                                                                       \
        double sd_ = scaled_diff((got), (want), (n));                                          \
        size_t bad_ = 0;                                                                       \
        while (bad_ + 1 < (n) && fabsf((got)[bad_] - (want)[bad_]) <= (tol) * 4) bad_++;       \
        CHECK_MSG(sd_ <= (tol), "scaled diff %g; first suspicious index %zu: got %g want %g",  \
                  sd_, bad_, (double)(got)[bad_], (double)(want)[bad_]);                       \
    } while (0)

static float act(float v, int a) {
    switch (a) {
    case 1: return v > 0 ? v : 0;
    case 2: return v < -1 ? -1 : v > 1 ? 1 : v;
    case 3: return v < 0 ? 0 : v > 6 ? 6 : v;
    case 4: return tanhf(v);
    default: return v;
    }
}

/* TFLite's SAME/VALID geometry for one spatial dim */
static int out_size(int pad, int in, int k, int s, int d) {
    int ek = (k - 1) * d + 1;
    return pad == 0 ? (in + s - 1) / s : (in - ek + s) / s;
}
static int pad_before(int pad, int in, int k, int s, int d, int out) {
    int total = (out - 1) * s + (k - 1) * d + 1 - in;
    return pad == 0 && total > 0 ? total / 2 : 0;
}

/* NHWC conv with OHWI weights (group = C / I); depthwise when dw != 0
 * (weights [1,KH,KW,C*M], output channel c*M+m reads input channel c). */
static void conv_ref(const float *x, int N, int H, int W, int C, const float *w, int O, int KH,
                     int KW, const float *b, int pad, int sh, int sw, int dh, int dw_, int a,
                     int depthwise, float *y, int OH, int OW) {
    int ph = pad_before(pad, H, KH, sh, dh, OH), pw = pad_before(pad, W, KW, sw, dw_, OW);
    int I = depthwise ? 1 : C, M = depthwise ? O / C : 0;
    for (int n = 0; n < N; n++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                for (int o = 0; o < O; o++) {
                    double acc = b ? b[o] : 0;
                    for (int kh = 0; kh < KH; kh++)
                        for (int kw = 0; kw < KW; kw++) {
                            int ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw_;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            for (int i = 0; i < I; i++) {
                                int ic = depthwise ? o / M : i;
                                float wv = depthwise ? w[(kh * KW + kw) * O + o]
                                                     : w[((o * KH + kh) * KW + kw) * C + i];
                                acc += x[((n * H + ih) * W + iw) * C + ic] * wv;
                            }
                        }
                    y[((n * OH + oh) * OW + ow) * O + o] = act((float)acc, a);
                }
}

static void run1(tflw *w, const float *x, float **y, size_t *n) {
    er_status st = tflm_run(w->d, w->n, 1, (const void *[]){x}, 0, y, n);
    if (st != ER_OK) printf("  run failed: %s\n", er_last_error());
}

TEST(tflite_op_conv_2d) {
    struct { int pad, sh, sw, dh, dw, act, H, W, C, O, K, bias; } cases[] = {
        {0, 2, 2, 1, 1, 3, 7, 6, 3, 4, 3, 1}, {1, 1, 1, 1, 1, 1, 5, 5, 2, 3, 3, 0},
        {0, 1, 2, 2, 1, 0, 6, 7, 4, 2, 3, 1}, {1, 2, 1, 1, 2, 2, 9, 8, 1, 5, 2, 1},
        {0, 3, 3, 1, 1, 4, 10, 10, 3, 2, 1, 1},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int H = cases[t].H, W = cases[t].W, C = cases[t].C, O = cases[t].O, K = cases[t].K;
        int OH = out_size(cases[t].pad, H, K, cases[t].sh, cases[t].dh);
        int OW = out_size(cases[t].pad, W, K, cases[t].sw, cases[t].dw);
        float *x = malloc(sizeof(float) * (size_t)(H * W * C)), *wt = malloc(sizeof(float) * (size_t)(O * K * K * C));
        float b[8], *want = malloc(sizeof(float) * (size_t)(OH * OW * O)), *y;
        fill(x, (size_t)(H * W * C), (unsigned)t);
        fill(wt, (size_t)(O * K * K * C), (unsigned)t + 100);
        fill(b, 8, (unsigned)t + 200);
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
        int tw = tflw_tensor(&w, "w", TFLW_F32, 4, I32S(O, K, K, C), wt,
                             sizeof(float) * (size_t)(O * K * K * C));
        int tb = cases[t].bias ? tflw_tensor(&w, "b", TFLW_F32, 1, I32S(O), b, sizeof(float) * (size_t)O)
                               : -1;
        int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, O), NULL, 0);
        fbw_field f[] = {FBW_U8(0, cases[t].pad), FBW_I32(1, cases[t].sw), FBW_I32(2, cases[t].sh),
                         FBW_U8(3, cases[t].act), FBW_I32(4, cases[t].dw), FBW_I32(5, cases[t].dh)};
        tflw_op(&w, 3, NULL, 3, (int[]){tx, tw, tb}, 1, &ty, 1, fbw_table(&w.b, 6, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        conv_ref(x, 1, H, W, C, wt, O, K, K, cases[t].bias ? b : NULL, cases[t].pad, cases[t].sh,
                 cases[t].sw, cases[t].dh, cases[t].dw, cases[t].act, 0, want, OH, OW);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK_MSG(y && n == (size_t)(OH * OW * O), "case %zu: %zu outputs", t, n);
        CHECK_CLOSE(y, want, n, 1e-5);
        free(y);
        free(x);
        free(wt);
        free(want);
        tflw_free(&w);
    }
}

TEST(tflite_op_depthwise_conv_2d) {
    struct { int pad, s, d, act, H, W, C, M, K; } cases[] = {
        {0, 1, 1, 0, 5, 5, 3, 1, 3}, {1, 2, 1, 3, 8, 7, 2, 2, 3}, {0, 2, 2, 1, 9, 9, 4, 3, 3},
        {1, 1, 1, 0, 4, 6, 1, 4, 2},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int H = cases[t].H, W = cases[t].W, C = cases[t].C, O = C * cases[t].M, K = cases[t].K;
        int OH = out_size(cases[t].pad, H, K, cases[t].s, cases[t].d);
        int OW = out_size(cases[t].pad, W, K, cases[t].s, cases[t].d);
        float x[9 * 9 * 4], wt[3 * 3 * 16], b[16], want[9 * 9 * 16], *y;
        fill(x, (size_t)(H * W * C), (unsigned)t + 3);
        fill(wt, (size_t)(K * K * O), (unsigned)t + 30);
        fill(b, 16, (unsigned)t + 60);
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
        int tw = tflw_tensor(&w, "w", TFLW_F32, 4, I32S(1, K, K, O), wt, sizeof(float) * (size_t)(K * K * O));
        int tb = tflw_tensor(&w, "b", TFLW_F32, 1, I32S(O), b, sizeof(float) * (size_t)O);
        int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, O), NULL, 0);
        fbw_field f[] = {FBW_U8(0, cases[t].pad), FBW_I32(1, cases[t].s), FBW_I32(2, cases[t].s),
                         FBW_I32(3, cases[t].M), FBW_U8(4, cases[t].act), FBW_I32(5, cases[t].d),
                         FBW_I32(6, cases[t].d)};
        tflw_op(&w, 4, NULL, 3, (int[]){tx, tw, tb}, 1, &ty, 2, fbw_table(&w.b, 7, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        conv_ref(x, 1, H, W, C, wt, O, K, K, b, cases[t].pad, cases[t].s, cases[t].s, cases[t].d,
                 cases[t].d, cases[t].act, 1, want, OH, OW);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK_MSG(y && n == (size_t)(OH * OW * O), "case %zu", t);
        CHECK_CLOSE(y, want, n, 1e-5);
        free(y);
        tflw_free(&w);
    }
}

TEST(tflite_op_pools) {
    for (int code = 1; code <= 17; code += 16) { /* AVERAGE_POOL_2D, MAX_POOL_2D */
        for (int pad = 0; pad < 2; pad++) {
            int H = 7, W = 6, C = 3, K = 3, S = 2;
            int OH = out_size(pad, H, K, S, 1), OW = out_size(pad, W, K, S, 1);
            float x[7 * 6 * 3], want[4 * 3 * 3], *y;
            fill(x, sizeof x / 4, (unsigned)(code + pad));
            int ph = pad_before(pad, H, K, S, 1, OH), pw = pad_before(pad, W, K, S, 1, OW);
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++)
                    for (int c = 0; c < C; c++) {
                        double acc = code == 1 ? 0 : -INFINITY;
                        int cnt = 0;
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                int ih = oh * S - ph + kh, iw = ow * S - pw + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                float v = x[(ih * W + iw) * C + c];
                                if (code == 1) acc += v;
                                else if (v > acc) acc = v;
                                cnt++;
                            }
                        /* TFLite averages over the in-bounds taps only */
                        want[(oh * OW + ow) * C + c] = (float)(code == 1 ? acc / cnt : acc);
                    }
            tflw w;
            tflw_init(&w);
            int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
            int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, C), NULL, 0);
            fbw_field f[] = {FBW_U8(0, pad), FBW_I32(1, S), FBW_I32(2, S), FBW_I32(3, K),
                             FBW_I32(4, K)};
            tflw_op(&w, code, NULL, 1, &tx, 1, &ty, 5, fbw_table(&w.b, 5, f));
            tflw_finish(&w, 1, &tx, 1, &ty);
            size_t n;
            run1(&w, x, &y, &n);
            CHECK_MSG(y && n == (size_t)(OH * OW * C), "code %d pad %d", code, pad);
            CHECK_CLOSE(y, want, n, 1e-6);
            free(y);
            tflw_free(&w);
        }
    }
}

/* TFLite's transposed conv: out[y*s - pad + k] += x[y] * w[k], output size
 * given, bias added. Weights OHWI. */
static void tconv_ref(const float *x, int H, int W, int C, const float *w, int O, int K,
                      const float *b, int sh, int sw, int ph, int pw, float *y, int OH, int OW) {
    for (int i = 0; i < OH * OW * O; i++) y[i] = b ? b[i % O] : 0;
    for (int ih = 0; ih < H; ih++)
        for (int iw = 0; iw < W; iw++)
            for (int c = 0; c < C; c++)
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++)
                        for (int o = 0; o < O; o++) {
                            int oh = ih * sh - ph + kh, ow = iw * sw - pw + kw;
                            if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                            y[(oh * OW + ow) * O + o] +=
                                x[(ih * W + iw) * C + c] * w[((o * K + kh) * K + kw) * C + c];
                        }
}

TEST(tflite_op_transpose_conv) {
    struct { int pad, s, K, H, W, OH, OW, bias; } cases[] = {
        {0, 2, 3, 4, 5, 8, 10, 1}, {1, 2, 3, 4, 4, 9, 9, 0}, {0, 1, 3, 5, 5, 5, 5, 1},
        {1, 3, 2, 3, 3, 8, 7, 1}, {0, 2, 4, 3, 3, 6, 6, 0},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int C = 3, O = 2, K = cases[t].K, H = cases[t].H, W = cases[t].W, s = cases[t].s;
        int OH = cases[t].OH, OW = cases[t].OW;
        float x[5 * 5 * 3], wt[2 * 4 * 4 * 3], b[2] = {0.25f, -0.5f}, want[10 * 10 * 2], *y;
        fill(x, sizeof x / 4, (unsigned)t + 11);
        fill(wt, sizeof wt / 4, (unsigned)t + 12);
        /* TFLite pads as the forward conv from OH to H would */
        int ph = 0, pw = 0;
        if (cases[t].pad == 0) {
            int th = ((OH + s - 1) / s - 1) * s + K - OH, tw = ((OW + s - 1) / s - 1) * s + K - OW;
            ph = th > 0 ? th / 2 : 0;
            pw = tw > 0 ? tw / 2 : 0;
        }
        tconv_ref(x, H, W, C, wt, O, K, cases[t].bias ? b : NULL, s, s, ph, pw, want, OH, OW);
        tflw w;
        tflw_init(&w);
        int32_t oshape[4] = {1, OH, OW, O};
        int tos = tflw_tensor(&w, "output_shape", TFLW_I32, 1, I32S(4), oshape, sizeof oshape);
        int tw = tflw_tensor(&w, "w", TFLW_F32, 4, I32S(O, K, K, C), wt, sizeof(float) * (size_t)(O * K * K * C));
        int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
        int tb = cases[t].bias ? tflw_tensor(&w, "b", TFLW_F32, 1, I32S(O), b, sizeof b) : -1;
        int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, O), NULL, 0);
        fbw_field f[] = {FBW_U8(0, cases[t].pad), FBW_I32(1, s), FBW_I32(2, s)};
        tflw_op(&w, 67, NULL, cases[t].bias ? 4 : 3, (int[]){tos, tw, tx, tb}, 1, &ty, 49,
                fbw_table(&w.b, 3, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK_MSG(y && n == (size_t)(OH * OW * O), "case %zu", t);
        CHECK_CLOSE(y, want, n, 1e-5);
        free(y);
        tflw_free(&w);
    }
}

TEST(tflite_op_convolution2d_transpose_bias) {
    /* MediaPipe's definition: SAME pad_total = max(0, k - (in-1) % s - 1),
     * out = s*(in-1) + k - pad_total, window starting at pad_total/2;
     * VALID: out = s*(in-1) + k. Options: int32 {padding 1|2, stride_w, stride_h}. */
    struct { int padding, sw, sh, K, H, W; } cases[] = {
        {1, 2, 2, 4, 4, 5}, {1, 2, 2, 3, 3, 3}, {2, 2, 2, 2, 3, 4}, {1, 3, 2, 4, 3, 2},
        {2, 1, 1, 3, 4, 4}, {1, 2, 2, 2, 4, 4},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int C = 4, O = 3, K = cases[t].K, H = cases[t].H, W = cases[t].W;
        int sw = cases[t].sw, sh = cases[t].sh;
        int tot_h = 0, tot_w = 0;
        if (cases[t].padding == 1) {
            tot_h = K - (H - 1) % sh - 1;
            tot_w = K - (W - 1) % sw - 1;
            if (tot_h < 0) tot_h = 0;
            if (tot_w < 0) tot_w = 0;
        }
        int OH = sh * (H - 1) + K - tot_h, OW = sw * (W - 1) + K - tot_w;
        float x[5 * 5 * 4], wt[3 * 4 * 4 * 4], b[3] = {0.5f, -0.25f, 1.0f}, want[16 * 16 * 3], *y;
        fill(x, sizeof x / 4, (unsigned)t + 21);
        fill(wt, sizeof wt / 4, (unsigned)t + 22);
        tconv_ref(x, H, W, C, wt, O, K, b, sh, sw, tot_h / 2, tot_w / 2, want, OH, OW);
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
        int tw = tflw_tensor(&w, "w", TFLW_F32, 4, I32S(O, K, K, C), wt, sizeof(float) * (size_t)(O * K * K * C));
        int tb = tflw_tensor(&w, "b", TFLW_F32, 1, I32S(O), b, sizeof b);
        int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, O), NULL, 0);
        uint8_t opts[12];
        tflw_put_u32(opts, (uint32_t)cases[t].padding);
        tflw_put_u32(opts + 4, (uint32_t)sw);
        tflw_put_u32(opts + 8, (uint32_t)sh);
        tflw_op_custom(&w, "Convolution2DTransposeBias", 3, (int[]){tx, tw, tb}, 1, &ty, opts, 12);
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK_MSG(y && n == (size_t)(OH * OW * O), "case %zu: %zu values, want %dx%dx%d", t, n, OH,
                  OW, O);
        CHECK_CLOSE(y, want, n, 1e-5);
        free(y);
        tflw_free(&w);
    }
}

TEST(tflite_op_fully_connected) {
    /* input [2,3,4] -> units 5: keep_num_dims keeps [2,3,5], else [6,5] */
    float x[24], wt[20], b[5], want[30], *y;
    fill(x, 24, 1);
    fill(wt, 20, 2);
    fill(b, 5, 3);
    for (int keep = 0; keep < 2; keep++) {
        for (int r = 0; r < 6; r++)
            for (int o = 0; o < 5; o++) {
                double acc = b[o];
                for (int k = 0; k < 4; k++) acc += x[r * 4 + k] * wt[o * 4 + k];
                want[r * 5 + o] = act((float)acc, 1);
            }
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
        int tw = tflw_tensor(&w, "w", TFLW_F32, 2, I32S(5, 4), wt, sizeof wt);
        int tb = tflw_tensor(&w, "b", TFLW_F32, 1, I32S(5), b, sizeof b);
        int ty = keep ? tflw_tensor(&w, "y", TFLW_F32, 3, I32S(2, 3, 5), NULL, 0)
                      : tflw_tensor(&w, "y", TFLW_F32, 2, I32S(6, 5), NULL, 0);
        fbw_field f[] = {FBW_U8(0, 1), FBW_BOOL(2, keep)};
        tflw_op(&w, 9, NULL, 3, (int[]){tx, tw, tb}, 1, &ty, 8, fbw_table(&w.b, 2, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK(y && n == 30);
        CHECK_CLOSE(y, want, n, 1e-6);
        free(y);
        er_model *m;
        CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &m), ER_OK);
        er_session *s;
        CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
        int64_t dims[ER_MAX_RANK];
        int rank;
        CHECK_STATUS(er_session_output_info(s, 0, NULL, &rank, dims), ER_OK);
        CHECK_EQ_INT(rank, keep ? 3 : 2);
        er_session_free(s);
        er_model_free(m);
        tflw_free(&w);
    }
}

/* y = op(a, b) elementwise with numpy broadcasting of b [1,1,C] onto a. */
TEST(tflite_op_binary_with_fused_activation) {
    static const struct { int code, opt, act; } ops[] = {
        {0, 11, 3}, {41, 28, 1}, {18, 21, 2}, {42, 29, 4}, {55, 0, 0}, {57, 0, 0}, {54, 0, 0}};
    float a[2 * 3 * 4], b[4], want[24], *y;
    fill(a, 24, 5);
    fill(b, 4, 6);
    for (int i = 0; i < 4; i++) b[i] = b[i] * 3 + (b[i] >= 0 ? 0.5f : -0.5f); /* away from 0 for DIV */
    for (size_t t = 0; t < sizeof ops / sizeof ops[0]; t++) {
        for (int i = 0; i < 24; i++) {
            float u = a[i] * 4, v = b[i % 4], r;
            switch (ops[t].code) {
            case 0: r = u + v; break;
            case 41: r = u - v; break;
            case 18: r = u * v; break;
            case 42: r = u / v; break;
            case 55: r = u > v ? u : v; break;
            case 57: r = u < v ? u : v; break;
            default: r = u >= 0 ? u : u * v; break; /* PRELU */
            }
            want[i] = act(r, ops[t].act);
        }
        float a4[24];
        for (int i = 0; i < 24; i++) a4[i] = a[i] * 4;
        tflw w;
        tflw_init(&w);
        int ta = tflw_tensor(&w, "a", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
        int tb = tflw_tensor(&w, "b", TFLW_F32, 3, I32S(1, 1, 4), b, sizeof b);
        int ty = tflw_tensor(&w, "y", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
        fbw_field f[] = {FBW_U8(0, ops[t].act)};
        tflw_op(&w, ops[t].code, NULL, 2, (int[]){ta, tb}, 1, &ty, ops[t].opt,
                ops[t].opt ? fbw_table(&w.b, 1, f) : 0);
        tflw_finish(&w, 1, &ta, 1, &ty);
        size_t n;
        run1(&w, a4, &y, &n);
        CHECK_MSG(y && n == 24, "op %d", ops[t].code);
        CHECK_CLOSE(y, want, n, 1e-6);
        free(y);
        tflw_free(&w);
    }
}

TEST(tflite_op_activations) {
    static const int codes[] = {14, 28, 19, 21, 20, 117, 98, 152};
    float x[40], want[40], *y;
    fill(x, 40, 8);
    for (int i = 0; i < 40; i++) x[i] *= 8;
    for (size_t t = 0; t < sizeof codes / sizeof codes[0]; t++) {
        for (int i = 0; i < 40; i++) {
            float v = x[i];
            switch (codes[t]) {
            case 14: want[i] = 1.0f / (1.0f + expf(-v)); break;
            case 28: want[i] = tanhf(v); break;
            case 19: want[i] = act(v, 1); break;
            case 21: want[i] = act(v, 3); break;
            case 20: want[i] = act(v, 2); break;
            case 117: want[i] = v * act(v + 3, 3) / 6; break;
            case 98: want[i] = v >= 0 ? v : 0.2f * v; break;
            default: want[i] = v < 0 ? 0 : v > 1 ? 1 : v; break;
            }
        }
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(5, 8), NULL, 0);
        int ty = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(5, 8), NULL, 0);
        fbw_field f[] = {FBW_F32(0, 0.2f)};
        tflw_op(&w, codes[t], NULL, 1, &tx, 1, &ty, codes[t] == 98 ? 75 : 0,
                codes[t] == 98 ? fbw_table(&w.b, 1, f) : 0);
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK_MSG(y && n == 40, "code %d", codes[t]);
        CHECK_CLOSE(y, want, n, 1e-6);
        free(y);
        tflw_free(&w);
    }
}

/* TFLite resize coordinates, in float as TFLite's reference computes them */
static void resize_ref(const float *x, int H, int W, int C, int OH, int OW, int bilinear,
                       int align, int half, float *y) {
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
            for (int c = 0; c < C; c++) {
                float v;
                float sh = align && OH > 1 ? (float)(H - 1) / (float)(OH - 1) : (float)H / (float)OH;
                float sw = align && OW > 1 ? (float)(W - 1) / (float)(OW - 1) : (float)W / (float)OW;
                if (bilinear) {
                    float iy = half ? ((float)oh + 0.5f) * sh - 0.5f : (float)oh * sh;
                    float ix = half ? ((float)ow + 0.5f) * sw - 0.5f : (float)ow * sw;
                    int y0 = (int)floorf(iy), x0 = (int)floorf(ix);
                    float dy = iy - (float)y0, dx = ix - (float)x0;
                    int y0c = y0 < 0 ? 0 : y0, x0c = x0 < 0 ? 0 : x0;
                    int y1 = y0 + 1 > H - 1 ? H - 1 : y0 + 1, x1 = x0 + 1 > W - 1 ? W - 1 : x0 + 1;
                    if (y1 < 0) y1 = 0;
                    if (x1 < 0) x1 = 0;
                    float a = x[(y0c * W + x0c) * C + c], b = x[(y0c * W + x1) * C + c];
                    float d = x[(y1 * W + x0c) * C + c], e = x[(y1 * W + x1) * C + c];
                    v = a * (1 - dy) * (1 - dx) + b * (1 - dy) * dx + d * dy * (1 - dx) + e * dy * dx;
                } else {
                    float off = half ? 0.5f : 0.0f;
                    int iy = align ? (int)roundf(((float)oh + off) * sh) : (int)floorf(((float)oh + off) * sh);
                    int ix = align ? (int)roundf(((float)ow + off) * sw) : (int)floorf(((float)ow + off) * sw);
                    iy = iy > H - 1 ? H - 1 : iy < 0 ? 0 : iy;
                    ix = ix > W - 1 ? W - 1 : ix < 0 ? 0 : ix;
                    v = x[(iy * W + ix) * C + c];
                }
                y[(oh * OW + ow) * C + c] = v;
            }
}

TEST(tflite_op_resize) {
    static const int sizes[][4] = {{4, 5, 8, 10}, {5, 3, 3, 7}, {3, 4, 7, 4}, {3, 3, 5, 5}};
    for (int bil = 0; bil < 2; bil++)
        for (int mode = 0; mode < 3; mode++)
            for (size_t s = 0; s < 4; s++) {
                int H = sizes[s][0], W = sizes[s][1], OH = sizes[s][2], OW = sizes[s][3], C = 2;
                int align = mode == 1, half = mode == 2;
                float x[5 * 5 * 2], want[8 * 10 * 2], *y;
                fill(x, sizeof x / 4, (unsigned)s);
                resize_ref(x, H, W, C, OH, OW, bil, align, half, want);
                tflw w;
                tflw_init(&w);
                int32_t size[2] = {OH, OW};
                int tx = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, C), NULL, 0);
                int ts = tflw_tensor(&w, "size", TFLW_I32, 1, I32S(2), size, sizeof size);
                int ty = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, OH, OW, C), NULL, 0);
                fbw_field fb[] = {FBW_BOOL(2, align), FBW_BOOL(3, half)};
                fbw_field fn[] = {FBW_BOOL(0, align), FBW_BOOL(1, half)};
                tflw_op(&w, bil ? 23 : 97, NULL, 2, (int[]){tx, ts}, 1, &ty, bil ? 15 : 74,
                        fbw_table(&w.b, 2, bil ? fb : fn));
                tflw_finish(&w, 1, &tx, 1, &ty);
                size_t n;
                run1(&w, x, &y, &n);
                CHECK_MSG(y && n == (size_t)(OH * OW * C), "bilinear %d mode %d size %zu", bil,
                          mode, s);
                double sd = scaled_diff(y, want, n);
                CHECK_MSG(sd <= 1e-5, "bilinear %d mode %d size %zu: scaled diff %g", bil, mode,
                          s, sd);
                free(y);
                tflw_free(&w);
            }
}

TEST(tflite_op_depth_space) {
    /* DEPTH_TO_SPACE: out[h*b+i][w*b+j][c] = in[h][w][(i*b+j)*Cout + c] */
    int H = 2, W = 3, B = 2, Co = 3, Ci = Co * B * B;
    float x[2 * 3 * 12], want[4 * 6 * 3], *y;
    fill(x, sizeof x / 4, 4);
    for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++)
            for (int i = 0; i < B; i++)
                for (int j = 0; j < B; j++)
                    for (int c = 0; c < Co; c++)
                        want[((h * B + i) * W * B + w * B + j) * Co + c] =
                            x[(h * W + w) * Ci + (i * B + j) * Co + c];
    for (int dir = 0; dir < 2; dir++) { /* 0: DEPTH_TO_SPACE, 1: SPACE_TO_DEPTH back */
        tflw w;
        tflw_init(&w);
        int tx = dir ? tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H * B, W * B, Co), NULL, 0)
                     : tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, H, W, Ci), NULL, 0);
        int ty = dir ? tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, H, W, Ci), NULL, 0)
                     : tflw_tensor(&w, "y", TFLW_F32, 4, I32S(1, H * B, W * B, Co), NULL, 0);
        fbw_field f[] = {FBW_I32(0, B)};
        tflw_op(&w, dir ? 26 : 5, NULL, 1, &tx, 1, &ty, dir ? 19 : 94, fbw_table(&w.b, 1, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, dir ? want : x, &y, &n);
        CHECK(y && n == 72);
        CHECK_CLOSE(y, dir ? x : want, n, 0);
        free(y);
        tflw_free(&w);
    }
}

TEST(tflite_op_softmax_and_reductions) {
    float x[2 * 3 * 4], *y;
    fill(x, 24, 9);
    /* SOFTMAX with beta 2 over the last axis */
    {
        float want[24];
        for (int r = 0; r < 6; r++) {
            double mx = -INFINITY, s = 0;
            for (int k = 0; k < 4; k++) mx = fmax(mx, 2 * x[r * 4 + k]);
            for (int k = 0; k < 4; k++) s += exp(2 * x[r * 4 + k] - mx);
            for (int k = 0; k < 4; k++) want[r * 4 + k] = (float)(exp(2 * x[r * 4 + k] - mx) / s);
        }
        tflw w;
        tflw_init(&w);
        int tx = tflw_tensor(&w, "x", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
        int ty = tflw_tensor(&w, "y", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
        fbw_field f[] = {FBW_F32(0, 2.0f)};
        tflw_op(&w, 25, NULL, 1, &tx, 1, &ty, 9, fbw_table(&w.b, 1, f));
        tflw_finish(&w, 1, &tx, 1, &ty);
        size_t n;
        run1(&w, x, &y, &n);
        CHECK(y && n == 24);
        CHECK_CLOSE(y, want, n, 1e-6);
        free(y);
        tflw_free(&w);
    }
    /* MEAN / SUM / REDUCE_MAX over axes {-1, 0, 0} (repeats allowed), with and without keep_dims */
    static const int codes[3] = {40, 74, 82};
    for (int t = 0; t < 3; t++)
        for (int keep = 0; keep < 2; keep++) {
            float want[3];
            for (int j = 0; j < 3; j++) {
                double acc = codes[t] == 82 ? -INFINITY : 0;
                for (int i = 0; i < 2; i++)
                    for (int k = 0; k < 4; k++) {
                        float v = x[(i * 3 + j) * 4 + k];
                        acc = codes[t] == 82 ? fmax(acc, v) : acc + v;
                    }
                want[j] = (float)(codes[t] == 40 ? acc / 8 : acc);
            }
            static const int32_t axes[3] = {-1, 0, 0};
            tflw w;
            tflw_init(&w);
            int tx = tflw_tensor(&w, "x", TFLW_F32, 3, I32S(2, 3, 4), NULL, 0);
            int ta = tflw_tensor(&w, "axes", TFLW_I32, 1, I32S(3), axes, sizeof axes);
            int ty = keep ? tflw_tensor(&w, "y", TFLW_F32, 3, I32S(1, 3, 1), NULL, 0)
                          : tflw_tensor(&w, "y", TFLW_F32, 1, I32S(3), NULL, 0);
            fbw_field f[] = {FBW_BOOL(0, keep)};
            tflw_op(&w, codes[t], NULL, 2, (int[]){tx, ta}, 1, &ty, 27, fbw_table(&w.b, 1, f));
            tflw_finish(&w, 1, &tx, 1, &ty);
            size_t n;
            run1(&w, x, &y, &n);
            CHECK_MSG(y && n == 3, "reduce %d keep %d", codes[t], keep);
            CHECK_CLOSE(y, want, n, 1e-6);
            free(y);
            tflw_free(&w);
        }
}

TEST(tflite_op_batch_matmul_adjoint) {
    /* x [2,3,4] (adj_x: stored [2,4,3]), y [4,5] (adj_y: stored [5,4]) */
    float a[24], b[20], want[2 * 3 * 5], *y;
    fill(a, 24, 10);
    fill(b, 20, 11);
    for (int bt = 0; bt < 2; bt++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) {
                double acc = 0;
                for (int k = 0; k < 4; k++) acc += a[(bt * 4 + k) * 3 + i] * b[j * 4 + k];
                want[(bt * 3 + i) * 5 + j] = (float)acc;
            }
    tflw w;
    tflw_init(&w);
    int ta = tflw_tensor(&w, "a", TFLW_F32, 3, I32S(2, 4, 3), NULL, 0);
    int tb = tflw_tensor(&w, "b", TFLW_F32, 2, I32S(5, 4), b, sizeof b);
    int ty = tflw_tensor(&w, "y", TFLW_F32, 3, I32S(2, 3, 5), NULL, 0);
    fbw_field f[] = {FBW_BOOL(0, 1), FBW_BOOL(1, 1)};
    tflw_op(&w, 126, NULL, 2, (int[]){ta, tb}, 1, &ty, 101, fbw_table(&w.b, 2, f));
    tflw_finish(&w, 1, &ta, 1, &ty);
    size_t n;
    run1(&w, a, &y, &n);
    CHECK(y && n == 30);
    CHECK_CLOSE(y, want, n, 1e-6);
    free(y);
    tflw_free(&w);
}
