/* test_activation_vact.c - the float32 activation ops (LeakyRelu, Sigmoid,
 * Tanh, HardSigmoid, HardSwish) run the vectorized epilogue kernels: on an
 * odd-sized tensor big enough to be split over 2 threads, every element
 * is within vact.h's documented bounds of the exact value, at 1 and 2
 * threads, and NaN stays NaN. */
#include <math.h>
#include <string.h>

#include "support/builder.h"
#include "test.h"

enum { N = 70001 };

static double exact(const char *op, double v) {
    if (!strcmp(op, "LeakyRelu")) return v < 0 ? 0.01 * v : v;
    if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-v));
    if (!strcmp(op, "Tanh")) return tanh(v);
    if (!strcmp(op, "HardSigmoid")) return fmin(1, fmax(0, 0.2 * v + 0.5));
    return v * fmin(1, fmax(0, v / 6 + 0.5)); /* HardSwish */
}

static int check_op(const char *op, int threads) {
    mb b;
    mb_init(&b);
    int64_t d[2] = {1, N};
    mb_input(&b, "x", ER_F32, 2, d);
    mb_node(&b, op, "act", MB_IO("x"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 14);
    if (!m) return 0;
    er_options o;
    er_options_init(&o);
    o.threads = threads;
    er_session *s = NULL;
    er_tensor *x = NULL, *y = NULL;
    int ok = er_session_create(m, &o, &s) == ER_OK && er_tensor_create(ER_F32, 2, d, &x) == ER_OK;
    if (ok) {
        float *xv = er_tensor_data(x);
        for (int i = 0; i < N; i++) xv[i] = -12.0f + 24.0f * (float)i / (float)N;
        xv[N / 2] = NAN;
        ok = er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK;
    }
    for (int i = 0; ok && i < N; i++) {
        const float *xv = er_tensor_data(x), *yv = er_tensor_data(y);
        if (i == N / 2) {
            ok = isnan(yv[i]);
            if (!ok) printf("  %s: NaN -> %g\n", op, (double)yv[i]);
            continue;
        }
        double r = exact(op, xv[i]), tol = 4e-7 * fmax(1, fabs(r));
        ok = fabs(yv[i] - r) <= tol;
        if (!ok) printf("  %s (%d threads): x %.9g -> %.9g, exact %.9g\n", op, threads,
                        (double)xv[i], (double)yv[i], r);
    }
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
    return ok;
}

TEST(activation_ops_vectorized_within_bounds) {
    const char *ops[] = {"LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"};
    for (int i = 0; i < 5; i++)
        for (int t = 1; t <= 2; t++) CHECK_MSG(check_op(ops[i], t), "%s, %d threads", ops[i], t);
}
