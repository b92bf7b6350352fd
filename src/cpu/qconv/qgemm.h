/* qgemm.h - int8 GEMM microkernels (indirect form), their weight packing and
 * the exact fixed-point epilogue they share.
 *
 * One microkernel family serves every int8 matrix product of the CPU backend:
 * the 1x1 convolution (a GEMM on the NHWC input rows), the KxK convolution
 * (indirect GEMM: per output pixel and filter tap, a pointer to the input row),
 * grouped convolution, im2col tiles of few-channel convolutions and the int8
 * fully connected layers (QGemm / QMatMul with constant weights).
 *
 * Arithmetic (docs/int8.md, QConv): with u = the activation as uint8 (an int8
 * activation is first flipped to uint8 by x ^ 0x80, i.e. x + 128, and its zero
 * point moves by 128 too: zu = x_zp + 128) and w' = w - w_zp[n] (must fit int8),
 *
 *   acc[i][n] = bias[n] + sum_k (u[i][k] - zu) * w'[k][n]
 *             = (bias[n] - zu * sum_k w'[k][n]) + sum_k u[i][k] * w'[k][n]
 *
 * modulo 2^32. The first term is folded into the packed bias at pack time, so
 * a kernel only sums uint8 x int8 products (vpdpbusd's u8 x s8 is exact:
 * four 16-bit products summed into 32 bits without saturation), and padding
 * positions read bytes equal to zu, which then contribute exactly 0. Integer
 * addition modulo 2^32 is associative, so every variant gives the same bits.
 *
 * The microkernel computes mr (<= MR) rows by nc (any) columns, walking
 * NR-column panels itself (the A rows stay hot in L1):
 *
 *   a   ks groups of MR row pointers: a[t*MR + i] points at kc4 readable bytes
 *       (row i of tap t; kc4 = kc rounded up to 4: the bytes past kc are read
 *       but multiplied by zero weights). Only rows i < mr are read.
 *   w   packed panels (er_qgemm_pack_dense): per NR columns, the panel of
 *       er_qgemm_panel_bytes(NR, ks, kc4) bytes laid out as
 *         int32 bias'[NR]                      bias - zu * sum_k w'
 *         int8  w'[ks][kc4/4][NR][4]           4 consecutive k per column
 *         int64 mult[NR], cpos[NR], dneg[NR], rshift[NR]   epilogue (below),
 *                                              in er_qslot order
 *         int32 left[NR]                       saturating left shift
 *       Columns past n are zero. Panel j starts at w + j * panel_bytes.
 *   c   row i at c + i*c_stride bytes; only the mr x nc block is written.
 *
 * Epilogue: the fixed-point requantization of docs/int8.md,
 *   y = clamp(MBQM(acc, {mult, shift}) + zp, y_min, y_max),
 * computed in one 64-bit step (er_qrequant below), which tests prove equal to
 * er_requant for every input. With e = max(-shift, 0), left = max(shift, 0),
 * x = sat32(acc << left), p = x * mult:
 *   y = (p + cpos - (p < -2^30 ? dneg : 0)) >> rshift      (arithmetic)
 *   cpos = 2^30 + (e > 0 ? 2^(30+e) : 0), dneg = (e > 0 ? 2^31 : 0),
 *   rshift = 31 + e.
 * (MBQM = RDIVPOT(SRDHM(x, mult), e) = floor((floor((p + 2^30) / 2^31) + h) /
 * 2^e) with h = 2^(e-1) - [SRDHM < 0] for e > 0; nested floors of integer
 * divisions combine into one, and SRDHM < 0 exactly when p < -2^30.)
 *
 * Variants are named er_qu8_qc8w_igemm_<MR>x<NR>c4__<isa> (XNNPACK's naming:
 * uint8 activations, per-channel int8 weights, K in groups of 4), one file
 * each, listed once in qgemm.inc; that list drives the declarations below, the
 * per-ISA choice, the tests and the benchmark. */
#ifndef ER_CPU_QCONV_QGEMM_H
#define ER_CPU_QCONV_QGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "edgerun.h"

#if defined(__x86_64__) || defined(_M_X64)
#define ER_QARCH_X86_64 1
#else
#define ER_QARCH_X86_64 0
#endif

