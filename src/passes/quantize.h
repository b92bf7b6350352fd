/* quantize.h - post-training quantization of a float graph into a new
 * graph: standard ONNX QDQ (full int8), dynamic quantization, or fp16
 * weight storage.
 *
 * Full int8 (ER_QMODE_INT8) writes the QDQ form ONNX Runtime's quantizer
 * writes: every quantized tensor is QuantizeLinear -> DequantizeLinear right
 * after its producer, weights are int8 constants behind a per-channel
 * DequantizeLinear, biases int32 constants (scale x_scale * w_scale[m], the
 * float32 product, zero point 0). ONNX Runtime runs the result as it is;
 * edgerun's session folds it into its int8 ops (passes/fold_qdq.c), so the
 * same file is the quantized model for both.
 *
 * What is quantized is decided per *unit*: a compute node plus what the
 * int8 ops fuse into it (a MatMul's bias Add; a Relu/Clip after Conv, Gemm,
 * MatMul, Add, Mul). A quantized unit gets Q/DQ on its activation inputs
 * and its output; a unit kept in float (mixed precision) simply gets none,
 * and where it meets quantized units it reads a DequantizeLinear output or
 * its output is quantized - the float<->int8 boundaries are just where Q/DQ
 * pairs stand. Data-movement ops (Reshape, Flatten, Transpose, Squeeze,
 * Unsqueeze) and MaxPool follow their input: quantized with the input's
 * scale and zero point when the input is quantized (exact: they only move or
 * select values), so they run on int8 data.
 *
 * Scheme (docs/int8.md): weights int8, symmetric (zero point 0, values in
 * [-127, 127]), per output channel (per tensor before opset 13, which lacks
 * per-axis DequantizeLinear); activations per tensor, asymmetric, uint8 by
 * default (or int8); biases int32, optionally bias-corrected (each bias
 * absorbs the mean error its layer's rounded weights make on the
 * calibration data). */
#ifndef ER_PASSES_QUANTIZE_H
#define ER_PASSES_QUANTIZE_H

#include <stdbool.h>

#include "edgerun.h"
#include "ir/graph.h"
#include "passes/calibrate.h"

typedef enum er_qmode {
    ER_QMODE_INT8 = 0,    /* QDQ weights and activations */
    ER_QMODE_DYNAMIC = 1, /* int8 weights; activations by DynamicQuantizeLinear at run time */
    ER_QMODE_FP16 = 2     /* float16 weight storage, Cast to float32 at load */
} er_qmode;

/* A quantizable unit of the source graph (indices into it). */
typedef struct er_qunit {
    int node;      /* the compute node */
    int bias_node; /* MatMul's bias Add, or -1 */
    int act_node;  /* fused Relu/Clip, or -1 */
    int output;    /* the value the unit produces (after bias and activation) */
    int weight;    /* input slot of a constant weight (Conv W, Gemm/MatMul B), or -1 */
    int w_axis;    /* its output-channel axis */
    int bias;      /* input slot of the bias in `node` (Conv B, Gemm C), or -1 */
} er_qunit;

/* What the quantizer knows about a float model: dtypes from a planning
 * session (optimize = 0), which values are constant (initializers, or
 * computed from constants only: their data comes from the session's
 * constant folding), and the units. Reads the model; keep the model alive
 * while the analysis is used. */
typedef struct er_qanalysis {
    const er_model *model;
    const er_graph *g;
    struct er_session *s;
    er_dtype *dtype;      /* per value */
    bool *is_const;       /* per value */
    int *n_readers;       /* per value: node inputs reading it, +1 for a graph output */
    er_qunit *units;
    int n_units;
    int *unit_of;         /* per node: the unit whose main node it is, or -1 */
} er_qanalysis;

er_status er_quant_analyze(const er_model *m, er_qanalysis **out);
void er_quant_analysis_free(er_qanalysis *a);
/* The constant data of value v (initializer or folded), or NULL. */
const void *er_quant_const_data(const er_qanalysis *a, int v);
/* "name (Conv+Relu)" for reports; static per-thread buffer. */
const char *er_quant_unit_label(const er_qanalysis *a, int u);

typedef struct er_quant_config {
    er_qmode mode;
    er_dtype act_dtype;     /* ER_U8 (default when ER_UNDEF) or ER_I8 */
    bool int8_io;           /* int8 mode: graph inputs/outputs become act_dtype, their
                               scale and zero point also in er_value.quant */
    const float *lo, *hi;   /* int8 mode: per value, its calibrated range (NaN: none) */
    const bool *unit_float; /* per unit: true = keep in float (NULL: quantize all) */
    /* int8 mode: empirical bias correction of Conv/Gemm/MatMul, from the
     * channel means calibration recorded (see quantize.c bias_shift) */
    bool bias_correction;
    const er_calib *calib;
} er_quant_config;

/* Builds the quantized graph (independent of the source: constants are
 * copied). Fails with ER_ERR_INVALID_ARG naming the value when a tensor to
 * quantize has no calibrated range, ER_ERR_UNSUPPORTED for opset < 10
 * (int8) / < 11 (dynamic), ER_ERR_NOMEM. n_quantized (may be NULL)
 * receives the number of units quantized (fp16: of weights converted). */
er_status er_quantize_graph(const er_qanalysis *a, const er_quant_config *cfg, er_graph **out,
                            int *n_quantized);

/* The native form of a QDQ graph: its QDQ patterns folded into edgerun's
 * int8 ops (er_optimize_pre_fold, as a session does first) and only the
 * values the folded nodes use kept. What `edgerun quantize -o X.erm` stores:
 * fewer nodes and values than the QDQ form (a smaller file) and nothing to
 * fold at load; only edgerun runs it (its ops are in domain "edgerun").
 * *out is independent of g. */
er_status er_quant_fold_native(const er_graph *g, er_graph **out);

/* Wraps g in a model named `name` (for messages); takes g in all cases. */
er_status er_quant_model(er_graph *g, const char *name, er_model **out);

/* Scale and zero point of an activation range for dtype ER_U8 / ER_I8:
 * the range is widened to contain 0; an empty range gets scale 1. */
void er_quant_act_params(float lo, float hi, er_dtype dt, float *scale, int32_t *zp);

#endif
