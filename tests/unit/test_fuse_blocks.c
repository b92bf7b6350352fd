/* test_fuse_blocks.c - the fuse_blocks pass (passes/fuse_blocks.c) and the
 * edgerun::ConvBlockNhwc op on small ONNX graphs.
 *
 * Each random block (Conv 1x1 -> act -> depthwise Conv -> act -> Conv 1x1
 * [-> Add residual] [-> act], or its two-stage forms) runs in two sessions
 * with the same options: passes on with fuse_blocks (its size and row
 * thresholds lowered to 0 through EDGERUN_FUSE_MIN_BYTES and
 * EDGERUN_FUSE_MIN_ROWS, so tiny test blocks fuse),
 * and passes on with fuse_blocks disabled (EDGERUN_DISABLE_PASSES). The
 * fused graph must hold the expected ConvBlockNhwc and no left-over stage,
 * and outputs must agree within |diff| <= 1e-4 * max(1, |ref|), at 1 and 2
 * threads and every ISA level the CPU has. A failure prints the block,
 * level, threads and the first bad index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernel_util.h"
#include "runtime/session.h"
#include "support/builder.h"
#include "test.h"

static int count_op(const er_session *s, const char *op) {
    int n = 0;
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, op) == 0) n++;
    return n;
}

/* ONNX activations as the exporters write them; fuse_activation turns each
 * into a conv epilogue. */
enum { ACT_NONE, ACT_RELU, ACT_RELU6, ACT_LEAKY, ACT_SIGMOID, ACT_HSIGMOID, ACT_HSWISH,
       ACT_SILU, ACT_TANH, ACT_COUNT };
static const char *const k_act_names[ACT_COUNT] = {"none", "relu", "relu6", "leaky_relu",
                                                   "sigmoid", "hard_sigmoid", "hard_swish",
                                                   "silu", "tanh"};

/* Appends activation `act` reading `in`; returns the name of its output
 * (`in` itself for ACT_NONE) in out (64 bytes). */
static void add_act(mb *b, int act, const char *in, const char *tag, char *out) {
    char name[64];
    snprintf(out, 64, "%s_act", tag);
    snprintf(name, sizeof name, "%s_actnode", tag);
    pbw a = {0};
    switch (act) {
    case ACT_NONE: snprintf(out, 64, "%s", in); break;
    case ACT_RELU: mb_node(b, "Relu", name, MB_IO(in), MB_IO(out), NULL); break;
    case ACT_RELU6: {
        char lo[64], hi[64];
        float vlo = 0, vhi = 6;
        snprintf(lo, sizeof lo, "%s_lo", tag);
        snprintf(hi, sizeof hi, "%s_hi", tag);
        mb_const(b, lo, ER_F32, 0, NULL, &vlo);
        mb_const(b, hi, ER_F32, 0, NULL, &vhi);
        mb_node(b, "Clip", name, MB_IO(in, lo, hi), MB_IO(out), NULL);
        break;
    }
    case ACT_LEAKY:
        onnx_attr_float(&a, "alpha", 0.1f);
        mb_node(b, "LeakyRelu", name, MB_IO(in), MB_IO(out), &a);
        break;
    case ACT_SIGMOID: mb_node(b, "Sigmoid", name, MB_IO(in), MB_IO(out), NULL); break;
    case ACT_HSIGMOID:
        onnx_attr_float(&a, "alpha", 0.25f);
        onnx_attr_float(&a, "beta", 0.4f);
        mb_node(b, "HardSigmoid", name, MB_IO(in), MB_IO(out), &a);
        break;
    case ACT_HSWISH: mb_node(b, "HardSwish", name, MB_IO(in), MB_IO(out), NULL); break;
    case ACT_SILU: {
        char g[64], gname[64];
        snprintf(g, sizeof g, "%s_gate", tag);
        snprintf(gname, sizeof gname, "%s_gatenode", tag);
        mb_node(b, "Sigmoid", gname, MB_IO(in), MB_IO(g), NULL);
        mb_node(b, "Mul", name, MB_IO(in, g), MB_IO(out), NULL);
        break;
    }
    case ACT_TANH: mb_node(b, "Tanh", name, MB_IO(in), MB_IO(out), NULL); break;
    }
    pbw_free(&a);
}