/* Optional ISA extensions on top of an er_isa level (bit mask). A plan uses
 * a variant only when its extension is in the mask it was given; the default
 * mask (er_qfeatures_detected) is what this CPU and OS allow. Tests pass
 * smaller masks to force the variants below. */
enum {
    ER_QF_VNNI512 = 1u << 0, /* AVX-512 VNNI (vpdpbusd on zmm), level AVX512 */
    ER_QF_AVXVNNI = 1u << 1, /* AVX-VNNI (VEX vpdpbusd on ymm), level AVX2 */
    ER_QF_AMX = 1u << 2,     /* AMX-INT8 tiles, level AVX512 (OS permission granted) */
};
unsigned er_qfeatures_detected(void);
/* The extensions a session at ISA level isa may use: the detected ones its
 * level admits (AVX2 level: AVX-VNNI; AVX512 level: also AVX-512 VNNI and
 * AMX), further masked by $EDGERUN_QFEATURES (a number: a mask of ER_QF_*
 * bits, for benchmarks and tests; e.g. 0 runs the plain AVX2/AVX-512 kernels). */
unsigned er_qfeatures_for(er_isa isa);

/* Per-tensor part of the epilogue. */
typedef struct er_qgemm_params {
    int32_t zp;         /* output zero point */
    int32_t lo, hi;     /* clamp of y - zp: [y_min - zp, y_max - zp] */
    int32_t has_left;   /* some column has a left shift (multiplier >= 1) */
} er_qgemm_params;

/* One column's epilogue constants in unpacked form (pack input). */
typedef struct er_qcol {
    int64_t mult, cpos, dneg, rshift;
    int32_t left;
} er_qcol;

/* The constants of er_qgemm.h's one-step requantization for {mult, shift}. */
static inline er_qcol er_qcol_make(int32_t mult, int32_t shift) {
    er_qcol q;
    int e = shift > 0 ? 0 : -shift;
    q.mult = mult;
    q.left = shift > 0 ? shift : 0;
    q.cpos = ((int64_t)1 << 30) + (e > 0 ? ((int64_t)1 << (30 + e)) : 0);
    q.dneg = e > 0 ? ((int64_t)1 << 31) : 0;
    q.rshift = 31 + e;
    return q;
}

/* sat32(acc << left), left in [0, 30]. */
static inline int32_t er_qsat_left(int32_t acc, int32_t left) {
    int64_t v = (int64_t)acc * ((int64_t)1 << left);
    return (int32_t)(v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v);
}

/* MBQM(acc) - the unclamped requantized value - in one 64-bit step. */
static inline int64_t er_qmbqm64(int32_t acc, int64_t mult, int64_t cpos, int64_t dneg,
                                 int64_t rshift, int32_t left) {
    int64_t p = (int64_t)er_qsat_left(acc, left) * mult;
    int64_t t = p + cpos - (p < -((int64_t)1 << 30) ? dneg : 0);
    /* arithmetic shift of a possibly negative value: implementation-defined
     * in C, arithmetic on every compiler edgerun supports (as er_rdivpot) */
    return t >> rshift;
}

/* clamp(MBQM(acc) + zp) with the clamp given relative to zp. */
static inline int32_t er_qrequant(int32_t acc, const er_qcol *q, const er_qgemm_params *p) {
    int64_t y = er_qmbqm64(acc, q->mult, q->cpos, q->dneg, q->rshift, q->left);
    return (int32_t)(y < p->lo ? p->lo : y > p->hi ? p->hi : y) + p->zp;
}

typedef void (*er_qgemm_fn)(size_t mr, size_t nc, size_t kc4, size_t ks, const uint8_t *const *a,
                            const void *w, uint8_t *c, size_t c_stride,
                            const er_qgemm_params *p);

/* One row of qgemm.inc. */
typedef struct er_qgemm_ukernel {
    const char *name;  /* "er_qu8_qc8w_igemm_8x32c4__avx512vnni" */
    er_isa isa;        /* the level it needs */
    unsigned feature;  /* the ER_QF_* extension it needs, or 0 */
    int mr, nr;
    er_qgemm_fn fn;
} er_qgemm_ukernel;

