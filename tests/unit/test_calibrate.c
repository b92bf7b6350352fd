/* test_calibrate.c - calibration statistics and the range methods
 * (src/passes/calibrate.c) on known data and known histograms. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "passes/calibrate.h"
#include "test.h"

#define NB ER_CALIB_BINS

TEST(calib_minmax_skips_nonfinite) {
    er_calib *c;
    CHECK_STATUS(er_calib_create(2, &c), ER_OK);
    float a[6] = {0.5f, -2.0f, NAN, INFINITY, 3.0f, -INFINITY};
    er_calib_add(c, 0, a, 6);
    float b[2] = {7.0f, -1.0f};
    er_calib_add(c, 0, b, 2);
    er_calib_add(c, 5, b, 2); /* out of range: ignored */
    const er_calib_stats *s = &c->stats[0];
    CHECK(s->seen && s->min == -2.0 && s->max == 7.0);
    CHECK_EQ_INT(s->count, 5);
    CHECK_EQ_INT(s->nonfinite, 3);
    CHECK(!c->stats[1].seen);
    float lo, hi;
    CHECK_STATUS(er_calib_choose(&c->stats[1], ER_CALIB_MINMAX, 99.9, &lo, &hi),
                 ER_ERR_INVALID_ARG);
    CHECK_STATUS(er_calib_choose(s, ER_CALIB_MINMAX, 99.9, &lo, &hi), ER_OK);
    CHECK(lo == -2.0f && hi == 7.0f);
    /* no histogram yet: the histogram methods fall back to [min, max] */
    CHECK_STATUS(er_calib_choose(s, ER_CALIB_ENTROPY, 99.9, &lo, &hi), ER_OK);
    CHECK(lo == -2.0f && hi == 7.0f);
    er_calib_free(c);
}

TEST(calib_histogram_layout) {
    er_calib *c;
    CHECK_STATUS(er_calib_create(3, &c), ER_OK);
    float two[4] = {-1.0f, 0.0f, 0.25f, 4.0f}, pos[3] = {0, 1, 2}, neg[2] = {-3, -1};
    er_calib_add(c, 0, two, 4);
    er_calib_add(c, 1, pos, 3);
    er_calib_add(c, 2, neg, 2);
    CHECK_STATUS(er_calib_begin_histograms(c), ER_OK);
    CHECK(c->stats[0].h_lo == -4.0 && c->stats[0].h_hi == 4.0); /* symmetric */
    CHECK(c->stats[1].h_lo == 0.0 && c->stats[1].h_hi == 2.0);
    CHECK(c->stats[2].h_lo == -3.0 && c->stats[2].h_hi == 0.0);
    er_calib_add(c, 0, two, 4);
    const er_calib_stats *s = &c->stats[0];
    CHECK_EQ_INT(s->zeros, 1);
    uint64_t total = 0;
    for (int i = 0; i < NB; i++) total += s->hist[i];
    CHECK_EQ_INT(total, 3);
    CHECK_EQ_INT(s->hist[NB - 1], 1);            /* 4.0 lands in the last bin */
    CHECK_EQ_INT(s->hist[NB / 2 + NB / 32], 1);  /* 0.25 = 1/16 of 4 above zero */
    CHECK_EQ_INT(s->hist[NB / 2 - NB / 8], 1);   /* -1 = a quarter of 4 below zero */
    er_calib_free(c);
}

TEST(calib_percentile_known_histogram) {
    static uint64_t h[NB];
    for (int i = 0; i < NB; i++) h[i] = 1;  /* uniform over [0, 2048] */
    double lo, hi;
    er_hist_percentile(h, NB, 0, NB, 0, 0, NB, 99.0, &lo, &hi);
    /* 1% of 2048 = 20.48 values dropped from the top: 20 whole bins */
    CHECK_MSG(lo == 0 && hi == NB - 20, "lo %g hi %g", lo, hi);
    /* two-sided: the dropped share splits between the tails */
    er_hist_percentile(h, NB, -1024, 1024, 0, -1024, 1024, 99.0, &lo, &hi);
    CHECK_MSG(lo == -1024 + 10 && hi == 1024 - 10, "lo %g hi %g", lo, hi);
    /* exact zeros count in the total (mass near 0), so fewer bins go */
    er_hist_percentile(h, NB, 0, NB, NB, 0, NB, 99.0, &lo, &hi);
    CHECK_MSG(hi == NB - 40, "hi %g", hi);
    /* 100 keeps everything; the result never leaves [min, max] */
    er_hist_percentile(h, NB, 0, NB, 0, 0, 1500, 100.0, &lo, &hi);
    CHECK(hi == 1500);
    er_hist_percentile(h, NB, 0, NB, 0, 0, 1500, 99.0, &lo, &hi);
    CHECK(hi == 1500);
}

