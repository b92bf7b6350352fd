/* qconv_bench.c - times the int8 NHWC convolution (cpu/qconv) on the conv
 * shapes of mobilenet_v2 and resnet18 (or one given shape), per ISA level and
 * extension mask: min over repeated runs (robust to a busy machine), GOP/s
 * (2 x MACs), the algorithm picked. A tool, not a test.
 *
 * usage: qconv_bench [--model mobilenet_v2|resnet18|all] [--reps N] [--threads N]
 *                    [--isa scalar|avx2|avx512] [--features MASK] [--int8|--uint8]
 *                    [--shape H,W,C,M,K,stride,group] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/threadpool.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qgemm.h"

typedef struct {
    const char *model;
    int64_t H, W, C, M, K, stride, group;
    int count; /* how often the model has this conv (0 = 1) */
} shape;

/* (input H, W, C) -> M with KxK, stride, group: every conv of the two models
 * (repeated layers listed once with their count in the comment) */
static const shape k_shapes[] = {
    {"mobilenet_v2", 224, 224, 3, 32, 3, 2, 1, 1},
    {"mobilenet_v2", 112, 112, 32, 32, 3, 1, 32, 1},
    {"mobilenet_v2", 112, 112, 32, 16, 1, 1, 1, 1},
    {"mobilenet_v2", 112, 112, 16, 96, 1, 1, 1, 1},
    {"mobilenet_v2", 112, 112, 96, 96, 3, 2, 96, 1},
    {"mobilenet_v2", 56, 56, 96, 24, 1, 1, 1, 1},
    {"mobilenet_v2", 56, 56, 24, 144, 1, 1, 1, 2},
    {"mobilenet_v2", 56, 56, 144, 144, 3, 1, 144, 1},
    {"mobilenet_v2", 56, 56, 144, 24, 1, 1, 1, 1},
    {"mobilenet_v2", 56, 56, 144, 144, 3, 2, 144, 1},
    {"mobilenet_v2", 28, 28, 144, 32, 1, 1, 1, 1},
    {"mobilenet_v2", 28, 28, 32, 192, 1, 1, 1, 3},
    {"mobilenet_v2", 28, 28, 192, 192, 3, 1, 192, 2},
    {"mobilenet_v2", 28, 28, 192, 32, 1, 1, 1, 2},
    {"mobilenet_v2", 28, 28, 192, 192, 3, 2, 192, 1},
    {"mobilenet_v2", 14, 14, 192, 64, 1, 1, 1, 1},
    {"mobilenet_v2", 14, 14, 64, 384, 1, 1, 1, 4},
    {"mobilenet_v2", 14, 14, 384, 384, 3, 1, 384, 4},
    {"mobilenet_v2", 14, 14, 384, 64, 1, 1, 1, 3},
    {"mobilenet_v2", 14, 14, 384, 96, 1, 1, 1, 1},
    {"mobilenet_v2", 14, 14, 96, 576, 1, 1, 1, 3},
    {"mobilenet_v2", 14, 14, 576, 576, 3, 1, 576, 2},
    {"mobilenet_v2", 14, 14, 576, 96, 1, 1, 1, 2},
    {"mobilenet_v2", 14, 14, 576, 576, 3, 2, 576, 1},
    {"mobilenet_v2", 7, 7, 576, 160, 1, 1, 1, 1},
    {"mobilenet_v2", 7, 7, 160, 960, 1, 1, 1, 3},
    {"mobilenet_v2", 7, 7, 960, 960, 3, 1, 960, 3},
    {"mobilenet_v2", 7, 7, 960, 160, 1, 1, 1, 2},
    {"mobilenet_v2", 7, 7, 960, 320, 1, 1, 1, 1},
    {"mobilenet_v2", 7, 7, 320, 1280, 1, 1, 1, 1},
    {"resnet18", 224, 224, 3, 64, 7, 2, 1, 1},
    {"resnet18", 56, 56, 64, 64, 3, 1, 1, 4},
    {"resnet18", 56, 56, 64, 128, 3, 2, 1, 1},
    {"resnet18", 28, 28, 128, 128, 3, 1, 1, 3},
    {"resnet18", 56, 56, 64, 128, 1, 2, 1, 1},
    {"resnet18", 28, 28, 128, 256, 3, 2, 1, 1},
    {"resnet18", 14, 14, 256, 256, 3, 1, 1, 3},
    {"resnet18", 28, 28, 128, 256, 1, 2, 1, 1},
    {"resnet18", 14, 14, 256, 512, 3, 2, 1, 1},
    {"resnet18", 7, 7, 512, 512, 3, 1, 1, 3},
    {"resnet18", 14, 14, 256, 512, 1, 2, 1, 1},
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static double run_shape(const shape *s, er_isa isa, unsigned feat, int reps, er_threadpool *pool,
                        bool s8, char *algo, size_t algo_cap, double *gops) {
    er_qconv_desc d;
    memset(&d, 0, sizeof d);
    d.N = 1;
    d.H = s->H;
    d.W = s->W;
    d.C = s->C;
    d.M = s->M;
    d.KH = d.KW = s->K;
    d.stride_h = d.stride_w = s->stride;
    d.dil_h = d.dil_w = 1;
    d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = s->K / 2;
    d.group = s->group;
    d.OH = (d.H + 2 * (s->K / 2) - s->K) / s->stride + 1;
    d.OW = (d.W + 2 * (s->K / 2) - s->K) / s->stride + 1;
    d.x_dtype = s8 ? ER_I8 : ER_U8;
    d.w_dtype = d.y_dtype = ER_I8;
    d.x_zp = s8 ? -5 : 120;
    d.y_zp = -3;
    d.y_min = -128;
    d.y_max = 127;
    int64_t cg = d.C / d.group, wn = d.M * cg * s->K * s->K;
    uint8_t *w = malloc((size_t)wn), *x = malloc((size_t)(d.H * d.W * d.C));
    uint8_t *y = malloc((size_t)(d.OH * d.OW * d.M));
    int32_t *zp = calloc((size_t)d.M, sizeof(int32_t)), *bias = malloc(sizeof(int32_t) * (size_t)d.M);
    er_qmul *mul = malloc(sizeof(er_qmul) * (size_t)d.M);
    srand(1);
    for (int64_t i = 0; i < wn; i++) w[i] = (uint8_t)(rand() % 255 - 127);
    for (int64_t i = 0; i < d.H * d.W * d.C; i++) x[i] = (uint8_t)rand();
    for (int64_t m = 0; m < d.M; m++) {
        bias[m] = rand() % 10000 - 5000;
        mul[m] = er_quantize_multiplier(0.0007 * (1 + (m % 7) * 0.1));
    }
    er_qconv_plan *p;
    if (er_qconv_plan_create(&d, w, zp, bias, mul, isa, feat, er_threadpool_size(pool), &p) !=
        ER_OK) {
        fprintf(stderr, "plan: %s\n", er_last_error());
        exit(1);
    }
    snprintf(algo, algo_cap, "%s", er_qconv_algo(p));
    void *scratch = er_aligned_alloc(er_qconv_scratch_bytes(p) + 64);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        er_qconv_run(p, x, y, scratch, pool);
        double t = now_ms() - t0;
        if (t < best) best = t;
    }
    *gops = 2.0 * (double)(d.OH * d.OW * d.M * cg * s->K * s->K) / (best * 1e6);
    er_aligned_free(scratch);
    er_qconv_plan_free(p);
    free(w);
    free(x);
    free(y);
    free(zp);
    free(bias);
    free(mul);
    return best;
}

