/*
 * edgerun.h - the public C API of edgerun, the only installed header.
 *
 * edgerun loads a neural network (ONNX, or its native .erm format written by
 * er_model_save), plans it once (shape inference, constant folding, one
 * activation arena) and runs it many times.
 *
 * Example (error handling shortened):
 *
 *     er_model *m; er_session *s;
 *     if (er_model_load("model.onnx", &m) != ER_OK) { puts(er_last_error()); return 1; }
 *     if (er_session_create(m, NULL, &s) != ER_OK)   { puts(er_last_error()); return 1; }
 *     int64_t dims[4] = {1, 1, 28, 28};
 *     er_tensor *x;  er_tensor_wrap(ER_F32, 4, dims, pixels, sizeof pixels, &x);
 *     er_tensor *y;  er_session_run(s, (const er_tensor *const *)&x, &y);
 *     const float *scores = er_tensor_data(y);      // borrowed: valid until next run
 *     er_tensor_free(x); er_session_free(s); er_model_free(m);
 *
 * Conventions (the same for every function):
 *  - Every fallible function returns er_status; ER_OK is 0. On failure the
 *    out-parameter is set to NULL and er_last_error() describes what failed,
 *    where, the offending value and the rule broken.
 *  - You free what you create (_load/_create/_wrap -> matching _free); every
 *    _free(NULL) does nothing.
 *  - Pointers returned by accessors are borrowed: valid as long as the object
 *    they came from, unless documented otherwise.
 *  - Thread safety: an er_model is read-only after loading and may be shared
 *    by sessions on many threads. An er_session is used by one thread at a
 *    time. er_last_error() is per thread.
 */
#ifndef EDGERUN_H
#define EDGERUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ER_API __declspec(dllexport)
#else
#define ER_API __attribute__((visibility("default")))
#endif

#define ER_VERSION_MAJOR 0
#define ER_VERSION_MINOR 1
#define ER_VERSION_PATCH 0

/* Largest tensor rank the runtime supports. */
#define ER_MAX_RANK 8

/* Status codes. Stable: never renumbered. */
typedef enum er_status {
    ER_OK = 0,
    ER_ERR_INVALID_ARG = 1,   /* API misuse: NULL pointer, bad index, wrong input   */
    ER_ERR_INVALID_MODEL = 2, /* malformed model file                               */
    ER_ERR_UNSUPPORTED = 3,   /* op, dtype or attribute edgerun does not implement  */
    ER_ERR_SHAPE = 4,         /* shapes do not fit an op's rules                    */
    ER_ERR_NOMEM = 5,         /* allocation failed                                  */
    ER_ERR_IO = 6,            /* file could not be opened / read / written          */
    ER_ERR_BACKEND = 7,       /* a delegate failed (CPU fallback possible)          */
    ER_ERR_STATE = 8,         /* call order (e.g. output read before any run)       */
    ER_ERR_INTERNAL = 9       /* a bug in edgerun                                   */
} er_status;

/* Element types. The numbers equal ONNX's TensorProto.DataType, which keeps
 * the mapping obvious; they are stable. */
typedef enum er_dtype {
    ER_UNDEF = 0,
    ER_F32 = 1,
    ER_U8 = 2,
    ER_I8 = 3,
    ER_U16 = 4,
    ER_I16 = 5,
    ER_I32 = 6,
    ER_I64 = 7,
    ER_STRING = 8, /* recognised, not supported by kernels */
    ER_BOOL = 9,   /* one byte, 0 or 1 */
    ER_F16 = 10,
    ER_F64 = 11,
    ER_U32 = 12,
    ER_U64 = 13,
    ER_BF16 = 16
} er_dtype;

typedef struct er_model er_model;
typedef struct er_session er_session;
typedef struct er_tensor er_tensor;

/* Library version as "major.minor.patch"; static storage. */
ER_API const char *er_version(void);

