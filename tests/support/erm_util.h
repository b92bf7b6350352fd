/* erm_util.h - helpers for the .erm tests: a model using every attribute
 * kind, deep graph comparison, and small editors that patch .erm bytes
 * (section table entries, checksum) to build malformed files. */
#ifndef ER_TEST_ERM_UTIL_H
#define ER_TEST_ERM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"
#include "pbw.h"

/* A runnable model with constants and int/ints/float/tensor attributes:
 * x[1,1,5,5] -> Conv(W[2,1,3,3], B[2]; pads, strides, kernel_shape) -> Mul by a
 * Constant (tensor attribute) -> LeakyRelu(alpha) -> y[1,2,3,3]. */
void erm_model_runnable(pbw *out);

/* A model (not runnable: its node is a custom op) whose one node carries an
 * attribute of each kind the IR holds: float, int, string (with an embedded
 * NUL), tensor, graph (type only), floats, ints, strings, tensors (type only). */
void erm_model_all_attrs(pbw *out);

/* Deep comparison of two graphs: values (name, dtype, shape, dim_params, data
 * bytes, quant, producer, input/output flags), nodes (names, op, domain,
 * opset, inputs, outputs, attributes with payloads) and graph lists.
 * Returns 1 when equal, else 0 with the first difference in msg. */
int erm_graph_equal(const er_graph *a, const er_graph *b, char *msg, size_t msg_size);

/* Byte offset of the section table entry of `type`, or 0 when absent. */
size_t erm_find_entry(const unsigned char *file, size_t size, uint32_t type);
/* Rewrites the header checksum for the current contents. */
void erm_fix_checksum(unsigned char *file, size_t size);
/* Returns a new malloc'd file with one more section (data appended at the
 * end, 64-aligned; every old section shifted by 64 bytes to make room in the
 * table). The checksum is fixed. *out_size receives the size. */
unsigned char *erm_add_section(const unsigned char *file, size_t size, uint32_t type,
                               uint32_t flags, const void *data, size_t data_size,
                               uint64_t count, size_t *out_size);

#endif
