/* test_qamx.c - the AMX-INT8 int8 GEMM path, on every machine: the tile part
 * (cpu/qconv/qgemm_amx_impl.h) compiled here against a C emulation of the
 * tile instructions (tileloadd, tdpbusd, tilestored, tilezero: the ISA
 * reference's semantics), with the weights packed by er_qgemm_pack_dense and a
 * portable epilogue, must give the bytes of plain integer arithmetic; then
 * the convolution plans' AMX path (A panel packing, K padded to 64, 32-row
 * blocks) runs with the emulated kernel installed (er_qamx_set_kernel) and
 * must match er_qconv_ref for every algorithm. On a CPU with AMX (and OS
 * permission) the real kernel is checked the same way; elsewhere that part is
 * counted as skipped. */
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qgemm.h"
#include "cpu/qconv/qgemm_amx.h"
#include "qkernel_util.h"
#include "test.h"

/* ---- tile emulation ---------------------------------------------------------- */

typedef struct {
    int rows, colsb;
    unsigned char d[16][64];
} emu_tile;

/* per thread, like the tile registers */
static _Thread_local emu_tile g_tiles[8];
static _Thread_local int g_configured;

static void emu_config(const unsigned char *cfg) {
    for (int t = 0; t < 8; t++) {
        g_tiles[t].colsb = cfg[16 + 2 * t] | cfg[17 + 2 * t] << 8;
        g_tiles[t].rows = cfg[48 + t];
    }
    g_configured = cfg[0] == 1;
}
static void emu_zero(int t) { memset(g_tiles[t].d, 0, sizeof g_tiles[t].d); }
static void emu_load(int t, const void *base, size_t stride) {
    for (int r = 0; r < g_tiles[t].rows; r++)
        memcpy(g_tiles[t].d[r], (const unsigned char *)base + (size_t)r * stride,
               (size_t)g_tiles[t].colsb);
}
static void emu_store(int t, void *base, size_t stride) {
    for (int r = 0; r < g_tiles[t].rows; r++)
        memcpy((unsigned char *)base + (size_t)r * stride, g_tiles[t].d[r], (size_t)g_tiles[t].colsb);
}
/* tdpbusd: C[m][n] += sum_{k<K/4} sum_{i<4} A[m][4k+i] (uint8) * B[k][4n+i] (int8),
 * int32 with wrap-around */
static void emu_dpbusd(int c, int a, int b) {
    emu_tile *C = &g_tiles[c], *A = &g_tiles[a], *B = &g_tiles[b];
    for (int m = 0; m < C->rows; m++)
        for (int n = 0; n < C->colsb / 4; n++) {
            int32_t acc;
            memcpy(&acc, &C->d[m][4 * n], 4);
            uint32_t u = (uint32_t)acc;
            for (int k = 0; k < A->colsb / 4; k++)
                for (int i = 0; i < 4; i++)
                    u += (uint32_t)((int32_t)A->d[m][4 * k + i] * (int32_t)(int8_t)B->d[k][4 * n + i]);
            memcpy(&C->d[m][4 * n], &u, 4);
        }
}

#define ER_TILE_CONFIG(cfg) emu_config(cfg)
#define ER_TILE_ZERO(t) emu_zero(t)
#define ER_TILE_LOAD(t, base, stride) emu_load(t, base, (size_t)(stride))
#define ER_TILE_DPBUSD(c, a, b) emu_dpbusd(c, a, b)
#define ER_TILE_STORE(t, base, stride) emu_store(t, base, (size_t)(stride))
#define ER_TILE_RELEASE() (g_configured = 0)
#include "cpu/qconv/qgemm_amx_impl.h"

/* The AMX kernel's contract with the emulated tiles and a portable epilogue
 * (the real kernel's AVX-512 epilogue is the one the igemm variants share). */
