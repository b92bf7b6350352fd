/* test_conv.c - er_conv_plan_create/er_conv_run against er_conv_ref.
 *
 * Each case runs at every ISA level the CPU has, with no pool and with pools
 * of 2 and 3 threads; outputs must match the reference within
 * 1e-4 * max(1, |ref|) (Winograd: 3e-5 * max(1, max |ref|), see conv.h) and
 * be bit-identical across thread counts (the partitioning never splits one
 * output's sum). Guard floats after y must
 * stay untouched. A failure prints the descriptor, level, threads, seed and
 * the first bad index. */
#include <string.h>

#include "core/alloc.h"
#include "cpu/conv/conv.h"
#include "kernel_util.h"
#include "test.h"

#define GUARD 19
#define GUARD_VAL 12345.0f

static const er_act k_acts[] = {
    {ER_ACT_NONE, 0, 0, 0, 0},          {ER_ACT_RELU, 0, 0, 0, 0},
    {ER_ACT_CLIP, 0, 0, -0.3f, 0.4f},    {ER_ACT_CLIP, 0, 0, 0.0f, 6.0f},
    {ER_ACT_LEAKY_RELU, 0.1f, 0, 0, 0},  {ER_ACT_SIGMOID, 0, 0, 0, 0},
    {ER_ACT_HARD_SIGMOID, 0.2f, 0.5f, 0, 0}, {ER_ACT_HARD_SWISH, 0, 0, 0, 0},
    {ER_ACT_SILU, 0, 0, 0, 0},           {ER_ACT_TANH, 0, 0, 0, 0},
};
#define N_ACTS (sizeof k_acts / sizeof k_acts[0])

static er_conv_desc make_desc(int64_t N, int64_t H, int64_t W, int64_t C, int64_t M, int64_t KH,
                              int64_t KW, int64_t sh, int64_t sw, int64_t dh, int64_t dw,
                              int64_t pt, int64_t pl, int64_t pb, int64_t pr, int64_t group,
                              er_act act, int res) {
    er_conv_desc d = {N, H, W, C, M, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, group, 0, 0, act, res};
    d.OH = er_conv_out_size(H, KH, sh, dh, pt, pb);
    d.OW = er_conv_out_size(W, KW, sw, dw, pl, pr);
    return d;
}

static void print_desc(const er_conv_desc *d) {
    printf("    N%lld H%lld W%lld C%lld M%lld k%lldx%lld s%lldx%lld d%lldx%lld pad %lld,%lld,%lld,%lld "
           "g%lld -> %lldx%lld act %s res %d\n",
           (long long)d->N, (long long)d->H, (long long)d->W, (long long)d->C, (long long)d->M,
           (long long)d->KH, (long long)d->KW, (long long)d->stride_h, (long long)d->stride_w,
           (long long)d->dil_h, (long long)d->dil_w, (long long)d->pad_top,
           (long long)d->pad_left, (long long)d->pad_bottom, (long long)d->pad_right,
           (long long)d->group, (long long)d->OH, (long long)d->OW, er_act_name(d->act.kind),
           d->has_residual);
}

typedef struct pools {
    er_threadpool *p[3]; /* NULL, 2 threads, 3 threads */
    int n[3];
} pools;

static int g_skipped_reported;

/* Returns 1 on success; prints everything on failure. `algo_want`, if not
 * NULL, must occur in the name of the algorithm chosen at the best level. */
