/* gemm.h - float32 GEMM microkernels (indirect form) and their weight packing.
 *
 * One microkernel family serves every matrix product of the CPU backend: the
 * 1x1 convolution (a plain GEMM on the NHWC input), the KxK convolution
 * (indirect GEMM: per output pixel and filter tap, a pointer to the input
 * row), grouped convolution, Winograd's batched products and the dense
 * (fully connected) layers. A plain GEMM is the indirect form with one tap
 * whose row pointers are a + i * a_stride, so there is no second kernel set.
 *
 * The microkernel computes one block of C, mr rows (<= MR) by nc columns
 * (any nc; it walks NR-column panels itself, keeping the A rows hot in L1):
 *
 *   c[i][j] = min(max(bias[j] + sum_{t<ks, k<kc} a[t*MR+i][k] * W[t*kc+k][j] + z[i][j], min), max)
 *
 *   a  ks groups of MR row pointers: a[t*MR + i] points at kc floats (row i of
 *      tap t). Only rows i < mr are read. A pointer may be the plan's zero
 *      row (padding).
 *   w  packed panels (er_f32_gemm_pack*): for each NR columns, NR biases then
 *      ks*kc rows of NR weights; columns past the matrix are zero. Panels are
 *      contiguous, so panel j starts at w + j * NR * (1 + ks*kc).
 *   c  row i at c + i*c_stride floats; z NULL or a residual read with the same
 *      geometry (z_stride). Only the mr x nc block is written.
 * Sums run over k in ascending order (t major), in float32 with FMA where the
 * ISA has it, so a given variant is deterministic; variants differ from each
 * other and from the reference only by reassociation.
 *
 * Variants are named er_f32_igemm_minmax_<MR>x<NR>__<isa> (XNNPACK's naming),
 * one file each, listed once in gemm.inc; that list drives the declarations
 * below, the per-ISA choice (gemm_config.c), the tests and the benchmark. */
#ifndef ER_CPU_GEMM_GEMM_H
#define ER_CPU_GEMM_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "edgerun.h"

#if defined(__x86_64__) || defined(_M_X64)
#define ER_ARCH_X86_64 1
#else
#define ER_ARCH_X86_64 0
#endif

typedef struct er_f32_minmax_params {
    float min, max; /* the clamp applied at the store (-inf/+inf: none) */
} er_f32_minmax_params;

typedef void (*er_f32_igemm_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                const float *const *a, const float *w, float *c, size_t c_stride,
                                const float *z, size_t z_stride, const er_f32_minmax_params *p);

/* One row of gemm.inc. */
typedef struct er_f32_gemm_ukernel {
    const char *name; /* "er_f32_igemm_minmax_7x32__avx512" */
    er_isa isa;       /* the level it needs */
    int mr, nr;
    er_f32_igemm_fn fn;
} er_f32_gemm_ukernel;

#define ER_GEMM_UKERNEL(isa, fn, mr, nr)                                                       \
    void fn(size_t mr_, size_t nc, size_t kc, size_t ks, const float *const *a, const float *w, \
            float *c, size_t c_stride, const float *z, size_t z_stride,                         \
            const er_f32_minmax_params *p);
#include "cpu/gemm/gemm.inc"
#undef ER_GEMM_UKERNEL

/* Every variant this build has (the rows of gemm.inc), for tests and benches. */
const er_f32_gemm_ukernel *er_f32_gemm_ukernels(size_t *count);

/* The variant for n output columns at an ISA level: the one whose NR pads
 * the fewest columns, among the level's own and (under AVX-512) the AVX2
 * ones; ties go to the higher level, then to the earlier row of gemm.inc.
 * Levels this build cannot run fall back to the best lower one. */
const er_f32_gemm_ukernel *er_f32_gemm_pick(er_isa isa, int64_t n);

/* Floats of a packed weight block for n columns and k = ks*kc rows:
 * ceil(n/nr) panels of nr*(1+k). 0 on size overflow. */
size_t er_f32_gemm_packed_floats(int64_t n, int64_t k, int nr);

/* Packs weights given by element strides: tap t, channel c, column j is
 * w[t*t_stride + c*c_stride + j*n_stride] (so OIHW convolution weights, [K,N]
 * and [N,K] matrices all pack without a transposed copy). b: NULL or n biases.
 * out: er_f32_gemm_packed_floats(n, ks*kc, nr) floats. */
void er_f32_gemm_pack(int64_t n, int64_t ks, int64_t kc, int nr, const float *w,
                      int64_t t_stride, int64_t c_stride, int64_t n_stride, const float *b,
                      float *out);

#endif
