/* tflite_internal.h - what tflite_import.c (file structure, tensors) and
 * tflite_ops.c (one row per builtin operator) share: the import context and
 * the helpers that emit IR values and nodes.
 *
 * Layout contract (docs/tflite.md): IR activations keep TFLite's NHWC
 * layout. A layout-sensitive op is emitted as
 *     x -> Transpose(perm 0,3,1,2) [-> DequantizeLinear] -> <ONNX op>
 *       [-> fused activation] [-> QuantizeLinear] -> Transpose(perm 0,2,3,1) -> y
 * and every other op works on the NHWC tensors directly, so TFLite's axis
 * numbers stay valid. Quantized (int8/uint8/int16) tensors enter float ops
 * through DequantizeLinear and leave through QuantizeLinear (QDQ). */
#ifndef ER_IMPORT_TFLITE_INTERNAL_H
#define ER_IMPORT_TFLITE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mapfile.h"
#include "fb_reader.h"
#include "ir/graph.h"

/* The opset every emitted node is given: the ops' ONNX semantics at this
 * opset (axes/pads/sizes as inputs, Resize axes, QuantizeLinear int16). */
#define TFL_OPSET 21
#define TFL_MAX_OP_IO 64

typedef struct tfl_tensor {
    const char *name;  /* unique IR value name */
    int value;         /* IR value id */
    int type;          /* TFLite TensorType */
    er_dtype dtype;    /* ER_UNDEF: a type the runtime cannot hold */
    int rank;          /* declared rank (-1: unknown) */
    int64_t dims[ER_MAX_RANK]; /* -1 where shape_signature says dynamic */
    const void *data;  /* constant data (file view or graph-owned), NULL otherwise */
    size_t bytes;
    er_quant *quant;   /* NULL unless scale/zero_point are given */
    bool is_variable;
    bool has_sparsity;
    int float_value;   /* cached NHWC float view (DequantizeLinear/Cast output), -1 */
    int nchw_value;    /* cached NCHW float view, -1 */
} tfl_tensor;

typedef struct tfl_ctx {
    er_graph *g;
    er_fb fb;
    const er_mapping *file;
    tfl_tensor *t;
    int n_tensors;
    /* the operator being imported */
    int op_index;
    int code;             /* builtin code (max of the two code fields) */
    const char *op_name;  /* "CONV_2D", or the custom code */
    int opcode_version;
    uint8_t opts_type;
    er_fb_table opts;     /* builtin options (absent table when none) */
    const uint8_t *custom; /* custom_options bytes */
    size_t custom_len;
    int n_in, n_out;
    int in[TFL_MAX_OP_IO], out[TFL_MAX_OP_IO]; /* tensor indices, -1 = absent */
    int first_node;       /* index of this operator's first IR node */
    char name_buf[32];    /* op_name storage for unknown builtin codes */
} tfl_ctx;

/* An operator importer: reads options, checks inputs, emits nodes. */
typedef er_status (*tfl_op_fn)(tfl_ctx *c);

typedef struct tfl_op_row {
    int code;          /* BuiltinOperator, or -1 for a custom op */
    const char *name;  /* BuiltinOperator name, or the custom code */
    int opts_type;     /* the BuiltinOptions member it reads; -1: takes none */
    tfl_op_fn fn;
} tfl_op_row;

/* tflite_ops.c: the row for a builtin code or custom name; NULL if none. */
const tfl_op_row *tfl_find_op(int code, const char *custom_code);
/* The BuiltinOperator name of a code ("code 200" when unknown: buf). */
const char *tfl_builtin_name(int code, char *buf, size_t cap);

/* ---- helpers (tflite_import.c) -------------------------------------------- */

/* Failure naming the operator: "operator 12 (CONV_2D): <msg>". */
er_status tfl_fail(const tfl_ctx *c, er_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checks input/output counts: n_in in [lo, hi] with the first lo present,
 * n_out == outs. */
er_status tfl_check_io(const tfl_ctx *c, int lo, int hi, int outs);
/* Tensor of input/output k (NULL when absent). */
tfl_tensor *tfl_in(const tfl_ctx *c, int k);
tfl_tensor *tfl_out(const tfl_ctx *c, int k);
bool tfl_is_quantized(const tfl_tensor *t);

/* A new intermediate value named "<output 0 name>:<suffix>" (made unique). */
er_status tfl_value(tfl_ctx *c, const char *suffix, int *id);
/* A constant value (data copied into graph-owned memory). */
er_status tfl_const(tfl_ctx *c, const char *suffix, er_dtype dt, int rank, const int64_t *dims,
                    const void *data, int *id);
er_status tfl_const_i64(tfl_ctx *c, const char *suffix, int n, const int64_t *v, int *id);
er_status tfl_const_f32_scalar(tfl_ctx *c, const char *suffix, float v, int *id);

/* Attribute builders (names and lists are copied into the graph's pool by
 * tfl_emit). */
er_attr tfl_attr_int(const char *name, int64_t v);
er_attr tfl_attr_float(const char *name, float v);
er_attr tfl_attr_str(const char *name, const char *s);
er_attr tfl_attr_ints(const char *name, int n, const int64_t *v);

/* Emits one node (op type in the default ONNX domain) named
 * "<OPNAME>_<index>:<output 0 name>[:<k>]". Inputs/outputs are value ids
 * (-1 = absent optional input). */
er_status tfl_emit(tfl_ctx *c, const char *op_type, int n_in, const int *in, int n_out,
                   const int *out, int n_attr, const er_attr *attrs);

/* Integer contents of a constant input (i32/i64/u8/i8/i16); fails naming
 * the input when it is not constant or too long. */
er_status tfl_const_ints(tfl_ctx *c, int k, const char *what, int64_t *out, int max, int *n);

/* Float-domain views of inputs and outputs (QDQ for quantized tensors):
 *  tfl_float_in:  value id holding input k as float, NHWC.
 *  tfl_float_out: value id a float op writes; emits the fused activation
 *                 `act` (ACT_*) and QuantizeLinear as needed into output k.
 *  tfl_nchw_in / tfl_nchw_out: the same through the layout Transposes
 *                 (rank-4 NHWC tensors only). */
er_status tfl_float_in(tfl_ctx *c, int k, int *id);
er_status tfl_float_out(tfl_ctx *c, int k, int act, int *id);
er_status tfl_nchw_in(tfl_ctx *c, int k, int *id);
er_status tfl_nchw_out(tfl_ctx *c, int k, int act, int *id);
/* Raw value id of input/output k, no conversion (-1 when absent). */
int tfl_raw(const tfl_ctx *c, int k);
int tfl_raw_out(const tfl_ctx *c, int k);

/* Weight tensor input k permuted (constant: converted once at import into
 * graph-owned memory, quantization axis remapped; otherwise a Transpose
 * node), then as float (DequantizeLinear when quantized). The permuted
 * dims are perm applied to the tensor's dims. */
er_status tfl_weights(tfl_ctx *c, int k, int rank, const int *perm, int *id);

/* Reads the fused activation field of the options table (checks its range). */
er_status tfl_act_field(tfl_ctx *c, int field, int *act);

#endif
