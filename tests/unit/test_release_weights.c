/* test_release_weights.c - once a kernel has packed its weights the session
 * frees its own copy of them (er_op_ctx.consumed): packed ops still compute
 * what the unoptimized graph computes, constants another op reads while
 * running are kept, and re-planning for a new input shape (which rebuilds
 * the graph from the model) still works. */
#include <math.h>
#include <string.h>

#include "runtime/session.h"
#include "support/builder.h"
#include "test.h"

/* x [N,3,6,5] -> Conv(w, b) -> BatchNormalization -> y; BN folding makes the
 * conv weights session-owned. With `shared`, w is also read by a Mul whose
 * other input is a model input (so it runs every time): w must survive. */
static er_model *conv_bn_model(int64_t batch, int shared) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {batch, 3, 6, 5}, wd[4] = {4, 3, 3, 3}, pd[1] = {4};
    mb_input(&b, "x", ER_F32, 4, xd);
    mb_const_rand(&b, "w", 4, wd, 1, -0.5f, 0.5f);
    mb_const_rand(&b, "bias", 1, pd, 2, -0.5f, 0.5f);
    pbw a = {0};
    int64_t pads[4] = {1, 1, 1, 1};
    onnx_attr_ints(&a, "pads", 4, pads);
    mb_node(&b, "Conv", "conv", MB_IO("x", "w", "bias"), MB_IO("c"), &a);
    pbw_free(&a);
    mb_const_rand(&b, "gamma", 1, pd, 11, 0.5f, 1.5f);
    mb_const_rand(&b, "beta", 1, pd, 12, -1, 1);
    mb_const_rand(&b, "mean", 1, pd, 13, -1, 1);
    mb_const_rand(&b, "var", 1, pd, 14, 0.1f, 2);
    mb_node(&b, "BatchNormalization", "bn", MB_IO("c", "gamma", "beta", "mean", "var"), MB_IO("y"),
            NULL);
    mb_output(&b, "y");
    if (shared) {
        mb_input(&b, "s", ER_F32, 4, wd);
        mb_node(&b, "Mul", "mul", MB_IO("s", "w"), MB_IO("z"), NULL);
        mb_output(&b, "z");
    }
    return mb_load(&b, 13);
}

/* The planned ConvNhwc's weight value. */
static int conv_weight(const er_session *s) {
    for (int i = 0; i < s->g->n_nodes; i++)
        if (strcmp(s->g->nodes[i].op_type, "ConvNhwc") == 0) return s->g->nodes[i].in[1];
    return -1;
}

TEST(release_packed_weights_freed_outputs_unchanged) {
    er_model *m = conv_bn_model(1, 0);
    CHECK(m);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    int w = conv_weight(s);
    CHECK(w >= 0);
    /* the folded weights belonged to the session: freed after packing */
    CHECK(s->g->values[w].data == NULL);
    CHECK(s->t[w].data == NULL);
    double d = mb_compare_optimized(m, 5);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    er_session_free(s);
    er_model_free(m);
}

TEST(release_keeps_constants_read_at_run_time) {
    er_model *m = conv_bn_model(1, 1);
    CHECK(m);
    double d = mb_compare_optimized(m, 7);
    CHECK_MSG(d >= 0 && d < 1e-5, "max rel diff %g", d);
    /* the model's w feeds the Mul: still there after planning */
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    int wv = er_graph_find(s->g, "w");
    CHECK(wv >= 0 && s->t[wv].data != NULL);
    er_session_free(s);
    er_model_free(m);
}

/* Runs m at batch n with seeded inputs; returns y[...] sum, NAN on error. */
static double run_sum(er_session *s, int64_t n, unsigned seed) {
    int64_t xd[4] = {n, 3, 6, 5};
    er_tensor *x, *y;
    if (er_tensor_create(ER_F32, 4, xd, &x) != ER_OK) return NAN;
    float *xv = er_tensor_data(x);
    for (int64_t i = 0; i < n * 90; i++) xv[i] = (float)((seed * 2654435761u + (unsigned)i * 40503u) % 1000) / 500.0f - 1.0f;
    double sum = NAN;
    if (er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK) {
        sum = 0;
        const float *yv = er_tensor_data(y);
        for (int64_t i = 0; i < n * 120; i++) sum += yv[i];
    }
    er_tensor_free(x);
    return sum;
}

TEST(release_replan_rebuilds_from_the_model) {
    er_model *m = conv_bn_model(-1, 0); /* symbolic batch */
    CHECK(m);
    er_options o;
    er_options_init(&o);
    er_session *opt = NULL, *ref = NULL;
    CHECK_STATUS(er_session_create(m, &o, &opt), ER_OK);
    o.optimize = 0;
    CHECK_STATUS(er_session_create(m, &o, &ref), ER_OK);
    for (int64_t n = 1; n <= 3; n++) { /* each new batch re-plans */
        double a = run_sum(opt, n, (unsigned)n), b = run_sum(ref, n, (unsigned)n);
        CHECK_MSG(!isnan(a) && fabs(a - b) <= 1e-4 * fmax(1, fabs(b)), "batch %lld: %g vs %g",
                  (long long)n, a, b);
    }
    /* a second session from the same model after the first freed its copies */
    er_session *again = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &again), ER_OK);
    double a = run_sum(again, 2, 9), b = run_sum(ref, 2, 9);
    CHECK_MSG(fabs(a - b) <= 1e-4 * fmax(1, fabs(b)), "%g vs %g", a, b);
    er_session_free(again);
    er_session_free(opt);
    er_session_free(ref);
    er_model_free(m);
}
