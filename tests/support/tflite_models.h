/* tflite_models.h - TFLite test models (built with tflw) shared by the unit
 * and anomaly tests and the fuzz seed generator, and a helper that runs
 * model bytes through edgerun. */
#ifndef ER_TEST_TFLITE_MODELS_H
#define ER_TEST_TFLITE_MODELS_H

#include <stddef.h>

#include "edgerun.h"
#include "tflw.h"

/* A float CNN touching most importer paths: CONV_2D (SAME, stride 2, RELU6),
 * DEPTHWISE_CONV_2D (multiplier 2), MAX_POOL_2D, PAD, RESIZE_BILINEAR,
 * CONCATENATION, MEAN, RESHAPE, FULLY_CONNECTED, SOFTMAX. Input [1,8,8,3]. */
void tflm_small_cnn(tflw *w);
/* The same with buffers after the flatbuffer (Buffer.offset/size). */
void tflm_small_cnn_external(tflw *w);
/* The full-integer (int8) counterpart: QUANTIZE -> CONV_2D (per-channel
 * int8 weights, int32 bias) -> MAX_POOL_2D -> RESHAPE -> FULLY_CONNECTED ->
 * DEQUANTIZE. Input float [1,6,6,2]. */
void tflm_int8_cnn(tflw *w);
/* Sparse (CSR) FC weights -> DENSIFY -> FULLY_CONNECTED. Input [2,8]. */
void tflm_sparse_fc(tflw *w);
/* float16 weights -> DEQUANTIZE -> CONV_2D. Input [1,4,4,2]. */
void tflm_fp16_conv(tflw *w);

/* Loads the bytes, creates a session, runs with inputs in[i] (raw data of
 * the model's declared dtype and shape) and returns output k converted to
 * float in a malloc'd array (*out, *out_n elements); the caller frees it.
 * Returns the first failing status (er_last_error() says why). */
er_status tflm_run(const void *model, size_t size, int n_in, const void *const *in, int k,
                   float **out, size_t *out_n);

#endif
