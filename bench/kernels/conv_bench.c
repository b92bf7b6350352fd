/* conv_bench.c - convolution kernel microbenchmark on the conv layers of the
 * torchvision models (bench/kernels/model_convs.h).
 *
 *   conv_bench [--model NAME] [--isa scalar|avx2|avx512|all] [--threads N]
 *              [--min-ms MS] [--totals] [--cold]
 *
 * For each model: every distinct conv shape (with how often it occurs), its
 * algorithm, time, GFLOP/s and % of the measured FMA peak of one core times
 * the thread count; then the model's total conv time (sum over all its
 * layers). Peak: an FMA loop with 12 independent accumulators at the
 * level's vector width (scalar: 4-float vector multiply + add, what its
 * portable kernels compile to), measured at start. Inputs are random and stay in
 * cache between repetitions (a model run reads them from the previous
 * layer's output, usually also in L2/L3). Weights stay in cache too unless
 * --cold: then a 96 MiB buffer is swept before every run, so the packed
 * weights come from DRAM as in a whole-model run of a large model.
 *
 * Time is the minimum over the repetitions, and with one thread it is the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on a shared machine other
 * processes then only cost cache misses, not the time slices they take.
 * Not a test: numbers depend on the machine and its load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/cpu_features.h"
#include "core/threadpool.h"
#include "cpu/conv/conv.h"

typedef struct layer {
    const char *model;
    int H, W, C, M, KH, KW, stride, pad, group;
    er_act_kind act;
    int residual;
} layer;

static const layer k_layers[] = {
#include "model_convs.h"
};
#define N_LAYERS (sizeof k_layers / sizeof k_layers[0])

static int g_cpu_clock = 1; /* time with the thread's CPU clock (1 thread) */

static double now_s(void) {
    struct timespec t;
    clock_gettime(g_cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int g_cold;
static float *g_flush;
#define FLUSH_FLOATS (96u << 18) /* 96 MiB */

/* Evicts the caches (--cold): reads and writes a buffer larger than L3. */
static void flush_caches(void) {
    if (!g_cold) return;
    for (size_t i = 0; i < FLUSH_FLOATS; i += 16) g_flush[i] += 1.0f;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static double peak_avx512(long n) {
    __m512 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i * 1e-3f);
    const __m512 b = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-4f);
    double t = now_s();
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
    t = now_s() - t;
    __m512 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return (double)n * 12 * 32 / t;
}
__attribute__((target("avx2,fma"))) static double peak_avx2(long n) {
    __m256 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i * 1e-3f);
    const __m256 b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-4f);
    double t = now_s();
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
    t = now_s() - t;
    float o[8];
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    _mm256_storeu_ps(o, s);
    volatile float sink = o[0];
    (void)sink;
    return (double)n * 12 * 16 / t;
}
#endif

/* The scalar level's kernels use 4-float vector types with separate
 * multiply and add (no FMA in baseline x86-64): its peak is measured the
 * same way. */
typedef float v4f __attribute__((vector_size(16)));
static double peak_scalar(long n) {
    v4f a[12];
    for (int i = 0; i < 12; i++) a[i] = (v4f){1e-3f * (float)i, 0, 0, 0};
    const v4f b = {0.9999f, 0.9999f, 0.9999f, 0.9999f}, c = {1e-4f, 1e-4f, 1e-4f, 1e-4f};
    double t = now_s();
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++) a[i] = a[i] * b + c;
    t = now_s() - t;
    v4f s = a[0];
    for (int i = 1; i < 12; i++) s += a[i];
    volatile float sink = s[0];
    (void)sink;
    return (double)n * 12 * 8 / t;
}

/* FLOP/s one core can do at this level (best of 3 short runs). */
static double peak_flops(er_isa isa) {
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double v = 0;
#if defined(__x86_64__)
        if (isa == ER_ISA_AVX512) v = peak_avx512(20000000);
        else if (isa == ER_ISA_AVX2) v = peak_avx2(20000000);
#endif
        if (isa == ER_ISA_SCALAR || isa == ER_ISA_NEON) v = peak_scalar(20000000);
        if (v > best) best = v;
    }
    return best;
}