static void emu_gemm(size_t mr, size_t nc, size_t kp, const uint8_t *a, const void *w, uint8_t *c,
                     size_t cs, const er_qgemm_params *p, int32_t *cbuf) {
    unsigned char cfg[64];
    er_amx_config(cfg);
    ER_TILE_CONFIG(cfg);
    size_t panel = er_qgemm_panel_bytes(ER_QAMX_NR, 1, kp);
    size_t off_w = er_qgemm_off_w(ER_QAMX_NR), off_q = er_qgemm_off_q(ER_QAMX_NR, 1, kp);
    for (size_t j0 = 0; j0 < nc; j0 += ER_QAMX_NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / ER_QAMX_NR) * panel;
        er_amx_block(a, kp, base + off_w, cbuf);
        const int64_t *mult = (const int64_t *)(base + off_q), *cpos = mult + ER_QAMX_NR,
                      *dneg = cpos + ER_QAMX_NR, *rsh = dneg + ER_QAMX_NR;
        const int32_t *left = (const int32_t *)(rsh + ER_QAMX_NR);
        for (size_t j = 0; j < ER_QAMX_NR && j0 + j < nc; j++) {
            int32_t b;
            memcpy(&b, base + 4 * j, 4);
            size_t sl = er_qslot(j, ER_QAMX_NR);
            for (size_t r = 0; r < mr; r++) {
                int32_t acc = (int32_t)((uint32_t)cbuf[r * 32 + j] + (uint32_t)b);
                int64_t y = er_qmbqm64(acc, mult[sl], cpos[sl], dneg[sl], rsh[sl], left[j]);
                y = y < p->lo ? p->lo : y > p->hi ? p->hi : y;
                c[r * cs + j0 + j] = (uint8_t)(int32_t)(y + p->zp);
            }
        }
    }
    ER_TILE_RELEASE();
}

/* ---- kernel-level ---------------------------------------------------------------- */

static void amx_case(er_qamx_fn fn, const char *name, qt_rng *r, uint64_t seed, int idx, int *bad) {
    size_t mr = (size_t)qt_int(r, 1, 32);
    int64_t nc = qt_int(r, 1, 80), kc = qt_int(r, 1, 200);
    size_t kp = ((size_t)kc + 63) / 64 * 64;
    int32_t zu = (int32_t)qt_int(r, 0, 255);
    uint8_t *a = calloc(32 * kp, 1);
    for (size_t i = 0; i < mr; i++)
        for (int64_t k = 0; k < kc; k++) a[i * kp + (size_t)k] = (uint8_t)qt_next(r);
    int8_t *w = malloc((size_t)(kc * nc));
    for (int64_t i = 0; i < kc * nc; i++) w[i] = (int8_t)qt_int(r, -128, 127);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)nc);
    ref_qmul *mul = malloc(sizeof(ref_qmul) * (size_t)nc);
    er_qcol *cols = malloc(sizeof(er_qcol) * (size_t)nc);
    int has_left = 0;
    for (int64_t j = 0; j < nc; j++) {
        bias[j] = qt_int(r, 0, 9) == 0 ? INT32_MAX - (int32_t)qt_int(r, 0, 99)
                                       : (int32_t)qt_int(r, -300000, 300000);
        mul[j] = qt_qmul(r);
        cols[j] = er_qcol_make(mul[j].mult, mul[j].shift);
        has_left |= cols[j].left > 0;
    }
    int32_t zp = (int32_t)qt_int(r, -128, 127);
    er_qgemm_params p = {zp, -128 - zp, 127 - zp, has_left};
    size_t panels = (size_t)((nc + 31) / 32);
    void *packed = aligned_alloc(64, panels * er_qgemm_panel_bytes(32, 1, kp));
    /* rows of kc weights, zero up to the tile depth kp */
    int8_t *rows = qt_dense_rows(w, kc, nc);
    er_qgemm_pack_dense(nc, 1, (int64_t)kp, 32, rows, (size_t)kc, (size_t)kc, bias, zu, cols,
                        packed);
    free(rows);
    int32_t *cbuf = aligned_alloc(64, 32 * 32 * 4);
    size_t cs = (size_t)nc + 3;
    uint8_t *c = calloc(cs * 32, 1);
    fn(mr, (size_t)nc, kp, a, packed, c, cs, &p, cbuf);
    for (size_t i = 0; i < mr && !*bad; i++)
        for (int64_t j = 0; j < nc && !*bad; j++) {
            int64_t acc = bias[j];
            for (int64_t k = 0; k < kc; k++) acc += (int64_t)(a[i * kp + (size_t)k] - zu) * w[k * nc + j];
            int32_t want = ref_clamp((int64_t)ref_mbqm((int32_t)(uint32_t)(uint64_t)acc, mul[j]) + zp,
                                     -128, 127);
            if ((int8_t)c[i * cs + (size_t)j] != want) {
                printf("  %s seed %llu case %d [mr %zu nc %lld kc %lld]: y[%zu][%lld] = %d, want %d\n",
                       name, (unsigned long long)seed, idx, mr, (long long)nc, (long long)kc, i,
                       (long long)j, (int8_t)c[i * cs + (size_t)j], want);
                *bad = 1;
            }
        }
    free(c);
    free(cbuf);
    free(packed);
    free(cols);
    free(mul);
    free(bias);
    free(w);
    free(a);
}

