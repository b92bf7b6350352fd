/* tflite_ops.c - one row per TFLite operator: builtin code -> a function
 * that decodes the operator's builtin options, checks its inputs and emits
 * IR nodes with ONNX semantics (src/ops).
 *
 * Conventions (tflite_internal.h): activations stay NHWC; layout-sensitive
 * operators (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, the pools,
 * RESIZE_*, DEPTH_TO_SPACE, SPACE_TO_DEPTH, Convolution2DTransposeBias) are
 * wrapped as Transpose(0,3,1,2) -> op -> [activation] -> Transpose(0,2,3,1);
 * weights are permuted once here (OHWI -> OIHW; depthwise 1HW(C*M) ->
 * (C*M)1HW with group = C; transpose-conv OHWI -> IOHW). Fused activations
 * become Relu / Clip / Tanh nodes right after the op. Every float op reads
 * quantized inputs through DequantizeLinear and writes quantized outputs
 * through QuantizeLinear.
 *
 * To add an operator: write an importer function and add a row to `rows`. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"
#include "tflite_internal.h"
#include "tflite_schema.h"

/* Prefixes option-decoding errors (from fb_reader) with the operator. */
static er_status opt(tfl_ctx *c, er_status st) {
    if (st != ER_OK && st != ER_ERR_NOMEM)
        er_error_prefix("operator %d (%s): ", c->op_index, c->op_name);
    return st;
}
#define OPT(expr) ER_TRY(opt(c, (expr)))

static er_status emit1(tfl_ctx *c, const char *op, int x, int y) {
    return tfl_emit(c, op, 1, &x, 1, &y, 0, NULL);
}

/* ---- elementwise ------------------------------------------------------------- */

static er_status binary(tfl_ctx *c, const char *onnx, bool fused) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int act = ACT_NONE;
    if (fused) ER_TRY(tfl_act_field(c, BINARY_ACT, &act));
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_in(c, 1, &in[1]));
    ER_TRY(tfl_float_out(c, 0, act, &y));
    return tfl_emit(c, onnx, 2, in, 1, &y, 0, NULL);
}

static er_status op_add(tfl_ctx *c) { return binary(c, "Add", true); }
static er_status op_sub(tfl_ctx *c) { return binary(c, "Sub", true); }
static er_status op_mul(tfl_ctx *c) { return binary(c, "Mul", true); }
static er_status op_div(tfl_ctx *c) { return binary(c, "Div", true); }
static er_status op_maximum(tfl_ctx *c) { return binary(c, "Max", false); }
static er_status op_minimum(tfl_ctx *c) { return binary(c, "Min", false); }
static er_status op_pow(tfl_ctx *c) { return binary(c, "Pow", false); }
static er_status op_prelu(tfl_ctx *c) { return binary(c, "PRelu", false); }
static er_status op_equal(tfl_ctx *c) { return binary(c, "Equal", false); }
static er_status op_less(tfl_ctx *c) { return binary(c, "Less", false); }
static er_status op_less_equal(tfl_ctx *c) { return binary(c, "LessOrEqual", false); }
static er_status op_greater(tfl_ctx *c) { return binary(c, "Greater", false); }
static er_status op_greater_equal(tfl_ctx *c) { return binary(c, "GreaterOrEqual", false); }
static er_status op_logical_and(tfl_ctx *c) { return binary(c, "And", false); }
static er_status op_logical_or(tfl_ctx *c) { return binary(c, "Or", false); }

static er_status op_not_equal(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int in[2], eq;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_in(c, 1, &in[1]));
    ER_TRY(tfl_value(c, "equal", &eq));
    ER_TRY(tfl_emit(c, "Equal", 2, in, 1, &eq, 0, NULL));
    return emit1(c, "Not", eq, tfl_raw_out(c, 0));
}

static er_status op_squared_difference(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int in[2], d, y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_in(c, 1, &in[1]));
    ER_TRY(tfl_value(c, "difference", &d));
    ER_TRY(tfl_emit(c, "Sub", 2, in, 1, &d, 0, NULL));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    int sq[2] = {d, d};
    return tfl_emit(c, "Mul", 2, sq, 1, &y, 0, NULL);
}

static er_status unary(tfl_ctx *c, const char *onnx, int n_attr, const er_attr *attrs) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int x, y;
    ER_TRY(tfl_float_in(c, 0, &x));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, onnx, 1, &x, 1, &y, n_attr, attrs);
}

static er_status op_logistic(tfl_ctx *c) { return unary(c, "Sigmoid", 0, NULL); }
static er_status op_tanh(tfl_ctx *c) { return unary(c, "Tanh", 0, NULL); }
static er_status op_relu(tfl_ctx *c) { return unary(c, "Relu", 0, NULL); }
static er_status op_hard_swish(tfl_ctx *c) { return unary(c, "HardSwish", 0, NULL); }
static er_status op_exp(tfl_ctx *c) { return unary(c, "Exp", 0, NULL); }
static er_status op_log(tfl_ctx *c) { return unary(c, "Log", 0, NULL); }
static er_status op_sqrt(tfl_ctx *c) { return unary(c, "Sqrt", 0, NULL); }
static er_status op_neg(tfl_ctx *c) { return unary(c, "Neg", 0, NULL); }
static er_status op_abs(tfl_ctx *c) { return unary(c, "Abs", 0, NULL); }
static er_status op_floor(tfl_ctx *c) { return unary(c, "Floor", 0, NULL); }
static er_status op_ceil(tfl_ctx *c) { return unary(c, "Ceil", 0, NULL); }
static er_status op_round(tfl_ctx *c) { return unary(c, "Round", 0, NULL); }
static er_status op_sin(tfl_ctx *c) { return unary(c, "Sin", 0, NULL); }
static er_status op_cos(tfl_ctx *c) { return unary(c, "Cos", 0, NULL); }
static er_status op_sign(tfl_ctx *c) { return unary(c, "Sign", 0, NULL); }
static er_status op_logical_not(tfl_ctx *c) { return unary(c, "Not", 0, NULL); }

static er_status op_elu(tfl_ctx *c) {
    er_attr a = tfl_attr_float("alpha", 1.0f);
    return unary(c, "Elu", 1, &a);
}

static er_status op_leaky_relu(tfl_ctx *c) {
    float alpha;
    OPT(er_fb_f32(&c->opts, LEAKY_ALPHA, "alpha", 0.0f, &alpha));
    er_attr a = tfl_attr_float("alpha", alpha);
    return unary(c, "LeakyRelu", 1, &a);
}

static er_status op_gelu(tfl_ctx *c) {
    bool approx;
    OPT(er_fb_bool(&c->opts, GELU_APPROXIMATE, "approximate", false, &approx));
    er_attr a = tfl_attr_str("approximate", approx ? "tanh" : "none");
    return unary(c, "Gelu", 1, &a);
}

static er_status clip(tfl_ctx *c, float lo, float hi) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int in[3], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_const_f32_scalar(c, "min", lo, &in[1]));
    ER_TRY(tfl_const_f32_scalar(c, "max", hi, &in[2]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Clip", 3, in, 1, &y, 0, NULL);
}

static er_status op_relu6(tfl_ctx *c) { return clip(c, 0.0f, 6.0f); }
static er_status op_relu_n1_to_1(tfl_ctx *c) { return clip(c, -1.0f, 1.0f); }
static er_status op_relu_0_to_1(tfl_ctx *c) { return clip(c, 0.0f, 1.0f); }

static er_status op_rsqrt(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int x, s, y;
    ER_TRY(tfl_float_in(c, 0, &x));
    ER_TRY(tfl_value(c, "sqrt", &s));
    ER_TRY(emit1(c, "Sqrt", x, s));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return emit1(c, "Reciprocal", s, y);
}

static er_status op_square(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    in[1] = in[0];
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Mul", 2, in, 1, &y, 0, NULL);
}

static er_status op_add_n(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, TFL_MAX_OP_IO, 1));
    int in[TFL_MAX_OP_IO], y;
    for (int k = 0; k < c->n_in; k++) ER_TRY(tfl_float_in(c, k, &in[k]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Sum", c->n_in, in, 1, &y, 0, NULL);
}

static er_status op_select(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 3, 3, 1));
    int in[3], y;
    in[0] = tfl_raw(c, 0);
    ER_TRY(tfl_float_in(c, 1, &in[1]));
    ER_TRY(tfl_float_in(c, 2, &in[2]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Where", 3, in, 1, &y, 0, NULL);
}

static er_status op_cast(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    er_attr a = tfl_attr_int("to", tfl_out(c, 0)->dtype);
    int x = tfl_raw(c, 0), y = tfl_raw_out(c, 0);
    return tfl_emit(c, "Cast", 1, &x, 1, &y, 1, &a);
}

/* ---- convolution and pooling (NCHW-wrapped) ----------------------------------- */

typedef struct win2d {
    int padding, stride_w, stride_h, dil_w, dil_h;
} win2d;

static er_status check_win(tfl_ctx *c, const win2d *w) {
    if (w->padding != PAD_SAME && w->padding != PAD_VALID)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "padding %d is neither SAME (0) nor VALID (1)",
                        w->padding);
    if (w->stride_w < 1 || w->stride_h < 1 || w->dil_w < 1 || w->dil_h < 1)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "strides (%d, %d) and dilations (%d, %d) must "
                        "be >= 1", w->stride_h, w->stride_w, w->dil_h, w->dil_w);
    return ER_OK;
}

