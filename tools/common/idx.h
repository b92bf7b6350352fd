/* idx.h - IDX files as distributed by MNIST / Fashion-MNIST, gzipped or not. */
#ifndef ER_TOOLS_IDX_H
#define ER_TOOLS_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"

typedef struct er_idx {
    int rank;
    int64_t dims[4];
    uint8_t *data; /* u8 elements (the only type MNIST-style files use) */
    size_t count;
} er_idx;

/* Reads an unsigned-byte IDX file (magic 0x00000803 images, 0x00000801
 * labels, any rank 1..4). `.gz` content is detected by its magic bytes. */
er_status er_idx_read(const char *path, er_idx *out);
void er_idx_free(er_idx *x);

#endif
