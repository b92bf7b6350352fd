/* test_int8_malformed.c - broken quantized models: wrong scale shapes and
 * values, zero-point dtypes, channel counts, activation ranges; and a QDQ
 * model with every byte flipped, run through er_pass_fold_qdq. Each must end
 * in a clean status with a message naming the node, never a crash (this tier
 * runs under ASan+UBSan in CI). */
#include <math.h>
#include <stdlib.h>

#include "passes/fold_qdq.h"
#include "runtime/model.h"
#include "support/pbw.h"
#include "test.h"

enum { T_F32 = 1, T_U8 = 2, T_I8 = 3, T_I32 = 6 };

/* Loads, optionally folds, plans and runs on zero inputs. */
static er_status try_model(const pbw *w, bool fold) {
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(w->d, w->n, NULL, &m);
    if (st == ER_OK && fold) st = er_pass_fold_qdq(m->graph);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        er_tensor *in[8] = {0}, *out[8];
        int n_in = er_model_input_count(m);
        for (int i = 0; i < n_in && i < 8 && st == ER_OK; i++) {
            er_dtype dt;
            int rank;
            int64_t dims[ER_MAX_RANK];
            st = er_session_input_info(s, i, &dt, &rank, dims);
            if (st == ER_OK) st = er_tensor_create(dt, rank, dims, &in[i]);
        }
        if (st == ER_OK && n_in <= 8 && er_model_output_count(m) <= 8)
            st = er_session_run(s, (const er_tensor *const *)in, out);
        for (int i = 0; i < 8; i++) er_tensor_free(in[i]);
    }
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1; /* no message: a bug */
    er_session_free(s);
    er_model_free(m);
    return st;
}

typedef struct {
    pbw g;
} gb;

static void gb_const(gb *b, const char *name, int dtype, int rank, const int64_t *dims,
                     const void *data, size_t bytes) {
    pbw t = {0};
    onnx_tensor(&t, name, dtype, rank, dims, data, bytes);
    pbw_msg(&b->g, 5, &t);
    pbw_free(&t);
}

static void gb_node(gb *b, const char *op, const char *domain, const char *const *in,
                    const char *out, const pbw *attrs) {
    pbw n = {0};
    const char *outs[] = {out, NULL};
    onnx_node(&n, op, out, in, outs, attrs);
    if (domain) pbw_str(&n, 7, domain);
    pbw_msg(&b->g, 1, &n);
    pbw_free(&n);
}

/* Graph input x (declared shape) and output y (dtype only, no shape). */
static void gb_finish(gb *b, pbw *out, const char *x, int xdt, int rank, const int64_t *xd,
                      int ydt) {
    pbw vi = {0}, tt = {0}, type = {0};
    onnx_value_info(&vi, x, xdt, rank, xd);
    pbw_msg(&b->g, 11, &vi);
    pbw_free(&vi);
    pbw_int(&tt, 1, ydt);
    pbw_msg(&type, 1, &tt);
    pbw_str(&vi, 1, "y");
    pbw_msg(&vi, 2, &type);
    pbw_msg(&b->g, 12, &vi);
    pbw_free(&vi);
    pbw_free(&tt);
    pbw_free(&type);
    pbw_str(&b->g, 2, "int8");
    onnx_model(out, &b->g, 13);
    pbw_free(&b->g);
}

/* x u8 [1,2,4,4] -> QLinearConv / QConv with W int8 [3,2,3,3]; the knobs
 * break one thing each. */
typedef struct {
    const char *op, *domain;
    int n_wscale;     /* per-channel scale entries (3 is right) */
    float x_scale;    /* 0.02 is right */
    int zp_dtype;     /* x zero point dtype (T_U8 is right) */
    int64_t act_min;  /* QConv only; -1 = absent */
} conv_knobs;