/* TFLite SAME pads the total (out-1)*stride + span - in with the smaller
 * half first, which is ONNX's SAME_UPPER; VALID is VALID. */
static int win_attrs(const win2d *w, er_attr *a, int64_t *strides, int64_t *dil) {
    strides[0] = w->stride_h;
    strides[1] = w->stride_w;
    dil[0] = w->dil_h;
    dil[1] = w->dil_w;
    a[0] = tfl_attr_str("auto_pad", w->padding == PAD_SAME ? "SAME_UPPER" : "VALID");
    a[1] = tfl_attr_ints("strides", 2, strides);
    a[2] = tfl_attr_ints("dilations", 2, dil);
    return 3;
}

static er_status read_win(tfl_ctx *c, int f_pad, int f_sw, int f_sh, int f_dw, int f_dh,
                          win2d *w) {
    int8_t pad;
    int32_t sw, sh, dw = 1, dh = 1;
    OPT(er_fb_i8(&c->opts, f_pad, "padding", PAD_SAME, &pad));
    OPT(er_fb_i32(&c->opts, f_sw, "stride_w", 0, &sw));
    OPT(er_fb_i32(&c->opts, f_sh, "stride_h", 0, &sh));
    if (f_dw >= 0) OPT(er_fb_i32(&c->opts, f_dw, "dilation_w_factor", 1, &dw));
    if (f_dh >= 0) OPT(er_fb_i32(&c->opts, f_dh, "dilation_h_factor", 1, &dh));
    *w = (win2d){pad, sw, sh, dw, dh};
    return check_win(c, w);
}

static er_status conv_common(tfl_ctx *c, bool depthwise) {
    ER_TRY(tfl_check_io(c, 2, 3, 1));
    win2d w;
    int act;
    if (depthwise) {
        ER_TRY(read_win(c, DW_PADDING, DW_STRIDE_W, DW_STRIDE_H, DW_DILATION_W, DW_DILATION_H, &w));
        ER_TRY(tfl_act_field(c, DW_ACT, &act));
    } else {
        ER_TRY(read_win(c, CONV_PADDING, CONV_STRIDE_W, CONV_STRIDE_H, CONV_DILATION_W,
                        CONV_DILATION_H, &w));
        ER_TRY(tfl_act_field(c, CONV_ACT, &act));
    }
    const tfl_tensor *x = tfl_in(c, 0), *wt = tfl_in(c, 1);
    if (x->rank != 4 || wt->rank != 4)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "input '%s' and weights '%s' must have rank 4 "
                        "(ranks %d and %d)", x->name, wt->name, x->rank, wt->rank);
    int64_t cin = x->dims[3], group;
    if (depthwise) {
        /* weights [1, H, W, C*M]: output channel c*M + m reads input channel c */
        int64_t cm = wt->dims[3];
        if (cin <= 0 || cm <= 0 || cm % cin != 0 || wt->dims[0] != 1)
            return tfl_fail(c, ER_ERR_SHAPE, "depthwise weights [%lld,%lld,%lld,%lld] do not "
                            "fit %lld input channels", (long long)wt->dims[0],
                            (long long)wt->dims[1], (long long)wt->dims[2], (long long)cm,
                            (long long)cin);
        /* depth_multiplier is redundant (cm / cin); newer TFLite ignores it */
        group = cin;
    } else {
        /* weights [O, H, W, I]; grouped when the input has a multiple of I */
        int64_t wi = wt->dims[3];
        if (cin <= 0 || wi <= 0 || cin % wi != 0)
            return tfl_fail(c, ER_ERR_SHAPE, "input '%s' has %lld channels, the weights expect a "
                            "multiple of %lld", x->name, (long long)cin, (long long)wi);
        group = cin / wi;
    }
    int in[3] = {-1, -1, -1}, y;
    static const int ohwi_to_oihw[4] = {0, 3, 1, 2}, dw_to_oihw[4] = {3, 0, 1, 2};
    ER_TRY(tfl_nchw_in(c, 0, &in[0]));
    ER_TRY(tfl_weights(c, 1, 4, depthwise ? dw_to_oihw : ohwi_to_oihw, &in[1]));
    if (tfl_in(c, 2)) ER_TRY(tfl_float_in(c, 2, &in[2]));
    ER_TRY(tfl_nchw_out(c, 0, act, &y));
    er_attr a[6];
    int64_t strides[2], dil[2], ks[2] = {wt->dims[1], wt->dims[2]};
    int na = win_attrs(&w, a, strides, dil);
    a[na++] = tfl_attr_int("group", group);
    if (ks[0] > 0 && ks[1] > 0) a[na++] = tfl_attr_ints("kernel_shape", 2, ks);
    return tfl_emit(c, "Conv", tfl_in(c, 2) ? 3 : 2, in, 1, &y, na, a);
}

static er_status op_conv_2d(tfl_ctx *c) { return conv_common(c, false); }
static er_status op_depthwise_conv_2d(tfl_ctx *c) { return conv_common(c, true); }

static er_status pool(tfl_ctx *c, const char *onnx) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    win2d w;
    int act;
    int32_t fw, fh;
    ER_TRY(read_win(c, POOL_PADDING, POOL_STRIDE_W, POOL_STRIDE_H, -1, -1, &w));
    OPT(er_fb_i32(&c->opts, POOL_FILTER_W, "filter_width", 0, &fw));
    OPT(er_fb_i32(&c->opts, POOL_FILTER_H, "filter_height", 0, &fh));
    ER_TRY(tfl_act_field(c, POOL_ACT, &act));
    if (fw < 1 || fh < 1)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "filter %dx%d must be at least 1x1", fh, fw);
    int x, y;
    ER_TRY(tfl_nchw_in(c, 0, &x));
    ER_TRY(tfl_nchw_out(c, 0, act, &y));
    er_attr a[5];
    int64_t strides[2], dil[2], ks[2] = {fh, fw};
    int na = win_attrs(&w, a, strides, dil);
    na--; /* pools take no dilations here */
    a[na++] = tfl_attr_ints("kernel_shape", 2, ks);
    /* TFLite averages over the valid (unpadded) window only */
    if (strcmp(onnx, "AveragePool") == 0) a[na++] = tfl_attr_int("count_include_pad", 0);
    return tfl_emit(c, onnx, 1, &x, 1, &y, na, a);
}

static er_status op_average_pool_2d(tfl_ctx *c) { return pool(c, "AveragePool"); }
static er_status op_max_pool_2d(tfl_ctx *c) { return pool(c, "MaxPool"); }

/* ConvTranspose from explicit TFLite geometry: the full transposed
 * convolution of an in-sized input has (in-1)*stride + k values; TFLite
 * keeps `out` of them starting at pad_before. */
static er_status emit_conv_transpose(tfl_ctx *c, int x, int w, int b, int act, int stride_h,
                                     int stride_w, const int64_t *pad_before,
                                     const int64_t *out_hw, const int64_t *in_hw,
                                     const int64_t *k_hw) {
    int64_t pads[4], opad[2], strides[2] = {stride_h, stride_w};
    for (int i = 0; i < 2; i++) {
        int64_t full = (in_hw[i] - 1) * (i ? stride_w : stride_h) + k_hw[i];
        int64_t end = full - pad_before[i] - out_hw[i];
        pads[i] = pad_before[i];
        pads[2 + i] = end > 0 ? end : 0;
        opad[i] = end < 0 ? -end : 0;
        if (pad_before[i] < 0 || pad_before[i] > full)
            return tfl_fail(c, ER_ERR_SHAPE, "transposed convolution padding %lld does not fit "
                            "the %lld-long output", (long long)pad_before[i], (long long)full);
    }
    int y, in[3] = {x, w, b};
    ER_TRY(tfl_nchw_out(c, 0, act, &y));
    er_attr a[4];
    a[0] = tfl_attr_ints("strides", 2, strides);
    a[1] = tfl_attr_ints("pads", 4, pads);
    a[2] = tfl_attr_ints("output_padding", 2, opad);
    a[3] = tfl_attr_ints("kernel_shape", 2, k_hw);
    return tfl_emit(c, "ConvTranspose", b >= 0 ? 3 : 2, in, 1, &y, 4, a);
}

