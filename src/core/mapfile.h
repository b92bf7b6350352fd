/* mapfile.h - read-only file mapping (mmap), with a read() fallback. */
#ifndef ER_CORE_MAPFILE_H
#define ER_CORE_MAPFILE_H

#include <stddef.h>

#include "edgerun.h"

typedef struct er_mapping {
    const unsigned char *data;
    size_t size;
    int is_mmap; /* 1: mmap, 2: heap copy (freed with it), 0: static */
} er_mapping;

/* Maps the whole file. Errors name the path and the OS reason. */
er_status er_map_file(const char *path, er_mapping **out);
/* Wraps a heap copy of a buffer as a mapping. */
er_status er_map_copy(const void *data, size_t size, er_mapping **out);
void er_mapping_free(er_mapping *m);
/* Tells the OS the bytes [p, p+n) of an mmapped file will not be read again
 * (their content was copied elsewhere), so their pages leave the resident
 * set; a later read would fetch them from the file again. Only whole pages
 * inside the range are released. No-op for heap-backed mappings. */
void er_mapping_release(const er_mapping *m, const void *p, size_t n);

#endif
