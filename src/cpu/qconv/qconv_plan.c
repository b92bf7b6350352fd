/* qconv_plan.c - algorithm choice, weight packing and the run loops of the
 * int8 NHWC convolution (qconv.h).
 *
 * GEMM-family runs (gemm, igemm, im2col) split the output into work items
 * (group, column block, row block of MR output pixels), row blocks fastest so
 * consecutive items of one thread reuse the same packed weights from cache;
 * the split over threads is static. Each item builds its MR (x taps) row
 * pointers - or, for im2col, MR packed rows - in the thread's scratch and
 * calls the microkernel once for the column block. Depthwise runs split the
 * output rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/packed.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qdwconv.h"
#include "cpu/qconv/qgemm.h"
#include "cpu/qconv/qgemm_amx.h"
#include "cpu/qconv/qvbinary.h"

typedef enum { QA_GEMM, QA_IGEMM, QA_IM2COL, QA_ROWS, QA_DW, QA_DIRECT, QA_DW3 } qalgo;

static const char *const k_algo_names[] = {"gemm",   "igemm",  "im2col", "rows",
                                           "dwconv", "direct", "dwconv3x3"};

/* Below this many input channels per group, im2col packs the window into one
 * row (the per-tap rounding of K to 4 would waste too much). */
#define ER_QCONV_IM2COL_MAX_CG 16
/* Packed weight bytes a column block aims to stay under (L2-resident). */
#define ER_QCONV_WEIGHT_BLOCK (192 * 1024)

struct er_qconv_plan {
    er_qconv_desc d;
    qalgo algo;
    char name[96];
    const er_qgemm_ukernel *gk;
    const er_qdw_ukernel *dk;
    void *packed;
    bool packed_borrowed; /* packed is a .erm's pre-packed blob: not ours to free */
    unsigned char *dw3_pad; /* dwconv3x3: the laid-out padding row of each group */
    int64_t dw3_groups;     /* dwconv3x3: channel groups (whole 64-channel blocks) */
    char layout[160];    /* GEMM family: names the packed layout (--prepack) */
    size_t group_bytes;  /* packed bytes per group (GEMM family) */
    size_t panel_bytes;  /* one NR panel */
    int64_t Cg, Mg;
    int64_t ks, kc;      /* GEMM geometry per group (im2col: ks 1, kc KH*KW*Cg) */
    size_t kc4;
    int32_t zu;          /* zero point of the uint8 view of x */
    bool copy_x;         /* x is copied (and flipped when int8) into scratch */
    uint8_t *zero;       /* padding row: zu bytes (GEMM family) or raw x_zp (dw) */
    er_qgemm_params qp;
    int64_t rows;        /* output pixels N*OH*OW */
    int64_t ncb, n_cb, n_rb, rb_rows; /* row blocks of rb_rows (<= MR) pixels */
    int64_t Hp, Wp;      /* rows: the padded input's size */
    bool merge_kw;       /* rows: the KW taps of a kernel row are one segment */
    er_qamx_fn amx;      /* AMX: the tile kernel (the algorithm only builds rows) */
    size_t kp;           /* AMX: ks * kc rounded up to 64 */
    int mr;              /* rows per microkernel call (MR, or 32 with AMX) */
    er_qvbin_fn add;     /* fused residual QAdd, or NULL */
    er_qvbin_params add_p;
    int threads;
    size_t x_bytes;      /* scratch for the copied input (0 when not copied) */
    size_t thread_bytes; /* per-thread scratch */
    /* direct: the op's inputs, copied */
    uint8_t *w_copy;
    int32_t *w_zp, *bias;
    er_qmul *mul;
};

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

typedef struct { /* depthwise weights for er_qdw_pack's accessor */
    const er_qconv_desc *d;
    const uint8_t *w;
    const int32_t *w_zp;
} wsrc;

static int32_t wraw(const er_qconv_desc *d, const uint8_t *w, int64_t i) {
    return d->w_dtype == ER_I8 ? (int32_t)(int8_t)w[i] : (int32_t)w[i];
}

/* w' of group g as dense rows for er_qgemm_pack_dense: dst[n * K + tap * Cg
 * + c] = w[m][c][kh][kw] - w_zp[m] (m = g * Mg + n, tap = kh * KW + kw, K =
 * taps * Cg). Every algorithm walks its (t, k) in this tap-major,
 * channel-minor order: tap by tap (t = tap, k = c), rows with merged kw
 * (t = kh, k = kw * Cg + c), im2col and AMX (t = 0, k = tap * Cg + c). */
static void dense_rows(const er_qconv_desc *d, const uint8_t *w, const int32_t *w_zp, int64_t g,
                       int64_t Cg, int64_t Mg, int8_t *dst) {
    int64_t taps = d->KH * d->KW, K = taps * Cg;
    bool s8 = d->w_dtype == ER_I8;
    for (int64_t n = 0; n < Mg; n++) {
        int64_t m = g * Mg + n;
        const uint8_t *wm = w + m * Cg * taps;
        int8_t *o = dst + n * K;
        int32_t zp = w_zp[m];
        /* values are in range: weights_fit_int8 */
        if (s8 && zp == 0 && taps == 1) {
            memcpy(o, wm, (size_t)Cg);
        } else if (s8) {
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t t = 0; t < taps; t++)
                    o[t * Cg + c] = (int8_t)((int32_t)(int8_t)wm[c * taps + t] - zp);
        } else {
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t t = 0; t < taps; t++)
                    o[t * Cg + c] = (int8_t)((int32_t)wm[c * taps + t] - zp);
        }
    }
}

