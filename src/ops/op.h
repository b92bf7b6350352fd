/* op.h - what an op is: shape inference, optional prepare, a reference kernel.
 *
 * Adding an op = one file src/ops/<op>.c defining `const er_op_def er_op_<op>`
 * plus one ER_OP row in op_table.h. Nothing else.
 *
 * Lifecycle (TFLM / XNNPACK):
 *   shape()   at session creation (and on re-plan): validates attributes and
 *             input shapes/dtypes and sets every output's dtype and shape.
 *             Inputs' `data` is non-NULL when the value is known (constant or
 *             folded); an op that needs a value to know its output shape
 *             calls er_op_need_value(), which makes the session dynamic when
 *             that value is only known at run time.
 *   prepare() (optional) at session creation: picks a kernel, packs weights
 *             into c->state, asks for scratch bytes.
 *   run()     per inference: arithmetic only. No allocation; checks only on
 *             data-dependent values (Gather indices, ...).
 * All error messages are prefixed by the planner with "node 'name' (Op): ",
 * so ops only describe the offending value and the rule. c->out[0] is always
 * present (the planner refuses nodes without output 0). */
#ifndef ER_OPS_OP_H
#define ER_OPS_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "cpu/act.h"
#include "edgerun.h"
#include "ir/graph.h"

typedef struct er_threadpool er_threadpool;

/* Internal status (never returned by the public API): shape() needs the
 * value of an input that is not known yet. */
#define ER_PENDING ((er_status)100)

typedef struct er_op_ctx {
    const er_node *node;
    int opset;             /* opset version of the node's domain */
    int n_in, n_out;
    er_tensor *const *in;  /* in[i] is NULL for an absent optional input */
    er_tensor *const *out; /* out[i] is NULL for an unused optional output */
    void *state;           /* owned by the op: set in prepare, freed by release */
    void *scratch;         /* run(): scratch_bytes of 64-byte aligned memory */
    size_t scratch_bytes;  /* prepare() sets the size it needs */
    er_threadpool *pool;   /* NULL = single thread */
    int isa;               /* er_isa level kernels may use (core/cpu_features.h) */
    /* prepare() may pick an optimized kernel; NULL = the op's run(). */
    er_status (*kernel)(struct er_op_ctx *c);
    /* prepare() sets bit i when run() never reads input i's data again (the
     * op packed its own copy): the session may then release that constant's
     * memory (docs/memory.md). */
    unsigned consumed;
    /* pre-packed weights of the model (.erm), by graph value; NULL: none.
     * er_op_packed_for() picks the ones of one input. */
    const er_packed_blob *packed;
    int n_packed;
} er_op_ctx;

enum {
    ER_OP_NO_FOLD = 1u << 0,    /* never evaluate at plan time (random ops) */
    ER_OP_SHAPE_ONLY = 1u << 1, /* run() reads only input shapes, never data
                                   (Shape, Size): fold once shapes are known */
    ER_OP_ALIAS = 1u << 2,      /* output 0 is input 0's bytes (same size):
                                   the planner shares the buffer and skips run */
};

typedef struct er_op_def {
    const char *name;   /* ONNX op type, e.g. "Conv" */
    const char *domain; /* "" for ai.onnx */
    int min_opset;      /* oldest opset version whose semantics run() follows */
    er_status (*shape)(er_op_ctx *c);
    er_status (*prepare)(er_op_ctx *c); /* optional */
    er_status (*run)(er_op_ctx *c);
    void (*release)(void *state);       /* optional; frees c->state */
    unsigned flags;
    /* optional: multiply-accumulates of one run, from the planned shapes */
    uint64_t (*macs)(const er_op_ctx *c);
} er_op_def;

/* Op files define their er_op_def with designated initializers:
 *   const er_op_def er_op_relu = {.name = "Relu", .shape = shape_relu, .run = run_relu}; */

/* Looks up an op by type and domain ("ai.onnx" == ""). NULL when unknown. */
const er_op_def *er_op_find(const char *op_type, const char *domain);
/* All registered ops, for listings and tests. */
int er_op_count(void);
const er_op_def *er_op_at(int i);

/* ---- helpers for op files ------------------------------------------------ */

/* ER_OK when input i's value is available (or the input is absent),
 * ER_PENDING otherwise. Use in shape(): ER_TRY(er_op_need_value(c, 1)); */
static inline er_status er_op_need_value(const er_op_ctx *c, int i) {
    if (i >= c->n_in || !c->in[i] || c->in[i]->data) return ER_OK;
    return ER_PENDING;
}

/* Checks the input count is within [lo, hi] and required inputs are present
 * (the first `lo` inputs). */
/* The pre-packed blobs of input i's value: the first run of them in
 * c->packed (the writer stores a value's blobs side by side; a file that
 * scatters them only offers fewer candidates) and its length in *n; NULL and
 * 0 when there are none. */
static inline const er_packed_blob *er_op_packed_for(const er_op_ctx *c, int i, int *n) {
    *n = 0;
    if (c->n_packed <= 0) return NULL; /* (hand-built contexts carry no node inputs) */
    int v = c->node->in[i], first = 0;
    while (first < c->n_packed && c->packed[first].value != v) first++;
    while (first + *n < c->n_packed && c->packed[first + *n].value == v) (*n)++;
    return *n ? c->packed + first : NULL;
}

er_status er_op_check_inputs(const er_op_ctx *c, int lo, int hi);

/* Fails unless input i has one of the dtypes in the ER_UNDEF-terminated
 * list. */
er_status er_op_check_dtype(const er_op_ctx *c, int i, const er_dtype *allowed);
/* Fails unless inputs i and j have the same dtype. */
er_status er_op_same_dtype(const er_op_ctx *c, int i, int j);

/* Sets output i's dtype and shape. */
void er_op_set_output(er_op_ctx *c, int i, er_dtype dt, int rank, const int64_t *dims);

/* Normalises an axis in [-rank, rank) to [0, rank); fails otherwise. */
er_status er_op_axis(const er_op_ctx *c, int64_t axis, int rank, int *out);

/* Reads a 1-D integer tensor (i32/i64) into out (at most max values);
 * sets *n. Fails on other dtypes or too many values. */
er_status er_op_read_ints(const er_op_ctx *c, int i, int64_t *out, int max, int *n);

/* Reads the fused-activation attributes of internal ops (act, act_alpha,
 * act_beta, act_min, act_max; see ops/conv_nhwc.c). */
er_status er_op_read_act(const er_op_ctx *c, er_act *a);

/* Formats a tensor's shape for messages; uses a rotating static-per-thread
 * buffer so up to 4 may appear in one message. */
const char *er_op_shape_str(const er_tensor *t);

/* Float dtypes the reference kernels accept (ER_UNDEF-terminated lists). */
extern const er_dtype er_dt_float[];   /* f32 f64 f16 */
extern const er_dtype er_dt_numeric[]; /* floats and all ints */
extern const er_dtype er_dt_all[];     /* numeric and bool */

#endif
