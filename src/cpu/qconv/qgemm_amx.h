/* qgemm_amx.h - the AMX-INT8 int8 GEMM kernel (Sapphire Rapids and later):
 * 32 rows x nc columns from a packed A panel.
 *
 *   a   32 rows of kp bytes (row stride kp; kp a multiple of 64; bytes past
 *       the real depth are zero; rows past mr are computed and dropped)
 *   w   NR = 32 panels of qgemm.h packed with ks = 1 and depth kp
 *   c   row i at c + i*c_stride; only mr (<= 32) x nc bytes are written
 *   cbuf 32 x 32 int32 scratch (4 KiB, 64-byte aligned)
 * The result is the igemm variants' (the same sums, the same epilogue).
 * The caller has permission for AMX state (amx.h) and runs the kernel on
 * threads of this process; each call loads its own tile configuration. */
#ifndef ER_CPU_QCONV_QGEMM_AMX_H
#define ER_CPU_QCONV_QGEMM_AMX_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/qconv/qgemm.h"

#define ER_QAMX_MR 32
#define ER_QAMX_NR 32
#define ER_QAMX_KP 64

typedef void (*er_qamx_fn)(size_t mr, size_t nc, size_t kp, const uint8_t *a, const void *w,
                           uint8_t *c, size_t c_stride, const er_qgemm_params *p, int32_t *cbuf);

/* The AMX kernel plans use: the AMX variant, unless a test installed another
 * kernel with the same contract (er_qamx_set_kernel: the tests run the plan's
 * AMX path with an emulation of the tile instructions on machines without
 * AMX). NULL when this build has no AMX variant. */
er_qamx_fn er_qamx_kernel(void);
void er_qamx_set_kernel(er_qamx_fn fn); /* NULL restores the default; tests only */

/* Whether a GEMM of depth k (input channels x taps per group) and n output
 * channels should run on AMX tiles rather than on VNNI. Tiles take K in
 * steps of 64 and N in steps of 32 and the A panel must be re-packed for
 * them, so small layers lose: on a Xeon with AMX (bench/amx_check.sh, 1
 * thread) 1x1 layers with K or N of 16-32 ran 1.3-2.6x slower on AMX, the
 * 3-channel stems 1.4-2.1x slower, while K, N >= 64 with K x N >= 16K ran
 * 0.6-0.9x the VNNI time. Rule: K >= 64, N >= 64, K x N >= 16384 and at most
 * a third of K added as padding. Always true while a test kernel is
 * installed or when EDGERUN_AMX=always. */
int er_qamx_pays(int64_t k, int64_t n);

#if defined(__x86_64__)
void er_qu8_qc8w_gemm_32x32c64__amx(size_t mr, size_t nc, size_t kp, const uint8_t *a,
                                    const void *w, uint8_t *c, size_t c_stride,
                                    const er_qgemm_params *p, int32_t *cbuf);
#endif

#endif