static void conv_model(pbw *out, const conv_knobs *k) {
    gb b = {{0}};
    int64_t wd[4] = {3, 2, 3, 3}, sd[1] = {k->n_wscale}, xd[4] = {1, 2, 4, 4};
    int8_t w[54] = {0};
    float ws[8] = {0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f}, xs = k->x_scale,
          ys = 0.1f;
    int8_t wz[8] = {0};
    uint8_t xz = 128, yz = 0;
    int8_t xz8 = 0;
    gb_const(&b, "xs", T_F32, 0, NULL, &xs, 4);
    if (k->zp_dtype == T_U8) gb_const(&b, "xz", T_U8, 0, NULL, &xz, 1);
    else gb_const(&b, "xz", T_I8, 0, NULL, &xz8, 1);
    gb_const(&b, "w", T_I8, 4, wd, w, sizeof w);
    gb_const(&b, "ws", T_F32, 1, sd, ws, 4 * (size_t)k->n_wscale);
    gb_const(&b, "wz", T_I8, 1, sd, wz, (size_t)k->n_wscale);
    gb_const(&b, "ys", T_F32, 0, NULL, &ys, 4);
    gb_const(&b, "yz", T_U8, 0, NULL, &yz, 1);
    pbw attrs = {0};
    if (k->act_min >= -128) onnx_attr_int(&attrs, "activation_min", k->act_min);
    gb_node(&b, k->op, k->domain, (const char *[]){"x", "xs", "xz", "w", "ws", "wz", "ys", "yz",
                                                  NULL}, "y", attrs.n ? &attrs : NULL);
    pbw_free(&attrs);
    gb_finish(&b, out, "x", T_U8, 4, xd, T_U8);
}

