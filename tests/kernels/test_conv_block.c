/* test_conv_block.c - the fused block (cpu/conv/conv_block.h) against the
 * chain of its stages.
 *
 * Each case builds a random block (forms expand->dw->project, expand->dw,
 * dw->project, with channel means of the depthwise output, and the scaled
 * project), runs it at every ISA level the CPU has with no pool and with
 * pools of 2 and 3 threads, and checks:
 *   - against er_conv_ref applied stage by stage (the scale as a separate
 *     multiply, the means in double): |got - ref| <= 1e-4 * max(1, |ref|);
 *   - y against the unfused chain (er_conv_run per stage at the same level):
 *     bit-identical, since the block runs the same kernels in the same
 *     summation order (conv_block.h); not for the scaled form, which folds
 *     the scale into the weights;
 *   - y bit-identical across thread counts; nothing written past y or the
 *     means.
 * A failure prints the stages, level, threads, seed and the first bad index. */
#include <string.h>

#include "core/alloc.h"
#include "cpu/conv/conv_block.h"
#include "kernel_util.h"
#include "test.h"

#define GUARD 19
#define GUARD_VAL 12345.0f

static const er_act k_acts[] = {
    {ER_ACT_NONE, 0, 0, 0, 0},          {ER_ACT_RELU, 0, 0, 0, 0},
    {ER_ACT_CLIP, 0, 0, 0.0f, 6.0f},     {ER_ACT_LEAKY_RELU, 0.1f, 0, 0, 0},
    {ER_ACT_SIGMOID, 0, 0, 0, 0},        {ER_ACT_HARD_SIGMOID, 0.2f, 0.5f, 0, 0},
    {ER_ACT_HARD_SWISH, 0, 0, 0, 0},     {ER_ACT_SILU, 0, 0, 0, 0},
    {ER_ACT_TANH, 0, 0, 0, 0},           {ER_ACT_CLIP, 0, 0, -0.3f, 0.4f},
};
#define N_ACTS ((int)(sizeof k_acts / sizeof k_acts[0]))

/* Forms (conv_block.h). */
enum { FORM_EDP, FORM_ED, FORM_DP, FORM_ED_MEAN, FORM_D_MEAN, FORM_P_SCALE, FORM_COUNT };
static const char *const k_forms[FORM_COUNT] = {"expand-dw-project", "expand-dw", "dw-project",
                                                "expand-dw+mean", "dw+mean", "project*scale"};

typedef struct block_case {
    int form;
    int64_t N, H, W, C, E, M, K, stride, pt, pl, pb, pr;
    int act[3], residual;
} block_case;

static void pointwise(er_conv_desc *d, int64_t N, int64_t H, int64_t W, int64_t C, int64_t M,
                      er_act act, int res) {
    memset(d, 0, sizeof *d);
    d->N = N;
    d->H = d->OH = H;
    d->W = d->OW = W;
    d->C = C;
    d->M = M;
    d->KH = d->KW = d->stride_h = d->stride_w = d->dil_h = d->dil_w = d->group = 1;
    d->act = act;
    d->has_residual = res;
}

static er_conv_block_desc make_block(const block_case *c) {
    er_conv_block_desc b;
    memset(&b, 0, sizeof b);
    b.has_expand = c->form == FORM_EDP || c->form == FORM_ED || c->form == FORM_ED_MEAN;
    b.has_dw = c->form != FORM_P_SCALE;
    b.has_project = c->form == FORM_EDP || c->form == FORM_DP || c->form == FORM_P_SCALE;
    b.has_scale = c->form == FORM_P_SCALE;
    b.has_mean = c->form == FORM_ED_MEAN || c->form == FORM_D_MEAN;
    int64_t E = b.has_expand ? c->E : c->C, OH = c->H, OW = c->W;
    if (b.has_expand) pointwise(&b.expand, c->N, c->H, c->W, c->C, E, k_acts[c->act[0]], 0);
    if (b.has_dw) {
        er_conv_desc *d = &b.dw;
        d->N = c->N;
        d->H = c->H;
        d->W = c->W;
        d->C = d->M = d->group = E;
        d->KH = d->KW = c->K;
        d->stride_h = d->stride_w = c->stride;
        d->dil_h = d->dil_w = 1;
        d->pad_top = c->pt;
        d->pad_left = c->pl;
        d->pad_bottom = c->pb;
        d->pad_right = c->pr;
        d->OH = OH = er_conv_out_size(c->H, c->K, c->stride, 1, c->pt, c->pb);
        d->OW = OW = er_conv_out_size(c->W, c->K, c->stride, 1, c->pl, c->pr);
        d->act = k_acts[c->act[1]];
    }
    if (b.has_project)
        pointwise(&b.project, c->N, OH, OW, E, c->M, k_acts[c->act[2]], c->residual);
    return b;
}

