/* qconv_nhwc.c - edgerun::QConvNhwc: edgerun::QConv (docs/int8.md) on NHWC
 * activations, produced by the layout pass (passes/layout_nhwc.c) from a 2-D
 * QConv whose weights, scales, zero points and bias are constants.
 *
 * Inputs:  X [N, H, W, C] uint8/int8, x_scale, x_zp, W [M, C/group, KH, KW]
 *          (constant, ONNX layout), w_scale, w_zp (per tensor or [M]),
 *          y_scale, y_zp, [bias int32 [M]] - QConv's inputs, all constant
 *          except X.
 *          Optional fused residual (passes/fuse_qresidual.c): R [N, OH, OW, M]
 *          (input 9), r_scale, r_zp, z_scale, z_zp (10-13): the result is
 *          then QAdd(conv, R) with output parameters (z_scale, z_zp) and the
 *          attributes add_activation_min / add_activation_max, the
 *          convolution's own output (y_scale, y_zp, activation_min/max)
 *          being the QAdd's first operand.
 * Output:  Y [N, OH, OW, M], y_zp's dtype (z_zp's with a residual).
 * Attributes: QConv's (group, strides, dilations, pads, auto_pad,
 * kernel_shape, activation_min, activation_max).
 *
 * The result is QConv's, byte for byte: prepare() derives the same
 * multipliers (er_quantize_multiplier of x_scale * w_scale[m] / y_scale in
 * double) and hands them with the weights to the kernel layer
 * (cpu/qconv/qconv.h), which packs them for the session's ISA and picks the
 * algorithm. */
#include <string.h>

#include "core/alloc.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qgemm.h"
#include "cpu/qconv/qvbinary.h"
#include "op.h"
#include "quant_util.h"
#include "spatial.h"

static const er_dtype k_q8[] = {ER_U8, ER_I8, ER_UNDEF};

static er_status describe(const er_op_ctx *c, er_qconv_desc *d) {
    const er_tensor *x = c->in[0], *w = c->in[3];
    memset(d, 0, sizeof *d);
    if (x->rank != 4)
        return er_fail(ER_ERR_SHAPE, "input %s: QConvNhwc expects [N,H,W,C]", er_op_shape_str(x));
    if (w->rank != 4)
        return er_fail(ER_ERR_SHAPE, "weights %s: expected [M,C/group,KH,KW]", er_op_shape_str(w));
    d->N = x->dims[0];
    d->H = x->dims[1];
    d->W = x->dims[2];
    d->C = x->dims[3];
    d->M = w->dims[0];
    d->group = er_attr_int(c->node, "group", 1);
    if (d->group < 1 || d->C % d->group || d->M % d->group || w->dims[1] != d->C / d->group)
        return er_fail(ER_ERR_SHAPE, "weights %s do not fit input %s with group %lld",
                       er_op_shape_str(w), er_op_shape_str(x), (long long)d->group);
    er_window win;
    int64_t in[2] = {d->H, d->W};
    ER_TRY(er_window_init(c, 2, in, w->dims + 2, false, &win));
    d->KH = win.kernel[0];
    d->KW = win.kernel[1];
    d->stride_h = win.stride[0];
    d->stride_w = win.stride[1];
    d->dil_h = win.dilation[0];
    d->dil_w = win.dilation[1];
    d->pad_top = win.pad_begin[0];
    d->pad_left = win.pad_begin[1];
    d->pad_bottom = win.pad_end[0];
    d->pad_right = win.pad_end[1];
    d->OH = win.out[0];
    d->OW = win.out[1];
    d->x_dtype = x->dtype;
    d->w_dtype = w->dtype;
    return ER_OK;
}

static bool has_residual(const er_op_ctx *c) { return c->n_in > 9 && c->in[9] != NULL; }

/* add_activation_min / add_activation_max: the fused QAdd's clamp in its
 * output domain (default: the dtype's range). */
static er_status add_activation(const er_op_ctx *c, er_dtype dt, int32_t *lo, int32_t *hi) {
    int32_t dlo, dhi;
    er_qdtype_range(dt, &dlo, &dhi);
    int64_t a = er_attr_int(c->node, "add_activation_min", dlo);
    int64_t b = er_attr_int(c->node, "add_activation_max", dhi);
    if (a < dlo || b > dhi || a > b)
        return er_fail(ER_ERR_INVALID_MODEL, "add_activation_min %lld / add_activation_max %lld: "
                       "must lie in [%d, %d] (%s) with min <= max", (long long)a, (long long)b,
                       (int)dlo, (int)dhi, er_dtype_name(dt));
    *lo = (int32_t)a;
    *hi = (int32_t)b;
    return ER_OK;
}

