/* winograd_impl.h - the F(4x4, 3x3) tile transforms (winograd.h), written
 * as fixed-width loops over WG_VW channels that the compiler turns into
 * vector code for the including file's ISA flags. Included once per level
 * with WG_SUFFIX (scalar, avx2, avx512) and WG_VW (the channel chunk).
 * Channel tails (C % WG_VW) run the same code with a run-time width. */
#include <string.h>

#include "cpu/conv/winograd.h"

#define WG_CAT2(a, b) a##b
#define WG_CAT(a, b) WG_CAT2(a, b)
#define WG_INPUT WG_CAT(er_f32_winograd_input__, WG_SUFFIX)
#define WG_OUTPUT WG_CAT(er_f32_winograd_output__, WG_SUFFIX)

/* B^T applied along one axis: six vectors in (stride is), six out (os). */
static inline __attribute__((always_inline)) void wg_bt(const float *in, size_t is, float *out,
                                                        size_t os, int vw) {
    for (int v = 0; v < vw; v++) {
        const float d0 = in[0 * is + v], d1 = in[1 * is + v], d2 = in[2 * is + v];
        const float d3 = in[3 * is + v], d4 = in[4 * is + v], d5 = in[5 * is + v];
        out[0 * os + v] = 4.0f * d0 - 5.0f * d2 + d4;
        out[1 * os + v] = -4.0f * (d1 + d2) + d3 + d4;
        out[2 * os + v] = 4.0f * (d1 - d2) - d3 + d4;
        out[3 * os + v] = 2.0f * (d3 - d1) - d2 + d4;
        out[4 * os + v] = 2.0f * (d1 - d3) - d2 + d4;
        out[5 * os + v] = 4.0f * d1 - 5.0f * d3 + d5;
    }
}

/* A^T applied along one axis: six vectors in, four out. */
static inline __attribute__((always_inline)) void wg_at(const float *in, size_t is, float *out,
                                                        size_t os, int vw) {
    for (int v = 0; v < vw; v++) {
        const float m0 = in[0 * is + v], m1 = in[1 * is + v], m2 = in[2 * is + v];
        const float m3 = in[3 * is + v], m4 = in[4 * is + v], m5 = in[5 * is + v];
        const float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        out[0 * os + v] = m0 + s12 + s34;
        out[1 * os + v] = d12 + 2.0f * d34;
        out[2 * os + v] = s12 + 4.0f * s34;
        out[3 * os + v] = d12 + 8.0f * d34 + m5;
    }
}

static inline __attribute__((always_inline)) void
wg_input_chunk(const er_conv_desc *d, const float *img, int64_t ih0, int64_t iw0, int64_t c0,
               const int VW, int vw, float *V, size_t xi_stride) {
    float dt[36][WG_VW], tmp[36][WG_VW];
    for (int r = 0; r < 6; r++) {
        int64_t ih = ih0 + r;
        for (int col = 0; col < 6; col++) {
            int64_t iw = iw0 + col;
            if (ih >= 0 && ih < d->H && iw >= 0 && iw < d->W) {
                const float *src = img + (ih * d->W + iw) * d->C + c0;
                for (int v = 0; v < VW; v++) dt[r * 6 + col][v] = v < vw ? src[v] : 0.0f;
            } else {
                for (int v = 0; v < VW; v++) dt[r * 6 + col][v] = 0.0f;
            }
        }
    }
    /* rows: tmp[i][col] = sum_r BT[i][r] d[r][col] */
    for (int col = 0; col < 6; col++) wg_bt(dt[col], 6 * WG_VW, tmp[col], 6 * WG_VW, VW);
    /* columns: V[i][j] = sum_col tmp[i][col] BT[j][col] */
    float out[36][WG_VW];
    for (int i = 0; i < 6; i++) wg_bt(tmp[i * 6], WG_VW, out[i * 6], WG_VW, VW);
    for (int xi = 0; xi < 36; xi++) {
        float *dst = V + (size_t)xi * xi_stride;
        for (int v = 0; v < vw; v++) dst[v] = out[xi][v];
    }
}