/* Depthwise 3x3 as 12 taps (dwconv3x3): kernel row kh is taps 4kh .. 4kh+2,
 * tap 4kh+3 is zero. */
static int32_t wget_dw3(const void *arg, int64_t t, int64_t k, int64_t c);

/* Depthwise: w'[t][.][c] = w[c][0][kh][kw] - w_zp[c]. */
static int32_t wget_dw(const void *arg, int64_t t, int64_t k, int64_t c) {
    const wsrc *s = arg;
    (void)k;
    return wraw(s->d, s->w, c * s->d->KH * s->d->KW + t) - s->w_zp[c];
}

static int32_t wget_dw3(const void *arg, int64_t t, int64_t k, int64_t c) {
    if (t % 4 == 3) return 0;
    return wget_dw(arg, t / 4 * 3 + t % 4, k, c);
}

static bool weights_fit_int8(const er_qconv_desc *d, const uint8_t *w, const int32_t *w_zp,
                             int64_t per_m) {
    for (int64_t m = 0; m < d->M; m++) {
        if (d->w_dtype == ER_I8 && w_zp[m] == 0) continue; /* symmetric int8: fits */
        for (int64_t i = 0; i < per_m; i++) {
            int32_t v = wraw(d, w, m * per_m + i) - w_zp[m];
            if (v < -128 || v > 127) return false;
        }
    }
    return true;
}

/* dwconv3x3 channel group g (the 64-channel blocks split as evenly as they
 * go): its first block, returned, and its channel count. */
static int64_t dw3_group(const er_qconv_plan *p, int64_t g, size_t *channels) {
    int64_t blocks = (p->d.C + ER_QDW_CT - 1) / ER_QDW_CT, G = p->dw3_groups;
    int64_t b0 = blocks * g / G, b1 = blocks * (g + 1) / G;
    int64_t c1 = b1 * ER_QDW_CT < p->d.C ? b1 * ER_QDW_CT : p->d.C;
    *channels = (size_t)(c1 - b0 * ER_QDW_CT);
    return b0;
}

static er_status plan_fail_nomem(er_qconv_plan *p) {
    er_qconv_plan_free(p);
    return er_fail(ER_ERR_NOMEM, "out of memory planning an int8 convolution");
}

/* 3x3, stride 1, no dilation, padding 1 on every side (the output has the
 * input's size): the row-interleaved VNNI depthwise kernel. Not stride 2:
 * there every output row lays out 1.5 new input rows, and the stores and
 * reloads cost more than the unpacks they save (112x112x96: 0.159 against
 * 0.137 ms). */
static bool dw3_eligible(const er_qconv_desc *d, er_isa isa, unsigned features) {
#if ER_QARCH_X86_64
    return d->KH == 3 && d->KW == 3 && d->stride_h == 1 && d->stride_w == 1 && d->dil_h == 1 &&
           d->dil_w == 1 && d->pad_top == 1 && d->pad_left == 1 && d->pad_bottom == 1 &&
           d->pad_right == 1 && d->OH == d->H && d->OW == d->W &&
           er_qdw_pick(isa, features)->layout == ER_QDW_C4 &&
           getenv("EDGERUN_NO_DWCONV3X3") == NULL;
#else
    (void)d, (void)isa, (void)features;
    return false;
#endif
}

er_status er_qconv_plan_create(const er_qconv_desc *d, const void *w, const int32_t *w_zp,
                               const int32_t *bias, const er_qmul *mul, er_isa isa,
                               unsigned features, int threads, er_qconv_plan **out) {
    return er_qconv_plan_create_packed(d, w, w_zp, bias, mul, isa, features, threads, NULL, 0,
                                       out);
}

const char *er_qconv_plan_layout(const er_qconv_plan *p) { return p->layout; }

er_status er_qconv_plan_packed(const er_qconv_plan *p, const void **data, size_t *bytes) {
    *data = NULL;
    *bytes = 0;
    if (!p->layout[0] || !p->packed) return ER_ERR_INVALID_ARG; /* not the GEMM family */
    *data = p->packed;
    *bytes = p->group_bytes * (size_t)p->d.group;
    return ER_OK;
}

