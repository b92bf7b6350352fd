/* loss.c - the classification loss family: NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss (ONNX opset 12/13 semantics). One file because
 * SoftmaxCrossEntropyLoss is log-softmax over the class axis followed by
 * exactly NegativeLogLikelihoodLoss.
 *
 * Input scores [N, C, d1..dk] (k >= 0), target [N, d1..dk] of int32/int64
 * class indices, optional weight [C]. Per position
 *   loss = -score[n, target, d...] * weight[target]   (weight 1 when absent)
 * and 0 with weight 0 where target == ignore_index (only when that attribute
 * is given). `reduction`: "none" keeps the target shape, "sum" sums, "mean"
 * (default) divides the sum by the sum of the applied weights, which is the
 * count of non-ignored positions without a weight input (the ONNX reference;
 * everything ignored gives 0/0 = NaN there as well). A target outside
 * [0, C) that is not ignore_index is a run-time error. SoftmaxCrossEntropy's
 * optional second output is the log-probabilities, shaped like the scores.
 *
 * Arithmetic is in double; log-softmax subtracts the class maximum so exp()
 * cannot overflow. */
#include <math.h>
#include <string.h>

#include "op.h"

typedef enum { RED_NONE, RED_SUM, RED_MEAN } reduction;

static er_status read_reduction(const er_op_ctx *c, reduction *r) {
    const char *s = er_attr_str(c->node, "reduction", "mean");
    if (strcmp(s, "none") == 0) *r = RED_NONE;
    else if (strcmp(s, "sum") == 0) *r = RED_SUM;
    else if (strcmp(s, "mean") == 0) *r = RED_MEAN;
    else
        return er_fail(ER_ERR_INVALID_MODEL, "reduction '%s' is not none, sum or mean", s);
    return ER_OK;
}

static er_status shape_loss(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 3));
    static const er_dtype xdt[] = {ER_F32, ER_F64, ER_F16, ER_BF16, ER_UNDEF};
    static const er_dtype tdt[] = {ER_I32, ER_I64, ER_UNDEF};
    ER_TRY(er_op_check_dtype(c, 0, xdt));
    ER_TRY(er_op_check_dtype(c, 1, tdt));
    if (c->n_in > 2) ER_TRY(er_op_same_dtype(c, 0, 2));
    const er_tensor *x = c->in[0], *t = c->in[1], *w = c->n_in > 2 ? c->in[2] : NULL;
    if (x->rank < 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: scores must be [N, C, d1..dk]",
                       er_op_shape_str(x));
    bool ok = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
    for (int i = 1; ok && i < t->rank; i++) ok = t->dims[i] == x->dims[i + 1];
    if (!ok)
        return er_fail(ER_ERR_SHAPE, "target shape %s does not match scores shape %s: expected "
                       "[N, d1..dk]", er_op_shape_str(t), er_op_shape_str(x));
    if (w && (w->rank != 1 || w->dims[0] != x->dims[1]))
        return er_fail(ER_ERR_SHAPE, "weight shape %s: expected [C] with C = %lld",
                       er_op_shape_str(w), (long long)x->dims[1]);
    reduction r;
    ER_TRY(read_reduction(c, &r));
    if (r == RED_NONE) er_op_set_output(c, 0, x->dtype, t->rank, t->dims);
    else er_op_set_output(c, 0, x->dtype, 0, NULL);
    if (c->n_out > 1) er_op_set_output(c, 1, x->dtype, x->rank, x->dims);
    return ER_OK;
}

static er_status run_loss(er_op_ctx *c, bool softmax) {
    const er_tensor *x = c->in[0], *t = c->in[1], *w = c->n_in > 2 ? c->in[2] : NULL;
    er_tensor *loss = c->out[0], *lp = softmax && c->n_out > 1 ? c->out[1] : NULL;
    reduction r = RED_MEAN;
    ER_TRY(read_reduction(c, &r));
    const er_attr *ii_attr = er_attr_find(c->node, "ignore_index");
    bool has_ii = ii_attr && ii_attr->type == ER_ATTR_INT;
    int64_t ii = has_ii ? ii_attr->i : 0;
    int64_t n_batch = x->dims[0], n_class = x->dims[1], inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    double sum = 0, wsum = 0;
    for (int64_t n = 0; n < n_batch; n++) {
        for (int64_t d = 0; d < inner; d++) {
            size_t pos = (size_t)(n * inner + d), first = (size_t)(n * n_class * inner + d);
            double lse = 0; /* log-sum-exp over classes: log p = x - lse */
            if (softmax) {
                double mx = -INFINITY, s = 0;
                for (int64_t k = 0; k < n_class; k++) {
                    double v = er_load_f64(x->data, x->dtype, first + (size_t)(k * inner));
                    if (v > mx || v != v) mx = v;
                }
                double shift = isfinite(mx) ? mx : 0;
                for (int64_t k = 0; k < n_class; k++)
                    s += exp(er_load_f64(x->data, x->dtype, first + (size_t)(k * inner)) - shift);
                lse = shift + log(s);
                if (lp)
                    for (int64_t k = 0; k < n_class; k++) {
                        size_t at = first + (size_t)(k * inner);
                        er_store_f64(lp->data, lp->dtype, at, er_load_f64(x->data, x->dtype, at) - lse);
                    }
            }
            int64_t cls = er_load_i64(t->data, t->dtype, pos);
            double l = 0, wt = 0;
            if (!has_ii || cls != ii) {
                if (cls < 0 || cls >= n_class)
                    return er_fail(ER_ERR_INVALID_ARG, "target %lld at position %zu is outside "
                                   "[0, %lld)", (long long)cls, pos, (long long)n_class);
                wt = w ? er_load_f64(w->data, w->dtype, (size_t)cls) : 1;
                size_t at = first + (size_t)(cls * inner);
                l = -(er_load_f64(x->data, x->dtype, at) - lse) * wt;
            }
            if (r == RED_NONE) er_store_f64(loss->data, loss->dtype, pos, l);
            sum += l;
            wsum += wt;
        }
    }
    if (r == RED_SUM) er_store_f64(loss->data, loss->dtype, 0, sum);
    if (r == RED_MEAN) er_store_f64(loss->data, loss->dtype, 0, sum / wsum);
    return ER_OK;
}

static er_status run_nll(er_op_ctx *c) { return run_loss(c, false); }
static er_status run_sce(er_op_ctx *c) { return run_loss(c, true); }

static er_status shape_nll(er_op_ctx *c) {
    if (c->n_out > 1) return er_fail(ER_ERR_INVALID_MODEL, "has %d outputs, expected 1", c->n_out);
    return shape_loss(c);
}

const er_op_def er_op_negative_log_likelihood_loss = {.name = "NegativeLogLikelihoodLoss",
                                                      .min_opset = 12, .shape = shape_nll,
                                                      .run = run_nll};
const er_op_def er_op_softmax_cross_entropy_loss = {.name = "SoftmaxCrossEntropyLoss",
                                                    .min_opset = 12, .shape = shape_loss,
                                                    .run = run_sce};
