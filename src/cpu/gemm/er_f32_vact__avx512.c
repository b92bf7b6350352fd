/* er_f32_vact__avx512.c - fused activations on zmm vectors (see vact.h for
 * the formulas and error bounds). The tail (n % 16) goes through a lane
 * mask, so nothing past y[n-1] is read or written. */
#include "cpu/gemm/vact.h"

#if ER_ARCH_X86_64
#include <immintrin.h>

/* exp(x) for x <= 0 (all callers pass -|.|): n = round(x/ln2), r = x - n*ln2
 * in two steps, e^r = 1 + r + r^2 q(r) with q a cubic fitted for minimal
 * relative error on |r| <= ln2/2 (max 2e-7 after float evaluation), and
 * 2^n applied by vscalefps (underflows cleanly to 0). */
static inline __attribute__((always_inline)) __m512 exp_ps(__m512 x) {
    /* max(c, x), not max(x, c): vmaxps returns its second operand when one
     * is NaN, and NaN must come through (Sigmoid(NaN) is NaN) */
    x = _mm512_max_ps(_mm512_set1_ps(-87.3f), x);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(0.008312501f), r, _mm512_set1_ps(0.041890115f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.16667114f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.49999231f));
    const __m512 p = _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

static inline __attribute__((always_inline)) __m512 abs_ps(__m512 x) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

static inline __attribute__((always_inline)) __m512 sigmoid_ps(__m512 x) {
    __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), abs_ps(x)));
    __m512 den = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    /* 1/den: 14-bit estimate + one Newton step (~2 ulp), far cheaper than a divide */
    __m512 r = _mm512_rcp14_ps(den);
    r = _mm512_fmadd_ps(_mm512_fnmadd_ps(den, r, _mm512_set1_ps(1.0f)), r, r);
    return _mm512_mask_mul_ps(r, neg, r, e);
}

/* silu(x) = x / (1 + e^-x) with -x clamped to <= 80 (1 + e stays finite
 * and its reciprocal a normal float; below x = -80 the result is under
 * 2e-33 in magnitude). Three vector ops fewer than x * sigmoid(x): no
 * |x|, compare or blend (EfficientNet spends ~15% of its time here). */
static inline __attribute__((always_inline)) __m512 silu_ps(__m512 x) {
    __m512 e = exp_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(80.0f)));
    __m512 den = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
    __m512 r = _mm512_rcp14_ps(den);
    r = _mm512_fmadd_ps(_mm512_fnmadd_ps(den, r, _mm512_set1_ps(1.0f)), r, r);
    return _mm512_mul_ps(x, r);
}

static inline __attribute__((always_inline)) __m512 tanh_ps(__m512 x) {
    __m512 t = exp_ps(_mm512_mul_ps(abs_ps(x), _mm512_set1_ps(-2.0f)));
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 den = _mm512_add_ps(one, t), q = _mm512_rcp14_ps(den);
    q = _mm512_fmadd_ps(_mm512_fnmadd_ps(den, q, one), q, q);
    __m512 r = _mm512_mul_ps(_mm512_sub_ps(one, t), q);
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

static inline __attribute__((always_inline)) __m512 act_ps(const er_act *a, __m512 v) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (a->kind) {
    case ER_ACT_NONE: return v;
    case ER_ACT_RELU: return _mm512_max_ps(v, zero);
    case ER_ACT_CLIP:
        return _mm512_min_ps(_mm512_set1_ps(a->max), _mm512_max_ps(_mm512_set1_ps(a->min), v));
    case ER_ACT_LEAKY_RELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(a->alpha));
    }
    case ER_ACT_SIGMOID: return sigmoid_ps(v);
    case ER_ACT_HARD_SIGMOID: {
        __m512 h = _mm512_fmadd_ps(v, _mm512_set1_ps(a->alpha), _mm512_set1_ps(a->beta));
        return _mm512_min_ps(one, _mm512_max_ps(zero, h)); /* NaN passes (second operand) */
    }
    case ER_ACT_HARD_SWISH: {
        __m512 h = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
        return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(h, zero), one));
    }
    case ER_ACT_SILU: return silu_ps(v);
    case ER_ACT_TANH: return tanh_ps(v);
    }
    return v;
}

/* One loop per kind keeps the switch out of the loop body. */
#define VACT_LOOP(KIND)                                                                        \
    case KIND: {                                                                               \
        er_act k_ = *a;                                                                        \
        k_.kind = KIND;                                                                        \
        size_t i = 0;                                                                          \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, act_ps(&k_, _mm512_loadu_ps(y + i))); \
        if (i < n) {                                                                           \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                                   \
            _mm512_mask_storeu_ps(y + i, m, act_ps(&k_, _mm512_maskz_loadu_ps(m, y + i)));     \
        }                                                                                      \
        break;                                                                                 \
    }

void er_f32_vact__avx512(const er_act *a, float *y, size_t n) {
    switch (a->kind) {
    case ER_ACT_NONE: break;
        VACT_LOOP(ER_ACT_RELU)
        VACT_LOOP(ER_ACT_CLIP)
        VACT_LOOP(ER_ACT_LEAKY_RELU)
        VACT_LOOP(ER_ACT_SIGMOID)
        VACT_LOOP(ER_ACT_HARD_SIGMOID)
        VACT_LOOP(ER_ACT_HARD_SWISH)
        VACT_LOOP(ER_ACT_SILU)
        VACT_LOOP(ER_ACT_TANH)
    }
}
void er_f32_vexp__avx512(float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp_ps(_mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, m, exp_ps(_mm512_maskz_loadu_ps(m, y + i)));
    }
}
#endif
