/* vact.h - vectorized fused activations (the epilogue after a GEMM or
 * convolution tile, applied while the tile is still in L1).
 *
 * er_f32_vact_<isa>(a, y, n) applies er_act `a` to n floats in place, with
 * the semantics of er_act_apply_ref (cpu/act.h). NONE, RELU, CLIP and
 * LEAKY_RELU are exact. HARD_SIGMOID and HARD_SWISH compute alpha*x+beta
 * (x*(1/6)+0.5) in one FMA where the reference rounds twice: the error is at
 * most 2 float epsilons of |alpha*x| + |beta| (times |x| for hard_swish).
 * SIGMOID, SILU and TANH use exp(x) = 2^n * p(r), p of degree 5 fitted on
 * |r| <= ln2/2 (relative error 2e-7), and a reciprocal estimate refined by
 * one Newton step instead of a divide:
 *   sigmoid(x) = 1/(1+e) or e/(1+e) with e = exp(-|x|)   (no overflow)
 *   silu(x)    = x / (1+e) with e = exp(min(-x, 80))    (3 ops fewer than
 *                x * sigmoid(x); |result| < 2e-33 below x = -80)
 *   tanh(x)    = sign(x) * (1-t)/(1+t) with t = exp(-2|x|)
 * Bounds asserted by tests/kernels/test_vact.c over 1M points in [-30, 30]
 * plus edge values (it prints the measured maxima): sigmoid and tanh
 * <= 2e-7 absolute, silu <= 4e-7 * max(1, |x|).
 * NaN inputs give NaN for SIGMOID, SILU, TANH, HARD_SIGMOID, HARD_SWISH and
 * LEAKY_RELU (the clamps are ordered so vmaxps/vminps pass NaN through); the
 * standalone float32 activation ops run these kernels (ops/activation.c).
 * The scalar level uses libm's expf/tanhf (portable C, any architecture). */
#ifndef ER_CPU_GEMM_VACT_H
#define ER_CPU_GEMM_VACT_H

#include <math.h>
#include <stddef.h>

#include "core/cpu_features.h"
#include "cpu/act.h"
#include "cpu/gemm/gemm.h"

typedef void (*er_f32_vact_fn)(const er_act *a, float *y, size_t n);

void er_f32_vact__scalar(const er_act *a, float *y, size_t n);
#if ER_ARCH_X86_64
void er_f32_vact__avx2(const er_act *a, float *y, size_t n);
void er_f32_vact__avx512(const er_act *a, float *y, size_t n);
#endif

/* The variant for an ISA level (the best this build has at or below it). */
er_f32_vact_fn er_f32_vact_pick(er_isa isa);

/* How a GEMM-based kernel applies act: clamps (none/relu/clip) become the
 * micro-kernel's min/max at the store (*mm) and NULL is returned; any other
 * activation leaves *mm unbounded and returns the vact kernel to run on the
 * stored rows. */
static inline er_f32_vact_fn er_f32_epilogue(const er_act *act, er_isa isa,
                                             er_f32_minmax_params *mm) {
    mm->min = -INFINITY;
    mm->max = INFINITY;
    if (!er_act_is_clamp(act)) return er_f32_vact_pick(isa);
    if (act->kind == ER_ACT_RELU) mm->min = 0.0f;
    if (act->kind == ER_ACT_CLIP) {
        mm->min = act->min;
        mm->max = act->max;
    }
    return NULL;
}

/* y[i] = exp(y[i]) for y[i] <= 0 (Softmax after the row maximum is
 * subtracted): the same exp as above, relative error 2e-7; inputs below
 * -87.3 give exp(-87.3) ~ 1.2e-38 (an absolute error below 1.2e-38). */
typedef void (*er_f32_vexp_fn)(float *y, size_t n);
void er_f32_vexp__scalar(float *y, size_t n);
#if ER_ARCH_X86_64
void er_f32_vexp__avx2(float *y, size_t n);
void er_f32_vexp__avx512(float *y, size_t n);
#endif
er_f32_vexp_fn er_f32_vexp_pick(er_isa isa);

#endif
