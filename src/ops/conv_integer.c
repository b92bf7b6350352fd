/* conv_integer.c - the integer convolution family, one int32 core
 * (int_accum.c) with three epilogues:
 *
 *   ConvInteger (ONNX opset 10): X, W, [x_zero_point], [w_zero_point] ->
 *       int32 sums of (x - x_zp) * (w - w_zp[m]).
 *   QLinearConv (ONNX opset 10): X, x_scale, x_zp, W, w_scale, w_zp,
 *       y_scale, y_zp, [B int32] -> y = saturate(rint(acc * x_scale *
 *       w_scale[m] / y_scale) + y_zp), the float epilogue of quant_util.h
 *       (float32 scale, half to even, as ONNX Runtime).
 *   QConv (domain "edgerun"): QLinearConv's inputs, plus the attributes
 *       activation_min / activation_max (a fused activation as a clamp in
 *       the output's quantized domain) -> y = clamp(er_mbqm(acc,
 *       QuantizeMultiplier(x_scale * w_scale[m] / y_scale)) + y_zp, min, max):
 *       TFLite's fixed-point requantization, the bit-exact definition that
 *       optimized int8 convolutions must reproduce.
 *
 * All take Conv's attributes (group, strides, dilations, pads, auto_pad,
 * kernel_shape). Inputs and weights are uint8 or int8 (independently),
 * x and y per tensor, w per tensor or per output channel; a bias is int32
 * [M] with scale x_scale * w_scale[m] and zero point 0. Scales may be graph
 * inputs (the ONNX tests feed them at run time), so the per-channel
 * multipliers are derived in run() into scratch: M multiplications, nothing
 * next to the convolution itself. */
#include <string.h>

#include "core/checked_math.h"
#include "int_accum.h"
#include "op.h"
#include "quant_util.h"

typedef enum { K_INTEGER, K_QLINEAR, K_QCONV } conv_kind;

/* Input positions of x, w, their zero points, scales and the bias. */
typedef struct {
    int x, w, xs, xz, ws, wz, ys, yz, bias;
} conv_inputs;

static conv_inputs inputs_of(conv_kind k) {
    if (k == K_INTEGER) return (conv_inputs){0, 1, -1, 2, -1, 3, -1, -1, -1};
    return (conv_inputs){0, 3, 1, 2, 4, 5, 6, 7, 8};
}

static const er_dtype k_q8[] = {ER_U8, ER_I8, ER_UNDEF};

static er_status shape_family(er_op_ctx *c, conv_kind k) {
    conv_inputs in = inputs_of(k);
    if (k == K_INTEGER) ER_TRY(er_op_check_inputs(c, 2, 4));
    else ER_TRY(er_op_check_inputs(c, 8, 9));
    ER_TRY(er_op_check_dtype(c, in.x, k_q8));
    ER_TRY(er_op_check_dtype(c, in.w, k_q8));
    er_iconv g;
    ER_TRY(er_iconv_geometry(c, in.x, in.w, &g));
    er_dtype xdt = c->in[in.x]->dtype, wdt = c->in[in.w]->dtype;
    bool pc;
    er_dtype ydt = ER_I32;
    if (k == K_INTEGER) {
        if (c->n_in > 2 && c->in[2]) {
            const er_tensor *z = c->in[2];
            if (z->dtype != xdt || er_tensor_numel(z) != 1)
                return er_fail(ER_ERR_INVALID_MODEL, "x_zero_point %s %s: expected one %s value",
                               er_dtype_name(z->dtype), er_op_shape_str(z), er_dtype_name(xdt));
        }
        if (c->n_in > 3 && c->in[3]) {
            const er_tensor *z = c->in[3];
            size_t n = er_tensor_numel(z);
            if (z->dtype != wdt || z->rank > 1 || (n != 1 && (int64_t)n != g.M))
                return er_fail(ER_ERR_INVALID_MODEL, "w_zero_point %s %s: expected a %s scalar "
                               "or [%lld]", er_dtype_name(z->dtype), er_op_shape_str(z),
                               er_dtype_name(wdt), (long long)g.M);
        }
    } else {
        ER_TRY(er_qparams_check(c, "x", in.xs, in.xz, xdt, false, 0, &pc));
        ER_TRY(er_qparams_check(c, "w", in.ws, in.wz, wdt, false, g.M, &pc));
        ER_TRY(er_qparam_dtype(c, "y", in.yz, &ydt));
        ER_TRY(er_qparams_check(c, "y", in.ys, in.yz, ydt, false, 0, &pc));
        if (c->n_in > in.bias && c->in[in.bias]) {
            const er_tensor *b = c->in[in.bias];
            if (b->dtype != ER_I32 || b->rank != 1 || b->dims[0] != g.M)
                return er_fail(ER_ERR_INVALID_MODEL, "bias %s %s: expected int32 [%lld]",
                               er_dtype_name(b->dtype), er_op_shape_str(b), (long long)g.M);
        }
        if (k == K_QCONV) {
            int32_t lo, hi;
            ER_TRY(er_qactivation(c, ydt, &lo, &hi));
        }
    }
    int64_t dims[ER_MAX_RANK];
    int rank = er_iconv_out_dims(&g, dims);
    er_op_set_output(c, 0, ydt, rank, dims);
    return ER_OK;
}

