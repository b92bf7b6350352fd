/* pbw.h - a minimal protobuf writer and ONNX model builder for tests and
 * fuzz seeds (tests only: the library never writes protobuf). */
#ifndef ER_TEST_PBW_H
#define ER_TEST_PBW_H

#include <stddef.h>
#include <stdint.h>

typedef struct pbw {
    uint8_t *d;
    size_t n, cap;
} pbw;

void pbw_free(pbw *w);
void pbw_raw(pbw *w, const void *p, size_t n);
void pbw_varint(pbw *w, uint64_t v);
void pbw_tag(pbw *w, uint32_t field, int wire);
void pbw_int(pbw *w, uint32_t field, int64_t v);       /* varint field */
void pbw_f32(pbw *w, uint32_t field, float v);         /* fixed32 field */
void pbw_bytes(pbw *w, uint32_t field, const void *p, size_t n);
void pbw_str(pbw *w, uint32_t field, const char *s);
void pbw_msg(pbw *w, uint32_t field, const pbw *sub);  /* appends sub as a LEN field */

/* ONNX helpers (field numbers from onnx.proto). */
/* TensorProto with raw_data. */
void onnx_tensor(pbw *w, const char *name, int dtype, int rank, const int64_t *dims,
                 const void *raw, size_t raw_bytes);
/* ValueInfoProto for a tensor; dims < 0 become dim_param "N". */
void onnx_value_info(pbw *w, const char *name, int dtype, int rank, const int64_t *dims);
/* NodeProto with string inputs/outputs (NULL-terminated lists) and an
 * optional pre-built attribute list. */
void onnx_node(pbw *w, const char *op, const char *name, const char *const *in,
               const char *const *out, const pbw *attrs);
void onnx_attr_int(pbw *w, const char *name, int64_t v);     /* appends AttributeProto */
void onnx_attr_ints(pbw *w, const char *name, int n, const int64_t *v);
void onnx_attr_float(pbw *w, const char *name, float v);
/* Wraps a GraphProto into a ModelProto with opset `opset`. */
void onnx_model(pbw *w, const pbw *graph, int64_t opset);

#endif
