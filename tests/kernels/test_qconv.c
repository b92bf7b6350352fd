/* test_qconv.c - the int8 NHWC convolution (cpu/qconv/qconv.h) against an
 * independent implementation of QConv's definition, bit for bit: random
 * shapes (odd channel counts 1, 3, 7, 17, 33 and block-sized ones; groups:
 * 1, depthwise, depthwise with a channel multiplier, others), kernels 1x1 to
 * 7x7, strides 1-3, dilations 1-2, asymmetric pads, uint8/int8 inputs and
 * outputs, int8 and uint8 weights (zero point 128, which fits int8, and odd
 * ones, which take the direct algorithm), per-channel multipliers incl. left
 * shifts, biases near INT32_MAX, activation clamps. Every case runs at every
 * ISA level and extension mask this CPU has, with 1 and 3 threads, and each
 * algorithm the planner picks is counted (the test fails if one is never
 * reached). er_qconv_ref is checked against the same definition. */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qgemm.h"
#include "qkernel_util.h"
#include "test.h"

typedef struct {
    er_qconv_desc d;
    uint8_t *x, *w;
    int32_t *w_zp, *bias;
    er_qmul *mul;
    ref_qmul *rmul;
    uint8_t *want;
    size_t x_n, w_n, y_n;
} qcase;

static const int64_t k_odd[] = {1, 3, 7, 17, 33};

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
    int64_t span = (k - 1) * d + 1;
    return in + pb + pe < span ? 0 : (in + pb + pe - span) / s + 1;
}

static void case_free(qcase *c) {
    free(c->x);
    free(c->w);
    free(c->w_zp);
    free(c->bias);
    free(c->mul);
    free(c->rmul);
    free(c->want);
}

/* The definition: acc = bias + sum (x - x_zp)(w - w_zp) mod 2^32 over the
 * taps inside the input; y = clamp(MBQM(acc) + y_zp, y_min, y_max). */
static void reference(qcase *c) {
    const er_qconv_desc *d = &c->d;
    int64_t Cg = d->C / d->group, Mg = d->M / d->group;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++)
                for (int64_t m = 0; m < d->M; m++) {
                    int64_t acc = c->bias ? c->bias[m] : 0, g = m / Mg;
                    for (int64_t kh = 0; kh < d->KH; kh++)
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
                            int64_t iw = ow * d->stride_w - d->pad_left + kw * d->dil_w;
                            if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) continue;
                            for (int64_t ci = 0; ci < Cg; ci++) {
                                uint8_t xb = c->x[((n * d->H + ih) * d->W + iw) * d->C + g * Cg + ci];
                                uint8_t wb = c->w[((m * Cg + ci) * d->KH + kh) * d->KW + kw];
                                int32_t xv = d->x_dtype == ER_I8 ? (int8_t)xb : xb;
                                int32_t wv = d->w_dtype == ER_I8 ? (int8_t)wb : wb;
                                acc += (int64_t)(xv - d->x_zp) * (wv - c->w_zp[m]);
                            }
                        }
                    int32_t a32 = (int32_t)(uint32_t)(uint64_t)acc;
                    int32_t v = ref_clamp((int64_t)ref_mbqm(a32, c->rmul[m]) + d->y_zp, d->y_min,
                                          d->y_max);
                    c->want[((n * d->OH + oh) * d->OW + ow) * d->M + m] = (uint8_t)v;
                }
}

/* A random case; kind picks the algorithm family it aims at (the planner
 * decides): 0 any, 1 1x1, 2 depthwise 3x3/5x5, 3 grouped, 4 KxK group 1. */