er_status er_qconv_plan_create_packed(const er_qconv_desc *d, const void *w, const int32_t *w_zp,
                                      const int32_t *bias, const er_qmul *mul, er_isa isa,
                                      unsigned features, int threads,
                                      const er_packed_blob *cands, int n_cands,
                                      er_qconv_plan **out) {
    *out = NULL;
    er_qconv_plan *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory planning an int8 convolution");
    p->d = *d;
    p->threads = threads > 0 ? threads : 1;
    p->Cg = d->C / d->group;
    p->Mg = d->M / d->group;
    p->rows = d->N * d->OH * d->OW;
    int64_t taps = d->KH * d->KW;
    bool s8 = d->x_dtype == ER_I8;
    p->zu = s8 ? d->x_zp + 128 : d->x_zp;
    p->qp.zp = d->y_zp;
    p->qp.lo = d->y_min - d->y_zp;
    p->qp.hi = d->y_max - d->y_zp;
    er_qcol *cols = er_malloc(sizeof(er_qcol) * (size_t)(d->M > 0 ? d->M : 1));
    if (!cols) return plan_fail_nomem(p);
    for (int64_t m = 0; m < d->M; m++) {
        cols[m] = er_qcol_make(mul[m].mult, mul[m].shift);
        p->qp.has_left |= cols[m].left > 0;
    }
    bool fits = weights_fit_int8(d, w, w_zp, p->Cg * taps);
    bool dw = d->group == d->C && d->M == d->C && d->group > 1;
    if (!fits) p->algo = QA_DIRECT;
    else if (dw) p->algo = dw3_eligible(d, isa, features) ? QA_DW3 : QA_DW;
    else if (d->group == 1 && taps > 1) p->algo = QA_ROWS;
    else if (p->Cg < ER_QCONV_IM2COL_MAX_CG && taps > 1) p->algo = QA_IM2COL;
    else if (taps == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
             d->pad_left == 0 && d->pad_bottom == 0 && d->pad_right == 0)
        p->algo = QA_GEMM;
    else p->algo = QA_IGEMM;

    er_status st = ER_OK;
    if (p->algo == QA_DIRECT) {
        size_t wn = (size_t)(d->M * p->Cg * taps);
        p->w_copy = er_malloc(wn ? wn : 1);
        p->w_zp = er_malloc(sizeof(int32_t) * (size_t)d->M + 4);
        p->bias = bias ? er_malloc(sizeof(int32_t) * (size_t)d->M + 4) : NULL;
        p->mul = er_malloc(sizeof(er_qmul) * (size_t)d->M + 8);
        if (!p->w_copy || !p->w_zp || (bias && !p->bias) || !p->mul) {
            er_free(cols);
            return plan_fail_nomem(p);
        }
        memcpy(p->w_copy, w, wn);
        memcpy(p->w_zp, w_zp, sizeof(int32_t) * (size_t)d->M);
        if (bias) memcpy(p->bias, bias, sizeof(int32_t) * (size_t)d->M);
        memcpy(p->mul, mul, sizeof(er_qmul) * (size_t)d->M);
        snprintf(p->name, sizeof p->name, "direct");
    } else if (p->algo == QA_DW || p->algo == QA_DW3) {
        p->dk = er_qdw_pick(isa, features);
        bool dw3 = p->algo == QA_DW3;
        int64_t pks = dw3 ? 12 : taps;
        size_t blocks = (size_t)((d->C + ER_QDW_CT - 1) / ER_QDW_CT);
        size_t bytes;
        if (!er_mul_size(&bytes, blocks, er_qdw_block_bytes(p->dk->layout, (size_t)pks))) {
            er_free(cols);
            er_qconv_plan_free(p);
            return er_fail(ER_ERR_SHAPE, "depthwise weights too large");
        }
        p->packed = er_aligned_alloc(bytes);
        p->zero = er_aligned_alloc(align64((size_t)d->C + 64));
        if (!p->packed || !p->zero) {
            er_free(cols);
            return plan_fail_nomem(p);
        }
        memset(p->zero, (uint8_t)d->x_zp, align64((size_t)d->C + 64));
        wsrc s = {d, w, w_zp};
        er_qdw_pack(p->dk->layout, d->C, pks, dw3 ? wget_dw3 : wget_dw, &s, bias, p->zu, cols,
                    p->packed);
        if (dw3) { /* per thread: three laid-out input rows; the padding row once */
            /* with few rows per thread, threads split the channels (whole
             * blocks) first: each thread lays out the input rows its output
             * rows need, so a row split lays out up to two extra rows per
             * thread (on 7x7 and 14x14 layers that was most of the work);
             * with many rows the row split balances better */
            p->dw3_groups = d->N * d->OH >= 8 * (int64_t)p->threads ? 1
                            : p->threads < (int)blocks            ? p->threads
                                                                  : (int64_t)blocks;
            size_t row_bytes;
            if (!er_mul_size(&row_bytes, (size_t)d->W * blocks, 256) ||
                !er_mul_size(&p->thread_bytes, row_bytes, 3)) {
                st = er_fail(ER_ERR_SHAPE, "depthwise rows too large");
            } else if (!(p->dw3_pad = er_aligned_alloc(row_bytes))) {
                er_free(cols);
                return plan_fail_nomem(p);
            } else {
#if ER_QARCH_X86_64
                for (int64_t g = 0; g < p->dw3_groups; g++) { /* group g's at its first block */
                    size_t cn;
                    int64_t b0 = dw3_group(p, g, &cn);
                    size_t cs = (size_t)b0 * ER_QDW_CT;
                    er_qdw_c4_rows3__avx512vnni(cn, (size_t)d->W, NULL, 0, p->zero + cs,
                                                d->x_dtype == ER_I8 ? 0x80u : 0u,
                                                p->dw3_pad + (size_t)d->W * (size_t)b0 * 256);
                }
#endif
            }
        } else if (!er_mul_size(&p->thread_bytes, (size_t)(d->OW * taps), sizeof(uint8_t *))) {
            /* per thread: one output row's input pointers */
            st = er_fail(ER_ERR_SHAPE, "depthwise window too large");
        }
        p->thread_bytes = align64(p->thread_bytes);
        snprintf(p->name, sizeof p->name, "%s %s", dw3 ? "dwconv3x3" : "dwconv", p->dk->name);
    } else {
        p->gk = er_qgemm_pick(isa, features, p->Mg);
        p->amx = (features & ER_QF_AMX) && er_qamx_pays((int64_t)taps * p->Cg, p->Mg)
                     ? er_qamx_kernel() : NULL;
        int nr = p->amx ? ER_QAMX_NR : p->gk->nr, mr = p->amx ? ER_QAMX_MR : p->gk->mr;
        p->mr = mr;
        p->merge_kw = p->algo == QA_ROWS && d->dil_w == 1;
        p->ks = p->algo == QA_IM2COL ? 1 : p->merge_kw ? d->KH : taps;
        p->kc = p->algo == QA_IM2COL ? taps * p->Cg : p->merge_kw ? d->KW * p->Cg : p->Cg;
        p->kc4 = (size_t)(p->kc + 3) & ~(size_t)3;
        p->kp = ((size_t)(p->ks * p->kc) + ER_QAMX_KP - 1) / ER_QAMX_KP * ER_QAMX_KP;
        p->panel_bytes = p->amx ? er_qgemm_panel_bytes(nr, 1, p->kp)
                                : er_qgemm_panel_bytes(nr, (size_t)p->ks, p->kc4);
        size_t panels = (size_t)((p->Mg + nr - 1) / nr);
        if (!p->panel_bytes || !er_mul_size(&p->group_bytes, panels, p->panel_bytes)) {
            er_free(cols);
            er_qconv_plan_free(p);
            return er_fail(ER_ERR_SHAPE, "int8 convolution weights too large");
        }
        size_t total;
        if (!er_mul_size(&total, p->group_bytes, (size_t)d->group)) {
            er_free(cols);
            er_qconv_plan_free(p);
            return er_fail(ER_ERR_SHAPE, "int8 convolution weights too large");
        }
        int64_t pks = p->amx ? 1 : p->ks, pkc = p->amx ? (int64_t)p->kp : p->kc;
        /* everything the packed bytes depend on besides the weights and biases
         * themselves (the requantization constants are checked on use) */
        snprintf(p->layout, sizeof p->layout, "q8-gemm-v1/%s/%s/nr%d/ks%lld/kc%lld/g%lld/m%lld/"
                 "zu%d/%s", k_algo_names[p->algo], p->amx ? "amx32x32c64" : p->gk->name, nr,
                 (long long)pks, (long long)pkc, (long long)d->group, (long long)p->Mg,
                 (int)p->zu, bias ? "bias" : "nobias");
        for (int i = 0; i < n_cands && !p->packed; i++) {
            const er_packed_blob *c = &cands[i];
            if (c->bytes != total || strcmp(c->layout, p->layout) != 0 ||
                ((uintptr_t)c->data & 63) != 0)
                continue;
            bool ok = true;
            for (int64_t g = 0; ok && g < d->group; g++)
                ok = er_qgemm_packed_cols_match(p->Mg, pks, pkc, nr, cols + g * p->Mg,
                                                (const unsigned char *)c->data +
                                                    (size_t)g * p->group_bytes);
            if (ok) {
                p->packed = (void *)(uintptr_t)c->data; /* read-only: never written */
                p->packed_borrowed = true;
            }
        }
        bool fresh = !p->packed;
        if (fresh) p->packed = er_aligned_alloc(total);
        p->zero = er_aligned_alloc(align64(p->kc4 + 64));
        if (!p->packed || !p->zero) {
            er_free(cols);
            return plan_fail_nomem(p);
        }
        memset(p->zero, (uint8_t)p->zu, align64(p->kc4 + 64));
        size_t K = (size_t)(taps * p->Cg);
        int8_t *dense = fresh ? er_malloc(K * (size_t)p->Mg + 1) : NULL;
        if (fresh && !dense) {
            er_free(cols);
            return plan_fail_nomem(p);
        }
        for (int64_t g = 0; fresh && g < d->group; g++) {
            dense_rows(d, w, w_zp, g, p->Cg, p->Mg, dense);
            er_qgemm_pack_dense(p->Mg, pks, pkc, nr, dense, K, K,
                                bias ? bias + g * p->Mg : NULL, p->zu, cols + g * p->Mg,
                                (unsigned char *)p->packed + (size_t)g * p->group_bytes);
        }
        er_free(dense);
        /* the input is copied when int8 (flip) or when rows are read past
         * their channels (kc4 > Cg) and the last one could end the buffer */
        p->copy_x = s8 || p->algo == QA_ROWS || (p->algo != QA_IM2COL && (size_t)p->Cg != p->kc4);
        p->Hp = p->algo == QA_ROWS ? d->H + d->pad_top + d->pad_bottom : d->H;
        p->Wp = p->algo == QA_ROWS ? d->W + d->pad_left + d->pad_right : d->W;
        if (p->copy_x) {
            size_t xb;
            if (!er_mul_size(&xb, (size_t)(d->N * p->Hp), (size_t)(p->Wp * d->C)))
                st = er_fail(ER_ERR_SHAPE, "int8 convolution input too large");
            p->x_bytes = align64(xb + 64);
        }
        /* column blocks: packed weights of a block stay L2-sized; with several
         * threads and few row blocks, smaller blocks give every thread work */
        size_t per_col = (size_t)p->ks * p->kc4;
        int64_t ncb = (int64_t)(ER_QCONV_WEIGHT_BLOCK / (per_col ? per_col : 1)) / nr * nr;
        int64_t mg_pad = (p->Mg + nr - 1) / nr * nr;
        if (ncb < nr) ncb = nr;
        if (ncb > mg_pad) ncb = mg_pad;
        p->n_rb = (p->rows + mr - 1) / mr;
        p->rb_rows = (p->rows + p->n_rb - 1) / (p->n_rb > 0 ? p->n_rb : 1);
        if (p->threads > 1)
            while (ncb > nr && d->group * p->n_rb * ((p->Mg + ncb - 1) / ncb) < 4 * p->threads)
                ncb = (ncb / 2 + nr - 1) / nr * nr;
        p->ncb = ncb;
        p->n_cb = (p->Mg + ncb - 1) / ncb;
        size_t ptrs = align64(sizeof(uint8_t *) * (size_t)(p->ks * mr));
        size_t rows = p->algo == QA_IM2COL ? align64(p->kc4 * (size_t)mr + 64) : 0;
        /* AMX: the packed A panel (32 rows of kp bytes) and the int32 block */
        size_t amx = p->amx ? align64(p->kp * ER_QAMX_MR) + ER_QAMX_MR * ER_QAMX_NR * 4 : 0;
        p->thread_bytes = ptrs + rows + amx;
        snprintf(p->name, sizeof p->name, "%s %s", k_algo_names[p->algo],
                 p->amx ? "er_qu8_qc8w_gemm_32x32c64__amx" : p->gk->name);
    }
    er_free(cols);
    if (st != ER_OK) {
        er_qconv_plan_free(p);
        return st;
    }
    *out = p;
    return ER_OK;
}

