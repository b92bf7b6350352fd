/* winograd.h - the tile transforms of Winograd F(4x4, 3x3) on NHWC data.
 *
 * Lavin & Gray's F(4x4, 3x3): a 4x4 output tile is A^T [ (G g G^T) .* (B^T d B) ] A
 * for the 6x6 input tile d and the 3x3 filter g, with the interpolation
 * points 0, +-1, +-2 and infinity (matrices in conv_winograd.c). The 36
 * element-wise products over channels become 36 GEMMs [tiles x C] x [C x M]
 * run by the igemm microkernels; these functions are the two transforms
 * around them, vectorized over channels (the compiler vectorizes the fixed
 * width loops of winograd_impl.h; one instance per ISA level).
 *
 * Tiles: tile t of T = N * th * tw covers output rows 4*i.. and columns
 * 4*j.. of image n (t = (n*th + i)*tw + j); its input tile starts at
 * (4*i - pad_top, 4*j - pad_left); pixels outside the image read as 0.
 *
 * er_f32_winograd_input_*: V[(xi*T + t)*C + c] = (B^T d_t B)[xi] for tiles
 *   [t0, t1) and every channel c (xi = 6*row + col).
 * er_f32_winograd_output_*: for tiles [t0, t1): y = clamp((A^T m_t A) + bias
 *   (+ z)) for the in-image pixels of the tile, m_t[xi] = Mb[(xi*T + t)*M + .]. */
#ifndef ER_CPU_CONV_WINOGRAD_H
#define ER_CPU_CONV_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/conv/conv.h"
#include "cpu/gemm/gemm.h"

typedef void (*er_f32_winograd_input_fn)(const er_conv_desc *d, const float *x, int64_t t0,
                                         int64_t t1, int64_t T, float *V);
typedef void (*er_f32_winograd_output_fn)(const er_conv_desc *d, const float *Mb, int64_t t0,
                                          int64_t t1, int64_t T, const float *bias,
                                          const float *z, float *y,
                                          const er_f32_minmax_params *p);

#define ER_WINOGRAD_DECLARE(isa)                                                               \
    void er_f32_winograd_input__##isa(const er_conv_desc *d, const float *x, int64_t t0,      \
                                      int64_t t1, int64_t T, float *V);                        \
    void er_f32_winograd_output__##isa(const er_conv_desc *d, const float *Mb, int64_t t0,    \
                                       int64_t t1, int64_t T, const float *bias,               \
                                       const float *z, float *y, const er_f32_minmax_params *p);
ER_WINOGRAD_DECLARE(scalar)
#if ER_ARCH_X86_64
ER_WINOGRAD_DECLARE(avx2)
ER_WINOGRAD_DECLARE(avx512)
#endif
#undef ER_WINOGRAD_DECLARE

#endif