static er_conv_desc desc_of(const layer *l) {
    er_conv_desc d;
    memset(&d, 0, sizeof d);
    d.N = 1;
    d.H = l->H;
    d.W = l->W;
    d.C = l->C;
    d.M = l->M;
    d.KH = l->KH;
    d.KW = l->KW;
    d.stride_h = d.stride_w = l->stride;
    d.dil_h = d.dil_w = 1;
    d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = l->pad;
    d.group = l->group;
    d.OH = er_conv_out_size(d.H, d.KH, d.stride_h, 1, d.pad_top, d.pad_bottom);
    d.OW = er_conv_out_size(d.W, d.KW, d.stride_w, 1, d.pad_left, d.pad_right);
    d.act.kind = l->act;
    if (l->act == ER_ACT_CLIP) d.act.max = 6.0f;
    if (l->act == ER_ACT_HARD_SIGMOID) {
        d.act.alpha = 1.0f / 6.0f;
        d.act.beta = 0.5f;
    }
    d.has_residual = l->residual;
    return d;
}

static int same_layer(const layer *a, const layer *b) {
    return strcmp(a->model, b->model) == 0 && a->H == b->H && a->W == b->W && a->C == b->C &&
           a->M == b->M && a->KH == b->KH && a->KW == b->KW && a->stride == b->stride &&
           a->pad == b->pad && a->group == b->group && a->act == b->act &&
           a->residual == b->residual;
}

