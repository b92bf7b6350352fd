/* conv_nhwc.c - edgerun::ConvNhwc: 2-D convolution on NHWC activations with
 * fused bias, residual and activation. Produced by the layout pass from ONNX
 * Conv (passes/layout_nhwc.c) and extended by the fusion pass; never read
 * from model files.
 *
 * Inputs:  X [N, H, W, C], W [M, C/group, KH, KW] (constant, ONNX layout),
 *          B [M] (optional constant), Z [N, OH, OW, M] (optional residual).
 * Output:  Y [N, OH, OW, M] = act(conv(X, W) + B + Z).
 * Attributes: as ONNX Conv (strides, pads, dilations, group, auto_pad,
 * kernel_shape) plus the fused activation: act ("none", "relu", "clip",
 * "hard_swish", ...; cpu/act.h), act_alpha, act_beta, act_min, act_max.
 *
 * prepare() hands the geometry to the kernel layer (cpu/conv/conv.h), which
 * packs the weights for the session's ISA and picks the algorithm. */
#include <math.h>
#include <string.h>

#include "cpu/conv/conv.h"
#include "op.h"
#include "spatial.h"

er_status er_op_read_act(const er_op_ctx *c, er_act *a) {
    const char *name = er_attr_str(c->node, "act", "none");
    memset(a, 0, sizeof *a);
    if (!er_act_from_name(name, &a->kind))
        return er_fail(ER_ERR_INVALID_MODEL, "unknown fused activation '%s'", name);
    a->alpha = er_attr_float(c->node, "act_alpha", 0.0f);
    a->beta = er_attr_float(c->node, "act_beta", 0.0f);
    a->min = er_attr_float(c->node, "act_min", -INFINITY);
    a->max = er_attr_float(c->node, "act_max", INFINITY);
    if (a->kind == ER_ACT_RELU) {
        a->min = 0;
        a->max = INFINITY;
    }
    return ER_OK;
}

static er_status describe(const er_op_ctx *c, er_conv_desc *d) {
    const er_tensor *x = c->in[0], *w = c->in[1];
    memset(d, 0, sizeof *d);
    if (x->rank != 4 || x->dtype != ER_F32)
        return er_fail(ER_ERR_SHAPE, "input 0 %s %s: ConvNhwc expects float32 [N,H,W,C]",
                       er_dtype_name(x->dtype), er_op_shape_str(x));
    if (w->rank != 4 || w->dtype != ER_F32 || !w->data)
        return er_fail(ER_ERR_SHAPE, "weights %s must be a float32 constant [M,C/group,KH,KW]",
                       er_op_shape_str(w));
    d->N = x->dims[0];
    d->H = x->dims[1];
    d->W = x->dims[2];
    d->C = x->dims[3];
    d->M = w->dims[0];
    d->group = er_attr_int(c->node, "group", 1);
    if (d->group < 1 || d->C % d->group || d->M % d->group || w->dims[1] != d->C / d->group)
        return er_fail(ER_ERR_SHAPE, "weights %s do not fit input %s with group %lld",
                       er_op_shape_str(w), er_op_shape_str(x), (long long)d->group);
    if (c->n_in > 2 && c->in[2] &&
        (c->in[2]->rank != 1 || c->in[2]->dims[0] != d->M || c->in[2]->dtype != ER_F32 ||
         !c->in[2]->data))
        return er_fail(ER_ERR_SHAPE, "bias %s must be a float32 constant [%lld]",
                       er_op_shape_str(c->in[2]), (long long)d->M);
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
    d->has_residual = c->n_in > 3 && c->in[3] != NULL;
    return er_op_read_act(c, &d->act);
}

static er_status shape_conv_nhwc(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 4));
    er_conv_desc d;
    ER_TRY(describe(c, &d));
    int64_t dims[4] = {d.N, d.OH, d.OW, d.M};
    if (d.has_residual) {
        const er_tensor *z = c->in[3];
        if (z->dtype != ER_F32 || !er_shape_equal(z->rank, z->dims, 4, dims))
            return er_fail(ER_ERR_SHAPE, "residual %s must match the output [%lld,%lld,%lld,%lld]",
                           er_op_shape_str(z), (long long)d.N, (long long)d.OH, (long long)d.OW,
                           (long long)d.M);
    }
    er_op_set_output(c, 0, ER_F32, 4, dims);
    return ER_OK;
}

static er_status prepare_conv_nhwc(er_op_ctx *c) {
    er_conv_desc d;
    ER_TRY(describe(c, &d));
    er_conv_plan *p;
    /* pre-packed candidates for the weight value (a .erm from `convert
     * --prepack`): the plan uses one in place when its layout matches */
    int n;
    const er_packed_blob *cands = er_op_packed_for(c, 1, &n);
    ER_TRY(er_conv_plan_create_packed(&d, c->in[1]->data,
                                      c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL,
                                      (er_isa)c->isa, er_threadpool_size(c->pool), cands, n, &p));
    c->state = p;
    c->scratch_bytes = er_conv_scratch_bytes(p);
    c->consumed = 1u << 1 | 1u << 2; /* weights and bias are packed */
    return ER_OK;
}

static er_status run_conv_nhwc(er_op_ctx *c) {
    er_conv_run(c->state, c->in[0]->data, c->n_in > 3 && c->in[3] ? c->in[3]->data : NULL,
                c->out[0]->data, c->scratch, c->pool);
    return ER_OK;
}

static void release_conv_nhwc(void *state) { er_conv_plan_free(state); }

static uint64_t macs_conv_nhwc(const er_op_ctx *c) {
    const er_tensor *w = c->in[1], *y = c->out[0];
    return (uint64_t)er_tensor_numel(y) * (uint64_t)(w->dims[1] * w->dims[2] * w->dims[3]);
}

const er_op_def er_op_conv_nhwc = {.name = "ConvNhwc", .domain = "edgerun", .min_opset = 1,
                                   .shape = shape_conv_nhwc, .prepare = prepare_conv_nhwc,
                                   .run = run_conv_nhwc, .release = release_conv_nhwc,
                                   .macs = macs_conv_nhwc};
