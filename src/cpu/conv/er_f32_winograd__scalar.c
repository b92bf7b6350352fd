/* er_f32_winograd__scalar.c - Winograd F(4x4, 3x3) tile transforms, portable C (vectorized by the compiler for the baseline ISA),
 * channel chunks of 8. See winograd.h; the code is in winograd_impl.h. */
#include "cpu/conv/winograd.h"

#define WG_SUFFIX scalar
#define WG_VW 8
#include "cpu/conv/winograd_impl.h"

