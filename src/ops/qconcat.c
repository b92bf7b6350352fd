/* qconcat.c - QConcat (domain "edgerun"): Concat of quantized tensors.
 *
 * Inputs (the com.microsoft QLinearConcat layout): Y_scale, Y_zp, then one
 * (X_i, X_i_scale, X_i_zp) triple per input, all per tensor, uint8/int8;
 * attribute axis (required, negative counts from the end). Shapes follow
 * Concat.
 *
 * The common-scale case - every input already quantized with Y's scale and
 * zero point, which is what a quantizer arranges - is a plain byte copy.
 * Any other input is requantized element by element with the bit-exact
 *   y = clamp(mbqm((x - x_zp) * 2^L, er_prescale_multiplier(x_scale / y_scale,
 *             L)) + y_zp),  L = ER_QDIFF_SHIFT
 * (with equal scales the multiplier is exactly 2^-L, so the copy is the
 * same function). */
#include <string.h>

#include "data_util.h"
#include "op.h"
#include "quant_util.h"

static const er_dtype k_q8[] = {ER_U8, ER_I8, ER_UNDEF};

static er_status shape_qconcat(er_op_ctx *c) {
    if (c->n_in < 5 || (c->n_in - 2) % 3 != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "has %d inputs; expected Y_scale, Y_zp and one or "
                       "more (X, X_scale, X_zp) triples", c->n_in);
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "input %d is missing", i);
    er_dtype ydt;
    bool pc;
    ER_TRY(er_qparam_dtype(c, "Y", 1, &ydt));
    ER_TRY(er_qparams_check(c, "Y", 0, 1, ydt, false, 0, &pc));
    const er_tensor *x0 = c->in[2];
    if (x0->rank == 0) return er_fail(ER_ERR_SHAPE, "input 2 is a scalar; QConcat needs rank >= 1");
    if (!er_attr_find(c->node, "axis"))
        return er_fail(ER_ERR_INVALID_MODEL, "attribute 'axis' is missing");
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), x0->rank, &axis));
    int64_t d[ER_MAX_RANK];
    memcpy(d, x0->dims, sizeof(int64_t) * (size_t)x0->rank);
    d[axis] = 0;
    for (int i = 2; i < c->n_in; i += 3) {
        const er_tensor *x = c->in[i];
        ER_TRY(er_op_check_dtype(c, i, k_q8));
        ER_TRY(er_qparams_check(c, "X", i + 1, i + 2, x->dtype, false, 0, &pc));
        bool ok = x->rank == x0->rank;
        for (int k = 0; ok && k < x->rank; k++)
            if (k != axis && x->dims[k] != x0->dims[k]) ok = false;
        if (!ok)
            return er_fail(ER_ERR_SHAPE, "input %d shape %s does not match input 2 shape %s "
                           "outside axis %d", i, er_op_shape_str(x), er_op_shape_str(x0), axis);
        d[axis] += x->dims[axis];
    }
    er_op_set_output(c, 0, ydt, x0->rank, d);
    return ER_OK;
}

static er_status run_qconcat(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", 0), y->rank, &axis));
    float y_s;
    int32_t y_zp, lo, hi;
    ER_TRY(er_qparam_read1(c, "Y", 0, 1, &y_s, &y_zp));
    er_qdtype_range(y->dtype, &lo, &hi);
    int64_t outer = er_dims_prod(y->dims, 0, axis);
    int64_t y_block = er_dims_prod(y->dims, axis, y->rank);
    int64_t col = 0; /* element offset of this input's block inside an output block */
    for (int i = 2; i < c->n_in; i += 3) {
        const er_tensor *x = c->in[i];
        float x_s;
        int32_t x_zp;
        ER_TRY(er_qparam_read1(c, "X", i + 1, i + 2, &x_s, &x_zp));
        int64_t block = er_dims_prod(x->dims, axis, x->rank);
        bool same = x_s == y_s && x_zp == y_zp && x->dtype == y->dtype;
        er_qmul m = er_prescale_multiplier((double)x_s / (double)y_s, ER_QDIFF_SHIFT);
        for (int64_t o = 0; o < outer && block; o++) {
            int64_t src = o * block, dst = o * y_block + col;
            if (same) {
                memcpy((char *)y->data + dst, (const char *)x->data + src, (size_t)block);
                continue;
            }
            for (int64_t k = 0; k < block; k++)
                er_qstore(y->data, y->dtype, dst + k,
                          er_requant_pre(er_qload(x->data, x->dtype, src + k) - x_zp,
                                         ER_QDIFF_SHIFT, m, y_zp, lo, hi));
        }
        col += block;
    }
    return ER_OK;
}

const er_op_def er_op_qconcat = {.name = "QConcat", .domain = "edgerun", .min_opset = 1,
                                 .shape = shape_qconcat, .run = run_qconcat};