void er_qconv_plan_free(er_qconv_plan *p) {
    if (!p) return;
    if (!p->packed_borrowed) er_aligned_free(p->packed);
    er_aligned_free(p->dw3_pad);
    er_aligned_free(p->zero);
    er_free(p->w_copy);
    er_free(p->w_zp);
    er_free(p->bias);
    er_free(p->mul);
    er_free(p);
}

size_t er_qconv_scratch_bytes(const er_qconv_plan *p) {
    return p->x_bytes + p->thread_bytes * (size_t)p->threads;
}

const char *er_qconv_algo(const er_qconv_plan *p) { return p->name; }

/* ---- run -------------------------------------------------------------------- */

typedef struct {
    const er_qconv_plan *p;
    const uint8_t *x; /* the uint8 view (copied) or the raw input (dw) */
    const uint8_t *src;
    uint8_t *y;
    const uint8_t *res; /* fused residual, or NULL */
    unsigned char *scratch; /* per-thread area */
    size_t n_bytes;
} qrun;

/* x ^ 0x80 (int8) or a plain copy, n bytes. */
static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n, bool flip) {
    if (!flip) {
        memcpy(dst, src, n);
        return;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* eight bytes at a time */
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= 0x8080808080808080ull;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = src[i] ^ 0x80;
}

/* The uint8 view of x, one padded row (n, ihp) per item: [n][Hp][Wp][C] with
 * the padding filled with zu (rows) or no padding (other algorithms). */
static void copy_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const qrun *r = arg;
    const er_qconv_plan *p = r->p;
    const er_qconv_desc *d = &p->d;
    uint8_t *dst = (uint8_t *)r->x;
    bool flip = d->x_dtype == ER_I8;
    int64_t pt = p->algo == QA_ROWS ? d->pad_top : 0, pl = p->algo == QA_ROWS ? d->pad_left : 0;
    size_t row = (size_t)(p->Wp * d->C);
    for (int64_t it = begin; it < end; it++) {
        int64_t n = it / p->Hp, ihp = it % p->Hp, ih = ihp - pt;
        uint8_t *o = dst + (size_t)it * row;
        if (ih < 0 || ih >= d->H) {
            memset(o, (uint8_t)p->zu, row);
            continue;
        }
        size_t left = (size_t)(pl * d->C), body = (size_t)(d->W * d->C);
        memset(o, (uint8_t)p->zu, left);
        copy_bytes(o + left, r->src + (size_t)(n * d->H + ih) * body, body, flip);
        memset(o + left + body, (uint8_t)p->zu, row - left - body);
    }
}