enum { FORM_EDP, FORM_ED, FORM_DP };

typedef struct block_case {
    int form;
    int64_t N, C, H, W, E, M, K, stride, pad_begin, pad_end;
    int act[3];
    int residual; /* Add(project output, x): needs stride 1 and M == C */
} block_case;

static void conv(mb *b, const char *tag, const char *x, int64_t M, int64_t Cg, int64_t K,
                 int64_t group, int64_t stride, int64_t pb, int64_t pe, unsigned seed,
                 const char *y) {
    char w[64], bias[64], name[64];
    snprintf(w, sizeof w, "%s_w", tag);
    snprintf(bias, sizeof bias, "%s_b", tag);
    snprintf(name, sizeof name, "%s_conv", tag);
    int64_t wd[4] = {M, Cg, K, K}, bd[1] = {M};
    mb_const_rand(b, w, 4, wd, seed, -1, 1);
    mb_const_rand(b, bias, 1, bd, seed + 1, -0.5f, 0.5f);
    pbw a = {0};
    int64_t pads[4] = {pb, pb, pe, pe}, strides[2] = {stride, stride};
    onnx_attr_ints(&a, "pads", 4, pads);
    onnx_attr_ints(&a, "strides", 2, strides);
    onnx_attr_int(&a, "group", group);
    mb_node(b, "Conv", name, MB_IO(x, w, bias), MB_IO(y), &a);
    pbw_free(&a);
}

static er_model *build(const block_case *c, unsigned seed) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {c->N, c->C, c->H, c->W};
    mb_input(&b, "x", ER_F32, 4, xd);
    char cur[64] = "x", act[64];
    int64_t E = c->form == FORM_DP ? c->C : c->E;
    if (c->form != FORM_DP) {
        conv(&b, "expand", cur, E, c->C, 1, 1, 1, 0, 0, seed, "e");
        add_act(&b, c->act[0], "e", "expand", act);
        strcpy(cur, act);
    }
    conv(&b, "dw", cur, E, 1, c->K, E, c->stride, c->pad_begin, c->pad_end, seed + 2, "d");
    add_act(&b, c->act[1], "d", "dw", act);
    strcpy(cur, act);
    if (c->form != FORM_ED) {
        conv(&b, "project", cur, c->M, E, 1, 1, 1, 0, 0, seed + 4, "p");
        strcpy(cur, "p");
        if (c->residual) {
            mb_node(&b, "Add", "add", MB_IO("p", "x"), MB_IO("s"), NULL);
            strcpy(cur, "s");
        }
        add_act(&b, c->act[2], cur, "project", act);
        strcpy(cur, act);
    }
    mb_node(&b, "Identity", "out", MB_IO(cur), MB_IO("y"), NULL);
    mb_output(&b, "y");
    return mb_load(&b, 14);
}

static void print_case(const block_case *c) {
    static const char *const forms[] = {"expand-dw-project", "expand-dw", "dw-project"};
    printf("    %s N%lld C%lld H%lld W%lld E%lld M%lld k%lld s%lld pads %lld/%lld acts %s/%s/%s "
           "residual %d\n",
           forms[c->form], (long long)c->N, (long long)c->C, (long long)c->H, (long long)c->W,
           (long long)c->E, (long long)c->M, (long long)c->K, (long long)c->stride,
           (long long)c->pad_begin, (long long)c->pad_end, k_act_names[c->act[0]],
           k_act_names[c->act[1]], k_act_names[c->act[2]], c->residual);
}

/* on: thresholds 0, so that the small test blocks fuse; off: defaults. */
static void fuse_everything(int on) {
    if (on) {
        setenv("EDGERUN_FUSE_MIN_BYTES", "0", 1);
        setenv("EDGERUN_FUSE_MIN_ROWS", "0", 1);
    } else {
        unsetenv("EDGERUN_FUSE_MIN_BYTES");
        unsetenv("EDGERUN_FUSE_MIN_ROWS");
    }
}

