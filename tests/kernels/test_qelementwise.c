/* test_qelementwise.c - the int8 elementwise kernels against independent
 * implementations of their definitions, bit for bit, at every ISA level this
 * CPU has: QAdd / QMul (qvbinary.inc: uint8 and int8 operands through the
 * flip, every length 0..70 for the tails, random parameters incl. output
 * multipliers >= 1, clamps), QAdd's 32-bit operand rescale exhaustively over
 * its inputs (a +-1 error there almost never reaches an output), and float ->
 * 8-bit quantization (qvcvt.h: exact ties, NaN, infinities, huge values,
 * negative zero, both dtypes). */
#include <math.h>
#include <string.h>

#include "cpu/qconv/qvbinary.h"
#include "cpu/qconv/qvcvt.h"
#include "qkernel_util.h"
#include "test.h"

TEST(qvbinary_ukernels_bit_exact) {
    uint64_t seed = qt_seed(0xadd0u);
    size_t n_u;
    const er_qvbin_ukernel *us = er_qvbin_ukernels(&n_u);
    int ran = 0, skipped = 0;
    for (size_t v = 0; v < n_u; v++) {
        const er_qvbin_ukernel *u = &us[v];
        if (!qt_can_run(u->isa, 0)) {
            skipped++;
            continue;
        }
        ran++;
        qt_rng r = {seed + v};
        for (int it = 0; it < qt_scale(600); it++) {
            size_t n = it < 71 ? (size_t)it : (size_t)qt_int(&r, 0, 300);
            bool as8 = qt_int(&r, 0, 1), bs8 = qt_int(&r, 0, 1), ys8 = qt_int(&r, 0, 1);
            int32_t alo = as8 ? -128 : 0, blo = bs8 ? -128 : 0, ylo = ys8 ? -128 : 0;
            int32_t azp = (int32_t)qt_int(&r, alo, alo + 255), bzp = (int32_t)qt_int(&r, blo, blo + 255);
            int32_t yzp = (int32_t)qt_int(&r, ylo, ylo + 255);
            int32_t ymin = ylo, ymax = ylo + 255;
            if (qt_int(&r, 0, 1)) {
                ymin = (int32_t)qt_int(&r, ylo, ylo + 255);
                ymax = (int32_t)qt_int(&r, ymin, ylo + 255);
            }
            double as = ldexp(1 + qt_unit(&r), -(int)qt_int(&r, 3, 9));
            double bs = ldexp(1 + qt_unit(&r), -(int)qt_int(&r, 3, 9));
            double ys = ldexp(1 + qt_unit(&r), -(int)qt_int(&r, 2, 12));
            int rel = (int)qt_int(&r, 0, 7);
            if (rel == 0) bs = ldexp(as, -(int)qt_int(&r, 0, 3)); /* power-of-2 ratios: ties */
            if (rel == 1) bs = ldexp(as, -(int)qt_int(&r, 19, 26)); /* past the 32-bit QAdd form */
            ref_qmul ma = {0, 0}, mb = {0, 0}, my;
            if (!u->is_mul) { /* TFLite Add's parameters, as qbinary.c */
                double twice = 2 * (as > bs ? as : bs);
                ma = ref_qm(as / twice);
                mb = ref_qm(bs / twice);
                my = ref_qm(twice / ((double)(1 << 20) * ys));
            } else {
                my = ref_qm(ldexp(as * bs / ys, -15));
            }
            er_qvbin_params p = {as8 ? 0x80u : 0u, bs8 ? 0x80u : 0u, azp + (as8 ? 128 : 0),
                                 bzp + (bs8 ? 128 : 0), er_qcol_make(ma.mult, ma.shift),
                                 er_qcol_make(mb.mult, mb.shift), er_qcol_make(my.mult, my.shift),
                                 yzp, ymin - yzp, ymax - yzp};
            uint8_t a[300], b[300], y[300 + 16];
            for (size_t i = 0; i < n; i++) {
                a[i] = (uint8_t)qt_next(&r);
                b[i] = (uint8_t)qt_next(&r);
            }
            memset(y, 0x77, sizeof y);
            u->fn(n, a, b, y, &p);
            for (size_t i = 0; i < n; i++) {
                int32_t da = (as8 ? (int8_t)a[i] : a[i]) - azp, db = (bs8 ? (int8_t)b[i] : b[i]) - bzp;
                int32_t v2;
                if (!u->is_mul) {
                    int32_t sa = ref_mbqm(da * (1 << 20), ma), sb = ref_mbqm(db * (1 << 20), mb);
                    v2 = ref_mbqm(sa + sb, my);
                } else {
                    v2 = ref_mbqm(da * db * (1 << 15), my);
                }
                uint8_t want = (uint8_t)ref_clamp((int64_t)v2 + yzp, ymin, ymax);
                CHECK_MSG(y[i] == want, "%s seed %llu case %d n %zu: y[%zu] = %u, want %u", u->name,
                          (unsigned long long)seed, it, n, i, y[i], want);
            }
            CHECK_MSG(y[n] == 0x77, "%s wrote past the end (n %zu)", u->name, n);
        }
    }
    qt_report_skips("qvbinary", ran, skipped, "");
    CHECK(ran >= 2);
}