static int check_conv(const er_conv_desc *d, uint64_t seed, const pools *pl,
                      const char *algo_want) {
    ktest_rng r = {seed};
    size_t nx = (size_t)(d->N * d->H * d->W * d->C), ny = (size_t)(d->N * d->OH * d->OW * d->M);
    size_t nw = (size_t)(d->M * (d->C / d->group) * d->KH * d->KW);
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
    float *b = malloc((size_t)d->M * sizeof(float)), *z = malloc(ny * sizeof(float));
    float *ref = malloc(ny * sizeof(float)), *y = malloc((ny + GUARD) * sizeof(float));
    float *y0 = malloc(ny * sizeof(float)), *y1 = malloc(ny * sizeof(float));
    int ok = 1;
    ktest_fill(&r, x, nx, -1, 1);
    ktest_fill(&r, w, nw, -1, 1);
    ktest_fill(&r, b, (size_t)d->M, -1, 1);
    ktest_fill(&r, z, ny, -1, 1);
    er_conv_ref(d, x, w, b, d->has_residual ? z : NULL, ref);
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    if (!g_skipped_reported) {
        g_skipped_reported = 1;
        printf("  conv: testing %d ISA level(s), %d skipped (not on this CPU)\n", nl, skipped);
    }
    for (int li = 0; li < nl && ok; li++) {
        er_conv_plan *p = NULL;
        er_status st = er_conv_plan_create(d, w, b, levels[li], 3, &p);
        if (st != ER_OK) {
            printf("  plan failed at %s: %s\n", er_isa_name(levels[li]), er_last_error());
            print_desc(d);
            ok = 0;
            break;
        }
        if (algo_want && li == nl - 1 && !strstr(er_conv_algo(p), algo_want)) {
            printf("  algorithm %s, expected %s\n", er_conv_algo(p), algo_want);
            print_desc(d);
            ok = 0;
        }
        size_t sb = er_conv_scratch_bytes(p);
        void *scratch = sb ? er_aligned_alloc(sb) : NULL;
        for (int t = 0; t < 3 && ok; t++) {
            for (int i = 0; i < GUARD; i++) y[ny + i] = GUARD_VAL;
            memset(y, 0xff, ny * sizeof(float)); /* NaNs: unwritten outputs fail */
            er_conv_run(p, x, d->has_residual ? z : NULL, y, scratch, pl->p[t]);
            long bad;
            if (strncmp(er_conv_algo(p), "winograd", 8) == 0) {
                /* conv.h: Winograd's bound is relative to the range of the
                 * output before the activation */
                er_conv_desc dn = *d;
                dn.act.kind = ER_ACT_NONE;
                er_conv_ref(&dn, x, w, b, d->has_residual ? z : NULL, y1);
                double range = 1;
                for (size_t i = 0; i < ny; i++) range = fabs(y1[i]) > range ? fabs(y1[i]) : range;
                bad = -1;
                for (size_t i = 0; i < ny && bad < 0; i++)
                    if (!(fabs((double)y[i] - ref[i]) <= 3e-5 * range)) bad = (long)i;
            } else {
                bad = ktest_first_bad(y, ref, ny, 1e-4);
            }
            int guard_ok = 1;
            for (int i = 0; i < GUARD; i++) guard_ok &= y[ny + i] == GUARD_VAL;
            if (t == 0) memcpy(y0, y, ny * sizeof(float));
            int same = t == 0 || memcmp(y, y0, ny * sizeof(float)) == 0;
            if (bad >= 0 || !guard_ok || !same) {
                printf("  conv %s (%s) threads %d seed %llu: ", er_conv_algo(p),
                       er_isa_name(levels[li]), pl->n[t], (unsigned long long)seed);
                if (bad >= 0)
                    printf("y[%ld] = %.7g, reference %.7g\n", bad, y[bad], ref[bad]);
                else if (!guard_ok)
                    printf("wrote past the end of y\n");
                else
                    printf("result differs from the 1-thread run\n");
                print_desc(d);
                ok = 0;
            }
        }
        er_aligned_free(scratch);
        er_conv_plan_free(p);
    }
    free(x);
    free(w);
    free(b);
    free(z);
    free(ref);
    free(y);
    free(y0);
    free(y1);
    return ok;
}

static int open_pools(pools *pl) {
    pl->p[0] = NULL;
    pl->n[0] = 1;
    pl->n[1] = 2;
    pl->n[2] = 3;
    if (er_threadpool_create(2, &pl->p[1]) != ER_OK) return 0;
    if (er_threadpool_create(3, &pl->p[2]) != ER_OK) return 0;
    return 1;
}

static void close_pools(pools *pl) {
    er_threadpool_free(pl->p[1]);
    er_threadpool_free(pl->p[2]);
}

/* 1x1 convolutions: stride 1 (plain GEMM on the input) and strided, odd
 * channel counts around the tile widths, every activation, residual. */
TEST(conv_1x1) {
    pools pl;
    CHECK(open_pools(&pl));
    static const int64_t chans[] = {1, 3, 7, 16, 17, 33};
    uint64_t seed = ktest_seed(1001);
    int ok = 1;
    for (size_t ci = 0; ci < 6 && ok; ci++)
        for (size_t mi = 0; mi < 6 && ok; mi++) {
            er_act act = k_acts[(ci * 6 + mi) % N_ACTS];
            er_conv_desc d = make_desc(1, 5, 7, chans[ci], chans[mi], 1, 1, 1, 1, 1, 1, 0, 0, 0,
                                       0, 1, act, (int)((ci + mi) & 1));
            /* C = M = 1 is also depthwise (group == C == M) */
            ok = check_conv(&d, seed + ci * 16 + mi, &pl, ci + mi ? "gemm1x1/" : NULL);
            er_conv_desc s = make_desc(2, 9, 6, chans[ci], chans[mi], 1, 1, 2, 3, 1, 1, 0, 0, 0,
                                       0, 1, act, (int)((ci + mi + 1) & 1));
            if (ok) ok = check_conv(&s, seed + 500 + ci * 16 + mi, &pl, ci + mi ? "gemm1x1s/" : NULL);
        }
    /* larger: several column blocks and pixel tiles, batch 3 */
    for (size_t ai = 0; ai < N_ACTS && ok; ai++) {
        er_conv_desc d = make_desc(3, 11, 13, 40, 100, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
                                   k_acts[ai], (int)(ai & 1));
        ok = check_conv(&d, seed + 900 + ai, &pl, "gemm1x1/");
    }
    close_pools(&pl);
    CHECK(ok);
}

