/* qdwconv.h - int8 depthwise convolution microkernels (NHWC, one output
 * channel per input channel), vectorized across channels.
 *
 *   y[x][c] = requant(bias'[c] + sum_{t<ks} (in[x*ks + t][c] ^ xr) * w'[t][c])
 *
 *   in   out_w groups of ks pointers, pixel-major: in[x*ks + t] points at
 *        channel 0 of tap t's input pixel, or at a padding row holding the
 *        raw input zero point (x_zp) in every channel.
 *   xr   0 for uint8 input, 0x80 for int8 input (flips int8 to uint8 = x + 128;
 *        the zero point moves with it: zu = x_zp + 128).
 *   w'   w - w_zp, which must fit int8; bias' = bias - zu * sum_t w'[t][c]
 *        (modulo 2^32), folded at pack time, so padding contributes exactly 0.
 *   y    output pixel x at y + x*y_stride bytes; channels [0, channels) are
 *        written, nothing else. No input byte outside [0, channels) of a
 *        pointed-at pixel is read (tails use masked or copied loads).
 * The epilogue is er_qrequant of qgemm.h (exact, equal to docs/int8.md's
 * definition), with per-channel constants.
 *
 * Packed weights come in blocks of ER_QDW_CT channels, one of two layouts:
 *   ER_QDW_PLAIN  int32 bias'[CT] | int16 w'[ks][CT] | epilogue arrays
 *   ER_QDW_P2     (AVX2, AVX-512 without VNNI) int32 bias'[CT] | int16
 *                 w'[ceil(ks/2)][CT][2]: taps 2g and 2g + 1 of a channel side
 *                 by side for one vpmaddwd (a missing last tap 0), channels
 *                 at er_qdw_p2_pos (the order byte unpacks of two tap rows
 *                 produce) | epilogue arrays
 *   ER_QDW_C4     (AVX-512 VNNI) int32 bias'[CT] | int8 w'[ks4/4][4 x 64 B]
 *                 with taps in groups of 4 interleaved per channel and the
 *                 channels of each 64-byte vector in the order the in-lane
 *                 byte unpacks produce (see er_qdw_c4_channel) | epilogue
 *                 arrays in the same channel order
 * where the epilogue arrays are int64 mult, cpos, dneg, rshift [CT] and int32
 * left [CT], each block 64-byte aligned.
 *
 * Variants are named er_qu8_qc8w_dwconv_<CT>c__<isa>, listed in qdwconv.inc. */
#ifndef ER_CPU_QCONV_QDWCONV_H
#define ER_CPU_QCONV_QDWCONV_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/qconv/qgemm.h"

#define ER_QDW_CT 64

typedef enum { ER_QDW_PLAIN = 0, ER_QDW_C4 = 1, ER_QDW_P2 = 2 } er_qdw_layout;

typedef void (*er_qdw_fn)(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks,
                          const void *w, uint8_t *y, size_t y_stride, uint32_t xr,
                          const er_qgemm_params *p);

typedef struct er_qdw_ukernel {
    const char *name;
    er_isa isa;
    unsigned feature;
    er_qdw_layout layout;
    er_qdw_fn fn;
} er_qdw_ukernel;

#define ER_QDW_UKERNEL(isa, feature, layout, fn)                                               \
    void fn(size_t channels, size_t out_w, const uint8_t *const *in, size_t ks, const void *w, \
            uint8_t *y, size_t y_stride, uint32_t xr, const er_qgemm_params *p);
#include "cpu/qconv/qdwconv.inc"
#undef ER_QDW_UKERNEL

const er_qdw_ukernel *er_qdw_ukernels(size_t *count);
const er_qdw_ukernel *er_qdw_pick(er_isa isa, unsigned features);