/* Fastest run in seconds, repeating for at least min_ms. */
static double time_layer(const layer *l, er_isa isa, er_threadpool *pool, int threads,
                         double min_ms, const char **algo) {
    er_conv_desc d = desc_of(l);
    size_t nx = (size_t)(d.H * d.W * d.C), ny = (size_t)(d.OH * d.OW * d.M);
    size_t nw = (size_t)(d.M * (d.C / d.group) * d.KH * d.KW);
    float *x = er_aligned_alloc(nx * 4), *w = er_aligned_alloc(nw * 4);
    float *b = er_aligned_alloc((size_t)d.M * 4), *y = er_aligned_alloc(ny * 4);
    float *z = er_aligned_alloc(ny * 4);
    unsigned s = 12345;
    for (size_t i = 0; i < nx; i++) x[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    for (size_t i = 0; i < (size_t)d.M; i++) b[i] = 0.1f;
    for (size_t i = 0; i < ny; i++) z[i] = 0.25f;
    er_conv_plan *p;
    if (er_conv_plan_create(&d, w, b, isa, threads, &p) != ER_OK) {
        fprintf(stderr, "plan failed: %s\n", er_last_error());
        exit(1);
    }
    *algo = er_conv_algo(p);
    size_t sb = er_conv_scratch_bytes(p);
    void *scratch = er_aligned_alloc(sb ? sb : 64);
    enum { MAXREP = 2000 };
    static double t[MAXREP];
    int n = 0;
    double start = now_s();
    for (int i = 0; i < 3; i++) er_conv_run(p, x, z, y, scratch, pool); /* warm up */
    while (n < MAXREP && (n < 5 || (now_s() - start) * 1e3 < min_ms)) {
        flush_caches();
        double t0 = now_s();
        er_conv_run(p, x, z, y, scratch, pool);
        t[n++] = now_s() - t0;
    }
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    /* The algorithm name is owned by the plan: keep a copy. */
    static char name[128];
    snprintf(name, sizeof name, "%s", *algo);
    *algo = name;
    er_aligned_free(scratch);
    er_conv_plan_free(p);
    er_aligned_free(x);
    er_aligned_free(w);
    er_aligned_free(b);
    er_aligned_free(y);
    er_aligned_free(z);
    return t[0];
}

int main(int argc, char **argv) {
    const char *model = NULL, *isa_arg = NULL;
    int threads = 1, show_layers = 1;
    double min_ms = 150;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) isa_arg = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-ms") && i + 1 < argc) min_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--totals")) show_layers = 0;
        else if (!strcmp(argv[i], "--cold")) g_cold = 1;
        else {
            fprintf(stderr, "usage: %s [--model NAME] [--isa scalar|avx2|avx512|all] "
                            "[--threads N] [--min-ms MS] [--totals] [--cold]\n", argv[0]);
            return 2;
        }
    }
    er_isa best = er_isa_detected(), isas[3];
    int nisa = 0;
    if (isa_arg && !strcmp(isa_arg, "all")) {
        isas[nisa++] = ER_ISA_SCALAR;
        if (best >= ER_ISA_AVX2 && best != ER_ISA_NEON) isas[nisa++] = ER_ISA_AVX2;
        if (best >= ER_ISA_AVX512 && best != ER_ISA_NEON) isas[nisa++] = ER_ISA_AVX512;
    } else if (isa_arg) {
        isas[nisa++] = !strcmp(isa_arg, "scalar") ? ER_ISA_SCALAR
                     : !strcmp(isa_arg, "avx2") ? ER_ISA_AVX2 : ER_ISA_AVX512;
        if (isas[0] > best) {
            fprintf(stderr, "this CPU lacks %s\n", isa_arg);
            return 1;
        }
    } else {
        isas[nisa++] = best;
    }
    g_cpu_clock = threads == 1;
    if (g_cold) {
        g_flush = er_aligned_alloc(FLUSH_FLOATS * sizeof(float));
        if (!g_flush) return 1;
        memset(g_flush, 0, FLUSH_FLOATS * sizeof(float));
    }
    er_threadpool *pool = NULL;
    if (threads > 1 && er_threadpool_create(threads, &pool) != ER_OK) return 1;
    for (int ii = 0; ii < nisa; ii++) {
        er_isa isa = isas[ii];
        double peak = peak_flops(isa) * threads;
        printf("== %s, %d thread(s), peak %.1f GFLOP/s (%s loop x %d core(s))\n",
               er_isa_name(isa), threads, peak / 1e9,
               isa == ER_ISA_SCALAR ? "4-float mul+add" : "FMA", threads);
        const char *cur = NULL;
        double total_t = 0, total_f = 0;
        for (size_t i = 0; i <= N_LAYERS; i++) {
            if (i == N_LAYERS || (cur && strcmp(cur, k_layers[i].model))) {
                if (cur && total_t > 0)
                    printf("%-20s total conv time %8.3f ms  %6.1f GFLOP/s  %5.1f%% of peak\n\n",
                           cur, total_t * 1e3, total_f / total_t / 1e9,
                           100 * total_f / total_t / peak);
                total_t = total_f = 0;
                if (i == N_LAYERS) break;
            }
            const layer *l = &k_layers[i];
            cur = l->model;
            if (model && strcmp(model, l->model)) continue;
            /* measure each distinct shape once, at its first occurrence */
            int first = 1, count = 0;
            for (size_t j = 0; j < N_LAYERS; j++)
                if (same_layer(&k_layers[j], l)) {
                    if (j < i) first = 0;
                    count++;
                }
            if (!first) continue;
            if (show_layers && total_t == 0)
                printf("%-20s %4s %-32s %5s %5s %5s %9s %8s %6s %6s\n", "model", "n", "algorithm",
                       "HxW", "C", "M", "kernel", "ms", "GFLOP/s", "%peak");
            const char *algo;
            double t = time_layer(l, isa, pool, threads, min_ms, &algo);
            er_conv_desc d = desc_of(l);
            double flop = 2.0 * (double)(d.OH * d.OW * d.M) * (double)(d.C / d.group) *
                          (double)(d.KH * d.KW);
            total_t += t * count;
            total_f += flop * count;
            if (show_layers) {
                char k[32];
                snprintf(k, sizeof k, "%dx%d/%d%s", l->KH, l->KW, l->stride,
                         l->group > 1 ? (l->group == l->C ? "dw" : "g") : "");
                printf("%-20s %4d %-32s %2dx%-3d %5d %5d %9s %8.4f %6.1f %5.1f%%%s\n", l->model,
                       count, algo, l->H, l->W, l->C, l->M, k, t * 1e3, flop / t / 1e9,
                       100 * flop / t / peak, l->residual ? " +res" : "");
            }
        }
    }
    er_threadpool_free(pool);
    er_aligned_free(g_flush);
    return 0;
}
