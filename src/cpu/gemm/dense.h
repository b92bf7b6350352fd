/* dense.h - fully connected layers (Gemm/MatMul with constant weights) on
 * the GEMM microkernels of gemm.h.
 *
 *   y[r][j] = act(sum_k x[r][k] * W[k][j] + b[j] + z[r][j])   r < rows, j < N
 *
 *   x  [rows, K] row-major (row stride K floats); y, z [rows, N]
 *   W  [K, N] row-major (MatMul's B), or [N, K] when w_transposed (Gemm with
 *      transB = 1, a torch Linear layer); packed once at plan time, so the
 *      caller's w/b may be freed after er_dense_plan_create. Gemm's alpha
 *      and beta: scale W and b before planning.
 *   act any er_act (clamps in the kernel store, the others on each hot tile).
 * Rows are a run-time argument (any batch). Work units are (column block,
 * tile of MR rows), split statically over the threads; each output is
 * computed by one unit in a fixed k order, so results are bit-identical for
 * any thread count and match a float reassociation of the reference.
 *
 * Example:
 *   er_dense_desc d = {.K = 1280, .N = 1000, .w_transposed = 1};
 *   er_dense_plan *p;
 *   if (er_dense_plan_create(&d, w, b, er_isa_detected(), 2, &p) != ER_OK) ...;
 *   void *scratch = aligned(er_dense_scratch_bytes(p));
 *   er_dense_run(p, 1, x, NULL, y, scratch, pool);   // pool: NULL or <= 2 threads
 *   er_dense_plan_free(p); */
#ifndef ER_CPU_GEMM_DENSE_H
#define ER_CPU_GEMM_DENSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu_features.h"
#include "core/threadpool.h"
#include "cpu/act.h"
#include "edgerun.h"

typedef struct er_dense_desc {
    int64_t K, N;     /* inputs and outputs per row */
    int w_transposed; /* 0: w is [K, N]; 1: w is [N, K] */
    er_act act;
    int has_residual; /* z is given at run time */
} er_dense_desc;

typedef struct er_dense_plan er_dense_plan;

/* Packs w (and b: NULL or N biases) for the ISA level (<= er_isa_detected())
 * and at most `threads` threads. */
er_status er_dense_plan_create(const er_dense_desc *d, const float *w, const float *b,
                               er_isa isa, int threads, er_dense_plan **out);
void er_dense_plan_free(er_dense_plan *p);
/* Scratch bytes er_dense_run needs (64-byte aligned memory). */
size_t er_dense_scratch_bytes(const er_dense_plan *p);
/* e.g. "dense/avx512 7x32" */
const char *er_dense_algo(const er_dense_plan *p);
/* y may not alias x or z. A pool larger than the planned thread count runs
 * on the calling thread only. */
void er_dense_run(const er_dense_plan *p, int64_t rows, const float *x, const float *z, float *y,
                  void *scratch, er_threadpool *pool);

/* The reference: plain loops in double. */
void er_dense_ref(const er_dense_desc *d, int64_t rows, const float *x, const float *w,
                  const float *b, const float *z, float *y);

#endif