static void print_case(const block_case *c) {
    printf("    %s N%lld H%lld W%lld C%lld E%lld M%lld k%lld s%lld pad %lld,%lld,%lld,%lld acts "
           "%s/%s/%s res %d\n",
           k_forms[c->form], (long long)c->N, (long long)c->H, (long long)c->W, (long long)c->C,
           (long long)c->E, (long long)c->M, (long long)c->K, (long long)c->stride,
           (long long)c->pt, (long long)c->pl, (long long)c->pb, (long long)c->pr,
           er_act_name(k_acts[c->act[0]].kind), er_act_name(k_acts[c->act[1]].kind),
           er_act_name(k_acts[c->act[2]].kind), c->residual);
}

static size_t out_floats(const er_conv_desc *d) { return (size_t)(d->N * d->OH * d->OW * d->M); }

typedef struct stage_data {
    float *w[3], *b[3];
} stage_data;

/* Runs the stages one by one: reference (plans == NULL) or unfused plans.
 * t1: the expand output; t2: the depthwise output (or the scaled input);
 * mean: the depthwise output's channel means (in double), when asked. */
static void run_chain(const er_conv_block_desc *b, const stage_data *s, er_conv_plan *const *plans,
                      const float *x, const float *z, const float *scale, float *t1, float *t2,
                      float *y, float *mean) {
    const float *in = x;
    void *sc = NULL;
    if (plans) {
        size_t sb = 64;
        for (int i = 0; i < 3; i++)
            if (plans[i] && er_conv_scratch_bytes(plans[i]) > sb)
                sb = er_conv_scratch_bytes(plans[i]);
        sc = er_aligned_alloc(sb);
    }
    if (b->has_expand) {
        if (plans) er_conv_run(plans[0], in, NULL, t1, sc, NULL);
        else er_conv_ref(&b->expand, in, s->w[0], s->b[0], NULL, t1);
        in = t1;
    }
    if (b->has_dw) {
        float *dout = b->has_project ? t2 : y;
        if (plans) er_conv_run(plans[1], in, NULL, dout, sc, NULL);
        else er_conv_ref(&b->dw, in, s->w[1], s->b[1], NULL, dout);
        if (mean) {
            const er_conv_desc *d = &b->dw;
            for (int64_t n = 0; n < d->N; n++)
                for (int64_t k = 0; k < d->M; k++) {
                    double acc = 0;
                    for (int64_t p = 0; p < d->OH * d->OW; p++)
                        acc += dout[(n * d->OH * d->OW + p) * d->M + k];
                    mean[n * d->M + k] = (float)(acc / (double)(d->OH * d->OW));
                }
        }
        in = dout;
    }
    if (b->has_project) {
        if (b->has_scale) {
            const er_conv_desc *p = &b->project;
            for (int64_t n = 0; n < p->N; n++)
                for (int64_t q = 0; q < p->H * p->W; q++)
                    for (int64_t k = 0; k < p->C; k++) {
                        size_t i = (size_t)((n * p->H * p->W + q) * p->C + k);
                        t2[i] = in[i] * scale[n * p->C + k];
                    }
            in = t2;
        }
        const float *zz = b->project.has_residual ? z : NULL;
        if (plans) er_conv_run(plans[2], in, zz, y, sc, NULL);
        else er_conv_ref(&b->project, in, s->w[2], s->b[2], zz, y);
    }
    er_aligned_free(sc);
}

