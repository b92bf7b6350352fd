/* packed.h - a weight already laid out for one kernel. Stored by `edgerun
 * convert --prepack` in a .erm file's PACKED_WEIGHTS section; a kernel whose
 * plan would produce exactly this layout and size uses the bytes in place
 * instead of packing (cpu/conv/conv.h er_conv_plan_create_packed). */
#ifndef ER_CORE_PACKED_H
#define ER_CORE_PACKED_H

#include <stddef.h>

typedef struct er_packed_blob {
    int value;          /* the graph constant it was packed from */
    const char *layout; /* kernel-defined, e.g. "f32-gemm/avx512/nr32/g1" */
    const void *data;   /* 64-byte aligned, read-only */
    size_t bytes;
} er_packed_blob;

#endif
