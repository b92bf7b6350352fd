/* fold_qdq.h - graph rewrite: ONNX QDQ patterns -> edgerun int8 ops. */
#ifndef ER_PASSES_FOLD_QDQ_H
#define ER_PASSES_FOLD_QDQ_H

#include "ir/graph.h"

/* Replaces every recognised QDQ pattern of g with one int8 op of the
 * "edgerun" domain (QConv, QGemm, QMatMul, QAdd, QMul, QAveragePool, QMaxPool,
 * QGlobalAveragePool, QConcat, QResize, QSigmoid, QTanh, QHardSwish,
 * QLeakyRelu, QSoftmax): a float op whose data inputs all come from
 * DequantizeLinear nodes and whose only consumer is a QuantizeLinear
 * (optionally through a Relu/Clip, fused as a clamp, for Conv, Gemm, MatMul
 * [+ bias Add], Add and Mul). Unmatched parts of the graph are left as they
 * are; DequantizeLinear nodes that lose all consumers are removed; the node
 * list stays topologically sorted. See fold_qdq.c for the exact patterns.
 *
 * The result computes the same function up to one quantization step per
 * folded op (integer arithmetic instead of float, see docs/int8.md).
 * *n_folded (may be NULL) receives the number of patterns replaced. Fails
 * only on allocation failure (ER_ERR_NOMEM); g then still computes what it
 * did before (replacements are committed only at the end, without
 * allocating). Not thread-safe: g must not be in use by a session. */
er_status er_pass_fold_qdq_count(er_graph *g, int *n_folded);
er_status er_pass_fold_qdq(er_graph *g);

#endif