static er_status op_transpose_conv(tfl_ctx *c) {
    /* inputs: output_shape (int32 [4], NHWC), weights [O,H,W,I], input, bias */
    ER_TRY(tfl_check_io(c, 3, 4, 1));
    win2d w;
    int act;
    ER_TRY(read_win(c, TCONV_PADDING, TCONV_STRIDE_W, TCONV_STRIDE_H, -1, -1, &w));
    ER_TRY(tfl_act_field(c, TCONV_ACT, &act));
    int64_t oshape[4];
    int n;
    ER_TRY(tfl_const_ints(c, 0, "output_shape", oshape, 4, &n));
    const tfl_tensor *wt = tfl_in(c, 1), *x = tfl_in(c, 2);
    if (n != 4 || wt->rank != 4 || x->rank != 4)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "output_shape must have 4 values and weights and "
                        "input rank 4");
    int64_t in_hw[2] = {x->dims[1], x->dims[2]}, k_hw[2] = {wt->dims[1], wt->dims[2]};
    int64_t out_hw[2] = {oshape[1], oshape[2]}, pb[2];
    if (in_hw[0] < 1 || in_hw[1] < 1 || k_hw[0] < 1 || k_hw[1] < 1 || out_hw[0] < 1 ||
        out_hw[1] < 1 || out_hw[0] > INT32_MAX || out_hw[1] > INT32_MAX)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "TRANSPOSE_CONV needs static positive input, "
                        "kernel and output sizes");
    if (oshape[3] != wt->dims[0] || x->dims[3] != wt->dims[3])
        return tfl_fail(c, ER_ERR_SHAPE, "output_shape channels %lld / input channels %lld do "
                        "not match weights [%lld,%lld,%lld,%lld]", (long long)oshape[3],
                        (long long)x->dims[3], (long long)wt->dims[0], (long long)wt->dims[1],
                        (long long)wt->dims[2], (long long)wt->dims[3]);
    for (int i = 0; i < 2; i++) {
        /* TFLite pads as for the forward conv from `out` to `in` sizes */
        int64_t s = i ? w.stride_w : w.stride_h;
        int64_t conv_out = w.padding == PAD_SAME ? (out_hw[i] + s - 1) / s
                                                 : (out_hw[i] - k_hw[i] + s) / s;
        int64_t total = (conv_out - 1) * s + k_hw[i] - out_hw[i];
        pb[i] = total > 0 ? total / 2 : 0;
    }
    int xi, wi, bi = -1;
    static const int ohwi_to_iohw[4] = {3, 0, 1, 2};
    ER_TRY(tfl_nchw_in(c, 2, &xi));
    ER_TRY(tfl_weights(c, 1, 4, ohwi_to_iohw, &wi));
    if (tfl_in(c, 3)) ER_TRY(tfl_float_in(c, 3, &bi));
    return emit_conv_transpose(c, xi, wi, bi, act, w.stride_h, w.stride_w, pb, out_hw, in_hw,
                               k_hw);
}

/* MediaPipe's custom op: inputs (input, weights [O,H,W,I], bias [O]);
 * custom_options hold TfLiteTransposeConvParams {padding (1 SAME, 2 VALID),
 * stride_width, stride_height} as three little-endian int32. With SAME,
 * pad_total = max(0, k - (in-1) % stride - 1); out = stride*(in-1) + k -
 * pad_total, the kept window starting at pad_total / 2. */
static er_status op_conv2d_transpose_bias(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 3, 3, 1));
    if (c->custom_len < 12)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "custom options have %zu bytes, expected 12 "
                        "(padding, stride_w, stride_h)", c->custom_len);
    int32_t p[3];
    for (int i = 0; i < 3; i++) {
        const uint8_t *b = c->custom + 4 * i;
        p[i] = (int32_t)er_fb_le32(b);
    }
    if ((p[0] != 1 && p[0] != 2) || p[1] < 1 || p[2] < 1)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "custom options padding %d (1 SAME, 2 VALID) "
                        "and strides %d, %d are invalid", p[0], p[1], p[2]);
    const tfl_tensor *x = tfl_in(c, 0), *wt = tfl_in(c, 1), *b = tfl_in(c, 2);
    if (x->rank != 4 || wt->rank != 4 || b->rank != 1 || x->dims[3] != wt->dims[3] ||
        b->dims[0] != wt->dims[0])
        return tfl_fail(c, ER_ERR_SHAPE, "input, weights [O,H,W,I] and bias [O] do not fit");
    int64_t in_hw[2] = {x->dims[1], x->dims[2]}, k_hw[2] = {wt->dims[1], wt->dims[2]};
    int64_t out_hw[2], pb[2];
    int stride[2] = {p[2], p[1]};
    for (int i = 0; i < 2; i++) {
        if (in_hw[i] < 1 || k_hw[i] < 1)
            return tfl_fail(c, ER_ERR_UNSUPPORTED, "needs static positive input and kernel sizes");
        int64_t total = 0;
        if (p[0] == 1) {
            total = k_hw[i] - (in_hw[i] - 1) % stride[i] - 1;
            if (total < 0) total = 0;
        }
        out_hw[i] = stride[i] * (in_hw[i] - 1) + k_hw[i] - total;
        pb[i] = total / 2;
    }
    int xi, wi, bi;
    static const int ohwi_to_iohw[4] = {3, 0, 1, 2};
    ER_TRY(tfl_nchw_in(c, 0, &xi));
    ER_TRY(tfl_weights(c, 1, 4, ohwi_to_iohw, &wi));
    ER_TRY(tfl_float_in(c, 2, &bi));
    return emit_conv_transpose(c, xi, wi, bi, ACT_NONE, stride[0], stride[1], pb, out_hw, in_hw,
                               k_hw);
}

static er_status op_fully_connected(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 3, 1));
    int act;
    int8_t fmt;
    bool keep;
    ER_TRY(tfl_act_field(c, FC_ACT, &act));
    OPT(er_fb_i8(&c->opts, FC_WEIGHTS_FORMAT, "weights_format", 0, &fmt));
    OPT(er_fb_bool(&c->opts, FC_KEEP_NUM_DIMS, "keep_num_dims", false, &keep));
    if (fmt != 0)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "weights_format %d (shuffled) is not supported", fmt);
    const tfl_tensor *x = tfl_in(c, 0), *wt = tfl_in(c, 1), *out = tfl_out(c, 0);
    if (wt->rank != 2 || wt->dims[1] < 1)
        return tfl_fail(c, ER_ERR_SHAPE, "weights '%s' must be [units, depth] with a known depth",
                        wt->name);
    int64_t K = wt->dims[1];
    int in[3] = {-1, -1, -1}, y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_in(c, 1, &in[1]));
    if (tfl_in(c, 2)) ER_TRY(tfl_float_in(c, 2, &in[2]));
    /* Gemm needs [M, K]: flatten everything before the last dim */
    if (!(x->rank == 2 && x->dims[1] == K)) {
        int64_t shp[2] = {-1, K};
        int s, x2;
        ER_TRY(tfl_const_i64(c, "fc_in_shape", 2, shp, &s));
        ER_TRY(tfl_value(c, "fc_in", &x2));
        int rin[2] = {in[0], s};
        ER_TRY(tfl_emit(c, "Reshape", 2, rin, 1, &x2, 0, NULL));
        in[0] = x2;
    }
    ER_TRY(tfl_float_out(c, 0, act, &y));
    er_attr tb = tfl_attr_int("transB", 1);
    if (!keep || out->rank == 2)
        return tfl_emit(c, "Gemm", tfl_in(c, 2) ? 3 : 2, in, 1, &y, 1, &tb);
    /* keep_num_dims: back to the input's leading dims */
    int y2, s;
    ER_TRY(tfl_value(c, "fc_out", &y2));
    ER_TRY(tfl_emit(c, "Gemm", tfl_in(c, 2) ? 3 : 2, in, 1, &y2, 1, &tb));
    int64_t shp[ER_MAX_RANK];
    int unknown = 0;
    for (int k = 0; k < out->rank; k++) {
        shp[k] = out->dims[k];
        if (shp[k] < 0) unknown++;
    }
    if (out->rank < 1 || unknown > 1)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "keep_num_dims output '%s' needs a declared shape "
                        "with at most one dynamic dim", out->name);
    ER_TRY(tfl_const_i64(c, "fc_out_shape", out->rank, shp, &s));
    int rin[2] = {y2, s};
    return tfl_emit(c, "Reshape", 2, rin, 1, &y, 0, NULL);
}