/* Byte offsets inside a block of ks taps: weights, epilogue arrays, size. */
static inline size_t er_qdw_off_w(void) { return ER_QDW_CT * 4; }
static inline size_t er_qdw_ks4(size_t ks) { return (ks + 3) & ~(size_t)3; }
static inline size_t er_qdw_off_q(er_qdw_layout l, size_t ks) {
    size_t wb = l == ER_QDW_C4   ? er_qdw_ks4(ks) * ER_QDW_CT
                : l == ER_QDW_P2 ? (ks + 1) / 2 * ER_QDW_CT * 4
                                 : ks * ER_QDW_CT * 2;
    return (er_qdw_off_w() + wb + 63) & ~(size_t)63;
}
static inline size_t er_qdw_block_bytes(er_qdw_layout l, size_t ks) {
    return (er_qdw_off_q(l, ks) + ER_QDW_CT * 36 + 63) & ~(size_t)63;
}

/* ER_QDW_P2: packed position (0..63) of channel c (0..63) of a block: per 32
 * channels, groups of 8 in the order 0-7, 16-23, 8-15, 24-31 (the in-lane
 * byte unpacks of two 32-channel tap rows give channels 0-7 and 16-23, then
 * 8-15 and 24-31). */
static inline int er_qdw_p2_pos(int c) {
    int r = c % 32, g8 = r / 8;
    return c - r + 8 * (((g8 & 1) << 1) | (g8 >> 1)) + r % 8;
}

/* ER_QDW_C4: packed position (0..63) of channel c (0..63) of a block: vector
 * k = (c % 16) / 4, 128-bit lane L = c / 16, element e = c % 4 sits at
 * 16 k + 4 L + e (the order the unpack of four tap rows produces). */
static inline int er_qdw_c4_channel(int c) { return 16 * ((c % 16) / 4) + 4 * (c / 16) + c % 4; }
/* ER_QDW_C4, a last block of at most 32 channels (lanes 0-1 only): the kernel
 * runs it on 256-bit vectors and joins vectors k = 0, 1 and k = 2, 3 for the
 * epilogue, so its epilogue constants sit at 8 k + 4 L + e instead (its
 * weights and biases keep er_qdw_c4_channel's order). */
static inline int er_qdw_c4_half_channel(int c) { return 8 * ((c % 16) / 4) + 4 * (c / 16) + c % 4; }

#if ER_QARCH_X86_64
/* 3x3 stride-1 depthwise on ER_QDW_C4 weights packed as 12 taps (kernel row g
 * = taps 4g .. 4g+2, tap 4g+3 zero): er_qdw_c4_rows3 lays out one input row
 * for it - per pixel x and 64-channel block, at out + (x * blocks + b) * 256,
 * the four vectors that interleave the taps (x - 1, x, x + 1, 0) the way the
 * VNNI kernel's unpacks do (256-bit halves for a last block of <= 32
 * channels); pixel x's channels start at row + x * stride (a group of
 * channels of a wider row); pixels -1 and w and a NULL row read zrow (raw
 * input zero point);
 * xr flips int8 input. er_qdw_c4_conv3 makes one output row of w pixels from
 * the laid-out rows of kernel rows 0, 1, 2 - the same bytes dwconv_64c gives.
 * out and the rows: 64-byte aligned, w * ceil(channels / 64) * 256 bytes. */
void er_qdw_c4_rows3__avx512vnni(size_t channels, size_t w, const uint8_t *row, size_t stride,
                                 const uint8_t *zrow, uint32_t xr, unsigned char *out);
void er_qdw_c4_conv3__avx512vnni(size_t channels, size_t out_w, const unsigned char *r0,
                                 const unsigned char *r1, const unsigned char *r2,
                                 const void *w, uint8_t *y, size_t y_stride,
                                 const er_qgemm_params *p);
#endif

/* Packs channels [0, channels) with ks taps: w'[t][c] from wget (tap t, row
 * 0, column c; must fit int8), biases (NULL = 0) adjusted by -zu * sum w',
 * epilogue constants cols[c]. out: ceil(channels / CT) blocks. */
void er_qdw_pack(er_qdw_layout l, int64_t channels, int64_t ks, er_qgemm_wget wget,
                 const void *warg, const int32_t *bias, int32_t zu, const er_qcol *cols,
                 void *out);

#endif