static er_session *session(const er_model *m, int threads, er_isa isa, int fuse) {
    er_options o;
    er_options_init(&o);
    o.threads = threads;
    o.force_isa = (int)isa;
    if (!fuse) setenv("EDGERUN_DISABLE_PASSES", "fuse_blocks", 1);
    er_session *s = NULL;
    if (er_session_create(m, &o, &s) != ER_OK) printf("  session: %s\n", er_last_error());
    unsetenv("EDGERUN_DISABLE_PASSES");
    return s;
}

/* Runs both sessions on the same seeded input; returns 1 when they agree. */
static int same_outputs(er_session *f, er_session *u, unsigned seed, const block_case *c,
                        const char *what) {
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    er_session_input_info(u, 0, &dt, &rank, dims);
    er_tensor *x = NULL, *yf = NULL, *yu = NULL;
    if (er_tensor_create(dt, rank, dims, &x) != ER_OK) return 0;
    ktest_rng r = {seed};
    ktest_fill(&r, er_tensor_data(x), er_tensor_count(x), -1, 1);
    int ok = er_session_run(f, (const er_tensor *const *)&x, &yf) == ER_OK &&
             er_session_run(u, (const er_tensor *const *)&x, &yu) == ER_OK;
    if (!ok) printf("  run: %s\n", er_last_error());
    if (ok && er_tensor_count(yf) != er_tensor_count(yu)) {
        printf("  output sizes differ\n");
        ok = 0;
    }
    if (ok) {
        long bad = ktest_first_bad(er_tensor_data_const(yf), er_tensor_data_const(yu),
                                   er_tensor_count(yu), 1e-4);
        if (bad >= 0) {
            printf("  %s: y[%ld] = %.7g, unfused %.7g\n", what, bad,
                   ((const float *)er_tensor_data_const(yf))[bad],
                   ((const float *)er_tensor_data_const(yu))[bad]);
            ok = 0;
        }
    }
    if (!ok) print_case(c);
    er_tensor_free(x);
    return ok;
}

/* The fused graph has one ConvBlockNhwc and none of the chain's convs. */
static int fused_as_expected(const er_session *s, const block_case *c) {
    int blocks = count_op(s, "ConvBlockNhwc"), convs = count_op(s, "ConvNhwc");
    if (blocks == 1 && convs == 0) return 1;
    printf("  fused graph: %d ConvBlockNhwc, %d ConvNhwc (want 1, 0)\n", blocks, convs);
    print_case(c);
    return 0;
}

static int check_case(const block_case *c, unsigned seed) {
    er_model *m = build(c, seed);
    if (!m) return 0;
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped), ok = 1;
    fuse_everything(1);
    for (int li = 0; li < nl && ok; li++)
        for (int t = 1; t <= 2 && ok; t++) {
            er_session *f = session(m, t, levels[li], 1), *u = session(m, t, levels[li], 0);
            ok = f && u && fused_as_expected(f, c);
            char what[64];
            snprintf(what, sizeof what, "%s, %d thread(s)", er_isa_name(levels[li]), t);
            if (ok) ok = same_outputs(f, u, seed + 7, c, what);
            er_session_free(f);
            er_session_free(u);
        }
    fuse_everything(0);
    er_model_free(m);
    return ok;
}

/* Every form, odd channel counts (1, 3, 7, 17, 33), expansion factors, K 3
 * and 5, stride 1 and 2, odd H/W, residual on and off, every activation at
 * every stage (cycled), batch 1 and 2. */