void WG_INPUT(const er_conv_desc *d, const float *x, int64_t t0, int64_t t1, int64_t T,
              float *V) {
    const int64_t th = (d->OH + 3) / 4, tw = (d->OW + 3) / 4;
    const size_t xi_stride = (size_t)(T * d->C);
    for (int64_t t = t0; t < t1; t++) {
        const int64_t n = t / (th * tw), i = t / tw % th, j = t % tw;
        const float *img = x + n * d->H * d->W * d->C;
        const int64_t ih0 = 4 * i - d->pad_top, iw0 = 4 * j - d->pad_left;
        int64_t c0 = 0;
        for (; c0 + WG_VW <= d->C; c0 += WG_VW)
            wg_input_chunk(d, img, ih0, iw0, c0, WG_VW, WG_VW, V + t * d->C + c0, xi_stride);
        if (c0 < d->C)
            wg_input_chunk(d, img, ih0, iw0, c0, WG_VW, (int)(d->C - c0), V + t * d->C + c0,
                           xi_stride);
    }
}

static inline __attribute__((always_inline)) void
wg_output_chunk(const er_conv_desc *d, const float *Mt, size_t xi_stride, int64_t m0, const int VW,
                int vw, const float *bias, int64_t pix0, int rows, int cols, const float *z,
                float *y, const er_f32_minmax_params *p) {
    float mt[36][WG_VW], tmp[24][WG_VW], out[16][WG_VW];
    for (int xi = 0; xi < 36; xi++) {
        const float *src = Mt + (size_t)xi * xi_stride + m0;
        for (int v = 0; v < VW; v++) mt[xi][v] = v < vw ? src[v] : 0.0f;
    }
    /* rows: tmp[i][col] (4 x 6) = sum_r AT[i][r] m[r][col] */
    for (int col = 0; col < 6; col++) wg_at(mt[col], 6 * WG_VW, tmp[col], 6 * WG_VW, VW);
    /* columns: out[i][j] (4 x 4) */
    for (int i = 0; i < 4; i++) wg_at(tmp[i * 6], WG_VW, out[i * 4], WG_VW, VW);
    float b[WG_VW];
    for (int v = 0; v < VW; v++) b[v] = v < vw && bias ? bias[m0 + v] : 0.0f;
    const float lo = p->min, hi = p->max;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            const int64_t off = (pix0 + i * d->OW + j) * d->M + m0;
            float *dst = y + off;
            const float *zs = z ? z + off : NULL;
            for (int v = 0; v < vw; v++) {
                float s = out[i * 4 + j][v] + b[v];
                if (zs) s += zs[v];
                s = s < lo ? lo : s;
                dst[v] = s > hi ? hi : s;
            }
        }
}

void WG_OUTPUT(const er_conv_desc *d, const float *Mb, int64_t t0, int64_t t1, int64_t T,
               const float *bias, const float *z, float *y, const er_f32_minmax_params *p) {
    const int64_t th = (d->OH + 3) / 4, tw = (d->OW + 3) / 4;
    const size_t xi_stride = (size_t)(T * d->M);
    for (int64_t t = t0; t < t1; t++) {
        const int64_t n = t / (th * tw), i = t / tw % th, j = t % tw;
        const int rows = (int)(d->OH - 4 * i < 4 ? d->OH - 4 * i : 4);
        const int cols = (int)(d->OW - 4 * j < 4 ? d->OW - 4 * j : 4);
        const int64_t pix0 = (n * d->OH + 4 * i) * d->OW + 4 * j;
        int64_t m0 = 0;
        for (; m0 + WG_VW <= d->M; m0 += WG_VW)
            wg_output_chunk(d, Mb + t * d->M, xi_stride, m0, WG_VW, WG_VW, bias, pix0, rows,
                            cols, z, y, p);
        if (m0 < d->M)
            wg_output_chunk(d, Mb + t * d->M, xi_stride, m0, WG_VW, (int)(d->M - m0), bias, pix0,
                            rows, cols, z, y, p);
    }
}
