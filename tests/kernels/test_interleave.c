/* test_interleave.c - er_f32_interleave3 and er_u8_interleave3 (planar RGB -> interleaved) at
 * every ISA level against the definition y[3i + c] = x_c[i]: every length
 * 0..70 (vector bodies and tails), guards around the output. */
#include <string.h>

#include "cpu/layout/interleave.h"
#include "kernel_util.h"
#include "test.h"

TEST(interleave3_every_level_every_length) {
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    ktest_rng rng = {ktest_seed(77)};
    enum { MAXN = 70, GUARD = 16 };
    static float x[3][MAXN], y[3 * MAXN + 2 * GUARD];
    for (int c = 0; c < 3; c++) ktest_fill(&rng, x[c], MAXN, -5, 5);
    for (int li = 0; li < nl; li++) {
        er_f32_interleave3_fn fn = er_f32_interleave3_pick(levels[li]);
        for (size_t n = 0; n <= MAXN; n++) {
            for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) y[i] = 12345.0f;
            fn(y + GUARD, x[0], x[1], x[2], n);
            int ok = 1;
            for (size_t i = 0; i < n && ok; i++)
                for (int c = 0; c < 3; c++) ok = ok && y[GUARD + 3 * i + (size_t)c] == x[c][i];
            for (size_t i = 0; i < GUARD && ok; i++)
                ok = y[i] == 12345.0f && y[GUARD + 3 * n + i] == 12345.0f;
            CHECK_MSG(ok, "%s: n = %zu", er_isa_name(levels[li]), n);
        }
    }
}

/* The byte variant (uint8/int8 model inputs), the same way. */
TEST(interleave3_bytes_every_level_every_length) {
    er_isa levels[4];
    int skipped, nl = ktest_levels(levels, &skipped);
    enum { MAXN = 70, GUARD = 16 };
    static unsigned char x[3][MAXN], y[3 * MAXN + 2 * GUARD];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < MAXN; i++) x[c][i] = (unsigned char)(i * 7 + c * 101 + 3);
    int levels_run = 0;
    for (int li = 0; li < nl; li++) {
        er_u8_interleave3_fn fn = er_u8_interleave3_pick(levels[li]);
        levels_run++;
        for (size_t n = 0; n <= MAXN; n++) {
            memset(y, 0xA5, sizeof y);
            fn(y + GUARD, x[0], x[1], x[2], n);
            int ok = 1;
            for (size_t i = 0; i < n && ok; i++)
                for (int c = 0; c < 3; c++) ok = ok && y[GUARD + 3 * i + (size_t)c] == x[c][i];
            for (size_t i = 0; i < GUARD && ok; i++)
                ok = y[i] == 0xA5 && y[GUARD + 3 * n + i] == 0xA5;
            CHECK_MSG(ok, "%s: n = %zu", er_isa_name(levels[li]), n);
        }
    }
    CHECK(levels_run == nl);
}
