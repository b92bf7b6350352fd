/* batch_normalization.c - BatchNormalization over X [N, C, D1..Dn] with
 * per-channel scale, bias, mean and var (ONNX opset 6..15 semantics).
 *
 * Inference: y = scale * (x - mean) / sqrt(var + epsilon) + bias, folded per
 * channel into y = x * a + b (a and b computed in double).
 * training_mode = 1 (opset 14+): the mean and the population variance of X
 * over every axis but 1 replace the inputs, and the optional outputs
 * running_mean / running_var are input * momentum + batch * (1 - momentum),
 * as the ONNX reference computes them.
 *
 * spatial = 0 (opsets 7-8): scale, bias, mean and var have X's shape
 * without N, [C, D1..Dn], one set of statistics per element.
 * Refused with ER_ERR_UNSUPPORTED and a message: the training outputs of
 * opset < 14, whose meaning depended on an is_test/consumer convention
 * rather than an attribute (no exporter writes them for inference). The input
 * statistics may use another float dtype than X (opset 15's T1/T2). */
#include <math.h>
#include <string.h>

#include "op.h"

static er_status shape_bn(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 5, 5));
    for (int i = 0; i < 5; i++) ER_TRY(er_op_check_dtype(c, i, er_dt_float));
    const er_tensor *x = c->in[0];
    if (x->rank < 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: expected rank >= 2 [N, C, ...]",
                       er_op_shape_str(x));
    bool spatial = er_attr_int(c->node, "spatial", 1) != 0;
    int64_t training = er_attr_int(c->node, "training_mode", 0);
    if (training != 0 && training != 1)
        return er_fail(ER_ERR_INVALID_MODEL, "training_mode %lld must be 0 or 1",
                       (long long)training);
    int n_stats_out = 0;
    for (int i = 1; i < c->n_out; i++)
        if (c->out[i]) n_stats_out++;
    if (n_stats_out && c->opset < 14)
        return er_fail(ER_ERR_UNSUPPORTED, "the training outputs of opset %d are not supported",
                       c->opset);
    if (c->n_out > 3)
        return er_fail(ER_ERR_INVALID_MODEL, "has %d outputs, at most 3 allowed", c->n_out);
    if (n_stats_out && !training)
        return er_fail(ER_ERR_INVALID_MODEL, "running_mean/running_var outputs need "
                       "training_mode = 1");
    int64_t C = x->dims[1];
    if (!spatial && training)
        return er_fail(ER_ERR_INVALID_MODEL, "spatial = 0 with training_mode = 1");
    for (int i = 1; i < 5; i++) {
        const er_tensor *p = c->in[i];
        if (spatial ? p->rank != 1 || p->dims[0] != C
                    : !er_shape_equal(p->rank, p->dims, x->rank - 1, x->dims + 1))
            return er_fail(ER_ERR_SHAPE, "input %d shape %s: expected %s of %s", i,
                           er_op_shape_str(p), spatial ? "[C], the channels" :
                           "[C, D1..Dn] (spatial = 0), the dims after N", er_op_shape_str(x));
    }
    er_op_set_output(c, 0, x->dtype, x->rank, x->dims);
    er_op_set_output(c, 1, c->in[3]->dtype, 1, &C);
    er_op_set_output(c, 2, c->in[4]->dtype, 1, &C);
    return ER_OK;
}

static er_status run_bn(er_op_ctx *c) {
    const er_tensor *x = c->in[0], *scale = c->in[1], *bias = c->in[2];
    const er_tensor *mean = c->in[3], *var = c->in[4];
    er_tensor *y = c->out[0];
    double eps = er_attr_float(c->node, "epsilon", 1e-5f);
    double momentum = er_attr_float(c->node, "momentum", 0.9f);
    bool training = er_attr_int(c->node, "training_mode", 0) != 0;
    int64_t N = x->dims[0], C = x->dims[1], inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    er_dtype dt = x->dtype;
    if (er_attr_int(c->node, "spatial", 1) == 0) { /* per-element statistics */
        for (int64_t e = 0; e < C * inner; e++) {
            double a = er_load_f64(scale->data, scale->dtype, (size_t)e) /
                       sqrt(er_load_f64(var->data, var->dtype, (size_t)e) + eps);
            double b = er_load_f64(bias->data, bias->dtype, (size_t)e) -
                       er_load_f64(mean->data, mean->dtype, (size_t)e) * a;
            for (int64_t nb = 0; nb < N; nb++) {
                size_t at = (size_t)(nb * C * inner + e);
                er_store_f64(y->data, dt, at, er_load_f64(x->data, dt, at) * a + b);
            }
        }
        return ER_OK;
    }
    for (int64_t ch = 0; ch < C; ch++) {
        double m = er_load_f64(mean->data, mean->dtype, (size_t)ch);
        double v = er_load_f64(var->data, var->dtype, (size_t)ch);
        if (training) {
            double s = 0, ss = 0, cnt = (double)(N * inner);
            for (int64_t nb = 0; nb < N; nb++)
                for (int64_t i = 0; i < inner; i++)
                    s += er_load_f64(x->data, dt, (size_t)((nb * C + ch) * inner + i));
            double bm = cnt > 0 ? s / cnt : 0;
            for (int64_t nb = 0; nb < N; nb++)
                for (int64_t i = 0; i < inner; i++) {
                    double d = er_load_f64(x->data, dt, (size_t)((nb * C + ch) * inner + i)) - bm;
                    ss += d * d;
                }
            double bv = cnt > 0 ? ss / cnt : 0;
            if (c->n_out > 1 && c->out[1])
                er_store_f64(c->out[1]->data, c->out[1]->dtype, (size_t)ch,
                             m * momentum + bm * (1 - momentum));
            if (c->n_out > 2 && c->out[2])
                er_store_f64(c->out[2]->data, c->out[2]->dtype, (size_t)ch,
                             v * momentum + bv * (1 - momentum));
            m = bm;
            v = bv;
        }
        double a = er_load_f64(scale->data, scale->dtype, (size_t)ch) / sqrt(v + eps);
        double b = er_load_f64(bias->data, bias->dtype, (size_t)ch) - m * a;
        for (int64_t nb = 0; nb < N; nb++) {
            size_t base = (size_t)((nb * C + ch) * inner);
            if (dt == ER_F32) {
                const float *xp = (const float *)x->data + base;
                float *yp = (float *)y->data + base;
                float fa = (float)a, fb = (float)b;
                for (int64_t i = 0; i < inner; i++) yp[i] = xp[i] * fa + fb;
            } else {
                for (int64_t i = 0; i < inner; i++)
                    er_store_f64(y->data, dt, base + (size_t)i,
                                 er_load_f64(x->data, dt, base + (size_t)i) * a + b);
            }
        }
    }
    return ER_OK;
}

const er_op_def er_op_batch_normalization = {.name = "BatchNormalization", .min_opset = 6,
                                             .shape = shape_bn, .run = run_bn};
