/* tflite_import.h - TFLite flatbuffer (.tflite) -> graph IR. */
#ifndef ER_IMPORT_TFLITE_IMPORT_H
#define ER_IMPORT_TFLITE_IMPORT_H

#include <stddef.h>

#include "core/mapfile.h"
#include "ir/graph.h"

/* True when the bytes carry TFLite's file identifier "TFL3" at offset 4. */
int er_tflite_sniff(const unsigned char *data, size_t size);

/* Builds a graph from subgraph 0 of a mapped TFLite file. The graph takes
 * ownership of `file` in all cases (constant tensors are views into it where
 * aligned). Errors name the table path and byte offset. */
er_status er_tflite_import(er_mapping *file, er_graph **out);

#endif