static er_status op_batch_matmul(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    bool adj[2];
    OPT(er_fb_bool(&c->opts, BMM_ADJ_X, "adj_x", false, &adj[0]));
    OPT(er_fb_bool(&c->opts, BMM_ADJ_Y, "adj_y", false, &adj[1]));
    int in[2], y;
    for (int k = 0; k < 2; k++) {
        ER_TRY(tfl_float_in(c, k, &in[k]));
        if (!adj[k]) continue;
        int r = tfl_in(c, k)->rank;
        if (r < 2)
            return tfl_fail(c, ER_ERR_SHAPE, "adj_%c needs rank >= 2 (rank %d)", k ? 'y' : 'x', r);
        int64_t perm[ER_MAX_RANK];
        for (int j = 0; j < r; j++) perm[j] = j;
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        int t;
        er_attr a = tfl_attr_ints("perm", r, perm);
        ER_TRY(tfl_value(c, k ? "adj_y" : "adj_x", &t));
        ER_TRY(tfl_emit(c, "Transpose", 1, &in[k], 1, &t, 1, &a));
        in[k] = t;
    }
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "MatMul", 2, in, 1, &y, 0, NULL);
}

/* ---- softmax, reductions ------------------------------------------------------- */

static er_status op_softmax(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    float beta;
    OPT(er_fb_f32(&c->opts, SOFTMAX_BETA, "beta", 0.0f, &beta));
    int x, y;
    ER_TRY(tfl_float_in(c, 0, &x));
    if (beta != 1.0f) { /* softmax(beta * x) */
        int b, xb;
        ER_TRY(tfl_const_f32_scalar(c, "beta", beta, &b));
        ER_TRY(tfl_value(c, "scaled", &xb));
        int in[2] = {x, b};
        ER_TRY(tfl_emit(c, "Mul", 2, in, 1, &xb, 0, NULL));
        x = xb;
    }
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a = tfl_attr_int("axis", -1);
    return tfl_emit(c, "Softmax", 1, &x, 1, &y, 1, &a);
}

static er_status op_log_softmax(tfl_ctx *c) {
    er_attr a = tfl_attr_int("axis", -1);
    return unary(c, "LogSoftmax", 1, &a);
}

static er_status reduce(tfl_ctx *c, const char *onnx) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    bool keep;
    OPT(er_fb_bool(&c->opts, REDUCER_KEEP_DIMS, "keep_dims", false, &keep));
    int64_t axes[ER_MAX_RANK * 4], uniq[ER_MAX_RANK];
    int n, nu = 0, rank = tfl_in(c, 0)->rank;
    ER_TRY(tfl_const_ints(c, 1, "axis", axes, ER_MAX_RANK * 4, &n));
    for (int i = 0; i < n; i++) { /* TFLite accepts repeats and negative axes */
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (rank >= 0 && (a < 0 || a >= rank))
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "axis %lld is out of range for rank %d",
                            (long long)axes[i], rank);
        bool seen = false;
        for (int j = 0; j < nu; j++) seen |= uniq[j] == a;
        if (!seen && nu < ER_MAX_RANK) uniq[nu++] = a;
    }
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_const_i64(c, "axes", nu, uniq, &in[1]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a[2] = {tfl_attr_int("keepdims", keep), tfl_attr_int("noop_with_empty_axes", 1)};
    return tfl_emit(c, onnx, 2, in, 1, &y, 2, a);
}

static er_status op_mean(tfl_ctx *c) { return reduce(c, "ReduceMean"); }
static er_status op_sum(tfl_ctx *c) { return reduce(c, "ReduceSum"); }
static er_status op_reduce_max(tfl_ctx *c) { return reduce(c, "ReduceMax"); }
static er_status op_reduce_min(tfl_ctx *c) { return reduce(c, "ReduceMin"); }
static er_status op_reduce_prod(tfl_ctx *c) { return reduce(c, "ReduceProd"); }

static er_status arg_minmax(tfl_ctx *c, const char *onnx) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int64_t axis;
    int n;
    ER_TRY(tfl_const_ints(c, 1, "axis", &axis, 1, &n));
    if (n != 1) return tfl_fail(c, ER_ERR_INVALID_MODEL, "axis must hold one value");
    int x, y = tfl_raw_out(c, 0);
    ER_TRY(tfl_float_in(c, 0, &x));
    er_attr a[2] = {tfl_attr_int("axis", axis), tfl_attr_int("keepdims", 0)};
    if (tfl_out(c, 0)->dtype == ER_I64) return tfl_emit(c, onnx, 1, &x, 1, &y, 2, a);
    int i64;
    ER_TRY(tfl_value(c, "index", &i64));
    ER_TRY(tfl_emit(c, onnx, 1, &x, 1, &i64, 2, a));
    er_attr to = tfl_attr_int("to", tfl_out(c, 0)->dtype);
    return tfl_emit(c, "Cast", 1, &i64, 1, &y, 1, &to);
}

static er_status op_arg_max(tfl_ctx *c) { return arg_minmax(c, "ArgMax"); }
static er_status op_arg_min(tfl_ctx *c) { return arg_minmax(c, "ArgMin"); }

static er_status op_cumsum(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    bool excl, rev;
    OPT(er_fb_bool(&c->opts, CUMSUM_EXCLUSIVE, "exclusive", false, &excl));
    OPT(er_fb_bool(&c->opts, CUMSUM_REVERSE, "reverse", false, &rev));
    int in[2] = {-1, tfl_raw(c, 1)}, y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a[2] = {tfl_attr_int("exclusive", excl), tfl_attr_int("reverse", rev)};
    return tfl_emit(c, "CumSum", 2, in, 1, &y, 2, a);
}

/* ---- shape and data movement ----------------------------------------------------- */

/* An int64 value for an integer input: a constant converted here, or a
 * Cast node for run-time values. */
static er_status int64_input(tfl_ctx *c, int k, const char *what, int *id) {
    const tfl_tensor *t = tfl_in(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "%s (input %d) is absent", what, k);
    if (t->data) {
        int64_t v[64];
        int n;
        ER_TRY(tfl_const_ints(c, k, what, v, 64, &n));
        return tfl_const_i64(c, what, n, v, id);
    }
    if (t->dtype == ER_I64) {
        *id = t->value;
        return ER_OK;
    }
    ER_TRY(tfl_value(c, what, id));
    er_attr a = tfl_attr_int("to", ER_I64);
    return tfl_emit(c, "Cast", 1, &t->value, 1, id, 1, &a);
}

static er_status op_reshape(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 2, 1));
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    const tfl_tensor *s = tfl_in(c, 1);
    if (s && s->rank == 1) {
        ER_TRY(int64_input(c, 1, "shape", &in[1]));
    } else {
        er_fb_vec v;
        bool present;
        OPT(er_fb_vec_field(&c->opts, RESHAPE_NEW_SHAPE, "new_shape", 4, &v, &present));
        const tfl_tensor *out = tfl_out(c, 0);
        int64_t shp[ER_MAX_RANK];
        int n = 0;
        if (present) {
            if (v.n > ER_MAX_RANK)
                return tfl_fail(c, ER_ERR_UNSUPPORTED, "new_shape has %u dims", v.n);
            for (uint32_t i = 0; i < v.n; i++) shp[n++] = er_fb_vec_i32(&v, i);
        } else if (s && s->data && s->rank == 0) {
            ER_TRY(tfl_const_ints(c, 1, "shape", shp, 1, &n));
        } else if (out->rank >= 0) { /* no shape given: the declared output shape */
            for (int k = 0; k < out->rank; k++) shp[n++] = out->dims[k];
        } else {
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "no target shape (input 1, new_shape or a "
                            "declared output shape)");
        }
        ER_TRY(tfl_const_i64(c, "shape", n, shp, &in[1]));
    }
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    /* TFLite's 0 is a real zero-sized dim, not "copy the input dim" */
    er_attr a = tfl_attr_int("allowzero", 1);
    return tfl_emit(c, "Reshape", 2, in, 1, &y, 1, &a);
}

static er_status op_squeeze(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    er_fb_vec v;
    bool present;
    OPT(er_fb_vec_field(&c->opts, SQUEEZE_DIMS, "squeeze_dims", 4, &v, &present));
    if (v.n > ER_MAX_RANK) return tfl_fail(c, ER_ERR_INVALID_MODEL, "%u squeeze_dims", v.n);
    int in[2] = {-1, -1}, y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    if (v.n) {
        int64_t axes[ER_MAX_RANK];
        for (uint32_t i = 0; i < v.n; i++) axes[i] = er_fb_vec_i32(&v, i);
        ER_TRY(tfl_const_i64(c, "axes", (int)v.n, axes, &in[1]));
    }
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Squeeze", v.n ? 2 : 1, in, 1, &y, 0, NULL);
}