/* The A row pointers of one item's m rows from output pixel r0 (and, for
 * im2col, the packed rows in rowbuf): every algorithm but gemm. */
static void item_rows(const qrun *r, int64_t r0, size_t m, const uint8_t *xg, const uint8_t **a,
                      uint8_t *rowbuf) {
    const er_qconv_plan *p = r->p;
    const er_qconv_desc *d = &p->d;
    const int64_t ks = p->ks, row_step = d->dil_h * p->Wp * d->C; /* rows: tap t to t + 1 */
    const int mr = p->mr;
    int64_t ohw = d->OH * d->OW;
    /* the block's first pixel; the next ones by increment (three 64-bit
     * divisions per row were a third of a 3-channel stem's time) */
    int64_t n = r0 / ohw, oh = r0 % ohw / d->OW, ow = r0 % d->OW;
    for (size_t i = 0; i < m; i++) {
        if (i) {
            if (++ow == d->OW) {
                ow = 0;
                if (++oh == d->OH) {
                    oh = 0;
                    n++;
                }
            }
        }
        if (p->algo == QA_ROWS) { /* the padded copy: every tap in bounds */
            const uint8_t *px =
                r->x + ((n * p->Hp + oh * d->stride_h) * p->Wp + ow * d->stride_w) * d->C;
            if (p->merge_kw) { /* tap t = kernel row t */
                const uint8_t **at = a + i;
                for (int64_t t = 0; t < ks; t++, at += mr, px += row_step) *at = px;
            } else {
                for (int64_t kh = 0, t = 0; kh < d->KH; kh++)
                    for (int64_t kw = 0; kw < d->KW; kw++, t++)
                        a[t * mr + (int64_t)i] =
                            px + (kh * d->dil_h * p->Wp + kw * d->dil_w) * d->C;
            }
            continue;
        }
        uint8_t *dst = rowbuf + i * p->kc4;
        for (int64_t kh = 0, t = 0; kh < d->KH; kh++) {
            int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
            for (int64_t kw = 0; kw < d->KW; kw++, t++) {
                int64_t iw = ow * d->stride_w - d->pad_left + kw * d->dil_w;
                bool in = ih >= 0 && ih < d->H && iw >= 0 && iw < d->W;
                const uint8_t *src = in ? xg + ((n * d->H + ih) * d->W + iw) * d->C : p->zero;
                if (p->algo == QA_IGEMM) a[t * mr + (int64_t)i] = src;
                else memcpy(dst + t * p->Cg, src, (size_t)p->Cg);
            }
        }
        if (p->algo == QA_IM2COL) {
            memset(dst + p->kc, 0, p->kc4 - (size_t)p->kc);
            a[i] = dst;
        }
    }
}