TEST(int8_malformed_conv_parameters) {
    static const conv_knobs good = {"QLinearConv", NULL, 3, 0.02f, T_U8, -999};
    struct {
        conv_knobs k;
        er_status want;
        const char *msg;
    } cases[] = {
        {good, ER_OK, ""},
        {{"QConv", "edgerun", 3, 0.02f, T_U8, -999}, ER_OK, ""},
        {{"QLinearConv", NULL, 2, 0.02f, T_U8, -999}, ER_ERR_SHAPE,
         "node 'y' (QLinearConv): w scale shape [2]: expected a scalar (per tensor) or [3]"},
        {{"QLinearConv", NULL, 3, 0.0f, T_U8, -999}, ER_ERR_INVALID_MODEL,
         "x scale[0] = 0: a scale must be finite and > 0"},
        {{"QLinearConv", NULL, 3, -1.0f, T_U8, -999}, ER_ERR_INVALID_MODEL, "x scale[0] = -1"},
        {{"QConv", "edgerun", 3, NAN, T_U8, -999}, ER_ERR_INVALID_MODEL, "x scale[0] = nan"},
        {{"QLinearConv", NULL, 3, 0.02f, T_I8, -999}, ER_ERR_INVALID_MODEL,
         "x zero point) has dtype int8, expected uint8"},
        {{"QConv", "edgerun", 3, 0.02f, T_U8, -5}, ER_ERR_INVALID_MODEL,
         "node 'y' (QConv): activation_min -5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pbw w = {0};
        conv_model(&w, &cases[i].k);
        er_status st = try_model(&w, false);
        CHECK_MSG(st == cases[i].want, "case %zu: status %d (%s), want %d", i, (int)st,
                  er_last_error(), (int)cases[i].want);
        if (st != ER_OK) CHECK_ERROR_HAS(cases[i].msg);
        pbw_free(&w);
    }
}

TEST(int8_malformed_integer_ops) {
    /* MatMulInteger: zero point dtype differs from B's */
    gb b = {{0}};
    int64_t ad[2] = {2, 3}, bd[2] = {3, 4};
    uint8_t bm[12] = {0}, az = 1;
    int8_t bz = 0;
    gb_const(&b, "B", T_U8, 2, bd, bm, sizeof bm);
    gb_const(&b, "az", T_U8, 0, NULL, &az, 1);
    gb_const(&b, "bz", T_I8, 0, NULL, &bz, 1);
    gb_node(&b, "MatMulInteger", NULL, (const char *[]){"A", "B", "az", "bz", NULL}, "y", NULL);
    pbw w = {0};
    gb_finish(&b, &w, "A", T_U8, 2, ad, T_I32);
    CHECK_STATUS(try_model(&w, false), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("b_zero_point has dtype int8, B has uint8");
    pbw_free(&w);
    /* ConvInteger: 3 input channels, group 2 */
    gb c = {{0}};
    int64_t xd[4] = {1, 3, 4, 4}, wd[4] = {2, 1, 1, 1};
    uint8_t wv[2] = {1, 2};
    gb_const(&c, "w", T_U8, 4, wd, wv, sizeof wv);
    pbw attrs = {0};
    onnx_attr_int(&attrs, "group", 2);
    gb_node(&c, "ConvInteger", NULL, (const char *[]){"x", "w", NULL}, "y", &attrs);
    pbw_free(&attrs);
    gb_finish(&c, &w, "x", T_U8, 4, xd, T_I32);
    CHECK_STATUS(try_model(&w, false), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("must be multiples of group 2");
    pbw_free(&w);
    /* QLinearMatMul: float input */
    gb d = {{0}};
    float s = 0.1f;
    uint8_t z = 0;
    gb_const(&d, "s", T_F32, 0, NULL, &s, 4);
    gb_const(&d, "z", T_U8, 0, NULL, &z, 1);
    gb_node(&d, "QLinearMatMul", NULL, (const char *[]){"A", "s", "z", "A", "s", "z", "s", "z",
                                                       NULL}, "y", NULL);
    int64_t fd[2] = {3, 3};
    gb_finish(&d, &w, "A", T_F32, 2, fd, T_U8);
    CHECK_STATUS(try_model(&w, false), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("input 0 has dtype float32");
    pbw_free(&w);
}

/* A small QDQ model: x f32 -> Q -> DQ -> Conv(DQ w per-channel) -> Relu -> Q. */
static void qdq_model(pbw *out) {
    gb b = {{0}};
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {3, 2, 1, 1}, md[1] = {3};
    int8_t w[6] = {1, -2, 3, -4, 5, -6}, wz[3] = {0};
    float xs = 0.02f, ys = 0.05f, ws[3] = {0.1f, 0.2f, 0.3f};
    uint8_t xz = 128, yz = 0;
    gb_const(&b, "xs", T_F32, 0, NULL, &xs, 4);
    gb_const(&b, "xz", T_U8, 0, NULL, &xz, 1);
    gb_const(&b, "w", T_I8, 4, wd, w, sizeof w);
    gb_const(&b, "ws", T_F32, 1, md, ws, sizeof ws);
    gb_const(&b, "wz", T_I8, 1, md, wz, sizeof wz);
    gb_const(&b, "ys", T_F32, 0, NULL, &ys, 4);
    gb_const(&b, "yz", T_U8, 0, NULL, &yz, 1);
    pbw ax = {0};
    onnx_attr_int(&ax, "axis", 0);
    gb_node(&b, "QuantizeLinear", NULL, (const char *[]){"x", "xs", "xz", NULL}, "xq", NULL);
    gb_node(&b, "DequantizeLinear", NULL, (const char *[]){"xq", "xs", "xz", NULL}, "xd", NULL);
    gb_node(&b, "DequantizeLinear", NULL, (const char *[]){"w", "ws", "wz", NULL}, "wd", &ax);
    gb_node(&b, "Conv", NULL, (const char *[]){"xd", "wd", NULL}, "c", NULL);
    gb_node(&b, "Relu", NULL, (const char *[]){"c", NULL}, "r", NULL);
    gb_node(&b, "QuantizeLinear", NULL, (const char *[]){"r", "ys", "yz", NULL}, "y", NULL);
    pbw_free(&ax);
    gb_finish(&b, out, "x", T_F32, 4, xd, T_U8);
}

TEST(int8_malformed_qdq_flipped_bytes_through_fold) {
    pbw w = {0};
    qdq_model(&w);
    CHECK_STATUS(try_model(&w, true), ER_OK);
    unsigned char *orig = malloc(w.n);
    memcpy(orig, w.d, w.n);
    unsigned seed = 7;
    int ok = 0;
    for (size_t i = 0; i < w.n; i++) {
        for (int variant = 0; variant < 3; variant++) {
            memcpy(w.d, orig, w.n);
            w.d[i] = variant == 0 ? (unsigned char)~orig[i]
                   : variant == 1 ? 0xff : (unsigned char)rand_r(&seed);
            er_status st = try_model(&w, true);
            CHECK_MSG(st >= ER_OK && st < ER_ERR_INTERNAL, "byte %zu variant %d: status %d (%s)",
                      i, variant, (int)st, er_last_error());
            ok += st == ER_OK;
        }
    }
    printf("  %zu bytes x 3 flips: %d still ran\n", w.n, ok);
    free(orig);
    pbw_free(&w);
}