static er_status op_expand_dims(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int64_t axis;
    int n;
    ER_TRY(tfl_const_ints(c, 1, "axis", &axis, 1, &n));
    if (n != 1) return tfl_fail(c, ER_ERR_INVALID_MODEL, "axis must hold one value");
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_const_i64(c, "axes", 1, &axis, &in[1]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Unsqueeze", 2, in, 1, &y, 0, NULL);
}

static er_status op_transpose(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int64_t perm[ER_MAX_RANK];
    int n, x, y;
    ER_TRY(tfl_const_ints(c, 1, "perm", perm, ER_MAX_RANK, &n));
    ER_TRY(tfl_float_in(c, 0, &x));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a = tfl_attr_ints("perm", n, perm);
    return tfl_emit(c, "Transpose", 1, &x, 1, &y, 1, &a);
}

static er_status op_concatenation(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, TFL_MAX_OP_IO, 1));
    int32_t axis;
    int act;
    OPT(er_fb_i32(&c->opts, CONCAT_AXIS, "axis", 0, &axis));
    ER_TRY(tfl_act_field(c, CONCAT_ACT, &act));
    int in[TFL_MAX_OP_IO], y;
    for (int k = 0; k < c->n_in; k++) {
        if (!tfl_in(c, k)) return tfl_fail(c, ER_ERR_INVALID_MODEL, "input %d is absent", k);
        ER_TRY(tfl_float_in(c, k, &in[k]));
    }
    ER_TRY(tfl_float_out(c, 0, act, &y));
    er_attr a = tfl_attr_int("axis", axis);
    return tfl_emit(c, "Concat", c->n_in, in, 1, &y, 1, &a);
}

static er_status op_pack(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, TFL_MAX_OP_IO, 1));
    int32_t axis, count;
    OPT(er_fb_i32(&c->opts, PACK_AXIS, "axis", 0, &axis));
    OPT(er_fb_i32(&c->opts, PACK_VALUES_COUNT, "values_count", c->n_in, &count));
    if (count != c->n_in)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "values_count %d but %d inputs", count, c->n_in);
    int64_t ax = axis;
    int axes, in[TFL_MAX_OP_IO], y;
    ER_TRY(tfl_const_i64(c, "axes", 1, &ax, &axes));
    for (int k = 0; k < c->n_in; k++) {
        if (!tfl_in(c, k)) return tfl_fail(c, ER_ERR_INVALID_MODEL, "input %d is absent", k);
        int f, u;
        ER_TRY(tfl_float_in(c, k, &f));
        ER_TRY(tfl_value(c, "unsqueezed", &u));
        int uin[2] = {f, axes};
        ER_TRY(tfl_emit(c, "Unsqueeze", 2, uin, 1, &u, 0, NULL));
        in[k] = u;
    }
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a = tfl_attr_int("axis", axis);
    return tfl_emit(c, "Concat", c->n_in, in, 1, &y, 1, &a);
}

static er_status op_unpack(tfl_ctx *c) {
    int32_t num, axis;
    OPT(er_fb_i32(&c->opts, UNPACK_NUM, "num", c->n_out, &num));
    OPT(er_fb_i32(&c->opts, UNPACK_AXIS, "axis", 0, &axis));
    if (num < 1 || num > TFL_MAX_OP_IO)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "num %d is invalid", num);
    ER_TRY(tfl_check_io(c, 1, 1, num));
    int x, parts[TFL_MAX_OP_IO];
    ER_TRY(tfl_float_in(c, 0, &x));
    for (int k = 0; k < num; k++) ER_TRY(tfl_value(c, "part", &parts[k]));
    er_attr a[2] = {tfl_attr_int("axis", axis), tfl_attr_int("num_outputs", num)};
    ER_TRY(tfl_emit(c, "Split", 1, &x, num, parts, 2, a));
    int64_t ax = axis;
    int axes;
    ER_TRY(tfl_const_i64(c, "axes", 1, &ax, &axes));
    for (int k = 0; k < num; k++) {
        int y, in[2] = {parts[k], axes};
        ER_TRY(tfl_float_out(c, k, ACT_NONE, &y));
        ER_TRY(tfl_emit(c, "Squeeze", 2, in, 1, &y, 0, NULL));
    }
    return ER_OK;
}

static er_status split_common(tfl_ctx *c, int x_in, int64_t axis, int n_out, int split_value) {
    int x, outs[TFL_MAX_OP_IO];
    ER_TRY(tfl_float_in(c, x_in, &x));
    for (int k = 0; k < n_out; k++) ER_TRY(tfl_float_out(c, k, ACT_NONE, &outs[k]));
    er_attr a[2] = {tfl_attr_int("axis", axis), tfl_attr_int("num_outputs", n_out)};
    int in[2] = {x, split_value};
    return tfl_emit(c, "Split", split_value >= 0 ? 2 : 1, in, n_out, outs,
                    split_value >= 0 ? 1 : 2, a);
}

static er_status op_split(tfl_ctx *c) {
    /* inputs: axis (scalar), value */
    int32_t num;
    OPT(er_fb_i32(&c->opts, SPLIT_NUM, "num_splits", c->n_out, &num));
    if (num < 1 || num > TFL_MAX_OP_IO)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "num_splits %d is invalid", num);
    ER_TRY(tfl_check_io(c, 2, 2, num));
    int64_t axis;
    int n;
    ER_TRY(tfl_const_ints(c, 0, "axis", &axis, 1, &n));
    if (n != 1) return tfl_fail(c, ER_ERR_INVALID_MODEL, "axis must hold one value");
    return split_common(c, 1, axis, num, -1);
}

static er_status op_split_v(tfl_ctx *c) {
    /* inputs: value, size_splits, axis */
    if (c->n_out < 1 || c->n_out > TFL_MAX_OP_IO)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "%d outputs", c->n_out);
    ER_TRY(tfl_check_io(c, 3, 3, c->n_out));
    int64_t axis, sizes[TFL_MAX_OP_IO];
    int n, ns;
    ER_TRY(tfl_const_ints(c, 2, "axis", &axis, 1, &n));
    ER_TRY(tfl_const_ints(c, 1, "size_splits", sizes, TFL_MAX_OP_IO, &ns));
    const tfl_tensor *x = tfl_in(c, 0);
    if (n != 1 || ns != c->n_out)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "size_splits has %d values for %d outputs", ns,
                        c->n_out);
    int64_t a = axis < 0 ? axis + x->rank : axis, known = 0;
    int fill = -1;
    for (int k = 0; k < ns; k++) {
        if (sizes[k] == -1 && fill < 0) fill = k;
        else if (sizes[k] < 0) return tfl_fail(c, ER_ERR_INVALID_MODEL, "size_splits[%d] = %lld", k,
                                               (long long)sizes[k]);
        else known += sizes[k];
    }
    if (fill >= 0) {
        if (a < 0 || a >= x->rank || x->dims[a] < known)
            return tfl_fail(c, ER_ERR_UNSUPPORTED, "size_splits with -1 needs a static dim");
        sizes[fill] = x->dims[a] - known;
    }
    int s;
    ER_TRY(tfl_const_i64(c, "split", ns, sizes, &s));
    return split_common(c, 0, axis, ns, s);
}

static er_status op_gather(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int32_t axis, bd;
    OPT(er_fb_i32(&c->opts, GATHER_AXIS, "axis", 0, &axis));
    OPT(er_fb_i32(&c->opts, GATHER_BATCH_DIMS, "batch_dims", 0, &bd));
    if (bd != 0) return tfl_fail(c, ER_ERR_UNSUPPORTED, "batch_dims %d is not supported", bd);
    int in[2] = {-1, tfl_raw(c, 1)}, y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    er_attr a = tfl_attr_int("axis", axis);
    return tfl_emit(c, "Gather", 2, in, 1, &y, 1, &a);
}