TEST(calib_entropy_known_histograms) {
    static uint64_t h[NB];
    double lo, hi;
    /* uniform: nothing to gain by clipping */
    for (int i = 0; i < NB; i++) h[i] = 100;
    er_hist_entropy(h, NB, 0, 1.0, 0, 1.0, &lo, &hi);
    CHECK_MSG(hi > 0.95 && lo == 0, "uniform: lo %g hi %g", lo, hi);
    /* mass in the first eighth, a handful of far outliers: clip well below max */
    memset(h, 0, sizeof h);
    for (int i = 0; i < NB / 8; i++) h[i] = 1000 - (uint64_t)i * 3;
    h[NB - 1] = 2;
    h[NB - 300] = 1;
    er_hist_entropy(h, NB, 0, 8.0, 0, 8.0, &lo, &hi);
    CHECK_MSG(hi < 2.5 && hi > 0.9, "outliers: hi %g", hi);
    /* the same, mirrored onto the negative side */
    static uint64_t m[NB];
    for (int i = 0; i < NB; i++) m[i] = h[NB - 1 - i];
    double lo2, hi2;
    er_hist_entropy(m, NB, -8.0, 0, -8.0, 0, &lo2, &hi2);
    CHECK_MSG(fabs(lo2 + hi) < 1e-9 && hi2 == 0, "mirror: lo %g (want %g)", lo2, -hi);
    /* two-sided: folded onto |x|, the same threshold on both sides */
    static uint64_t t[NB];
    for (int i = 0; i < NB / 2; i++) {
        t[NB / 2 + i] = i < NB / 2 ? h[2 * i] / 2 + h[2 * i + 1] / 2 : 0;
        t[NB / 2 - 1 - i] = t[NB / 2 + i];
    }
    er_hist_entropy(t, NB, -8.0, 8.0, -8.0, 8.0, &lo, &hi);
    CHECK_MSG(hi < 3.0 && fabs(lo + hi) < 1e-9, "two-sided: lo %g hi %g", lo, hi);
    /* an observed range narrower than the histogram bounds the result */
    er_hist_entropy(t, NB, -8.0, 8.0, -0.5, 8.0, &lo, &hi);
    CHECK(lo == -0.5);
}

TEST(calib_mse_known_histograms) {
    static uint64_t h[NB];
    double lo, hi;
    for (int i = 0; i < NB; i++) h[i] = 10;
    er_hist_mse(h, NB, 0, 1.0, 0, 1.0, &lo, &hi);
    CHECK_MSG(hi > 0.97, "uniform: hi %g", hi); /* clipping a uniform costs more than it saves */
    /* Laplace-like body with one far outlier: the range is clipped */
    memset(h, 0, sizeof h);
    for (int i = 0; i < NB; i++) h[i] = (uint64_t)(100000.0 * exp(-i / 40.0));
    h[NB - 1] = 1;
    er_hist_mse(h, NB, 0, 10.0, 0, 10.0, &lo, &hi);
    CHECK_MSG(hi < 3.0 && hi > 0.2, "laplace: hi %g", hi);
    /* two-sided asymmetric data: both ends scale together, within [min, max] */
    static uint64_t t[NB];
    for (int i = 0; i < NB / 2; i++) {
        t[NB / 2 + i] = h[2 * i];
        t[NB / 2 - 1 - i] = i < 16 ? h[2 * i] : 0;
    }
    er_hist_mse(t, NB, -10.0, 10.0, -0.16, 10.0, &lo, &hi);
    CHECK_MSG(lo >= -0.16 && lo < -0.1 && hi < 4.0, "two-sided: lo %g hi %g", lo, hi);
}

TEST(calib_method_names) {
    er_calib_method m;
    const char *names[] = {"minmax", "percentile", "entropy", "mse"};
    for (int i = 0; i < 4; i++) {
        CHECK(er_calib_method_parse(names[i], &m));
        CHECK_EQ_INT(m, i);
        CHECK(strcmp(er_calib_method_name(m), names[i]) == 0);
    }
    CHECK(!er_calib_method_parse("kl", &m));
    CHECK(strcmp(er_calib_method_name((er_calib_method)9), "unknown") == 0);
}

/* End to end through er_calib_choose: on a clipped heavy-tailed sample, every
 * histogram method narrows the range, minmax does not. */
TEST(calib_choose_methods_on_data) {
    er_calib *c;
    CHECK_STATUS(er_calib_create(1, &c), ER_OK);
    enum { N = 100000 };
    float *x = malloc(sizeof(float) * N);
    CHECK(x);
    unsigned seed = 11;
    for (int i = 0; i < N; i++) { /* |Laplace(1)| with a few large outliers */
        double u = ((double)rand_r(&seed) + 1) / ((double)RAND_MAX + 2);
        x[i] = (float)(-log(u));
    }
    x[0] = 60.0f;
    x[1] = 45.0f;
    for (int pass = 0; pass < 2; pass++) {
        er_calib_add(c, 0, x, N);
        if (pass == 0) CHECK_STATUS(er_calib_begin_histograms(c), ER_OK);
    }
    free(x);
    float lo, hi;
    CHECK_STATUS(er_calib_choose(&c->stats[0], ER_CALIB_MINMAX, 99.99, &lo, &hi), ER_OK);
    CHECK(hi == 60.0f && lo >= 0);
    for (int m = ER_CALIB_PERCENTILE; m <= ER_CALIB_ENTROPY; m++) {
        CHECK_STATUS(er_calib_choose(&c->stats[0], (er_calib_method)m, 99.99, &lo, &hi), ER_OK);
        CHECK_MSG(hi > 3.0f && hi < 30.0f && lo >= 0.0f, "%s: [%g, %g]",
                  er_calib_method_name((er_calib_method)m), lo, hi);
    }
    /* the total squared error of 1e5 values favours keeping two far outliers
     * (clipping them at 10 costs ~3700, the coarser step only ~460 more) */
    CHECK_STATUS(er_calib_choose(&c->stats[0], ER_CALIB_MSE, 99.99, &lo, &hi), ER_OK);
    CHECK_MSG(hi > 40.0f && hi <= 60.0f && lo >= 0.0f, "mse: [%g, %g]", lo, hi);
    er_calib_free(c);
}
