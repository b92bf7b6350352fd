/* test_dwconv.c - every depthwise microkernel row of dwconv.inc against a
 * plain double-precision loop: channel counts around the tile widths,
 * strides, dilations, left/right padding (border columns), padding rows (the
 * zero row), residual and clamp; y has guard values between pixels that
 * must survive. Variants whose ISA this CPU lacks are counted as skipped. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "cpu/conv/dwconv.h"
#include "kernel_util.h"
#include "test.h"

#define GUARD_VAL 555.0f

static int check_dw(const er_f32_dwconv_ukernel *u, size_t kh, size_t kw, size_t C, size_t in_w,
                    size_t stride, size_t dil, size_t pad_l, size_t pad_r, int residual,
                    int clamp, uint64_t seed) {
    const size_t span = (kw - 1) * dil + 1;
    if (in_w + pad_l + pad_r < span) return 1;
    const size_t out_w = (in_w + pad_l + pad_r - span) / stride + 1;
    ktest_rng r = {seed};
    const size_t cpad = (C + ER_DWCONV_CPAD - 1) / ER_DWCONV_CPAD * ER_DWCONV_CPAD;
    float *in = malloc(kh * in_w * C * sizeof(float));
    float *zero = calloc(in_w * C, sizeof(float));
    ktest_fill(&r, in, kh * in_w * C, -1, 1);
    const float *rows[8];
    for (size_t i = 0; i < kh; i++) rows[i] = (i + seed) % 4 == 2 ? zero : in + i * in_w * C;
    float *w = er_aligned_alloc((1 + kh * kw) * cpad * sizeof(float));
    memset(w, 0, (1 + kh * kw) * cpad * sizeof(float));
    for (size_t t = 0; t <= kh * kw; t++) ktest_fill(&r, w + t * cpad, C, -1, 1);
    const size_t ys = C + 2; /* 2 guard floats after each pixel */
    float *y = malloc(out_w * ys * sizeof(float)), *z = malloc(out_w * ys * sizeof(float));
    for (size_t i = 0; i < out_w * ys; i++) y[i] = GUARD_VAL;
    ktest_fill(&r, z, out_w * ys, -1, 1);
    er_f32_dwconv_row geo = {rows, kh, kw, in_w, C, stride, dil, pad_l, out_w, 0, 0, zero};
    er_dwconv_interior(&geo);
    er_f32_minmax_params p = {clamp ? -0.6f : -INFINITY, clamp ? 0.5f : INFINITY};
    u->fn(C, &geo, w, cpad, y, ys, residual ? z : NULL, ys, &p);
    int ok = 1;
    for (size_t x = 0; x < out_w && ok; x++)
        for (size_t c = 0; c < ys && ok; c++) {
            float got = y[x * ys + c];
            if (c >= C) {
                if (got != GUARD_VAL) {
                    printf("  %s: wrote y[%zu][%zu] past the channels\n", u->name, x, c);
                    ok = 0;
                }
                continue;
            }
            double acc = w[c];
            for (size_t i = 0; i < kh; i++)
                for (size_t j = 0; j < kw; j++) {
                    long iw = (long)(x * stride + j * dil) - (long)pad_l;
                    if (iw < 0 || iw >= (long)in_w) continue;
                    acc += (double)rows[i][(size_t)iw * C + c] * w[(1 + i * kw + j) * cpad + c];
                }
            if (residual) acc += z[x * ys + c];
            if (acc < p.min) acc = p.min;
            if (acc > p.max) acc = p.max;
            if (!(fabs(got - acc) <= 1e-4 * (fabs(acc) > 1 ? fabs(acc) : 1))) {
                printf("  %s %zux%zu C %zu in_w %zu stride %zu dil %zu pad %zu,%zu res %d clamp %d "
                       "seed %llu: y[%zu][%zu] = %.7g, reference %.7g\n", u->name, kh, kw, C,
                       in_w, stride, dil, pad_l, pad_r, residual, clamp,
                       (unsigned long long)seed, x, c, got, acc);
                ok = 0;
            }
        }
    free(in);
    free(zero);
    er_aligned_free(w);
    free(y);
    free(z);
    return ok;
}

TEST(dwconv_ukernels) {
    size_t n;
    const er_f32_dwconv_ukernel *list = er_f32_dwconv_ukernels(&n);
    er_isa best = er_isa_detected();
    int tested = 0, skipped = 0;
    uint64_t seed = ktest_seed(8001);
    static const size_t chans[] = {1, 3, 7, 8, 15, 16, 17, 33, 64};
    static const size_t windows[][2] = {{1, 1}, {2, 3}, {3, 3}, {5, 5}, {7, 1}};
    for (size_t v = 0; v < n; v++) {
        const er_f32_dwconv_ukernel *u = &list[v];
        if (u->isa > best || (best == ER_ISA_NEON && u->isa != ER_ISA_SCALAR)) {
            skipped++;
            continue;
        }
        tested++;
        for (size_t wi = 0; wi < 5; wi++) {
            size_t kh = windows[wi][0], kw = windows[wi][1];
            if (u->kh && (kh != (size_t)u->kh || kw != (size_t)u->kw)) continue;
            for (size_t ci = 0; ci < 9; ci++)
                for (size_t in_w = 1; in_w <= 12; in_w += 3)
                    for (size_t s = 1; s <= 3; s++)
                        for (size_t dil = 1; dil <= 2; dil++)
                            for (size_t pl = 0; pl <= 2; pl++) {
                                int k = (int)(ci + in_w + s + dil + pl);
                                CHECK(check_dw(u, kh, kw, chans[ci], in_w, s, dil, pl,
                                               (size_t)(k % 3), k & 1, (k >> 1) & 1, seed++));
                            }
        }
    }
    printf("  depthwise microkernels: %d tested, %d skipped (ISA not on this CPU)\n", tested,
           skipped);
    CHECK(tested > 0);
}