TEST(qamx_gemm_bit_exact) {
    uint64_t seed = qt_seed(0xa3cu);
    int bad = 0;
    qt_rng r = {seed};
    for (int i = 0; i < qt_scale(60) && !bad; i++) amx_case(emu_gemm, "amx (emulated tiles)", &r, seed, i, &bad);
    CHECK_MSG(!bad, "the AMX tile code differs from the reference (ER_TEST_SEED=%llu)",
              (unsigned long long)seed);
    int ran = 0, skipped = 0;
#if defined(__x86_64__)
    if (qt_can_run(ER_ISA_AVX512, ER_QF_AMX)) {
        ran = 1;
        qt_rng r2 = {seed + 1};
        for (int i = 0; i < qt_scale(200) && !bad; i++)
            amx_case(er_qu8_qc8w_gemm_32x32c64__amx, "er_qu8_qc8w_gemm_32x32c64__amx", &r2, seed,
                     i, &bad);
        CHECK_MSG(!bad, "the AMX kernel differs from the reference (ER_TEST_SEED=%llu)",
                  (unsigned long long)seed);
    } else {
        skipped = 1;
    }
#endif
    qt_report_skips("qamx (real tiles)", ran, skipped,
                    skipped ? "er_qu8_qc8w_gemm_32x32c64__amx" : "");
}

/* ---- plan-level: the convolutions' AMX path with emulated tiles ------------------ */

static int64_t osz(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1) {
    int64_t span = (k - 1) * d + 1;
    return in + p0 + p1 < span ? 0 : (in + p0 + p1 - span) / s + 1;
}

