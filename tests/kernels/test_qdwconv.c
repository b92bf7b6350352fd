/* test_qdwconv.c - every int8 depthwise microkernel of qdwconv.inc against
 * plain integer arithmetic and support/int8_ref.h's requantization, bit for
 * bit: channel counts around the 16/32/64 blocks and odd ones, 1..25 taps
 * (3x3, 5x5 and others), padding rows, uint8 and int8 inputs (the int8 flip),
 * per-channel multipliers incl. left shifts, clamps; bytes around each
 * output pixel's channels must stay untouched. */
#include <string.h>

#include "cpu/qconv/qdwconv.h"
#include "qkernel_util.h"
#include "test.h"

typedef struct {
    const int8_t *w; /* [ks][channels] */
    int64_t channels;
} dwmat;

static int32_t dw_wget(const void *arg, int64_t t, int64_t k, int64_t c) {
    const dwmat *m = arg;
    (void)k;
    return m->w[t * m->channels + c];
}

static const int64_t k_ch[] = {1, 3, 7, 17, 33, 16, 32, 64, 65, 96, 127, 144, 200};

static void dw_case(const er_qdw_ukernel *u, qt_rng *r, uint64_t seed, int idx, int *bad) {
    int64_t C = qt_pick(r, k_ch, (int)(sizeof k_ch / sizeof k_ch[0]));
    int64_t ow = qt_int(r, 1, 9);
    int64_t ks = qt_int(r, 0, 2) == 0 ? qt_int(r, 1, 25) : qt_int(r, 0, 1) ? 9 : 25;
    bool s8 = qt_int(r, 0, 1);
    int32_t xzp = s8 ? (int32_t)qt_int(r, -128, 127) : (int32_t)qt_int(r, 0, 255);
    int32_t zu = s8 ? xzp + 128 : xzp;
    bool sensitive = qt_int(r, 0, 2) == 0;
    /* input pixels: ow*ks distinct rows of C bytes (exact size: reads past C
     * would be caught by ASan), plus the padding row */
    size_t n_rows = (size_t)(ow * ks);
    uint8_t **rows = malloc(sizeof(uint8_t *) * n_rows);
    const uint8_t **in = malloc(sizeof(uint8_t *) * n_rows);
    uint8_t *pad = malloc((size_t)C);
    memset(pad, (uint8_t)xzp, (size_t)C);
    for (size_t i = 0; i < n_rows; i++) {
        rows[i] = malloc((size_t)C);
        for (int64_t c = 0; c < C; c++)
            rows[i][c] = sensitive ? (uint8_t)(xzp + qt_int(r, -2, 2)) : (uint8_t)qt_next(r);
        in[i] = qt_int(r, 0, 5) == 0 ? pad : rows[i];
    }
    int8_t *w = malloc((size_t)(ks * C));
    for (int64_t i = 0; i < ks * C; i++)
        w[i] = (int8_t)(sensitive ? qt_int(r, -2, 2) : qt_int(r, -128, 127));
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)C);
    ref_qmul *mul = malloc(sizeof(ref_qmul) * (size_t)C);
    er_qcol *cols = malloc(sizeof(er_qcol) * (size_t)C);
    int has_left = 0;
    for (int64_t c = 0; c < C; c++) {
        bias[c] = sensitive ? (int32_t)qt_int(r, -200, 200)
                  : qt_int(r, 0, 15) == 0 ? INT32_MAX - (int32_t)qt_int(r, 0, 999)
                                          : (int32_t)qt_int(r, -100000, 100000);
        mul[c] = sensitive ? ref_qm(ldexp(1.0 + qt_unit(r), (int)qt_int(r, -3, 0))) : qt_qmul(r);
        cols[c] = er_qcol_make(mul[c].mult, mul[c].shift);
        has_left |= cols[c].left > 0;
    }
    bool ys8 = qt_int(r, 0, 1);
    int32_t dlo = ys8 ? -128 : 0, dhi = dlo + 255, zp = (int32_t)qt_int(r, dlo, dhi);
    int32_t ymin = dlo, ymax = dhi;
    if (qt_int(r, 0, 1)) {
        ymin = (int32_t)qt_int(r, dlo, dhi);
        ymax = (int32_t)qt_int(r, ymin, dhi);
    }
    if (qt_int(r, 0, 3) == 0) { /* a ReLU-like clamp at the zero point: lo = 0, the nonneg MBQM */
        ymin = zp;
        ymax = (int32_t)qt_int(r, zp, dhi);
    }
    er_qgemm_params p = {zp, ymin - zp, ymax - zp, has_left};
    dwmat dm = {w, C};
    size_t blocks = (size_t)((C + ER_QDW_CT - 1) / ER_QDW_CT);
    void *packed = aligned_alloc(64, blocks * er_qdw_block_bytes(u->layout, (size_t)ks));
    er_qdw_pack(u->layout, C, ks, dw_wget, &dm, bias, zu, cols, packed);
    size_t ys = (size_t)C + (size_t)qt_int(r, 0, 5);
    size_t ybytes = ys * (size_t)ow + 64;
    uint8_t *ybuf = malloc(ybytes);
    memset(ybuf, 0x5A, ybytes);
    uint8_t *y = ybuf + 32;
    u->fn((size_t)C, (size_t)ow, in, (size_t)ks, packed, y, ys, s8 ? 0x80u : 0u, &p);
    for (int64_t x = 0; x < ow && !*bad; x++)
        for (int64_t c = 0; c < C && !*bad; c++) {
            int64_t acc = bias[c];
            for (int64_t t = 0; t < ks; t++) {
                uint8_t b = in[x * ks + t][c];
                int32_t xv = s8 ? (int32_t)(int8_t)b : (int32_t)b;
                acc += (int64_t)(xv - xzp) * w[t * C + c];
            }
            int32_t acc32 = (int32_t)(uint32_t)(uint64_t)acc;
            uint8_t want = (uint8_t)ref_clamp((int64_t)ref_mbqm(acc32, mul[c]) + zp, ymin, ymax);
            uint8_t got = y[(size_t)x * ys + (size_t)c];
            if (got != want) {
                printf("  %s seed %llu case %d [C %lld ow %lld ks %lld %s x_zp %d]: y[%lld][%lld] "
                       "= %u, want %u\n", u->name, (unsigned long long)seed, idx, (long long)C,
                       (long long)ow, (long long)ks, s8 ? "int8" : "uint8", xzp, (long long)x,
                       (long long)c, got, want);
                *bad = 1;
            }
        }
    for (size_t b = 0; b < ybytes && !*bad; b++) {
        bool inside = b >= 32 && (b - 32) / ys < (size_t)ow && (b - 32) % ys < (size_t)C;
        if (!inside && ybuf[b] != 0x5A) {
            printf("  %s seed %llu case %d: byte %zd outside the output written\n", u->name,
                   (unsigned long long)seed, idx, (ssize_t)b - 32);
            *bad = 1;
        }
    }
    free(ybuf);
    free(packed);
    free(cols);
    free(mul);
    free(bias);
    free(w);
    for (size_t i = 0; i < n_rows; i++) free(rows[i]);
    free(rows);
    free(in);
    free(pad);
}

TEST(qdwconv_ukernels_bit_exact) {
    uint64_t seed = qt_seed(0x2545f491u);
    size_t n;
    const er_qdw_ukernel *us = er_qdw_ukernels(&n);
    int ran = 0, skipped = 0;
    char names[512] = "";
    for (size_t v = 0; v < n; v++) {
        const er_qdw_ukernel *u = &us[v];
        if (!qt_can_run(u->isa, u->feature)) {
            skipped++;
            strncat(names, u->name, sizeof names - strlen(names) - 2);
            strncat(names, " ", sizeof names - strlen(names) - 1);
            continue;
        }
        ran++;
        qt_rng r = {seed ^ (uint64_t)v * 0x1000193u};
        int bad = 0;
        int cases = qt_scale(300);
        for (int i = 0; i < cases && !bad; i++) dw_case(u, &r, seed, i, &bad);
        CHECK_MSG(!bad, "%s differs from the reference (rerun with ER_TEST_SEED=%llu)", u->name,
                  (unsigned long long)seed);
    }
    qt_report_skips("qdwconv", ran, skipped, names);
    CHECK(ran >= 1);
}