typedef struct pools {
    er_threadpool *p[3];
    int n[3];
} pools;

static int g_levels_reported;

static void report(const er_conv_block_plan *p, er_isa isa, int threads, uint64_t seed) {
    printf("  %s (%s) threads %d seed %llu: ", er_conv_block_algo(p), er_isa_name(isa), threads,
           (unsigned long long)seed);
}

static int check_block(const block_case *c, uint64_t seed, const pools *pl) {
    er_conv_block_desc b = make_block(c);
    const er_conv_desc *st[3] = {b.has_expand ? &b.expand : NULL, b.has_dw ? &b.dw : NULL,
                                 b.has_project ? &b.project : NULL};
    const er_conv_desc *last = b.has_project ? &b.project : &b.dw;
    ktest_rng r = {seed};
    stage_data s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < 3; i++) {
        if (!st[i]) continue;
        size_t nw = (size_t)(st[i]->M * (st[i]->C / st[i]->group) * st[i]->KH * st[i]->KW);
        s.w[i] = malloc(nw * sizeof(float));
        s.b[i] = malloc((size_t)st[i]->M * sizeof(float));
        ktest_fill(&r, s.w[i], nw, -1, 1);
        ktest_fill(&r, s.b[i], (size_t)st[i]->M, -0.5f, 0.5f);
    }
    int64_t E = b.has_dw ? b.dw.C : b.project.C;
    size_t nx = (size_t)(c->N * c->H * c->W * (b.has_expand ? c->C : E)), ny = out_floats(last);
    size_t n1 = b.has_expand ? out_floats(&b.expand) : 1;
    size_t n2 = b.has_dw ? out_floats(&b.dw) : nx, nm = (size_t)(c->N * E);
    float *x = malloc(nx * sizeof(float)), *z = malloc(ny * sizeof(float));
    float *sc = malloc(nm * sizeof(float));
    float *t1 = malloc(n1 * sizeof(float)), *t2 = malloc(n2 * sizeof(float));
    float *ref = malloc(ny * sizeof(float)), *unf = malloc(ny * sizeof(float));
    float *mref = malloc(nm * sizeof(float)), *mean = malloc((nm + GUARD) * sizeof(float));
    float *y = malloc((ny + GUARD) * sizeof(float)), *y0 = malloc(ny * sizeof(float));
    ktest_fill(&r, x, nx, -1, 1);
    ktest_fill(&r, z, ny, -1, 1);
    ktest_fill(&r, sc, nm, 0, 1.5f);
    run_chain(&b, &s, NULL, x, z, sc, t1, t2, ref, b.has_mean ? mref : NULL);
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped), ok = 1;
    if (!g_levels_reported) {
        g_levels_reported = 1;
        printf("  conv block: testing %d ISA level(s), %d skipped (not on this CPU)\n", nl,
               skipped);
    }
    for (int li = 0; li < nl && ok; li++) {
        er_conv_plan *plans[3] = {NULL, NULL, NULL};
        er_conv_block_plan *p = NULL;
        for (int i = 0; i < 3 && ok; i++)
            if (st[i] &&
                er_conv_plan_create(st[i], s.w[i], s.b[i], levels[li], 1, &plans[i]) != ER_OK)
                ok = 0;
        const float *const wv[3] = {s.w[0], s.w[1], s.w[2]};
        const float *const bv[3] = {s.b[0], s.b[1], s.b[2]};
        if (ok && er_conv_block_plan_create(&b, wv, bv, levels[li], 3, &p) != ER_OK) ok = 0;
        if (!ok) {
            printf("  plan failed at %s: %s\n", er_isa_name(levels[li]), er_last_error());
            print_case(c);
        }
        if (ok) run_chain(&b, &s, plans, x, z, sc, t1, t2, unf, NULL);
        size_t sb = ok ? er_conv_block_scratch_bytes(p) : 0;
        void *scratch = sb ? er_aligned_alloc(sb) : NULL;
        for (int t = 0; t < 3 && ok; t++) {
            for (int i = 0; i < GUARD; i++) y[ny + i] = mean[nm + i] = GUARD_VAL;
            memset(y, 0xff, ny * sizeof(float)); /* NaNs: unwritten outputs fail */
            memset(mean, 0xff, nm * sizeof(float));
            er_conv_block_io io = {x, z, sc, y, mean};
            er_conv_block_run(p, &io, scratch, pl->p[t]);
            long bad = ktest_first_bad(y, ref, ny, 1e-4);
            long mbad = b.has_mean ? ktest_first_bad(mean, mref, nm, 1e-4) : -1;
            int guard_ok = 1;
            for (int i = 0; i < GUARD; i++)
                guard_ok &= y[ny + i] == GUARD_VAL && mean[nm + i] == GUARD_VAL;
            if (t == 0) memcpy(y0, y, ny * sizeof(float));
            int same_threads = memcmp(y, y0, ny * sizeof(float)) == 0;
            int same_unfused = b.has_scale || memcmp(y, unf, ny * sizeof(float)) == 0;
            if (bad >= 0 || mbad >= 0 || !guard_ok || !same_threads || !same_unfused) {
                report(p, levels[li], pl->n[t], seed);
                if (bad >= 0) {
                    printf("y[%ld] = %.7g, reference %.7g\n", bad, y[bad], ref[bad]);
                } else if (mbad >= 0) {
                    printf("mean[%ld] = %.7g, reference %.7g\n", mbad, mean[mbad], mref[mbad]);
                } else if (!guard_ok) {
                    printf("wrote past the end of y or mean\n");
                } else if (!same_threads) {
                    printf("result differs from the 1-thread run\n");
                } else {
                    size_t i = 0;
                    while (i < ny && memcmp(&y[i], &unf[i], sizeof(float)) == 0) i++;
                    printf("y[%zu] = %.9g differs from the unfused chain's %.9g\n", i, y[i],
                           unf[i]);
                }
                print_case(c);
                ok = 0;
            }
        }
        er_aligned_free(scratch);
        er_conv_block_plan_free(p);
        for (int i = 0; i < 3; i++) er_conv_plan_free(plans[i]);
    }
    for (int i = 0; i < 3; i++) {
        free(s.w[i]);
        free(s.b[i]);
    }
    free(x);
    free(z);
    free(sc);
    free(t1);
    free(t2);
    free(ref);
    free(unf);
    free(mref);
    free(mean);
    free(y);
    free(y0);
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

