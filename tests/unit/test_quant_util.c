/* test_quant_util.c - the fixed-point layer of the int8 ops (quant_util.h)
 * against independent formulations: multipliers over many scales, both
 * rounding steps at their ties, saturation, negative values, the float
 * epilogue's half-to-even, wrap-around sums, the pre-shifted single
 * rounding and the lookup tables. Random cases use a fixed, printed seed. */
#include <math.h>
#include <stdint.h>

#include "ops/quant_util.h"
#include "support/int8_ref.h"
#include "test.h"

static uint64_t rng_state;
static uint64_t rnd64(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int32_t rnd32(void) { return (int32_t)(uint32_t)rnd64(); }
static double rnd_unit(void) { return (double)(rnd64() >> 11) / 9007199254740992.0; }

/* the independent definitions live in support/int8_ref.h */
static int32_t ref_mbqm_e(int32_t x, er_qmul m) { return ref_mbqm(x, (ref_qmul){m.mult, m.shift}); }

TEST(quant_multiplier_over_many_scales) {
    rng_state = 0x1234567u;
    printf("  seed 0x1234567\n");
    for (int i = 0; i < 200000; i++) {
        double real = ldexp(0.5 + 0.5 * rnd_unit(), (int)(rnd64() % 80) - 50);
        er_qmul m = er_quantize_multiplier(real);
        ref_qmul r = ref_qm(real);
        CHECK_MSG(m.mult == r.mult && m.shift == r.shift, "real %.17g: {%d, %d} vs {%d, %d}",
                  real, m.mult, m.shift, r.mult, r.shift);
        if (real < ldexp(1.0, -32)) {
            CHECK_MSG(m.mult == 0 && m.shift == 0, "real %g: {%d, %d}, want flushed", real,
                      m.mult, m.shift);
            continue;
        }
        if (real >= ldexp(1.0, 30)) {
            CHECK_MSG(m.mult == INT32_MAX && m.shift == 30, "real %g: {%d, %d}", real, m.mult,
                      m.shift);
            continue;
        }
        CHECK_MSG(m.mult >= (1 << 30) && m.shift >= -31 && m.shift <= 30,
                  "real %g: mult %d shift %d out of range", real, m.mult, m.shift);
        double back = ldexp((double)m.mult, m.shift - 31);
        /* mult is q * 2^31 rounded: at most half a unit of 2^-31 relative to q >= 0.5 */
        CHECK_MSG(fabs(back - real) <= real * ldexp(1.0, -31), "real %.17g -> {%d, %d} = %.17g",
                  real, m.mult, m.shift, back);
    }
}

TEST(quant_multiplier_edges) {
    er_qmul m = er_quantize_multiplier(1.0);
    CHECK(m.mult == (1 << 30) && m.shift == 1);
    m = er_quantize_multiplier(0.5);
    CHECK(m.mult == (1 << 30) && m.shift == 0);
    m = er_quantize_multiplier(0.75);
    CHECK(m.mult == 3 << 29 && m.shift == 0);
    /* q * 2^31 rounds up to 2^31: renormalized to 2^30 with the next exponent */
    m = er_quantize_multiplier(1.0 - ldexp(1.0, -40));
    CHECK_MSG(m.mult == (1 << 30) && m.shift == 1, "{%d, %d}", m.mult, m.shift);
    /* the rounding of q * 2^31 is half away from zero: q = 0.5 + 2^-32 */
    m = er_quantize_multiplier(0.5 + ldexp(1.0, -32));
    CHECK_MSG(m.mult == (1 << 30) + 1 && m.shift == 0, "{%d, %d}", m.mult, m.shift);
    double bad[] = {0.0, -1.0, -0.0, NAN, INFINITY, ldexp(1.0, -33)};
    for (int i = 0; i < 6; i++) {
        m = er_quantize_multiplier(bad[i]);
        CHECK_MSG(m.mult == 0 && m.shift == 0, "real %g: {%d, %d}", bad[i], m.mult, m.shift);
    }
    m = er_quantize_multiplier(1e12);
    CHECK(m.mult == INT32_MAX && m.shift == 30);
}

TEST(quant_srdhm_rounding_and_saturation) {
    CHECK_EQ_INT(er_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    CHECK_EQ_INT(er_srdhm(1 << 30, 1), 1);      /* +0.5 -> 1 (ties up) */
    CHECK_EQ_INT(er_srdhm(-(1 << 30), 1), 0);   /* -0.5 -> 0 (ties up) */
    CHECK_EQ_INT(er_srdhm(3 << 29, 2), 2);      /* 1.5 -> 2 */
    CHECK_EQ_INT(er_srdhm(-(3 << 29), 2), -1);  /* -1.5 -> -1 */
    CHECK_EQ_INT(er_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
    CHECK_EQ_INT(er_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);
    CHECK_EQ_INT(er_srdhm(0, INT32_MIN), 0);
    rng_state = 0xfeedu;
    for (int i = 0; i < 1000000; i++) {
        int32_t a = rnd32(), b = rnd32();
        if (i % 4 == 1) a >>= rnd64() % 31; /* small magnitudes too */
        if (i % 4 == 2) b = (int32_t)(rnd64() % 3) - 1 + (i % 8 == 2 ? INT32_MIN + 1 : 0);
        CHECK_MSG(er_srdhm(a, b) == ref_srdhm(a, b), "srdhm(%d, %d) = %d, want %d (seed 0xfeed)",
                  a, b, er_srdhm(a, b), ref_srdhm(a, b));
    }
}

TEST(quant_rdivpot_all_exponents_and_ties) {
    rng_state = 0xbeefu;
    for (int e = 0; e <= 31; e++) {
        for (int i = 0; i < 20000; i++) {
            int32_t x = rnd32();
            if (i % 3 == 1) x >>= rnd64() % 32;
            if (i % 3 == 2 && e > 0) { /* an exact tie */
                int64_t k = (int64_t)(rnd64() % ((uint64_t)1 << (31 - e))) * 2 + 1;
                int64_t t = k << (e - 1);
                if (t > INT32_MAX) continue;
                x = (int32_t)(rnd64() & 1 ? -t : t);
            }
            CHECK_MSG(er_rdivpot(x, e) == ref_rdivpot(x, e), "rdivpot(%d, %d) = %d, want %d", x,
                      e, er_rdivpot(x, e), ref_rdivpot(x, e));
        }
    }
    CHECK_EQ_INT(er_rdivpot(3, 1), 2);    /* 1.5 -> 2 */
    CHECK_EQ_INT(er_rdivpot(-3, 1), -2);  /* -1.5 -> -2 */
    CHECK_EQ_INT(er_rdivpot(-5, 2), -1);  /* -1.25 -> -1 */
    CHECK_EQ_INT(er_rdivpot(INT32_MIN, 31), -1);
    CHECK_EQ_INT(er_rdivpot(INT32_MAX, 31), 1);
}

TEST(quant_mbqm_matches_reference_and_real_product) {
    rng_state = 0xabcdefu;
    printf("  seed 0xabcdef\n");
    for (int i = 0; i < 500000; i++) {
        double real = ldexp(0.5 + 0.5 * rnd_unit(), (int)(rnd64() % 40) - 34);
        if (i % 16 == 0) real = ldexp(0.5 + 0.5 * rnd_unit(), (int)(rnd64() % 6)); /* > 1 */
        er_qmul m = er_quantize_multiplier(real);
        int32_t x = rnd32();
        if (i % 2) x >>= rnd64() % 31;
        int32_t got = er_mbqm(x, m), want = ref_mbqm_e(x, m);
        CHECK_MSG(got == want, "mbqm(%d, {%d, %d}) = %d, want %d", x, m.mult, m.shift, got, want);
        /* symmetric rounding: negating the input negates the result (x != MIN) */
        if (x != INT32_MIN && m.shift <= 0)
            CHECK_MSG(er_mbqm(-x, m) == -got, "mbqm(-%d) = %d, mbqm(%d) = %d", x, er_mbqm(-x, m),
                      x, got);
        /* close to the real product when nothing saturates */
        double exact = (double)x * ldexp((double)m.mult, m.shift - 31);
        int64_t shifted = (x < 0 ? -(int64_t)x : x) << (m.shift > 0 ? m.shift : 0);
        if (fabs(exact) < 2e9 && m.mult && shifted <= INT32_MAX)
            CHECK_MSG(fabs((double)got - exact) <= 1.0 + fabs(exact) * 1e-9,
                      "mbqm(%d, real %g) = %d, exact %.3f", x, real, got, exact);
    }
    /* left shifts saturate instead of overflowing: the result keeps its sign
     * and stays >= 2^29 in magnitude, far outside any 8-bit output */
    er_qmul big = er_quantize_multiplier(1024.0);
    CHECK_EQ_INT(er_mbqm(INT32_MAX / 2, big), 1 << 30);
    CHECK_EQ_INT(er_mbqm(INT32_MIN / 2, big), -(1 << 30));
    CHECK_EQ_INT(er_requant(INT32_MAX / 2, big, 0, -128, 127), 127);
    CHECK_EQ_INT(er_requant(INT32_MIN / 2, big, 0, -128, 127), -128);
    CHECK_EQ_INT(er_mbqm(3, big), 3072);
    CHECK_EQ_INT(er_mbqm(-3, big), -3072);
    CHECK_EQ_INT(er_mbqm(12345, (er_qmul){0, 0}), 0);
}

TEST(quant_requant_clamps) {
    er_qmul one = er_quantize_multiplier(1.0);
    CHECK_EQ_INT(er_requant(100, one, 10, 0, 255), 110);
    CHECK_EQ_INT(er_requant(300, one, 10, 0, 255), 255);
    CHECK_EQ_INT(er_requant(-300, one, 10, 0, 255), 0);
    CHECK_EQ_INT(er_requant(INT32_MAX, one, 127, -128, 127), 127);
    CHECK_EQ_INT(er_requant(INT32_MIN, one, -128, -128, 127), -128);
    CHECK_EQ_INT(er_requant(5, one, 0, 20, 30), 20); /* fused activation range */
    er_qmul quarter = er_quantize_multiplier(0.25);
    CHECK_EQ_INT(er_requant(6, quarter, 0, -128, 127), 2);   /* 1.5 -> 2 */
    CHECK_EQ_INT(er_requant(-6, quarter, 0, -128, 127), -2); /* -1.5 -> -2 */
    CHECK_EQ_INT(er_requant(-5, quarter, 0, -128, 127), -1); /* -1.25 -> -1 */
}

TEST(quant_requant_pre_rounds_once) {
    CHECK_EQ_INT(er_prescale_shift(255), ER_QDIFF_SHIFT);
    CHECK_EQ_INT(er_prescale_shift(255 * 255), 15);
    CHECK_EQ_INT(er_prescale_shift(1), 30);
    CHECK_EQ_INT(er_prescale_shift((int64_t)1 << 40), 0);
    CHECK_EQ_INT(er_prescale_shift(INT32_MAX), 0);
    rng_state = 0x5151u;
    int ties_skipped = 0;
    for (int i = 0; i < 300000; i++) {
        double real = ldexp(0.5 + 0.5 * rnd_unit(), (int)(rnd64() % 14) - 10);
        int32_t v = (int32_t)(rnd64() % 511) - 255;
        er_qmul m = er_prescale_multiplier(real, ER_QDIFF_SHIFT);
        double exact = (double)v * real;
        double frac = fabs(exact) - floor(fabs(exact));
        if (fabs(frac - 0.5) < 1e-5) {
            ties_skipped++;
            continue;
        }
        int32_t want = (int32_t)(exact < 0 ? -floor(-exact + 0.5) : floor(exact + 0.5));
        int32_t got = er_requant_pre(v, ER_QDIFF_SHIFT, m, 0, INT32_MIN, INT32_MAX);
        CHECK_MSG(got == want, "v %d real %.9g: %d, want %d (seed 0x5151)", v, real, got, want);
    }
    /* equal scales: the multiplier is exactly 2^-L and requantization the identity */
    er_qmul id = er_prescale_multiplier(1.0, ER_QDIFF_SHIFT);
    for (int32_t v = -255; v <= 255; v++)
        CHECK_EQ_INT(er_requant_pre(v, ER_QDIFF_SHIFT, id, 0, -1000, 1000), v);
    /* the plain double-rounding mbqm is off by one here: 143 * 0.40073... = 57.3 */
    double real = 0.023505252 / (0.009776679 * 6);
    CHECK_EQ_INT(er_requant(143, er_quantize_multiplier(real), 0, -999, 999), 58);
    CHECK_EQ_INT(er_requant_pre(143, 23, er_prescale_multiplier(real, 23), 0, -999, 999), 57);
    printf("  %d near-ties skipped\n", ties_skipped);
}

TEST(quant_requant_float_half_even) {
    CHECK_EQ_INT(er_requant_float(5, 0.5f, 0, 0, 255), 2);   /* 2.5 -> 2 */
    CHECK_EQ_INT(er_requant_float(7, 0.5f, 0, 0, 255), 4);   /* 3.5 -> 4 */
    CHECK_EQ_INT(er_requant_float(-5, 0.5f, 0, -128, 127), -2);
    CHECK_EQ_INT(er_requant_float(-7, 0.5f, 0, -128, 127), -4);
    CHECK_EQ_INT(er_requant_float(5, 0.5f, 100, 0, 255), 102);
    CHECK_EQ_INT(er_requant_float(INT32_MAX, 1e30f, 0, 0, 255), 255);
    CHECK_EQ_INT(er_requant_float(INT32_MIN, 1e30f, 0, -128, 127), -128);
    CHECK_EQ_INT(er_requant_float(1000, 1.0f, -100, -128, 127), 127);
    /* (float)acc rounds above 2^24, as ONNX Runtime's float requantization does */
    CHECK_EQ_INT(er_requant_float((1 << 24) + 1, 1.0f / (1 << 20), 0, -128, 127), 16);
}

TEST(quant_wrap_add) {
    CHECK_EQ_INT(er_wrap_add(INT32_MAX, 1), INT32_MIN);
    CHECK_EQ_INT(er_wrap_add(INT32_MIN, -1), INT32_MAX);
    CHECK_EQ_INT(er_wrap_add(-5, 3), -2);
    CHECK_EQ_INT(er_wrap_add(INT32_MAX, INT32_MAX), -2);
    rng_state = 77;
    for (int i = 0; i < 100000; i++) {
        int32_t a = rnd32(), b = rnd32();
        int64_t s = (int64_t)a + b;
        int64_t w = s > INT32_MAX ? s - 4294967296LL : s < INT32_MIN ? s + 4294967296LL : s;
        CHECK_MSG(er_wrap_add(a, b) == w, "%d + %d", a, b);
    }
}

static double fn_identity(double x, const void *arg) {
    (void)arg;
    return x;
}
static double fn_sigmoid(double x, const void *arg) {
    (void)arg;
    return 1.0 / (1.0 + exp(-x));
}

TEST(quant_lookup_tables) {
    uint8_t t[256];
    er_qlut_build(t, ER_U8, 0.05f, 128, ER_U8, 0.05f, 128, fn_identity, NULL);
    for (int b = 0; b < 256; b++) CHECK_MSG(t[b] == b, "identity u8 table[%d] = %d", b, t[b]);
    er_qlut_build(t, ER_I8, 0.1f, -3, ER_I8, 0.1f, -3, fn_identity, NULL);
    for (int b = 0; b < 256; b++) CHECK_MSG(t[b] == b, "identity i8 table[%d] = %d", b, t[b]);
    /* different scales: x * 2 saturates; int8 indices are the uint8 view */
    er_qlut_build(t, ER_I8, 0.2f, 0, ER_I8, 0.1f, 0, fn_identity, NULL);
    CHECK_EQ_INT((int8_t)t[(uint8_t)(int8_t)-100], -128);
    CHECK_EQ_INT((int8_t)t[(uint8_t)(int8_t)-5], -10);
    CHECK_EQ_INT((int8_t)t[60], 120);
    CHECK_EQ_INT((int8_t)t[64], 127);
    /* sigmoid into [0, 1] with scale 1/256: monotone, exact per element */
    er_qlut_build(t, ER_U8, 0.05f, 128, ER_U8, 1.0f / 256, 0, fn_sigmoid, NULL);
    for (int b = 0; b < 256; b++) {
        double want = rint(1.0 / (1.0 + exp(-(double)(b - 128) * (double)0.05f)) * 256.0);
        CHECK_MSG(t[b] == (want > 255 ? 255 : want), "sigmoid table[%d] = %d, want %g", b, t[b],
                  want);
        if (b) CHECK(t[b] >= t[b - 1]);
    }
    uint32_t e[256];
    er_qsoftmax_table(e, 0.1f);
    CHECK_EQ_INT(e[0], 1u << ER_QSOFTMAX_BITS);
    for (int d = 1; d < 256; d++) {
        CHECK(e[d] <= e[d - 1]);
        CHECK_EQ_INT(e[d], lrint(exp(-(double)d * (double)0.1f) * 8388608.0));
    }
}