static bool case_make(qt_rng *r, int kind, qcase *c) {
    memset(c, 0, sizeof *c);
    er_qconv_desc *d = &c->d;
    d->N = qt_int(r, 1, 2);
    d->H = qt_int(r, 1, 12);
    d->W = qt_int(r, 1, 12);
    d->C = qt_int(r, 0, 2) ? qt_pick(r, k_odd, 5) : qt_int(r, 0, 1) ? 64 : qt_int(r, 1, 80);
    d->group = 1;
    int64_t mg = qt_int(r, 0, 1) ? qt_pick(r, k_odd, 5) : qt_int(r, 1, 70);
    d->KH = qt_int(r, 1, 3);
    d->KW = qt_int(r, 1, 3);
    if (qt_int(r, 0, 7) == 0) d->KH = d->KW = qt_int(r, 4, 7);
    if (kind == 1) d->KH = d->KW = 1;
    if (kind == 2 || kind == 5) {
        d->group = d->C;
        mg = 1;
        d->KH = d->KW = kind == 5 || qt_int(r, 0, 1) ? 3 : 5;
    }
    if (kind == 3) {
        static const int64_t gs[] = {2, 3, 4};
        d->group = qt_pick(r, gs, 3);
        d->C = d->group * qt_int(r, 1, 20);
        if (qt_int(r, 0, 2) == 0) { /* depthwise with a channel multiplier */
            d->group = d->C;
            mg = qt_int(r, 2, 3);
        }
    }
    if (kind == 4 && d->KH * d->KW == 1) d->KH = 3;
    d->M = d->group * mg;
    d->stride_h = qt_int(r, 1, 3);
    d->stride_w = qt_int(r, 0, 1) ? d->stride_h : qt_int(r, 1, 3);
    d->dil_h = qt_int(r, 0, 3) ? 1 : 2;
    d->dil_w = qt_int(r, 0, 3) ? 1 : 2;
    d->pad_top = qt_int(r, 0, d->KH);
    d->pad_bottom = qt_int(r, 0, d->KH);
    d->pad_left = qt_int(r, 0, d->KW);
    d->pad_right = qt_int(r, 0, d->KW);
    if (kind == 1 && qt_int(r, 0, 1))
        d->stride_h = d->stride_w = 1, d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 0;
    if ((kind == 2 && d->KH == 3 && qt_int(r, 0, 1)) || kind == 5) { /* "same" 3x3: dwconv3x3 */
        d->stride_h = d->stride_w = d->dil_h = d->dil_w = 1;
        d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
    }
    d->OH = out_size(d->H, d->KH, d->stride_h, d->dil_h, d->pad_top, d->pad_bottom);
    d->OW = out_size(d->W, d->KW, d->stride_w, d->dil_w, d->pad_left, d->pad_right);
    if (d->OH < 1 || d->OW < 1) return false;
    d->x_dtype = qt_int(r, 0, 1) ? ER_I8 : ER_U8;
    d->y_dtype = qt_int(r, 0, 1) ? ER_I8 : ER_U8;
    int wsel = (int)qt_int(r, 0, 9); /* 0-6 int8 zp 0, 7 int8 zp != 0, 8 uint8 zp 128, 9 odd */
    d->w_dtype = wsel >= 8 ? ER_U8 : ER_I8;
    int32_t xlo = d->x_dtype == ER_I8 ? -128 : 0, ylo = d->y_dtype == ER_I8 ? -128 : 0;
    d->x_zp = (int32_t)qt_int(r, xlo, xlo + 255);
    d->y_zp = (int32_t)qt_int(r, ylo, ylo + 255);
    d->y_min = ylo;
    d->y_max = ylo + 255;
    if (qt_int(r, 0, 1)) {
        d->y_min = (int32_t)qt_int(r, ylo, ylo + 255);
        d->y_max = (int32_t)qt_int(r, d->y_min, ylo + 255);
    }
    if (qt_int(r, 0, 3) == 0) { /* a ReLU-like clamp at the zero point: lo = 0, the nonneg MBQM */
        d->y_min = d->y_zp;
        d->y_max = (int32_t)qt_int(r, d->y_zp, ylo + 255);
    }
    int64_t Cg = d->C / d->group;
    c->x_n = (size_t)(d->N * d->H * d->W * d->C);
    c->w_n = (size_t)(d->M * Cg * d->KH * d->KW);
    c->y_n = (size_t)(d->N * d->OH * d->OW * d->M);
    c->x = malloc(c->x_n + 1);
    c->w = malloc(c->w_n + 1);
    c->w_zp = malloc(sizeof(int32_t) * (size_t)d->M);
    c->bias = qt_int(r, 0, 3) ? malloc(sizeof(int32_t) * (size_t)d->M) : NULL;
    c->mul = malloc(sizeof(er_qmul) * (size_t)d->M);
    c->rmul = malloc(sizeof(ref_qmul) * (size_t)d->M);
    c->want = malloc(c->y_n + 1);
    bool sensitive = qt_int(r, 0, 2) == 0;
    for (size_t i = 0; i < c->x_n; i++)
        c->x[i] = sensitive ? (uint8_t)(d->x_zp + qt_int(r, -3, 3)) : (uint8_t)qt_next(r);
    for (int64_t m = 0; m < d->M; m++) {
        c->w_zp[m] = wsel == 7 ? (int32_t)qt_int(r, -5, 5) : wsel == 8 ? 128
                   : wsel == 9 ? (int32_t)qt_int(r, 0, 255) : 0;
        if (c->bias)
            c->bias[m] = sensitive ? (int32_t)qt_int(r, -300, 300)
                       : qt_int(r, 0, 15) == 0 ? INT32_MAX - (int32_t)qt_int(r, 0, 9999)
                                               : (int32_t)qt_int(r, -200000, 200000);
        ref_qmul q = sensitive ? ref_qm(ldexp(1.0 + qt_unit(r), (int)qt_int(r, -4, 0)))
                               : qt_qmul(r);
        c->rmul[m] = q;
        c->mul[m] = (er_qmul){q.mult, q.shift};
    }
    for (size_t i = 0; i < c->w_n; i++) {
        int32_t zp = c->w_zp[i / (size_t)(Cg * d->KH * d->KW)];
        int32_t v = sensitive ? zp + (int32_t)qt_int(r, -2, 2)
                  : wsel == 9 ? (int32_t)qt_int(r, 0, 255)
                  : zp + (int32_t)qt_int(r, -128, 127);
        if (wsel < 8) v = v < -128 ? -128 : v > 127 ? 127 : v;
        else v = v < 0 ? 0 : v > 255 ? 255 : v;
        c->w[i] = (uint8_t)v;
    }
    reference(c);
    return true;
}

