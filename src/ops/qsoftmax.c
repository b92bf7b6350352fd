/* qsoftmax.c - QSoftmax (domain "edgerun"): softmax of a quantized tensor
 * along `axis` (default -1; opset-13 Softmax semantics: one axis, not the
 * flattened tail).
 *
 * Inputs: X, X_scale, X_zp, Y_scale, Y_zp (per tensor, uint8/int8).
 * Softmax only sees differences, and x_max - x = x_scale * d with d = q_max
 * - q an integer in [0, 255], so exp is a 256-entry table
 * (er_qsoftmax_table: T[d] = lrint(exp(-d * x_scale) * 2^23)). Bit-exact
 * definition, per slice along the axis:
 *   S   = sum of T[q_max - q] over the slice (uint64, order-free)
 *   inv = 1.0 / ((double)S * (double)y_scale)
 *   y   = clamp(rint((double)T[q_max - q] * inv) + y_zp)     (half to even)
 * T[0] = 2^23 makes S >= 2^23; every step is one IEEE operation, so an
 * optimized kernel that performs the same ones gets the same bits. */
#include <math.h>

#include "op.h"
#include "quant_util.h"

static er_status shape_qsoftmax(er_op_ctx *c) {
    er_dtype ydt;
    ER_TRY(er_qio_check(c, 5, &ydt));
    const er_tensor *x = c->in[0];
    int axis;
    ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), x->rank, &axis));
    er_op_set_output(c, 0, ydt, x->rank, x->dims);
    return ER_OK;
}

static er_status run_qsoftmax(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    er_qio q;
    int32_t lo, hi;
    ER_TRY(er_qio_read(c, &q));
    er_qdtype_range(y->dtype, &lo, &hi);
    int axis = 0;
    if (x->rank > 0) ER_TRY(er_op_axis(c, er_attr_int(c->node, "axis", -1), x->rank, &axis));
    int64_t outer = 1, len = x->rank ? x->dims[axis] : 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
    uint32_t table[256];
    er_qsoftmax_table(table, q.x_scale);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in;
            int32_t mx = INT32_MIN;
            for (int64_t k = 0; k < len; k++) {
                int32_t v = er_qload(x->data, x->dtype, base + k * inner);
                if (v > mx) mx = v;
            }
            uint64_t sum = 0;
            for (int64_t k = 0; k < len; k++)
                sum += table[mx - er_qload(x->data, x->dtype, base + k * inner)];
            double inv = 1.0 / ((double)sum * (double)q.y_scale);
            for (int64_t k = 0; k < len; k++) {
                uint32_t t = table[mx - er_qload(x->data, x->dtype, base + k * inner)];
                double v = rint((double)t * inv) + q.y_zp;
                er_qstore(y->data, y->dtype, base + k * inner,
                          v < lo ? lo : v > hi ? hi : (int32_t)v);
            }
        }
    return ER_OK;
}

const er_op_def er_op_qsoftmax = {.name = "QSoftmax", .domain = "edgerun", .min_opset = 1,
                                  .shape = shape_qsoftmax, .run = run_qsoftmax};