static void gemm_task(void *arg, int64_t begin, int64_t end, int tid) {
    const qrun *r = arg;
    const er_qconv_plan *p = r->p;
    const er_qconv_desc *d = &p->d;
    int mr = p->mr, nr = p->amx ? ER_QAMX_NR : p->gk->nr;
    const uint8_t **a = (const uint8_t **)(r->scratch + (size_t)tid * p->thread_bytes);
    uint8_t *rowbuf = (uint8_t *)a + align64(sizeof(uint8_t *) * (size_t)(p->ks * mr));
    uint8_t *panel = rowbuf + (p->algo == QA_IM2COL ? align64(p->kc4 * (size_t)mr + 64) : 0);
    int32_t *cbuf = (int32_t *)(panel + align64(p->kp * ER_QAMX_MR));
    /* item it = (group g, column block cb, row block rb), rb fastest: found
     * once and then counted on, no divisions per item */
    int64_t rb = begin % p->n_rb, cb = begin / p->n_rb % p->n_cb, g = begin / (p->n_rb * p->n_cb);
    for (int64_t it = begin; it < end; it++) {
        if (it > begin && ++rb == p->n_rb) {
            rb = 0;
            if (++cb == p->n_cb) {
                cb = 0;
                g++;
            }
        }
        int64_t r0 = rb * p->rb_rows, n0 = cb * p->ncb;
        size_t m = (size_t)(p->rows - r0 < p->rb_rows ? p->rows - r0 : p->rb_rows);
        size_t nc = (size_t)(p->Mg - n0 < p->ncb ? p->Mg - n0 : p->ncb);
        const uint8_t *xg = r->x + g * p->Cg;
        if (p->algo == QA_GEMM) /* rows at pixel stride C: no coordinates */
            for (size_t i = 0; i < m; i++) a[i] = xg + (r0 + (int64_t)i) * d->C;
        else
            item_rows(r, r0, m, xg, a, rowbuf);
        const unsigned char *w = (const unsigned char *)p->packed + (size_t)g * p->group_bytes +
                                 (size_t)(n0 / nr) * p->panel_bytes;
        uint8_t *y = r->y + r0 * d->M + g * p->Mg + n0;
        if (p->amx) {
            /* A panel: each row's ks segments of kc bytes, zero padded to kp;
             * rows past m are zero (computed, not stored) */
            for (size_t i = 0; i < (size_t)ER_QAMX_MR; i++) {
                uint8_t *dst = panel + i * p->kp;
                size_t done = 0;
                for (int64_t t = 0; i < m && t < p->ks; t++, done += (size_t)p->kc)
                    memcpy(dst + done, a[t * mr + (int64_t)i], (size_t)p->kc);
                memset(dst + done, 0, p->kp - done);
            }
            p->amx(m, nc, p->kp, panel, w, y, (size_t)d->M, &p->qp, cbuf);
        } else {
            p->gk->fn(m, nc, p->kc4, (size_t)p->ks, a, w, y, (size_t)d->M, &p->qp);
        }
        if (r->res) { /* the fused residual QAdd on the block, still in cache */
            const uint8_t *res = r->res + (y - r->y);
            if (nc == (size_t)d->M) { /* whole rows: one contiguous run (one call, not m) */
                p->add(m * nc, y, res, y, &p->add_p);
            } else {
                for (size_t i = 0; i < m; i++)
                    p->add(nc, y + i * (size_t)d->M, res + i * (size_t)d->M,
                           y + i * (size_t)d->M, &p->add_p);
            }
        }
    }
}