static void describe(const qcase *c, char *b, size_t cap) {
    const er_qconv_desc *d = &c->d;
    snprintf(b, cap, "N%lld %lldx%lldx%lld -> M%lld k%lldx%lld s%lld,%lld d%lld,%lld p%lld,%lld,%lld,%lld "
             "g%lld x %s w %s y %s x_zp %d y_zp %d clamp %d..%d", (long long)d->N, (long long)d->H,
             (long long)d->W, (long long)d->C, (long long)d->M, (long long)d->KH, (long long)d->KW,
             (long long)d->stride_h, (long long)d->stride_w, (long long)d->dil_h,
             (long long)d->dil_w, (long long)d->pad_top, (long long)d->pad_left,
             (long long)d->pad_bottom, (long long)d->pad_right, (long long)d->group,
             er_dtype_name(d->x_dtype), er_dtype_name(d->w_dtype), er_dtype_name(d->y_dtype),
             d->x_zp, d->y_zp, d->y_min, d->y_max);
}

/* Runs one plan; returns the index of the first differing byte or -1. */
static long run_plan(const qcase *c, er_isa isa, unsigned feat, er_threadpool *pool, char *algo,
                     size_t algo_cap, er_status *st) {
    er_qconv_plan *p = NULL;
    *st = er_qconv_plan_create(&c->d, c->w, c->w_zp, c->bias, c->mul, isa, feat,
                               er_threadpool_size(pool), &p);
    if (*st != ER_OK) return -2;
    snprintf(algo, algo_cap, "%s", er_qconv_algo(p));
    size_t sb = er_qconv_scratch_bytes(p);
    void *scratch = aligned_alloc(64, (sb + 63) / 64 * 64 + 64);
    memset(scratch, 0xEE, (sb + 63) / 64 * 64 + 64); /* stale scratch must not matter */
    uint8_t *y = malloc(c->y_n + 1);
    er_qconv_run(p, c->x, y, scratch, pool);
    long bad = -1;
    for (size_t i = 0; i < c->y_n && bad < 0; i++)
        if (y[i] != c->want[i]) bad = (long)i;
    free(y);
    free(scratch);
    er_qconv_plan_free(p);
    return bad;
}

/* The (level, extension mask) pairs to run: every level this CPU has, each
 * with no extension and with each extension of that level it has. */
static int configs(er_isa *isas, unsigned *feats) {
    int n = 0;
    static const er_isa levels[] = {ER_ISA_SCALAR, ER_ISA_AVX2, ER_ISA_AVX512};
    for (int l = 0; l < 3; l++) {
        if (!qt_can_run(levels[l], 0)) continue;
        unsigned all = er_qfeatures_for(levels[l]);
        isas[n] = levels[l];
        feats[n++] = 0;
        for (unsigned b = 1; b <= ER_QF_AMX; b <<= 1)
            if (all & b) {
                isas[n] = levels[l];
                feats[n++] = b;
            }
    }
    return n;
}