int main(int argc, char **argv) {
    const char *model = "all";
    int reps = 50, threads = 1;
    er_isa isa = er_isa_detected();
    unsigned feat = er_qfeatures_detected();
    bool s8 = true;
    shape one = {0};
    bool have_one = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--features") && i + 1 < argc) feat = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--uint8")) s8 = false;
        else if (!strcmp(argv[i], "--int8")) s8 = true;
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            const char *v = argv[++i];
            isa = !strcmp(v, "scalar") ? ER_ISA_SCALAR : !strcmp(v, "avx2") ? ER_ISA_AVX2 : ER_ISA_AVX512;
        } else if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
            one.model = "custom";
            if (sscanf(argv[++i], "%ld,%ld,%ld,%ld,%ld,%ld,%ld", &one.H, &one.W, &one.C, &one.M,
                       &one.K, &one.stride, &one.group) != 7) {
                fprintf(stderr, "--shape H,W,C,M,K,stride,group\n");
                return 2;
            }
            have_one = true;
        } else {
            fprintf(stderr, "usage: qconv_bench [--model NAME|all] [--reps N] [--threads N] "
                            "[--isa scalar|avx2|avx512] [--features MASK] [--int8|--uint8] "
                            "[--shape H,W,C,M,K,stride,group]\n");
            return 2;
        }
    }
    er_threadpool *pool = NULL;
    if (threads > 1 && er_threadpool_create(threads, &pool) != ER_OK) return 1;
    printf("%-13s %-22s %9s %8s  %s\n", "model", "H,W,C->M KxK/s g", "min ms", "GOP/s", "algorithm");
    double total = 0, weighted = 0;
    size_t n = have_one ? 1 : sizeof k_shapes / sizeof k_shapes[0];
    for (size_t i = 0; i < n; i++) {
        const shape *s = have_one ? &one : &k_shapes[i];
        if (!have_one && strcmp(model, "all") && strcmp(model, s->model)) continue;
        char algo[128], dims[64];
        double gops;
        double t = run_shape(s, isa, feat, reps, pool, s8, algo, sizeof algo, &gops);
        total += t;
        weighted += t * (s->count > 0 ? s->count : 1);
        snprintf(dims, sizeof dims, "%ld,%ld,%ld->%ld %ldx%ld/%ld g%ld", (long)s->H, (long)s->W,
                 (long)s->C, (long)s->M, (long)s->K, (long)s->K, (long)s->stride, (long)s->group);
        printf("%-13s %-22s %9.4f %8.1f  %s\n", s->model, dims, t, gops, algo);
    }
    printf("sum of min times: %.3f ms; weighted by the model's repeats: %.3f ms\n", total,
           weighted);
    er_threadpool_free(pool);
    return 0;
}
