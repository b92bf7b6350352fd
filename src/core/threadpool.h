/* threadpool.h - a fixed pool of worker threads for intra-op parallelism.
 *
 * Created once per session. er_parallel_for splits [0, n) into a fixed set
 * of contiguous chunks (the same n and thread count always give the same
 * split) that the caller and the workers claim from a shared counter; every
 * item is computed the same way whichever thread runs it, so results are
 * deterministic. Workers spin briefly after a job, then sleep on a
 * condition variable, so back-to-back ops do not pay a wake-up each. */
#ifndef ER_CORE_THREADPOOL_H
#define ER_CORE_THREADPOOL_H

#include <stdint.h>

#include "edgerun.h"

typedef struct er_threadpool er_threadpool;

/* fn processes [begin, end); tid in [0, threads). */
typedef void (*er_task_fn)(void *arg, int64_t begin, int64_t end, int tid);

er_status er_threadpool_create(int threads, er_threadpool **out);
void er_threadpool_free(er_threadpool *p);
/* Threads including the caller; 1 for a NULL pool. */
int er_threadpool_size(const er_threadpool *p);

/* Runs fn over [0, n) split into chunks of at least `grain` items, up to
 * ER_CHUNKS_PER_THREAD per thread: a thread that finishes early (or got its
 * core first) takes the chunks left, which evens out unequal units and a
 * worker that starts late. A NULL pool runs fn(arg, 0, n, 0) on the caller. */
#define ER_CHUNKS_PER_THREAD 4
void er_parallel_for(er_threadpool *p, int64_t n, int64_t grain, er_task_fn fn, void *arg);
/* The same with at most one chunk per thread, for tasks whose chunks carry
 * a start-up cost (conv blocks re-expand halo rows at every chunk start). */
void er_parallel_for_even(er_threadpool *p, int64_t n, int64_t grain, er_task_fn fn, void *arg);

/* Online CPUs (>= 1). */
int er_cpu_count(void);

#endif
