/* gemm_config.c - the list of GEMM microkernel variants (from gemm.inc), the
 * per-ISA choice, and weight packing.
 *
 * Choice: among the variants the requested level can run (its own and, on
 * x86, the AVX2 ones under AVX-512; the portable ones only when nothing
 * else exists), take the one that pads the fewest columns of n up to its
 * NR; on a tie the higher level, then the earlier row of gemm.inc (the
 * preferred one) wins. On this project's Zen 4 machine 7x32 and 7x16 both
 * run at ~117 GFLOP/s per core on resnet18-like shapes (the FMA peak), so
 * padding waste decides: n = 16, 48, 80 ... take 7x16, and n = 24 (72, 120)
 * takes AVX2's 4x24, which measured 105 GFLOP/s there against 81 for
 * 7x32 (bench/kernels/README.md). */
#include <string.h>

#include "cpu/gemm/gemm.h"

static const er_f32_gemm_ukernel k_ukernels[] = {
#define ER_GEMM_UKERNEL(isa, fn, mr, nr) {#fn, isa, mr, nr, fn},
#include "cpu/gemm/gemm.inc"
#undef ER_GEMM_UKERNEL
};

const er_f32_gemm_ukernel *er_f32_gemm_ukernels(size_t *count) {
    *count = sizeof k_ukernels / sizeof k_ukernels[0];
    return k_ukernels;
}

/* The level whose kernels serve `isa`: NEON has none yet, so it uses the
 * portable ones; a level missing from this build (x86 kernels on aarch64)
 * falls to the next lower one. */
static er_isa served_level(er_isa isa) {
    if (isa == ER_ISA_NEON) return ER_ISA_SCALAR;
    for (er_isa l = isa; l > ER_ISA_SCALAR; l = (er_isa)(l - 1))
        for (size_t i = 0; i < sizeof k_ukernels / sizeof k_ukernels[0]; i++)
            if (k_ukernels[i].isa == l) return l;
    return ER_ISA_SCALAR;
}

const er_f32_gemm_ukernel *er_f32_gemm_pick(er_isa isa, int64_t n) {
    er_isa level = served_level(isa);
    /* the lowest level considered: AVX2 under AVX-512, else the level itself */
    er_isa floor = level == ER_ISA_AVX512 ? ER_ISA_AVX2 : level;
    const er_f32_gemm_ukernel *best = NULL;
    int64_t best_waste = 0;
    for (size_t i = 0; i < sizeof k_ukernels / sizeof k_ukernels[0]; i++) {
        const er_f32_gemm_ukernel *u = &k_ukernels[i];
        if (u->isa > level || u->isa < floor) continue;
        int64_t padded = (n + u->nr - 1) / u->nr * u->nr;
        int64_t waste = padded - n;
        if (!best || waste < best_waste || (waste == best_waste && u->isa > best->isa)) {
            best = u;
            best_waste = waste;
        }
    }
    return best;
}

size_t er_f32_gemm_packed_floats(int64_t n, int64_t k, int nr) {
    size_t panels = (size_t)((n + nr - 1) / nr), per, total;
    if (!__builtin_mul_overflow((size_t)nr, (size_t)k + 1, &per) &&
        !__builtin_mul_overflow(panels, per, &total))
        return total;
    return 0;
}

void er_f32_gemm_pack(int64_t n, int64_t ks, int64_t kc, int nr, const float *w,
                      int64_t t_stride, int64_t c_stride, int64_t n_stride, const float *b,
                      float *out) {
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        int64_t cols = n - j0 < nr ? n - j0 : nr;
        for (int64_t j = 0; j < nr; j++) out[j] = j < cols && b ? b[j0 + j] : 0.0f;
        out += nr;
        for (int64_t t = 0; t < ks; t++)
            for (int64_t c = 0; c < kc; c++) {
                const float *src = w + t * t_stride + c * c_stride + j0 * n_stride;
                for (int64_t j = 0; j < cols; j++) out[j] = src[j * n_stride];
                for (int64_t j = cols; j < nr; j++) out[j] = 0.0f;
                out += nr;
            }
    }
}
