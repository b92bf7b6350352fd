/* eye_like.c - EyeLike (ONNX 9/22): a 2-D tensor of input 0's shape with
 * ones on the diagonal j = i + k and zeros elsewhere. The dtype is the
 * `dtype` attribute, or input 0's. Input 0's data is never read. */
#include "data_util.h"
#include "op.h"

static er_status out_dtype(const er_op_ctx *c, er_dtype *dt) {
    int64_t v = er_attr_int(c->node, "dtype", c->in[0]->dtype);
    *dt = (er_dtype)v;
    if (v < 0 || v > 255 || !er_dtype_supported(*dt) || *dt == ER_STRING)
        return er_fail(ER_ERR_UNSUPPORTED, "dtype %lld is not supported", (long long)v);
    return ER_OK;
}

static er_status shape_eye_like(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    const er_tensor *x = c->in[0];
    if (x->rank != 2)
        return er_fail(ER_ERR_SHAPE, "input 0 shape %s must be 2-D", er_op_shape_str(x));
    er_dtype dt;
    ER_TRY(out_dtype(c, &dt));
    er_op_set_output(c, 0, dt, 2, x->dims);
    return ER_OK;
}

static er_status run_eye_like(er_op_ctx *c) {
    er_tensor *y = c->out[0];
    int64_t M = y->dims[0], N = y->dims[1], k = er_attr_int(c->node, "k", 0);
    size_t es = er_dtype_size(y->dtype);
    if (M * N == 0) return ER_OK;
    memset(y->data, 0, (size_t)(M * N) * es);
    for (int64_t i = 0; i < M; i++) {
        if (k < -i || k >= N - i) continue; /* j = i + k outside [0, N) */
        er_store_f64(y->data, y->dtype, (size_t)(i * N + i + k), 1.0);
    }
    return ER_OK;
}

const er_op_def er_op_eye_like = {
    .name = "EyeLike", .min_opset = 9, .shape = shape_eye_like, .run = run_eye_like};