static int has_project(int form) {
    return form == FORM_EDP || form == FORM_DP || form == FORM_P_SCALE;
}

/* The grid of the brief: odd channel counts, expansion factors, K 3 and 5,
 * stride 1 and 2, odd H/W, residual on/off, every activation at every stage
 * (cycled), each form, batch 1 and 2. */
TEST(conv_block_grid) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(7007);
    static const int64_t chans[] = {1, 3, 7, 17, 33};
    static const int64_t factors[] = {1, 3, 6};
    int ok = 1, k = 0;
    for (int form = 0; form < FORM_COUNT && ok; form++)
        for (size_t ci = 0; ci < 5 && ok; ci++)
            for (int64_t K = 3; K <= 5 && ok; K += 2)
                for (int64_t s = 1; s <= 2 && ok; s++) {
                    block_case c;
                    memset(&c, 0, sizeof c);
                    c.form = form;
                    c.N = 1 + (k % 4 == 3);
                    c.H = 5 + 2 * (int64_t)((ci + (size_t)K) % 4); /* 5, 7, 9, 11 */
                    c.W = 3 + 4 * (int64_t)((ci + (size_t)s) % 3); /* 3, 7, 11 */
                    c.C = chans[ci];
                    c.E = c.C * factors[(ci + (size_t)s) % 3];
                    c.M = k % 2 ? c.C : chans[(ci + 2) % 5];
                    c.K = K;
                    c.stride = s;
                    c.pt = c.pl = c.pb = c.pr = K / 2;
                    for (int i = 0; i < 3; i++) c.act[i] = (k + 3 * i) % N_ACTS;
                    c.residual = has_project(form) && k % 3 != 1;
                    k++;
                    ok = check_block(&c, seed + (uint64_t)k, &pl);
                }
    close_pools(&pl);
    CHECK(ok);
}

