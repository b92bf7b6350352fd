/* npy.h - NumPy .npy read/write (format versions 1.0, 2.0, 3.0).
 *
 * Supported: little-endian (or byte-order-free) f32, f16, f64, i8, u8, i16,
 * u16, i32, u32, i64, u64, bool; C order. Anything else (big-endian,
 * Fortran order, object arrays, structured dtypes) is a clear error. */
#ifndef ER_TOOLS_NPY_H
#define ER_TOOLS_NPY_H

#include <stddef.h>

#include "edgerun.h"

/* Parses a .npy image in memory into a new tensor (caller frees). `what`
 * names the source in messages. */
er_status er_npy_parse(const void *data, size_t size, const char *what, er_tensor **out);
er_status er_npy_read(const char *path, er_tensor **out);
er_status er_npy_write(const char *path, const er_tensor *t);

#endif