/* General KxK through the indirect GEMM: kernel sizes, strides, dilations,
 * asymmetric pads, non-square inputs. */
TEST(conv_igemm) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(2002);
    int ok = 1;
    struct { int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr; } g[] = {
        {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
        {7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, {1, 3, 1, 2, 1, 1, 0, 1, 0, 0},
        {3, 1, 2, 1, 1, 3, 2, 0, 1, 0}, {2, 2, 2, 2, 1, 1, 0, 0, 1, 1},
        {3, 3, 3, 2, 1, 1, 0, 2, 1, 0}, {4, 2, 1, 1, 1, 2, 3, 1, 0, 2},
    };
    static const int64_t chans[] = {1, 3, 7, 16, 17, 33};
    int k = 0;
    for (size_t gi = 0; gi < sizeof g / sizeof g[0] && ok; gi++)
        for (size_t ci = 0; ci < 6 && ok; ci++) {
            int64_t C = chans[ci], M = chans[(ci + gi) % 6];
            er_conv_desc d = make_desc(1 + (int64_t)(gi & 1), 7 + (int64_t)gi % 3, 9, C, M,
                                       g[gi].kh, g[gi].kw, g[gi].sh, g[gi].sw, g[gi].dh,
                                       g[gi].dw, g[gi].pt, g[gi].pl, g[gi].pb, g[gi].pr, 1,
                                       k_acts[k % N_ACTS], k & 1);
            k++;
            if (d.OH < 1 || d.OW < 1) continue;
            /* 3x3 s1 with C >= 16, M >= 32 may go to Winograd; the others are igemm */
            ok = check_conv(&d, seed + (uint64_t)k, &pl, NULL);
        }
    close_pools(&pl);
    CHECK(ok);
}

/* Grouped convolution (not depthwise) and depth multipliers. */
TEST(conv_grouped) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(3003);
    int ok = 1;
    struct { int64_t C, M, g, k, s; } c[] = {
        {4, 8, 2, 3, 1}, {6, 9, 3, 3, 2}, {32, 32, 4, 3, 1}, {34, 17, 17, 1, 1},
        {3, 6, 3, 3, 1}, {7, 21, 7, 3, 2}, {16, 48, 16, 5, 1}, {12, 12, 3, 1, 2},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0] && ok; i++) {
        int64_t pad = c[i].k / 2;
        er_conv_desc d = make_desc(2, 8, 7, c[i].C, c[i].M, c[i].k, c[i].k, c[i].s, c[i].s, 1, 1,
                                   pad, pad, pad, pad, c[i].g, k_acts[i % N_ACTS], (int)(i & 1));
        ok = check_conv(&d, seed + i, &pl, "-grouped/");
        if (!ok) break;
    }
    close_pools(&pl);
    CHECK(ok);
}

/* Depthwise: 3x3 and 5x5 (specialised kernels) and others, stride 1 and 2,
 * dilation, odd channel counts, every activation, residual. */
TEST(conv_depthwise) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(4004);
    int ok = 1;
    static const int64_t chans[] = {1, 3, 7, 16, 17, 33, 64};
    struct { int64_t k, s, d, pad; } g[] = {
        {3, 1, 1, 1}, {3, 2, 1, 1}, {5, 1, 1, 2}, {5, 2, 1, 2}, {3, 1, 2, 2}, {7, 1, 1, 3},
        {3, 2, 1, 0}, {1, 1, 1, 0},
    };
    int k = 0;
    for (size_t gi = 0; gi < sizeof g / sizeof g[0] && ok; gi++)
        for (size_t ci = 0; ci < 7 && ok; ci++) {
            int64_t C = chans[ci];
            er_conv_desc d = make_desc(1 + (int64_t)(ci & 1), 9 + (int64_t)(gi % 3), 7 + (int64_t)ci,
                                       C, C, g[gi].k, g[gi].k, g[gi].s, g[gi].s, g[gi].d, g[gi].d,
                                       g[gi].pad, g[gi].pad, g[gi].pad, g[gi].pad, C,
                                       k_acts[k % N_ACTS], k % 3 == 0);
            k++;
            ok = check_conv(&d, seed + (uint64_t)k, &pl, "dwconv");
        }
    close_pools(&pl);
    CHECK(ok);
}

