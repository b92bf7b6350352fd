/* test_gemm.c - every GEMM microkernel row of gemm.inc, the weight packing
 * and the dense API, against plain double-precision loops.
 *
 * Microkernels: every mr in 1..MR, nc around the tile width (1, NR-1, NR,
 * NR+1, 2NR+1, 3NR), kc and ks from 1 up (padding taps on the zero row),
 * with and without residual and clamp; C has a row stride wider than nc
 * and guard values that must survive. Variants whose ISA this CPU lacks
 * are counted as skipped and printed. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "cpu/gemm/dense.h"
#include "cpu/gemm/gemm.h"
#include "kernel_util.h"
#include "test.h"

#define GUARD_VAL 777.0f

static int check_ukernel(const er_f32_gemm_ukernel *u, size_t mr, size_t nc, size_t kc,
                         size_t ks, int residual, int clamp, uint64_t seed) {
    ktest_rng r = {seed};
    const size_t MR = (size_t)u->mr, cs = nc + 5, zs = nc + 3;
    float *in = malloc(ks * MR * kc * sizeof(float)), *zero = calloc(kc, sizeof(float));
    const float **a = malloc(ks * MR * sizeof(float *));
    ktest_fill(&r, in, ks * MR * kc, -1, 1);
    for (size_t t = 0; t < ks; t++)
        for (size_t i = 0; i < MR; i++)
            a[t * MR + i] = (t + i) % 5 == 3 ? zero : in + (t * MR + i) * kc;
    float *w = malloc(ks * kc * nc * sizeof(float)), *b = malloc(nc * sizeof(float));
    ktest_fill(&r, w, ks * kc * nc, -1, 1);
    ktest_fill(&r, b, nc, -1, 1);
    size_t np = er_f32_gemm_packed_floats((int64_t)nc, (int64_t)(ks * kc), u->nr);
    float *packed = er_aligned_alloc(np * sizeof(float));
    /* w is [ks][kc][nc] */
    er_f32_gemm_pack((int64_t)nc, (int64_t)ks, (int64_t)kc, u->nr, w, (int64_t)(kc * nc),
                     (int64_t)nc, 1, b, packed);
    float *z = malloc(mr * zs * sizeof(float)), *c = malloc((mr * cs + 7) * sizeof(float));
    ktest_fill(&r, z, mr * zs, -1, 1);
    for (size_t i = 0; i < mr * cs + 7; i++) c[i] = GUARD_VAL;
    er_f32_minmax_params p = {clamp ? -0.5f : -INFINITY, clamp ? 0.75f : INFINITY};
    u->fn(mr, nc, kc, ks, a, packed, c, cs, residual ? z : NULL, zs, &p);
    int ok = 1;
    for (size_t i = 0; i < mr && ok; i++)
        for (size_t j = 0; j < cs && ok; j++) {
            float got = c[i * cs + j];
            if (j >= nc) {
                if (got != GUARD_VAL) {
                    printf("  %s mr %zu nc %zu kc %zu ks %zu: wrote c[%zu][%zu] outside the block "
                           "(seed %llu)\n", u->name, mr, nc, kc, ks, i, j, (unsigned long long)seed);
                    ok = 0;
                }
                continue;
            }
            double acc = b[j];
            for (size_t t = 0; t < ks; t++)
                for (size_t k = 0; k < kc; k++)
                    acc += (double)a[t * MR + i][k] * (double)w[(t * kc + k) * nc + j];
            if (residual) acc += z[i * zs + j];
            if (acc < p.min) acc = p.min;
            if (acc > p.max) acc = p.max;
            if (!(fabs(got - acc) <= 1e-4 * (fabs(acc) > 1 ? fabs(acc) : 1))) {
                printf("  %s mr %zu nc %zu kc %zu ks %zu res %d clamp %d seed %llu: c[%zu][%zu] = "
                       "%.7g, reference %.7g\n", u->name, mr, nc, kc, ks, residual, clamp,
                       (unsigned long long)seed, i, j, got, acc);
                ok = 0;
            }
        }
    for (size_t i = mr * cs; i < mr * cs + 7 && ok; i++)
        if (c[i] != GUARD_VAL) {
            printf("  %s: wrote past the last row (seed %llu)\n", u->name, (unsigned long long)seed);
            ok = 0;
        }
    free(in);
    free(zero);
    free(a);
    free(w);
    free(b);
    er_aligned_free(packed);
    free(z);
    free(c);
    return ok;
}

TEST(gemm_ukernels) {
    size_t n;
    const er_f32_gemm_ukernel *list = er_f32_gemm_ukernels(&n);
    er_isa best = er_isa_detected();
    int tested = 0, skipped = 0;
    uint64_t seed = ktest_seed(9001);
    for (size_t v = 0; v < n; v++) {
        const er_f32_gemm_ukernel *u = &list[v];
        if (u->isa > best || (best == ER_ISA_NEON && u->isa != ER_ISA_SCALAR)) {
            skipped++;
            continue;
        }
        tested++;
        const size_t NR = (size_t)u->nr;
        const size_t ncs[] = {1, NR - 1, NR, NR + 1, 2 * NR + 1, 3 * NR};
        const size_t kcs[] = {1, 3, 16, 37};
        for (size_t mr = 1; mr <= (size_t)u->mr; mr++)
            for (size_t ni = 0; ni < 6; ni++)
                for (size_t ki = 0; ki < 4; ki++)
                    for (size_t ks = 1; ks <= 3; ks += 2) {
                        if (ncs[ni] == 0) continue;
                        int variant = (int)(mr + ni + ki + ks);
                        CHECK(check_ukernel(u, mr, ncs[ni], kcs[ki], ks, variant & 1,
                                            (variant >> 1) & 1, seed++));
                    }
    }
    printf("  gemm microkernels: %d tested, %d skipped (ISA not on this CPU)\n", tested, skipped);
    CHECK(tested > 0);
}