TEST(qamx_conv_plans_bit_exact) {
    uint64_t seed = qt_seed(0xa3du);
    qt_rng r = {seed};
    er_qamx_set_kernel(emu_gemm);
    er_threadpool *pool = NULL;
    CHECK_STATUS(er_threadpool_create(3, &pool), ER_OK);
    static const char *const algos[] = {"gemm ", "igemm ", "im2col ", "rows "};
    int seen[4] = {0}, cases = 0;
    for (int it = 0; it < qt_scale(80); it++) {
        er_qconv_desc d;
        memset(&d, 0, sizeof d);
        d.N = qt_int(&r, 1, 2);
        d.H = qt_int(&r, 1, 9);
        d.W = qt_int(&r, 1, 9);
        int kind = it % 4;
        d.C = qt_int(&r, 1, 40);
        d.group = 1;
        d.KH = d.KW = kind == 0 ? 1 : qt_int(&r, 1, 3);
        if (kind == 2) { /* grouped, few channels per group: im2col */
            d.group = qt_int(&r, 2, 3);
            d.C = d.group * qt_int(&r, 1, 5);
            d.KH = d.KW = 3;
        }
        if (kind == 1) d.group = d.C % 2 ? 1 : 2; /* igemm: grouped with >= 16 per group, or 1x1 strided */
        d.M = d.group * qt_int(&r, 1, 40);
        d.stride_h = d.stride_w = kind == 0 ? 1 : qt_int(&r, 1, 2);
        d.dil_h = d.dil_w = 1;
        if (kind != 0) {
            d.pad_top = d.pad_left = qt_int(&r, 0, d.KH / 2 + 1);
            d.pad_bottom = d.pad_right = qt_int(&r, 0, d.KH / 2);
        }
        d.OH = osz(d.H, d.KH, d.stride_h, 1, d.pad_top, d.pad_bottom);
        d.OW = osz(d.W, d.KW, d.stride_w, 1, d.pad_left, d.pad_right);
        if (d.OH < 1 || d.OW < 1) continue;
        d.x_dtype = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
        d.w_dtype = ER_I8;
        d.y_dtype = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
        d.x_zp = d.x_dtype == ER_I8 ? (int32_t)qt_int(&r, -128, 127) : (int32_t)qt_int(&r, 0, 255);
        d.y_zp = d.y_dtype == ER_I8 ? -5 : 130;
        d.y_min = d.y_dtype == ER_I8 ? -128 : 0;
        d.y_max = d.y_min + 255;
        int64_t cg = d.C / d.group;
        size_t xn = (size_t)(d.N * d.H * d.W * d.C), wn = (size_t)(d.M * cg * d.KH * d.KW),
               yn = (size_t)(d.N * d.OH * d.OW * d.M);
        uint8_t *x = malloc(xn), *w = malloc(wn), *y = malloc(yn), *want = malloc(yn);
        int32_t *zp = calloc((size_t)d.M, sizeof(int32_t)), *bias = malloc(sizeof(int32_t) * (size_t)d.M);
        er_qmul *mul = malloc(sizeof(er_qmul) * (size_t)d.M);
        for (size_t i = 0; i < xn; i++) x[i] = (uint8_t)qt_next(&r);
        for (size_t i = 0; i < wn; i++) w[i] = (uint8_t)qt_next(&r);
        for (int64_t m = 0; m < d.M; m++) {
            bias[m] = (int32_t)qt_int(&r, -50000, 50000);
            ref_qmul q = qt_qmul(&r);
            mul[m] = (er_qmul){q.mult, q.shift};
        }
        er_qconv_ref(&d, x, w, zp, bias, mul, want);
        for (int t = 0; t < 2; t++) {
            er_qconv_plan *p = NULL;
            CHECK_STATUS(er_qconv_plan_create(&d, w, zp, bias, mul, ER_ISA_SCALAR, ER_QF_AMX,
                                              t ? 3 : 1, &p), ER_OK);
            const char *algo = er_qconv_algo(p);
            CHECK_MSG(strstr(algo, "amx") != NULL, "case %d: %s does not use the AMX path", it, algo);
            for (int a = 0; a < 4; a++)
                if (strncmp(algo, algos[a], strlen(algos[a])) == 0) seen[a]++;
            void *scratch = aligned_alloc(64, (er_qconv_scratch_bytes(p) + 127) & ~(size_t)63);
            er_qconv_run(p, x, y, scratch, t ? pool : NULL);
            long bad = -1;
            for (size_t i = 0; i < yn && bad < 0; i++)
                if (y[i] != want[i]) bad = (long)i;
            CHECK_MSG(bad < 0, "seed %llu case %d (%s, N%lld %lldx%lldx%lld M%lld k%lld s%lld g%lld) "
                      "threads %d: y[%ld] differs", (unsigned long long)seed, it, algo,
                      (long long)d.N, (long long)d.H, (long long)d.W, (long long)d.C, (long long)d.M,
                      (long long)d.KH, (long long)d.stride_h, (long long)d.group, t ? 3 : 1, bad);
            free(scratch);
            er_qconv_plan_free(p);
        }
        cases++;
        free(x);
        free(w);
        free(y);
        free(want);
        free(zp);
        free(bias);
        free(mul);
    }
    er_qamx_set_kernel(NULL);
    er_threadpool_free(pool);
    printf("  qamx plans (emulated tiles): %d cases; gemm %d igemm %d im2col %d rows %d\n", cases,
           seen[0], seen[1], seen[2], seen[3]);
    for (int a = 0; a < 4; a++) CHECK_MSG(seen[a] > 0, "algorithm %s never ran on AMX", algos[a]);
}

/* The size rule that keeps small layers off the tiles (qgemm_amx.h). */
TEST(qamx_pays_only_for_large_layers) {
    er_qamx_set_kernel(NULL);
    unsetenv("EDGERUN_AMX");
    CHECK(!er_qamx_pays(27, 32));      /* 3x3 stem over 3 channels */
    CHECK(!er_qamx_pays(16, 96));      /* 1x1, K = 16: K padded 4x */
    CHECK(!er_qamx_pays(192, 32));     /* N = 32 */
    CHECK(!er_qamx_pays(192, 64));     /* K x N = 12288 */
    CHECK(!er_qamx_pays(80, 512));     /* K 80 -> 128: 60% padding */
    CHECK(er_qamx_pays(64, 384));
    CHECK(er_qamx_pays(576, 64));      /* 3x3 over 64 channels */
    CHECK(er_qamx_pays(96, 576));      /* K 96 -> 128: a third */
    setenv("EDGERUN_AMX", "always", 1);
    CHECK(er_qamx_pays(16, 16));
    unsetenv("EDGERUN_AMX");
    er_qamx_set_kernel(emu_gemm);
    CHECK(er_qamx_pays(16, 16));       /* a test kernel: every layer */
    er_qamx_set_kernel(NULL);
}
