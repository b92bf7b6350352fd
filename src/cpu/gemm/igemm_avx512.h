/* igemm_avx512.h - the AVX-512 indirect GEMM microkernel body, shared by the
 * er_f32_igemm_minmax_*__avx512 variants (included only by files compiled
 * with the AVX-512 flags; see CMakeLists.txt).
 *
 * igemm_avx512_tile computes ROWS x nc with ROWS a compile-time constant, so
 * the accumulators (ROWS x NRV zmm registers) stay in registers once the
 * compiler unrolls the constant loops. A variant MRxNR instantiates it for
 * every ROWS in 1..MR and dispatches on mr, so tail tiles do no wasted rows.
 * Per k step: NRV aligned panel loads, ROWS broadcasts, ROWS*NRV FMAs.
 *
 * The last panel (nc < NR) computes only the 16-column vectors it needs;
 * the partial vector stores (and reads z) through a lane mask, so nothing
 * past the block is touched. (A ymm half vector for a last group of <= 8
 * columns was measured on Zen 4 and gained nothing: a k step costs about
 * one cycle per FMA or broadcast instruction whatever the width, see
 * bench/kernels/README.md.) */
#ifndef ER_CPU_GEMM_IGEMM_AVX512_H
#define ER_CPU_GEMM_IGEMM_AVX512_H

#include <immintrin.h>

#include "cpu/gemm/igemm_variant.h"

/* Where a panel's results go: kept in memory and read only at the store,
 * so the k loop has the general registers for A's row pointers (with
 * everything in registers GCC parked row pointers in vector registers and
 * lost ~20% on partial panels). */
typedef struct igemm512_out {
    float *c;
    const float *z;
    size_t cs, zs, nc;
    float min, max;
} igemm512_out;

/* One panel: NV zmm vectors of ROWS rows from the panel at w (row stride PS
 * floats), storing the first o->nc columns (all 16*NV when FULL: plain
 * stores, no masks). */
ER_ALWAYS_INLINE void igemm_avx512_panel(const int ROWS, const int MRS, const int NV,
                                         const int FULL, const size_t PS, size_t kc, size_t ks,
                                         const float *const *a, const float *w,
                                         const igemm512_out *o) {
    __m512 acc[16][4];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[0][j] = _mm512_load_ps(w + 16 * j);
#pragma GCC unroll 16
    for (int i = 1; i < ROWS; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) acc[i][j] = acc[0][j];
    w += PS;
    const float *const *ap = a;
    for (size_t t = 0; t < ks; t++) {
        const float *ar[16];
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
        ap += MRS;
        for (size_t k = 0; k < kc; k++) {
            __m512 b[4];
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) b[j] = _mm512_load_ps(w + 16 * j);
            w += PS;
#pragma GCC unroll 16
            for (int i = 0; i < ROWS; i++) {
                const __m512 av = _mm512_set1_ps(ar[i][k]);
#pragma GCC unroll 4
                for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(av, b[j], acc[i][j]);
            }
        }
    }
    const size_t nc = o->nc, cs = o->cs, zs = o->zs;
    float *c = o->c;
    const float *z = o->z;
    const __m512 vmin = _mm512_set1_ps(o->min), vmax = _mm512_set1_ps(o->max);
    __mmask16 m[4];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) {
        size_t rem = nc > (size_t)(16 * j) ? nc - (size_t)(16 * j) : 0;
        m[j] = rem >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1u);
    }
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            __m512 v = acc[i][j];
            if (z)
                v = _mm512_add_ps(v, FULL ? _mm512_loadu_ps(z + i * zs + 16 * j)
                                          : _mm512_maskz_loadu_ps(m[j], z + i * zs + 16 * j));
            v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));
            if (FULL) _mm512_storeu_ps(c + i * cs + 16 * j, v);
            else _mm512_mask_storeu_ps(c + i * cs + 16 * j, m[j], v);
        }
    }
}

/* The partial last panel: each (rows, vectors) loop is its own function,
 * so the register allocator sees one loop nest with nothing else live
 * (inlined next to the full-panel loop, GCC 12 parked A's row pointers in
 * vector registers: 17.8 instead of 14.2 cycles per k step for 7 rows x 24
 * columns). Full panels stay inline: a call per panel costs up to 9% when
 * K is small (1x1 convolutions with 16 input channels). */
#define IGEMM512_PANEL_FN(R, V, F)                                                             \
    static __attribute__((noinline, unused)) void igemm512_panel_##R##_##V##_##F(              \
        int mrs, size_t ps, size_t kc, size_t ks, const float *const *a, const float *w,      \
        const igemm512_out *o) {                                                               \
        switch (mrs) { /* the variant's MR */                                                  \
        case 7: igemm_avx512_panel(R, 7, V, F, ps, kc, ks, a, w, o); break;                    \
        case 8: igemm_avx512_panel(R, 8, V, F, ps, kc, ks, a, w, o); break;                    \
        default: igemm_avx512_panel(R, mrs, V, F, ps, kc, ks, a, w, o); break;                 \
        }                                                                                      \
    }