static er_status op_slice(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 3, 3, 1));
    int64_t begin[ER_MAX_RANK], size[ER_MAX_RANK], end[ER_MAX_RANK];
    int nb, ns;
    ER_TRY(tfl_const_ints(c, 1, "begin", begin, ER_MAX_RANK, &nb));
    ER_TRY(tfl_const_ints(c, 2, "size", size, ER_MAX_RANK, &ns));
    if (nb != ns) return tfl_fail(c, ER_ERR_INVALID_MODEL, "begin has %d values, size %d", nb, ns);
    for (int i = 0; i < nb; i++) {
        if (begin[i] < 0 || size[i] < -1)
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "begin %lld / size %lld on axis %d",
                            (long long)begin[i], (long long)size[i], i);
        end[i] = size[i] == -1 ? INT64_MAX : begin[i] + size[i];
    }
    int in[3], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_const_i64(c, "starts", nb, begin, &in[1]));
    ER_TRY(tfl_const_i64(c, "ends", nb, end, &in[2]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Slice", 3, in, 1, &y, 0, NULL);
}

/* STRIDED_SLICE: TensorFlow's sparse spec (begin/end/strides with masks, one
 * ellipsis, new axes) expanded to a dense spec over the input dims as
 * TensorFlow's BuildDenseSpec does, then Slice -> Squeeze (shrunk dims) ->
 * Unsqueeze (new axes, at their positions in the final output). */
static er_status op_strided_slice(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 3, 4, 1));
    int32_t bm, em, elm, nam, sam;
    bool offset;
    OPT(er_fb_i32(&c->opts, SS_BEGIN_MASK, "begin_mask", 0, &bm));
    OPT(er_fb_i32(&c->opts, SS_END_MASK, "end_mask", 0, &em));
    OPT(er_fb_i32(&c->opts, SS_ELLIPSIS_MASK, "ellipsis_mask", 0, &elm));
    OPT(er_fb_i32(&c->opts, SS_NEW_AXIS_MASK, "new_axis_mask", 0, &nam));
    OPT(er_fb_i32(&c->opts, SS_SHRINK_AXIS_MASK, "shrink_axis_mask", 0, &sam));
    OPT(er_fb_bool(&c->opts, SS_OFFSET, "offset", false, &offset));
    int64_t b[ER_MAX_RANK * 2], e[ER_MAX_RANK * 2], s[ER_MAX_RANK * 2];
    int nb, ne, ns = 0;
    ER_TRY(tfl_const_ints(c, 1, "begin", b, ER_MAX_RANK * 2, &nb));
    ER_TRY(tfl_const_ints(c, 2, "end", e, ER_MAX_RANK * 2, &ne));
    if (tfl_in(c, 3)) {
        ER_TRY(tfl_const_ints(c, 3, "strides", s, ER_MAX_RANK * 2, &ns));
    } else {
        for (int i = 0; i < nb; i++) s[ns++] = 1;
    }
    const tfl_tensor *x = tfl_in(c, 0);
    const int rank = x->rank;
    if (nb != ne || nb != ns || rank < 0)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "begin/end/strides have %d/%d/%d values (input "
                        "rank %d)", nb, ne, ns, rank);
    uint32_t live = nb >= 32 ? UINT32_MAX : ((uint32_t)1 << nb) - 1;
    uint32_t ell = (uint32_t)elm & live, newax = (uint32_t)nam & live & ~ell;
    if (ell & (ell - 1))
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "ellipsis_mask 0x%x has more than one ellipsis",
                        (unsigned)elm);
    int n_spec = nb;
    if (!ell) { /* an implicit ellipsis after the last entry */
        ell = (uint32_t)1 << nb;
        n_spec = nb + 1;
    }
    int64_t starts[ER_MAX_RANK], ends[ER_MAX_RANK], steps[ER_MAX_RANK], sq[ER_MAX_RANK];
    int64_t unsq[ER_MAX_RANK * 2];
    int n_sq = 0, n_unsq = 0, out_pos = 0, d = 0;
    for (int i = 0; i < n_spec; i++) {
        if ((ell >> i) & 1) {
            /* the ellipsis covers every dim the later dense entries leave */
            int later = 0;
            for (int j = i + 1; j < nb; j++) later += !((newax >> j) & 1);
            int until = rank - later;
            if (until < d) until = d;
            for (; d < until && d < ER_MAX_RANK; d++, out_pos++) {
                starts[d] = 0;
                ends[d] = INT64_MAX;
                steps[d] = 1;
            }
            continue;
        }
        if ((newax >> i) & 1) {
            unsq[n_unsq++] = out_pos++;
            continue;
        }
        if (d >= rank)
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "the slice spec has more dims than the "
                            "input's rank %d", rank);
        if (s[i] == 0) return tfl_fail(c, ER_ERR_INVALID_MODEL, "strides[%d] is 0", i);
        if ((sam >> i) & 1) { /* one element at begin; the dim disappears */
            starts[d] = b[i];
            ends[d] = b[i] == -1 ? INT64_MAX : b[i] + 1;
            steps[d] = 1;
            sq[n_sq++] = d;
        } else {
            bool fwd = s[i] > 0;
            steps[d] = s[i];
            starts[d] = (bm >> i) & 1 ? (fwd ? 0 : INT64_MAX) : b[i];
            if ((em >> i) & 1) ends[d] = fwd ? INT64_MAX : INT64_MIN;
            else ends[d] = offset ? b[i] + e[i] : e[i];
            out_pos++;
        }
        d++;
    }
    if (d != rank)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "the slice spec covers %d of %d dims", d, rank);
    int in[5], y, cur;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(tfl_const_i64(c, "starts", rank, starts, &in[1]));
    ER_TRY(tfl_const_i64(c, "ends", rank, ends, &in[2]));
    int64_t axes[ER_MAX_RANK];
    for (int k = 0; k < rank; k++) axes[k] = k;
    ER_TRY(tfl_const_i64(c, "axes", rank, axes, &in[3]));
    ER_TRY(tfl_const_i64(c, "steps", rank, steps, &in[4]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    if (!n_sq && !n_unsq) return tfl_emit(c, "Slice", 5, in, 1, &y, 0, NULL);
    ER_TRY(tfl_value(c, "sliced", &cur));
    ER_TRY(tfl_emit(c, "Slice", 5, in, 1, &cur, 0, NULL));
    if (n_sq) {
        int q = y, qin[2] = {cur, -1};
        ER_TRY(tfl_const_i64(c, "squeeze_axes", n_sq, sq, &qin[1]));
        if (n_unsq) ER_TRY(tfl_value(c, "shrunk", &q));
        ER_TRY(tfl_emit(c, "Squeeze", 2, qin, 1, &q, 0, NULL));
        cur = q;
    }
    if (n_unsq) {
        int uin[2] = {cur, -1};
        ER_TRY(tfl_const_i64(c, "new_axes", n_unsq, unsq, &uin[1]));
        ER_TRY(tfl_emit(c, "Unsqueeze", 2, uin, 1, &y, 0, NULL));
    }
    return ER_OK;
}

static er_status pads_input(tfl_ctx *c, int k, int rank, int64_t *pads, int *id) {
    int64_t v[ER_MAX_RANK * 2];
    int n;
    ER_TRY(tfl_const_ints(c, k, "paddings", v, ER_MAX_RANK * 2, &n));
    if (n != 2 * rank)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "paddings has %d values for rank %d", n, rank);
    /* TFLite [[before, after], ...] -> ONNX [before..., after...] */
    for (int i = 0; i < rank; i++) {
        pads[i] = v[2 * i];
        pads[rank + i] = v[2 * i + 1];
        if (pads[i] < 0 || pads[rank + i] < 0)
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "negative padding on axis %d", i);
    }
    return tfl_const_i64(c, "pads", 2 * rank, pads, id);
}

static er_status op_pad(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 3, 1));
    int rank = tfl_in(c, 0)->rank;
    if (rank < 0) return tfl_fail(c, ER_ERR_UNSUPPORTED, "input rank is unknown");
    int in[3] = {-1, -1, -1}, y;
    int64_t pads[ER_MAX_RANK * 2];
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(pads_input(c, 1, rank, pads, &in[1]));
    if (tfl_in(c, 2)) ER_TRY(tfl_float_in(c, 2, &in[2])); /* PADV2 constant_values */
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Pad", tfl_in(c, 2) ? 3 : 2, in, 1, &y, 0, NULL);
}

/* MIRROR_PAD REFLECT is ONNX reflect; SYMMETRIC (the border repeated) has no
 * ONNX mode and is built per axis as Concat(reverse(head), x, reverse(tail))
 * with reversing Slices (step -1). */
