/* conv_block_nhwc.c - edgerun::ConvBlockNhwc: an inverted-residual block
 * (optional 1x1 expand -> depthwise KxK -> optional 1x1 project, each with
 * its fused bias and activation, the project with an optional residual) run
 * as one op so the expanded tensor never goes to memory
 * (cpu/conv/conv_block.h). Produced by passes/fuse_blocks.c from chains of
 * edgerun::ConvNhwc; not meant to appear in model files (a file that holds
 * one gets the same checks as any node).
 *
 * Inputs (absent stage: its weights and bias are absent):
 *   0 X [N,H,W,C]          1 We [E,C,1,1]  2 Be [E]      (expand)
 *   3 Wd [E,1,KH,KW]       4 Bd [E]                      (depthwise)
 *   5 Wp [M,E,1,1]         6 Bp [M]                      (project)
 *   7 Z [N,OH,OW,M]        residual, only with a project stage
 *   8 S [N,1,1,E]          per-image channel scale of the project input
 *                          (squeeze-and-excitation), only with a project
 *                          stage
 * Outputs: 0 Y [N,OH,OW,M] (M = E without a project stage);
 *          1 (optional) [N,1,1,E]: the channel means of the depthwise
 *            output (its GlobalAveragePool), only with a depthwise stage.
 * Forms: the depthwise stage is required except for project + S without
 * expand (Y = project(X * S)). Without the expand stage the input is the
 * depthwise input (E = C).
 * Attributes: the depthwise window as ONNX Conv (kernel_shape, strides,
 * pads, dilations, auto_pad); the activations expand_act, dw_act,
 * project_act (names as cpu/act.h) with <stage>_act_alpha, _act_beta,
 * _act_min, _act_max. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cpu/conv/conv_block.h"
#include "op.h"
#include "spatial.h"

enum { IN_X, IN_WE, IN_BE, IN_WD, IN_BD, IN_WP, IN_BP, IN_Z, IN_S, IN_COUNT };

static const er_tensor *input(const er_op_ctx *c, int i) { return i < c->n_in ? c->in[i] : NULL; }

static er_status read_act(const er_op_ctx *c, const char *stage, er_act *a) {
    char key[5][32];
    static const char *const suffix[5] = {"act", "act_alpha", "act_beta", "act_min", "act_max"};
    for (int i = 0; i < 5; i++) snprintf(key[i], sizeof key[i], "%s_%s", stage, suffix[i]);
    const char *name = er_attr_str(c->node, key[0], "none");
    memset(a, 0, sizeof *a);
    if (!er_act_from_name(name, &a->kind))
        return er_fail(ER_ERR_INVALID_MODEL, "unknown fused activation %s '%s'", key[0], name);
    a->alpha = er_attr_float(c->node, key[1], 0.0f);
    a->beta = er_attr_float(c->node, key[2], 0.0f);
    a->min = er_attr_float(c->node, key[3], -INFINITY);
    a->max = er_attr_float(c->node, key[4], INFINITY);
    if (a->kind == ER_ACT_RELU) {
        a->min = 0;
        a->max = INFINITY;
    }
    return ER_OK;
}

/* Weights: a float32 constant of rank 4 with dims (d0, d1, d2, d3) where a
 * negative entry is free; bias: absent or a float32 constant [n]. */
static er_status check_weights(const er_op_ctx *c, int wi, const char *stage, const int64_t *want) {
    const er_tensor *w = input(c, wi), *b = input(c, wi + 1);
    if (!w || w->rank != 4 || w->dtype != ER_F32 || !w->data)
        return er_fail(ER_ERR_SHAPE, "%s weights %s: expected a float32 constant of rank 4", stage,
                       w ? er_op_shape_str(w) : "(absent)");
    for (int i = 0; i < 4; i++)
        if (want[i] >= 0 && w->dims[i] != want[i])
            return er_fail(ER_ERR_SHAPE, "%s weights %s: dim %d must be %lld", stage,
                           er_op_shape_str(w), i, (long long)want[i]);
    if (b && (b->rank != 1 || b->dims[0] != w->dims[0] || b->dtype != ER_F32 || !b->data))
        return er_fail(ER_ERR_SHAPE, "%s bias %s must be a float32 constant [%lld]", stage,
                       er_op_shape_str(b), (long long)w->dims[0]);
    return ER_OK;
}

