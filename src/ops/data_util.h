/* data_util.h - helpers shared by the data-movement ops (Transpose, Slice,
 * Gather, Pad, ...).
 *
 * Data-movement ops never look at element values, only at element sizes, so
 * they work for every dtype: they move runs of bytes. The strided copy below
 * is the one loop most of them reduce to: a dense destination filled from a
 * source read at arbitrary (also zero or negative) element strides. Index
 * inputs (Gather, Scatter*, OneHot, ...) may be int32 or int64; negative
 * indices count from the end and out-of-range ones are run-time errors that
 * name the index and the bound. */
#ifndef ER_OPS_DATA_UTIL_H
#define ER_OPS_DATA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "op.h"

/* memcpy that accepts n == 0 with NULL pointers (zero-size tensors may have
 * no buffer; memcpy(NULL, NULL, 0) is undefined behaviour). */
static inline void er_copy_bytes(void *dst, const void *src, size_t n) {
    if (n) memcpy(dst, src, n);
}

/* Element i of an int32 or int64 tensor (the caller checked the dtype). */
static inline int64_t er_index_at(const er_tensor *t, size_t i) {
    if (t->dtype == ER_I32) return ((const int32_t *)t->data)[i];
    return ((const int64_t *)t->data)[i];
}

/* Maps idx in [-dim, dim) to [0, dim); false when outside. */
static inline bool er_index_wrap(int64_t idx, int64_t dim, int64_t *out) {
    if (idx < -dim || idx >= dim) return false;
    *out = idx < 0 ? idx + dim : idx;
    return true;
}

/* The run-time error for an index outside [-dim, dim); pos is its position
 * (flat element number) in the indices tensor. */
er_status er_index_fail(int64_t idx, size_t pos, int64_t dim);

/* Fails unless the node has lo..hi outputs and the first lo are used.
 * run() may then dereference c->out[0..lo) (a node can list no output or an
 * empty name, which the planner passes on as a missing tensor). */
er_status er_check_outputs(const er_op_ctx *c, int lo, int hi);

/* Fails unless input i is present with dtype int32 or int64. */
er_status er_check_index_dtype(const er_op_ctx *c, int i);

/* Dense C-order element strides of a shape. */
void er_dense_strides(int rank, const int64_t *dims, int64_t *strides);

/* Fills dst densely, in C order over dims[0..rank), with the element read
 * from src at offset sum(i_k * src_strides[k]) elements. Strides may be 0
 * (broadcast) or negative (reversed reads; src then points at the element
 * of coordinates 0, not at the lowest address). Contiguous inner runs are
 * copied with memcpy. rank <= ER_COPY_MAX_RANK: ops may split each tensor
 * dim in two (Tile, DepthToSpace). */
#define ER_COPY_MAX_RANK (2 * ER_MAX_RANK)
void er_copy_strided(void *dst, const void *src, size_t elem_bytes, int rank,
                     const int64_t *dims, const int64_t *src_strides);

/* Product of dims[lo..hi). */
static inline int64_t er_dims_prod(const int64_t *dims, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= dims[i];
    return p;
}

/* Scatter reductions (ScatterElements / ScatterND attribute `reduction`). */
typedef enum { ER_RED_NONE, ER_RED_ADD, ER_RED_MUL, ER_RED_MAX, ER_RED_MIN } er_reduction;

/* Parses the `reduction` attribute ("none" default; add/mul from opset 16,
 * max/min from opset 18). */
er_status er_parse_reduction(const er_op_ctx *c, er_reduction *out);

/* *dst = reduce(*dst, *src) for one element of dtype dt. Integer add/mul
 * wrap (computed unsigned); NaN propagates through float max/min. */
void er_reduce_elem(void *dst, const void *src, er_dtype dt, er_reduction red);

/* run() of the ops whose output is input 0's bytes under another shape
 * (Identity, Reshape, Flatten, Squeeze, Unsqueeze, inference Dropout). The
 * planner gives every value its own buffer, so this is a copy. */
er_status er_run_copy_input(er_op_ctx *c);

#endif