static er_status op_mirror_pad(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int8_t mode;
    OPT(er_fb_i8(&c->opts, MIRROR_MODE, "mode", MIRROR_REFLECT, &mode));
    const tfl_tensor *xt = tfl_in(c, 0);
    int rank = xt->rank;
    if (rank < 0) return tfl_fail(c, ER_ERR_UNSUPPORTED, "input rank is unknown");
    int in[2], y, x;
    int64_t pads[ER_MAX_RANK * 2];
    ER_TRY(tfl_float_in(c, 0, &x));
    ER_TRY(pads_input(c, 1, rank, pads, &in[1]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    if (mode == MIRROR_REFLECT) {
        in[0] = x;
        er_attr a = tfl_attr_str("mode", "reflect");
        return tfl_emit(c, "Pad", 2, in, 1, &y, 1, &a);
    }
    if (mode != MIRROR_SYMMETRIC)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "mirror pad mode %d", mode);
    int last = -1;
    for (int i = 0; i < rank; i++)
        if (pads[i] || pads[rank + i]) last = i;
    if (last < 0) return emit1(c, "Identity", x, y);
    int cur = x;
    for (int i = 0; i <= last; i++) {
        int64_t before = pads[i], after = pads[rank + i], dim = xt->dims[i];
        if (!before && !after) continue;
        if (dim < 0 || before > dim || after > dim)
            return tfl_fail(c, ER_ERR_SHAPE, "SYMMETRIC padding %lld+%lld on axis %d of size %lld",
                            (long long)before, (long long)after, i, (long long)dim);
        int parts[3], np = 0, ax, step;
        int64_t axis64 = i, m1 = -1;
        ER_TRY(tfl_const_i64(c, "axis", 1, &axis64, &ax));
        ER_TRY(tfl_const_i64(c, "step", 1, &m1, &step));
        if (before) { /* x[before-1 .. 0] */
            int64_t st = before - 1, en = INT64_MIN;
            int sl[5] = {cur, -1, -1, ax, step};
            ER_TRY(tfl_const_i64(c, "start", 1, &st, &sl[1]));
            ER_TRY(tfl_const_i64(c, "end", 1, &en, &sl[2]));
            ER_TRY(tfl_value(c, "head", &parts[np]));
            ER_TRY(tfl_emit(c, "Slice", 5, sl, 1, &parts[np], 0, NULL));
            np++;
        }
        parts[np++] = cur;
        if (after) { /* x[dim-1 .. dim-after] */
            int64_t st = dim - 1, en = dim - after - 1;
            if (en < 0) en = INT64_MIN;
            int sl[5] = {cur, -1, -1, ax, step};
            ER_TRY(tfl_const_i64(c, "start", 1, &st, &sl[1]));
            ER_TRY(tfl_const_i64(c, "end", 1, &en, &sl[2]));
            ER_TRY(tfl_value(c, "tail", &parts[np]));
            ER_TRY(tfl_emit(c, "Slice", 5, sl, 1, &parts[np], 0, NULL));
            np++;
        }
        int next = y;
        if (i != last) ER_TRY(tfl_value(c, "padded", &next));
        er_attr a = tfl_attr_int("axis", i);
        ER_TRY(tfl_emit(c, "Concat", np, parts, 1, &next, 1, &a));
        cur = next;
    }
    return ER_OK;
}

static er_status op_tile(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(int64_input(c, 1, "repeats", &in[1]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Tile", 2, in, 1, &y, 0, NULL);
}

static er_status op_broadcast_to(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    int in[2], y;
    ER_TRY(tfl_float_in(c, 0, &in[0]));
    ER_TRY(int64_input(c, 1, "shape", &in[1]));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return tfl_emit(c, "Expand", 2, in, 1, &y, 0, NULL);
}

static er_status op_shape(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int x = tfl_raw(c, 0), y = tfl_raw_out(c, 0);
    if (tfl_out(c, 0)->dtype == ER_I64) return emit1(c, "Shape", x, y);
    int s;
    ER_TRY(tfl_value(c, "shape", &s));
    ER_TRY(emit1(c, "Shape", x, s));
    er_attr a = tfl_attr_int("to", tfl_out(c, 0)->dtype);
    return tfl_emit(c, "Cast", 1, &s, 1, &y, 1, &a);
}

/* ---- layout-sensitive data movement ------------------------------------------------ */

static er_status block_op(tfl_ctx *c, const char *onnx) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    int32_t bs;
    OPT(er_fb_i32(&c->opts, BLOCK_SIZE, "block_size", 0, &bs));
    if (bs < 1) return tfl_fail(c, ER_ERR_INVALID_MODEL, "block_size %d must be >= 1", bs);
    int x, y;
    ER_TRY(tfl_nchw_in(c, 0, &x));
    ER_TRY(tfl_nchw_out(c, 0, ACT_NONE, &y));
    /* NHWC DEPTH_TO_SPACE takes channel (i*bs + j)*C_out + c: ONNX's DCR */
    er_attr a[2] = {tfl_attr_int("blocksize", bs), tfl_attr_str("mode", "DCR")};
    return tfl_emit(c, onnx, 1, &x, 1, &y, strcmp(onnx, "DepthToSpace") == 0 ? 2 : 1, a);
}

static er_status op_depth_to_space(tfl_ctx *c) { return block_op(c, "DepthToSpace"); }
static er_status op_space_to_depth(tfl_ctx *c) { return block_op(c, "SpaceToDepth"); }

static er_status resize(tfl_ctx *c, bool bilinear) {
    ER_TRY(tfl_check_io(c, 2, 2, 1));
    bool align, half;
    OPT(er_fb_bool(&c->opts, bilinear ? RESIZE_BILINEAR_ALIGN_CORNERS : RESIZE_NEAREST_ALIGN_CORNERS,
                   "align_corners", false, &align));
    OPT(er_fb_bool(&c->opts, bilinear ? RESIZE_BILINEAR_HALF_PIXEL : RESIZE_NEAREST_HALF_PIXEL,
                   "half_pixel_centers", false, &half));
    if (align && half)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "align_corners and half_pixel_centers are both "
                        "set");
    int64_t hw[2];
    int n;
    ER_TRY(tfl_const_ints(c, 1, "size", hw, 2, &n));
    if (n != 2 || hw[0] < 1 || hw[1] < 1)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "size must be two positive values");
    int in[4] = {-1, -1, -1, -1}, y;
    ER_TRY(tfl_nchw_in(c, 0, &in[0]));
    ER_TRY(tfl_const_i64(c, "sizes", 2, hw, &in[3]));
    ER_TRY(tfl_nchw_out(c, 0, ACT_NONE, &y));
    static const int64_t axes[2] = {2, 3};
    const char *ctm = align ? "align_corners"
                    : half ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
                           : "asymmetric";
    /* TFLite rounds align_corners lookups half away from zero, floors others */
    const char *nearest = align ? "round_prefer_ceil" : "floor";
    er_attr a[4] = {tfl_attr_str("mode", bilinear ? "linear" : "nearest"),
                    tfl_attr_str("coordinate_transformation_mode", ctm),
                    tfl_attr_ints("axes", 2, axes), tfl_attr_str("nearest_mode", nearest)};
    return tfl_emit(c, "Resize", 4, in, 1, &y, bilinear ? 3 : 4, a);
}

static er_status op_resize_bilinear(tfl_ctx *c) { return resize(c, true); }
static er_status op_resize_nearest_neighbor(tfl_ctx *c) { return resize(c, false); }

/* ---- quantization ------------------------------------------------------------------- */

static er_status op_dequantize(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    tfl_tensor *x = tfl_in(c, 0), *out = tfl_out(c, 0);
    if (x->dtype != ER_F16 && !tfl_is_quantized(x))
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "input '%s' is neither float16 nor quantized",
                        x->name);
    int f;
    ER_TRY(tfl_float_in(c, 0, &f));
    er_value *fv = &c->g->values[f];
    if (fv->data && out->dtype == ER_F32 && !out->data) {
        if (!er_shape_equal(x->rank, x->dims, out->rank, out->dims))
            return tfl_fail(c, ER_ERR_SHAPE, "output '%s' has a different shape from input '%s'",
                            out->name, x->name);
        /* constant (fp16 weights): fold once here, the output is a constant */
        out->data = fv->data;
        out->bytes = fv->data_bytes;
        return ER_OK;
    }
    int y;
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    return emit1(c, "Identity", f, y);
}

static er_status op_quantize(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    if (!tfl_is_quantized(tfl_out(c, 0)))
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "output '%s' has no quantization parameters",
                        tfl_out(c, 0)->name);
    int x, y;
    ER_TRY(tfl_float_in(c, 0, &x));
    ER_TRY(tfl_float_out(c, 0, ACT_NONE, &y));
    /* float_out put QuantizeLinear after y; an Identity links x to it */
    return emit1(c, "Identity", x, y);
}

static er_status op_densify(tfl_ctx *c) {
    ER_TRY(tfl_check_io(c, 1, 1, 1));
    tfl_tensor *x = tfl_in(c, 0), *out = tfl_out(c, 0);
    if (!x->data)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "input '%s' is not a constant tensor", x->name);
    if (x->dtype != out->dtype || !er_shape_equal(x->rank, x->dims, out->rank, out->dims))
        return tfl_fail(c, ER_ERR_SHAPE, "output '%s' differs in type or shape from input '%s'",
                        out->name, x->name);
    /* sparse tensors were densified at load: the output is that constant */
    out->data = x->data;
    out->bytes = x->bytes;
    return ER_OK;
}

/* ---- the table ---------------------------------------------------------------------- */