/* Random descriptors over the whole space (igemm, depthwise, Winograd). */
TEST(conv_random) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(5005);
    ktest_rng r = {seed};
    int ok = 1;
    for (int i = 0; i < 400 && ok; i++) {
        int64_t kh = ktest_int(&r, 1, 5), kw = ktest_int(&r, 1, 5);
        int64_t group = 1, C = ktest_int(&r, 1, 40), M = ktest_int(&r, 1, 40);
        int kind = (int)ktest_int(&r, 0, 3);
        if (kind == 1) { /* depthwise */
            group = C;
            M = C;
        } else if (kind == 2) { /* grouped */
            group = ktest_int(&r, 1, 4);
            C = group * ktest_int(&r, 1, 6);
            M = group * ktest_int(&r, 1, 6);
        }
        er_conv_desc d = make_desc(ktest_int(&r, 1, 2), ktest_int(&r, 1, 13), ktest_int(&r, 1, 13),
                                   C, M, kh, kw, ktest_int(&r, 1, 3), ktest_int(&r, 1, 3),
                                   ktest_int(&r, 1, 2), ktest_int(&r, 1, 2), ktest_int(&r, 0, 2),
                                   ktest_int(&r, 0, 2), ktest_int(&r, 0, 2), ktest_int(&r, 0, 2),
                                   group, k_acts[ktest_int(&r, 0, (int64_t)N_ACTS - 1)],
                                   (int)ktest_int(&r, 0, 1));
        if (d.OH < 1 || d.OW < 1) continue;
        ok = check_conv(&d, seed * 1000 + (uint64_t)i, &pl, NULL);
    }
    close_pools(&pl);
    CHECK(ok);
}

/* Winograd-eligible shapes: 3x3 stride 1, C >= 16, M >= 32, enough tiles;
 * output sizes that are and are not multiples of the 4x4 tile, pads 0 and
 * 1, batch 2, every activation, residual. The last shape has too few tiles
 * and must stay on the direct path. */
TEST(conv_winograd_shapes) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(6006);
    int ok = 1;
    struct { int64_t n, h, w, c, m, pad; const char *want; } s[] = {
        {1, 16, 16, 32, 32, 1, "winograd"}, {1, 15, 13, 64, 48, 1, "winograd"},
        {2, 9, 10, 33, 40, 1, "winograd"},  {1, 14, 14, 64, 64, 1, "winograd"},
        {1, 18, 22, 32, 35, 0, "winograd"}, {2, 12, 11, 48, 64, 1, "winograd"},
        {1, 17, 17, 40, 32, 1, "winograd"}, {1, 16, 16, 128, 96, 1, "winograd"},
        {1, 19, 21, 16, 64, 1, "winograd"}, {1, 13, 14, 17, 33, 1, "winograd"},
        {1, 3, 3, 40, 32, 1, "igemm"}, {1, 16, 16, 15, 64, 1, "igemm"},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0] && ok; i++)
        for (size_t ai = 0; ai < N_ACTS && ok; ai += 3) {
            er_conv_desc d = make_desc(s[i].n, s[i].h, s[i].w, s[i].c, s[i].m, 3, 3, 1, 1, 1, 1,
                                       s[i].pad, s[i].pad, s[i].pad, s[i].pad, 1,
                                       k_acts[(i + ai) % N_ACTS], (int)((i + ai) & 1));
            ok = check_conv(&d, seed + i * 16 + ai, &pl, s[i].want);
        }
    close_pools(&pl);
    CHECK(ok);
}

/* A bad descriptor is an error with a message, not a crash. */
TEST(conv_plan_rejects_bad_desc) {
    er_act none = {ER_ACT_NONE, 0, 0, 0, 0};
    er_conv_desc d = make_desc(1, 4, 4, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, none, 0);
    float w[64] = {0};
    er_conv_plan *p = (er_conv_plan *)&d;
    CHECK_STATUS(er_conv_plan_create(&d, w, NULL, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK(p == NULL);
    CHECK_ERROR_HAS("group must divide");
    er_conv_plan_free(NULL);
}