TEST(fuse_blocks_fused_matches_unfused) {
    static const int64_t chans[] = {1, 3, 7, 17, 33};
    static const int64_t factors[] = {1, 4, 6};
    int ok = 1, k = 0;
    for (int form = FORM_EDP; form <= FORM_DP && ok; form++)
        for (int ci = 0; ci < 5 && ok; ci++)
            for (int64_t K = 3; K <= 5 && ok; K += 2)
                for (int64_t s = 1; s <= 2 && ok; s++) {
                    block_case c = {0};
                    c.form = form;
                    c.N = 1 + (k % 5 == 4);
                    c.C = chans[ci];
                    c.H = 5 + 2 * ((ci + K) % 3); /* 5, 7, 9 */
                    c.W = 3 + 2 * ((ci + s) % 4); /* 3 .. 9 */
                    c.E = c.C * factors[(ci + s + K) % 3];
                    c.K = K;
                    c.stride = s;
                    c.pad_begin = K / 2;
                    c.pad_end = (k % 4 == 3) ? 0 : K / 2;
                    c.residual = form != FORM_ED && s == 1 && k % 2 == 0;
                    c.M = c.residual ? c.C : chans[(ci + 1) % 5];
                    for (int i = 0; i < 3; i++) c.act[i] = (k + 4 * i) % ACT_COUNT;
                    k++;
                    ok = check_case(&c, 100 + (unsigned)k);
                }
    CHECK(ok);
}

/* The expanded value has a second reader: the expand conv must stay, and
 * the depthwise -> project pair fuses alone. */
TEST(fuse_blocks_keeps_shared_intermediates) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 4, 7, 7};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv(&b, "expand", "x", 12, 4, 1, 1, 1, 0, 0, 1, "e");
    conv(&b, "dw", "e", 12, 1, 3, 12, 1, 1, 1, 3, "d");
    conv(&b, "project", "d", 4, 12, 1, 1, 1, 0, 0, 5, "p");
    mb_output(&b, "p");
    mb_output(&b, "e");
    er_model *m = mb_load(&b, 13);
    CHECK(m);
    fuse_everything(1);
    er_session *f = session(m, 1, er_isa_detected(), 1), *u = session(m, 1, er_isa_detected(), 0);
    fuse_everything(0);
    CHECK(f && u);
    CHECK_EQ_INT(count_op(f, "ConvBlockNhwc"), 1);
    CHECK_EQ_INT(count_op(f, "ConvNhwc"), 1);
    er_tensor *x = NULL, *yf[2], *yu[2];
    CHECK_STATUS(er_tensor_create(ER_F32, 4, xd, &x), ER_OK);
    ktest_rng r = {9};
    ktest_fill(&r, er_tensor_data(x), er_tensor_count(x), -1, 1);
    CHECK_STATUS(er_session_run(f, (const er_tensor *const *)&x, yf), ER_OK);
    CHECK_STATUS(er_session_run(u, (const er_tensor *const *)&x, yu), ER_OK);
    for (int i = 0; i < 2; i++)
        CHECK(ktest_first_bad(er_tensor_data_const(yf[i]), er_tensor_data_const(yu[i]),
                              er_tensor_count(yu[i]), 1e-4) < 0);
    er_tensor_free(x);
    er_session_free(f);
    er_session_free(u);
    er_model_free(m);
}

/* Not blocks: a dilated depthwise conv, and a strided "1x1" stage. */
TEST(fuse_blocks_leaves_other_chains) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 4, 9, 9};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv(&b, "expand", "x", 8, 4, 1, 1, 1, 0, 0, 1, "e");
    int64_t wd[4] = {8, 1, 3, 3}, bd[1] = {8};
    mb_const_rand(&b, "dw_w", 4, wd, 3, -1, 1);
    mb_const_rand(&b, "dw_b", 1, bd, 4, -1, 1);
    pbw a = {0};
    int64_t pads[4] = {2, 2, 2, 2}, dil[2] = {2, 2};
    onnx_attr_ints(&a, "pads", 4, pads);
    onnx_attr_ints(&a, "dilations", 2, dil);
    onnx_attr_int(&a, "group", 8);
    mb_node(&b, "Conv", "dw_conv", MB_IO("e", "dw_w", "dw_b"), MB_IO("d"), &a);
    pbw_free(&a);
    conv(&b, "project", "d", 4, 8, 1, 1, 2, 0, 0, 5, "p"); /* stride 2 */
    mb_output(&b, "p");
    er_model *m = mb_load(&b, 13);
    CHECK(m);
    fuse_everything(1);
    er_session *f = session(m, 1, er_isa_detected(), 1);
    fuse_everything(0);
    CHECK(f);
    CHECK_EQ_INT(count_op(f, "ConvBlockNhwc"), 0);
    CHECK_EQ_INT(count_op(f, "ConvNhwc"), 3);
    er_session_free(f);
    er_model_free(m);
}

