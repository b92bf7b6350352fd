/* session.h - er_session internals (planner state and steps). */
#ifndef ER_RUNTIME_SESSION_H
#define ER_RUNTIME_SESSION_H

#include <stdbool.h>

#include "model.h"
#include "ops/op.h"

/* Called after each step, once per output, with the graph value index and
 * its tensor (valid only during the call: the arena is reused). */
typedef void (*er_observer_fn)(void *ctx, int value, const er_tensor *t);

typedef struct er_step {
    int node;       /* index into graph->nodes */
    er_op_ctx ctx;  /* prepared context: tensors, state, scratch, kernel */
    double total_ns; /* profiling: time spent in this step over profiled runs */
} er_step;

struct er_session {
    const er_model *model;
    const er_graph *g;   /* what runs: own_graph, or the model's graph */
    er_graph *own_graph; /* optimized private clone (NULL when not optimizing) */
    int *alias_of;       /* per value: the value whose buffer it shares, or 0 = none (+1 biased) */
    er_options opts;
    er_tensor *t;        /* one runtime tensor per graph value */
    unsigned char *kind; /* V_* per value */
    er_step *steps;
    int n_steps;
    er_tensor **io;      /* storage for every node's in/out pointer arrays */
    size_t *io_off;      /* per node: offset into io */
    int *last_use;       /* per value: index of the last node reading it */
    er_dtype *in_dtype;  /* bound input dtypes, shapes */
    int *in_rank;
    int64_t (*in_dims)[ER_MAX_RANK];
    void *arena;
    size_t arena_bytes, naive_bytes;
    er_threadpool *pool;
    bool dynamic, planned, ran;
    bool profile;       /* time every step (er_session_set_profiling) */
    er_observer_fn observer; /* calibration hook (er_session_set_observer) */
    void *observer_ctx;
    long profiled_runs;
};

/* Calls fn after every step for every output (static sessions; use
 * optimize = 0 to observe the model's own values, e.g. for calibration).
 * fn = NULL turns it off. */
void er_session_set_observer(er_session *s, er_observer_fn fn, void *ctx);

/* Per-step timing for `edgerun profile` (resets the counters). */
void er_session_set_profiling(er_session *s, bool on);

bool er_session_is_dynamic(const er_session *s);

#endif
