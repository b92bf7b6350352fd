/* conv_block.h - a fused inverted-residual block on NHWC activations:
 *
 *   x [N,H,W,C] -> expand 1x1 (C -> E) + act_e            (optional)
 *               -> depthwise KhxKw, stride s (E) + act_d   (optional, see forms)
 *                  [-> mean: per-image channel means of the depthwise output]
 *               -> [* scale: per-image channel scale s[n][e]]
 *               -> project 1x1 (E -> M) + z + act_p       (optional)  -> y
 *
 * (MobileNetV2/V3, EfficientNet, MnasNet.) Run unfused, the expanded tensor
 * ([N,H,W,E], 4.8 MB in MobileNetV2's second block) goes to memory, the
 * depthwise convolution reads it back and writes its own output, which the
 * projection reads again. Here the block runs one depthwise output row at a
 * time: the KH expanded input rows that row needs sit in a per-thread ring
 * of KH rows (row ih in slot ih % KH, so a row computed for one output row
 * is reused by the next ones and each is expanded once per thread), the
 * depthwise row goes to a one-row buffer, and the projection writes the
 * final output row. The ring and the row buffer (KH*W*E + OW*E floats per
 * thread) stay in L2, so the big intermediates never reach memory.
 *
 * Squeeze-and-excitation blocks (EfficientNet, MobileNetV3) scale the
 * depthwise output by a per-channel factor computed from its global mean,
 * so the block cannot stream from expand to project there. Two forms serve
 * them: [expand ->] depthwise with `mean` (the global average pool is
 * summed from each output row while it is in L1), and project with `scale`
 * (x * s multiplied row by row into the row buffer instead of a separate
 * Mul pass over the whole tensor).
 *
 * Forms: the depthwise stage is required except for the scaled-project form
 * (project + scale, no expand); mean needs the depthwise stage, scale the
 * project stage.
 *
 * The stages reuse the unfused kernels (cpu/conv/conv_internal.h): the
 * weights are packed by er_conv_plan_create for each stage, the 1x1 stages
 * call the igemm microkernels on pixel tiles, the depthwise stage the
 * dwconv row kernels; clamps fold into their stores and other activations
 * run vectorized (vact.h) on each tile while it is in L1. Every element of
 * y is thus computed by the same arithmetic as the unfused chain at the same
 * ISA level (same kernels, same summation order): y matches it bit for bit
 * (a scaled input is rounded to float as the Mul does). The means sum each
 * output row's channels, then the rows in order: they match the pooling op
 * within reassociation and do not depend on the thread count or on which
 * thread ran a row. Work: output rows (n, oh) split statically over
 * the threads; a thread starting mid-image re-expands the KH - s halo rows
 * above its first row, so y does not depend on the thread count.
 *
 * Lifecycle as conv.h: plan once (checks, packs), run many times with the
 * scratch it asks for and no allocation. */
#ifndef ER_CPU_CONV_CONV_BLOCK_H
#define ER_CPU_CONV_CONV_BLOCK_H

#include "cpu/conv/conv.h"

typedef struct er_conv_block_desc {
    int has_expand, has_dw, has_project;
    int has_scale; /* project input scaled by s [N, E] (needs the project stage) */
    int has_mean;  /* channel means of the depthwise output -> mean [N, E] */
    /* expand: 1x1, stride 1, no padding, group 1, no residual; x -> [N,H,W,E] */
    er_conv_desc expand;
    /* depthwise: group == C == M == E, dilation 1, no residual, KH <= 16 */
    er_conv_desc dw;
    /* project: 1x1, stride 1, no padding, group 1, input [N,OH,OW,E]; may
     * take the residual z ([N,OH,OW,M]) */
    er_conv_desc project;
} er_conv_block_desc;

typedef struct er_conv_block_plan er_conv_block_plan;

/* Plans the stages (w[i]/b[i]: expand, depthwise, project weights in ONNX
 * layout and biases or NULL; entries of absent stages are ignored). Fails
 * with ER_ERR_INVALID_ARG naming the rule a descriptor breaks (a form not
 * listed above, shapes that do not chain, a stage of the wrong kind), and
 * as er_conv_plan_create otherwise. */
er_status er_conv_block_plan_create(const er_conv_block_desc *d, const float *const w[3],
                                    const float *const b[3], er_isa isa, int threads,
                                    er_conv_block_plan **out);
void er_conv_block_plan_free(er_conv_block_plan *p);
/* Scratch bytes er_conv_block_run needs (64-byte aligned memory). */
size_t er_conv_block_scratch_bytes(const er_conv_block_plan *p);
/* e.g. "block e96 dw3x3s2 p24 avx512" (for profiles). */
const char *er_conv_block_algo(const er_conv_block_plan *p);

typedef struct er_conv_block_io {
    const float *x;     /* the first stage's input */
    const float *z;     /* residual [N,OH,OW,M] or NULL */
    const float *scale; /* [N, E] when has_scale */
    float *y;           /* [N,OH,OW,M] (M = E without a project stage) */
    float *mean;        /* [N, E] when has_mean, else ignored */
} er_conv_block_io;

/* y and mean may not alias x, z or scale. pool: NULL or at most the plan's
 * threads. */
void er_conv_block_run(const er_conv_block_plan *p, const er_conv_block_io *io, void *scratch,
                       er_threadpool *pool);

#endif
