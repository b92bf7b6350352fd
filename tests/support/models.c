/* models.c - test models (see models.h). */
#include "models.h"

void model_add_mul(pbw *out, int64_t batch) {
    pbw g = {0}, n = {0}, t = {0}, vi = {0};
    float w[4] = {1, 2, 3, 4};
    int64_t wd[1] = {4}, xd[2] = {batch, 4};
    const char *add_in[] = {"x", "w", NULL}, *add_out[] = {"s", NULL};
    const char *mul_in[] = {"s", "s", NULL}, *mul_out[] = {"y", NULL};
    onnx_node(&n, "Add", "add0", add_in, add_out, NULL);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    onnx_node(&n, "Mul", "mul0", mul_in, mul_out, NULL);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    pbw_str(&g, 2, "add_mul");
    onnx_tensor(&t, "w", 1, 1, wd, w, sizeof w);
    pbw_msg(&g, 5, &t);
    onnx_value_info(&vi, "x", 1, 2, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 2, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(out, &g, 13);
    pbw_free(&g);
    pbw_free(&t);
    pbw_free(&vi);
}