#define IGEMM512_PANEL_FNS(R)                                                                  \
    IGEMM512_PANEL_FN(R, 1, 0) IGEMM512_PANEL_FN(R, 2, 0) IGEMM512_PANEL_FN(R, 3, 0)          \
    IGEMM512_PANEL_FN(R, 4, 0)
IGEMM512_PANEL_FNS(1)
IGEMM512_PANEL_FNS(2)
IGEMM512_PANEL_FNS(3)
IGEMM512_PANEL_FNS(4)
IGEMM512_PANEL_FNS(5)
IGEMM512_PANEL_FNS(6)
IGEMM512_PANEL_FNS(7)
IGEMM512_PANEL_FNS(8)

#define IGEMM512_CALL_R(R, V, F) igemm512_panel_##R##_##V##_##F(MRS, NR, kc, ks, a, w, &o)
/* dispatch on compile-time ROWS, V and F (folded after inlining) */
#define IGEMM512_CALL(V, F)                                                                    \
    do {                                                                                       \
        switch (ROWS) {                                                                        \
        case 1: IGEMM512_CALL_R(1, V, F); break;                                               \
        case 2: IGEMM512_CALL_R(2, V, F); break;                                               \
        case 3: IGEMM512_CALL_R(3, V, F); break;                                               \
        case 4: IGEMM512_CALL_R(4, V, F); break;                                               \
        case 5: IGEMM512_CALL_R(5, V, F); break;                                               \
        case 6: IGEMM512_CALL_R(6, V, F); break;                                               \
        case 7: IGEMM512_CALL_R(7, V, F); break;                                               \
        default: IGEMM512_CALL_R(8, V, F); break;                                              \
        }                                                                                      \
    } while (0)

ER_ALWAYS_INLINE void igemm_avx512_tile(const int ROWS, const int MRS, const int NRV, size_t nc,
                                        size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t c_stride,
                                        const float *z, size_t z_stride,
                                        const er_f32_minmax_params *p) {
    const size_t NR = (size_t)NRV * 16;
    float *cr[16];
    const float *zr[16];
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
        cr[i] = c + (size_t)i * c_stride;
        zr[i] = z ? z + (size_t)i * z_stride : NULL;
    }
    const __m512 vmin = _mm512_set1_ps(p->min), vmax = _mm512_set1_ps(p->max);
    while (nc >= NR) {
        __m512 acc[16][4];
#pragma GCC unroll 4
        for (int j = 0; j < NRV; j++) acc[0][j] = _mm512_load_ps(w + 16 * j);
#pragma GCC unroll 16
        for (int i = 1; i < ROWS; i++)
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) acc[i][j] = acc[0][j];
        w += NR;
        const float *const *ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[16];
#pragma GCC unroll 16
            for (int i = 0; i < ROWS; i++) ar[i] = ap[i];
            ap += MRS;
            for (size_t k = 0; k < kc; k++) {
                __m512 b[4];
#pragma GCC unroll 4
                for (int j = 0; j < NRV; j++) b[j] = _mm512_load_ps(w + 16 * j);
                w += NR;
#pragma GCC unroll 16
                for (int i = 0; i < ROWS; i++) {
                    const __m512 av = _mm512_set1_ps(ar[i][k]);
#pragma GCC unroll 4
                    for (int j = 0; j < NRV; j++) acc[i][j] = _mm512_fmadd_ps(av, b[j], acc[i][j]);
                }
            }
        }
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++) {
#pragma GCC unroll 4
            for (int j = 0; j < NRV; j++) {
                __m512 v = acc[i][j];
                if (z) v = _mm512_add_ps(v, _mm512_loadu_ps(zr[i] + 16 * j));
                v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));
                _mm512_storeu_ps(cr[i] + 16 * j, v);
            }
            cr[i] += NR;
            if (z) zr[i] += NR;
        }
        nc -= NR;
    }
    if (nc == 0) return;
    /* the partial last panel: only the 16-column vectors it needs */
    igemm512_out o = {cr[0], z ? zr[0] : NULL, c_stride, z_stride, nc, p->min, p->max};
    if (NRV >= 4 && nc > 48) IGEMM512_CALL(4, 0);
    else if (NRV >= 3 && nc > 32) IGEMM512_CALL(3, 0);
    else if (NRV >= 2 && nc > 16) IGEMM512_CALL(2, 0);
    else IGEMM512_CALL(1, 0);
}

#endif
