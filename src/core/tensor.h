/* tensor.h - the runtime tensor: dtype, shape and a data pointer.
 *
 * One struct serves the public API (opaque there), the executor and every
 * kernel. Shapes are dense C-order (row-major); strides are derived. A tensor
 * either owns its buffer (ER_TENSOR_OWNS_DATA, freed with it) or borrows it
 * (arena slice, model weights, caller memory). */
#ifndef ER_CORE_TENSOR_H
#define ER_CORE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"

enum {
    ER_TENSOR_OWNS_DATA = 1u << 0, /* data was allocated with er_aligned_alloc */
};

struct er_tensor {
    er_dtype dtype;
    int rank;
    int64_t dims[ER_MAX_RANK];
    void *data;
    size_t capacity_bytes; /* usable bytes at data (>= size) */
    unsigned flags;
};

/* Number of elements (product of dims; 1 for rank 0). Assumes dims were
 * validated (non-negative, product fits): see er_shape_count_checked. */
size_t er_shape_count(int rank, const int64_t *dims);
static inline size_t er_tensor_numel(const er_tensor *t) { return er_shape_count(t->rank, t->dims); }
static inline size_t er_tensor_nbytes(const er_tensor *t) {
    return er_shape_count(t->rank, t->dims) * er_dtype_size(t->dtype);
}

/* Validates dims (each >= 0) and computes element count and byte size
 * without overflow, capped at ER_MAX_TENSOR_BYTES. Returns false on a bad
 * or too large shape. */
#define ER_MAX_TENSOR_BYTES ((size_t)1 << 40)
bool er_shape_count_checked(int rank, const int64_t *dims, er_dtype dt, size_t *count,
                            size_t *bytes);

/* Formats a shape as "[1,3,224,224]" into buf; returns buf. */
char *er_shape_str(char *buf, size_t buf_size, int rank, const int64_t *dims);
#define ER_SHAPE_STR_MAX 160

/* Sets dtype/rank/dims (data untouched). */
void er_tensor_set_shape(er_tensor *t, er_dtype dt, int rank, const int64_t *dims);

/* Equal shapes? */
bool er_shape_equal(int ra, const int64_t *a, int rb, const int64_t *b);

/* Numpy-style broadcast of two shapes into out (rank = max). False when not
 * broadcastable. */
bool er_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                        int64_t *out);

/* Element strides (in elements) of `in` viewed at the broadcast shape
 * (rank rout, dims out): 0 where in has size 1. strides must hold rout. */
void er_broadcast_strides(int rin, const int64_t *in, int rout, const int64_t *out,
                          int64_t *strides);

/* Reads element i of a tensor of numeric dtype as double / int64. Used by
 * shape arithmetic and reference kernels that need one generic path. */
double er_load_f64(const void *data, er_dtype dt, size_t i);
int64_t er_load_i64(const void *data, er_dtype dt, size_t i);
void er_store_f64(void *data, er_dtype dt, size_t i, double v);
void er_store_i64(void *data, er_dtype dt, size_t i, int64_t v);

bool er_dtype_is_float(er_dtype dt);   /* f16, bf16, f32, f64 */
bool er_dtype_is_int(er_dtype dt);     /* signed or unsigned integers (not bool) */
bool er_dtype_is_signed(er_dtype dt);  /* signed ints and floats */
bool er_dtype_supported(er_dtype dt);  /* a dtype the kernels can hold */

/* IEEE half and bfloat16 conversions (round to nearest even). */
float er_f16_to_f32(uint16_t h);
uint16_t er_f32_to_f16(float f);
float er_bf16_to_f32(uint16_t h);
uint16_t er_f32_to_bf16(float f);

#endif