static const tfl_op_row rows[] = {
    {OP_ADD, "ADD", OPT_ADD, op_add},
    {OP_AVERAGE_POOL_2D, "AVERAGE_POOL_2D", OPT_POOL2D, op_average_pool_2d},
    {OP_CONCATENATION, "CONCATENATION", OPT_CONCATENATION, op_concatenation},
    {OP_CONV_2D, "CONV_2D", OPT_CONV2D, op_conv_2d},
    {OP_DEPTHWISE_CONV_2D, "DEPTHWISE_CONV_2D", OPT_DEPTHWISE_CONV2D, op_depthwise_conv_2d},
    {OP_DEPTH_TO_SPACE, "DEPTH_TO_SPACE", OPT_DEPTH_TO_SPACE, op_depth_to_space},
    {OP_DEQUANTIZE, "DEQUANTIZE", OPT_DEQUANTIZE, op_dequantize},
    {OP_FLOOR, "FLOOR", -1, op_floor},
    {OP_FULLY_CONNECTED, "FULLY_CONNECTED", OPT_FULLY_CONNECTED, op_fully_connected},
    {OP_LOGISTIC, "LOGISTIC", -1, op_logistic},
    {OP_MAX_POOL_2D, "MAX_POOL_2D", OPT_POOL2D, op_max_pool_2d},
    {OP_MUL, "MUL", OPT_MUL, op_mul},
    {OP_RELU, "RELU", -1, op_relu},
    {OP_RELU_N1_TO_1, "RELU_N1_TO_1", -1, op_relu_n1_to_1},
    {OP_RELU6, "RELU6", -1, op_relu6},
    {OP_RESHAPE, "RESHAPE", OPT_RESHAPE, op_reshape},
    {OP_RESIZE_BILINEAR, "RESIZE_BILINEAR", OPT_RESIZE_BILINEAR, op_resize_bilinear},
    {OP_SOFTMAX, "SOFTMAX", OPT_SOFTMAX, op_softmax},
    {OP_SPACE_TO_DEPTH, "SPACE_TO_DEPTH", OPT_SPACE_TO_DEPTH, op_space_to_depth},
    {OP_TANH, "TANH", -1, op_tanh},
    {OP_PAD, "PAD", OPT_PAD, op_pad},
    {OP_GATHER, "GATHER", OPT_GATHER, op_gather},
    {OP_TRANSPOSE, "TRANSPOSE", OPT_TRANSPOSE, op_transpose},
    {OP_MEAN, "MEAN", OPT_REDUCER, op_mean},
    {OP_SUB, "SUB", OPT_SUB, op_sub},
    {OP_DIV, "DIV", OPT_DIV, op_div},
    {OP_SQUEEZE, "SQUEEZE", OPT_SQUEEZE, op_squeeze},
    {OP_STRIDED_SLICE, "STRIDED_SLICE", OPT_STRIDED_SLICE, op_strided_slice},
    {OP_EXP, "EXP", OPT_EXP, op_exp},
    {OP_SPLIT, "SPLIT", OPT_SPLIT, op_split},
    {OP_LOG_SOFTMAX, "LOG_SOFTMAX", OPT_LOG_SOFTMAX, op_log_softmax},
    {OP_CAST, "CAST", OPT_CAST, op_cast},
    {OP_PRELU, "PRELU", -1, op_prelu},
    {OP_MAXIMUM, "MAXIMUM", OPT_MAXIMUM_MINIMUM, op_maximum},
    {OP_ARG_MAX, "ARG_MAX", OPT_ARG_MAX, op_arg_max},
    {OP_MINIMUM, "MINIMUM", OPT_MAXIMUM_MINIMUM, op_minimum},
    {OP_LESS, "LESS", OPT_LESS, op_less},
    {OP_NEG, "NEG", OPT_NEG, op_neg},
    {OP_PADV2, "PADV2", OPT_PADV2, op_pad},
    {OP_GREATER, "GREATER", OPT_GREATER, op_greater},
    {OP_GREATER_EQUAL, "GREATER_EQUAL", OPT_GREATER_EQUAL, op_greater_equal},
    {OP_LESS_EQUAL, "LESS_EQUAL", OPT_LESS_EQUAL, op_less_equal},
    {OP_SELECT, "SELECT", OPT_SELECT, op_select},
    {OP_SLICE, "SLICE", OPT_SLICE, op_slice},
    {OP_SIN, "SIN", -1, op_sin},
    {OP_TRANSPOSE_CONV, "TRANSPOSE_CONV", OPT_TRANSPOSE_CONV, op_transpose_conv},
    {OP_TILE, "TILE", OPT_TILE, op_tile},
    {OP_EXPAND_DIMS, "EXPAND_DIMS", OPT_EXPAND_DIMS, op_expand_dims},
    {OP_EQUAL, "EQUAL", OPT_EQUAL, op_equal},
    {OP_NOT_EQUAL, "NOT_EQUAL", OPT_NOT_EQUAL, op_not_equal},
    {OP_LOG, "LOG", -1, op_log},
    {OP_SUM, "SUM", OPT_REDUCER, op_sum},
    {OP_SQRT, "SQRT", -1, op_sqrt},
    {OP_RSQRT, "RSQRT", -1, op_rsqrt},
    {OP_SHAPE, "SHAPE", OPT_SHAPE, op_shape},
    {OP_POW, "POW", OPT_POW, op_pow},
    {OP_ARG_MIN, "ARG_MIN", OPT_ARG_MIN, op_arg_min},
    {OP_REDUCE_PROD, "REDUCE_PROD", OPT_REDUCER, op_reduce_prod},
    {OP_REDUCE_MAX, "REDUCE_MAX", OPT_REDUCER, op_reduce_max},
    {OP_PACK, "PACK", OPT_PACK, op_pack},
    {OP_LOGICAL_OR, "LOGICAL_OR", OPT_LOGICAL_OR, op_logical_or},
    {OP_LOGICAL_AND, "LOGICAL_AND", OPT_LOGICAL_AND, op_logical_and},
    {OP_LOGICAL_NOT, "LOGICAL_NOT", OPT_LOGICAL_NOT, op_logical_not},
    {OP_UNPACK, "UNPACK", OPT_UNPACK, op_unpack},
    {OP_REDUCE_MIN, "REDUCE_MIN", OPT_REDUCER, op_reduce_min},
    {OP_SQUARE, "SQUARE", OPT_SQUARE, op_square},
    {OP_RESIZE_NEAREST_NEIGHBOR, "RESIZE_NEAREST_NEIGHBOR", OPT_RESIZE_NEAREST_NEIGHBOR,
     op_resize_nearest_neighbor},
    {OP_LEAKY_RELU, "LEAKY_RELU", OPT_LEAKY_RELU, op_leaky_relu},
    {OP_SQUARED_DIFFERENCE, "SQUARED_DIFFERENCE", OPT_SQUARED_DIFFERENCE, op_squared_difference},
    {OP_MIRROR_PAD, "MIRROR_PAD", OPT_MIRROR_PAD, op_mirror_pad},
    {OP_ABS, "ABS", OPT_ABS, op_abs},
    {OP_SPLIT_V, "SPLIT_V", OPT_SPLIT_V, op_split_v},
    {OP_CEIL, "CEIL", -1, op_ceil},
    {OP_ADD_N, "ADD_N", OPT_ADD_N, op_add_n},
    {OP_COS, "COS", OPT_COS, op_cos},
    {OP_ELU, "ELU", -1, op_elu},
    {OP_QUANTIZE, "QUANTIZE", OPT_QUANTIZE, op_quantize},
    {OP_ROUND, "ROUND", -1, op_round},
    {OP_HARD_SWISH, "HARD_SWISH", OPT_HARD_SWISH, op_hard_swish},
    {OP_SELECT_V2, "SELECT_V2", OPT_SELECT_V2, op_select},
    {OP_DENSIFY, "DENSIFY", OPT_DENSIFY, op_densify},
    {OP_BATCH_MATMUL, "BATCH_MATMUL", OPT_BATCH_MATMUL, op_batch_matmul},
    {OP_CUMSUM, "CUMSUM", OPT_CUMSUM, op_cumsum},
    {OP_BROADCAST_TO, "BROADCAST_TO", OPT_BROADCAST_TO, op_broadcast_to},
    {OP_GELU, "GELU", OPT_GELU, op_gelu},
    {OP_RELU_0_TO_1, "RELU_0_TO_1", -1, op_relu_0_to_1},
    {OP_SIGN, "SIGN", OPT_SIGN, op_sign},
    {-1, "Convolution2DTransposeBias", -1, op_conv2d_transpose_bias},
};

const tfl_op_row *tfl_find_op(int code, const char *custom_code) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (custom_code) {
            if (rows[i].code < 0 && strcmp(rows[i].name, custom_code) == 0) return &rows[i];
        } else if (rows[i].code == code) {
            return &rows[i];
        }
    }
    return NULL;
}

const char *tfl_builtin_name(int code, char *buf, size_t cap) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code && code >= 0) return rows[i].name;
    snprintf(buf, cap, "builtin %d", code);
    return buf;
}
