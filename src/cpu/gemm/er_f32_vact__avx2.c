/* er_f32_vact__avx2.c - fused activations on ymm vectors (AVX2+FMA) (see vact.h for
 * the formulas and error bounds). The tail (n % 8) is copied through a
 * small buffer, so nothing past y[n-1] is read or written. */
#include <string.h>

#include "cpu/gemm/vact.h"

#if ER_ARCH_X86_64
#include <immintrin.h>

/* exp(x) for x <= 0 (all callers pass -|.|), x clamped at -87.3 so 2^n
 * stays a normal float: n = round(x/ln2), r = x - n*ln2 in two steps,
 * e^r = 1 + r + r^2 q(r) with q a cubic fitted for minimal relative error on
 * |r| <= ln2/2 (max 2e-7 after float evaluation), 2^n built in the exponent
 * bits. */
static inline __attribute__((always_inline)) __m256 exp_ps(__m256 x) {
    /* max(c, x): vmaxps returns its second operand for NaN; NaN must pass */
    x = _mm256_max_ps(_mm256_set1_ps(-87.3f), x);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(0.008312501f), r, _mm256_set1_ps(0.041890115f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.16667114f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.49999231f));
    const __m256 p = _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __attribute__((always_inline)) __m256 abs_ps(__m256 x) {
    return _mm256_castsi256_ps(
        _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff)));
}

static inline __attribute__((always_inline)) __m256 sigmoid_ps(__m256 x) {
    __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), abs_ps(x)));
    __m256 den = _mm256_add_ps(e, _mm256_set1_ps(1.0f));
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    /* 1/den: 12-bit estimate + one Newton step (~2-3 ulp), cheaper than a divide */
    __m256 r = _mm256_rcp_ps(den);
    r = _mm256_fmadd_ps(_mm256_fnmadd_ps(den, r, _mm256_set1_ps(1.0f)), r, r);
    return _mm256_blendv_ps(r, _mm256_mul_ps(r, e), neg);
}

/* silu(x) = x / (1 + e^-x), -x clamped to <= 80 (as the AVX-512 level). */
static inline __attribute__((always_inline)) __m256 silu_ps(__m256 x) {
    __m256 e = exp_ps(_mm256_min_ps(_mm256_sub_ps(_mm256_setzero_ps(), x), _mm256_set1_ps(80.0f)));
    __m256 den = _mm256_add_ps(e, _mm256_set1_ps(1.0f));
    __m256 r = _mm256_rcp_ps(den);
    r = _mm256_fmadd_ps(_mm256_fnmadd_ps(den, r, _mm256_set1_ps(1.0f)), r, r);
    return _mm256_mul_ps(x, r);
}

static inline __attribute__((always_inline)) __m256 tanh_ps(__m256 x) {
    __m256 t = exp_ps(_mm256_mul_ps(abs_ps(x), _mm256_set1_ps(-2.0f)));
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 den = _mm256_add_ps(one, t), q = _mm256_rcp_ps(den);
    q = _mm256_fmadd_ps(_mm256_fnmadd_ps(den, q, one), q, q);
    __m256 r = _mm256_mul_ps(_mm256_sub_ps(one, t), q);
    __m256i sign = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32((int)0x80000000u));
    return _mm256_castsi256_ps(_mm256_or_si256(_mm256_castps_si256(r), sign));
}

static inline __attribute__((always_inline)) __m256 act_ps(const er_act *a, __m256 v) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (a->kind) {
    case ER_ACT_NONE: return v;
    case ER_ACT_RELU: return _mm256_max_ps(v, zero);
    case ER_ACT_CLIP:
        return _mm256_min_ps(_mm256_set1_ps(a->max), _mm256_max_ps(_mm256_set1_ps(a->min), v));
    case ER_ACT_LEAKY_RELU: {
        __m256 neg = _mm256_cmp_ps(v, zero, _CMP_LT_OQ);
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(a->alpha)), neg);
    }
    case ER_ACT_SIGMOID: return sigmoid_ps(v);
    case ER_ACT_HARD_SIGMOID: {
        __m256 h = _mm256_fmadd_ps(v, _mm256_set1_ps(a->alpha), _mm256_set1_ps(a->beta));
        return _mm256_min_ps(one, _mm256_max_ps(zero, h)); /* NaN passes (second operand) */
    }
    case ER_ACT_HARD_SWISH: {
        __m256 h = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
        return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(h, zero), one));
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
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, act_ps(&k_, _mm256_loadu_ps(y + i))); \
        if (i < n) {                                                                           \
            float t_[8] = {0};                                                                 \
            for (size_t j = i; j < n; j++) t_[j - i] = y[j];                                   \
            _mm256_storeu_ps(t_, act_ps(&k_, _mm256_loadu_ps(t_)));                            \
            for (size_t j = i; j < n; j++) y[j] = t_[j - i];                                   \
        }                                                                                      \
        break;                                                                                 \
    }

void er_f32_vact__avx2(const er_act *a, float *y, size_t n) {
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
void er_f32_vexp__avx2(float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp_ps(_mm256_loadu_ps(y + i)));
    if (i < n) { /* the tail through a small buffer, as the activations */
        float b[8] = {0};
        memcpy(b, y + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(b, exp_ps(_mm256_loadu_ps(b)));
        memcpy(y + i, b, (n - i) * sizeof(float));
    }
}
#endif