#define ER_QGEMM_UKERNEL(isa, feature, fn, mr, nr)                                             \
    void fn(size_t mr_, size_t nc, size_t kc4, size_t ks, const uint8_t *const *a,             \
            const void *w, uint8_t *c, size_t c_stride, const er_qgemm_params *p);
#include "cpu/qconv/qgemm.inc"
#undef ER_QGEMM_UKERNEL

/* Every variant this build has (the rows of qgemm.inc), for tests and benches. */
const er_qgemm_ukernel *er_qgemm_ukernels(size_t *count);

/* The variant for an ISA level and extension mask and n columns: the first
 * row of qgemm.inc the level and mask allow sets the kind (level and
 * extension); among the rows of that kind the one padding the fewest columns
 * wins, ties to the earlier row. $EDGERUN_QGEMM_KERNEL=<name> forces a row
 * (when the level and mask allow it; for benchmarks). */
const er_qgemm_ukernel *er_qgemm_pick(er_isa isa, unsigned features, int64_t n);

/* Slot of column j (of a panel nr wide) in the int64 epilogue arrays: when nr
 * is a multiple of 16, each group of 16 columns stores its even columns
 * first, then its odd ones, so a vector kernel multiplies the even and odd
 * int32 lanes (vpmuldq reads the low half of each 64-bit lane) with
 * contiguous constants; otherwise columns are in order. */
static inline size_t er_qslot(size_t j, int nr) {
    return nr % 16 ? j : (j & ~(size_t)15) | ((j & 1) << 3) | ((j & 15) >> 1);
}

/* Byte offsets inside a packed panel (all multiples of 64): the weights, the
 * epilogue arrays (mult, cpos, dneg, rshift as int64[nr], then left as
 * int32[nr]) and the panel size. Callers check er_qgemm_panel_bytes first
 * (it fails on overflow); the offsets then cannot overflow. */
static inline size_t er_qgemm_off_w(int nr) { return ((size_t)nr * 4 + 63) & ~(size_t)63; }
static inline size_t er_qgemm_off_q(int nr, size_t ks, size_t kc4) {
    return (er_qgemm_off_w(nr) + ks * kc4 * (size_t)nr + 63) & ~(size_t)63;
}
/* Bytes of one packed panel; 0 on overflow. Always a multiple of 64. */
size_t er_qgemm_panel_bytes(int nr, size_t ks, size_t kc4);
/* The same without the overflow checks, for microkernels: their plan checked
 * er_qgemm_panel_bytes (an out-of-line call per kernel call cost 0.4% of a
 * model). */
static inline size_t er_qgemm_panel_stride(int nr, size_t ks, size_t kc4) {
    return (er_qgemm_off_q(nr, ks, kc4) + (size_t)nr * 36 + 63) & ~(size_t)63;
}

/* Weight accessor for packing (depthwise, qdwconv.h): w'[t][k][n] (tap t,
 * row k < kc, column n < n) as an int32 that must lie in [-128, 127]. */
typedef int32_t (*er_qgemm_wget)(const void *arg, int64_t t, int64_t k, int64_t n);

/* Packs n columns for ks taps of kc rows into ceil(n/nr) panels at out
 * (er_qgemm_panel_bytes each, 64-byte aligned): the weights w'[t][k][n] =
 * src[n * stride + t * kc + k] when t * kc + k < len, else 0 (AMX pads the
 * depth to 64 that way); the biases bias[n] (NULL = 0) adjusted by -zu *
 * sum w', and the epilogue constants cols[n]. Convolution plans lay their
 * weights out in these dense rows first (one transpose per output channel);
 * the packing then copies 4 bytes at a time. */
void er_qgemm_pack_dense(int64_t n, int64_t ks, int64_t kc, int nr, const int8_t *src,
                         size_t stride, size_t len, const int32_t *bias, int32_t zu,
                         const er_qcol *cols, void *out);

/* Whether panels packed elsewhere (a .erm's PACKED_WEIGHTS) hold exactly the
 * requantization constants er_qgemm_pack_dense would write for cols: a pre-packed
 * blob is used only then, so every shift and multiplier a kernel reads is one
 * this model's scales produce. */
int er_qgemm_packed_cols_match(int64_t n, int64_t ks, int64_t kc, int nr, const er_qcol *cols,
                               const void *packed);

#endif
