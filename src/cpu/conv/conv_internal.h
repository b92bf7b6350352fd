/* conv_internal.h - the convolution plan shared by conv_plan.c (choice,
 * packing) and the per-algorithm run files (conv_igemm.c, conv_dw.c,
 * conv_winograd.c). Not for use outside src/cpu/conv/. */
#ifndef ER_CPU_CONV_CONV_INTERNAL_H
#define ER_CPU_CONV_CONV_INTERNAL_H

#include "core/packed.h"
#include "cpu/conv/conv.h"
#include "cpu/conv/dwconv.h"
#include "cpu/conv/winograd.h"
#include "cpu/gemm/gemm.h"
#include "cpu/gemm/vact.h"

/* Depthwise windows taller than this go to the igemm path. */
#define ER_DW_MAX_KH ER_DW_ROWS_MAX

typedef enum conv_algo {
    CONV_IGEMM,    /* (indirect) GEMM: 1x1 (straight on the input), KxK, grouped */
    CONV_DW,       /* depthwise: group == C == M */
    CONV_WINOGRAD, /* F(4x4, 3x3), stride 1, dilation 1, group 1 */
} conv_algo;

struct er_conv_plan {
    er_conv_desc d;
    conv_algo algo;
    char name[96];
    er_isa isa;
    int threads;               /* the most threads er_conv_run may use */
    er_f32_minmax_params mm;   /* the clamp the kernels apply at the store */
    er_f32_vact_fn vact;       /* non-clamp activation, applied per hot tile; NULL: none */
    float *zero;               /* zero_floats zeros: the row padding taps read */
    size_t scratch_shared;     /* bytes at the start of scratch, a multiple of 64 */
    size_t scratch_per_thread; /* bytes per thread after them, a multiple of 64 */

    /* CONV_IGEMM */
    const er_f32_gemm_ukernel *gk;
    float *w;               /* packed weights (igemm panels / dw rows / Winograd) */
    int w_borrowed;         /* w points into a pre-packed blob (not freed) */
    char layout[64];        /* names w's layout exactly (er_conv_plan_layout) */
    const struct er_packed_blob *cands; /* pre-packed candidates, plan time only */
    int n_cands;
    size_t w_group_floats;  /* packed floats per group */
    int64_t nb;             /* output columns per work unit (a multiple of gk->nr) */
    int im2col;             /* copy each pixel tile's window rows (few input channels) */
    int row_taps;           /* one tap per window row: its KW*C inputs are contiguous */
    int simple_1x1;         /* 1x1, stride 1, no padding: row i is x + pixel*C */
    int64_t *tap_off;       /* KH*KW offsets (floats) of the taps from the window origin */

    /* CONV_DW */
    const er_f32_dwconv_ukernel *dk;
    size_t cpad;
    er_f32_dwconv_row dw_row; /* the row geometry (rows filled per row) */

    /* CONV_WINOGRAD (uses gk, w, w_group_floats = floats per xi, nb) */
    int64_t wg_tiles;               /* 4x4 output tiles of the batch */
    float *wg_bias;                 /* M biases or NULL */
    er_f32_winograd_input_fn wg_in;
    er_f32_winograd_output_fn wg_out;
    size_t wg_v_bytes, wg_m_bytes;  /* the two transform buffers in scratch_shared */
};

/* Output columns per GEMM work unit for a weight block of k rows (see
 * conv_plan.c). */
int64_t er_conv_pick_nb(const er_conv_plan *p, int64_t n, int64_t k, int64_t units_per_block);

/* Runs with pool (NULL or <= p->threads threads); scratch per conv.h. */
void er_conv_run_igemm(const er_conv_plan *p, const float *x, const float *z, float *y,
                       void *scratch, er_threadpool *pool);
void er_conv_run_dw(const er_conv_plan *p, const float *x, const float *z, float *y,
                    void *scratch, er_threadpool *pool);
void er_conv_run_winograd(const er_conv_plan *p, const float *x, const float *z, float *y,
                          void *scratch, er_threadpool *pool);

/* Winograd planning (conv_winograd.c): packs the transformed weights. */
er_status er_conv_plan_winograd(er_conv_plan *p, const float *w, const float *b);
/* Whether Winograd applies to d and is chosen for it. */
int er_conv_winograd_eligible(const er_conv_desc *d);

/* Packed-weight memory for a plan whose p->layout is set: a matching
 * pre-packed candidate (used in place, *fresh = 0) or new memory. */
float *er_conv_take_packed(er_conv_plan *p, size_t floats, int *fresh);

#endif
