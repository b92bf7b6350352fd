/* qgemm_amx_impl.h - the AMX-INT8 tile part of the int8 GEMM: a 32 x 32
 * block of int32 sums per panel from a packed A panel (32 rows, kp bytes
 * each, kp a multiple of 64) and the NR = 32 weight panels of qgemm.h packed
 * with one tap of depth kp (so a panel's weights are [kp/4][32][4]: a B tile
 * of 16 k-groups x 16 columns is 16 rows of 64 bytes at stride 128).
 *
 * Tiles: C 0-3 (2 x 2 blocks of 16 x 16 int32), A 4-5 (rows 0-15, 16-31,
 * 64 bytes of k), B 6-7 (columns 0-15, 16-31). tdpbusd multiplies A's uint8
 * by B's int8 in groups of 4 and accumulates in int32 with wrap-around, the
 * same sums as vpdpbusd. The biases and the epilogue are applied by the
 * includer on the stored int32 block.
 *
 * The includer defines the tile operations (real instructions in the AMX
 * variant, a C emulation in the tests, so this code is exercised on machines
 * without AMX too):
 *   ER_TILE_CONFIG(cfg64) ER_TILE_ZERO(t) ER_TILE_LOAD(t, base, stride)
 *   ER_TILE_DPBUSD(c, a, b) ER_TILE_STORE(t, base, stride) ER_TILE_RELEASE() */
#include <stdint.h>
#include <string.h>

#include "cpu/qconv/qgemm.h"

/* palette 1, every tile 16 rows x 64 bytes */
static inline void er_amx_config(unsigned char cfg[64]) {
    memset(cfg, 0, 64);
    cfg[0] = 1;
    for (int t = 0; t < 8; t++) {
        cfg[16 + 2 * t] = 64; /* colsb, little endian uint16 */
        cfg[48 + t] = 16;     /* rows */
    }
}

/* cbuf[32][32] = the sums of panel `panel_w` (the weights after the bias) for
 * the 32 rows of a (row stride kp). */
static inline void er_amx_block(const uint8_t *a, size_t kp, const unsigned char *panel_w,
                                int32_t *cbuf) {
    ER_TILE_ZERO(0);
    ER_TILE_ZERO(1);
    ER_TILE_ZERO(2);
    ER_TILE_ZERO(3);
    for (size_t k = 0; k < kp; k += 64) {
        ER_TILE_LOAD(4, a + k, kp);
        ER_TILE_LOAD(5, a + 16 * kp + k, kp);
        ER_TILE_LOAD(6, panel_w + (k / 4) * 128, 128);
        ER_TILE_LOAD(7, panel_w + (k / 4) * 128 + 64, 128);
        ER_TILE_DPBUSD(0, 4, 6);
        ER_TILE_DPBUSD(1, 4, 7);
        ER_TILE_DPBUSD(2, 5, 6);
        ER_TILE_DPBUSD(3, 5, 7);
    }
    ER_TILE_STORE(0, cbuf, 128);
    ER_TILE_STORE(1, cbuf + 16, 128);
    ER_TILE_STORE(2, cbuf + 16 * 32, 128);
    ER_TILE_STORE(3, cbuf + 16 * 32 + 16, 128);
}