/* Scratch: [core scratch][w_zp int32 M][scale float M][er_qmul M] */
static er_status scratch_layout(const er_op_ctx *c, const er_iconv *g, size_t *core,
                                size_t *total) {
    ER_TRY(er_iconv_scratch(g, er_threadpool_size(c->pool), core));
    size_t per = sizeof(int32_t) + sizeof(float) + sizeof(er_qmul), params;
    if (!er_mul_size(&params, (size_t)g->M, per) || !er_add_size(total, *core, params))
        return er_fail(ER_ERR_SHAPE, "scratch for %lld channels is too large", (long long)g->M);
    return ER_OK;
}

static er_status prepare_family(er_op_ctx *c, conv_kind k) {
    er_iconv g;
    ER_TRY(er_iconv_geometry(c, inputs_of(k).x, inputs_of(k).w, &g));
    size_t core = 0;
    return scratch_layout(c, &g, &core, &c->scratch_bytes);
}

typedef struct {
    conv_kind kind;
    void *y;
    er_dtype y_dtype;
    const float *scale;   /* K_QLINEAR: per m */
    const er_qmul *mul;   /* K_QCONV: per m */
    int32_t zp, lo, hi;
} conv_out;

static void store_plane(void *arg, int64_t m, const int32_t *acc, int64_t count, int64_t off) {
    const conv_out *o = arg;
    if (o->kind == K_INTEGER) {
        memcpy((int32_t *)o->y + off, acc, sizeof(int32_t) * (size_t)count);
    } else if (o->y_dtype == ER_U8) {
        uint8_t *y = (uint8_t *)o->y + off;
        if (o->kind == K_QLINEAR)
            for (int64_t i = 0; i < count; i++)
                y[i] = (uint8_t)er_requant_float(acc[i], o->scale[m], o->zp, o->lo, o->hi);
        else
            for (int64_t i = 0; i < count; i++)
                y[i] = (uint8_t)er_requant(acc[i], o->mul[m], o->zp, o->lo, o->hi);
    } else {
        int8_t *y = (int8_t *)o->y + off;
        if (o->kind == K_QLINEAR)
            for (int64_t i = 0; i < count; i++)
                y[i] = (int8_t)er_requant_float(acc[i], o->scale[m], o->zp, o->lo, o->hi);
        else
            for (int64_t i = 0; i < count; i++)
                y[i] = (int8_t)er_requant(acc[i], o->mul[m], o->zp, o->lo, o->hi);
    }
}