/* The per-ISA choice: the level's variant with the least column padding. */
TEST(gemm_pick) {
    const er_f32_gemm_ukernel *u = er_f32_gemm_pick(ER_ISA_SCALAR, 10);
    CHECK(u != NULL);
    CHECK_EQ_INT(u->isa, ER_ISA_SCALAR);
    if (er_isa_detected() == ER_ISA_AVX512) {
        CHECK(er_f32_gemm_pick(ER_ISA_AVX512, 16)->nr == 16);
        CHECK(er_f32_gemm_pick(ER_ISA_AVX512, 64)->nr == 32);
        CHECK_EQ_INT(er_f32_gemm_pick(ER_ISA_AVX2, 64)->isa, ER_ISA_AVX2);
        CHECK(er_f32_gemm_pick(ER_ISA_AVX512, 24)->nr == 24); /* AVX2's 4x24: no padding */
    }
}

static int check_dense(const er_dense_desc *d, int64_t rows, er_isa isa, er_threadpool *pool,
                       uint64_t seed) {
    ktest_rng r = {seed};
    size_t nx = (size_t)(rows * d->K), ny = (size_t)(rows * d->N), nw = (size_t)(d->K * d->N);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)d->N * 4);
    float *z = malloc(ny * 4), *y = malloc((ny + 9) * 4), *ref = malloc(ny * 4);
    ktest_fill(&r, x, nx, -1, 1);
    ktest_fill(&r, w, nw, -1, 1);
    ktest_fill(&r, b, (size_t)d->N, -1, 1);
    ktest_fill(&r, z, ny, -1, 1);
    er_dense_ref(d, rows, x, w, b, d->has_residual ? z : NULL, ref);
    er_dense_plan *p;
    int ok = er_dense_plan_create(d, w, b, isa, 3, &p) == ER_OK;
    if (ok) {
        void *scratch = er_aligned_alloc(er_dense_scratch_bytes(p));
        for (int i = 0; i < 9; i++) y[ny + i] = GUARD_VAL;
        er_dense_run(p, rows, x, z, y, scratch, pool);
        long bad = ktest_first_bad(y, ref, ny, 1e-4);
        int guard = 1;
        for (int i = 0; i < 9; i++) guard &= y[ny + i] == GUARD_VAL;
        if (bad >= 0 || !guard) {
            printf("  %s (%s) K %lld N %lld rows %lld transposed %d act %s res %d threads %d "
                   "seed %llu: ", er_dense_algo(p), er_isa_name(isa), (long long)d->K,
                   (long long)d->N, (long long)rows, d->w_transposed, er_act_name(d->act.kind),
                   d->has_residual, er_threadpool_size(pool), (unsigned long long)seed);
            if (bad >= 0) printf("y[%ld] = %.7g, reference %.7g\n", bad, y[bad], ref[bad]);
            else printf("wrote past y\n");
            ok = 0;
        }
        er_aligned_free(scratch);
        er_dense_plan_free(p);
    } else {
        printf("  dense plan failed: %s\n", er_last_error());
    }
    free(x);
    free(w);
    free(b);
    free(z);
    free(y);
    free(ref);
    return ok;
}

TEST(dense) {
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    er_threadpool *pool2 = NULL;
    CHECK_STATUS(er_threadpool_create(2, &pool2), ER_OK);
    const er_act acts[] = {{ER_ACT_NONE, 0, 0, 0, 0}, {ER_ACT_RELU, 0, 0, 0, 0},
                           {ER_ACT_CLIP, 0, 0, -0.2f, 0.3f}, {ER_ACT_SIGMOID, 0, 0, 0, 0},
                           {ER_ACT_HARD_SWISH, 0, 0, 0, 0}};
    struct { int64_t K, N, rows; } s[] = {{1, 1, 1},   {3, 7, 2},     {17, 33, 5},
                                           {64, 16, 1}, {100, 1000, 1}, {1280, 100, 3},
                                           {33, 129, 8}, {512, 10, 15}};
    uint64_t seed = ktest_seed(9100);
    int ok = 1;
    for (int li = 0; li < nl && ok; li++)
        for (size_t i = 0; i < sizeof s / sizeof s[0] && ok; i++)
            for (int tr = 0; tr < 2 && ok; tr++) {
                er_dense_desc d = {s[i].K, s[i].N, tr, acts[(i + (size_t)tr) % 5], (int)(i & 1)};
                ok = check_dense(&d, s[i].rows, levels[li], (i & 1) ? pool2 : NULL, seed++);
            }
    er_threadpool_free(pool2);
    CHECK(ok);
}

TEST(dense_rejects_bad_desc) {
    er_dense_desc d = {0, 4, 0, {ER_ACT_NONE, 0, 0, 0, 0}, 0};
    float w[4] = {0};
    er_dense_plan *p = (er_dense_plan *)&d;
    CHECK_STATUS(er_dense_plan_create(&d, w, NULL, ER_ISA_SCALAR, 1, &p), ER_ERR_INVALID_ARG);
    CHECK(p == NULL);
    CHECK_ERROR_HAS("sizes must be positive");
    er_dense_plan_free(NULL);
}