/* Fills in[ow * ks + t] for output row (n, oh): per tap, the output columns
 * whose input column lies inside the image read consecutive pixels, the
 * others the padding row. */
static void dw_pointers(const er_qconv_plan *p, const uint8_t *x, int64_t n, int64_t oh,
                        const uint8_t **in) {
    const er_qconv_desc *d = &p->d;
    int64_t ks = d->KH * d->KW;
    for (int64_t kh = 0, t = 0; kh < d->KH; kh++) {
        int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
        for (int64_t kw = 0; kw < d->KW; kw++, t++) {
            int64_t off = kw * d->dil_w - d->pad_left; /* iw = ow * stride + off */
            int64_t lo = 0, hi = 0;
            if (ih >= 0 && ih < d->H) {
                lo = off >= 0 ? 0 : (-off + d->stride_w - 1) / d->stride_w;
                hi = d->W - off <= 0 ? 0 : (d->W - off + d->stride_w - 1) / d->stride_w;
                if (hi > d->OW) hi = d->OW;
                if (lo > hi) lo = hi;
            }
            int64_t ow = 0;
            for (; ow < lo; ow++) in[ow * ks + t] = p->zero;
            const uint8_t *px = x + ((n * d->H + ih) * d->W + lo * d->stride_w + off) * d->C;
            for (; ow < hi; ow++, px += d->stride_w * d->C) in[ow * ks + t] = px;
            for (; ow < d->OW; ow++) in[ow * ks + t] = p->zero;
        }
    }
}

/* dwconv3x3: items (channel group, output row), rows fastest; each input row
 * of a group is laid out once into one of three slots (input row i in slot
 * i % 3) and read by the up to three output rows that need it; rows above and
 * below the image read the group's padding row the plan laid out once. */
static void dw3_task(void *arg, int64_t begin, int64_t end, int tid) {
#if ER_QARCH_X86_64
    const qrun *r = arg;
    const er_qconv_plan *p = r->p;
    const er_qconv_desc *d = &p->d;
    size_t rb = (size_t)d->W * (size_t)((d->C + ER_QDW_CT - 1) / ER_QDW_CT) * 256;
    size_t block = er_qdw_block_bytes(ER_QDW_C4, 12);
    unsigned char *buf = r->scratch + (size_t)tid * p->thread_bytes;
    unsigned char *slot[3] = {buf, buf + rb, buf + 2 * rb};
    int64_t have[3] = {-1, -1, -1}, group = -1, rows = d->N * d->OH;
    uint32_t xr = d->x_dtype == ER_I8 ? 0x80u : 0u;
    const uint8_t *x = r->x;
    size_t cs = 0, cn = 0;
    const unsigned char *pad = NULL, *w = NULL;
    for (int64_t it = begin; it < end; it++) {
        int64_t g = it / rows, row = it % rows; /* row = n * OH + oh */
        if (g != group) { /* a new channel range: the laid-out rows are stale */
            int64_t b0 = dw3_group(p, g, &cn);
            cs = (size_t)b0 * ER_QDW_CT;
            pad = p->dw3_pad + (size_t)d->W * (size_t)b0 * 256;
            w = (const unsigned char *)p->packed + (size_t)b0 * block;
            have[0] = have[1] = have[2] = -1;
            group = g;
        }
        int64_t n = row / d->OH, oh = row % d->OH;
        const unsigned char *rr[3];
        for (int k = 0; k < 3; k++) {
            int64_t ih = oh - 1 + k;
            if (ih < 0 || ih >= d->H) {
                rr[k] = pad;
                continue;
            }
            int64_t id = n * d->H + ih;
            int s = (int)(id % 3);
            if (have[s] != id) {
                er_qdw_c4_rows3__avx512vnni(cn, (size_t)d->W,
                                            x + (size_t)id * (size_t)(d->W * d->C) + cs,
                                            (size_t)d->C, p->zero + cs, xr, slot[s]);
                have[s] = id;
            }
            rr[k] = slot[s];
        }
        uint8_t *y = r->y + row * d->OW * d->M + cs;
        er_qdw_c4_conv3__avx512vnni(cn, (size_t)d->OW, rr[0], rr[1], rr[2], w, y, (size_t)d->M,
                                    &p->qp);
        if (r->res && cn == (size_t)d->M) /* whole pixels: the row is one run */
            p->add((size_t)d->OW * cn, y, r->res + (y - r->y), y, &p->add_p);
        else if (r->res) /* the group's channels of each pixel */
            for (int64_t ox = 0; ox < d->OW; ox++)
                p->add(cn, y + ox * d->M, r->res + (y + ox * d->M - r->y), y + ox * d->M,
                       &p->add_p);
    }
#else
    (void)arg, (void)begin, (void)end, (void)tid;
#endif
}

