/* test_batchnorm_spatial.c - BatchNormalization with spatial = 0 (opsets
 * 7-8): one set of statistics per element of [C, D1..Dn]; parameters of the
 * per-channel shape are then a shape error naming what was expected. */
#include <math.h>
#include <string.h>

#include "support/builder.h"
#include "test.h"

static float k_p[4][12]; /* scale, bias, mean, var for [3, 2, 2] */

static er_model *model(const int64_t *pd, int prank) {
    for (int e = 0; e < 12; e++) {
        k_p[0][e] = 0.5f + 0.1f * (float)e;
        k_p[1][e] = -1.0f + 0.2f * (float)e;
        k_p[2][e] = 0.3f * (float)e - 2.0f;
        k_p[3][e] = 0.25f + 0.05f * (float)e;
    }
    mb b;
    mb_init(&b);
    int64_t xd[4] = {2, 3, 2, 2};
    mb_input(&b, "x", ER_F32, 4, xd);
    mb_const(&b, "scale", ER_F32, prank, pd, k_p[0]);
    mb_const(&b, "bias", ER_F32, prank, pd, k_p[1]);
    mb_const(&b, "mean", ER_F32, prank, pd, k_p[2]);
    mb_const(&b, "var", ER_F32, prank, pd, k_p[3]);
    pbw a = {0};
    onnx_attr_int(&a, "spatial", 0);
    mb_node(&b, "BatchNormalization", "bn", MB_IO("x", "scale", "bias", "mean", "var"),
            MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    return mb_load(&b, 7);
}

TEST(batchnorm_spatial0_per_element) {
    const int64_t pd[3] = {3, 2, 2};
    er_model *m = model(pd, 3);
    CHECK(m);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    int64_t xd[4] = {2, 3, 2, 2};
    float xv[24];
    for (int i = 0; i < 24; i++) xv[i] = (float)i * 0.37f - 4.0f;
    er_tensor *x, *y;
    CHECK_STATUS(er_tensor_wrap(ER_F32, 4, xd, xv, sizeof xv, &x), ER_OK);
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_OK);
    const float *yv = er_tensor_data(y);
    for (int n = 0; n < 2; n++)
        for (int e = 0; e < 12; e++) {
            double v = xv[n * 12 + e];
            double want = k_p[0][e] * (v - k_p[2][e]) / sqrt(k_p[3][e] + 1e-5) + k_p[1][e];
            CHECK_MSG(fabs(yv[n * 12 + e] - want) <= 1e-5 * fmax(1, fabs(want)),
                      "[%d,%d]: %g, want %g", n, e, (double)yv[n * 12 + e], want);
        }
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
}

TEST(batchnorm_spatial0_rejects_channel_shaped_parameters) {
    const int64_t pd[1] = {3};
    er_model *m = model(pd, 1);
    CHECK(m);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_ERR_SHAPE);
    CHECK(strstr(er_last_error(), "spatial = 0") != NULL);
    er_model_free(m);
}