/* Static text for a status code ("ok", "invalid model", ...). */
ER_API const char *er_status_str(er_status st);

/* The message of the last failure on this thread, or "" when none.
 * Owned by the library; valid until the next er_ call on this thread. */
ER_API const char *er_last_error(void);

/* Name of a dtype ("float32", "int64", ...); "undefined" for unknown values. */
ER_API const char *er_dtype_name(er_dtype dt);

/* Size in bytes of one element of dt; 0 for ER_UNDEF/ER_STRING/unknown. */
ER_API size_t er_dtype_size(er_dtype dt);

/* ---------------------------------------------------------------- model -- */

/* Loads a model file. The format is detected from the content: ONNX
 * protobuf, or edgerun's native .erm (written by er_model_save). The file is
 * memory-mapped; weights are used in place where alignment allows (always,
 * for .erm). A .erm file is fully validated before use and its checksum
 * verified; setting the environment variable EDGERUN_ERM_CHECKSUM=skip skips
 * only the checksum (faster cold start for trusted storage). Errors:
 * ER_ERR_IO (cannot open/map), ER_ERR_INVALID_MODEL (malformed; the message
 * names the section/record/offset), ER_ERR_UNSUPPORTED (e.g. a .erm format
 * version newer than this library). *out is owned by the caller: free with
 * er_model_free. */
ER_API er_status er_model_load(const char *path, er_model **out);

/* Loads a model from a caller-supplied buffer. The buffer is copied. External
 * data files are resolved relative to base_dir (NULL: refused). */
ER_API er_status er_model_load_memory(const void *data, size_t size, const char *base_dir,
                                      er_model **out);

ER_API void er_model_free(er_model *m);

/* Writes the model to path. A path ending in ".onnx" gets an ONNX model
 * (ModelProto, weights as raw_data; what edgerun writes, ONNX Runtime reads,
 * e.g. the QDQ models of `edgerun quantize`); any other path gets edgerun's
 * native format (.erm): a versioned, checksummed file whose weights are
 * 64-byte aligned so that er_model_load maps and uses them in place, without
 * parsing or copying. The file is written to a temporary file next to path
 * and renamed into place, so a failure leaves no partial file and saving
 * over the model's own source is safe. Errors: ER_ERR_INVALID_ARG (NULL
 * argument), ER_ERR_IO (cannot create/write/rename; the message names the
 * path and the OS reason), ER_ERR_UNSUPPORTED (ONNX: an attribute kind the
 * importer did not keep, such as a subgraph), ER_ERR_NOMEM. Thread safety:
 * reads the model only, so it may run while sessions use the model. */
ER_API er_status er_model_save(const er_model *m, const char *path);


/* Graph inputs (not counting initializers) and outputs. */
ER_API int er_model_input_count(const er_model *m);
ER_API int er_model_output_count(const er_model *m);
/* Names are borrowed from the model. NULL for an index out of range. */
ER_API const char *er_model_input_name(const er_model *m, int i);
ER_API const char *er_model_output_name(const er_model *m, int i);
/* Declared dtype and shape of an input/output. Dims that are symbolic or
 * unknown are reported as -1. *rank is set to -1 when the rank is unknown.
 * dims must hold ER_MAX_RANK values. */
ER_API er_status er_model_input_info(const er_model *m, int i, er_dtype *dtype, int *rank,
                                     int64_t *dims);
ER_API er_status er_model_output_info(const er_model *m, int i, er_dtype *dtype, int *rank,
                                      int64_t *dims);

/* -------------------------------------------------------------- session -- */

typedef struct er_options {
    size_t struct_size;  /* set by er_options_init; lets fields be added later */
    int threads;         /* intra-op threads; 0 = one per core                 */
    int64_t symbolic_dim_default; /* value for unbound symbolic dims (default 1) */
    int optimize;        /* 1 = run graph passes (default), 0 = plain reference graph */
    int force_isa;       /* 0 = detect; otherwise an er_isa value to cap the ISA  */
    /* Input shapes to plan for, by input index; NULL = use the model's. The
     * arrays are read during er_session_create only. */
    int n_input_shapes;
    const int *input_ranks;
    const int64_t *const *input_dims;
} er_options;