/* Every operand d in [-255, 255] for multipliers of every exponent the 32-bit
 * form takes (e 0..20, with the end points of M) and past it (the 64-bit form). */
TEST(qvadd_rescale_32bit_exact) {
#if ER_QARCH_X86_64
    typedef bool (*rescale_fn)(size_t, const int32_t *, const er_qcol *, int32_t *);
    const struct {
        const char *name;
        er_isa isa;
        rescale_fn fn;
    } impls[] = {{"avx512", ER_ISA_AVX512, er_qu8_vadd_rescale__avx512},
                 {"avx2", ER_ISA_AVX2, er_qu8_vadd_rescale__avx2}};
    int ran = 0, skipped = 0;
    for (size_t v = 0; v < sizeof impls / sizeof impls[0]; v++) {
        if (!qt_can_run(impls[v].isa, 0)) {
            skipped++;
            continue;
        }
        ran++;
        int32_t d[511], got[511];
        for (int i = 0; i < 511; i++) d[i] = i - 255;
        qt_rng r = {qt_seed(0x5eedu)};
        int split = 0;
        for (int it = 0; it < qt_scale(400); it++) {
            int e = (int)qt_int(&r, 0, 23);
            int32_t mult = it % 4 == 0   ? (int32_t)1 << 30
                           : it % 4 == 1 ? INT32_MAX
                                         : (int32_t)qt_int(&r, (int64_t)1 << 30, INT32_MAX);
            er_qcol m = er_qcol_make(mult, -e);
            size_t n = 511 - (size_t)(it % 7); /* and tails */
            bool used = impls[v].fn(n, d, &m, got);
            CHECK_MSG(used == (e <= 20), "%s e %d: 32-bit form %s", impls[v].name, e,
                      used ? "taken" : "refused");
            if (!used) continue;
            split++;
            for (size_t i = 0; i < n; i++) {
                int64_t want =
                    er_qmbqm64(d[i] * (1 << 20), m.mult, m.cpos, m.dneg, m.rshift, m.left);
                CHECK_MSG(got[i] == want, "%s mult %d e %d d %d: %d, want %lld", impls[v].name,
                          mult, e, d[i], got[i], (long long)want);
            }
        }
        CHECK(split > 100);
    }
    qt_report_skips("qvadd rescale", ran, skipped, "");
#endif
}

TEST(qvcvt_bit_exact) {
    uint64_t seed = qt_seed(0xc0ffu);
    qt_rng r = {seed};
    struct {
        const char *name;
        er_isa isa;
    } levels[] = {{"scalar", ER_ISA_SCALAR}, {"avx2", ER_ISA_AVX2}, {"avx512", ER_ISA_AVX512}};
    int ran = 0;
    for (int l = 0; l < 3; l++) {
        if (!qt_can_run(levels[l].isa, 0)) continue;
        ran++;
        er_qvcvt_fn fn = er_qvcvt_pick(levels[l].isa);
        for (int it = 0; it < qt_scale(400); it++) {
            size_t n = it < 40 ? (size_t)it : (size_t)qt_int(&r, 0, 200);
            bool s8 = qt_int(&r, 0, 1);
            int32_t lo = s8 ? -128 : 0, hi = lo + 255, zp = (int32_t)qt_int(&r, lo, hi);
            float scale = (float)ldexp(1 + qt_unit(&r), -(int)qt_int(&r, 0, 10));
            float x[200];
            for (size_t i = 0; i < n; i++) {
                int k = (int)qt_int(&r, 0, 9);
                x[i] = k == 0 ? ((float)qt_int(&r, -300, 300) + 0.5f) * scale /* exact ties */
                     : k == 1 ? (qt_int(&r, 0, 1) ? NAN : -NAN)
                     : k == 2 ? (qt_int(&r, 0, 1) ? INFINITY : -INFINITY)
                     : k == 3 ? (float)ldexp(qt_unit(&r) - 0.5, (int)qt_int(&r, 20, 120))
                     : k == 4 ? -0.0f
                              : (float)((qt_unit(&r) - 0.5) * 600) * scale;
            }
            uint8_t y[200 + 16];
            memset(y, 0x33, sizeof y);
            er_qvcvt_params p = {scale, zp, lo, hi};
            fn(n, x, y, &p);
            for (size_t i = 0; i < n; i++) {
                float q = rintf(x[i] / scale); /* QuantizeLinear: float division, half to even */
                double v = (isnan(q) ? 0.0 : (double)q) + zp;
                int32_t want = v >= hi ? hi : v <= lo ? lo : (int32_t)v;
                CHECK_MSG(y[i] == (uint8_t)want, "qvcvt %s seed %llu: x %g scale %g zp %d: %u, want "
                          "%u", levels[l].name, (unsigned long long)seed, (double)x[i],
                          (double)scale, zp, y[i], (uint8_t)want);
            }
            CHECK_MSG(y[n] == 0x33, "qvcvt %s wrote past the end", levels[l].name);
        }
    }
    CHECK(ran >= 1);
}
