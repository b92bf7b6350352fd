/* erm_shuffle.c - byte-plane shuffle of fixed-size records, applied before
 * LZ4 compression of an .erm record section (erm_format.h). Record fields
 * that repeat from record to record (dtype, rank, unused dims, "absent"
 * markers) become long runs of equal bytes, which LZ4 stores as a few
 * matches; the same idea as the shuffle filter of Blosc and HDF5. */
#include "erm_format.h"

void er_erm_shuffle(unsigned char *dst, const unsigned char *src, size_t width, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < width; b++) dst[b * n + i] = src[i * width + b];
}

void er_erm_unshuffle(unsigned char *dst, const unsigned char *src, size_t width, size_t n) {
    for (size_t b = 0; b < width; b++)
        for (size_t i = 0; i < n; i++) dst[i * width + b] = src[b * n + i];
}
