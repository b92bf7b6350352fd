/* tflw.h - builds TFLite models (schema v3 flatbuffers) for tests and fuzz
 * seeds, on top of fbw. Tests only.
 *
 *   tflw w; tflw_init(&w);
 *   int x = tflw_tensor(&w, "x", TFLW_F32, 4, (int32_t[]){1, 8, 8, 3}, NULL, 0);
 *   int k = tflw_tensor(&w, "w", TFLW_F32, 4, wdims, weights, sizeof weights);
 *   fbw_field o[] = {FBW_I32(1, 1), FBW_I32(2, 1)};          // Conv2DOptions strides
 *   tflw_op(&w, 3, NULL, 2, (int[]){x, k}, 1, (int[]){y}, 1, fbw_table(&w.b, 2, o));
 *   tflw_finish(&w, 1, &x, 1, &y);    // w.d / w.n: the model bytes
 *   ... tflw_free(&w);
 *
 * Options tables are built by the caller with fbw_table(&w.b, ...) before
 * tflw_op. Buffers may be placed inside the flatbuffer (default) or after it
 * with Buffer.offset/size (tflw_set_external). */
#ifndef ER_TEST_TFLW_H
#define ER_TEST_TFLW_H

#include <stddef.h>
#include <stdint.h>

#include "fbw.h"

enum { TFLW_F32 = 0, TFLW_F16 = 1, TFLW_I32 = 2, TFLW_U8 = 3, TFLW_I64 = 4, TFLW_STRING = 5,
       TFLW_BOOL = 6, TFLW_I16 = 7, TFLW_I8 = 9 };

#define TFLW_MAX 512

typedef struct tflw_quant {
    int n;                 /* 0 = no quantization */
    const float *scale;
    const int64_t *zero_point;
    int axis;              /* quantized_dimension */
} tflw_quant;

typedef struct tflw {
    fbw b;
    uint32_t tensors[TFLW_MAX];
    int n_tensors;
    uint32_t ops[TFLW_MAX];
    int n_ops;
    int opcode[TFLW_MAX];
    const char *custom[TFLW_MAX];
    int n_opcodes;
    /* buffers: data kept until finish */
    const void *buf_data[TFLW_MAX];
    size_t buf_len[TFLW_MAX];
    int n_buffers;
    int external; /* nonzero: buffers after the flatbuffer (offset/size) */
    int version;  /* Model.version (default 3) */
    int old_opcodes; /* nonzero: write only deprecated_builtin_code (old writers) */
    uint8_t *d;   /* the finished model (malloc'd) */
    size_t n;
} tflw;

void tflw_init(tflw *w);
void tflw_free(tflw *w);
/* Adds a tensor; data (may be NULL) is referenced until tflw_finish. */
int tflw_tensor(tflw *w, const char *name, int type, int rank, const int32_t *shape,
                const void *data, size_t bytes);
int tflw_tensor_q(tflw *w, const char *name, int type, int rank, const int32_t *shape,
                  const void *data, size_t bytes, const tflw_quant *q);
/* Adds a tensor from fields the caller built (sparsity etc.). */
int tflw_tensor_raw(tflw *w, uint32_t tensor_table);
/* A buffer index for caller-built tensors. */
int tflw_buffer(tflw *w, const void *data, size_t bytes);
/* Adds an operator. code: BuiltinOperator (32 = CUSTOM with custom name).
 * opt_type 0 = no options. */
void tflw_op(tflw *w, int code, const char *custom, int n_in, const int *in, int n_out,
             const int *out, int opt_type, uint32_t opt_table);
void tflw_op_custom(tflw *w, const char *custom, int n_in, const int *in, int n_out,
                    const int *out, const void *opts, size_t opts_len);
/* Finishes the model with subgraph inputs/outputs; sets w->d, w->n. */
void tflw_finish(tflw *w, int n_in, const int *in, int n_out, const int *out);

/* Little-endian patch helpers for hostile-input tests: the file offset of
 * field `field` of the table at `table_pos` in finished bytes d (the field
 * must be present), and a u32 store. */
size_t tflw_field_pos(const uint8_t *d, size_t table_pos, int field);
void tflw_put_u32(uint8_t *p, uint32_t v);

#endif
