/* er_qu8_qc8w_gemm_32x32c64__amx.c - int8 GEMM on AMX-INT8 tiles
 * (qgemm_amx.h): the tile part of qgemm_amx_impl.h with the real tile
 * instructions, then the AVX-512 epilogue of the other variants on the stored
 * int32 block (bias added modulo 2^32, requantized, clamped, narrowed). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/qconv/qgemm_amx.h"
#include "cpu/qconv/qgemm_avx512.h"

#define ER_TILE_CONFIG(cfg) _tile_loadconfig(cfg)
#define ER_TILE_ZERO(t) _tile_zero(t)
#define ER_TILE_LOAD(t, base, stride) _tile_loadd(t, base, (long)(stride))
#define ER_TILE_DPBUSD(c, a, b) _tile_dpbusd(c, a, b)
#define ER_TILE_STORE(t, base, stride) _tile_stored(t, base, (long)(stride))
#define ER_TILE_RELEASE() _tile_release()
#include "cpu/qconv/qgemm_amx_impl.h"

void er_qu8_qc8w_gemm_32x32c64__amx(size_t mr, size_t nc, size_t kp, const uint8_t *a,
                                    const void *w, uint8_t *c, size_t cs,
                                    const er_qgemm_params *p, int32_t *cbuf) {
    unsigned char cfg[64] __attribute__((aligned(64)));
    er_amx_config(cfg);
    ER_TILE_CONFIG(cfg);
    size_t panel = er_qgemm_panel_stride(ER_QAMX_NR, 1, kp);
    size_t off_w = er_qgemm_off_w(ER_QAMX_NR), off_q = er_qgemm_off_q(ER_QAMX_NR, 1, kp);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi),
                  zp = _mm512_set1_epi32(p->zp);
    for (size_t j0 = 0; j0 < nc; j0 += ER_QAMX_NR) {
        const unsigned char *base = (const unsigned char *)w + (j0 / ER_QAMX_NR) * panel;
        er_amx_block(a, kp, base + off_w, cbuf);
        for (size_t v = 0; v < 2 && j0 + 16 * v < nc; v++) {
            size_t j = j0 + 16 * v, cnt = nc - j < 16 ? nc - j : 16;
            __mmask16 m = (__mmask16)((1u << cnt) - 1);
            __m512i bias = _mm512_load_si512(base + 64 * v);
            for (size_t r = 0; r < mr; r++) {
                __m512i acc = _mm512_add_epi32(_mm512_load_si512(cbuf + r * 32 + 16 * v), bias);
                __m512i y = er_q512_requant16(acc, base + off_q, ER_QAMX_NR, 16 * v, p->has_left,
                                              p->lo >= 0, lo, hi, zp);
                _mm_mask_storeu_epi8(c + r * cs + j, m, _mm512_cvtepi32_epi8(y));
            }
        }
    }
    ER_TILE_RELEASE();
}
#endif
