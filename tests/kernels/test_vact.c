/* test_vact.c - the vectorized activations (cpu/gemm/vact.h) against
 * er_act_apply_ref at every ISA level: the error bounds vact.h documents,
 * every length 0..40 (vector tails) with guards around the buffer. */
#include <math.h>
#include <string.h>

#include "cpu/gemm/vact.h"
#include "kernel_util.h"
#include "test.h"

static const er_act k_acts[] = {
    {ER_ACT_NONE, 0, 0, 0, 0},          {ER_ACT_RELU, 0, 0, 0, 0},
    {ER_ACT_CLIP, 0, 0, -0.3f, 0.4f},    {ER_ACT_LEAKY_RELU, 0.1f, 0, 0, 0},
    {ER_ACT_SIGMOID, 0, 0, 0, 0},        {ER_ACT_HARD_SIGMOID, 0.2f, 0.5f, 0, 0},
    {ER_ACT_HARD_SWISH, 0, 0, 0, 0},     {ER_ACT_SILU, 0, 0, 0, 0},
    {ER_ACT_TANH, 0, 0, 0, 0},
};
#define N_ACTS (sizeof k_acts / sizeof k_acts[0])

/* Allowed |got - ref| for act a, input x and reference r (vact.h's bounds). */
static double bound(const er_act *a, double x, double r) {
    const double u = 1.2e-7; /* float epsilon */
    (void)r;
    switch (a->kind) {
    case ER_ACT_NONE:
    case ER_ACT_RELU:
    case ER_ACT_CLIP:
    case ER_ACT_LEAKY_RELU: return 0;
    case ER_ACT_HARD_SIGMOID: return 2 * u * (fabs(a->alpha * x) + fabs(a->beta));
    case ER_ACT_HARD_SWISH: return 2 * u * fabs(x) * (fabs(x) / 6 + 0.5);
    case ER_ACT_SIGMOID:
    case ER_ACT_TANH: return 2e-7;
    case ER_ACT_SILU: return 4e-7 * (fabs(x) > 1 ? fabs(x) : 1);
    }
    return 0;
}

static er_f32_vact_fn level_fn(er_isa l) {
    return er_f32_vact_pick(l);
}

TEST(vact_error_bounds) {
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    printf("  vact: %d ISA level(s), %d skipped\n", nl, skipped);
    enum { N = 1 << 20 };
    static float x[N + 16], y[N], r[N];
    size_t n = 0;
    for (int i = 0; i < N - 64; i++) x[n++] = -30.0f + 60.0f * (float)i / (float)(N - 64);
    const float edges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.5f, -0.5f,
                           3.0f, -3.0f, 80.0f, -80.0f, 87.0f, -87.0f, 88.0f, -88.0f,
                           89.0f, -89.0f, 100.0f, -100.0f, 1e10f, -1e10f, 6.0f, -6.0f};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) x[n++] = edges[i];
    for (int li = 0; li < nl; li++) {
        er_f32_vact_fn fn = level_fn(levels[li]);
        for (size_t ai = 0; ai < N_ACTS; ai++) {
            const er_act *a = &k_acts[ai];
            memcpy(y, x, n * sizeof(float));
            memcpy(r, x, n * sizeof(float));
            fn(a, y, n);
            er_act_apply_ref(a, r, n);
            double worst = 0, worst_x = 0;
            for (size_t i = 0; i < n; i++) {
                double e = fabs((double)y[i] - (double)r[i]);
                double lim = bound(a, x[i], r[i]);
                CHECK_MSG(e <= lim, "%s %s: x = %.9g: got %.9g, reference %.9g (error %.3g > %.3g)",
                          er_isa_name(levels[li]), er_act_name(a->kind), (double)x[i],
                          (double)y[i], (double)r[i], e, lim);
                if (e > worst) {
                    worst = e;
                    worst_x = x[i];
                }
            }
            if (a->kind == ER_ACT_SIGMOID || a->kind == ER_ACT_SILU || a->kind == ER_ACT_TANH)
                printf("  %-7s %-8s max error %.3g at x = %.6g\n", er_isa_name(levels[li]),
                       er_act_name(a->kind), worst, worst_x);
        }
    }
}

/* Lengths 0..40 cover every vector tail; guards catch stray writes. */
TEST(vact_tails) {
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    ktest_rng rng = {ktest_seed(77)};
    float buf[64], ref[64];
    for (int li = 0; li < nl; li++)
        for (size_t ai = 0; ai < N_ACTS; ai++)
            for (size_t n = 0; n <= 40; n++) {
                ktest_fill(&rng, buf, 64, -8, 8);
                memcpy(ref, buf, sizeof buf);
                level_fn(levels[li])(&k_acts[ai], buf + 4, n);
                er_act_apply_ref(&k_acts[ai], ref + 4, n);
                for (size_t i = 0; i < 64; i++) {
                    int inside = i >= 4 && i < 4 + n;
                    double lim = inside ? bound(&k_acts[ai], 8, ref[i]) : 0;
                    CHECK_MSG(fabs((double)buf[i] - (double)ref[i]) <= lim,
                              "%s %s n=%zu: [%zu] = %.9g, expected %.9g%s",
                              er_isa_name(levels[li]), er_act_name(k_acts[ai].kind), n, i,
                              (double)buf[i], (double)ref[i], inside ? "" : " (outside y)");
                }
            }
}