TEST(qconv_algorithms_bit_exact) {
    uint64_t seed = qt_seed(0x0c0ffee1u);
    qt_rng r = {seed};
    er_threadpool *pool3 = NULL;
    CHECK_STATUS(er_threadpool_create(3, &pool3), ER_OK);
    er_isa isas[12];
    unsigned feats[12];
    int nc = configs(isas, feats);
    /* on a CPU with AMX: every convolution of the AMX configuration on tiles,
     * not only the large ones er_qamx_pays picks */
    setenv("EDGERUN_AMX", "always", 1);
    static const char *const algos[] = {"gemm ", "igemm ", "im2col ", "rows ", "dwconv ",
                                        "direct", "dwconv3x3 "};
    enum { N_ALGOS = sizeof algos / sizeof algos[0] };
    int seen[N_ALGOS] = {0};
    int cases = qt_scale(260), done = 0;
    for (int i = 0; i < cases; i++) {
        qcase c;
        if (!case_make(&r, i % 5, &c)) continue;
        done++;
        char cfg[400];
        describe(&c, cfg, sizeof cfg);
        for (int k = 0; k < nc; k++)
            for (int t = 0; t < 2; t++) {
                char algo[128] = "";
                er_status st;
                long bad = run_plan(&c, isas[k], feats[k], t ? pool3 : NULL, algo, sizeof algo, &st);
                CHECK_MSG(st == ER_OK, "seed %llu case %d [%s]: plan failed: %s",
                          (unsigned long long)seed, i, cfg, er_last_error());
                for (int a = 0; a < N_ALGOS; a++)
                    if (strncmp(algo, algos[a], strlen(algos[a])) == 0) seen[a]++;
                CHECK_MSG(bad < 0, "seed %llu case %d [%s] isa %s features %u threads %d %s: "
                          "y[%ld] differs from the definition", (unsigned long long)seed, i, cfg,
                          er_isa_name(isas[k]), feats[k], t ? 3 : 1, algo, bad);
            }
        /* the plain-loop reference of the library agrees too */
        uint8_t *y = malloc(c.y_n + 1);
        er_qconv_ref(&c.d, c.x, c.w, c.w_zp, c.bias, c.mul, y);
        CHECK_MSG(memcmp(y, c.want, c.y_n) == 0, "seed %llu case %d [%s]: er_qconv_ref differs",
                  (unsigned long long)seed, i, cfg);
        free(y);
        case_free(&c);
    }
    unsetenv("EDGERUN_AMX");
    er_threadpool_free(pool3);
    printf("  qconv: %d cases x %d ISA configurations x 1/3 threads; algorithms:", done, nc);
    for (int a = 0; a < N_ALGOS; a++) printf(" %s%d", algos[a], seen[a]);
    printf("\n");
    /* dwconv3x3 needs AVX-512 VNNI (its only kernel) */
    bool vnni = false;
    for (int k = 0; k < nc; k++) vnni |= (feats[k] & ER_QF_VNNI512) != 0;
    for (int a = 0; a < N_ALGOS; a++)
        if (a != N_ALGOS - 1 || vnni)
            CHECK_MSG(seen[a] > 0, "algorithm %s never exercised", algos[a]);
}

/* dwconv3x3 (row-interleaved VNNI depthwise, "same" 3x3 stride 1): many
 * shapes - 1 to 80 channels (64-channel blocks, a last block of <= 32 on
 * 256-bit vectors or of 33-63 masked), 1-pixel rows and columns, two images
 * (the laid-out rows are keyed by image and row), int8 and uint8 input,
 * 1 and 3 threads - against the definition. */
TEST(qconv_dwconv3x3_bit_exact) {
    if (!qt_can_run(ER_ISA_AVX512, ER_QF_VNNI512)) {
        printf("  dwconv3x3: skipped (no AVX-512 VNNI)\n");
        return;
    }
    uint64_t seed = qt_seed(0xd3d3u);
    qt_rng r = {seed};
    er_threadpool *pool3 = NULL;
    CHECK_STATUS(er_threadpool_create(3, &pool3), ER_OK);
    int cases = qt_scale(120), hits = 0;
    for (int i = 0; i < cases; i++) {
        qcase c;
        if (!case_make(&r, 5, &c)) continue;
        char cfg[400];
        describe(&c, cfg, sizeof cfg);
        for (int t = 0; t < 2; t++) {
            char algo[128] = "";
            er_status st;
            long bad = run_plan(&c, ER_ISA_AVX512, ER_QF_VNNI512, t ? pool3 : NULL, algo,
                                sizeof algo, &st);
            CHECK_MSG(st == ER_OK, "seed %llu case %d [%s]: %s", (unsigned long long)seed, i,
                      cfg, er_last_error());
            hits += strncmp(algo, "dwconv3x3 ", 10) == 0;
            CHECK_MSG(bad < 0, "seed %llu case %d [%s] threads %d %s: y[%ld] differs",
                      (unsigned long long)seed, i, cfg, t ? 3 : 1, algo, bad);
        }
        case_free(&c);
    }
    er_threadpool_free(pool3);
    printf("  dwconv3x3: %d plans\n", hits);
    CHECK(hits > cases); /* nearly every case is eligible (weights that do not fit int8: direct) */
}