/* Fills *o with defaults. */
ER_API void er_options_init(er_options *o);

/* Plans a session: binds input shapes, infers every shape, folds constant
 * subgraphs, picks kernels and lays out the activation arena. The model must
 * outlive the session. opts may be NULL (defaults). */
ER_API er_status er_session_create(const er_model *m, const er_options *opts, er_session **out);

/* As er_model_save to .erm, plus the weights packed for the kernels that a
 * session with opts (NULL: defaults) picks on this machine. A session on a
 * machine that picks the same kernels (same ISA level, same options) uses
 * them in place from the mapped file: no packing at session creation, and
 * the packed weights are shared page cache, not private memory. Elsewhere
 * they are ignored (the plain weights are always in the file too). The file
 * grows by the packed size (about the weights' size; 4x for Winograd
 * layers). Errors: as er_model_save and er_session_create. */
ER_API er_status er_model_save_prepacked(const er_model *m, const er_options *opts,
                                         const char *path);

ER_API void er_session_free(er_session *s);

/* Runs one inference. inputs: er_model_input_count(m) tensors in model order
 * (borrowed for the duration of the call; their memory is read, never
 * written). outputs: array of er_model_output_count(m) slots that receive
 * borrowed tensors owned by the session, valid until the next run or
 * er_session_free. When an input shape differs from the planned one the
 * session re-plans (allocation happens on that call only). */
ER_API er_status er_session_run(er_session *s, const er_tensor *const *inputs,
                                er_tensor **outputs);

/* Planned activation arena in bytes, and the naive sum of all activation
 * tensor sizes (what one buffer per tensor would need). */
ER_API size_t er_session_arena_bytes(const er_session *s);
ER_API size_t er_session_naive_activation_bytes(const er_session *s);

/* Planned dtype and shape of input/output i (after binding). dims must hold
 * ER_MAX_RANK values. */
ER_API er_status er_session_input_info(const er_session *s, int i, er_dtype *dtype, int *rank,
                                       int64_t *dims);
ER_API er_status er_session_output_info(const er_session *s, int i, er_dtype *dtype, int *rank,
                                        int64_t *dims);

/* --------------------------------------------------------------- tensor -- */

/* Creates a tensor that owns a zero-filled buffer. */
ER_API er_status er_tensor_create(er_dtype dtype, int rank, const int64_t *dims, er_tensor **out);

/* Creates a tensor that borrows caller memory (not copied, not freed by
 * er_tensor_free). size_bytes must be at least the tensor's byte size. */
ER_API er_status er_tensor_wrap(er_dtype dtype, int rank, const int64_t *dims, void *data,
                                size_t size_bytes, er_tensor **out);

/* Frees a tensor made by er_tensor_create / er_tensor_wrap. Never call it on
 * tensors returned by er_session_run (they belong to the session). */
ER_API void er_tensor_free(er_tensor *t);

ER_API er_dtype er_tensor_dtype(const er_tensor *t);
ER_API int er_tensor_rank(const er_tensor *t);
/* Dimension i, or -1 if i is out of range. */
ER_API int64_t er_tensor_dim(const er_tensor *t, int i);
ER_API size_t er_tensor_count(const er_tensor *t);      /* elements */
ER_API size_t er_tensor_size_bytes(const er_tensor *t); /* count * dtype size */
/* Data pointer, borrowed. */
ER_API void *er_tensor_data(er_tensor *t);
ER_API const void *er_tensor_data_const(const er_tensor *t);

#ifdef __cplusplus
}
#endif
#endif /* EDGERUN_H */