/* Asymmetric and missing padding (SAME_UPPER-style stride 2: no top pad),
 * windows taller than the image, one-pixel images, wide rows (many pixel
 * tiles), random everything else. */
TEST(conv_block_random) {
    pools pl;
    CHECK(open_pools(&pl));
    uint64_t seed = ktest_seed(7117);
    ktest_rng r = {seed};
    int ok = 1;
    for (int i = 0; i < 200 && ok; i++) {
        block_case c;
        memset(&c, 0, sizeof c);
        c.form = (int)ktest_int(&r, 0, FORM_COUNT - 1);
        c.N = ktest_int(&r, 1, 2);
        c.H = ktest_int(&r, 1, 12);
        c.W = ktest_int(&r, 1, i % 10 == 0 ? 60 : 13);
        c.C = ktest_int(&r, 1, 40);
        c.E = ktest_int(&r, 1, 70);
        c.M = ktest_int(&r, 1, 40);
        c.K = ktest_int(&r, 1, 7);
        c.stride = ktest_int(&r, 1, 3);
        c.pt = ktest_int(&r, 0, c.K - 1);
        c.pl = ktest_int(&r, 0, c.K - 1);
        c.pb = ktest_int(&r, 0, c.K - 1);
        c.pr = ktest_int(&r, 0, c.K - 1);
        for (int k = 0; k < 3; k++) c.act[k] = (int)ktest_int(&r, 0, N_ACTS - 1);
        c.residual = (int)ktest_int(&r, 0, 1) && has_project(c.form);
        if (c.form != FORM_P_SCALE && (er_conv_out_size(c.H, c.K, c.stride, 1, c.pt, c.pb) < 1 ||
                                       er_conv_out_size(c.W, c.K, c.stride, 1, c.pl, c.pr) < 1))
            continue;
        ok = check_block(&c, seed * 1000 + (uint64_t)i, &pl);
    }
    close_pools(&pl);
    CHECK(ok);
}

/* Stages that do not chain, or are not of the kinds the block runs, are an
 * error with a message. */
TEST(conv_block_rejects_bad_desc) {
    block_case c = {FORM_EDP, 1, 6, 6, 4, 8, 5, 3, 1, 1, 1, 1, 1, {0, 0, 0}, 0};
    er_conv_block_desc good = make_block(&c), b;
    float w[8 * 8 * 9] = {0};
    const float *const wv[3] = {w, w, w}, *const bv[3] = {NULL, NULL, NULL};
    er_conv_block_plan *p = NULL;
    CHECK_STATUS(er_conv_block_plan_create(&good, wv, bv, ER_ISA_SCALAR, 1, &p), ER_OK);
    er_conv_block_plan_free(p);
    b = good;
    b.dw.group = 1; /* not depthwise */
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK(p == NULL);
    CHECK_ERROR_HAS("depthwise");
    b = good;
    b.dw.dil_h = 2;
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    b = good;
    b.expand.M = 7; /* does not produce the depthwise input */
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("expand");
    b = good;
    b.expand.KH = b.expand.KW = 3;
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    b = good;
    b.project.H = 5; /* not the depthwise output */
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("project");
    b = good;
    b.project.stride_h = 2;
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    b = good;
    b.dw.KH = 17;
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    b = good;
    b.has_dw = 0; /* expand -> project is not a form */
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("form");
    b = good;
    b.has_project = 0;
    b.has_scale = 1; /* a scale without the project stage */
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    b = good;
    b.has_expand = b.has_dw = 0;
    b.has_mean = 1; /* means without the depthwise stage */
    b.has_scale = 1;
    CHECK_STATUS(er_conv_block_plan_create(&b, wv, bv, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
}
