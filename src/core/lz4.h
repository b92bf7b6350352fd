/* lz4.h - LZ4 block compression (the block format of the LZ4 project,
 * https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md), written from
 * the format description for the .erm metadata sections.
 *
 * Why LZ4 and not deflate: the decoder is a few dozen lines with no tables,
 * so it is easy to make strict (every length and offset checked against the
 * bytes really there) and to fuzz; it decodes at GB/s, so a compressed
 * metadata section costs no measurable load time. Its ratio is lower than
 * deflate's; byte-plane shuffling of fixed-size records before compression
 * (erm_format.h) recovers most of the difference on the .erm tables.
 *
 * The encoder is a hash-chain matcher with one step of lazy matching (better
 * ratio than the reference's fast mode, speed irrelevant for a few hundred
 * KB of metadata). Its output obeys the format's end-of-block rules (the last
 * 5 bytes are literals, no match starts in the last 12), so any LZ4 block
 * decoder reads it. */
#ifndef ER_CORE_LZ4_H
#define ER_CORE_LZ4_H

#include <stddef.h>

/* Worst-case compressed size of n bytes (incompressible data). */
size_t er_lz4_bound(size_t n);

/* Compresses src[0, n) into dst (capacity cap). Returns the compressed size,
 * or 0 when cap is too small or memory for the match finder is missing. */
size_t er_lz4_compress(const void *src, size_t n, void *dst, size_t cap);

/* Decompresses one block src[0, n) into dst, which must come out exactly
 * raw bytes long. Returns 0 on success; on malformed input -1, with
 * *err_at the offset in src where decoding failed (a length running past the
 * input or the output, a match offset of 0 or before the start of the
 * output, or a block that ends early or produces the wrong size). Never
 * reads outside src or writes outside dst. */
int er_lz4_decompress(const void *src, size_t n, void *dst, size_t raw, size_t *err_at);

#endif
