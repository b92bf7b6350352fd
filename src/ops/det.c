/* det.c - Det (ONNX opset 11): determinants of a batch of square matrices,
 * input [*, M, M], output [*].
 *
 * LU decomposition with partial pivoting in double precision on a scratch
 * copy of each matrix (M*M doubles, sized in prepare) so the input is never
 * written. A zero pivot column means the matrix is singular: determinant 0.
 * The determinant of a 0x0 matrix is 1 (the empty product). */
#include <math.h>

#include "op.h"

static er_status shape_det(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_float));
    const er_tensor *x = c->in[0];
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s: Det expects [*, M, M]",
                       er_op_shape_str(x));
    er_op_set_output(c, 0, x->dtype, x->rank - 2, x->dims);
    return ER_OK;
}

static er_status prepare_det(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    size_t m = (size_t)x->dims[x->rank - 1];
    c->scratch_bytes = m * m * sizeof(double);
    return ER_OK;
}

static double lu_det(double *a, int64_t m) {
    double det = 1;
    for (int64_t k = 0; k < m; k++) {
        int64_t piv = k;
        double best = fabs(a[k * m + k]);
        for (int64_t r = k + 1; r < m; r++) {
            double v = fabs(a[r * m + k]);
            if (v > best) {
                best = v;
                piv = r;
            }
        }
        if (best == 0) return 0;
        if (piv != k) {
            for (int64_t j = 0; j < m; j++) {
                double t = a[k * m + j];
                a[k * m + j] = a[piv * m + j];
                a[piv * m + j] = t;
            }
            det = -det;
        }
        double p = a[k * m + k];
        det *= p;
        for (int64_t r = k + 1; r < m; r++) {
            double f = a[r * m + k] / p;
            if (f == 0) continue;
            for (int64_t j = k + 1; j < m; j++) a[r * m + j] -= f * a[k * m + j];
        }
    }
    return det;
}

static er_status run_det(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int64_t m = x->dims[x->rank - 1];
    size_t batch = er_tensor_numel(y), mm = (size_t)(m * m);
    double *a = c->scratch;
    for (size_t b = 0; b < batch; b++) {
        for (size_t i = 0; i < mm; i++) a[i] = er_load_f64(x->data, x->dtype, b * mm + i);
        er_store_f64(y->data, y->dtype, b, lu_det(a, m));
    }
    return ER_OK;
}

const er_op_def er_op_det = {.name = "Det", .min_opset = 11, .shape = shape_det,
                             .prepare = prepare_det, .run = run_det};