static er_status shape_qconv_nhwc(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 8, 14));
    if (c->n_in > 9 && (c->n_in != 14 || !c->in[9] || !c->in[10] || !c->in[11] || !c->in[12] ||
                        !c->in[13]))
        return er_fail(ER_ERR_INVALID_MODEL, "a fused residual needs inputs 9-13 (R, r_scale, "
                       "r_zp, z_scale, z_zp)");
    ER_TRY(er_op_check_dtype(c, 0, k_q8));
    ER_TRY(er_op_check_dtype(c, 3, k_q8));
    er_qconv_desc d;
    ER_TRY(describe(c, &d));
    bool pc;
    er_dtype ydt;
    ER_TRY(er_qparams_check(c, "x", 1, 2, d.x_dtype, false, 0, &pc));
    ER_TRY(er_qparams_check(c, "w", 4, 5, d.w_dtype, false, d.M, &pc));
    ER_TRY(er_qparam_dtype(c, "y", 7, &ydt));
    ER_TRY(er_qparams_check(c, "y", 6, 7, ydt, false, 0, &pc));
    if (c->n_in > 8 && c->in[8]) {
        const er_tensor *b = c->in[8];
        if (b->dtype != ER_I32 || b->rank != 1 || b->dims[0] != d.M)
            return er_fail(ER_ERR_INVALID_MODEL, "bias %s %s: expected int32 [%lld]",
                           er_dtype_name(b->dtype), er_op_shape_str(b), (long long)d.M);
    }
    int32_t lo, hi;
    ER_TRY(er_qactivation(c, ydt, &lo, &hi));
    int64_t dims[4] = {d.N, d.OH, d.OW, d.M};
    if (has_residual(c)) {
        const er_tensor *r = c->in[9];
        er_dtype zdt;
        if (!er_qdtype_ok(r->dtype) || !er_shape_equal(r->rank, r->dims, 4, dims))
            return er_fail(ER_ERR_SHAPE, "residual %s %s must be uint8/int8 of the output's "
                           "shape", er_dtype_name(r->dtype), er_op_shape_str(r));
        ER_TRY(er_qparams_check(c, "r", 10, 11, r->dtype, false, 0, &pc));
        ER_TRY(er_qparam_dtype(c, "z", 13, &zdt));
        ER_TRY(er_qparams_check(c, "z", 12, 13, zdt, false, 0, &pc));
        ER_TRY(add_activation(c, zdt, &lo, &hi));
        ydt = zdt;
    }
    er_op_set_output(c, 0, ydt, 4, dims);
    return ER_OK;
}

static er_status prepare_qconv_nhwc(er_op_ctx *c) {
    er_qconv_desc d;
    ER_TRY(describe(c, &d));
    for (int i = 1; i < c->n_in; i++)
        if (i != 9 && c->in[i] && !c->in[i]->data) /* 9: the residual activation */
            return er_fail(ER_ERR_UNSUPPORTED, "input %d must be a constant (QConvNhwc packs "
                           "weights and parameters once)", i);
    float x_s, y_s;
    ER_TRY(er_qparam_read1(c, "x", 1, 2, &x_s, &d.x_zp));
    ER_TRY(er_qparam_read1(c, "y", 6, 7, &y_s, &d.y_zp));
    d.y_dtype = c->in[7]->dtype; /* the convolution's own output */
    ER_TRY(er_qactivation(c, d.y_dtype, &d.y_min, &d.y_max));
    size_t m = (size_t)(d.M > 0 ? d.M : 1);
    float *w_s = er_malloc(m * sizeof(float));
    int32_t *w_zp = er_malloc(m * sizeof(int32_t));
    er_qmul *mul = er_malloc(m * sizeof(er_qmul));
    er_status st = !w_s || !w_zp || !mul
                       ? er_fail(ER_ERR_NOMEM, "out of memory preparing an int8 convolution")
                       : er_qparams_read(c, "w", 4, 5, d.M, w_s, w_zp);
    if (st == ER_OK) {
        for (int64_t k = 0; k < d.M; k++)
            mul[k] = er_quantize_multiplier((double)x_s * (double)w_s[k] / (double)y_s);
        er_qconv_plan *p = NULL;
        /* pre-packed candidates for the weight value (a .erm from `convert
         * --prepack`): the plan uses one in place when it matches exactly */
        int n;
        const er_packed_blob *cands = er_op_packed_for(c, 3, &n);
        st = er_qconv_plan_create_packed(&d, c->in[3]->data, w_zp,
                                         c->n_in > 8 && c->in[8] ? c->in[8]->data : NULL, mul,
                                         (er_isa)c->isa, er_qfeatures_for((er_isa)c->isa),
                                         er_threadpool_size(c->pool), cands, n, &p);
        if (st == ER_OK && has_residual(c)) {
            float r_s, z_s;
            int32_t r_zp, z_zp, lo, hi;
            er_qvbin_params add;
            st = er_qparam_read1(c, "r", 10, 11, &r_s, &r_zp);
            if (st == ER_OK) st = er_qparam_read1(c, "z", 12, 13, &z_s, &z_zp);
            if (st == ER_OK) st = add_activation(c, c->out[0]->dtype, &lo, &hi);
            if (st == ER_OK) {
                er_qvadd_params(&add, d.y_dtype, y_s, d.y_zp, c->in[9]->dtype, r_s, r_zp, z_s,
                                z_zp, lo, hi);
                er_qconv_plan_set_residual(p, &add, (er_isa)c->isa);
            }
        }
        if (st == ER_OK) {
            c->state = p;
            c->scratch_bytes = er_qconv_scratch_bytes(p);
            c->consumed = 1u << 3 | 1u << 8; /* weights and bias are packed */
        } else {
            er_qconv_plan_free(p);
        }
    }
    er_free(w_s);
    er_free(w_zp);
    er_free(mul);
    return st;
}

static er_status run_qconv_nhwc(er_op_ctx *c) {
    er_qconv_run_residual(c->state, c->in[0]->data, has_residual(c) ? c->in[9]->data : NULL,
                          c->out[0]->data, c->scratch, c->pool);
    return ER_OK;
}

static void release_qconv_nhwc(void *state) { er_qconv_plan_free(state); }

static uint64_t macs_qconv_nhwc(const er_op_ctx *c) {
    const er_tensor *w = c->in[3], *y = c->out[0];
    return (uint64_t)er_tensor_numel(y) * (uint64_t)(w->dims[1] * w->dims[2] * w->dims[3]);
}

const er_op_def er_op_qconv_nhwc = {.name = "QConvNhwc", .domain = "edgerun", .min_opset = 1,
                                    .shape = shape_qconv_nhwc, .prepare = prepare_qconv_nhwc,
                                    .run = run_qconv_nhwc, .release = release_qconv_nhwc,
                                    .macs = macs_qconv_nhwc};
