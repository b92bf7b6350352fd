/* test_softmax_fast.c - float32 Softmax/LogSoftmax along a contiguous axis
 * use the vectorized exp (ops/softmax.c run_fast): against the exact values
 * in double, a row with a NaN, a row of equal values, and an inner axis
 * (not contiguous: the reference loop). */
#include <math.h>
#include <string.h>

#include "support/builder.h"
#include "test.h"

static int check(const char *op, int axis, int rows, int n) {
    mb b;
    mb_init(&b);
    int64_t d[2] = {rows, n};
    mb_input(&b, "x", ER_F32, 2, d);
    pbw a = {0};
    onnx_attr_int(&a, "axis", axis);
    mb_node(&b, op, "sm", MB_IO("x"), MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = NULL;
    er_tensor *x = NULL, *y = NULL;
    int ok = m && er_session_create(m, NULL, &s) == ER_OK &&
             er_tensor_create(ER_F32, 2, d, &x) == ER_OK;
    float *xv = ok ? er_tensor_data(x) : NULL;
    for (int i = 0; ok && i < rows * n; i++)
        xv[i] = (float)(((i * 7919) % 4001) - 2000) / 100.0f; /* [-20, 20] */
    if (ok && rows > 2) {
        for (int k = 0; k < n; k++) xv[n + k] = 3.0f; /* row 1: all equal */
        xv[2 * n + n / 3] = NAN;                     /* row 2: a NaN */
    }
    ok = ok && er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK;
    if (!ok) printf("  setup/run: %s\n", er_last_error());
    const float *yv = ok ? er_tensor_data(y) : NULL;
    int outer = axis == 1 ? rows : 1, len = axis == 1 ? n : rows, st = axis == 1 ? 1 : n;
    int inner = axis == 1 ? 1 : n;
    for (int o = 0; ok && o < outer; o++)
        for (int in = 0; ok && in < inner; in++) {
            int base = o * n + in;
            double mx = -INFINITY, sum = 0;
            int has_nan = 0;
            for (int k = 0; k < len; k++) {
                double v = xv[base + k * st];
                has_nan |= isnan(v);
                if (v > mx) mx = v;
            }
            for (int k = 0; k < len; k++) sum += exp(xv[base + k * st] - mx);
            for (int k = 0; ok && k < len; k++) {
                double v = xv[base + k * st], got = yv[base + k * st];
                if (has_nan) {
                    ok = isnan(got);
                    if (!ok) printf("  %s: NaN row gave %g at %d\n", op, got, k);
                    continue;
                }
                double want = !strcmp(op, "Softmax") ? exp(v - mx) / sum : v - mx - log(sum);
                /* x - max rounds to float (an error of |x - max| * 2^-24 in the
                 * exponent: 2.4e-6 relative at -40), then exp adds 2e-7 */
                double tol = !strcmp(op, "Softmax") ? 5e-6 * want + 1e-37 : 1e-5 * fmax(1, fabs(want));
                ok = fabs(got - want) <= tol;
                if (!ok)
                    printf("  %s axis %d row %d k %d: %.9g, exact %.9g\n", op, axis, o, k, got, want);
            }
        }
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
    return ok;
}

TEST(softmax_float32_fast_path) {
    CHECK(check("Softmax", 1, 4, 1000));
    CHECK(check("Softmax", 1, 3, 17));
    CHECK(check("LogSoftmax", 1, 4, 1000));
    CHECK(check("Softmax", 0, 5, 33)); /* inner axis: the reference loop */
    CHECK(check("LogSoftmax", 0, 5, 33));
}