static er_status run_family(er_op_ctx *c, conv_kind k) {
    conv_inputs in = inputs_of(k);
    er_iconv g;
    ER_TRY(er_iconv_geometry(c, in.x, in.w, &g));
    size_t core = 0, total = 0;
    ER_TRY(scratch_layout(c, &g, &core, &total));
    if (c->scratch_bytes < total)
        return er_fail(ER_ERR_INTERNAL, "ran with %zu scratch bytes, needs %zu", c->scratch_bytes,
                       total);
    int32_t *w_zp = (int32_t *)((char *)c->scratch + core);
    float *scale = (float *)(w_zp + g.M);
    er_qmul *mul = (er_qmul *)(scale + g.M);
    int32_t x_zp = 0;
    conv_out o = {k, c->out[0]->data, c->out[0]->dtype, scale, mul, 0, 0, 0};
    const int32_t *bias = NULL;
    if (k == K_INTEGER) {
        const er_tensor *xz = c->n_in > 2 ? c->in[2] : NULL, *wz = c->n_in > 3 ? c->in[3] : NULL;
        if (xz) x_zp = er_qload(xz->data, xz->dtype, 0);
        bool per_m = wz && er_tensor_numel(wz) > 1;
        for (int64_t m = 0; m < g.M; m++)
            w_zp[m] = wz ? er_qload(wz->data, wz->dtype, per_m ? m : 0) : 0;
    } else {
        float x_s, y_s;
        ER_TRY(er_qparam_read1(c, "x", in.xs, in.xz, &x_s, &x_zp));
        ER_TRY(er_qparams_read(c, "w", in.ws, in.wz, g.M, scale, w_zp));
        ER_TRY(er_qparam_read1(c, "y", in.ys, in.yz, &y_s, &o.zp));
        er_qdtype_range(o.y_dtype, &o.lo, &o.hi);
        if (k == K_QCONV) ER_TRY(er_qactivation(c, o.y_dtype, &o.lo, &o.hi));
        for (int64_t m = 0; m < g.M; m++) {
            if (k == K_QLINEAR) scale[m] = x_s * scale[m] / y_s; /* float32, as ORT */
            else mul[m] = er_quantize_multiplier((double)x_s * (double)scale[m] / (double)y_s);
        }
        if (c->n_in > in.bias && c->in[in.bias]) bias = c->in[in.bias]->data;
    }
    er_iconv_args a = {&g, c->in[in.x]->data, c->in[in.x]->dtype, x_zp, c->in[in.w]->data,
                       c->in[in.w]->dtype, w_zp, bias, store_plane, &o, c->scratch, c->pool};
    er_iconv_run(&a);
    return ER_OK;
}

static uint64_t macs_family(const er_op_ctx *c, conv_kind k) {
    er_iconv g;
    if (er_iconv_geometry(c, inputs_of(k).x, inputs_of(k).w, &g) != ER_OK) return 0;
    return er_iconv_macs(&g);
}

static er_status shape_ci(er_op_ctx *c) { return shape_family(c, K_INTEGER); }
static er_status prepare_ci(er_op_ctx *c) { return prepare_family(c, K_INTEGER); }
static er_status run_ci(er_op_ctx *c) { return run_family(c, K_INTEGER); }
static uint64_t macs_ci(const er_op_ctx *c) { return macs_family(c, K_INTEGER); }
static er_status shape_ql(er_op_ctx *c) { return shape_family(c, K_QLINEAR); }
static er_status prepare_ql(er_op_ctx *c) { return prepare_family(c, K_QLINEAR); }
static er_status run_ql(er_op_ctx *c) { return run_family(c, K_QLINEAR); }
static uint64_t macs_ql(const er_op_ctx *c) { return macs_family(c, K_QLINEAR); }
static er_status shape_qc(er_op_ctx *c) { return shape_family(c, K_QCONV); }
static er_status prepare_qc(er_op_ctx *c) { return prepare_family(c, K_QCONV); }
static er_status run_qc(er_op_ctx *c) { return run_family(c, K_QCONV); }
static uint64_t macs_qc(const er_op_ctx *c) { return macs_family(c, K_QCONV); }

const er_op_def er_op_conv_integer = {.name = "ConvInteger", .min_opset = 10, .shape = shape_ci,
                                      .prepare = prepare_ci, .run = run_ci, .macs = macs_ci};
const er_op_def er_op_qlinear_conv = {.name = "QLinearConv", .min_opset = 10, .shape = shape_ql,
                                      .prepare = prepare_ql, .run = run_ql, .macs = macs_ql};
const er_op_def er_op_qconv = {.name = "QConv", .domain = "edgerun", .min_opset = 1,
                               .shape = shape_qc, .prepare = prepare_qc, .run = run_qc,
                               .macs = macs_qc};