static void dw_task(void *arg, int64_t begin, int64_t end, int tid) {
    const qrun *r = arg;
    const er_qconv_plan *p = r->p;
    const er_qconv_desc *d = &p->d;
    const uint8_t **in = (const uint8_t **)(r->scratch + (size_t)tid * p->thread_bytes);
    for (int64_t row = begin; row < end; row++) { /* row = n * OH + oh */
        dw_pointers(p, r->x, row / d->OH, row % d->OH, in);
        uint8_t *y = r->y + row * d->OW * d->M;
        p->dk->fn((size_t)d->C, (size_t)d->OW, in, (size_t)(d->KH * d->KW), p->packed, y,
                  (size_t)d->M, d->x_dtype == ER_I8 ? 0x80u : 0u, &p->qp);
        if (r->res)
            p->add((size_t)(d->OW * d->M), y, r->res + (y - r->y), y, &p->add_p);
    }
}

void er_qconv_plan_set_residual(er_qconv_plan *p, const er_qvbin_params *add, er_isa isa) {
    p->add_p = *add;
    p->add = er_qvbin_pick(isa, 0)->fn;
}

void er_qconv_run(const er_qconv_plan *p, const void *x, void *y, void *scratch,
                  er_threadpool *pool) {
    er_qconv_run_residual(p, x, NULL, y, scratch, pool);
}

void er_qconv_run_residual(const er_qconv_plan *p, const void *x, const void *residual, void *y,
                           void *scratch, er_threadpool *pool) {
    const er_qconv_desc *d = &p->d;
    if (p->rows == 0 || d->M == 0) return;
    if (!p->add) residual = NULL;
    /* scratch was sized for p->threads: a bigger pool would overrun it */
    if (er_threadpool_size(pool) > p->threads) pool = NULL;
    if (p->algo == QA_DIRECT) {
        er_qconv_ref(d, x, p->w_copy, p->w_zp, p->bias, p->mul, y);
        if (residual)
            p->add((size_t)(p->rows * d->M), y, residual, y, &p->add_p);
        return;
    }
    qrun r = {p, x, x, y, residual, (unsigned char *)scratch + p->x_bytes, 0};
    if (p->algo == QA_DW) {
        er_parallel_for(pool, d->N * d->OH, 1, dw_task, &r);
        return;
    }
    if (p->algo == QA_DW3) {
        er_parallel_for_even(pool, p->dw3_groups * d->N * d->OH, 1, dw3_task, &r);
        return;
    }
    if (p->copy_x) {
        r.x = scratch;
        r.n_bytes = (size_t)(d->N * p->Hp * p->Wp * d->C);
        er_parallel_for(pool, d->N * p->Hp, 8, copy_task, &r);
        memset((uint8_t *)scratch + r.n_bytes, 0, 64); /* slack read past the last row */
    }
    er_parallel_for(pool, d->group * p->n_cb * p->n_rb, 1, gemm_task, &r);
}

void er_qconv_ref(const er_qconv_desc *d, const void *x, const void *w, const int32_t *w_zp,
                  const int32_t *bias, const er_qmul *mul, void *y) {
    int64_t Cg = d->C / d->group, Mg = d->M / d->group;
    const uint8_t *xb = x, *wb = w;
    uint8_t *yb = y;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++)
                for (int64_t m = 0; m < d->M; m++) {
                    int64_t g = m / Mg;
                    uint32_t acc = bias ? (uint32_t)bias[m] : 0;
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t kh = 0; kh < d->KH; kh++) {
                            int64_t ih = oh * d->stride_h - d->pad_top + kh * d->dil_h;
                            if (ih < 0 || ih >= d->H) continue;
                            for (int64_t kw = 0; kw < d->KW; kw++) {
                                int64_t iw = ow * d->stride_w - d->pad_left + kw * d->dil_w;
                                if (iw < 0 || iw >= d->W) continue;
                                int64_t xi = ((n * d->H + ih) * d->W + iw) * d->C + g * Cg + c;
                                int64_t wi = ((m * Cg + c) * d->KH + kh) * d->KW + kw;
                                int32_t xv = er_qload(xb, d->x_dtype, xi) - d->x_zp;
                                int32_t wv = er_qload(wb, d->w_dtype, wi) - w_zp[m];
                                acc += (uint32_t)(xv * wv);
                            }
                        }
                    int32_t a;
                    memcpy(&a, &acc, sizeof a);
                    int32_t v = er_requant(a, mul[m], d->y_zp, d->y_min, d->y_max);
                    yb[((n * d->OH + oh) * d->OW + ow) * d->M + m] =
                        (uint8_t)(d->y_dtype == ER_I8 ? (uint8_t)(int8_t)v : (uint8_t)v);
                }
}
