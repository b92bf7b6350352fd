/* onnx_export.h - graph IR -> ONNX ModelProto (our own protobuf writer). */
#ifndef ER_IMPORT_ONNX_EXPORT_H
#define ER_IMPORT_ONNX_EXPORT_H

#include <stddef.h>

#include "ir/graph.h"

/* Writes g as an ONNX model file that ONNX Runtime and er_model_load read:
 * nodes (with their domains and every attribute kind the IR keeps),
 * initializers (raw_data, little-endian), graph inputs and outputs with
 * their declared dtypes and shapes (symbolic dims as dim_param), and one
 * opset_import per domain used (the default domain at g->opset, others at
 * the highest opset their nodes carry). The IR version is the one ONNX
 * pairs with that opset.
 *
 * The file is written to a temporary file next to path and renamed into
 * place, so a failure leaves no partial file and writing over the model's
 * own source is safe. Errors: ER_ERR_UNSUPPORTED (a graph, sparse-tensor or
 * type-proto attribute: the importer does not keep their contents), ER_ERR_IO
 * (cannot create/write/rename; names the path and the OS reason),
 * ER_ERR_NOMEM. er_value.quant is informational in the IR (the quantization
 * itself is explicit Q/DQ nodes) and is not written. */
er_status er_onnx_export_file(const er_graph *g, const char *path);

/* The same bytes into a new er_malloc buffer (*out, *size; free with
 * er_free). */
er_status er_onnx_export_memory(const er_graph *g, void **out, size_t *size);

#endif
