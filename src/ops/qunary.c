/* qunary.c - quantized unary activations by lookup table (domain
 * "edgerun"): QSigmoid, QTanh, QHardSwish, QLeakyRelu (attribute alpha,
 * default 0.01).
 *
 * Inputs: X, X_scale, X_zp, Y_scale, Y_zp (per tensor, uint8/int8; Y's
 * dtype is its zero point's). An 8-bit input has 256 values, so the op is
 * exactly y = table[(uint8_t)x] with the table of er_qlut_build: the float
 * function evaluated in double on the dequantized value, requantized with
 * rint (half to even) and saturated. The table is the bit-exact definition;
 * an optimized kernel uses the same table (a byte shuffle/gather). It is
 * rebuilt per run from the scale inputs: 256 evaluations. */
#include <math.h>

#include "op.h"
#include "quant_util.h"

typedef enum { U_SIGMOID, U_TANH, U_HARD_SWISH, U_LEAKY_RELU } qunary_kind;

static double f_sigmoid(double x, const void *arg) {
    (void)arg;
    return 1.0 / (1.0 + exp(-x));
}
static double f_tanh(double x, const void *arg) {
    (void)arg;
    return tanh(x);
}
/* ONNX HardSwish: x * max(0, min(1, x / 6 + 0.5)) */
static double f_hard_swish(double x, const void *arg) {
    (void)arg;
    double g = x / 6.0 + 0.5;
    return x * (g < 0 ? 0 : g > 1 ? 1 : g);
}
static double f_leaky_relu(double x, const void *arg) {
    return x >= 0 ? x : *(const double *)arg * x;
}

static er_status shape_qunary(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(er_qio_check(c, 5, &ydt));
    float alpha = er_attr_float(c->node, "alpha", 0.01f);
    if (!isfinite(alpha))
        return er_fail(ER_ERR_INVALID_MODEL, "alpha %g must be finite", (double)alpha);
    const er_tensor *x = c->in[0];
    er_op_set_output(c, 0, ydt, x->rank, x->dims);
    return ER_OK;
}

static er_status run_qunary(er_op_ctx *c, qunary_kind kind) {
    er_qio q;
    ER_TRY(er_qio_read(c, &q));
    static const er_qfn fns[] = {f_sigmoid, f_tanh, f_hard_swish, f_leaky_relu};
    double alpha = (double)er_attr_float(c->node, "alpha", 0.01f);
    uint8_t table[256];
    er_qlut_build(table, c->in[0]->dtype, q.x_scale, q.x_zp, c->out[0]->dtype, q.y_scale, q.y_zp,
                  fns[kind], &alpha);
    const uint8_t *x = c->in[0]->data; /* int8 data read through its uint8 view */
    uint8_t *y = c->out[0]->data;
    size_t n = er_tensor_numel(c->in[0]);
    for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
    return ER_OK;
}

static er_status run_sigmoid(er_op_ctx *c) { return run_qunary(c, U_SIGMOID); }
static er_status run_tanh(er_op_ctx *c) { return run_qunary(c, U_TANH); }
static er_status run_hard_swish(er_op_ctx *c) { return run_qunary(c, U_HARD_SWISH); }
static er_status run_leaky_relu(er_op_ctx *c) { return run_qunary(c, U_LEAKY_RELU); }

const er_op_def er_op_qsigmoid = {.name = "QSigmoid", .domain = "edgerun", .min_opset = 1,
                                  .shape = shape_qunary, .run = run_sigmoid};
const er_op_def er_op_qtanh = {.name = "QTanh", .domain = "edgerun", .min_opset = 1,
                               .shape = shape_qunary, .run = run_tanh};
const er_op_def er_op_qhard_swish = {.name = "QHardSwish", .domain = "edgerun", .min_opset = 1,
                                     .shape = shape_qunary, .run = run_hard_swish};
const er_op_def er_op_qleaky_relu = {.name = "QLeakyRelu", .domain = "edgerun", .min_opset = 1,
                                     .shape = shape_qunary, .run = run_leaky_relu};
