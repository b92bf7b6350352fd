/* test_qgemm.c - every int8 GEMM microkernel of qgemm.inc against plain
 * integer arithmetic and the independent requantization of
 * support/int8_ref.h, bit for bit: random rows, columns (around and across
 * the panel width), taps, odd depths (the bytes past kc up to kc4 hold
 * garbage the zero weights must cancel), biases near INT32_MAX (wrap-around),
 * multipliers below and above 1 (left shifts) and flushed ones, clamps. Bytes
 * around the output block must stay untouched. Also: the one-step 64-bit
 * requantization (er_qrequant) against the two-step definition. */
#include <string.h>

#include "cpu/qconv/qgemm.h"
#include "ops/quant_util.h"
#include "qkernel_util.h"
#include "test.h"

TEST(qrequant_one_step_matches_mbqm) {
    uint64_t seed = qt_seed(0x51u);
    qt_rng r = {seed};
    static const int32_t edge[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                   1 << 30, -(1 << 30), (1 << 30) - 1, -(1 << 30) - 1, 255, -255};
    int n = qt_scale(2000000);
    for (int i = 0; i < n; i++) {
        ref_qmul m = qt_qmul(&r);
        if (i % 5 == 0) m = ref_qm(ldexp(1.0 + qt_unit(&r), (int)qt_int(&r, -45, 31)));
        int32_t acc = i % 7 == 0 ? edge[qt_next(&r) % (sizeof edge / sizeof edge[0])]
                    : i % 3 == 0 ? (int32_t)qt_int(&r, -70000, 70000)
                                 : (int32_t)(uint32_t)qt_next(&r);
        er_qcol q = er_qcol_make(m.mult, m.shift);
        int64_t got = er_qmbqm64(acc, q.mult, q.cpos, q.dneg, q.rshift, q.left);
        int32_t want = ref_mbqm(acc, m);
        CHECK_MSG(got == want, "seed %llu case %d: acc %d mult %d shift %d: one-step %lld, "
                  "definition %d", (unsigned long long)seed, i, acc, m.mult, m.shift,
                  (long long)got, want);
        /* and the library's own two-step er_mbqm agrees */
        er_qmul em = {m.mult, m.shift};
        CHECK_MSG(er_mbqm(acc, em) == want, "er_mbqm %d vs %d", er_mbqm(acc, em), want);
    }
}

static const int64_t k_odd[] = {1, 3, 7, 17, 33};

