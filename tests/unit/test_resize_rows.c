/* test_resize_rows.c - the float32 row path of Resize (innermost axis not
 * resized, as for NHWC images) against the general path, which float64
 * inputs take, over modes and coordinate transforms. */
#include <math.h>
#include <stdlib.h>

#include "core/tensor.h"
#include "support/builder.h"
#include "test.h"

static er_tensor *run_resize(er_dtype dt, const char *mode, const char *ctm, const float *x,
                             const int64_t *xd, const float *scales, const float *roi,
                             er_model **keep, er_session **keep_s) {
    mb b;
    mb_init(&b);
    int64_t four[1] = {4}, eight[1] = {8}, zero[1] = {0};
    mb_input(&b, "x", dt, 4, xd);
    mb_const(&b, "scales", ER_F32, 1, four, scales);
    if (roi) mb_const(&b, "roi", ER_F32, 1, eight, roi);
    else mb_const(&b, "roi", ER_F32, 1, zero, scales);
    pbw a = {0}, at = {0};
    pbw_str(&at, 1, "mode");
    pbw_int(&at, 20, 3);
    pbw_str(&at, 4, mode);
    pbw_msg(&a, 5, &at);
    pbw_free(&at);
    pbw_str(&at, 1, "coordinate_transformation_mode");
    pbw_int(&at, 20, 3);
    pbw_str(&at, 4, ctm);
    pbw_msg(&a, 5, &at);
    pbw_free(&at);
    onnx_attr_float(&a, "extrapolation_value", 7.0f);
    mb_node(&b, "Resize", "resize", MB_IO("x", "roi", "scales"), MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    er_session *s = NULL;
    er_tensor *in = NULL, *out = NULL;
    if (!m || er_session_create(m, NULL, &s) != ER_OK) return NULL;
    er_tensor_create(dt, 4, xd, &in);
    size_t n = er_tensor_count(in);
    for (size_t i = 0; i < n; i++) er_store_f64(er_tensor_data(in), dt, i, x[i]);
    if (er_session_run(s, (const er_tensor *const *)&in, &out) != ER_OK) out = NULL;
    er_tensor_free(in);
    *keep = m;
    *keep_s = s;
    return out;
}

TEST(resize_f32_rows_match_general_path) {
    static const char *const modes[] = {"linear", "cubic"};
    static const char *const ctms[] = {"half_pixel", "align_corners", "asymmetric",
                                       "pytorch_half_pixel", "tf_crop_and_resize"};
    int64_t xd[4] = {2, 5, 7, 6};
    float x[2 * 5 * 7 * 6];
    unsigned seed = 3;
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)((double)rand_r(&seed) / RAND_MAX);
    float scales[4] = {1, 1.6f, 0.8f, 1};
    float roi[8] = {0, 0.1f, 0.2f, 0, 1, 0.9f, 1.1f, 1};
    for (int mi = 0; mi < 2; mi++)
        for (int ci = 0; ci < 5; ci++) {
            const float *r = ci == 4 ? roi : NULL;
            er_model *m32, *m64;
            er_session *s32, *s64;
            er_tensor *y32 = run_resize(ER_F32, modes[mi], ctms[ci], x, xd, scales, r, &m32, &s32);
            er_tensor *y64 = run_resize(ER_F64, modes[mi], ctms[ci], x, xd, scales, r, &m64, &s64);
            CHECK_MSG(y32 && y64, "%s %s: %s", modes[mi], ctms[ci], er_last_error());
            CHECK(er_tensor_count(y32) == er_tensor_count(y64));
            for (size_t i = 0; i < er_tensor_count(y32); i++) {
                double a = ((const float *)er_tensor_data(y32))[i];
                double e = ((const double *)er_tensor_data(y64))[i];
                CHECK_MSG(fabs(a - e) <= 1e-5 * (1 + fabs(e)), "%s %s: y[%zu] = %g, want %g",
                          modes[mi], ctms[ci], i, a, e);
            }
            er_session_free(s32);
            er_session_free(s64);
            er_model_free(m32);
            er_model_free(m64);
        }
}
