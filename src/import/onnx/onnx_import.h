/* onnx_import.h - ONNX ModelProto -> graph IR. */
#ifndef ER_IMPORT_ONNX_IMPORT_H
#define ER_IMPORT_ONNX_IMPORT_H

#include "core/mapfile.h"
#include "ir/graph.h"

/* Builds a graph from a mapped ONNX file. The graph takes ownership of
 * `file` (it holds weight views into it) in all cases. base_dir resolves
 * external data (NULL: external data is refused); name is used in messages. */
er_status er_onnx_import(er_mapping *file, const char *base_dir, er_graph **out);

/* True when the bytes look like an ONNX ModelProto (first field is
 * ir_version, opset_import or graph). */
int er_onnx_sniff(const unsigned char *data, size_t size);


/* Reads one serialized TensorProto (e.g. an ONNX test's input_0.pb) into a
 * new tensor the caller frees with er_tensor_free. name (optional) receives
 * the tensor's name. */
er_status er_onnx_read_tensor_proto(const void *data, size_t size, er_tensor **out,
                                    char *name, size_t name_cap);

#endif
