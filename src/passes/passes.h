/* passes.h - graph optimization passes.
 *
 * Passes run on a session's private graph after shape inference and constant
 * folding (runtime/session.c: build_graph), so every value has its concrete
 * dtype and shape and every constant subgraph is already a constant. Each
 * pass is one file, rewrites the graph in place, keeps it topologically
 * ordered, and must leave it computing the same function (up to float
 * reassociation). A pass marks a node dead by setting op_type = NULL; the
 * pipeline compacts between passes. Each can be switched off by name with
 * EDGERUN_DISABLE_PASSES=name,name (debugging). */
#ifndef ER_PASSES_PASSES_H
#define ER_PASSES_PASSES_H

#include "edgerun.h"
#include "ir/graph.h"

/* Passes that run on the session's clone before shape inference and
 * constant folding (QDQ folding, which needs the DequantizeLinear nodes of
 * constant weights intact). */
er_status er_optimize_pre_fold(er_graph *g, const er_options *opts);
/* Runs the pipeline below in order. */
er_status er_optimize(er_graph *g, const er_options *opts);

/* Identity, inference Dropout and same-type Cast become no-ops: their
 * consumers read the input directly. */
er_status er_pass_eliminate_identity(er_graph *g);
/* Conv -> BatchNormalization with constant parameters: scale and shift
 * folded into the convolution's weights and bias. */
er_status er_pass_fuse_batchnorm(er_graph *g);
/* 2-D float convolutions and their neighbours to NHWC (layout_nhwc.c). */
er_status er_pass_layout_nhwc(er_graph *g);
/* Reinterprets that keep dtype and dims are renames: dropped. */
er_status er_pass_drop_noop_views(er_graph *g);
/* Zero Pad in front of ConvNhwc into the conv's pads (fuse_pad.c). */
er_status er_pass_fuse_pad(er_graph *g);
/* int8 activations between edgerun int8 ops become uint8 with zero points
 * moved by 128: the same function, without flipping copies (qretype_u8.c). */
er_status er_pass_qretype_u8(er_graph *g);
/* A residual QAdd joins the int8 convolution producing one of its operands
 * (fuse_qresidual.c). */
er_status er_pass_fuse_qresidual(er_graph *g);
/* Gemm/MatMul with constant weights to edgerun::Dense (fuse_gemm.c). */
er_status er_pass_fuse_gemm(er_graph *g);
/* Residual Add and activations into ConvNhwc epilogues (fuse_activation.c). */
er_status er_pass_fuse_activation(er_graph *g);
/* Expand 1x1 -> depthwise -> project 1x1 chains (and the two-stage forms)
 * into edgerun::ConvBlockNhwc (fuse_blocks.c). */
er_status er_pass_fuse_blocks(er_graph *g);
/* Reshape/Flatten/Squeeze/Unsqueeze become free Reinterprets; Transpose
 * pairs compose (cancel_reshapes.c). */
er_status er_pass_cancel_reshapes(er_graph *g);
/* Removes nodes none of whose outputs is read or is a graph output. */
er_status er_pass_dead_nodes(er_graph *g);

/* Helpers shared by passes. */
/* The node producing value v, or NULL. */
er_node *er_pass_producer(er_graph *g, int v);
/* The only node reading v, or NULL when v has several readers or is a
 * graph output. */
er_node *er_pass_sole_consumer(er_graph *g, int v);
/* True when value v is a constant (initializer or folded). */
static inline bool er_pass_is_const(const er_graph *g, int v) {
    return v >= 0 && g->values[v].data != NULL;
}

#endif