/* Squeeze-and-excitation (EfficientNet, MobileNetV3): [expand ->] dw -> d;
 * s = sigmoid(conv(act(conv(GlobalAveragePool(d))))); project(d * s). The
 * pool joins the block as its second output and the Mul the project. */
static er_model *build_se(int64_t N, int64_t C, int64_t H, int64_t W, int64_t E, int64_t M,
                          int64_t K, int64_t stride, int expand, int residual, const int *act,
                          unsigned seed) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {N, C, H, W};
    mb_input(&b, "x", ER_F32, 4, xd);
    char cur[64] = "x", a[64];
    if (!expand) E = C;
    if (expand) {
        conv(&b, "expand", "x", E, C, 1, 1, 1, 0, 0, seed, "e");
        add_act(&b, act[0], "e", "expand", a);
        strcpy(cur, a);
    }
    conv(&b, "dw", cur, E, 1, K, E, stride, K / 2, K / 2, seed + 2, "d");
    add_act(&b, act[1], "d", "dw", a);
    char dname[64];
    strcpy(dname, a);
    mb_node(&b, "GlobalAveragePool", "gap", MB_IO(dname), MB_IO("g"), NULL);
    int64_t R = E / 4 > 0 ? E / 4 : 1;
    conv(&b, "fc1", "g", R, E, 1, 1, 1, 0, 0, seed + 4, "f1");
    mb_node(&b, "Relu", "fc1_relu", MB_IO("f1"), MB_IO("f1r"), NULL);
    conv(&b, "fc2", "f1r", E, R, 1, 1, 1, 0, 0, seed + 6, "f2");
    mb_node(&b, "Sigmoid", "fc2_sigmoid", MB_IO("f2"), MB_IO("sc"), NULL);
    mb_node(&b, "Mul", "scale", MB_IO("sc", dname), MB_IO("m"), NULL);
    conv(&b, "project", "m", M, E, 1, 1, 1, 0, 0, seed + 8, "p");
    strcpy(cur, "p");
    if (residual) {
        mb_node(&b, "Add", "add", MB_IO("p", "x"), MB_IO("s"), NULL);
        strcpy(cur, "s");
    }
    mb_node(&b, "Identity", "out", MB_IO(cur), MB_IO("y"), NULL);
    mb_output(&b, "y");
    return mb_load(&b, 14);
}