static void pointwise_desc(er_conv_desc *d, int64_t N, int64_t H, int64_t W, int64_t C,
                           int64_t M) {
    memset(d, 0, sizeof *d);
    d->N = N;
    d->H = d->OH = H;
    d->W = d->OW = W;
    d->C = C;
    d->M = M;
    d->KH = d->KW = d->stride_h = d->stride_w = d->dil_h = d->dil_w = d->group = 1;
}

static er_status describe(const er_op_ctx *c, er_conv_block_desc *d) {
    const er_tensor *x = input(c, IN_X);
    memset(d, 0, sizeof *d);
    if (!x || x->rank != 4 || x->dtype != ER_F32)
        return er_fail(ER_ERR_SHAPE, "input 0 %s: ConvBlockNhwc expects float32 [N,H,W,C]",
                       x ? er_op_shape_str(x) : "(absent)");
    const int64_t N = x->dims[0], H = x->dims[1], W = x->dims[2], C = x->dims[3];
    d->has_expand = input(c, IN_WE) != NULL;
    d->has_dw = input(c, IN_WD) != NULL;
    d->has_project = input(c, IN_WP) != NULL;
    d->has_scale = input(c, IN_S) != NULL;
    d->has_mean = c->n_out > 1 && c->out[1] != NULL;
    if (!d->has_dw && !(d->has_project && d->has_scale && !d->has_expand))
        return er_fail(ER_ERR_SHAPE, "depthwise weights absent: only project * scale without "
                                     "expand may lack the depthwise stage");
    if ((!d->has_expand && input(c, IN_BE)) || (!d->has_dw && input(c, IN_BD)) ||
        (!d->has_project && (input(c, IN_BP) || input(c, IN_Z) || d->has_scale)))
        return er_fail(ER_ERR_SHAPE, "a bias, residual or scale of an absent stage");
    if (d->has_mean && !d->has_dw)
        return er_fail(ER_ERR_SHAPE, "channel means need the depthwise stage");
    int64_t E = C, OH = H, OW = W;
    if (d->has_expand) {
        const int64_t want[4] = {-1, C, 1, 1};
        ER_TRY(check_weights(c, IN_WE, "expand", want));
        E = input(c, IN_WE)->dims[0];
        pointwise_desc(&d->expand, N, H, W, C, E);
        ER_TRY(read_act(c, "expand", &d->expand.act));
    }
    if (d->has_dw) {
        const int64_t want_dw[4] = {E, 1, -1, -1};
        ER_TRY(check_weights(c, IN_WD, "depthwise", want_dw));
        er_conv_desc *dw = &d->dw;
        er_window win;
        int64_t in[2] = {H, W};
        ER_TRY(er_window_init(c, 2, in, input(c, IN_WD)->dims + 2, false, &win));
        dw->N = N;
        dw->H = H;
        dw->W = W;
        dw->C = dw->M = dw->group = E;
        dw->KH = win.kernel[0];
        dw->KW = win.kernel[1];
        dw->stride_h = win.stride[0];
        dw->stride_w = win.stride[1];
        dw->dil_h = win.dilation[0];
        dw->dil_w = win.dilation[1];
        dw->pad_top = win.pad_begin[0];
        dw->pad_left = win.pad_begin[1];
        dw->pad_bottom = win.pad_end[0];
        dw->pad_right = win.pad_end[1];
        dw->OH = OH = win.out[0];
        dw->OW = OW = win.out[1];
        if (OH < 1 || OW < 1)
            return er_fail(ER_ERR_SHAPE, "depthwise output %lldx%lld is empty", (long long)OH,
                           (long long)OW);
        ER_TRY(read_act(c, "dw", &dw->act));
    }
    if (d->has_project) {
        const int64_t want[4] = {-1, E, 1, 1};
        ER_TRY(check_weights(c, IN_WP, "project", want));
        pointwise_desc(&d->project, N, OH, OW, E, input(c, IN_WP)->dims[0]);
        d->project.has_residual = input(c, IN_Z) != NULL;
        ER_TRY(read_act(c, "project", &d->project.act));
    }
    const er_tensor *s = input(c, IN_S);
    if (s) {
        const int64_t want[4] = {N, 1, 1, E};
        if (s->dtype != ER_F32 || !er_shape_equal(s->rank, s->dims, 4, want))
            return er_fail(ER_ERR_SHAPE, "scale %s must be float32 [%lld,1,1,%lld]",
                           er_op_shape_str(s), (long long)N, (long long)E);
    }
    return ER_OK;
}