/* One random case for variant u; returns 0 on success (after CHECK_MSG). */
static void gemm_case(const er_qgemm_ukernel *u, qt_rng *r, uint64_t seed, int idx, int *bad) {
    size_t mr = (size_t)qt_int(r, 1, u->mr);
    int64_t nc = qt_int(r, 0, 3) == 0 ? qt_pick(r, k_odd, 5) : qt_int(r, 1, 3 * u->nr + 5);
    int64_t ks = qt_int(r, 0, 2) == 0 ? qt_int(r, 2, 9) : 1;
    int64_t kc = qt_int(r, 0, 1) ? qt_pick(r, k_odd, 5) : qt_int(r, 1, 80);
    size_t kc4 = (size_t)(kc + 3) & ~(size_t)3;
    int32_t zu = (int32_t)qt_int(r, 0, 255);
    /* rows: ks taps x MR pointers to kc4 bytes each (garbage past kc) */
    size_t n_rows = (size_t)ks * (size_t)u->mr;
    uint8_t *rows = malloc(n_rows * kc4);
    const uint8_t **a = malloc(sizeof(uint8_t *) * n_rows);
    /* a third of the cases are "sensitive": activations and weights near
     * zero, multipliers near 1, so an accumulator off by one shows */
    bool sensitive = qt_int(r, 0, 2) == 0;
    for (size_t i = 0; i < n_rows * kc4; i++)
        rows[i] = sensitive && (i % kc4) < (size_t)kc ? (uint8_t)(zu + qt_int(r, -2, 2))
                                                      : (uint8_t)qt_next(r);
    for (size_t i = 0; i < n_rows; i++) a[i] = rows + i * kc4;
    /* a padding-like row: every row of one tap equal to zu */
    if (ks > 1 && qt_int(r, 0, 1)) memset(rows, zu, kc4);
    int8_t *w = malloc((size_t)(ks * kc * nc));
    for (int64_t i = 0; i < ks * kc * nc; i++)
        w[i] = (int8_t)(sensitive ? qt_int(r, -2, 2)
                        : qt_int(r, 0, 9) == 0 ? (qt_next(r) & 1 ? 127 : -128)
                                               : qt_int(r, -128, 127));
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)nc);
    ref_qmul *mul = malloc(sizeof(ref_qmul) * (size_t)nc);
    er_qcol *cols = malloc(sizeof(er_qcol) * (size_t)nc);
    int has_left = 0;
    for (int64_t j = 0; j < nc; j++) {
        bias[j] = qt_int(r, 0, 15) == 0 ? INT32_MAX - (int32_t)qt_int(r, 0, 9999)
                                        : (int32_t)qt_int(r, -300000, 300000);
        if (sensitive) bias[j] = (int32_t)qt_int(r, -200, 200);
        mul[j] = sensitive ? ref_qm(ldexp(1.0 + qt_unit(r), (int)qt_int(r, -3, 0))) : qt_qmul(r);
        cols[j] = er_qcol_make(mul[j].mult, mul[j].shift);
        has_left |= cols[j].left > 0;
    }
    er_dtype ydt = qt_int(r, 0, 1) ? ER_I8 : ER_U8;
    int32_t dlo = ydt == ER_I8 ? -128 : 0, dhi = dlo + 255;
    int32_t zp = (int32_t)qt_int(r, dlo, dhi);
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
    size_t panel = er_qgemm_panel_bytes(u->nr, (size_t)ks, kc4);
    size_t panels = (size_t)((nc + u->nr - 1) / u->nr);
    void *packed = aligned_alloc(64, panel * panels);
    int8_t *dense = qt_dense_rows(w, ks * kc, nc); /* w is [ks][kc][nc] */
    er_qgemm_pack_dense(nc, ks, kc, u->nr, dense, (size_t)(ks * kc), (size_t)(ks * kc), bias, zu,
                        cols, packed);
    free(dense);
    size_t cs = (size_t)nc + (size_t)qt_int(r, 0, 9);
    size_t cbytes = cs * (mr + 1) + 64;
    uint8_t *cbuf = malloc(cbytes);
    memset(cbuf, 0xA5, cbytes);
    uint8_t *c = cbuf + 32;
    u->fn(mr, (size_t)nc, kc4, (size_t)ks, a, packed, c, cs, &p);
    for (size_t i = 0; i < mr && !*bad; i++)
        for (int64_t j = 0; j < nc && !*bad; j++) {
            int64_t acc = bias[j];
            for (int64_t t = 0; t < ks; t++)
                for (int64_t k = 0; k < kc; k++)
                    acc += (int64_t)(a[t * u->mr + i][k] - zu) * w[(t * kc + k) * nc + j];
            int32_t acc32 = (int32_t)(uint32_t)(uint64_t)acc; /* modulo 2^32 */
            int32_t y = ref_clamp((int64_t)ref_mbqm(acc32, mul[j]) + zp, ymin, ymax);
            uint8_t want = (uint8_t)y, got = c[i * cs + (size_t)j];
            if (got != want) {
                printf("  %s seed %llu case %d [mr %zu nc %lld kc %lld ks %lld zu %d %s zp %d "
                       "clamp %d..%d]: y[%zu][%lld] = %u, want %u (mult %d shift %d)\n", u->name,
                       (unsigned long long)seed, idx, mr, (long long)nc, (long long)kc,
                       (long long)ks, zu, er_dtype_name(ydt), zp, ymin, ymax, i, (long long)j,
                       got, want, mul[j].mult, mul[j].shift);
                *bad = 1;
            }
        }
    /* nothing written outside the block */
    for (size_t b = 0; b < cbytes && !*bad; b++) {
        size_t off = b >= 32 ? b - 32 : (size_t)-1;
        bool inside = b >= 32 && off / cs < mr && off % cs < (size_t)nc;
        if (!inside && cbuf[b] != 0xA5) {
            printf("  %s seed %llu case %d: byte %zd outside the output block written\n", u->name,
                   (unsigned long long)seed, idx, (ssize_t)b - 32);
            *bad = 1;
        }
    }
    free(cbuf);
    free(packed);
    free(cols);
    free(mul);
    free(bias);
    free(w);
    free(a);
    free(rows);
}

TEST(qgemm_ukernels_bit_exact) {
    uint64_t seed = qt_seed(0x9e3779b9u);
    size_t n;
    const er_qgemm_ukernel *us = er_qgemm_ukernels(&n);
    int ran = 0, skipped = 0;
    char names[512] = "";
    for (size_t v = 0; v < n; v++) {
        const er_qgemm_ukernel *u = &us[v];
        if (!qt_can_run(u->isa, u->feature)) {
            skipped++;
            strncat(names, u->name, sizeof names - strlen(names) - 2);
            strncat(names, " ", sizeof names - strlen(names) - 1);
            continue;
        }
        ran++;
        qt_rng r = {seed ^ (uint64_t)v * 0x1000193u};
        int bad = 0;
        int cases = qt_scale(400);
        for (int i = 0; i < cases && !bad; i++) gemm_case(u, &r, seed, i, &bad);
        CHECK_MSG(!bad, "%s differs from the reference (rerun with ER_TEST_SEED=%llu)", u->name,
                  (unsigned long long)seed);
    }
    qt_report_skips("qgemm", ran, skipped, names);
    CHECK(ran >= 1);
}
