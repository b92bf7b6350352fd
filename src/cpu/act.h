/* act.h - fused activations: what a Conv/Gemm epilogue applies after
 * bias (and residual) so the output never makes a separate pass.
 *
 * y = act(x) per element, in float32:
 *   NONE        x
 *   RELU        max(x, 0)
 *   CLIP        min(max(x, min), max)          (Relu6: min 0, max 6)
 *   LEAKY_RELU  x >= 0 ? x : alpha * x
 *   SIGMOID     1 / (1 + exp(-x))
 *   HARD_SIGMOID max(0, min(1, alpha * x + beta))
 *   HARD_SWISH  x * max(0, min(1, x / 6 + 0.5))  (ONNX HardSwish)
 *   SILU        x * sigmoid(x)                   (Swish, from Mul(x, Sigmoid(x)))
 *   TANH        tanh(x)
 * Vectorized versions may use polynomial exp/tanh; their documented max
 * error against this reference is checked by the kernel tests. */
#ifndef ER_CPU_ACT_H
#define ER_CPU_ACT_H

#include <stddef.h>

typedef enum er_act_kind {
    ER_ACT_NONE = 0,
    ER_ACT_RELU,
    ER_ACT_CLIP,
    ER_ACT_LEAKY_RELU,
    ER_ACT_SIGMOID,
    ER_ACT_HARD_SIGMOID,
    ER_ACT_HARD_SWISH,
    ER_ACT_SILU,
    ER_ACT_TANH,
} er_act_kind;

typedef struct er_act {
    er_act_kind kind;
    float alpha, beta; /* LEAKY_RELU alpha; HARD_SIGMOID alpha, beta */
    float min, max;    /* CLIP bounds */
} er_act;

/* Reference: applies act to n floats in place. */
void er_act_apply_ref(const er_act *a, float *y, size_t n);

/* The name used in graph attributes ("relu", "clip", ...) and back. */
const char *er_act_name(er_act_kind k);
int er_act_from_name(const char *name, er_act_kind *out); /* 1 on success */

/* True when the activation is a pure clamp (NONE, RELU, CLIP): kernels fold
 * it into their min/max store. */
static inline int er_act_is_clamp(const er_act *a) {
    return a->kind == ER_ACT_NONE || a->kind == ER_ACT_RELU || a->kind == ER_ACT_CLIP;
}

#endif