static er_status shape_conv_block_nhwc(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 1, IN_COUNT));
    er_conv_block_desc d;
    ER_TRY(describe(c, &d));
    const er_conv_desc *g = d.has_project ? &d.project : &d.dw;
    int64_t dims[4] = {g->N, g->OH, g->OW, g->M};
    const er_tensor *z = input(c, IN_Z);
    if (z && (z->dtype != ER_F32 || !er_shape_equal(z->rank, z->dims, 4, dims)))
        return er_fail(ER_ERR_SHAPE, "residual %s must match the output [%lld,%lld,%lld,%lld]",
                       er_op_shape_str(z), (long long)dims[0], (long long)dims[1],
                       (long long)dims[2], (long long)dims[3]);
    er_op_set_output(c, 0, ER_F32, 4, dims);
    if (d.has_mean) {
        int64_t mdims[4] = {d.dw.N, 1, 1, d.dw.M};
        er_op_set_output(c, 1, ER_F32, 4, mdims);
    }
    return ER_OK;
}

static const float *data_or_null(const er_op_ctx *c, int i) {
    const er_tensor *t = input(c, i);
    return t ? t->data : NULL;
}

static er_status prepare_conv_block_nhwc(er_op_ctx *c) {
    er_conv_block_desc d;
    ER_TRY(describe(c, &d));
    const float *const w[3] = {data_or_null(c, IN_WE), data_or_null(c, IN_WD),
                               data_or_null(c, IN_WP)};
    const float *const b[3] = {data_or_null(c, IN_BE), data_or_null(c, IN_BD),
                               data_or_null(c, IN_BP)};
    er_conv_block_plan *p;
    ER_TRY(er_conv_block_plan_create(&d, w, b, (er_isa)c->isa, er_threadpool_size(c->pool), &p));
    c->state = p;
    c->scratch_bytes = er_conv_block_scratch_bytes(p);
    /* the stages' weights and biases are packed */
    c->consumed = 1u << IN_WE | 1u << IN_WD | 1u << IN_WP | 1u << IN_BE | 1u << IN_BD | 1u << IN_BP;
    return ER_OK;
}

static er_status run_conv_block_nhwc(er_op_ctx *c) {
    er_conv_block_io io = {c->in[IN_X]->data, data_or_null(c, IN_Z), data_or_null(c, IN_S),
                           c->out[0]->data, c->n_out > 1 && c->out[1] ? c->out[1]->data : NULL};
    er_conv_block_run(c->state, &io, c->scratch, c->pool);
    return ER_OK;
}

static void release_conv_block_nhwc(void *state) { er_conv_block_plan_free(state); }

static uint64_t macs_conv_block_nhwc(const er_op_ctx *c) {
    const er_tensor *x = input(c, IN_X), *wd = input(c, IN_WD), *y = c->out[0];
    const er_tensor *we = input(c, IN_WE), *wp = input(c, IN_WP);
    uint64_t in_pixels = (uint64_t)(x->dims[0] * x->dims[1] * x->dims[2]);
    uint64_t out_pixels = (uint64_t)(y->dims[0] * y->dims[1] * y->dims[2]);
    uint64_t E = we ? (uint64_t)we->dims[0] : (uint64_t)x->dims[3], macs = 0;
    if (we) macs += in_pixels * E * (uint64_t)we->dims[1];
    if (wd) macs += out_pixels * E * (uint64_t)(wd->dims[2] * wd->dims[3]);
    if (wp) macs += out_pixels * E * (uint64_t)wp->dims[0];
    return macs;
}

const er_op_def er_op_conv_block_nhwc = {.name = "ConvBlockNhwc", .domain = "edgerun",
                                         .min_opset = 1, .shape = shape_conv_block_nhwc,
                                         .prepare = prepare_conv_block_nhwc,
                                         .run = run_conv_block_nhwc,
                                         .release = release_conv_block_nhwc,
                                         .macs = macs_conv_block_nhwc};
