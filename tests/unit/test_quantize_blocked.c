/* test_quantize_blocked.c - QuantizeLinear / DequantizeLinear with
 * block_size (opset 21): element a along the axis uses scale/zero-point
 * entry a / block_size, the other coordinates their own; a scale whose
 * shape does not match ceil(dims[axis] / block_size) is a shape error. */
#include <math.h>
#include <string.h>

#include "support/builder.h"
#include "test.h"

/* x [2, 5] f32, axis 1, block 2 -> scale/zp [2, 3] */
static const float k_x[10] = {0.1f, -0.4f, 2.5f, 3.0f, -7.0f, 1.0f, 1.5f, -2.0f, 0.26f, 9.0f};
static const float k_s[6] = {0.1f, 0.5f, 2.0f, 0.25f, 1.0f, 0.05f};
static const uint8_t k_z[6] = {10, 128, 0, 200, 5, 100};

static er_model *model(const char *op, int64_t block, const int64_t *sdims, int x_u8) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {2, 5};
    mb_input(&b, "x", x_u8 ? ER_U8 : ER_F32, 2, xd);
    mb_const(&b, "s", ER_F32, 2, sdims, k_s);
    mb_const(&b, "z", ER_U8, 2, sdims, k_z);
    pbw a = {0};
    onnx_attr_int(&a, "axis", 1);
    onnx_attr_int(&a, "block_size", block);
    mb_node(&b, op, "q", MB_IO("x", "s", "z"), MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    return mb_load(&b, 21);
}

static er_status run(er_model *m, const void *xv, er_dtype dt, er_tensor **y, er_session **s) {
    int64_t xd[2] = {2, 5};
    er_tensor *x;
    er_status st = er_session_create(m, NULL, s);
    if (st != ER_OK) return st;
    st = er_tensor_wrap(dt, 2, xd, (void *)xv, 10 * (dt == ER_F32 ? 4 : 1), &x);
    if (st != ER_OK) return st;
    st = er_session_run(*s, (const er_tensor *const *)&x, y);
    er_tensor_free(x);
    return st;
}

TEST(quantize_blocked_uses_entry_a_over_block) {
    const int64_t sd[2] = {2, 3};
    er_model *m = model("QuantizeLinear", 2, sd, 0);
    CHECK(m);
    er_session *s = NULL;
    er_tensor *y = NULL;
    CHECK_STATUS(run(m, k_x, ER_F32, &y, &s), ER_OK);
    const uint8_t *yv = er_tensor_data(y);
    for (int r = 0; r < 2; r++)
        for (int a = 0; a < 5; a++) {
            int p = r * 3 + a / 2;
            float q = rintf(k_x[r * 5 + a] / k_s[p]) + (float)k_z[p];
            int want = q < 0 ? 0 : q > 255 ? 255 : (int)q;
            CHECK_MSG(yv[r * 5 + a] == want, "[%d,%d]: %d, want %d", r, a, yv[r * 5 + a], want);
        }
    er_session_free(s);
    er_model_free(m);
}

TEST(dequantize_blocked_uses_entry_a_over_block) {
    const int64_t sd[2] = {2, 3};
    er_model *m = model("DequantizeLinear", 2, sd, 1);
    CHECK(m);
    static const uint8_t xq[10] = {0, 10, 128, 255, 7, 200, 201, 5, 100, 101};
    er_session *s = NULL;
    er_tensor *y = NULL;
    CHECK_STATUS(run(m, xq, ER_U8, &y, &s), ER_OK);
    const float *yv = er_tensor_data(y);
    for (int r = 0; r < 2; r++)
        for (int a = 0; a < 5; a++) {
            int p = r * 3 + a / 2;
            float want = (float)((int)xq[r * 5 + a] - (int)k_z[p]) * k_s[p];
            CHECK_MSG(yv[r * 5 + a] == want, "[%d,%d]: %g, want %g", r, a, yv[r * 5 + a], want);
        }
    er_session_free(s);
    er_model_free(m);
}

TEST(quantize_blocked_shape_errors) {
    const int64_t wrong[2] = {2, 2}; /* ceil(5 / 2) is 3 */
    er_model *m = model("QuantizeLinear", 2, wrong, 0);
    CHECK(m);
    er_session *s = NULL;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_ERR_SHAPE);
    CHECK(strstr(er_last_error(), "block_size") != NULL);
    er_model_free(m);
    const int64_t sd[2] = {2, 3};
    m = model("QuantizeLinear", -1, sd, 0);
    CHECK(m);
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_ERR_INVALID_MODEL);
    er_model_free(m);
}