TEST(fuse_blocks_squeeze_excitation) {
    static const int64_t chans[] = {1, 3, 7, 17, 33};
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped), ok = 1;
    for (int k = 0; k < 10 && ok; k++) {
        block_case c = {0}; /* for messages only */
        c.form = k % 2 ? FORM_ED : FORM_DP;
        c.N = 1 + (k % 3 == 2);
        c.C = chans[k % 5];
        c.K = k % 4 < 2 ? 3 : 5;
        c.stride = 1 + k % 2;
        /* the scaled project needs OH*OW >= 4*M (M <= 33): 143 or 156 pixels */
        c.H = c.stride == 1 ? 13 : 25;
        c.W = c.stride == 1 ? 11 : 23;
        c.E = c.C * (2 + k % 3);
        c.pad_begin = c.pad_end = c.K / 2;
        c.residual = c.stride == 1 && k % 4 == 0;
        c.M = c.residual ? c.C : chans[(k + 2) % 5];
        for (int i = 0; i < 3; i++) c.act[i] = (k + 2 * i + 1) % ACT_COUNT;
        int expand = k % 2;
        er_model *m = build_se(c.N, c.C, c.H, c.W, c.E, c.M, c.K, c.stride, expand, c.residual,
                               c.act, 300 + (unsigned)k);
        CHECK(m);
        fuse_everything(1);
        for (int li = 0; li < nl && ok; li++)
            for (int t = 1; t <= 2 && ok; t++) {
                er_session *f = session(m, t, levels[li], 1), *u = session(m, t, levels[li], 0);
                ok = f && u;
                /* the block with its means, the scaled project, the two SE convs */
                if (ok && (count_op(f, "ConvBlockNhwc") != 2 || count_op(f, "ConvNhwc") != 2 ||
                           count_op(f, "GlobalAveragePoolNhwc") != 0 || count_op(f, "Mul") != 0)) {
                    printf("  fused graph: %d ConvBlockNhwc, %d ConvNhwc, %d pools, %d Mul "
                           "(want 2, 2, 0, 0)\n",
                           count_op(f, "ConvBlockNhwc"), count_op(f, "ConvNhwc"),
                           count_op(f, "GlobalAveragePoolNhwc"), count_op(f, "Mul"));
                    print_case(&c);
                    ok = 0;
                }
                char what[64];
                snprintf(what, sizeof what, "SE %s, %d thread(s)", er_isa_name(levels[li]), t);
                if (ok) ok = same_outputs(f, u, 17 + (unsigned)k, &c, what);
                er_session_free(f);
                er_session_free(u);
            }
        fuse_everything(0);
        er_model_free(m);
    }
    CHECK(ok);
    /* 5x5 pixels, M = 17: scaling the weights (E*M) would cost more than
     * the Mul (H*W*E), so the Mul stays; the pool still joins the block */
    const int acts[3] = {ACT_RELU, ACT_RELU, ACT_NONE};
    er_model *m = build_se(1, 8, 5, 5, 24, 17, 3, 1, 1, 0, acts, 400);
    CHECK(m);
    fuse_everything(1);
    er_session *f = session(m, 1, er_isa_detected(), 1);
    fuse_everything(0);
    CHECK(f);
    CHECK_EQ_INT(count_op(f, "ConvBlockNhwc"), 1);
    CHECK_EQ_INT(count_op(f, "Mul"), 1);
    CHECK_EQ_INT(count_op(f, "GlobalAveragePoolNhwc"), 0);
    er_session_free(f);
    er_model_free(m);
}

/* With the default thresholds: a small block stays unfused, so does one
 * with big intermediates but only 14 output rows to share among threads,
 * and a block whose expanded tensor is large (64x64x96 floats, 1.5 MiB)
 * with 32 output rows fuses (unless half of this CPU's L2 is larger). */
TEST(fuse_blocks_default_threshold) {
    block_case small = {FORM_EDP, 1, 8, 14, 14, 48, 8, 3, 1, 1, 1, {ACT_RELU6, ACT_RELU6, 0}, 1};
    block_case few_rows = {FORM_EDP, 1, 16, 28, 28, 240, 24, 3, 2, 1, 1,
                           {ACT_RELU6, ACT_RELU6, 0}, 0};
    block_case big = {FORM_EDP, 1, 16, 64, 64, 96, 24, 3, 2, 1, 1, {ACT_RELU6, ACT_RELU6, 0}, 0};
    const block_case *cs[3] = {&small, &few_rows, &big};
    const int l2 = er_cpu()->l2_bytes;
    const int want[3] = {0, 0, 64 * 64 * 96 * 4 >= (l2 > 0 ? l2 / 2 : 1024 * 1024)};
    for (int i = 0; i < 3; i++) {
        er_model *m = build(cs[i], 11);
        CHECK(m);
        er_session *f = session(m, 1, er_isa_detected(), 1);
        CHECK(f);
        CHECK_EQ_INT(count_op(f, "ConvBlockNhwc"), want[i]);
        er_session *u = session(m, 1, er_isa_detected(), 0);
        int ok = u && same_outputs(f, u, 5, cs[i], "default threshold");
        er_session_free(f);
        er_session_free(u);
        er_model_free(m);
        CHECK(ok);
    }
}
